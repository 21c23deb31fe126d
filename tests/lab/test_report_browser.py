"""A run's report.html, opened in headless Chromium: every embedded image must load."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from browser import CHROMIUM, images_loaded

from embedlab.lab import RunDirectory, write_reports


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium package is not installed (.ci/run installs it)"
)
def test_every_report_image_loads_in_chromium(tmp_path):
    run = RunDirectory(tmp_path / "run")
    for section in ("words", "metric-learning"):
        for name in ("a", "b"):
            fig, ax = plt.subplots()
            ax.plot([0, 1], [1, 0])
            run.add_figure(section, name, fig)
    report = write_reports(run.path, "browser check", run.metrics, run.figures)
    assert images_loaded(report, tmp_path / "profile") == (4, 4)
    broken = report.with_name("broken.html")
    broken.write_text(report.read_text().replace("base64,", "base64,AAAA", 1))
    total, loaded = images_loaded(broken, tmp_path / "profile2")
    assert (total, loaded) == (4, 3)  # the probe does tell a broken image apart
