"""Safe file output: atomic writes, confined paths, and names from input checked before use.

Every output is written to a temporary file beside its target, flushed to disk, given the
permissions the umask allows, and renamed into place, so nothing half-written is ever left
behind. Names that come from input (run names, sections, split names) become file names only
through :func:`safe_name`, files are read back only from inside their folder (:func:`within`),
and text from input goes into Markdown reports through :func:`escape_markdown`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from embedlab.errors import EmbedlabError, InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MAX_NAME_BYTES",
    "atomic_path",
    "atomic_write",
    "cache_dir",
    "ensure_folder",
    "escape_markdown",
    "safe_name",
    "save_figure",
    "read_json",
    "within",
    "write_json",
]

#: The longest name, in UTF-8 bytes, that :func:`safe_name` accepts: with the suffixes embedlab
#: adds (a timestamp, a section, ``.png``) a file name stays under the usual 255-byte limit.
MAX_NAME_BYTES = 100

_NAME = re.compile(r"[^\W_][\w.+=@,-]*")
_UMASK_LOCK = threading.Lock()
# Markdown that could make text live or break the layout: tags and autolinks (<>), links and
# images ([]), table cells (|), code spans (`), and the backslash itself. Emphasis stays as text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`<>\[\]|])")


def _shown(name: str) -> str:
    return repr(name) if len(name) <= 60 else repr(name[:60]) + "..."


def safe_name(name: Any, what: str, error: type[EmbedlabError] = InputError) -> str:
    """Check that ``name`` can be used as one file-name component, and return it.

    A safe name starts with a letter or digit and holds only letters, digits and ``. _ - + = @ ,``
    (so no ``/``, ``..``, absolute paths, spaces or control characters), in at most
    :data:`MAX_NAME_BYTES` bytes.

    Parameters
    ----------
    name
        The name, as given by the user.
    what
        What the name is, for the message (``"name"``, ``"parts[1].name"``, ``"split"``).
    error
        The error type to raise (:class:`~embedlab.errors.ConfigError` for config keys).

    Raises
    ------
    EmbedlabError
        Of type ``error``, naming ``what``, the name and the characters allowed.
    """
    fix = "use letters, digits and . _ - + = @ , starting with a letter or digit"
    if not isinstance(name, str):
        raise error(f"{what} {name!r} must be a string; {fix}")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise error(f"{what} {_shown(name)} is longer than {MAX_NAME_BYTES} bytes; shorten it and {fix}")
    if not _NAME.fullmatch(name):
        raise error(f"{what} {_shown(name)} cannot be used as a file name; {fix}")
    return name


def escape_markdown(text: Any) -> str:
    """Make ``text`` from input inert in a Markdown report: one line, every character that starts markup escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def within(root: str | Path, path: str | Path) -> bool:
    """Whether ``path`` (relative paths are taken from ``root``), with symbolic links resolved, is inside ``root``."""
    base = Path(root).resolve()
    try:
        return (base / path).resolve().is_relative_to(base)
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a symbolic link loop: no file to trust
        return False


def ensure_folder(path: str | Path, what: str = "output folder") -> Path:
    """Create the folder ``path`` (and its parents) if missing; return it.

    Raises
    ------
    InputError
        If a file stands where the folder or one of its parents should be, or the folder
        cannot be created or written to; the message names the path.
    """
    folder = Path(path)
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise InputError(
            f"{what} {str(folder)!r} cannot be created: {str(blocker)!r} is a file, not a folder; "
            "choose another path"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(
            f"cannot create {what} {str(folder)!r}: {reason}; choose a folder you can write to"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{what} {str(folder)!r} is not writable; choose a folder you can write to")
    return folder


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux), else set and restored under a lock."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    """Flush ``path`` (a file or a folder) to disk; folders cannot be opened on some systems."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _cannot_write(target: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write {str(target)!r}: {exc.strerror or exc}; choose a path you can write to")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    Before the rename the file gets the permissions the umask allows (``0o666 & ~umask``, as a
    plain ``open`` would give), and it is flushed to disk; after it, so is its folder. On an
    exception the temporary file is removed and ``path`` is left untouched.

    Raises
    ------
    InputError
        If the folder of ``path`` cannot be created or written to.
    """
    target = Path(path)
    ensure_folder(target.parent)
    # Named before it exists, so that an interrupt at any point after its creation (a Ctrl-C
    # during training) still finds and removes it below.
    tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    try:
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            raise _cannot_write(target, exc) from None
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        _fsync(tmp)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _cannot_write(target, exc) from None
        _fsync(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``path`` only when the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, mode, encoding=None if "b" in mode else encoding) as fh:
        yield fh


def read_json(path: str | Path, what: str = "file", fix: str = "check or remove the file") -> Any:
    """Read a JSON file.

    Raises
    ------
    InputError
        If it cannot be read or is not JSON, naming the path.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"cannot read {what} {str(path)!r}: {reason}; {fix}") from None


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_write(path) as fh:
        json.dump(data, fh, indent=2, default=str)
        fh.write("\n")


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Save a matplotlib figure atomically, in the format the suffix names; return the path.

    Raises
    ------
    InputError
        If matplotlib cannot write the format the suffix names (checked before anything is written).
    """
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise InputError(
            f"cannot save a figure as {str(target)!r}: unknown format {fmt!r}; "
            f"use one of the suffixes {', '.join('.' + s for s in sorted(supported))}"
        )
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt)
    return target


def cache_dir() -> Path:
    """embedlab's cache: ``$EMBEDLAB_CACHE_DIR``, ``$XDG_CACHE_HOME/embedlab`` or ``~/.cache/embedlab``."""
    env = os.environ.get("EMBEDLAB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "embedlab"
