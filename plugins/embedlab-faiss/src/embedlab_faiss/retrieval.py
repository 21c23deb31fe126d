"""Retrieval metrics whose neighbours come from a faiss flat (exact) index.

Input checks and the metrics themselves are embedlab's
(:func:`embedlab.metrics.retrieval.check_retrieval_inputs`,
:class:`embedlab.metrics.retrieval.RetrievalScores`), so the results equal
:func:`embedlab.metrics.retrieval` up to ties between equal distances.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch

from embedlab.errors import InputError
from embedlab.metrics.retrieval import RetrievalScores, check_retrieval_inputs

__all__ = ["FaissRetrieval", "faiss_retrieval"]


def _index(reference: np.ndarray, distance: str) -> Any:
    import faiss

    if distance == "cosine":
        reference = reference / np.maximum(np.linalg.norm(reference, axis=1, keepdims=True), 1e-12)
        index = faiss.IndexFlatIP(reference.shape[1])
    elif distance == "euclidean":
        index = faiss.IndexFlatL2(reference.shape[1])
    else:
        raise InputError(f"unknown distance {distance!r}; use 'euclidean' or 'cosine'")
    index.add(np.ascontiguousarray(reference, dtype=np.float32))
    return index


def faiss_retrieval(
    query: Any,
    query_labels: Any,
    reference: Any = None,
    reference_labels: Any = None,
    *,
    ks: Sequence[int] = (1, 5, 10),
    distance: Literal["euclidean", "cosine"] = "euclidean",
    chunk_size: int = 1024,
) -> dict[str, float]:
    """embedlab's retrieval metrics, with neighbours found by faiss.

    Same parameters and keys as :func:`embedlab.metrics.retrieval` (computed on the CPU).
    Queries are searched ``chunk_size`` at a time, in increasing order of the neighbours they
    need, so memory stays bounded by one chunk's results.
    """
    inputs = check_retrieval_inputs(query, query_labels, reference, reference_labels, ks, torch.device("cpu"))
    index = _index(inputs.reference.numpy(), distance)
    queries = inputs.query.numpy()
    if distance == "cosine":
        queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    needed = inputs.neighbors_needed()
    order = torch.argsort(needed, stable=True)
    extra = 1 if inputs.leave_one_out else 0  # the query finds itself; drop it
    scores = RetrievalScores(inputs)
    for start in range(0, len(order), chunk_size):
        rows = order[start : start + chunk_size]
        k = int(needed[rows[-1]].item())
        _, found = index.search(np.ascontiguousarray(queries[rows.numpy()]), k + extra)
        if extra:
            not_self = found != rows.numpy()[:, None]
            # keep the first k entries that are not the query itself (it may not rank first on ties)
            keep = np.argsort(~not_self, axis=1, kind="stable")[:, :k]
            found = np.take_along_axis(found, keep, axis=1)
        idx = torch.from_numpy(found.astype(np.int64))
        scores.add(rows, inputs.reference_labels[idx] == inputs.query_labels[rows].unsqueeze(1))
    return scores.result()


class FaissRetrieval:
    """The ``faiss-retrieval`` metric: ``FaissRetrieval(**params)(query, labels, reference=None,
    reference_labels=None) -> dict``."""

    def __init__(self, **params: Any) -> None:
        self.params = params

    def __call__(
        self, query: Any, query_labels: Any, reference: Any = None, reference_labels: Any = None
    ) -> dict[str, float]:
        """Score query embeddings against the reference (or each other, leave-one-out)."""
        return faiss_retrieval(query, query_labels, reference, reference_labels, **self.params)
