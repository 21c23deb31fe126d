"""The ``embedlab tune`` command and the lazy public ``embedlab.tune``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import embedlab
from embedlab.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune_mlp.yaml"


def test_import_stays_light():
    code = (
        "import sys, embedlab; embedlab.plugins(); import embedlab.tuning, embedlab.cli; "
        "print(sorted(m for m in ('torch', 'ray', 'sklearn', 'gensim') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tuners_registered():
    tuners = {p.name: p for p in embedlab.plugins("tuner")}
    assert "ray" in tuners and tuners["ray"].distribution == "embedlab"
    assert callable(embedlab.tune)


def test_example_config_is_the_seed_search():
    config = embedlab.load_config(EXAMPLE)
    assert config.backend.name == "mlp-classifier"
    assert config.backend.params["units"] == {"int": [16, 512], "step": 16}
    assert config.train["lr"] == {"choice": [0.01, 0.001, 0.0001]}
    assert config.tune["metric"] == "val_accuracy" and config.tune["max_epochs"] == 10
    assert config.tune["num_samples"] == 12 and config.tune["scheduler"] == "asha"


def test_cli_bad_space_is_one_line_exit_2(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["train"]["lr"] = {"choice": []}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["tune", str(path), "--storage-path", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "embedlab: error: train.lr: {choice: []} is empty; list at least one value"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.ray
def test_cli_runs_a_search_with_optuna_and_hyperband(ray_session, tmp_path):
    pytest.importorskip("optuna")
    data = yaml.safe_load(EXAMPLE.read_text())
    data["train"]["lr"] = {"loguniform": [1e-3, 1e-1]}
    data["tune"].update(searcher="optuna", scheduler="hyperband")
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(
        main,
        [
            "tune",
            str(path),
            "--num-samples",
            "3",
            "--max-epochs",
            "2",
            "--storage-path",
            str(tmp_path),
            "--top",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Trial status" not in result.output  # Ray's live table only on a terminal
    assert "Results summary" in result.output and "Showing 1 best trials of 3" in result.output
    table = pd.read_csv(tmp_path / "search" / "trials.csv")
    assert len(table) == 3 and table["train.lr"].between(1e-3, 1e-1).all()


def test_cli_json_prints_the_summary_alone(tmp_path, monkeypatch):
    from embedlab.tuning.base import TrialRecord
    from embedlab.tuning.result import TuneResult

    trials = [
        TrialRecord("t1", {"backend.units": 32, "train.lr": 0.01}, "completed", [{"val_accuracy": 0.8}]),
        TrialRecord("t2", {"backend.units": 64, "train.lr": 0.001}, "completed", [{"val_accuracy": 0.9}]),
        TrialRecord("t3", {"backend.units": 16, "train.lr": 0.1}, "failed", error="ValueError: boom"),
    ]
    asked = {}

    def searched(config, **kwargs):
        asked.update(kwargs)
        return TuneResult(trials, "val_accuracy", "max", 1, storage_path=tmp_path)

    monkeypatch.setattr("embedlab.tuning.api.tune", searched)
    result = CliRunner().invoke(main, ["tune", str(EXAMPLE), "--json", "--top", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert asked["verbose"] == 0  # Ray's tables stay off stdout
    assert summary["best_config"] == {"backend.units": 64, "train.lr": 0.001}
    assert summary["best_metric"] == 0.9 and summary["trials"] == 3 and summary["failed"] == 1
    assert [t["trial"] for t in summary["top_trials"]] == ["t2"]
    assert summary["metric"] == "val_accuracy" and summary["storage_path"] == str(tmp_path)
