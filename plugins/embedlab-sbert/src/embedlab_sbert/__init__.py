"""embedlab-sbert: word vectors from a sentence-transformers model, as an embedlab backend."""

from __future__ import annotations

__all__ = ["sbert_vectors", "SbertParams"]

from embedlab_sbert.params import SbertParams


def sbert_vectors(**kwargs):  # noqa: ANN003, ANN201 - thin lazy wrapper, documented in .vectors
    """Build :class:`embedlab.words.WordVectors`; see :func:`embedlab_sbert.vectors.sbert_vectors`."""
    from embedlab_sbert.vectors import sbert_vectors as build

    return build(**kwargs)
