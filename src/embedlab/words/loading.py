"""Reading word vectors from every format gensim users meet, with errors that say what went wrong.

Formats: gensim's native ``.kv``/``.model`` (pickle-based, so only with ``trusted=True``),
word2vec binary ``.bin`` and text ``.txt``, GloVe text without a header (detected), fastText
``.vec`` (text) and ``.bin`` (Facebook binary), compressed ``.gz``/``.bz2`` text, and names from
the gensim downloader (looked up in ``GENSIM_DATA_DIR`` first; downloaded only when allowed).
"""

from __future__ import annotations

import codecs
import logging
import mmap
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from embedlab.errors import ConfigError, InputError

__all__ = [
    "load_keyed_vectors",
    "detect_format",
    "check_format",
    "gensim_data_dir",
    "describe_source",
    "require_source",
    "PICKLE_SUFFIXES",
    "FORMATS",
]

logger = logging.getLogger(__name__)

PICKLE_SUFFIXES = {".kv", ".model", ".pkl", ".pickle", ".wv"}
TEXT_SUFFIXES = {".txt", ".vec", ".gz", ".bz2", ".tsv", ".w2v"}
FORMATS = ("kv", "word2vec-bin", "word2vec-txt", "glove", "fasttext-bin")
TEXT_FORMATS = ("word2vec-txt", "glove")
BOM = b"\xef\xbb\xbf"
_FASTTEXT_MAGIC = 793712314
_HEAD_BYTES = 4096
#: A fastText word's terminator and its count and entry type, the least a word takes.
_FASTTEXT_WORD_BYTES = 1 + struct.calcsize("@qb")


def gensim_data_dir() -> Path:
    """The folder the gensim downloader uses: ``$GENSIM_DATA_DIR`` or ``~/gensim-data``."""
    return Path(os.environ.get("GENSIM_DATA_DIR", Path.home() / "gensim-data"))


def check_format(fmt: str) -> None:
    """Raise :class:`ConfigError` unless ``fmt`` is ``"auto"`` or one of :data:`FORMATS`."""
    if fmt != "auto" and fmt not in FORMATS:
        raise ConfigError(
            f"vectors format {fmt!r} is unknown; choose 'auto' or one of {', '.join(FORMATS)}"
        )


def _is_int(token: bytes | str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True


def _head(path: Path) -> bytes:
    """The first bytes of the file (decompressed for ``.gz``/``.bz2``), a UTF-8 BOM removed."""
    from gensim import utils

    try:
        with utils.open(str(path), "rb") as fh:
            head = bytes(fh.read(_HEAD_BYTES))
    except (OSError, EOFError) as exc:
        raise InputError(
            f"cannot read vectors file {path}: {getattr(exc, 'strerror', None) or exc}; "
            "check that the file is readable and complete"
        ) from None
    return head.removeprefix(BOM)


def _looks_binary(data: bytes) -> bool:
    """Whether ``data`` is not UTF-8 text (a character cut at the end still counts as text)."""
    if b"\x00" in data:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return True
    return False


def _has_header(line: bytes) -> bool:
    """Whether a first line is word2vec's ``<count> <dimension>`` header."""
    tokens = line.split()
    return len(tokens) == 2 and all(_is_int(t) for t in tokens)


def _is_word2vec_text(path: Path) -> bool:
    first, _, rest = _head(path).partition(b"\n")
    return _has_header(first) and not _looks_binary(rest)


def detect_format(path: str | Path) -> str:
    """Name a vectors file's format from its suffix and first bytes.

    Returns one of :data:`FORMATS`: ``kv`` by suffix; ``fasttext-bin`` by fastText's magic
    number; after a ``<count> <dimension>`` first line, ``word2vec-bin`` when the bytes that
    follow are not UTF-8 text and ``word2vec-txt`` when they are; without that line, GloVe
    text (``glove``), or, for a ``.bin`` file, a fastText file from before the magic number.

    Raises
    ------
    InputError
        The file cannot be read, or it is binary in none of the formats above.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return "kv"
    head = _head(path)
    if len(head) >= 4 and struct.unpack("<i", head[:4])[0] == _FASTTEXT_MAGIC:
        return "fasttext-bin"
    first, _, rest = head.partition(b"\n")
    if _has_header(first):
        return "word2vec-bin" if _looks_binary(rest) else "word2vec-txt"
    if suffix == ".bin":
        return "fasttext-bin"  # fastText files from before the magic number
    if _looks_binary(head):
        raise InputError(
            f"cannot tell the format of vectors file {path}: it is not text and has neither a "
            "word2vec header nor fastText's magic number; if it is word vectors, pass the format "
            f"explicitly (format=..., CLI: --format), one of {', '.join(FORMATS)}"
        )
    return "glove"


def _starts_with_bom(path: Path) -> bool:
    from gensim import utils

    with utils.open(str(path), "rb") as fh:
        return bytes(fh.read(len(BOM))) == BOM


@contextmanager
def _without_bom(path: Path, fmt: str) -> Iterator[Path]:
    """Yield a path to read ``path`` from: itself, or for text with a UTF-8 BOM, a copy without it.

    gensim reads text files by name (GloVe files twice), so the BOM cannot be skipped in place;
    the copy is decompressed and lives in a temporary folder removed afterwards.
    """
    from gensim import utils

    if fmt not in TEXT_FORMATS or not _starts_with_bom(path):
        yield path
        return
    logger.info("%s starts with a UTF-8 byte-order mark; reading a copy without it", path)
    with tempfile.TemporaryDirectory(prefix="embedlab-bom-") as folder:
        copy = Path(folder) / "vectors.txt"
        with utils.open(str(path), "rb") as fh, open(copy, "wb") as out:
            fh.read(len(BOM))
            shutil.copyfileobj(fh, out)
        yield copy


def _check_fasttext_words(path: Path) -> None:
    """Raise ``EOFError`` if a fastText binary ends inside its vocabulary.

    gensim reads each word a byte at a time until its NUL terminator and never stops at the end
    of the file, so a file cut inside a word would hang it. Compressed files are not checked:
    their reader raises at a cut. The layout is fastText's ``args.cc`` and ``dictionary.cc``.
    """
    if path.suffix.lower() in {".gz", ".bz2"}:
        return
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        new = len(data) >= 4 and struct.unpack_from("<i", data)[0] == _FASTTEXT_MAGIC
        header = 64 if new else 56  # magic/dim, version/ws, the args, then vocab_size, nwords, nlabels
        if len(data) < header + 12:
            raise EOFError(f"the file ends inside fastText's header ({len(data)} bytes)")
        (words,) = struct.unpack_from("@i", data, header)
        pos = header + 12 + 8 + (8 if new else 0)  # ntokens, and pruneidx_size in the new format
        if words * _FASTTEXT_WORD_BYTES > len(data) - pos:
            raise EOFError(f"the header declares {words} words, more than the file can hold")
        for n in range(words):
            end = data.find(b"\x00", pos)
            if end < 0:
                raise EOFError(f"the file ends inside word {n + 1} of {words}")
            pos = end + _FASTTEXT_WORD_BYTES


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

        _check_fasttext_words(path)
        return load_facebook_vectors(str(path))
    if fmt == "word2vec-bin":
        return KeyedVectors.load_word2vec_format(str(path), binary=True, limit=limit)
    if fmt == "word2vec-txt":
        return KeyedVectors.load_word2vec_format(str(path), binary=False, limit=limit)
    return KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=True, limit=limit)


def _unreadable(path: Path, fmt: str, given: bool, reason: str) -> InputError:
    """The error for a file that does not parse in the one format tried."""
    how = "the format given" if given else "the format detected from its suffix and first bytes"
    others = ", ".join(f for f in FORMATS if f != fmt)
    return InputError(
        f"could not read word vectors from {path} as {fmt} ({how}): {reason}. Check that the "
        f"file is complete, or, if it is in another format, pass that format explicitly "
        f"(format=..., CLI: --format): one of {others}"
    )


def load_file(path: str | Path, *, fmt: str = "auto", trusted: bool = False, limit: int | None = None) -> Any:
    """Load a vectors file into a gensim ``KeyedVectors``, in exactly one format.

    The format is ``fmt``, or with ``"auto"`` the one :func:`detect_format` names. A file
    that does not parse in it is reported, never re-read in another format. A UTF-8
    byte-order mark at the start of a text file is skipped.

    Raises
    ------
    ConfigError
        ``fmt`` is not ``"auto"`` or one of :data:`FORMATS`.
    InputError
        The file is missing, a folder, empty, pickle-based without ``trusted=True``, or does
        not parse in the format (the message names the file, the format and the fix).
    """
    check_format(fmt)
    path = Path(path)
    if path.is_dir():
        raise InputError(f"vectors file {path} is a folder; pass the vectors file inside it")
    if not path.exists():
        raise InputError(f"vectors file {path} does not exist; check the path")
    if not path.is_file():
        raise InputError(f"vectors file {path} is not a regular file; pass a vectors file")
    if path.stat().st_size == 0:
        raise InputError(f"vectors file {path} is empty; pass a complete vectors file")
    chosen = detect_format(path) if fmt == "auto" else fmt
    if chosen == "word2vec-bin" and _is_word2vec_text(path):  # gensim would read it, as garbage
        raise _unreadable(path, chosen, fmt != "auto", "the lines after its header are text (word2vec-txt)")
    try:
        with _without_bom(path, chosen) as readable:
            kv = _read(readable, chosen, trusted=trusted, limit=limit)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - every parser failure becomes one typed error
        reason = f"{type(exc).__name__}: {str(exc)[:200].rstrip('.')}"
        raise _unreadable(path, chosen, fmt != "auto", reason) from None
    if len(kv.index_to_key) == 0 or kv.vector_size == 0:
        raise _unreadable(path, chosen, fmt != "auto", "no vectors read")
    return kv


def _local_download(name: str) -> Path | None:
    folder = gensim_data_dir() / name
    if not folder.is_dir():
        return None
    for candidate in (folder / f"{name}.gz", *sorted(folder.glob(f"{name}*"))):
        if candidate.is_file() and candidate.suffix != ".py":
            return candidate
    return None


def _fetch_command(name: str) -> str:
    return f"python -m gensim.downloader --download {name}"


def _offline() -> bool:
    return os.environ.get("EMBEDLAB_OFFLINE", "") in {"1", "true", "yes"}


def _not_on_disk(name: str) -> InputError:
    """The error for a downloader name that is not on disk and will not be downloaded."""
    expected = gensim_data_dir() / name / f"{name}.gz"
    return InputError(
        f"word vectors {name!r} are not on disk: looked for {expected}; fetch them with "
        f"`{_fetch_command(name)}` (set GENSIM_DATA_DIR to the folder that holds {name}/), or allow downloading"
    )


def _looks_like_path(text: str) -> bool:
    suffix = Path(text).suffix.lower()
    return os.sep in text or "/" in text or suffix in PICKLE_SUFFIXES | TEXT_SUFFIXES | {".bin"}


def load_downloader(name: str, *, download: bool = True, limit: int | None = None) -> Any:
    """Load vectors by gensim-downloader name; offline, read only what is already on disk.

    The downloader's layout is ``<GENSIM_DATA_DIR or ~/gensim-data>/<name>/<name>.gz``. The data
    file is read with the format readers above (not by importing the module the downloader
    stores next to it). With ``download=False`` (or ``EMBEDLAB_OFFLINE=1``) nothing is fetched.

    Raises
    ------
    InputError
        The file is not on disk and may not or could not be downloaded; the message names the
        path looked at and the command that fetches it.
    """
    local = _local_download(name)
    if local is None and download and not _offline():
        try:
            import gensim.downloader as api

            local = Path(api.load(name, return_path=True))
        except Exception as exc:  # noqa: BLE001 - network and name errors alike become one message
            raise InputError(
                f"could not download {name!r} with the gensim downloader ({type(exc).__name__}: {exc}); "
                f"fetch it where there is a network with `{_fetch_command(name)}` and put the file at "
                f"{gensim_data_dir() / name / f'{name}.gz'} "
                "(set GENSIM_DATA_DIR to use another folder)"
            ) from None
    if local is None:
        raise _not_on_disk(name)
    return load_file(local, limit=limit)


def describe_source(source: str) -> str:
    """A vectors source in words: the embedded default, a file, or a gensim-downloader name and its file."""
    if source == "default":
        return "gensim's default vectors (trained by embedlab on gensim's Wikipedia excerpt and Lee corpus)"
    path = Path(source)
    if path.exists():
        return f"vectors file {path}"
    local = _local_download(source)
    where = f", read from {local}" if local is not None else ""
    return f"{source} (gensim downloader name{where})"


def require_source(source: str, *, download: bool = True) -> None:
    """Check, without reading any vectors, that ``source`` can be loaded here and now.

    A run calls it before it writes anything, so a missing file stops it at once.

    Raises
    ------
    InputError
        A path that does not exist, or a downloader name that is not on disk and may not be
        downloaded (``download=False`` or ``EMBEDLAB_OFFLINE=1``): naming the path looked at
        and the command that fetches it.
    """
    if source == "default" or Path(source).exists():
        return
    if _looks_like_path(source):
        raise InputError(f"vectors file {source} does not exist; check the path")
    if _local_download(source) is None and (not download or _offline()):
        raise _not_on_disk(source)


def load_keyed_vectors(
    source: str | os.PathLike[str],
    *,
    trusted: bool = False,
    fmt: str = "auto",
    limit: int | None = None,
    download: bool = True,
) -> Any:
    """Load a gensim ``KeyedVectors`` from a path or a gensim-downloader name.

    Raises
    ------
    ConfigError
        ``fmt`` is unknown.
    InputError
        See :func:`load_file` and :func:`load_downloader`; a source that is neither an existing
        path nor a downloader name (one file-name part, no folders) is refused by name.
    """
    check_format(fmt)
    text = str(source)
    if not text.strip():
        raise InputError("no vectors source given: pass a file path or a gensim-downloader name")
    path = Path(source)
    if path.exists():
        return load_file(path, fmt=fmt, trusted=trusted, limit=limit)
    if _looks_like_path(text):
        raise InputError(f"vectors file {source} does not exist; check the path")
    from embedlab.io import safe_name

    safe_name(text, "gensim-downloader name")  # the name becomes a folder under GENSIM_DATA_DIR
    return load_downloader(text, download=download, limit=limit)
