"""Retrieval metrics for embeddings: precision@k, recall@k, R-precision, MAP@R, MRR.

Neighbours are found in torch, a chunk of queries at a time, so memory stays bounded by
``chunk × references`` whatever the number of queries, and the work runs on the GPU when
there is one. The definitions follow PyTorch Metric Learning's ``AccuracyCalculator``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from embedlab.errors import InputError

if TYPE_CHECKING:
    import torch

__all__ = ["retrieval", "nearest_neighbors"]

#: Upper bound on the elements of one chunk's distance matrix (128 MiB in float32).
_CHUNK_ELEMENTS = 1 << 25


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
        Queries per chunk; by default sized so a chunk's distances take at most 128 MiB.

    Returns
    -------
    torch.Tensor
        LongTensor ``(Nq, k)``.
    """
    import torch

    if distance == "cosine":
        query = torch.nn.functional.normalize(query, dim=1)
        reference = torch.nn.functional.normalize(reference, dim=1)
    elif distance != "euclidean":
        raise InputError(f"unknown distance {distance!r}; use 'euclidean' or 'cosine'")
    n_ref = reference.shape[0]
    step = chunk_size or max(1, _CHUNK_ELEMENTS // max(n_ref, 1))
    ref_sq = (reference * reference).sum(dim=1)
    out = torch.empty((query.shape[0], k), dtype=torch.long, device=query.device)
    for start in range(0, query.shape[0], step):
        q = query[start : start + step]
        # ‖q‖² is constant per row, so ranking needs only ‖r‖² − 2 q·r.
        scores = torch.addmm(ref_sq.unsqueeze(0), q, reference.T, alpha=-2.0)
        if exclude_self:
            rows = torch.arange(q.shape[0], device=q.device)
            scores[rows, rows + start] = float("inf")
        out[start : start + step] = scores.topk(k, dim=1, largest=False).indices
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

    classes, ref_index = torch.unique(rl, return_inverse=True)
    ref_counts = torch.bincount(ref_index, minlength=len(classes))
    pos = torch.searchsorted(classes, ql).clamp(max=len(classes) - 1)
    same = (classes[pos] == ql).long() * ref_counts[pos]
    R = same - 1 if leave_one_out else same  # same-class references of each query

    k_max = int(min(n_candidates, max(int(R.max().item()), max(ks), 1)))
    neighbors = nearest_neighbors(
        q, r, k_max, exclude_self=leave_one_out, distance=distance, chunk_size=chunk_size
    )
    hits = (rl[neighbors] == ql.unsqueeze(1)).float()  # (N, k_max)

    ranks = torch.arange(1, k_max + 1, device=dev, dtype=torch.float32)
    within_r = (ranks.unsqueeze(0) <= R.unsqueeze(1)).float()
    has_r = R > 0
    Rf = R.clamp(min=1).float()
    r_precision = (hits * within_r).sum(dim=1) / Rf
    precision_at_rank = hits.cumsum(dim=1) / ranks
    map_at_r = (precision_at_rank * hits * within_r).sum(dim=1) / Rf
    first_hit = (
        torch.where((hits * within_r) > 0, ranks, torch.full_like(ranks, float("inf"))).min(dim=1).values
    )
    mrr = torch.where(torch.isfinite(first_hit), 1.0 / first_hit, torch.zeros_like(first_hit))

    def mean(values: torch.Tensor, mask: torch.Tensor | None = None) -> float:
        chosen = values[mask] if mask is not None else values
        return float(chosen.double().mean().item()) if chosen.numel() else float("nan")

    result = {
        "precision_at_1": mean(hits[:, 0]),
        "r_precision": mean(r_precision, has_r),
        "map_at_r": mean(map_at_r, has_r),
        "mrr": mean(mrr, has_r),
    }
    for k in ks:
        kk = min(k, k_max)
        result[f"precision_at_{k}"] = mean(hits[:, :kk].mean(dim=1))
        result[f"recall_at_{k}"] = mean((hits[:, :kk].sum(dim=1) > 0).float())
    return result
