"""Parameters of the word-vector backends (pydantic only, cheap to import)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from embedlab.params import Params

__all__ = ["GensimParams"]


class GensimParams(Params):
    """Parameters of the ``gensim`` backend: where the vectors come from."""

    source: str = Field(
        "default",
        description=(
            "'default' (the embedded vectors trained on gensim's Wikipedia excerpt and Lee corpus), "
            "a gensim-downloader name, or a path to .kv/.model, word2vec .bin/.txt, GloVe .txt, "
            "fastText .vec/.bin."
        ),
    )
    trusted: bool = Field(
        False, description="Allow pickle-based files (.kv, .model); they can run code when loaded."
    )
    limit: int | None = Field(
        None, gt=0, description="Read at most this many vectors from text/binary files."
    )
    download: bool = Field(True, description="Allow a gensim-downloader name to be downloaded when missing.")
    device: str = Field("auto", description="Where batched queries run: 'auto', 'cpu' or 'cuda[:N]'.")
    format: Literal["auto", "kv", "word2vec-bin", "word2vec-txt", "glove", "fasttext-bin"] = Field(
        "auto", description="File format; 'auto' detects it from the suffix and the file's first bytes."
    )
