"""embedlab.run: run directories for a task, a suite of parts, a search; resume; CLI errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import embedlab
from embedlab.cli import main
from embedlab.lab.run import config_changes
from embedlab.tasks.classification import ClassificationTask

CLASSIFY = {
    "name": "small",
    "task": "classification",
    "dataset": "imbalanced-digits",
    "backend": {"name": "mlp-classifier", "params": {"units": 32}},
    "train": {"epochs": 2, "lr": 0.003},
}


def test_classification_run_writes_the_whole_directory(tmp_path):
    result = embedlab.run(CLASSIFY, tmp_path)
    root = result.path
    assert root.parent == tmp_path and root.name.startswith("small-")
    for name in ("config.yaml", "config.json", "metrics.json", "report.md", "report.html"):
        assert (root / name).is_file(), name
    saved = json.loads((root / "metrics.json").read_text())
    splits = saved["metrics"]["small"]["splits"]
    assert set(splits) == {"train", "val", "test"}
    assert 0 < splits["test"]["balanced_accuracy"] <= 1
    figures = result.figures["small"]
    assert {
        "figures/small-test-roc.png",
        "figures/small-test-confusion.png",
        "figures/small-recall.png",
    } <= set(figures)
    html = result.report.read_text()
    assert html.count("data:image/png;base64,") == len(figures)
    assert "figures/small-class-distribution.png" in figures  # imbalanced classes
    assert saved["metrics"]["small"]["dataset"]["sizes"] == {"train": 692, "val": 160, "test": 213}
    report = (root / "report.md").read_text()
    assert "Dataset: imbalanced-digits — embedded stand-in for DermaMNIST" in report
    assert not list(root.rglob("*.tmp"))


def test_resume_keeps_finished_parts_and_finishes_the_rest(tmp_path, monkeypatch):
    suite = {"name": "suite", "parts": [{**CLASSIFY, "name": "first"}, {**CLASSIFY, "name": "second"}]}
    calls = []

    run_section = ClassificationTask.run_section

    def flaky(task, config, run, section, resume):
        calls.append((section, resume))
        if section == "second" and not resume:
            raise KeyboardInterrupt  # as SIGINT would, midway through the run
        run_section(task, config, run, section, resume)

    monkeypatch.setattr(ClassificationTask, "run_section", flaky)
    with pytest.raises(KeyboardInterrupt):
        embedlab.run(suite, tmp_path)
    interrupted = next(tmp_path.iterdir())
    assert not (interrupted / "report.html").exists()
    assert json.loads((interrupted / "metrics.json").read_text())["completed"] == ["first"]
    result = embedlab.run(suite, tmp_path, resume=True)
    assert result.path == interrupted
    assert calls == [("first", False), ("second", False), ("second", True)]
    assert set(result.metrics) == {"first", "second"}
    assert not list(interrupted.rglob("*.tmp"))


def test_bad_study_options_and_unknown_task_fail_before_work(tmp_path):
    with pytest.raises(embedlab.ConfigError, match="task.*'dance'"):
        embedlab.run({**CLASSIFY, "task": "dance"}, tmp_path)
    with pytest.raises(embedlab.ConfigError, match="parts must have distinct names; repeated: a"):
        embedlab.run({"name": "s", "parts": [{**CLASSIFY, "name": "a"}, {**CLASSIFY, "name": "a"}]}, tmp_path)
    with pytest.raises(embedlab.ConfigError, match=r"study\W+recall_target"):
        embedlab.run({**CLASSIFY, "study": {"recall_target": 2}}, tmp_path)
    assert not any(tmp_path.iterdir())  # refused before a run directory was made


def test_cli_run_and_one_line_errors(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: c\ntask: classification\ndataset: digits\nbackend: linear-probe\ntrain: {epochs: 1}\n"
    )
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].endswith("report.html")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "missing.yaml")])
    assert (
        result.exit_code == 2
        and result.output.startswith("embedlab: error:")
        and "Traceback" not in result.output
    )
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(tmp_path / "none"), "--resume"])
    assert result.exit_code == 2 and "no earlier run named 'c'" in result.output


@pytest.mark.ray
def test_a_config_with_a_search_space_runs_a_search(tmp_path, ray_session):
    config = {
        **CLASSIFY,
        "name": "search",
        "dataset": "digits",
        "backend": {"name": "mlp-classifier", "params": {"units": {"choice": [16, 64]}}},
        "tune": {
            "metric": "val_accuracy",
            "mode": "max",
            "num_samples": 2,
            "max_epochs": 2,
            "scheduler": "fifo",
        },
        "study": {"top": 2},
    }
    result = embedlab.run(config, tmp_path)
    section = result.metrics["search"]
    assert section["trials"] == 2 and len(section["top trials"]) == 2
    assert 0 < section["best_metric"] <= 1
    assert result.figures["search"] == ["figures/search-trials.png"]
    assert (result.path / "tune" / "trials.csv").is_file()


def words_config(tmp_path, **study):
    """A quick ``task: words`` config over a six-word vector file."""
    words = ["king", "queen", "man", "woman", "actor", "actress"]
    path = tmp_path / "vectors.txt"
    path.write_text("6 3\n" + "".join(f"{w} {i} {i % 3} {-i}\n" for i, w in enumerate(words, 1)))
    return {
        "name": "w",
        "task": "words",
        "backend": {"name": "gensim", "params": {"source": str(path)}},
        "study": {"topn": 2, "evaluate": False, "diagnose": None, **study},
    }


def test_resume_with_a_changed_config_is_refused_unless_force_new(tmp_path):
    first = embedlab.run(words_config(tmp_path), tmp_path / "runs")
    saved = (first.path / "config.json").read_text()
    changed = words_config(tmp_path, topn=3)
    with pytest.raises(embedlab.ConfigError, match=r"study\.topn: 2 -> 3.*--force-new"):
        embedlab.run(changed, tmp_path / "runs", resume=True)
    assert (first.path / "config.json").read_text() == saved
    second = embedlab.run(changed, tmp_path / "runs", resume=True, force_new=True)
    assert second.path != first.path and (first.path / "config.json").read_text() == saved
    assert json.loads((second.path / "config.json").read_text())["study"]["topn"] == 3
    again = embedlab.run(changed, tmp_path / "runs", resume=True)
    assert again.path == second.path


def test_config_changes_name_each_key_path():
    old = {"train": {"epochs": 5, "lr": 0.1}, "parts": [{"name": "a"}, {"name": "b"}], "seed": 0}
    new = {"train": {"epochs": 6}, "parts": [{"name": "a"}, {"name": "c"}], "seed": 0, "tag": "x" * 60}
    assert config_changes(old, new) == [
        "train.epochs: 5 -> 6",
        "train.lr: 0.1 -> (unset)",
        'parts[1].name: "b" -> "c"',
        'tag: (unset) -> "' + "x" * 36 + "...",
    ]
    assert config_changes(old, old) == []
