"""The quickstart: all four studies in one offline run, and a report whose every image loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import CHROMIUM, images_loaded

import embedlab

QUICKSTART = Path(__file__).parents[2] / "examples" / "quickstart.yaml"


@pytest.mark.ray
@pytest.mark.slow
def test_quickstart_covers_every_study_and_its_report_loads(tmp_path, ray_session):
    pytest.importorskip(
        "embedlab_sbert", reason="the quickstart's word space comes from the embedlab-sbert plugin"
    )
    result = embedlab.run(QUICKSTART, tmp_path)
    figures = result.figures
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
    assert result.metrics["metric-learning"]["retrieval (queries vs train)"]["test"]["precision_at_1"] > 0.9
    assert result.metrics["words"]["analogies"]["king + woman - man"][0][0] == "queen"
    assert result.metrics["search"]["trials"] == 8
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium package is not installed (.ci/run installs it); the report was not opened"
        )
    total = sum(len(files) for files in figures.values())
    assert images_loaded(result.report, tmp_path / "profile") == (total, total)
