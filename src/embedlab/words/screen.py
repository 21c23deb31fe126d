"""Exact top-k cosine search through a bfloat16 screen.

On a CPU that computes bfloat16 natively (AVX512-BF16 or AMX), a bfloat16 matrix product runs
about twice as fast as a float32 one. :class:`Screen` scores every candidate in bfloat16, keeps
those whose screened score could still be among a row's best ``k`` given bfloat16's error
bound, :func:`delta`, and rescores only those in float32. So it returns what the float32 search
returns, the same words with float32 scores (up to near ties: the rescoring sums in another order
than a matrix product, see :data:`~embedlab.words.engine.SCORE_TOLERANCE`), while the full-size
product runs at bfloat16 speed.

The products run tile by tile (:data:`TILE` candidates each), so every tile's scores are still
in cache when the first level of block maxima is taken from them. bfloat16 scores are read as
int16 (same bits): for non-negative scores the integer order is the float order, and the
screen only uses thresholds above zero. A row whose threshold is not above zero is reported
back, and the caller searches it in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["TILE", "Screen", "delta", "masked_entries"]

_U = 2.0**-8  # bfloat16's unit roundoff


def delta(dim: int) -> float:
    """Bound on the gap between a screened score and the float32 score of the same pair.

    For rows of length at most one, with u = 2⁻⁸: rounding the two inputs to bfloat16 (2u + u²,
    by Cauchy-Schwarz), rounding the output (2u times a score of at most (1 + u)², whatever
    the rounding mode) and the float32 sums of ``dim`` terms on both sides (``dim`` · 2⁻²⁴
    times at most (1 + u)² each): 4u + 5u² + 2 · ``dim`` · 2⁻²⁴ and smaller terms, inside the
    slack of the terms written below.
    """
    return 4 * _U + 8 * _U * _U + 3 * dim * 2.0**-24


#: Candidates per product: a tile of a few hundred query rows stays in the CPU's L2 and L3.
TILE = 4096
#: Stripes per level of block maxima inside a tile (see ``engine._topk_numpy``).
_STRIPES = (8, 16)
#: The int16 key below every score: masked candidates get it.
_LOWEST = np.int16(-32768)


def _float_of(keys: np.ndarray) -> np.ndarray:
    """The float32 values of bfloat16 bit patterns held as int16."""
    return (keys.astype(np.int32) << 16).view(np.float32)


def _key_below(values: np.ndarray) -> np.ndarray:
    """For positive float32 values: the int16 key of the largest bfloat16 not above each."""
    return (values.astype(np.float32).view(np.int32) >> 16).astype(np.int16)


class Screen:
    """A bfloat16 copy of unit candidate rows, padded with zero rows to whole tiles.

    Parameters
    ----------
    unit
        ``(V, d)`` float32 rows of length one (or zero); kept for the exact rescoring.
    """

    def __init__(self, unit: np.ndarray) -> None:
        import torch

        V, d = unit.shape
        self.unit = unit
        self.tiles = -(-V // TILE)
        self.matrix = torch.zeros(self.tiles * TILE, d, dtype=torch.bfloat16)
        self.matrix[:V] = torch.from_numpy(unit)

    def topk(
        self,
        queries: np.ndarray,
        k: int,
        exclude: np.ndarray | None = None,
        limit: int | None = None,
        buffers: dict[int, Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best ``k`` candidates of each query by float32 cosine, best first.

        Parameters
        ----------
        queries
            ``(n, d)`` float32 rows of length at most one.
        k
            Candidates per row, at most the unmasked candidates.
        exclude
            ``(n, E)`` candidate indices never returned (``-1`` for none), or ``None``.
        limit
            Search only the first ``limit`` candidates (``None``: all).
        buffers
            Arrays reused from call to call by one thread (under the key ``-2``).

        Returns
        -------
        indices : numpy.ndarray
            ``(n, k)`` candidates, best first, exact ties in index order.
        scores : numpy.ndarray
            ``(n, k)`` their float32 scores.
        done : numpy.ndarray
            ``(n,)`` the rows answered. The others (a cut not above zero, which the int16
            order cannot screen) hold garbage and must be searched in float32.
        """
        import torch

        n = len(queries)
        limit = len(self.unit) if limit is None else limit
        tiles = -(-limit // TILE)
        g1, g2 = _STRIPES
        w1, w2 = TILE // g1, TILE // g1 // g2
        buffers = {} if buffers is None else buffers
        if -2 not in buffers or buffers[-2][0].shape[1] < n:
            buffers[-2] = (
                torch.empty(self.tiles, n, TILE, dtype=torch.bfloat16),
                torch.empty(self.tiles, n, w1, dtype=torch.int16),
                torch.empty(self.tiles, n, w2, dtype=torch.int16),
            )
        whole = buffers[-2]
        scores, first, second = (b[:tiles, :n] for b in whole)
        keys = scores.view(torch.int16)
        ex_rows, ex_cols = masked_entries(exclude)
        ex_tile = ex_cols // TILE
        qb = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32)).to(torch.bfloat16)
        for i in range(tiles):
            torch.mm(qb, self.matrix[i * TILE : (i + 1) * TILE].T, out=scores[i])
            tile = keys[i].numpy()
            hit = ex_tile == i
            tile[ex_rows[hit], ex_cols[hit] - i * TILE] = _LOWEST
            if (i + 1) * TILE > limit:
                tile[:, limit - i * TILE :] = _LOWEST
            # The block maxima while the tile is in cache (torch's int16 max is the faster).
            torch.amax(keys[i].view(n, g1, w1), dim=1, out=first[i])
            torch.amax(first[i].view(n, g2, w2), dim=1, out=second[i])
        # The k-th best block maximum is at most the k-th best score: k blocks hold a score at
        # least that high. Every true top-k score is screened at or above it less 2 * delta.
        blocks = second.numpy().transpose(1, 0, 2).reshape(n, -1)
        kth = np.partition(blocks, blocks.shape[1] - k, axis=1)[:, blocks.shape[1] - k]
        floor = _float_of(kth) - np.float32(2 * delta(queries.shape[1]))
        done = floor > 0
        cut = np.where(done, _key_below(np.maximum(floor, np.float32(1e-30))), np.int16(32767))
        # Descend from the second level of maxima to the scores at or above each row's cut.
        t, r, b = np.nonzero(second.numpy() >= cut[None, :, None])
        t, r, b = _above(whole[1].numpy(), cut, t, r, b[:, None] + w2 * np.arange(g2))
        t, r, c = _above(whole[0].view(torch.int16).numpy(), cut, t, r, b[:, None] + w1 * np.arange(g1))
        cols = t * TILE + c
        exact = np.einsum("ij,ij->i", np.take(queries, r, axis=0), np.take(self.unit, cols, axis=0))
        order = np.lexsort((cols, -exact, r))
        cols, exact = cols[order], exact[order]
        counts = np.bincount(r, minlength=n)
        done &= counts >= k
        if not done.any():
            return np.zeros((n, k), np.int64), np.zeros((n, k), np.float32), done
        starts = np.cumsum(counts) - counts
        at = np.where(done, starts, 0)[:, None] + np.arange(k)  # rows not done read any k entries
        return cols[at], exact[at], done


def masked_entries(exclude: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows and candidate indices of the entries of ``exclude`` (``-1`` marks none)."""
    if exclude is None or not exclude.size:
        empty = np.zeros(0, np.int64)
        return empty, empty
    rows, slots = np.nonzero(exclude >= 0)
    return rows, exclude[rows, slots].astype(np.int64)


def _above(
    level: np.ndarray, cut: np.ndarray, t: np.ndarray, r: np.ndarray, members: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``members`` (a row of positions per ``(t, r)``) of ``level[t, r]`` at or above ``cut[r]``.

    ``level`` is a whole ``(tiles, rows, width)`` buffer, read through flat offsets (one
    gather instead of three index arrays).
    """
    _, rows, width = level.shape
    got = np.take(level.reshape(-1), ((t * rows + r) * width)[:, None] + members)
    i, j = np.nonzero(got >= cut[r][:, None])
    return t[i], r[i], members[i, j]
