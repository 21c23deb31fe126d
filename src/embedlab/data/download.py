"""Downloads on request: run a third-party downloader, turning its failure into one clear error."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable
from pathlib import Path

from embedlab.errors import ConfigError
from embedlab.params import clip

__all__ = ["attempt_download"]

logger = logging.getLogger(__name__)


def attempt_download(name: str, destination: Path, fetch: Callable[[], object], how_to_fetch: str) -> None:
    """Call ``fetch()``, which downloads ``name``'s files into ``destination``.

    What the downloader prints goes to the log, not to standard output.

    Parameters
    ----------
    name
        The dataset, for the message.
    destination
        Where the files go, for the message.
    fetch
        The download (torchvision's or medmnist's).
    how_to_fetch
        How to get the files by hand (a command, a URL), for the message.

    Raises
    ------
    ConfigError
        The download failed (no network, a bad checksum): the message says a download was
        attempted, why it failed, and ``how_to_fetch``.
    """
    logger.info("downloading %s into %s", name, destination)
    try:
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            fetch()
    except (OSError, RuntimeError, ValueError) as exc:  # urllib's URLError is an OSError
        raise ConfigError(
            f"{name}: download into {str(destination)!r} was attempted and failed "
            f"({type(exc).__name__}: {clip(str(exc), 300)}); {how_to_fetch}"
        ) from None
    logger.debug("%s downloader: %s", name, printed.getvalue().strip())
