"""Quiet output: bars only when asked for, not quiet, and on a terminal; no \\r when redirected."""

from __future__ import annotations

import io
import subprocess
import sys

from embedlab.progress import QUIET_ENV, console_verbosity, is_quiet, progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_shows_only_when_asked_not_quiet_and_on_a_terminal(monkeypatch):
    monkeypatch.delenv(QUIET_ENV, raising=False)
    assert not progress_bar(True, total=1, file=_Terminal()).disable
    assert progress_bar(False, total=1, file=_Terminal()).disable
    assert progress_bar(True, total=1, file=io.StringIO()).disable
    monkeypatch.setenv(QUIET_ENV, "1")
    assert progress_bar(True, total=1, file=_Terminal()).disable
    assert console_verbosity(2) == 0


def test_a_run_with_its_output_redirected_writes_no_progress_lines(tmp_path):
    # the classification part trains with progress=True, so its bar would write \r lines
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: c\ntask: classification\ndataset: imbalanced-digits\n"
        "backend: {name: mlp-classifier, params: {units: 32}}\ntrain: {epochs: 2}\n"
    )
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = subprocess.call(
            [sys.executable, "-m", "embedlab", "run", str(config), "--out", str(tmp_path / "runs")],
            stdout=stdout,
            stderr=stderr,
        )
    assert code == 0, err.read_text()
    assert out.read_text().strip().endswith("report.html")
    assert b"\r" not in out.read_bytes() and b"\r" not in err.read_bytes()


def test_quiet_is_on_every_command_and_sets_the_environment(monkeypatch):
    from click.testing import CliRunner

    from embedlab.cli import main

    monkeypatch.setenv(QUIET_ENV, "0")  # restored after the test, as the flag sets it
    for command in ("run", "tune", "evaluate", "words"):
        assert "--quiet" in CliRunner().invoke(main, [command, "--help"]).output
    assert CliRunner().invoke(main, ["-q", "plugins"]).exit_code == 0
    assert is_quiet()
