"""Registers ``faiss-retrieval`` through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab import hookimpl
from embedlab.hookspecs import Register
from embedlab_faiss.params import FaissRetrievalParams


@hookimpl
def embedlab_register_metrics(register: Register) -> None:
    """Register the faiss retrieval metric."""
    register(
        "faiss-retrieval",
        "embedlab_faiss.retrieval:FaissRetrieval",
        params=FaissRetrievalParams,
        summary="retrieval metrics (P@1, R-precision, MAP@R, ...) with an exact faiss k-NN search",
    )
