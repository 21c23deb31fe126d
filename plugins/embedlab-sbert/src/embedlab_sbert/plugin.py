"""Registers the ``sbert`` backend. Imports neither torch nor sentence-transformers."""

from __future__ import annotations

from embedlab.hookspecs import Register
from embedlab.registry import hookimpl
from embedlab_sbert.params import SbertParams


@hookimpl
def embedlab_register_backends(register: Register) -> None:
    """Register the ``sbert`` word-vector backend."""
    register(
        "sbert",
        "embedlab_sbert.vectors:sbert_vectors",
        params=SbertParams,
        summary="word vectors from a sentence-transformers model over wordfreq's top words (offline MiniLM)",
    )
