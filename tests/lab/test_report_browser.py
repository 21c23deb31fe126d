"""A run's report.html, opened in headless Chromium: every image loads, and the first screen shows the overview."""

from __future__ import annotations

import html
import re

import matplotlib.pyplot as plt
import pytest
from browser import CHROMIUM, images_loaded, probe_dom

from embedlab.lab import RunDirectory, write_reports
from embedlab.lab.runinfo import Headline, PartInfo, RunInfo, Versions

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium package is not installed (.ci/run installs it)"
)

# Records where the overview table ends, the viewport's height, and every cell's text.
OVERVIEW_PROBE = (
    "const t = document.querySelector('table.overview');"
    "document.body.setAttribute('data-bottom', Math.round(t.getBoundingClientRect().bottom));"
    "document.body.setAttribute('data-window', window.innerHeight);"
    "document.body.setAttribute('data-cells', [...t.querySelectorAll('td')].map(c => c.innerText).join('|'));"
)


def figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    return fig


def test_every_report_image_loads_in_chromium(tmp_path):
    run = RunDirectory(tmp_path / "run")
    for section in ("words", "metric-learning"):
        for name in ("a", "val-roc", "test-roc"):  # the second and third share a row of tabs
            run.add_figure(section, name, figure())
    report = write_reports(run.path, "browser check", run.metrics, run.figures)
    assert images_loaded(report, tmp_path / "profile") == (6, 6)
    broken = report.with_name("broken.html")
    broken.write_text(report.read_text().replace("base64,", "base64,AAAA", 1))
    total, loaded = images_loaded(broken, tmp_path / "profile2")
    assert (total, loaded) == (6, 5)  # the probe does tell a broken image apart


def test_the_first_screen_shows_every_parts_headline(tmp_path):
    parts = {
        "words": ("words", None, "Google analogy accuracy", 0.6147529),
        "metric-learning": ("metric-learning", "digits", "test precision@1", 0.9666667),
        "imbalanced": ("classification", "imbalanced-digits", "test macro F1", 0.7369),
        "imbalanced-weighted": ("classification", "imbalanced-digits", "test macro F1", 0.8445),
        "search": ("search", "digits", "best val_accuracy", 0.9407),
    }
    run = RunDirectory(tmp_path / "run")
    for name in parts:  # sections long enough that only the overview fits on the first screen
        run.log_metrics(name, {"history": [{"epoch": i, "loss": 1 / i} for i in range(1, 40)], "n": 1})
        for split in ("train", "val", "test"):
            run.add_figure(name, f"{split}-roc", figure())
    info = RunInfo(
        name="quickstart",
        run="quickstart-20261203-120000",
        started_at="2026-12-03T12:00:00+00:00",
        finished_at="2026-12-03T12:02:16+00:00",
        duration_s=136.2,
        status="completed",
        seed=0,
        versions=Versions(embedlab="0.1.0", torch="2.5.1", python="3.11.7"),
        git_commit="a7adbed5c51fa9a8b7dbad28c87346ac0847ad67",
        parts=[
            PartInfo(name=n, task=t, dataset=d, headline=Headline(name=h, value=v))
            for n, (t, d, h, v) in parts.items()
        ],
    )
    report = write_reports(run.path, "embedlab run: quickstart", run.metrics, run.figures, info)
    dom = probe_dom(report, tmp_path / "profile", OVERVIEW_PROBE, window=(1280, 800))
    found = {
        key: html.unescape(value) for key, value in re.findall(r'data-(bottom|window|cells)="([^"]*)"', dom)
    }
    # The viewport of an 800-pixel window, less the browser's own bars (657 in Chromium 156).
    viewport = int(found["window"])
    assert 600 <= viewport <= 800
    assert 0 < int(found["bottom"]) <= viewport, found
    cells = found["cells"].split("|")
    for name, (task, dataset, headline, value) in parts.items():
        assert name in cells and task in cells and headline in cells
        assert f"{value:.4g}" in cells
        assert dataset is None or dataset in cells
    assert "2 min 16 s" in report.read_text()
