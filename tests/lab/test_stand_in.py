"""``--stand-in``: real datasets and downloaded word spaces replaced by embedded ones, and said so."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from embedlab import run
from embedlab.cli import main
from embedlab.config import ExperimentConfig
from embedlab.errors import ConfigError
from embedlab.lab.stand_in import stand_in, stand_in_notes
from embedlab.registry import plugins


def _config(**fields: object) -> ExperimentConfig:
    return ExperimentConfig.model_validate({"name": "s", "task": "classification", **fields})


def test_mnist_becomes_digits_with_its_split_and_layout_kept():
    config = _config(
        dataset={
            "name": "mnist",
            "params": {"root": "/nowhere", "val_size": 0.2, "flatten": True, "seed": 3},
        },
        backend="mlp-classifier",
        train={"epochs": 7},
    )
    replaced = stand_in(config)
    assert replaced.dataset is not None and replaced.dataset.name == "digits"
    assert replaced.dataset.params == {"val_size": 0.2, "flatten": True, "seed": 3, "stand_in_for": "mnist"}
    assert replaced.train == {"epochs": 7} and replaced.backend == config.backend
    assert stand_in_notes(config) == ["dataset mnist replaced by the embedded digits"]
    assert replaced.dataset.create("dataset").describe().source.startswith("embedded stand-in for mnist: ")


def test_dermamnist_keeps_only_what_imbalanced_digits_takes():
    replaced = stand_in(_config(dataset={"name": "dermamnist", "params": {"size": 64, "flatten": True}}))
    assert replaced.dataset is not None
    assert (replaced.dataset.name, replaced.dataset.params) == ("imbalanced-digits", {"flatten": True})


def test_a_downloaded_word_space_becomes_an_embedded_one():
    config = ExperimentConfig.model_validate(
        {
            "name": "w",
            "task": "words",
            "backend": {"name": "gensim", "params": {"source": "glove-wiki-gigaword-100"}},
        }
    )
    replaced = stand_in(config)
    assert replaced.backend is not None
    if any(info.name == "sbert" for info in plugins("backend")):
        assert replaced.backend.name == "sbert"
    else:
        assert (replaced.backend.name, replaced.backend.params) == ("gensim", {"source": "default"})
    assert "glove-wiki-gigaword-100" in stand_in_notes(config)[0]


def test_parts_are_replaced_one_by_one_and_embedded_data_is_left_alone():
    config = ExperimentConfig.model_validate(
        {
            "name": "p",
            "parts": [
                {"name": "a", "task": "classification", "dataset": "fashion-mnist"},
                {"name": "b", "task": "classification", "dataset": "digits"},
                {"name": "c", "task": "words", "backend": "gensim"},
            ],
        }
    )
    replaced = stand_in(config)
    assert [p.dataset.name if p.dataset else None for p in replaced.parts] == ["digits", "digits", None]
    assert replaced.parts[1:] == config.parts[1:]
    assert [stand_in_notes(p) for p in config.parts[1:]] == [[], []]


_TINY = {
    "name": "tiny",
    "task": "classification",
    "dataset": {"name": "mnist", "params": {"flatten": True}},
    "backend": {"name": "mlp-classifier", "params": {"units": 16}},
    "train": {"epochs": 1},
}


def test_without_stand_in_missing_files_stop_the_run_before_a_run_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLAB_DATA", str(tmp_path / "data"))
    with pytest.raises(ConfigError, match=r"MNIST/raw.*--stand-in"):
        run(_TINY, tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_cli_stand_in_runs_and_the_report_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLAB_DATA", str(tmp_path / "data"))
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(_TINY))
    result = CliRunner().invoke(
        main, ["run", str(config), "--out", str(tmp_path / "runs"), "--stand-in", "-q"]
    )
    assert result.exit_code == 0, result.output
    (rundir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((rundir / "metrics.json").read_text())
    assert metrics["metrics"]["tiny"]["stand-in"] == ["dataset mnist replaced by the embedded digits"]
    report = (rundir / "report.md").read_text()
    assert "Dataset: digits — embedded stand-in for mnist" in report
    saved = json.loads((rundir / "config.json").read_text())
    assert saved["dataset"]["name"] == "digits"
