"""embedlab-faiss: retrieval metrics with a faiss k-NN search (the ``faiss-retrieval`` metric)."""

from __future__ import annotations

__all__ = ["faiss_retrieval"]


def __getattr__(name: str) -> object:
    # faiss and torch are imported only when the function is used, never by the plugin listing
    if name == "faiss_retrieval":
        from embedlab_faiss.retrieval import faiss_retrieval

        return faiss_retrieval
    raise AttributeError(name)
