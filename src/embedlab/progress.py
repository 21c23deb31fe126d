"""Progress bars that stay quiet when nobody is watching.

One rule for every bar in embedlab: a bar shows only when it is asked for
(``progress=True``), ``EMBEDLAB_QUIET`` is not set, and stderr is a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from tqdm.auto import tqdm

__all__ = ["QUIET_ENV", "console_verbosity", "is_quiet", "progress_bar", "quiet_option"]

QUIET_ENV = "EMBEDLAB_QUIET"


def is_quiet() -> bool:
    """Whether ``EMBEDLAB_QUIET`` asks for no progress output.

    Returns
    -------
    bool
        True when the variable is set to anything but ``""``, ``"0"`` or ``"false"``.
    """
    return os.environ.get(QUIET_ENV, "").strip().lower() not in ("", "0", "false")


def progress_bar(enabled: bool = True, **kwargs: Any) -> tqdm[Any]:
    """A tqdm bar that is off when not wanted or when stderr is not a terminal.

    Parameters
    ----------
    enabled
        The caller's ``progress`` setting; False always hides the bar.
    **kwargs
        Passed to :class:`tqdm.tqdm` (``total``, ``desc``, ``unit``, ...).

    Returns
    -------
    tqdm.tqdm
        The bar; a disabled one still accepts ``update`` and ``close``.
    """
    # disable=None is tqdm's own "off unless the stream is a TTY"
    return tqdm(disable=None if enabled and not is_quiet() else True, **kwargs)


def console_verbosity(level: int) -> int:
    """The verbosity a tool such as Ray Tune should get: ``level``, or 0 when quiet.

    Parameters
    ----------
    level
        The verbosity asked for.

    Returns
    -------
    int
        0 when ``EMBEDLAB_QUIET`` is set or stdout is not a terminal, else ``level``.
    """
    return 0 if is_quiet() or not sys.stdout.isatty() else level


_F = TypeVar("_F", bound=Callable[..., Any])


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    # through the environment, so that Ray's workers and every bar see it too
    if value:
        os.environ[QUIET_ENV] = "1"


def quiet_option(f: _F) -> _F:
    """Add ``--quiet/-q`` to a command: no progress bars and no live tables (as ``EMBEDLAB_QUIET=1``)."""
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_quiet,
        help=f"No progress bars or live tables (as {QUIET_ENV}=1); they also hide when not a terminal.",
    )(f)
