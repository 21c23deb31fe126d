"""Retrieval metrics for embeddings: precision@k, recall@k, R-precision, MAP@R, MRR.

Neighbours are found a chunk of queries at a time, so memory stays bounded by
``chunk × references`` whatever the number of queries. The distances come from one matrix
product per chunk in torch, on the GPU when there is one; on a CPU the nearest references
are then selected by numpy partitions across threads, several times faster than torch's
top-k with the thousands of neighbours that MAP@R needs. The definitions follow PyTorch
Metric Learning's ``AccuracyCalculator``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from embedlab.errors import InputError
from embedlab.metrics.labels import check_labels
from embedlab.threads import map_row_blocks, torch_threads

if TYPE_CHECKING:
    import torch

__all__ = [
    "Retrieval",
    "RetrievalInputs",
    "RetrievalScores",
    "check_retrieval_inputs",
    "nearest_neighbors",
    "retrieval",
]

#: Upper bound on the elements of one chunk's distance matrix (64 MiB in float32).
_CHUNK_ELEMENTS = 1 << 24


def _as_embeddings(x: Any, name: str, device: torch.device) -> torch.Tensor:
    import torch

    t = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    t = t.to(device=device, dtype=torch.float32)
    if t.ndim != 2:
        raise InputError(f"{name} must be a 2-D (N, dim) array of embeddings; got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise InputError(f"{name} holds NaN or infinite values; check the model that produced them")
    return t


def _as_labels(x: Any, name: str, device: torch.device) -> torch.Tensor:
    """int64 labels on ``device``; floats must be whole numbers (see :func:`check_labels`)."""
    import torch

    if isinstance(x, torch.Tensor) and not x.is_floating_point() and not x.is_complex():
        labels = x.detach()
        if labels.ndim != 1:
            raise InputError(f"{name} must be a 1-D array of integer labels; got shape {tuple(labels.shape)}")
    else:
        labels = torch.from_numpy(check_labels(x, name, strings=False))
    return labels.to(device=device, dtype=torch.long)


def _distance_chunks(
    query: torch.Tensor,
    reference: torch.Tensor,
    k: torch.Tensor,
    *,
    exclude_self: bool,
    distance: str,
    chunk_size: int | None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, int]]:
    """Yield ``(rows, scores, k_rows)`` per chunk of queries: the query rows of the chunk, a
    score per reference that ranks them as the distance does (smaller is nearer), and the
    most neighbours any of these rows needs.

    Queries are taken in increasing order of ``k``, so a chunk asks only as many neighbours as
    its own queries need (with imbalanced classes most chunks need far fewer than the largest
    class). Only one chunk's scores exist at a time, in one reused buffer.
    """
    import torch

    if distance == "cosine":
        query = torch.nn.functional.normalize(query, dim=1)
        reference = torch.nn.functional.normalize(reference, dim=1)
    elif distance != "euclidean":
        raise InputError(f"unknown distance {distance!r}; use 'euclidean' or 'cosine'")
    n_ref = reference.shape[0]
    step = chunk_size or max(1, _CHUNK_ELEMENTS // max(n_ref, 1))
    # ‖q‖² is constant per row, so ranking needs only ‖r‖² − 2 q·r: one product of
    # [q, 1] and [−2r, ‖r‖²], with no separate pass to add ‖r‖².
    ones = torch.ones(query.shape[0], 1, dtype=query.dtype, device=query.device)
    query_1 = torch.cat([query, ones], dim=1)
    ref_t = torch.cat([reference * -2.0, (reference * reference).sum(dim=1, keepdim=True)], dim=1).T
    buffer = torch.empty(min(step, query.shape[0]), n_ref, dtype=query.dtype, device=query.device)
    order = torch.argsort(k, stable=True)
    for start in range(0, query.shape[0], step):
        rows = order[start : start + step]
        scores = torch.mm(query_1[rows], ref_t, out=buffer[: len(rows)])
        if exclude_self:
            scores[torch.arange(len(rows), device=scores.device), rows] = float("inf")
        yield rows, scores, int(k[rows[-1]].item())


def _neighbor_chunks(
    query: torch.Tensor, reference: torch.Tensor, k: torch.Tensor, **options: Any
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(rows, indices)`` per chunk: each row's ``max(k[rows])`` nearest references, nearest first."""
    for rows, scores, k_rows in _distance_chunks(query, reference, k, **options):
        yield rows, scores.topk(k_rows, dim=1, largest=False).indices


def _ordered_keys(values: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """int64 keys that sort as ``values`` (float32) do, with ``flags`` as the last bit.

    Flipping the 31 low bits of negative floats makes their bit patterns sort as the values;
    the flag only breaks exact ties, where the unflagged item comes first.
    """
    bits = values.view(np.int32)
    ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF)
    keys: np.ndarray = (ordered.astype(np.int64) << 1) | flags
    return keys


def _sorted_hits_numpy(
    scores: np.ndarray, query_labels: np.ndarray, reference_labels: np.ndarray, k: int
) -> np.ndarray:
    """For each row, whether each of its ``k`` nearest references has the row's label, nearest first.

    The ``k``-th smallest score is found by a partition, which is several times faster than a
    sorted top-k over the whole row; only the references up to it are then sorted, as keys that
    carry their label match, so no indices are gathered. Rows are partitioned one at a time:
    numpy's 1-D partition is twice as fast as its row-wise 2-D one, and the loop's few calls
    per row are small beside a row of tens of thousands of references.
    """
    hits = np.empty((scores.shape[0], k), dtype=bool)

    def block(start: int, stop: int) -> None:
        for i in range(start, stop):
            row = scores[i]
            cutoff = np.partition(row, k - 1)[k - 1]
            near = np.flatnonzero(row <= cutoff)
            keys = _ordered_keys(row[near], reference_labels[near] == query_labels[i])
            keys.sort()
            hits[i] = (keys[:k] & 1).astype(bool)

    map_row_blocks(block, scores.shape[0], min_rows=8)
    return hits


def _hit_chunks(inputs: RetrievalInputs, **options: Any) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(rows, hits)`` per chunk: is each row's ``j``-th nearest reference of its class?"""
    import torch

    labels = inputs.reference_labels
    on_cpu = inputs.query.device.type == "cpu"
    if on_cpu:
        query_labels_np, labels_np = inputs.query_labels.numpy(), labels.numpy()
    for rows, scores, k_rows in _distance_chunks(
        inputs.query, inputs.reference, inputs.neighbors_needed(), **options
    ):
        if on_cpu:
            hits = _sorted_hits_numpy(scores.numpy(), query_labels_np[rows.numpy()], labels_np, k_rows)
            yield rows, torch.from_numpy(hits)
        else:
            idx = scores.topk(k_rows, dim=1, largest=False).indices
            yield rows, labels[idx] == inputs.query_labels[rows].unsqueeze(1)


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


@dataclass
class RetrievalInputs:
    """Checked retrieval inputs (see :func:`check_retrieval_inputs`).

    Attributes
    ----------
    query, query_labels, reference, reference_labels
        float32 embeddings and int64 labels on one device; ``reference`` is ``query`` when
        ``leave_one_out``.
    leave_one_out
        No reference set was given: each query searches the other queries.
    same_class
        ``R`` of each query: its same-class references (itself excluded).
    n_candidates
        References each query may retrieve.
    ks
        The ``k`` values asked for.
    """

    query: torch.Tensor
    query_labels: torch.Tensor
    reference: torch.Tensor
    reference_labels: torch.Tensor
    leave_one_out: bool
    same_class: torch.Tensor
    n_candidates: int
    ks: list[int]

    def neighbors_needed(self) -> torch.Tensor:
        """Neighbours each query needs: ``max(R, max(ks))``, at most ``n_candidates``."""
        return self.same_class.clamp(min=max(self.ks)).clamp(max=self.n_candidates)


def check_retrieval_inputs(
    query: Any,
    query_labels: Any,
    reference: Any,
    reference_labels: Any,
    ks: Sequence[int],
    device: torch.device,
) -> RetrievalInputs:
    """Validate and convert retrieval inputs; count each query's same-class references.

    Raises
    ------
    InputError
        Mismatched lengths or dimensions, non-finite embeddings, labels that are not
        integers, one of ``reference`` / ``reference_labels`` without the other, bad ``ks``,
        or nothing to retrieve.
    """
    import torch

    q = _as_embeddings(query, "query", device)
    ql = _as_labels(query_labels, "query_labels", device)
    leave_one_out = reference is None
    if leave_one_out:
        if reference_labels is not None:
            raise InputError("reference_labels was given without reference; pass both or neither")
        r, rl = q, ql
    else:
        if reference_labels is None:
            raise InputError("reference was given without reference_labels; pass both")
        r = _as_embeddings(reference, "reference", device)
        rl = _as_labels(reference_labels, "reference_labels", device)
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
    k_list = [int(k) for k in ks]
    if not k_list or any(k < 1 for k in k_list):
        raise InputError(f"ks must be positive integers; got {list(ks)}")

    classes, ref_index = torch.unique(rl, return_inverse=True)
    ref_counts = torch.bincount(ref_index, minlength=len(classes))
    pos = torch.searchsorted(classes, ql).clamp(max=len(classes) - 1)
    same = (classes[pos] == ql).long() * ref_counts[pos]
    R = same - 1 if leave_one_out else same
    return RetrievalInputs(q, ql, r, rl, leave_one_out, R, n_candidates, k_list)


class RetrievalScores:
    """Accumulates retrieval metrics one chunk of queries at a time.

    Feed :meth:`add` each chunk's hit matrix (is the ``j``-th nearest reference of the
    query's class?), then read :meth:`result`. Any k-NN backend can use it.

    Parameters
    ----------
    inputs
        The checked inputs, for ``R``, ``ks`` and ``n_candidates``.
    """

    def __init__(self, inputs: RetrievalInputs) -> None:
        import torch

        self.inputs = inputs
        dev = inputs.query.device
        self._sums = {
            name: torch.zeros((), dtype=torch.float64, device=dev)
            for name in ("r_precision", "map_at_r", "mrr")
        }
        self._hits_at = {k: torch.zeros((), dtype=torch.float64, device=dev) for k in {1, *inputs.ks}}
        self._found_at = {k: torch.zeros((), dtype=torch.float64, device=dev) for k in inputs.ks}

    def add(self, rows: torch.Tensor, hits: torch.Tensor) -> None:
        """Add the queries ``rows``; ``hits[i, j]``: the ``j``-th nearest reference of query
        ``rows[i]`` has its class. ``hits`` needs at least ``max(R, max(ks))`` columns (fewer only
        when there are fewer candidates)."""
        import torch

        R = self.inputs.same_class[rows]
        n_candidates = self.inputs.n_candidates
        ranks = torch.arange(1, hits.shape[1] + 1, device=hits.device)
        hits_r = hits & (ranks.unsqueeze(0) <= R.unsqueeze(1))
        Rf = R.clamp(min=1).double()
        cum = hits_r.cumsum(dim=1, dtype=torch.int32)
        self._sums["r_precision"] += (cum[:, -1].double() / Rf).sum()
        self._sums["map_at_r"] += ((cum.double() / ranks) * hits_r).sum(dim=1).div(Rf).sum()
        first = torch.where(hits_r.any(dim=1), hits_r.int().argmax(dim=1) + 1, 0)
        self._sums["mrr"] += torch.where(first > 0, 1.0 / first.clamp(min=1).double(), 0.0).sum()
        for k in self._hits_at:
            kk = min(k, n_candidates)
            self._hits_at[k] += hits[:, :kk].sum(dtype=torch.float64) / kk
        for k in self._found_at:
            self._found_at[k] += hits[:, : min(k, n_candidates)].any(dim=1).sum(dtype=torch.float64)

    def result(self) -> dict[str, float]:
        """The metrics over every query added (see :func:`retrieval` for the keys)."""
        n = self.inputs.query.shape[0]
        n_r = int((self.inputs.same_class > 0).sum().item())

        def ratio(total: torch.Tensor, count: int) -> float:
            return float(total.item()) / count if count else float("nan")

        result = {
            "precision_at_1": ratio(self._hits_at[1], n),
            "r_precision": ratio(self._sums["r_precision"], n_r),
            "map_at_r": ratio(self._sums["map_at_r"], n_r),
            "mrr": ratio(self._sums["mrr"], n_r),
        }
        for k in self.inputs.ks:
            result[f"precision_at_{k}"] = ratio(self._hits_at[k], n)
            result[f"recall_at_{k}"] = ratio(self._found_at[k], n)
        return result


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
        Embeddings ``(N, d)`` (numpy or torch) and their integer labels ``(N,)``. Whole-number
        floats (``1.0``) count as integers; other floats are refused, never truncated.
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
        Mismatched lengths or dimensions, non-finite embeddings, an empty reference set, or
        labels that are not integers (fractional or NaN floats, strings, mixed types).

    Notes
    -----
    Memory is bounded by one chunk: its distances (at most 64 MiB by default) and the indices
    of its ``max R`` nearest references; every metric is reduced per chunk.
    """
    from embedlab.device import resolve_device

    inputs = check_retrieval_inputs(
        query, query_labels, reference, reference_labels, ks, resolve_device(device)
    )
    scores = RetrievalScores(inputs)
    with torch_threads(min(len(inputs.query) * len(inputs.reference), _CHUNK_ELEMENTS) * inputs.query.shape[1]):
        for rows, hits in _hit_chunks(
            inputs, exclude_self=inputs.leave_one_out, distance=distance, chunk_size=chunk_size
        ):
            scores.add(rows, hits)
    return scores.result()


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
