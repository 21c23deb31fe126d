"""Batched similarity search over one pre-normalised float32 matrix.

Every query kind (neighbours, the three analogy methods, evaluation) reduces to: score a
chunk of queries against the candidate rows with matrix products, mask the input words,
then take the top ``k`` and, optionally, the rank of a gold answer. Chunks are sized so a
score matrix never holds more than ``chunk_elements`` floats. On CPU the work runs in
numpy, the CPU's threads each taking the next chunk of queries and scoring and reducing it
with single-threaded products; when the device is a GPU it runs in torch. Large cosine
and 3CosAdd searches on a CPU with native bfloat16 go through
:class:`~embedlab.words.screen.Screen`, which returns the same top ``k`` faster.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from embedlab.errors import ConfigError
from embedlab.threads import blas_in_caller, cpu_threads, on_threads, torch_in_caller, torch_threads
from embedlab.words.screen import Screen, masked_entries

__all__ = ["Engine", "SearchResult", "unit_rows", "METHODS", "SCORE_TOLERANCE", "check_method"]

logger = logging.getLogger(__name__)

Method = Literal["cosine", "3cosadd", "3cosmul", "pairdistance"]
METHODS: tuple[str, ...] = ("3cosadd", "3cosmul", "pairdistance")


def check_method(method: str) -> None:
    """Raise :class:`~embedlab.errors.ConfigError` unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise ConfigError(f"analogy method {method!r} is unknown; choose one of {', '.join(METHODS)}")


#: How closely the scores of one pair agree, relative to ``max(1, |score|)``, when computed by
#: different float32 products: CPU kernels (AVX2, AVX-512), chunk sizes, numpy and torch, gensim.
#: Sums of ``d`` products of unit rows differ by about ``sqrt(d) * 2**-24`` in practice (at most
#: ``d * 2**-24``); identical rows can differ too, by their place in a product. Answers whose
#: scores are this close are near ties: they may come in either order.
SCORE_TOLERANCE = 1e-5
#: Striped blocks per level of the top-k search (see ``_topk_numpy``), finest level first.
_STRIPES = (8, 16, 16)
#: Rows counted at a time when ranks are asked for (see ``_reduce_rows``).
_RANK_ROWS = 4
#: Fewest query rows per thread worth a thread of their own.
_MIN_THREAD_ROWS = 8
#: Multiply-adds from which the bfloat16 screen pays: in one search with torch loaded, and over
#: a session's searches with torch still to import (its import time, which the faster products
#: must win back). ``benchmarks/words.py`` sizes both; figures in the docs' performance page.
_SCREEN_WORK = {True: 2**32, False: 2**38}
#: Most query rows per screened chunk (a tile of their scores stays in cache); the chunk's
#: bfloat16 scores also stay within ``chunk_elements``.
_SCREEN_ROWS = 256


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Return float32 rows scaled to unit length (all-zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    safe = np.where(norms > 0, norms, 1.0).astype(np.float32)
    return vectors / safe[:, None]


@dataclass(frozen=True)
class SearchResult:
    """The outcome of a batched search.

    Attributes
    ----------
    indices, scores
        ``(Q, k)`` vocabulary indices and scores of the best candidates, best first.
    ranks
        ``(Q,)`` 1-based rank of the gold answer among the unmasked candidates; ``0`` where
        no gold was given or it is not a candidate. ``None`` when ranks were not asked for.
    probes
        ``(Q, M)`` scores of the probed candidates before masking (``nan`` where absent), or ``None``.
    """

    indices: np.ndarray
    scores: np.ndarray
    ranks: np.ndarray | None = None
    probes: np.ndarray | None = None


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """Column indices ``(n, k)`` of the ``k`` largest entries of every row, unordered."""
    width = values.shape[1]
    return np.argpartition(values, width - k, axis=1)[:, width - k :]


def _members(blocks: np.ndarray, stripes: int, total: int) -> np.ndarray:
    """The columns of the striped blocks ``blocks`` of a ``total``-column level: see :func:`_topk_numpy`."""
    width = total // stripes
    members = (blocks[:, :, None] + width * np.arange(stripes)).reshape(len(blocks), -1)
    if width * stripes < total:  # the columns past the last full stripe are always candidates
        tail = np.broadcast_to(np.arange(width * stripes, total), (len(blocks), total - width * stripes))
        members = np.concatenate([members, tail], axis=1)
    return members


def _level_width(columns: int, stripes: int, k: int) -> int:
    """Width of the level of block maxima above ``columns``, or 0 where the search stops."""
    width = columns // stripes
    return width if width >= 8 * k else 0


def _block_maxima(below: np.ndarray, stripes: int, width: int, out: np.ndarray | None = None) -> np.ndarray:
    """Maxima of the striped blocks of ``below``'s rows: see :func:`_topk_numpy`."""
    n = below.shape[0]
    return np.max(below[:, : width * stripes].reshape(n, stripes, width), axis=1, out=out)


def _topk_numpy(S: np.ndarray, k: int, first: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k per row, best first, without a full partition of every row.

    The columns are grouped into *striped* blocks (with ``w = V // G``, block ``j`` holds
    columns ``j, j + w, j + 2w, ...``), so the maxima of all blocks are an element-wise
    maximum of ``G`` contiguous slices: one fast vectorised pass over the row. The top ``k``
    entries of a row lie in the ``k`` blocks with the largest maxima (a better entry outside
    them would need ``k`` better blocks), and the same holds for blocks of block maxima, so
    the search descends from a few hundred top-level maxima to ``k * G`` entries per level.
    ``first`` is the first level of maxima when the caller has already taken it.
    """
    n, V = S.shape
    k = min(k, V)
    if k == 1:
        idx = S.argmax(axis=1)[:, None]
    else:
        levels = [S] if first is None else [S, first]
        for stripes in _STRIPES[len(levels) - 1 :]:
            width = _level_width(levels[-1].shape[1], stripes, k)
            if not width:
                break
            levels.append(_block_maxima(levels[-1], stripes, width))
        idx = _largest(levels[-1], k)
        for depth in range(len(levels) - 1, 0, -1):
            below = levels[depth - 1]
            cols = _members(idx, _STRIPES[depth - 1], below.shape[1])
            idx = np.take_along_axis(cols, _largest(np.take_along_axis(below, cols, axis=1), k), axis=1)
    return _best_first(idx, np.take_along_axis(S, idx, axis=1))


def _best_first(idx: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row's ``k`` results best first, scores that are bit-equal in vocabulary order."""
    order = np.lexsort((idx, -vals), axis=1)
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)


def _gpu_possible() -> bool:
    """Whether a GPU may be present, checked without importing torch (which costs seconds)."""
    import glob
    import sys

    if "torch" in sys.modules:
        return bool(sys.modules["torch"].cuda.is_available())
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in {"", "-1"}:
        return False
    return bool(glob.glob("/dev/nvidia[0-9]*") or glob.glob("/dev/dxg"))


def _unit(x: Any) -> Any:
    """Scale the rows of a numpy array or torch tensor to unit length (zero rows stay zero)."""
    norms = ((x * x).sum(1) ** 0.5)[:, None]
    norms[norms == 0] = 1.0
    return x / norms


def _screen_pays(work: int, before: int = 0) -> bool:
    """Whether a search of ``work`` multiply-adds should go through the bfloat16 screen.

    ``before`` is the work of the earlier searches the screen could have taken. With torch
    still to import, the screen waits until that work and this search's reach the import's
    worth (as one rents skis until the rent paid would have bought them), so a session of
    many searches pays for the import once and a single small one never does.
    """
    loaded = "torch" in sys.modules
    if work < _SCREEN_WORK[True] or (not loaded and before + work < _SCREEN_WORK[False]):
        return False
    from embedlab.device import cpu_has_native_bf16

    return cpu_has_native_bf16()


def _reduce_rows(
    S: np.ndarray, k: int, gscore: np.ndarray | None, buffers: dict[int, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Top ``k`` per row of ``S`` and, given ``gscore``, the count of scores above it."""
    if gscore is None:
        return (*_topk_numpy(S, k), None)
    n, V = S.shape
    k = min(k, V)
    width = _level_width(V, _STRIPES[0], k) if k > 1 else 0
    first = np.empty((n, width), S.dtype) if width else None
    best = np.empty(n, np.int64) if k == 1 else None
    flags = buffers.get(-1)
    if flags is None or flags.shape[1] != V:
        flags = buffers[-1] = np.empty((_RANK_ROWS, V), bool)
    greater = np.empty(n, np.int64)
    # Counting and the top k's first pass both read every score: a few rows at a time, the
    # second pass finds them in cache (and the flags never leave it).
    for r in range(0, n, _RANK_ROWS):
        rows = S[r : r + _RANK_ROWS]
        m = len(rows)
        np.greater(rows, gscore[r : r + m, None], out=flags[:m])
        for i in range(m):  # a row at a time: count_nonzero(axis=1) sums bytes, several times slower
            greater[r + i] = np.count_nonzero(flags[i])
        if best is not None:
            best[r : r + m] = rows.argmax(axis=1)
        elif first is not None:
            _block_maxima(rows, _STRIPES[0], width, out=first[r : r + m])
    if best is None:
        return (*_topk_numpy(S, k, first), greater)
    idx = best[:, None]
    return idx, np.take_along_axis(S, idx, axis=1), greater


class Engine:
    """Batched scoring over the unit-normalised rows of a vectors matrix.

    Parameters
    ----------
    vectors
        ``(V, d)`` raw vectors; they are normalised once, to float32.
    device
        ``"auto"`` (a GPU when torch sees one, else numpy on CPU), ``"cpu"`` or ``"cuda[:N]"``;
        a ``torch.device`` object runs torch on that device, even a CPU.
    chunk_elements
        Largest score matrix held at once, in floats; ``None`` picks 2**26 on CPU
        (256 MB: smaller products run below the CPU's peak), 2**27 on GPU.
    screen
        Whether cosine and 3CosAdd searches on the CPU (without gold answers or probes) go
        through the bfloat16 :class:`~embedlab.words.screen.Screen`: ``None`` (default) when
        it pays (large searches, on a CPU with native bfloat16), ``True`` always, ``False``
        never. The results are the same either way.
    """

    def __init__(
        self,
        vectors: np.ndarray,
        device: Any = "auto",
        chunk_elements: int | None = None,
        screen: bool | None = None,
    ) -> None:
        self.unit = unit_rows(vectors)
        self.screen = screen
        self._device_spec = device
        self._device: Any = None
        self._torch_unit: Any = None
        self._screen: Screen | None = None
        self._screenable = 0  # multiply-adds of the searches the screen could have taken
        self._chunk_elements = chunk_elements

    # -- device -----------------------------------------------------------------------------
    @property
    def device(self) -> Any:
        """The torch device used, or ``None`` when numpy on CPU does the work."""
        if self._device is None:
            self._device = self._resolve()
        return self._device if self._device != "numpy" else None

    def _resolve(self) -> Any:
        spec = self._device_spec
        if isinstance(spec, str) and (spec == "cpu" or (spec == "auto" and not _gpu_possible())):
            return "numpy"
        from embedlab.device import resolve_device

        dev = resolve_device(spec)
        if not isinstance(spec, str):  # an explicit torch.device runs torch, even on CPU
            return dev
        return "numpy" if dev.type == "cpu" else dev

    @property
    def backend(self) -> str:
        """``"numpy"`` or ``"torch"``."""
        return "numpy" if self.device is None else "torch"

    def _matrix(self) -> Any:
        if self.device is None:
            return self.unit
        if self._torch_unit is None:
            import torch

            self._torch_unit = torch.from_numpy(self.unit).to(self.device)
        return self._torch_unit

    def _array(self, a: np.ndarray) -> Any:
        if self.device is None:
            return a
        import torch

        return torch.as_tensor(a).to(self.device)

    def _numpy(self, a: Any) -> np.ndarray:
        return a if isinstance(a, np.ndarray) else a.cpu().numpy()

    def _rows_per_chunk(self, n_candidates: int, factor: int = 1) -> int:
        budget = self._chunk_elements or (2**26 if self.device is None else 2**27)
        return max(1, budget // max(1, n_candidates * factor))

    def _screened(self, work: int, k: int, n_cand: int, candidates: Any) -> Screen | None:
        """The bfloat16 screen for a search of ``work`` multiply-adds, or ``None``."""
        if self.device is not None or self.screen is False or k * 128 > n_cand:
            return None  # the screen needs k block maxima among n_cand / 128
        if candidates is not None and not isinstance(candidates, (int, np.integer)):
            return None
        before, self._screenable = self._screenable, self._screenable + work
        if self.screen is None and not _screen_pays(work, before):
            return None
        if self._screen is None:
            self._screen = Screen(self.unit)
        return self._screen

    # -- scoring ----------------------------------------------------------------------------
    def _candidates(self, candidates: np.ndarray | int | None) -> Any:
        U = self._matrix()
        if candidates is None:
            return U
        if isinstance(candidates, (int, np.integer)):
            return U[: int(candidates)]
        return U[self._array(np.asarray(candidates, dtype=np.int64))]

    def _mm(self, a: Any, Uc: Any, slot: int, buffers: dict[int, Any] | None) -> Any:
        """``a @ Uc.T``, written into a reused buffer on CPU (fresh 64 MB arrays cost page faults)."""
        if buffers is None or self.device is not None:
            return a @ Uc.T
        rows = a.shape[0]
        buf = buffers.get(slot)
        if buf is None or buf.shape[0] < rows:
            buf = buffers[slot] = np.empty((rows, Uc.shape[0]), np.float32)
        out = buf[:rows]
        np.matmul(a, Uc.T, out=out)
        return out

    def _offset_queries(self, pos: np.ndarray, neg: np.ndarray) -> Any:
        """3CosAdd's unit query vectors: the sum of the ``pos`` rows less the ``neg`` rows."""
        U = self._matrix()
        q = U[self._array(pos)].sum(axis=1)
        if neg.shape[1]:
            q = q - U[self._array(neg)].sum(axis=1)
        return _unit(q)

    def _scores(
        self,
        method: str,
        Uc: Any,
        pos: np.ndarray,
        neg: np.ndarray,
        queries: np.ndarray | None,
        eps: float,
        buffers: dict[int, Any] | None = None,
    ) -> Any:
        U = self._matrix()
        if method == "cosine":
            if queries is None:
                raise ValueError("method 'cosine' scores query vectors; pass queries")
            return self._mm(self._array(queries), Uc, 0, buffers)
        if method == "3cosadd":
            return self._mm(self._offset_queries(pos, neg), Uc, 0, buffers)
        if method == "3cosmul":
            # in place, in at most three score-sized buffers
            def shifted(idx: np.ndarray, slot: int) -> Any:
                term = self._mm(U[self._array(idx)], Uc, slot, buffers)
                term += 1.0
                term *= 0.5
                return term

            num = shifted(pos[:, 0], 0)
            for j in range(1, pos.shape[1]):
                num *= shifted(pos[:, j], 1)
            if not neg.shape[1]:
                return num
            den = shifted(neg[:, 0], 2)
            for j in range(1, neg.shape[1]):
                den *= shifted(neg[:, j], 1)
            den += eps
            num /= den
            return num
        if method == "pairdistance":
            # cos(x - c, b - a) with positive = [b, c], negative = [a]
            a, b, c = U[self._array(neg[:, 0])], U[self._array(pos[:, 0])], U[self._array(pos[:, 1])]
            d = _unit(b - a)
            xd = self._mm(d, Uc, 0, buffers)
            xd -= (c * d).sum(1)[:, None]
            dist = self._mm(c, Uc, 1, buffers)  # |x - c|^2 = 2 - 2 x.c for unit vectors
            dist *= -2.0
            dist += 2.0
            dist[dist < 1e-12] = 1e-12
            xd /= dist**0.5
            return xd
        raise ValueError(f"unknown method {method!r}")

    def score_all(self, method: str, pos: np.ndarray, neg: np.ndarray, *, eps: float = 1e-3) -> np.ndarray:
        """Scores of every vocabulary word for a few queries, ``(Q, V)`` numpy (no masking)."""
        pos = np.asarray(pos, np.int64)
        neg = np.asarray(neg, np.int64).reshape(len(pos), -1)
        return self._numpy(self._scores(method, self._matrix(), pos, neg, None, eps))

    def search(
        self,
        method: str,
        *,
        k: int,
        pos: np.ndarray | None = None,
        neg: np.ndarray | None = None,
        queries: np.ndarray | None = None,
        candidates: np.ndarray | int | None = None,
        exclude: np.ndarray | None = None,
        gold: np.ndarray | None = None,
        probe: np.ndarray | None = None,
        eps: float = 1e-3,
        progress: Any = None,
    ) -> SearchResult:
        """Score every query against the candidates in chunks; return the top ``k`` per query.

        Parameters
        ----------
        method
            ``"cosine"`` (``queries`` are unit vectors), ``"3cosadd"``, ``"3cosmul"`` or
            ``"pairdistance"`` (``pos``/``neg`` are ``(Q, P)``/``(Q, N)`` vocabulary indices).
        k
            How many best candidates to return per query.
        candidates
            ``None`` (the whole vocabulary), an int (the first ``n`` rows) or an index array.
        exclude, gold, probe
            Candidate *positions* (``-1`` for none): ``(Q, E)`` masked out, ``(Q,)`` whose rank is
            returned, ``(Q, M)`` whose scores before masking are returned.
        eps
            The 3CosMul denominator's epsilon.
        progress
            A tqdm bar updated with the number of queries done, or ``None``.
        """
        if queries is not None:
            n_queries = len(queries)
        elif pos is not None:
            n_queries = len(pos)
        else:
            raise ValueError("search needs queries or pos")
        pos = np.zeros((n_queries, 0), np.int64) if pos is None else np.asarray(pos, np.int64)
        neg = np.zeros((n_queries, 0), np.int64) if neg is None else np.asarray(neg, np.int64)
        Uc = self._candidates(candidates)
        n_cand = int(Uc.shape[0])
        k = max(1, min(k, n_cand))
        factor = {"3cosmul": 3, "pairdistance": 2}.get(method, 1)
        step = self._rows_per_chunk(n_cand, factor)
        out_idx = np.empty((n_queries, k), np.int64)
        out_val = np.empty((n_queries, k), np.float32)
        ranks = np.zeros(n_queries, np.int64) if gold is not None else None
        probes = np.full((n_queries, probe.shape[1]), np.nan, np.float32) if probe is not None else None

        screen = (
            self._screened(n_queries * n_cand * self.unit.shape[1], k, n_cand, candidates)
            if method in ("cosine", "3cosadd") and gold is None and probe is None
            else None
        )
        limit = int(candidates) if isinstance(candidates, (int, np.integer)) else None
        bar = threading.Lock()

        def exact(rows: slice | np.ndarray, buffers: dict[int, Any]) -> None:
            """Score the query rows ``rows`` in float32 and reduce them into the outputs."""
            S = self._scores(
                method, Uc, pos[rows], neg[rows], None if queries is None else queries[rows], eps, buffers
            )
            local = np.arange(S.shape[0])
            if probe is not None and probes is not None:
                p = probe[rows]
                ok = p >= 0
                part = np.full(p.shape, np.nan, np.float32)
                part[ok] = self._numpy(
                    S[self._array(local[:, None].repeat(p.shape[1], 1)[ok]), self._array(p[ok])]
                )
                probes[rows] = part
            if exclude is not None and exclude.size:
                r, c = masked_entries(exclude[rows])
                S[self._array(r), self._array(c)] = -np.inf
            gscore = None
            if gold is not None:
                g = gold[rows]
                has = g >= 0
                gscore = S[self._array(local), self._array(np.where(has, g, 0))]
            if self.device is None:
                idx, val, greater = _reduce_rows(S, k, gscore, buffers)
            else:
                val_t, idx_t = S.topk(k, dim=1)
                idx, val = _best_first(self._numpy(idx_t), self._numpy(val_t))
                greater = None if gscore is None else self._numpy((S > gscore[:, None]).sum(dim=1))
            if greater is not None and ranks is not None:
                r = greater + 1
                r[~(has & np.isfinite(self._numpy(gscore)))] = 0
                ranks[rows] = r
            out_idx[rows], out_val[rows] = idx, val

        def chunk(sl: slice, buffers: dict[int, Any]) -> None:
            if screen is None:
                exact(sl, buffers)
            else:
                ex = None if exclude is None else exclude[sl]
                qv = (
                    queries[sl]
                    if method == "cosine" and queries is not None
                    else self._offset_queries(pos[sl], neg[sl])
                )
                out_idx[sl], out_val[sl], screened = screen.topk(qv, k, ex, limit, buffers)
                if not screened.all():
                    exact(sl.start + np.flatnonzero(~screened), buffers)
            if progress is not None:
                with bar:  # a bar's count is not safe to update from several threads at once
                    progress.update(sl.stop - sl.start)

        def drain() -> None:
            """Score and reduce chunks from ``starts`` until none is left."""
            buffers: dict[int, Any] = {}
            while True:
                try:
                    a = starts.get_nowait()
                except queue.Empty:
                    return
                chunk(slice(a, min(a + step, n_queries)), buffers)

        threads = min(cpu_threads() if self.device is None else 1, n_queries // _MIN_THREAD_ROWS)
        step = min(_SCREEN_ROWS, step) if screen is not None else max(1, step // max(threads, 1))
        starts: queue.SimpleQueue[int] = queue.SimpleQueue()
        for a in range(0, n_queries, step):
            starts.put(a)
        if threads > 1:
            # Each thread takes the next chunk when it is free, and scores and reduces it with
            # products on its own core: a product on BLAS's own threads leaves them spinning
            # over the reduction that follows it.
            with blas_in_caller(), torch_in_caller(screen is not None):
                on_threads(drain, threads)
        else:
            with torch_threads(step * n_cand * self.unit.shape[1]):
                drain()
        if candidates is not None and not isinstance(candidates, (int, np.integer)):
            out_idx = np.asarray(candidates, dtype=np.int64)[out_idx]
        return SearchResult(out_idx, out_val, ranks, probes)
