"""Analogy and word-similarity evaluation, batched, with gensim's protocol.

:func:`evaluate_analogies` gives the same correct and incorrect counts per section as
gensim's ``KeyedVectors.evaluate_word_analogies`` under the same protocol
(``restrict_vocab``, ``case_insensitive``, ``dummy4unknown``), but scores all questions as
chunked matrix products. Only a question decided by a near tie (its gold answer and the best
other candidate within :data:`~embedlab.words.engine.SCORE_TOLERANCE`) can be counted
differently, as float32 rounding differs between CPU kernels and product shapes. It adds
what gensim lacks: 3CosMul and PairDirection, the rank of the gold answer, and top-k accuracy.
:func:`evaluate_similarity` equals gensim's ``evaluate_word_pairs`` (Spearman's rho up to the
order of pairs whose similarities are within that tolerance of each other).
"""

from __future__ import annotations

import codecs
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embedlab.errors import ConfigError, InputError
from embedlab.words.engine import check_method
from embedlab.words.loading import BOM

if TYPE_CHECKING:
    import pandas as pd

    from embedlab.words.vectors import WordVectors

__all__ = ["AnalogyResult", "SimilarityResult", "evaluate_analogies", "evaluate_similarity", "dataset_path"]

logger = logging.getLogger(__name__)

_SHIPPED = {
    "questions-words": "questions-words.txt",
    "google": "questions-words.txt",
    "wordsim353": "wordsim353.tsv",
    "simlex999": "simlex999.txt",
}


def dataset_path(name_or_path: str | os.PathLike[str]) -> Path:
    """Resolve a path, or a file gensim ships: ``questions-words``, ``wordsim353``, ``simlex999``.

    Raises
    ------
    InputError
        Neither a file nor a shipped dataset.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.is_dir():
        raise InputError(f"evaluation file {name_or_path} is a folder; pass the file inside it")
    key = str(name_or_path).lower().removesuffix(".txt").removesuffix(".tsv")
    if key in _SHIPPED:
        from gensim.test.utils import datapath

        shipped = Path(datapath(_SHIPPED[key]))
        if shipped.is_file():
            return shipped
        raise InputError(f"gensim's copy of {_SHIPPED[key]} is missing from {shipped.parent}; pass a path")
    raise InputError(
        f"evaluation file {name_or_path} does not exist; pass a path or one of {', '.join(sorted(_SHIPPED))}"
    )


def _ok_vocab(
    wv: WordVectors, restrict_vocab: int, case_insensitive: bool
) -> tuple[dict[str, int], np.ndarray]:
    """gensim's restricted vocabulary (key -> index of its most frequent form), and each canonical index."""
    if restrict_vocab < 1:
        raise ConfigError(f"restrict_vocab must be a positive number of words; got {restrict_vocab}")
    keys = wv.kv.index_to_key[:restrict_vocab]
    norm = str.upper if case_insensitive else (lambda s: s)
    ok: dict[str, int] = {}
    for i in range(len(keys) - 1, -1, -1):
        ok[norm(keys[i])] = i
    canon = np.fromiter((ok[norm(k)] for k in keys), dtype=np.int64, count=len(keys))
    return ok, canon


@dataclass(frozen=True)
class AnalogyResult:
    """The outcome of :func:`evaluate_analogies`.

    Attributes
    ----------
    accuracy
        Correct over evaluated questions (gensim's "Total accuracy").
    sections
        ``{section: (correct, total)}`` in file order; ``total`` counts the questions gensim
        puts in the section (with ``dummy4unknown``, out-of-vocabulary ones too).
    semantic, syntactic
        ``(correct, total)`` over the non-``gram`` and the ``gram*`` sections (Google's split).
    topk_accuracy
        ``{k: fraction}``: the gold answer ranked within the top ``k``.
    oov, oov_ratio
        Questions with a word outside the restricted vocabulary, and their percentage of all
        questions (gensim's ``oov_ratio``, in percent).
    questions
        A DataFrame, one row per question: ``section, a, b, c, expected, predicted, score,
        rank, correct, oov``. ``rank`` is the gold answer's 1-based rank among the candidates
        (0 when not ranked).
    protocol
        The settings used: file, method, restrict_vocab, case_insensitive, dummy4unknown, eps.
    """

    accuracy: float
    sections: dict[str, tuple[int, int]]
    semantic: tuple[int, int]
    syntactic: tuple[int, int]
    topk_accuracy: dict[int, float]
    oov: int
    oov_ratio: float
    questions: pd.DataFrame = field(repr=False)
    protocol: dict[str, Any]

    @property
    def correct(self) -> int:
        """Number of correct answers."""
        return sum(c for c, _ in self.sections.values())

    @property
    def total(self) -> int:
        """Number of evaluated questions."""
        return sum(t for _, t in self.sections.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the per-question table)."""
        return {
            "accuracy": self.accuracy,
            "correct": self.correct,
            "total": self.total,
            "sections": {k: list(v) for k, v in self.sections.items()},
            "semantic": list(self.semantic),
            "syntactic": list(self.syntactic),
            "topk_accuracy": {str(k): v for k, v in self.topk_accuracy.items()},
            "oov": self.oov,
            "oov_ratio": self.oov_ratio,
            "protocol": self.protocol,
        }

    def summary(self) -> str:
        """A readable table: one line per section, then the totals."""

        def pct(c: int, t: int) -> str:
            return f"{100.0 * c / t:6.2f}%" if t else "    n/a"

        width = max([len(s) for s in self.sections] + [12])
        lines = [f"{'section':<{width}}  correct   total  accuracy"]
        for name, (c, t) in self.sections.items():
            lines.append(f"{name:<{width}}  {c:7d} {t:7d}  {pct(c, t)}")
        for name, (c, t) in (("semantic", self.semantic), ("syntactic", self.syntactic)):
            lines.append(f"{name:<{width}}  {c:7d} {t:7d}  {pct(c, t)}")
        lines.append(
            f"{'total':<{width}}  {self.correct:7d} {self.total:7d}  {pct(self.correct, self.total)}"
        )
        tk = ", ".join(f"top-{k} {100 * v:.2f}%" for k, v in self.topk_accuracy.items())
        lines.append(f"{tk}; out of vocabulary {self.oov} ({self.oov_ratio:.1f}%)")
        p = self.protocol
        lines.append(
            f"protocol: method={p['method']} restrict_vocab={p['restrict_vocab']} "
            f"case_insensitive={p['case_insensitive']} dummy4unknown={p['dummy4unknown']}"
        )
        return "\n".join(lines)


def _parse_analogies(path: Path, norm: Any) -> tuple[list[str], list[tuple[int, str, str, str, str]], int]:
    """Sections and ``(section_no, a, b, c, expected)`` rows, read as gensim reads them."""
    from gensim import utils

    sections: list[str] = []
    rows: list[tuple[int, str, str, str, str]] = []
    skipped = 0
    try:
        with utils.open(str(path), "rb") as fin:
            for line_no, raw in enumerate(fin):
                line = utils.to_unicode(raw.removeprefix(BOM) if line_no == 0 else raw)
                if line.startswith(": "):
                    sections.append(line.lstrip(": ").strip())
                    continue
                if not sections:
                    raise InputError(f"{path}: line {line_no + 1} comes before any ': section' header")
                parts = line.split()
                if len(parts) != 4:
                    skipped += 1
                    continue
                a, b, c, d = (norm(w) for w in parts)
                rows.append((len(sections) - 1, a, b, c, d))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text ({exc}); is it an analogy file?") from None
    except OSError as exc:
        raise _unreadable_dataset(path, exc) from None
    if skipped:
        logger.info("skipped %d malformed lines in %s", skipped, path)
    if not rows:
        raise InputError(f"{path} holds no analogy questions ('a b c d' lines under ': section' headers)")
    return sections, rows, skipped


def evaluate_analogies(
    wv: WordVectors,
    path: str | os.PathLike[str] | None = None,
    *,
    method: str = "3cosadd",
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
    topk: tuple[int, ...] = (1, 5, 10),
    ranks: bool = True,
    eps: float = 1e-3,
    progress: bool = False,
) -> AnalogyResult:
    """Analogy accuracy on a file in the Google ``questions-words`` format, batched.

    The counts per section equal gensim's ``evaluate_word_analogies`` under the same protocol,
    on any CPU, except for questions decided by a near tie (the gold answer and the best
    other candidate scoring within :data:`~embedlab.words.engine.SCORE_TOLERANCE`), which
    rounding may decide either way; ranks likewise differ only by such ties. A UTF-8
    byte-order mark at the start of the file is skipped.

    Parameters
    ----------
    wv
        The vectors.
    path
        The file; ``None`` is gensim's copy of the Google set (``questions-words.txt``).
    method
        ``"3cosadd"`` (gensim's only method), ``"3cosmul"`` or ``"pairdistance"``.
    restrict_vocab, case_insensitive, dummy4unknown
        gensim's protocol options, with gensim's defaults and meanings: only the first
        ``restrict_vocab`` words are candidates and count as known; words are compared
        upper-cased (each taking the vector of its most frequent form); questions with
        unknown words count as wrong instead of being skipped.
    topk
        The ``k`` of the top-k accuracies reported.
    ranks
        Rank the gold answer of every question (for ``topk_accuracy`` and the ``rank``
        column). ``False`` skips that pass over the scores: the counts are unchanged, the
        ranks are 0 and ``topk_accuracy`` is empty.
    eps
        3CosMul's epsilon.
    progress
        Show a progress bar.
    """
    from embedlab.progress import progress_bar

    check_method(method)
    file = dataset_path("questions-words" if path is None else path)
    norm = str.upper if case_insensitive else (lambda s: s)
    ok, canon = _ok_vocab(wv, restrict_vocab, case_insensitive)
    n_cand = len(canon)
    sections, rows, _ = _parse_analogies(file, norm)

    known = [all(w in ok for w in r[1:]) for r in rows]
    known_rows = [r for r, k in zip(rows, known, strict=True) if k]
    q = len(known_rows)
    idx = np.array([[ok[w] for w in r[1:]] for r in known_rows], dtype=np.int64).reshape(q, 4)
    predicted = np.full(q, -1, np.int64)
    scores = np.full(q, np.nan, np.float32)
    rank = np.zeros(q, np.int64)
    correct = np.zeros(q, bool)
    if q:
        ia, ib, ic, ie = idx.T
        exclude = idx[:, :3]
        probe = None
        if case_insensitive:
            # other forms of an input word (Paris/paris) are skipped as gensim skips them
            groups: dict[int, list[int]] = {}
            for i in np.flatnonzero(canon != np.arange(n_cand)):
                groups.setdefault(int(canon[i]), []).append(int(i))
            if groups:
                extra = [[v for j in row for v in groups.get(int(j), [])] for row in exclude]
                width = max(len(e) for e in extra)
                if width:
                    probe = np.full((q, width), -1, np.int64)
                    for r, e in enumerate(extra):
                        probe[r, : len(e)] = e
                    exclude = np.concatenate([exclude, probe], axis=1)
        bar = progress_bar(progress, total=q, desc=f"analogies ({method})", unit="q", leave=False)
        with bar:
            res = wv.engine.search(
                method,
                k=1,
                pos=np.stack([ib, ic], axis=1),
                neg=ia[:, None],
                candidates=n_cand,
                exclude=exclude,
                gold=ie if ranks else None,
                probe=probe,
                eps=eps,
                progress=bar,
            )
        predicted, scores = res.indices[:, 0], res.scores[:, 0]
        rank = res.ranks if res.ranks is not None else np.zeros(q, np.int64)
        valid = np.isfinite(scores)
        predicted = np.where(valid, predicted, -1)
        correct = valid & (canon[np.maximum(predicted, 0)] == ie)
        if res.probes is not None and probe is not None:
            # gensim looks at its top 5 only: past 5 other forms of the inputs, it keeps the 5th
            above = np.nan_to_num(res.probes, nan=-np.inf) > scores[:, None]
            for row in np.flatnonzero(above.sum(axis=1) >= 5):
                order = np.argsort(-np.nan_to_num(res.probes[row], nan=-np.inf), kind="stable")
                fifth = int(probe[row, order[4]])
                predicted[row] = fifth
                correct[row] = canon[fifth] == ie[row]

    return _analogy_result(
        wv,
        file,
        sections,
        rows,
        known,
        predicted,
        scores,
        rank,
        correct,
        topk if ranks else (),
        {
            "file": str(file),
            "method": method,
            "restrict_vocab": restrict_vocab,
            "case_insensitive": case_insensitive,
            "dummy4unknown": dummy4unknown,
            "eps": eps if method == "3cosmul" else None,
            "ranks": ranks,
            "candidates": n_cand,
        },
    )


def _analogy_result(
    wv: WordVectors,
    file: Path,
    sections: list[str],
    rows: list[tuple[int, str, str, str, str]],
    known: list[bool],
    predicted: np.ndarray,
    scores: np.ndarray,
    ranks: np.ndarray,
    correct: np.ndarray,
    topk: tuple[int, ...],
    protocol: dict[str, Any],
) -> AnalogyResult:
    import pandas as pd

    dummy = protocol["dummy4unknown"]
    keys = wv.kv.index_to_key
    n = len(rows)
    known_arr = np.array(known, bool)
    full_pred = np.full(n, None, object)
    full_score = np.full(n, np.nan)
    full_rank = np.zeros(n, np.int64)
    full_correct = np.zeros(n, bool)
    pos = np.flatnonzero(known_arr)
    full_pred[pos] = [keys[i] if i >= 0 else None for i in predicted]
    full_score[pos] = scores
    full_rank[pos] = ranks
    full_correct[pos] = correct
    table = pd.DataFrame(
        {
            "section": [sections[r[0]] for r in rows],
            "a": [r[1] for r in rows],
            "b": [r[2] for r in rows],
            "c": [r[3] for r in rows],
            "expected": [r[4] for r in rows],
            "predicted": full_pred,
            "score": full_score,
            "rank": full_rank,
            "correct": full_correct,
            "oov": ~known_arr,
        }
    )
    counted = table[~table.oov] if not dummy else table
    by_section: dict[str, tuple[int, int]] = {name: (0, 0) for name in sections}
    grouped = counted.groupby("section", sort=False)["correct"].agg(["sum", "size"])
    for name, row in grouped.iterrows():
        by_section[str(name)] = (int(row["sum"]), int(row["size"]))
    sem = [v for k, v in by_section.items() if not k.startswith("gram")]
    syn = [v for k, v in by_section.items() if k.startswith("gram")]
    total_c = sum(c for c, _ in by_section.values())
    total_n = sum(t for _, t in by_section.values())
    ranks_counted = counted["rank"].to_numpy()
    topk_acc = {
        int(k): float(((ranks_counted >= 1) & (ranks_counted <= k)).mean()) if total_n else 0.0 for k in topk
    }
    oov = int((~known_arr).sum())
    return AnalogyResult(
        accuracy=total_c / total_n if total_n else 0.0,
        sections=by_section,
        semantic=(sum(c for c, _ in sem), sum(t for _, t in sem)),
        syntactic=(sum(c for c, _ in syn), sum(t for _, t in syn)),
        topk_accuracy=topk_acc,
        oov=oov,
        oov_ratio=100.0 * oov / n if n else 0.0,
        questions=table,
        protocol=protocol,
    )


@dataclass(frozen=True)
class SimilarityResult:
    """The outcome of :func:`evaluate_similarity`.

    Attributes
    ----------
    spearman, pearson
        Correlations between the model's cosine similarities and the human scores.
    spearman_pvalue, pearson_pvalue
        Their p-values.
    pairs
        Number of pairs correlated.
    oov, oov_ratio
        Pairs with an unknown word, and gensim's ``oov_ratio`` (percent).
    table
        One row per pair read: ``word1, word2, gold, model`` (``model`` is NaN when unknown).
    protocol
        The settings used.
    """

    spearman: float
    pearson: float
    spearman_pvalue: float
    pearson_pvalue: float
    pairs: int
    oov: int
    oov_ratio: float
    table: pd.DataFrame = field(repr=False)
    protocol: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the per-pair table)."""
        return {
            "spearman": self.spearman,
            "pearson": self.pearson,
            "spearman_pvalue": self.spearman_pvalue,
            "pearson_pvalue": self.pearson_pvalue,
            "pairs": self.pairs,
            "oov": self.oov,
            "oov_ratio": self.oov_ratio,
            "protocol": self.protocol,
        }

    def summary(self) -> str:
        """One readable line."""
        return (
            f"spearman {self.spearman:.4f}  pearson {self.pearson:.4f}  pairs {self.pairs}  "
            f"out of vocabulary {self.oov} ({self.oov_ratio:.1f}%)  [{Path(self.protocol['file']).name}]"
        )


def _read_pairs(file: Path, norm: Any, delimiter: str, encoding: str) -> list[tuple[str, str, float]]:
    """``(word1, word2, score)`` of every well-formed line, as gensim's ``evaluate_word_pairs`` reads them."""
    if not delimiter:
        raise ConfigError("delimiter must be a non-empty string such as '\\t'")
    try:
        # utf-8-sig: a byte-order mark is skipped (it would otherwise join the first word)
        sig = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    except LookupError:
        raise ConfigError(f"encoding {encoding!r} is unknown; pass a Python codec name such as 'utf8'") from None
    records: list[tuple[str, str, float]] = []
    try:
        with open(file, encoding=sig) as fin:
            for line in fin:
                if not line or line.startswith("#"):
                    continue
                parts = line.split(delimiter)
                if len(parts) != 3:
                    continue
                try:
                    records.append((norm(parts[0]), norm(parts[1]), float(parts[2])))
                except ValueError:
                    continue
    except UnicodeDecodeError as exc:
        raise InputError(f"{file} is not {encoding} text ({exc}); is it a word-pair file?") from None
    except OSError as exc:
        raise _unreadable_dataset(file, exc) from None
    return records


def _unreadable_dataset(file: Path, exc: OSError) -> InputError:
    return InputError(f"cannot read evaluation file {file}: {exc.strerror or exc}; check that it is readable")


def evaluate_similarity(
    wv: WordVectors,
    path: str | os.PathLike[str] | None = None,
    *,
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
    dummy4unknown: bool = False,
    delimiter: str = "\t",
    encoding: str = "utf8",
) -> SimilarityResult:
    """Spearman and Pearson correlation with human judgements (WordSim353, SimLex-999 format).

    Parameters
    ----------
    wv
        The vectors.
    path
        A ``word1<TAB>word2<TAB>score`` file (``#`` lines are comments), or ``wordsim353`` /
        ``simlex999`` for gensim's copies; ``None`` is WordSim353.
    restrict_vocab, case_insensitive, dummy4unknown
        gensim's protocol options (see :func:`evaluate_analogies`); with ``dummy4unknown``
        unknown pairs get similarity 0 instead of being skipped.
    delimiter, encoding
        How the file is split and decoded (a UTF-8 byte-order mark is skipped).
    """
    import pandas as pd
    from scipy import stats

    file = dataset_path("wordsim353" if path is None else path)
    norm = str.upper if case_insensitive else (lambda s: s)
    ok, _ = _ok_vocab(wv, restrict_vocab, case_insensitive)
    records = _read_pairs(file, norm, delimiter, encoding)
    if not records:
        raise InputError(f"{file} holds no 'word1{delimiter!r}word2{delimiter!r}score' lines")
    known = np.array([a in ok and b in ok for a, b, _ in records], bool)
    model = np.full(len(records), np.nan)
    if known.any():
        U = wv.engine.unit
        left = np.array([ok[r[0]] for r, k in zip(records, known, strict=True) if k])
        right = np.array([ok[r[1]] for r, k in zip(records, known, strict=True) if k])
        model[known] = np.einsum("ij,ij->i", U[left], U[right])
    gold = np.array([r[2] for r in records])
    oov = int((~known).sum())
    if dummy4unknown:
        used_model, used_gold = np.nan_to_num(model, nan=0.0), gold
    else:
        used_model, used_gold = model[known], gold[known]
    if used_gold.size < 2:
        raise InputError(f"fewer than two word pairs of {file} are in the vocabulary; nothing to correlate")
    spearman = stats.spearmanr(used_gold, used_model)
    pearson = stats.pearsonr(used_gold, used_model)
    denom = used_gold.size if dummy4unknown else used_gold.size + oov
    table = pd.DataFrame(
        {"word1": [r[0] for r in records], "word2": [r[1] for r in records], "gold": gold, "model": model}
    )
    return SimilarityResult(
        spearman=float(spearman.statistic),
        pearson=float(pearson.statistic),
        spearman_pvalue=float(spearman.pvalue),
        pearson_pvalue=float(pearson.pvalue),
        pairs=int(used_gold.size),
        oov=oov,
        oov_ratio=100.0 * oov / denom,
        table=table,
        protocol={
            "file": str(file),
            "restrict_vocab": restrict_vocab,
            "case_insensitive": case_insensitive,
            "dummy4unknown": dummy4unknown,
        },
    )
