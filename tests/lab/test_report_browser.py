"""A run's report.html, opened in headless Chromium: every embedded image must load."""

from __future__ import annotations

import re
import shutil
import subprocess

import matplotlib.pyplot as plt
import pytest

from embedlab.lab import RunDirectory, write_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=5000", "--dump-dom",
]  # fmt: skip
PROBE = (
    "<script>window.addEventListener('load', () => {"
    "const ok = [...document.images].map(i => i.complete && i.naturalWidth > 0);"
    "document.body.setAttribute('data-images', ok.length + ':' + ok.filter(Boolean).length);});</script>"
)


def images_loaded(html_path, profile) -> tuple[int, int]:
    """Open a copy of the page with a probe script; return (images, images that loaded)."""
    probe = html_path.with_name("probe.html")
    probe.write_text(html_path.read_text().replace("</body>", PROBE + "</body>"))
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    total, loaded = re.search(r'data-images="(\d+):(\d+)"', dom).groups()
    return int(total), int(loaded)


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
