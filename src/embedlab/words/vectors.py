"""The :class:`WordVectors` class: a gensim ``KeyedVectors`` with batched queries."""

from __future__ import annotations

import difflib
import gc
import logging
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from embedlab.errors import ConfigError, InputError
from embedlab.words.engine import Engine, check_method

if TYPE_CHECKING:
    import pandas as pd

    from embedlab.words.diagnosis import AnalogyDiagnosis
    from embedlab.words.evaluation import AnalogyResult, SimilarityResult

__all__ = ["WordVectors", "from_params"]

logger = logging.getLogger(__name__)

Scored = list[tuple[str, float]]


def _as_list(words: str | Iterable[str], what: str) -> list[str]:
    if isinstance(words, str):
        return [words]
    out = list(words)
    for w in out:
        if not isinstance(w, str):
            raise InputError(f"{what} must be words (str); got {type(w).__name__} {w!r}")
    return out


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the block runs.

    Building 100,000 result tuples otherwise sets off collections that traverse every
    tracked object of the process, which can take longer than building the lists (see the
    docs' performance page). The tuples hold only strings and floats, so no cycle is left
    behind.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class WordVectors:
    """Word vectors with batched neighbour, analogy and evaluation queries.

    It reads like a mapping of words to vectors (``wv["word"]``, ``"word" in wv``, ``len``,
    iteration over the vocabulary); its :attr:`kv` attribute is the wrapped gensim
    ``KeyedVectors``, the way back to gensim's own API (nothing is copied).

    Parameters
    ----------
    keyed_vectors
        A gensim ``KeyedVectors`` (or ``FastTextKeyedVectors``); it is wrapped, not copied.
    device
        Where batched queries run: ``"auto"`` (a GPU when present, else numpy on CPU),
        ``"cpu"``, ``"cuda[:N]"`` or a ``torch.device``.
    chunk_elements
        The most scores held in memory at once (``None``: 2**26 on CPU, 2**27 on GPU);
        batched queries are split into chunks of queries that fit.

    Raises
    ------
    InputError
        The vectors are empty, not 2-D, or hold NaN/inf rows (the message names them).

    Examples
    --------
    >>> wv = WordVectors.load("vectors.txt")                     # doctest: +SKIP
    >>> wv.neighbors(["italy", "mother"], topn=5)                 # doctest: +SKIP
    >>> wv.analogy(["woman", "king"], ["man"])                    # doctest: +SKIP
    >>> wv["italy"], wv.neighbors("italy")                        # doctest: +SKIP
    >>> wv.kv.most_similar("italy")                               # doctest: +SKIP
    """

    def __init__(
        self, keyed_vectors: Any, *, device: Any = "auto", chunk_elements: int | None = None
    ) -> None:
        if not hasattr(keyed_vectors, "index_to_key") or not hasattr(keyed_vectors, "vectors"):
            raise InputError(
                f"WordVectors wraps a gensim KeyedVectors; got {type(keyed_vectors).__name__}. "
                "Use WordVectors.load(path) for files."
            )
        vectors = np.asarray(keyed_vectors.vectors)
        if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] == 0:
            raise InputError(f"the word vectors are empty or not 2-D (shape {vectors.shape})")
        if len(keyed_vectors.index_to_key) != vectors.shape[0]:
            raise InputError(
                f"the vocabulary has {len(keyed_vectors.index_to_key)} words but there are "
                f"{vectors.shape[0]} vectors"
            )
        step = 65_536  # chunks: a bool copy of a 3M x 300 matrix would take 900 MB
        bad = np.concatenate(
            [
                start + np.flatnonzero(~np.isfinite(vectors[start : start + step]).all(axis=1))
                for start in range(0, vectors.shape[0], step)
            ]
        )
        if bad.size:
            names = ", ".join(repr(keyed_vectors.index_to_key[i]) for i in bad[:10])
            more = f" and {bad.size - 10} more" if bad.size > 10 else ""
            raise InputError(
                f"{bad.size} word vector(s) hold NaN or inf values: {names}{more}; "
                "drop or fix those rows (the file may be corrupt)"
            )
        self.kv = keyed_vectors
        """The wrapped gensim ``KeyedVectors``: the way back to gensim's own API."""
        self.source: str | None = None
        """Where the vectors came from (the ``load`` argument), shown in the repr."""
        self._device = device
        self._chunk_elements = chunk_elements
        self._engine: Engine | None = None

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        source: str | os.PathLike[str],
        *,
        trusted: bool = False,
        format: str = "auto",
        limit: int | None = None,
        download: bool = True,
        device: Any = "auto",
    ) -> WordVectors:
        """Load vectors from a file or a gensim-downloader name.

        Parameters
        ----------
        source
            A path (``.kv``/``.model``, word2vec ``.bin``/``.txt``, GloVe ``.txt`` without a
            header, fastText ``.vec``/``.bin``, compressed text) or a gensim-downloader name
            such as ``"glove-wiki-gigaword-100"``, or ``"default"`` for the embedded vectors.
        trusted
            Required for pickle-based files (``.kv``, ``.model``): unpickling can run code.
        format
            ``"auto"`` or one of ``kv``, ``word2vec-bin``, ``word2vec-txt``, ``glove``, ``fasttext-bin``.
            The file is read in this one format (``"auto"``: the one detected from the suffix
            and the first bytes); a file that does not parse in it raises, naming the format,
            and is never re-read in another. A UTF-8 byte-order mark is skipped.
        limit
            Read only the first ``limit`` vectors (word2vec and GloVe files).
        download
            Let a downloader name be fetched when it is not already in ``GENSIM_DATA_DIR``.
        device
            Where batched queries run (see the class).

        Raises
        ------
        ConfigError
            An unknown ``format``.
        InputError
            Missing, empty, corrupt or untrusted file (naming it, the format tried and the
            fix), or a downloader name that is neither on disk nor downloadable.
        """
        if str(source) == "default":
            from embedlab.words.training import default_vectors

            wv = default_vectors(device=device)
        else:
            from embedlab.words.loading import load_keyed_vectors

            kv = load_keyed_vectors(source, trusted=trusted, fmt=format, limit=limit, download=download)
            wv = cls(kv, device=device)
        wv.source = os.fspath(source)
        return wv

    @classmethod
    def train(cls, corpus: Any, **kwargs: Any) -> WordVectors:
        """Train vectors with gensim's Word2Vec or FastText; see :func:`embedlab.words.training.train`."""
        from embedlab.words.training import train

        return train(corpus, **kwargs)

    @classmethod
    def default(cls, **kwargs: Any) -> WordVectors:
        """The embedded default vectors; see :func:`embedlab.words.training.default_vectors`."""
        from embedlab.words.training import default_vectors

        wv = default_vectors(**kwargs)
        wv.source = "default"
        return wv

    def save(self, path: str | os.PathLike[str], *, binary: bool = True) -> Path:
        """Write the vectors in word2vec format (no pickle), atomically; return the path."""
        from embedlab.io import atomic_path

        target = Path(path)
        with atomic_path(target) as tmp:
            self.kv.save_word2vec_format(str(tmp), binary=binary)
        return target

    # -- basics -----------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """The batched-search engine over the pre-normalised matrix (built on first use)."""
        if self._engine is None:
            self._engine = Engine(self.kv.vectors, device=self._device, chunk_elements=self._chunk_elements)
        return self._engine

    @property
    def words(self) -> list[str]:
        """The vocabulary, in the file's order (usually most frequent first)."""
        return list(self.kv.index_to_key)

    @property
    def vector_size(self) -> int:
        """The dimension of the vectors."""
        return int(self.kv.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.kv.index_to_key)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self.kv.key_to_index

    def __iter__(self) -> Iterator[str]:
        """The vocabulary words, in the file's order."""
        return iter(self.kv.index_to_key)

    def __getitem__(self, words: str | Iterable[str]) -> np.ndarray:
        """The vector of a word, or a 2-D array with one row per word of a list.

        Raises
        ------
        InputError
            A word not in the vocabulary (named, with the nearest spellings).
        """
        idx = self.indices(words)
        rows = np.asarray(self.kv.vectors[idx])
        return rows[0] if isinstance(words, str) else rows

    def __repr__(self) -> str:
        where = f", source={self.source!r}" if self.source else ""
        return f"WordVectors({len(self):,} words x {self.vector_size}{where})"

    def near_spellings(self, word: str, n: int = 3) -> list[str]:
        """Vocabulary words spelled like ``word`` (case variants first), for error messages."""
        vocab = self.kv.index_to_key
        lowered = word.lower()
        hits = [w for w in vocab[:200_000] if w.lower() == lowered and w != word][:n]
        pool = [w for w in vocab[:100_000] if abs(len(w) - len(word)) <= 2]
        for w in difflib.get_close_matches(word, pool, n=n, cutoff=0.75):
            if w not in hits:
                hits.append(w)
        return hits[:n]

    def indices(self, words: str | Iterable[str], what: str = "words") -> np.ndarray:
        """Vocabulary indices of ``words``.

        Raises
        ------
        InputError
            Empty input, or words not in the vocabulary: every missing word is listed with
            the nearest spellings the vocabulary has.
        """
        items = _as_list(words, what)
        if not items:
            raise InputError(f"no {what} given; pass at least one word")
        k2i = self.kv.key_to_index
        missing = [w for w in dict.fromkeys(items) if w not in k2i]
        if missing:
            parts = []
            for w in missing:
                near = self.near_spellings(w)
                parts.append(f"{w!r}" + (f" (did you mean {', '.join(map(repr, near))}?)" if near else ""))
            raise InputError(
                f"{len(missing)} of the {what} not in the vocabulary ({len(self)} words): " + "; ".join(parts)
            )
        return np.fromiter((k2i[w] for w in items), dtype=np.int64, count=len(items))

    def vector(self, word: str, *, norm: bool = False) -> np.ndarray:
        """The vector of one word (unit length when ``norm``)."""
        i = int(self.indices([word])[0])
        return self.engine.unit[i].copy() if norm else np.asarray(self.kv.vectors[i], dtype=np.float32)

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        i, j = self.indices([word1, word2])
        return float(self.engine.unit[i] @ self.engine.unit[j])

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Cosine similarities of many word pairs, in one pass."""
        if not pairs:
            raise InputError("no word pairs given")
        left = self.indices([p[0] for p in pairs])
        right = self.indices([p[1] for p in pairs])
        U = self.engine.unit
        cosines: np.ndarray = np.einsum("ij,ij->i", U[left], U[right])
        return cosines

    def distance(self, word1: str, word2: str) -> float:
        """Cosine distance ``1 - similarity`` of two words (gensim's ``distance``)."""
        return 1.0 - self.similarity(word1, word2)

    # -- candidates -------------------------------------------------------------------------
    def _candidates(
        self, restrict_vocab: int | None, candidates: Iterable[str] | None
    ) -> tuple[np.ndarray | int | None, np.ndarray | None]:
        """Return (engine candidates, position-of-index map or None for a prefix)."""
        if candidates is not None:
            if restrict_vocab is not None:
                raise ConfigError("give either restrict_vocab or candidates, not both")
            idx = np.unique(self.indices(candidates, "candidate words"))
            where = np.full(len(self), -1, np.int64)
            where[idx] = np.arange(idx.size)
            return idx, where
        if restrict_vocab is not None:
            if restrict_vocab < 1:
                raise ConfigError(f"restrict_vocab must be a positive number of words; got {restrict_vocab}")
            return min(int(restrict_vocab), len(self)), None
        return None, None

    @staticmethod
    def _positions(idx: np.ndarray, cand: np.ndarray | int | None, where: np.ndarray | None) -> np.ndarray:
        if where is not None:
            positions: np.ndarray = where[idx]
            return positions
        limit = cand if isinstance(cand, int) else None
        return idx if limit is None else np.where(idx < limit, idx, -1)

    def _pack(self, res_idx: np.ndarray, res_val: np.ndarray, topn: int) -> list[Scored]:
        keys = self.kv.index_to_key
        masked = -math.inf  # a Python float: comparing with np.inf would box every score
        out = []
        with _collector_paused():
            for row_i, row_v in zip(res_idx.tolist(), res_val.tolist(), strict=True):
                out.append([(keys[i], v) for i, v in zip(row_i, row_v, strict=True) if v > masked][:topn])
        return out

    # -- queries ----------------------------------------------------------------------------
    # a str is also an Iterable[str]; the first overload wins for it, as intended
    @overload
    def neighbors(  # type: ignore[overload-overlap]
        self,
        words: str,
        topn: int = ...,
        *,
        restrict_vocab: int | None = ...,
        candidates: Iterable[str] | None = ...,
    ) -> Scored: ...

    @overload
    def neighbors(
        self,
        words: Iterable[str],
        topn: int = ...,
        *,
        restrict_vocab: int | None = ...,
        candidates: Iterable[str] | None = ...,
    ) -> list[Scored]: ...

    def neighbors(
        self,
        words: str | Iterable[str],
        topn: int = 10,
        *,
        restrict_vocab: int | None = None,
        candidates: Iterable[str] | None = None,
    ) -> Scored | list[Scored]:
        """Nearest neighbours of many words at once, by cosine similarity.

        Parameters
        ----------
        words
            The query words, or a single word (``str``).
        topn
            Neighbours per word; the word itself is never returned.
        restrict_vocab
            Search only the first ``restrict_vocab`` words of the vocabulary.
        candidates
            Search only these words.

        Returns
        -------
        list of list of (str, float)
            One list per query word (a flat list for a single ``str``), best first: the same words as gensim's ``most_similar``,
            except that near ties (scores within :data:`~embedlab.words.engine.SCORE_TOLERANCE`
            of each other) may come in either order, or swap the last place, between CPU
            kernels, chunk sizes and libraries. Scores equal to the last bit come in
            vocabulary order.
        """
        if topn < 1:
            raise ConfigError(f"topn must be at least 1; got {topn}")
        idx = self.indices(words)
        cand, where = self._candidates(restrict_vocab, candidates)
        res = self.engine.search(
            "cosine",
            k=topn + 1,
            queries=self.engine.unit[idx],
            candidates=cand,
            exclude=self._positions(idx, cand, where)[:, None],
        )
        found = self._pack(res.indices, res.scores, topn)
        return found[0] if isinstance(words, str) else found

    def analogy(
        self,
        positive: str | Iterable[str],
        negative: str | Iterable[str] = (),
        topn: int = 10,
        method: str = "3cosadd",
        *,
        restrict_vocab: int | None = None,
        candidates: Iterable[str] | None = None,
        eps: float = 1e-3,
    ) -> Scored:
        """Answer one analogy: the words closest to ``positive - negative``.

        ``analogy(["woman", "king"], ["man"])`` asks *man : woman :: king : ?*.

        Parameters
        ----------
        positive, negative
            Words added and subtracted; the input words are never returned.
        method
            ``"3cosadd"``: cosine to the normalised sum of unit vectors (gensim's
            ``most_similar``). ``"3cosmul"``: Levy & Goldberg (2014), the product of the
            shifted cosines ``(1 + cos) / 2`` of the positive words divided by the product for
            the negative words plus ``eps``. ``"pairdistance"`` (Levy & Goldberg's
            PairDirection): ``cos(x - positive[1], positive[0] - negative[0])``; it takes
            exactly two positive words and one negative word.
        eps
            3CosMul's epsilon (Levy & Goldberg use 0.001; gensim's ``most_similar_cosmul``
            uses 1e-6).

        Returns
        -------
        list of (str, float)
            The ``topn`` best answers with their scores; near ties as in :meth:`neighbors`.
        """
        pos = _as_list(positive, "positive words")
        neg = _as_list(negative, "negative words")
        if not pos:
            raise InputError("an analogy needs at least one positive word")
        return self._analogy_batch([pos], [neg], topn, method, restrict_vocab, candidates, eps)[0]

    def analogies(
        self,
        questions: Sequence[Sequence[str]],
        topn: int = 1,
        method: str = "3cosadd",
        *,
        restrict_vocab: int | None = None,
        candidates: Iterable[str] | None = None,
        eps: float = 1e-3,
    ) -> list[Scored]:
        """Answer many analogies ``a : b :: c : ?`` at once (positive ``[b, c]``, negative ``[a]``).

        Parameters
        ----------
        questions
            ``(a, b, c)`` triples, e.g. ``("man", "woman", "king")``.

        Returns
        -------
        list of list of (str, float)
            The ``topn`` answers per question.
        """
        if not questions:
            raise InputError("no analogy questions given")
        for q in questions:
            if isinstance(q, str) or len(q) != 3:
                raise InputError(f"each analogy question is (a, b, c); got {q!r}")
        pos = [[q[1], q[2]] for q in questions]
        neg = [[q[0]] for q in questions]
        return self._analogy_batch(pos, neg, topn, method, restrict_vocab, candidates, eps)

    def _analogy_batch(
        self,
        pos: list[list[str]],
        neg: list[list[str]],
        topn: int,
        method: str,
        restrict_vocab: int | None,
        candidates: Iterable[str] | None,
        eps: float,
    ) -> list[Scored]:
        check_method(method)
        if topn < 1:
            raise ConfigError(f"topn must be at least 1; got {topn}")
        if method == "pairdistance" and any(
            len(p) != 2 or len(n) != 1 for p, n in zip(pos, neg, strict=True)
        ):
            raise InputError("pairdistance needs exactly two positive words and one negative word")
        if method == "3cosmul" and eps <= 0:
            raise ConfigError(f"eps must be positive; got {eps}")
        self.indices([w for p in pos for w in p] + [w for n in neg for w in n], "analogy words")
        widths = {(len(p), len(n)) for p, n in zip(pos, neg, strict=True)}
        if candidates is not None:
            candidates = list(candidates)
        if len(widths) > 1:  # ragged lists: answer one by one
            results: list[Scored] = []
            for p, n in zip(pos, neg, strict=True):
                results += self._analogy_batch([p], [n], topn, method, restrict_vocab, candidates, eps)
            return results
        cand, where = self._candidates(restrict_vocab, candidates)
        flat_pos = self.indices([w for p in pos for w in p], "analogy words").reshape(len(pos), -1)
        flat_neg = (
            self.indices([w for n in neg for w in n], "analogy words").reshape(len(neg), -1)
            if neg and neg[0]
            else np.zeros((len(pos), 0), np.int64)
        )
        inputs = np.concatenate([flat_pos, flat_neg], axis=1)
        res = self.engine.search(
            method,
            k=topn,
            pos=flat_pos,
            neg=flat_neg,
            candidates=cand,
            exclude=self._positions(inputs, cand, where),
            eps=eps,
        )
        return self._pack(res.indices, res.scores, topn)

    def formulations(self, w1: str, w2: str, w3: str, topn: int = 10) -> dict[str, Scored]:
        """The word exercise's two analogy formulations side by side.

        ``w1 + w2 - w3`` is ``most_similar(positive=[w1, w2], negative=[w3])``, the right one;
        ``w1 + w3 - w2`` swaps the roles of ``w2`` and ``w3``.
        """
        return {
            f"{w1} + {w2} - {w3}": self.analogy([w1, w2], [w3], topn),
            f"{w1} + {w3} - {w2}": self.analogy([w1, w3], [w2], topn),
        }

    def doesnt_match(self, words: Iterable[str]) -> str:
        """The word farthest from the mean of the others' unit vectors (gensim's ``doesnt_match``)."""
        items = _as_list(words, "words")
        if len(items) < 2:
            raise InputError(f"doesnt_match needs at least two words; got {items!r}")
        idx = self.indices(items)
        U = self.engine.unit[idx]
        mean = U.mean(axis=0)
        mean /= np.linalg.norm(mean) or 1.0
        return items[int(np.argmin(U @ mean))]

    def distance_table(self, main: str, near: Iterable[str], far: Iterable[str]) -> pd.DataFrame:
        """Cosine distances from ``main`` to words that should be near and words that should be far.

        Returns
        -------
        pandas.DataFrame
            One row per word: ``main``, ``word``, ``group`` (``near``/``far``), ``similarity``,
            ``distance``; sorted by distance. ``df.attrs["far_is_farther"]`` says whether every
            far word is farther than every near word.
        """
        import pandas as pd

        near_l, far_l = _as_list(near, "near words"), _as_list(far, "far words")
        if not near_l and not far_l:
            raise InputError("give at least one near or far word")
        words = near_l + far_l
        sims = self.similarities([(main, w) for w in words])
        df = pd.DataFrame(
            {
                "main": main,
                "word": words,
                "group": ["near"] * len(near_l) + ["far"] * len(far_l),
                "similarity": sims.astype(float),
                "distance": (1.0 - sims).astype(float),
            }
        ).sort_values("distance", kind="stable", ignore_index=True)
        if near_l and far_l:
            near_max = df.loc[df.group == "near", "distance"].max()
            far_min = df.loc[df.group == "far", "distance"].min()
            df.attrs["far_is_farther"] = bool(far_min > near_max)
        return df

    # -- evaluation and diagnosis -----------------------------------------------------------
    def evaluate_analogies(self, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> AnalogyResult:
        """Accuracy on an analogy file; see :func:`embedlab.words.evaluation.evaluate_analogies`."""
        from embedlab.words.evaluation import evaluate_analogies

        return evaluate_analogies(self, path, **kwargs)

    def evaluate_similarity(
        self, path: str | os.PathLike[str] | None = None, **kwargs: Any
    ) -> SimilarityResult:
        """Correlation with human judgements; see :func:`embedlab.words.evaluation.evaluate_similarity`."""
        from embedlab.words.evaluation import evaluate_similarity

        return evaluate_similarity(self, path, **kwargs)

    def diagnose_analogy(
        self, a: str, b: str, c: str, expected: Iterable[str] | str, **kwargs: Any
    ) -> AnalogyDiagnosis:
        """Why ``a : b :: c : ?`` fails; see :func:`embedlab.words.diagnosis.diagnose_analogy`."""
        from embedlab.words.diagnosis import diagnose_analogy

        return diagnose_analogy(self, a, b, c, expected, **kwargs)


def from_params(
    source: str = "default",
    trusted: bool = False,
    limit: int | None = None,
    download: bool = True,
    device: str = "auto",
    format: str = "auto",
) -> WordVectors:
    """Factory of the ``gensim`` backend: :meth:`WordVectors.load` with the validated params."""
    return WordVectors.load(
        source, trusted=trusted, format=format, limit=limit, download=download, device=device
    )
