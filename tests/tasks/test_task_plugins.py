"""Tasks are a plugin kind: the built-ins and a third-party task (tests/plugins/embedlab-toy-task)
are listed, run and tuned through the registry."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from bad_inputs import cli_error
from click.testing import CliRunner

import embedlab
from embedlab.cli import main
from embedlab.errors import ConfigError, UnknownPluginError
from embedlab.tasks import Task

TOY = {"name": "toy-run", "task": "toy", "dataset": "digits", "train": {"epochs": 3}, "study": {"title": "t"}}


def _write(tmp_path, data, name="toy.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_built_in_tasks_are_listed_with_the_schema_of_their_blocks():
    result = CliRunner().invoke(main, ["plugins", "--kind", "task", "--json"])
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in json.loads(result.output)}
    assert {"metric-learning", "classification", "words"} <= set(listed)
    for name in ("metric-learning", "classification", "words"):
        assert listed[name]["kind"] == "task" and listed[name]["distribution"] == "embedlab"
        assert set(listed[name]["params"]["properties"]) == {"train", "study"}
    schema = listed["classification"]["params"]
    train = schema["$defs"][schema["properties"]["train"]["$ref"].rsplit("/", 1)[-1]]
    assert {"epochs", "lr", "batch_size", "class_weights"} <= set(train["properties"])


def test_the_toy_task_is_listed_from_its_own_distribution():
    result = CliRunner().invoke(main, ["plugins", "--kind", "task"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if " toy " in line)
    assert "embedlab-toy-task" in row
    info = embedlab.registry.get("task", "toy")
    assert info.entry_point == "toy" and issubclass(info.load_factory(), Task)


def test_only_tasks_with_fit_can_be_tuned():
    assert {p.name: p.load_factory().tunable for p in embedlab.plugins("task")} == {
        "classification": True,
        "metric-learning": True,
        "toy": True,
        "words": False,
    }


def test_create_validates_a_tasks_blocks():
    task = embedlab.create("task", "toy", train={"epochs": 2}, study={"title": "x"})
    assert (task.train.epochs, task.train.lr, task.study.title) == (2, 0.1, "x")
    with pytest.raises(ConfigError, match=r"task 'toy'.*train.lr.*(got -1)"):
        embedlab.create("task", "toy", train={"lr": -1})


def test_an_unknown_task_names_the_closest(tmp_path):
    with pytest.raises(UnknownPluginError, match=r"unknown task 'toyy'. Did you mean 'toy'\?.*words"):
        embedlab.create("task", "toyy")
    _write(tmp_path, {**TOY, "task": "toyy"})
    cli_error(
        ["run", "toy.yaml", "--out", "runs"], tmp_path, ["task: unknown task 'toyy'", "did you mean 'toy'"]
    )


def test_a_tasks_blocks_are_checked_before_anything_is_written(tmp_path):
    _write(tmp_path, {**TOY, "train": {"epoch": 3}, "study": {"titel": "t"}})
    cli_error(
        ["run", "toy.yaml", "--out", "runs"],
        tmp_path,
        ["2 problems", "train.epoch", "did you mean 'epochs'?", "study.titel", "did you mean 'title'?"],
    )
    words = {"name": "w", "task": "words", "backend": "gensim", "train": {"epochs": 2}}
    _write(tmp_path, words, "words.yaml")
    cli_error(["run", "words.yaml", "--out", "runs"], tmp_path, ["train.epochs: Extra inputs"])


def test_embedlab_run_runs_the_toy_task_into_its_report_section(tmp_path):
    result = CliRunner().invoke(main, ["run", str(_write(tmp_path, TOY)), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())["metrics"]["toy-run"]
    assert metrics["epochs run"] == 3 and 0.5 < metrics["scores"]["val"]["val_score"] <= 1
    assert (run / "figures" / "toy-run-curve.png").is_file()
    html = (run / "report.html").read_text()
    assert '<h2 id="toy-run">toy-run</h2>' in html and html.count("data:image/png;base64,") == 1


def test_the_toy_tasks_trainable_reports_what_it_declares():
    config = embedlab.ExperimentConfig.model_validate({**TOY, "train": {"lr": {"choice": [0.05, 0.2]}}})
    task = embedlab.create("task", "toy")
    rows: list[dict] = []
    final = task.trainable(config, 2).run({"train.lr": 0.2}, 2, rows.append)
    assert [set(row) for row in rows] == [set(task.reports)] * 2 and final == rows[-1]


@pytest.mark.ray
def test_embedlab_tune_searches_the_toy_task(ray_session, tmp_path):
    config = {
        **TOY,
        "train": {"lr": {"grid": [0.05, 0.2]}, "epochs": 2},
        "study": {"top": 1},  # a search's study block is the search's
        "tune": {"metric": "val_score", "mode": "max", "scheduler": "fifo", "num_samples": 1},
    }
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["tune", str(_write(tmp_path, config)), "--storage-path", str(store)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(store / "search" / "trials.csv")
    assert sorted(table["train.lr"]) == [0.05, 0.2] and set(table["status"]) == {"completed"}
    assert table["val_score"].between(0, 1).all()
    run = embedlab.run(config, tmp_path / "runs")  # a search run: the lab's search section
    assert run.metrics["toy-run"]["trials"] == 2 and 0 < run.metrics["toy-run"]["best_metric"] <= 1
    assert run.figures["toy-run"] == ["figures/toy-run-trials.png"]
