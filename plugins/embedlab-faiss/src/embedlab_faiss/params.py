"""Parameters of the ``faiss-retrieval`` metric (pydantic only: the plugin listing stays light)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from embedlab.metrics.params import MetricParams

__all__ = ["FaissRetrievalParams"]


class FaissRetrievalParams(MetricParams):
    """Parameters of ``faiss-retrieval``."""

    inputs = "retrieval"

    ks: tuple[int, ...] = Field((1, 5, 10), min_length=1, description="k values of precision@k and recall@k.")
    distance: Literal["euclidean", "cosine"] = Field("euclidean", description="Distance between embeddings.")
    chunk_size: int = Field(1024, gt=0, description="Queries per faiss search (bounds the result arrays).")
