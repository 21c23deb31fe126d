"""Parameters of the ``faiss-retrieval`` metric (pydantic only: the plugin listing stays light)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from embedlab.params import Params

__all__ = ["FaissRetrievalParams"]


class FaissRetrievalParams(Params):
    """Parameters of ``faiss-retrieval``."""

    ks: tuple[int, ...] = Field((1, 5, 10), min_length=1, description="k values of precision@k and recall@k.")
    distance: Literal["euclidean", "cosine"] = Field("euclidean", description="Distance between embeddings.")
    chunk_size: int = Field(1024, gt=0, description="Queries per faiss search (bounds the result arrays).")
