"""Shared checks for the bad-input catalogues (``tests/**/test_bad_inputs.py``).

Every case in a catalogue asserts the same four things:

- the error is a typed :class:`embedlab.EmbedlabError` (or the named subclass);
- at the command line it exits with code 2 and prints one line, with no traceback;
- the message names the bad input;
- nothing was written outside the folder the command was allowed to write into.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from embedlab.errors import EmbedlabError

__all__ = ["api_error", "cli_error", "files_under", "typed_cli_error", "writes_confined_to"]


def files_under(root: Path) -> set[Path]:
    """Every file and folder below ``root`` (relative paths)."""
    return {p.relative_to(root) for p in root.rglob("*")}


@contextmanager
def writes_confined_to(root: Path, allowed: Sequence[str | Path] = ()) -> Iterator[None]:
    """Check that the block creates nothing under ``root`` except inside the ``allowed`` folders.

    ``allowed`` holds paths relative to ``root``; an empty list means nothing may be written.
    """
    before = files_under(root)
    yield
    inside = [Path(a) for a in allowed]
    new = sorted(
        p
        for p in files_under(root) - before
        if not any(p == a or a in p.parents or p in a.parents for a in inside)
    )
    assert not new, f"written outside {[str(a) for a in inside] or 'nothing allowed'}: {new}"


def cli_error(
    args: Sequence[str],
    cwd: Path,
    names: str | Sequence[str],
    allowed: Sequence[str | Path] = (),
    env: dict[str, str] | None = None,
) -> Result:
    """Run ``embedlab ARGS`` in ``cwd`` and check the CLI's error promise.

    Parameters
    ----------
    args
        The command line after ``embedlab``.
    cwd
        The folder the command runs in; it must hold nothing but the test's inputs.
    names
        Text the one-line message must contain (the bad input, the key path); several must all appear.
    allowed
        Folders, relative to ``cwd``, the command may write into (``--out``, say).
    env
        Extra environment variables for the run.

    Returns
    -------
    click.testing.Result
        For further checks.
    """
    result = _invoke(list(args), cwd, allowed, env)
    output = result.output
    assert result.exit_code == 2, f"exit {result.exit_code}, output:\n{output}\n{result.exception!r}"
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("embedlab: error:") or line.startswith("Error:")]
    assert len(errors) == 1, f"expected one error line, got:\n{output}"
    _assert_named(names, errors[0])
    return result


def typed_cli_error(
    error: type[EmbedlabError],
    args: Sequence[str],
    cwd: Path,
    names: str | Sequence[str],
    allowed: Sequence[str | Path] = (),
    env: dict[str, str] | None = None,
) -> Result:
    """:func:`cli_error`, then the same command with ``--debug``, which must raise ``error``.

    Returns
    -------
    click.testing.Result
        The first run's, for further checks.
    """
    result = cli_error(args, cwd, names, allowed, env)
    debug = _invoke(["--debug", *args], cwd, allowed, env)
    assert isinstance(debug.exception, error), f"{debug.exception!r} is not a {error.__name__}"
    return result


def api_error(
    call: Callable[[], Any],
    error: type[EmbedlabError],
    names: str | Sequence[str],
    cwd: Path | None = None,
    allowed: Sequence[str | Path] = (),
) -> EmbedlabError:
    """Call ``call()`` and check that it raises ``error`` naming ``names``, writing nothing outside ``allowed``.

    Returns
    -------
    EmbedlabError
        The error raised, for further checks.
    """
    assert issubclass(error, EmbedlabError)
    guard = writes_confined_to(cwd, allowed) if cwd is not None else _nothing()
    with guard, pytest.raises(error) as info:
        call()
    _assert_named(names, str(info.value))
    return info.value


def _invoke(
    args: list[str], cwd: Path, allowed: Sequence[str | Path], env: dict[str, str] | None
) -> Result:
    """Run ``embedlab ARGS`` in ``cwd``, checking that it writes only inside ``allowed``."""
    from embedlab.cli import main

    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with writes_confined_to(cwd, allowed):
            return CliRunner().invoke(main, args, env=env, catch_exceptions=True)
    finally:
        os.chdir(previous)


def _assert_named(names: str | Sequence[str], message: str) -> None:
    for name in [names] if isinstance(names, str) else names:
        assert name in message, f"{name!r} not named in: {message}"


@contextmanager
def _nothing() -> Iterator[None]:
    yield
