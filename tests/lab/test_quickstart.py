"""The quickstart: all four studies in one offline run from the shell, quiet when piped, and a
report whose every image loads.

The quickstart takes minutes, so one run serves every check: ``embedlab run
examples/quickstart.yaml --out D`` with stdout and stderr redirected to files, as a user's
``2>err >out`` would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser import CHROMIUM, images_loaded

QUICKSTART = Path(__file__).parents[2] / "examples" / "quickstart.yaml"

#: What a tqdm bar leaves in a file: ``40%|████      | 4/10 [00:01<00:02, 3.1it/s]``.
BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+|it/s\]|s/it\]")


def assert_quiet(text: str, where: str) -> None:
    """No carriage-return progress lines and no tqdm bar in ``text``."""
    assert "\r" not in text, f"{where} holds carriage returns (progress lines)"
    bar = BAR.search(text)
    assert bar is None, f"{where} holds a progress bar: {text[max(bar.start() - 60, 0) : bar.end() + 20]!r}"


def test_the_quiet_check_sees_bars_and_carriage_returns():
    with pytest.raises(AssertionError, match="carriage"):
        assert_quiet("training:  10%|#         | 1/10\rtraining:  20%", "err")
    with pytest.raises(AssertionError, match="progress bar"):
        assert_quiet("training:  40%|####      | 4/10 [00:01<00:02, 3.10it/s]\n", "err")
    assert_quiet("report: runs/quickstart/report.html\nepoch 3: loss 0.1\n", "out")


@pytest.mark.ray
@pytest.mark.slow
def test_quickstart_from_the_shell_covers_every_study_quietly_and_its_report_loads(tmp_path):
    pytest.importorskip(
        "embedlab_sbert", reason="the quickstart's word space comes from the embedlab-sbert plugin"
    )
    out_dir = tmp_path / "runs"
    env = {k: v for k, v in os.environ.items() if k != "EMBEDLAB_QUIET"}  # quiet because piped
    with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
        code = subprocess.run(
            [sys.executable, "-m", "embedlab", "run", str(QUICKSTART), "--out", str(out_dir)],
            stdout=out,
            stderr=err,
            env=env,
            timeout=1800,
        ).returncode
    stdout, stderr = (tmp_path / "out").read_text(), (tmp_path / "err").read_text()
    assert code == 0, stderr[-3000:]
    assert_quiet(stdout, "stdout")
    assert_quiet(stderr, "stderr")
    assert "Trial status" not in stdout + stderr  # Ray Tune's live tables follow the quiet
    (run_dir,) = (p.parent for p in out_dir.glob("*/metrics.json"))
    assert stdout.splitlines() == [f"report: {run_dir / 'report.html'}"]

    index = json.loads((run_dir / "metrics.json").read_text())
    metrics, figures = index["metrics"], index["figures"]
    assert {"words", "metric-learning", "imbalanced", "imbalanced-weighted", "search"} <= set(figures)
    names = {Path(f).stem for files in figures.values() for f in files}
    for expected in (
        "words-neighbours",
        "words-arrows-gender",
        "words-diagnosis",
        "metric-learning-embeddings",
        "imbalanced-test-roc",
        "imbalanced-test-confusion",
        "imbalanced-recall",
        "search-trials",
    ):
        assert expected in names
    assert metrics["metric-learning"]["retrieval (queries vs train)"]["test"]["precision_at_1"] > 0.9
    assert metrics["words"]["analogies"]["king + woman - man"][0][0] == "queen"
    assert metrics["search"]["trials"] == 8
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium package is not installed (.ci/run installs it); the report was not opened"
        )
    total = sum(len(files) for files in figures.values())
    assert images_loaded(run_dir / "report.html", tmp_path / "profile") == (total, total)
