"""run.json: written when a run starts, rewritten when it ends (completed or failed), with headlines."""

from __future__ import annotations

import json
import re

import pytest

import embedlab
from embedlab.lab.runinfo import RunInfo, git_commit, read_run_info, versions
from embedlab.tasks.base import HeadlineMetric
from embedlab.tasks.classification import ClassificationTask

PART = {
    "task": "classification",
    "dataset": "imbalanced-digits",
    "backend": {"name": "mlp-classifier", "params": {"units": 8}},
    "train": {"epochs": 1},
}
SUITE = {"name": "suite", "seed": 3, "parts": [{**PART, "name": "first"}, {**PART, "name": "second"}]}


def test_run_json_records_the_run_and_each_parts_headline(tmp_path, monkeypatch):
    seen = []

    def fake(task, config, run, section, resume):
        seen.append(json.loads((run.path / "run.json").read_text())["status"])
        run.log_metrics(section, {"splits": {"test": {"macro_f1": 0.75 if section == "first" else 0.5}}})

    monkeypatch.setattr(ClassificationTask, "run_section", fake)
    result = embedlab.run(SUITE, tmp_path)
    assert seen == ["running", "running"]  # written before the first section ran
    saved = json.loads((result.path / "run.json").read_text())
    assert saved["schema_version"] == 1 and saved["status"] == "completed"
    assert saved["name"] == "suite" and saved["run"] == result.path.name and saved["seed"] == 3
    assert saved["started_at"] <= saved["finished_at"] and saved["duration_s"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", saved["started_at"])
    assert saved["versions"]["embedlab"] == embedlab.__version__ and saved["versions"]["python"]
    assert saved["parts"] == [
        {
            "name": "first",
            "task": "classification",
            "dataset": "imbalanced-digits",
            "headline": {"name": "test macro F1", "value": 0.75},
        },
        {
            "name": "second",
            "task": "classification",
            "dataset": "imbalanced-digits",
            "headline": {"name": "test macro F1", "value": 0.5},
        },
    ]
    assert read_run_info(result.path) == RunInfo.model_validate(saved)
    overview = (result.path / "report.md").read_text().split("\n## ")[0]
    assert "| first | classification | imbalanced-digits | test macro F1 | 0.75 |" in overview
    assert "- seed: 3" in overview and "[config.yaml](config.yaml)" in overview


def test_a_run_that_raises_is_recorded_as_failed_and_the_error_goes_through(tmp_path, monkeypatch):
    def broken(task, config, run, section, resume):
        if section == "second":
            raise RuntimeError("boom")
        run.log_metrics(section, {"splits": {"test": {"macro_f1": 0.75}}})

    monkeypatch.setattr(ClassificationTask, "run_section", broken)
    with pytest.raises(RuntimeError, match="boom"):
        embedlab.run(SUITE, tmp_path)
    (folder,) = tmp_path.iterdir()
    info = read_run_info(folder)
    assert info is not None and info.status == "failed" and info.finished_at is not None
    assert [p.headline.value if p.headline else None for p in info.parts] == [0.75, None]


def test_run_json_that_is_missing_or_foreign_reads_as_none(tmp_path):
    assert read_run_info(tmp_path) is None
    (tmp_path / "run.json").write_text('{"status": "bogus"}')
    assert read_run_info(tmp_path) is None


def test_versions_and_commit_never_stop_a_run(tmp_path):
    found = versions()
    assert found.embedlab == embedlab.__version__ and found.python.count(".") == 2
    assert git_commit(tmp_path) is None  # not a repository
    assert git_commit(tmp_path / "missing") is None  # not even a folder


def test_headline_reads_a_number_at_its_key_path_and_nothing_else():
    headline = HeadlineMetric("test accuracy", ("splits", "test", "accuracy"))
    assert headline.value({"splits": {"test": {"accuracy": 1}}}) == 1.0
    assert headline.value({"splits": {"test": {"accuracy": "high"}}}) is None
    assert headline.value({"splits": {"test": {"accuracy": True}}}) is None
    assert headline.value({"splits": {"val": {}}}) is None
    assert headline.value({"splits": ["test"]}) is None


def test_every_built_in_task_declares_a_headline():
    for name in ("metric-learning", "classification", "words"):
        task = embedlab.create("task", name)
        assert isinstance(type(task).headline, HeadlineMetric), name
