"""Retrieval metrics for embeddings: precision@k, recall@k, R-precision, MAP@R, MRR.

Neighbours are found in torch, a chunk of queries at a time, so memory stays bounded by
``chunk × references`` whatever the number of queries, and the work runs on the GPU when
there is one. The definitions follow PyTorch Metric Learning's ``AccuracyCalculator``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from embedlab.errors import InputError

if TYPE_CHECKING:
    import torch

__all__ = ["Retrieval", "nearest_neighbors", "retrieval"]

#: Upper bound on the elements of one chunk's distance matrix (64 MiB in float32).
_CHUNK_ELEMENTS = 1 << 24


def _as_tensor(x: Any, name: str, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    import torch

    t = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    t = t.to(device=device, dtype=dtype)
    if dtype.is_floating_point:
        if t.ndim != 2:
            raise InputError(f"{name} must be a 2-D (N, dim) array of embeddings; got shape {tuple(t.shape)}")
        if not torch.isfinite(t).all():
            raise InputError(f"{name} holds NaN or infinite values; check the model that produced them")
    elif t.ndim != 1:
        raise InputError(f"{name} must be a 1-D array of integer labels; got shape {tuple(t.shape)}")
    return t


def _neighbor_chunks(
    query: torch.Tensor,
    reference: torch.Tensor,
    k: torch.Tensor,
    *,
    exclude_self: bool,
    distance: str,
    chunk_size: int | None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(rows, indices)`` per chunk of queries: the query rows of the chunk and, for each,
    its ``max(k[rows])`` nearest references, nearest first.

    Queries are taken in increasing order of ``k``, so a chunk asks only as many neighbours as
    its own queries need (with imbalanced classes most chunks need far fewer than the largest
    class). Only one chunk's distances exist at a time.
    """
    import torch

    if distance == "cosine":
        query = torch.nn.functional.normalize(query, dim=1)
        reference = torch.nn.functional.normalize(reference, dim=1)
    elif distance != "euclidean":
        raise InputError(f"unknown distance {distance!r}; use 'euclidean' or 'cosine'")
    n_ref = reference.shape[0]
    step = chunk_size or max(1, _CHUNK_ELEMENTS // max(n_ref, 1))
    ref_sq = (reference * reference).sum(dim=1).unsqueeze(0)
    ref_t = reference.T
    order = torch.argsort(k, stable=True)
    for start in range(0, query.shape[0], step):
        rows = order[start : start + step]
        # ‖q‖² is constant per row, so ranking needs only ‖r‖² − 2 q·r.
        scores = torch.addmm(ref_sq, query[rows], ref_t, alpha=-2.0)
        if exclude_self:
            scores[torch.arange(len(rows), device=scores.device), rows] = float("inf")
        k_chunk = int(k[rows[-1]].item())
        yield rows, scores.topk(k_chunk, dim=1, largest=False).indices
        del scores


def nearest_neighbors(
    query: torch.Tensor,
    reference: torch.Tensor,
    k: int,
    *,
    exclude_self: bool = False,
    distance: Literal["euclidean", "cosine"] = "euclidean",
    chunk_size: int | None = None,
) -> torch.Tensor:
    """Indices of the ``k`` nearest references of every query, nearest first.

    Parameters
    ----------
    query, reference
        Float tensors ``(Nq, d)`` and ``(Nr, d)`` on the same device.
    k
        Neighbours per query.
    exclude_self
        ``query`` is ``reference``: a point is never its own neighbour (leave-one-out).
    distance
        ``"euclidean"`` or ``"cosine"``.
    chunk_size
        Queries per chunk; by default sized so a chunk's distances take at most 64 MiB.

    Returns
    -------
    torch.Tensor
        LongTensor ``(Nq, k)``.
    """
    import torch

    out = torch.empty((query.shape[0], k), dtype=torch.long, device=query.device)
    ks = torch.full((query.shape[0],), k, dtype=torch.long, device=query.device)
    for rows, idx in _neighbor_chunks(
        query, reference, ks, exclude_self=exclude_self, distance=distance, chunk_size=chunk_size
    ):
        out[rows] = idx
    return out


def retrieval(
    query: Any,
    query_labels: Any,
    reference: Any = None,
    reference_labels: Any = None,
    *,
    ks: Sequence[int] = (1, 5, 10),
    distance: Literal["euclidean", "cosine"] = "euclidean",
    device: str = "auto",
    chunk_size: int | None = None,
) -> dict[str, float]:
    """Score how well embeddings retrieve items of their own class.

    Parameters
    ----------
    query, query_labels
        Embeddings ``(N, d)`` (numpy or torch) and their integer labels ``(N,)``.
    reference, reference_labels
        The searched set. ``None`` means leave-one-out: each query searches the other
        queries, never itself.
    ks
        The ``k`` values of ``precision_at_k`` and ``recall_at_k``.
    distance
        ``"euclidean"`` (as PyTorch Metric Learning's default) or ``"cosine"``.
    device
        Where to compute: ``"auto"`` uses CUDA when present.
    chunk_size
        Queries per chunk (memory bound); chosen automatically by default.

    Returns
    -------
    dict
        ``precision_at_1``, ``r_precision``, ``map_at_r``, ``mrr`` (reciprocal rank of the
        first same-class item among the ``R`` nearest, 0 when absent), and for each ``k``
        in ``ks``: ``precision_at_k`` (same-class fraction of the ``k`` nearest) and
        ``recall_at_k`` (fraction of queries with a same-class item in the ``k`` nearest).
        ``R`` is the number of same-class references of each query; queries with none are
        left out of ``r_precision``, ``map_at_r`` and ``mrr``.

    Raises
    ------
    InputError
        Mismatched lengths or dimensions, non-finite embeddings, or an empty reference set.

    Notes
    -----
    Memory is bounded by one chunk: its distances (at most 64 MiB by default) and the indices
    of its ``max R`` nearest references; every metric is reduced per chunk.
    """
    import torch

    from embedlab.device import resolve_device

    dev = resolve_device(device)
    q = _as_tensor(query, "query", dev, torch.float32)
    ql = _as_tensor(query_labels, "query_labels", dev, torch.long)
    leave_one_out = reference is None
    if leave_one_out:
        if reference_labels is not None:
            raise InputError("reference_labels was given without reference; pass both or neither")
        r, rl = q, ql
    else:
        if reference_labels is None:
            raise InputError("reference was given without reference_labels; pass both")
        r = _as_tensor(reference, "reference", dev, torch.float32)
        rl = _as_tensor(reference_labels, "reference_labels", dev, torch.long)
    for emb, lab, name in ((q, ql, "query"), (r, rl, "reference")):
        if emb.shape[0] != lab.shape[0]:
            raise InputError(
                f"{name} has {emb.shape[0]} embeddings but {lab.shape[0]} labels; they must match"
            )
    if q.shape[1] != r.shape[1]:
        raise InputError(
            f"query is {q.shape[1]}-d but reference is {r.shape[1]}-d; embed both with one model"
        )
    n_candidates = r.shape[0] - (1 if leave_one_out else 0)
    if n_candidates < 1 or q.shape[0] == 0:
        raise InputError("retrieval needs at least one query and one reference besides the query itself")
    ks = [int(k) for k in ks]
    if any(k < 1 for k in ks):
        raise InputError(f"ks must be positive integers; got {ks}")

    classes, ref_index = torch.unique(rl, return_inverse=True)
    ref_counts = torch.bincount(ref_index, minlength=len(classes))
    pos = torch.searchsorted(classes, ql).clamp(max=len(classes) - 1)
    same = (classes[pos] == ql).long() * ref_counts[pos]
    R = same - 1 if leave_one_out else same  # same-class references of each query
    k_needed = R.clamp(min=max(ks)).clamp(max=n_candidates)

    sums = {
        name: torch.zeros((), dtype=torch.float64, device=dev) for name in ("r_precision", "map_at_r", "mrr")
    }
    hits_at = {k: torch.zeros((), dtype=torch.float64, device=dev) for k in {1, *ks}}
    found_at = {k: torch.zeros((), dtype=torch.float64, device=dev) for k in ks}
    for rows, idx in _neighbor_chunks(
        q, r, k_needed, exclude_self=leave_one_out, distance=distance, chunk_size=chunk_size
    ):
        hits = rl[idx] == ql[rows].unsqueeze(1)  # (chunk, k) bool
        del idx
        Rc = R[rows]
        ranks = torch.arange(1, hits.shape[1] + 1, device=dev)
        hits_r = hits & (ranks.unsqueeze(0) <= Rc.unsqueeze(1))
        Rf = Rc.clamp(min=1).double()
        cum = hits_r.cumsum(dim=1, dtype=torch.int32)
        sums["r_precision"] += (cum[:, -1].double() / Rf).sum()
        sums["map_at_r"] += ((cum.double() / ranks) * hits_r).sum(dim=1).div(Rf).sum()
        first = torch.where(hits_r.any(dim=1), hits_r.int().argmax(dim=1) + 1, 0)
        sums["mrr"] += torch.where(first > 0, 1.0 / first.clamp(min=1).double(), 0.0).sum()
        for k in hits_at:
            kk = min(k, n_candidates)
            hits_at[k] += hits[:, :kk].sum(dtype=torch.float64) / kk
        for k in found_at:
            found_at[k] += hits[:, : min(k, n_candidates)].any(dim=1).sum(dtype=torch.float64)
        del hits, hits_r, cum

    n = q.shape[0]
    n_r = int((R > 0).sum().item())

    def ratio(total: torch.Tensor, count: int) -> float:
        return float(total.item()) / count if count else float("nan")

    result = {
        "precision_at_1": ratio(hits_at[1], n),
        "r_precision": ratio(sums["r_precision"], n_r),
        "map_at_r": ratio(sums["map_at_r"], n_r),
        "mrr": ratio(sums["mrr"], n_r),
    }
    for k in ks:
        result[f"precision_at_{k}"] = ratio(hits_at[k], n)
        result[f"recall_at_{k}"] = ratio(found_at[k], n)
    return result


class Retrieval:
    """The ``retrieval`` metric: ``Retrieval(**params)(query, labels, reference=None,
    reference_labels=None) -> dict`` (see :func:`retrieval`)."""

    def __init__(self, **params: Any) -> None:
        self.params = params

    def __call__(
        self, query: Any, query_labels: Any, reference: Any = None, reference_labels: Any = None
    ) -> dict[str, float]:
        """Score query embeddings against the reference (or each other, leave-one-out)."""
        return retrieval(query, query_labels, reference, reference_labels, **self.params)
