"""Reading word vectors from every format gensim users meet, with errors that say what went wrong.

Formats: gensim's native ``.kv``/``.model`` (pickle-based, so only with ``trusted=True``),
word2vec binary ``.bin`` and text ``.txt``, GloVe text without a header (detected), fastText
``.vec`` (text) and ``.bin`` (Facebook binary), compressed ``.gz``/``.bz2`` text, and names from
the gensim downloader (looked up in ``GENSIM_DATA_DIR`` first; downloaded only when allowed).
"""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path
from typing import Any

from embedlab.errors import InputError

__all__ = ["load_keyed_vectors", "detect_format", "gensim_data_dir", "PICKLE_SUFFIXES", "FORMATS"]

logger = logging.getLogger(__name__)

PICKLE_SUFFIXES = {".kv", ".model", ".pkl", ".pickle", ".wv"}
TEXT_SUFFIXES = {".txt", ".vec", ".gz", ".bz2", ".tsv", ".w2v"}
FORMATS = ("kv", "word2vec-bin", "word2vec-txt", "glove", "fasttext-bin")
_FASTTEXT_MAGIC = 793712314


def gensim_data_dir() -> Path:
    """The folder the gensim downloader uses: ``$GENSIM_DATA_DIR`` or ``~/gensim-data``."""
    return Path(os.environ.get("GENSIM_DATA_DIR", Path.home() / "gensim-data"))


def _is_int(token: bytes | str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True


def _first_line(path: Path) -> bytes:
    from gensim import utils

    with utils.open(str(path), "rb") as fh:
        return bytes(fh.readline(4096))


def detect_format(path: str | Path) -> str:
    """Guess a vectors file's format from its suffix and first bytes.

    Returns one of :data:`FORMATS`. A text file whose first line is two integers is word2vec
    text; any other text file is GloVe (no header).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return "kv"
    if suffix == ".bin":
        with open(path, "rb") as fh:
            head = fh.read(64)
        if len(head) >= 4 and struct.unpack("<i", head[:4])[0] == _FASTTEXT_MAGIC:
            return "fasttext-bin"
        first = head.split(b"\n", 1)[0].split()
        if len(first) == 2 and all(_is_int(t) for t in first):
            return "word2vec-bin"
        return "fasttext-bin"  # fastText files from before the magic number
    first = _first_line(path).split()
    if len(first) == 2 and all(_is_int(t) for t in first):
        return "word2vec-txt"
    return "glove"


def _read(path: Path, fmt: str, *, trusted: bool, limit: int | None) -> Any:
    from gensim.models import KeyedVectors

    if fmt == "kv":
        if not trusted:
            raise InputError(
                f"{path} is a pickle-based gensim file ({path.suffix}); unpickling can run code "
                "from the file, so it loads only with trusted=True (CLI: --trusted). Pass it only "
                "for files you made or trust, or save the vectors in word2vec format instead."
            )
        from gensim import utils

        obj = utils.SaveLoad.load(str(path), mmap="r")
        obj = getattr(obj, "wv", obj)
        if not isinstance(obj, KeyedVectors):
            raise InputError(
                f"{path} holds a {type(obj).__name__}, not word vectors (KeyedVectors or a model)"
            )
        return obj
    if fmt == "fasttext-bin":
        from gensim.models.fasttext import load_facebook_vectors

        return load_facebook_vectors(str(path))
    if fmt == "word2vec-bin":
        return KeyedVectors.load_word2vec_format(str(path), binary=True, limit=limit)
    if fmt == "word2vec-txt":
        return KeyedVectors.load_word2vec_format(str(path), binary=False, limit=limit)
    if fmt == "glove":
        return KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=True, limit=limit)
    raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)} or 'auto'")


def _fallbacks(first: str) -> list[str]:
    order = [first, "word2vec-txt", "glove", "word2vec-bin", "fasttext-bin"]
    return list(dict.fromkeys(order))


def load_file(path: str | Path, *, fmt: str = "auto", trusted: bool = False, limit: int | None = None) -> Any:
    """Load a vectors file into a gensim ``KeyedVectors``.

    Raises
    ------
    InputError
        The file is missing, pickle-based without ``trusted=True``, or unreadable in every
        format tried (the message names the file and each format's error).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"vectors file {path} does not exist (or is not a file)")
    if path.stat().st_size == 0:
        raise InputError(f"vectors file {path} is empty")
    if fmt != "auto":
        tried = [fmt]
    else:
        detected = detect_format(path)
        tried = ["kv"] if detected == "kv" else _fallbacks(detected)
    errors = []
    for name in tried:
        try:
            kv = _read(path, name, trusted=trusted, limit=limit)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - every parser failure is reported together below
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        if len(kv.index_to_key) == 0:
            errors.append(f"{name}: no vectors read")
            continue
        if name != tried[0]:
            logger.info("%s read as %s (detected %s failed)", path, name, tried[0])
        return kv
    raise InputError(
        f"could not read word vectors from {path}; formats tried: {', '.join(tried)} -> "
        + "; ".join(errors)
        + ". Check the file is complete, or name its format explicitly."
    )


def _local_download(name: str) -> Path | None:
    folder = gensim_data_dir() / name
    if not folder.is_dir():
        return None
    for candidate in (folder / f"{name}.gz", *sorted(folder.glob(f"{name}*"))):
        if candidate.is_file() and candidate.suffix != ".py":
            return candidate
    return None


def load_downloader(name: str, *, download: bool = True, limit: int | None = None) -> Any:
    """Load vectors by gensim-downloader name; offline, read only what is already on disk.

    The data file is read with the format readers above (not by importing the module the
    downloader stores next to it).
    """
    expected = gensim_data_dir() / name / f"{name}.gz"
    local = _local_download(name)
    if local is None and download and os.environ.get("EMBEDLAB_OFFLINE", "") not in {"1", "true", "yes"}:
        try:
            import gensim.downloader as api

            local = Path(api.load(name, return_path=True))
        except Exception as exc:  # noqa: BLE001 - network and name errors alike become one message
            raise InputError(
                f"could not download {name!r} with the gensim downloader ({type(exc).__name__}: {exc}); "
                f"offline, put the file at {expected} (set GENSIM_DATA_DIR to use another folder)"
            ) from None
    if local is None:
        raise InputError(
            f"{name!r} is not a file and was not found in the gensim data folder: expected {expected} "
            "(set GENSIM_DATA_DIR to the folder holding it, or allow downloading)"
        )
    return load_file(local, limit=limit)


def load_keyed_vectors(
    source: str | os.PathLike[str],
    *,
    trusted: bool = False,
    fmt: str = "auto",
    limit: int | None = None,
    download: bool = True,
) -> Any:
    """Load a gensim ``KeyedVectors`` from a path or a gensim-downloader name."""
    path = Path(source)
    if path.exists():
        return load_file(path, fmt=fmt, trusted=trusted, limit=limit)
    text = str(source)
    looks_like_path = (
        os.sep in text or "/" in text or path.suffix.lower() in PICKLE_SUFFIXES | TEXT_SUFFIXES | {".bin"}
    )
    if looks_like_path:
        raise InputError(f"vectors file {source} does not exist")
    if not text:
        raise InputError("no vectors source given: pass a file path or a gensim-downloader name")
    return load_downloader(text, download=download, limit=limit)
