"""Fixtures for the word-vector tests: gensim's shipped data, small trained and synthetic vectors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embedlab.words import WordVectors
from embedlab.words.engine import SCORE_TOLERANCE


def shipped(name: str) -> Path:
    """A file from gensim's test data, or skip the test saying which file is missing."""
    from gensim.test.utils import datapath

    path = Path(datapath(name))
    if not path.is_file():
        pytest.skip(f"gensim's test data file {name} is not installed at {path}")
    return path


def structured_keyed_vectors(dim: int = 64, fillers: int = 3000, seed: int = 0, case_variants: bool = True):
    """Vectors where part of the Google analogy set is solvable: b = a + section offset + noise.

    Words are assigned the first time they are seen, so a word met again in another section
    keeps its first vector: some questions are right, others wrong, as in real vectors.
    With ``case_variants``, lower-case forms of some words are added after the originals.
    """
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(seed)
    vecs: dict[str, np.ndarray] = {}
    offset = None
    for line in shipped("questions-words.txt").read_text().splitlines():
        if line.startswith(": "):
            offset = rng.standard_normal(dim) * 0.8
            continue
        a, b, c, d = line.split()
        for x, y in ((a, b), (c, d)):
            if x not in vecs:
                vecs[x] = rng.standard_normal(dim)
            if y not in vecs:
                vecs[y] = vecs[x] + offset + rng.standard_normal(dim) * 0.7
    words = list(vecs)
    keys = words[: len(words) // 2] + [f"filler{i}" for i in range(fillers)] + words[len(words) // 2 :]
    mat = [vecs.get(k, None) for k in keys]
    mat = [v if v is not None else rng.standard_normal(dim) for v in mat]
    if case_variants:
        for w in words[::7]:
            if w.lower() != w:
                keys.append(w.lower())
                mat.append(vecs[w] + rng.standard_normal(dim) * 0.2)
    kv = KeyedVectors(dim)
    kv.add_vectors(keys, np.asarray(mat, dtype=np.float32))
    return kv


@pytest.fixture(scope="session")
def structured_kv():
    return structured_keyed_vectors()


@pytest.fixture(scope="session")
def questions_subset(tmp_path_factory):
    """Every third question of the Google set, with all its section headers (keeps gensim's side fast)."""
    lines = shipped("questions-words.txt").read_text().splitlines()
    kept, n = [], 0
    for line in lines:
        if line.startswith(": "):
            kept.append(line)
        else:
            n += 1
            if n % 3 == 0:
                kept.append(line)
    path = tmp_path_factory.mktemp("questions") / "questions-subset.txt"
    path.write_text("\n".join(kept) + "\n")
    return path


@pytest.fixture(scope="session")
def lee_wv():
    """Word2Vec trained briefly on gensim's Lee background corpus (about a second)."""
    from gensim.utils import simple_preprocess

    from embedlab.words import WordVectors

    path = shipped("lee_background.cor")
    sentences = [simple_preprocess(line) for line in path.read_text(encoding="utf8").splitlines()]
    return WordVectors.train(
        sentences, vector_size=32, min_count=3, epochs=15, progress=False, workers=1, seed=1
    )


@pytest.fixture(scope="session")
def shipped_file():
    """The :func:`shipped` lookup, as a fixture (test modules here are not a package)."""
    return shipped


class SameAnswers:
    """The one way tests here compare word-vector answers computed in different ways.

    Scores of the same pair from different float32 products (CPU kernels such as AVX2 and
    AVX-512, chunk sizes, numpy and torch, gensim) differ in the last bits, and identical rows
    can score differently by their position in a product. So answers are the same when their
    scores agree within :data:`~embedlab.words.engine.SCORE_TOLERANCE` (relative to
    ``max(1, |score|)``) and the words differ only where their scores are that close: near
    ties may come in either order, or either may take the last place.
    """

    tolerance = SCORE_TOLERANCE

    def close(self, a: Any, b: Any) -> np.ndarray:
        """Whether scores ``a`` and ``b`` agree within the tolerance (element-wise)."""
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        return np.abs(a - b) <= self.tolerance * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))

    @staticmethod
    def _rows(result: Any) -> list[list[tuple[Any, float]]]:
        """Rows of ``(item, score)``: from lists of pairs or from ``(indices, scores)`` arrays."""
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], np.ndarray):
            return [list(zip(i, s, strict=True)) for i, s in zip(result[0].tolist(), result[1].tolist(), strict=True)]
        return [list(row) for row in result]

    def ranking(self, got: Any, expected: Any) -> None:
        """Assert two batches of ranked answers are the same up to near ties.

        Each batch is a list of rows of ``(word, score)`` (``neighbors``, ``most_similar``) or a
        pair of ``(Q, k)`` arrays ``(indices, scores)``. Per row: the scores agree place by
        place; a word in both rows has the same score in both; a word in only one row scores
        within the tolerance of the other row's last score.
        """
        got_rows, expected_rows = self._rows(got), self._rows(expected)
        assert len(got_rows) == len(expected_rows)
        for n, (g, e) in enumerate(zip(got_rows, expected_rows, strict=True)):
            where = f"row {n}: got {g}, expected {e}"
            assert len(g) == len(e), where
            if not g:
                continue
            g_scores, e_scores = [s for _, s in g], [s for _, s in e]
            assert self.close(g_scores, e_scores).all(), where
            g_map, e_map = dict(g), dict(e)
            assert len(g_map) == len(g), f"repeated items in {where}"
            for item, score in g:
                other = e_map.get(item, e_scores[-1])
                assert self.close(score, other), f"{item!r} is no near tie: {where}"
            for item, score in e:
                if item not in g_map:
                    assert self.close(score, g_scores[-1]), f"{item!r} is missing: {where}"

    @staticmethod
    def _questions(result: Any) -> dict[str, tuple[Counter, Counter]]:
        """``{section: (correct questions, all counted questions)}`` of an AnalogyResult or gensim's sections."""
        if isinstance(result, list):  # gensim's evaluate_word_analogies sections, "Total accuracy" dropped
            return {
                s["section"]: (Counter(s["correct"]), Counter(s["correct"] + s["incorrect"]))
                for s in result
                if s["section"] != "Total accuracy"
            }
        table = result.questions if result.protocol["dummy4unknown"] else result.questions[~result.questions.oov]
        out: dict[str, tuple[Counter, Counter]] = {name: (Counter(), Counter()) for name in result.sections}
        for row in table.itertuples():
            question = (row.a, row.b, row.c, row.expected)
            out[row.section][1][question] += 1
            if row.correct:
                out[row.section][0][question] += 1
        return out

    @staticmethod
    def _scores(wv: Any, question: tuple[str, str, str, str], protocol: dict) -> tuple[np.ndarray, np.ndarray, int]:
        """A question's scores over the candidates, inputs and their case forms masked; each word's form; the gold's."""
        from embedlab.words.evaluation import _ok_vocab

        ok, canon = _ok_vocab(wv, protocol["restrict_vocab"], protocol["case_insensitive"])
        a, b, c, d = (ok[w] for w in question)
        S = wv.engine.score_all(protocol["method"], np.array([[b, c]]), np.array([[a]]), eps=protocol["eps"] or 1e-3)
        S = S[0, : len(canon)].astype(np.float64)
        S[np.isin(canon, [a, b, c])] = -np.inf
        return S, canon, d

    def counts(self, ours: Any, theirs: Any, wv: Any) -> None:
        """Assert per-section analogy counts are equal, but for questions decided by a near tie.

        ``ours`` is an AnalogyResult; ``theirs`` another one or gensim's sections (the second
        value of ``evaluate_word_analogies``). The same questions must be counted. A question
        right in one and wrong in the other must be a near tie: its best gold-form score and
        best other score agree within the tolerance. The counts then differ by at most those.
        """
        mine, other = self._questions(ours), self._questions(theirs)
        assert list(mine) == list(other)
        for section, (right, counted) in mine.items():
            other_right, other_counted = other[section]
            assert counted == other_counted, section
            for question in (right - other_right) + (other_right - right):
                S, canon, d = self._scores(wv, question, ours.protocol)
                best_gold, best_other = S[canon == d].max(), S[canon != d].max()
                assert self.close(best_gold, best_other), f"{section}: {question} flipped without a near tie"

    def ranks(self, ours: Any, theirs: Any, wv: Any) -> None:
        """Assert the gold answers' ranks of two AnalogyResults agree but for near ties around the gold score."""
        a, b = ours.questions, theirs.questions
        differ = np.flatnonzero(a["rank"].to_numpy() != b["rank"].to_numpy())
        for i in differ:
            row = a.iloc[i]
            S, _, d = self._scores(wv, (row.a, row.b, row.c, row.expected), ours.protocol)
            g = S[d]  # ranks count the candidates above the gold word's most frequent form
            slack = self.tolerance * max(1.0, abs(g))
            low, high = (S > g + slack).sum() + 1, (S > g - slack).sum() + 1
            assert low <= a["rank"].iloc[i] <= high and low <= b["rank"].iloc[i] <= high, row.to_dict()

    def correlations(self, ours: Any, theirs: tuple, kv: Any) -> None:
        """Assert a SimilarityResult equals gensim's ``evaluate_word_pairs`` result ``theirs``.

        Every pair's similarity equals gensim's ``kv.similarity`` within the tolerance, and so
        does Pearson's r, which moves with them. Spearman's rho depends on the order of the
        similarities only: it equals gensim's when both order the pairs alike, and the pairs
        they order differently must be near ties.
        """
        from scipy import stats

        from embedlab.words.evaluation import _ok_vocab

        pearson, spearman, oov = theirs
        protocol = ours.protocol
        assert ours.oov_ratio == pytest.approx(oov)
        assert self.close(ours.pearson, pearson.statistic)
        ok, _ = _ok_vocab(WordVectors(kv), protocol["restrict_vocab"], protocol["case_insensitive"])
        table = ours.table
        known = table.model.notna().to_numpy()
        keys = kv.index_to_key
        pairs = zip(table.word1, table.word2, known, strict=True)
        theirs_model = np.array(
            [kv.similarity(keys[ok[a]], keys[ok[b]]) if k else np.nan for a, b, k in pairs], np.float64
        )
        mine_model = table.model.to_numpy(np.float64)
        assert self.close(mine_model[known], theirs_model[known]).all()
        used = slice(None) if protocol["dummy4unknown"] else known
        mine, other = (np.nan_to_num(m[used], nan=0.0) for m in (mine_model, theirs_model))
        gold = table.gold.to_numpy()[used]
        assert stats.spearmanr(gold, other).statistic == pytest.approx(spearman.statistic, abs=1e-12)
        order_differs = np.sign(mine[:, None] - mine[None, :]) != np.sign(other[:, None] - other[None, :])
        i, j = np.nonzero(np.triu(order_differs))
        assert self.close(mine[i], mine[j]).all() and self.close(other[i], other[j]).all()
        if not i.size:
            assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-12)


@pytest.fixture(scope="session")
def same() -> SameAnswers:
    """The comparison of answers computed in different ways: see :class:`SameAnswers`."""
    return SameAnswers()
