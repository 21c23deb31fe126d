"""Shared checks of the study configs in examples/studies/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from embedlab.errors import ConfigError, InputError
from embedlab.lab.run import run


@pytest.fixture
def refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], str]:
    """Run a study config with ``EMBEDLAB_DATA`` pointed at an empty folder (``<tmp_path>/empty``).

    Returns the refusal's message, after checking that it is a typed one-line error and that no
    run directory was written.
    """

    def refused(config: Path) -> str:
        monkeypatch.setenv("EMBEDLAB_DATA", str(tmp_path / "empty"))
        out = tmp_path / "runs"
        with pytest.raises((ConfigError, InputError)) as info:
            run(config, out)
        message = str(info.value)
        assert "\n" not in message
        assert not out.exists() or not any(out.iterdir())
        return message

    return refused
