"""Registers the ``gensim`` word-vector backend through the ``embedlab`` entry point.

Importing this module does not import gensim: the factory is an import string.
"""

from __future__ import annotations

from embedlab.hookspecs import Register
from embedlab.registry import hookimpl
from embedlab.words.params import GensimParams


@hookimpl
def embedlab_register_backends(register: Register) -> None:
    """Register the ``gensim`` backend, which returns a :class:`embedlab.words.WordVectors`."""
    register(
        "gensim",
        "embedlab.words.vectors:from_params",
        params=GensimParams,
        summary="word vectors from gensim files, downloader names or the embedded default (WordVectors)",
    )
