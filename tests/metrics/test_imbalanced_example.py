"""examples/imbalanced.py reproduces Study 3 end to end (slow: fits three models, writes 37 files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "imbalanced.py"


@pytest.mark.slow
def test_study3_example_writes_reports_and_figures(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for variant in ("baseline", "class-weights", "oversampled"):
        folder = tmp_path / variant
        for split in ("train", "val", "test"):
            for kind in ("roc", "pr", "confusion"):
                assert (folder / f"{split}-{kind}.png").stat().st_size > 0
        assert (folder / "recall.png").exists() and (folder / "report.md").exists()
        report = json.loads((folder / "report.json").read_text())
        assert set(report) == {"train", "val", "test"}
    summary = (tmp_path / "summary.md").read_text()
    assert "| baseline | test |" in summary and "| class-weights | test |" in summary
    assert (tmp_path / "test-recall-by-variant.png").exists()
    # rebalancing raises the worst minority recall on the held-out splits
    base = json.loads((tmp_path / "baseline" / "report.json").read_text())
    weighted = json.loads((tmp_path / "class-weights" / "report.json").read_text())
    assert weighted["test"]["balanced_accuracy"] > base["test"]["balanced_accuracy"]
