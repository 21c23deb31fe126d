"""``MetricLearner(workers=2)`` on Ray Train: the same training as one process, restarts, configs, search.

Two workers train exactly as one process whose forward and backward passes run in the same
blocks: ``micro_batch`` set to a worker's slice (60 of the digits' 120-sample M-per-class
batches). With other blocks the two differ by float rounding (1e-7 a step), which a miner's
discrete choices amplify over epochs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import embedlab
from embedlab.cli import main
from embedlab.learn import MetricLearner
from embedlab.learn.workers import FAULT_ENV

pytestmark = pytest.mark.ray

SETTINGS = {"epochs": 5, "micro_batch": 60, "seed": 0, "progress": False}


def fit(digits, **settings) -> tuple[MetricLearner, list[dict]]:
    records: list[dict] = []
    learner = MetricLearner(**{**SETTINGS, **settings})
    learner.fit(
        digits["train"].X, digits["train"].y, digits["val"].X, digits["val"].y, callbacks=[records.append]
    )
    return learner, records


@pytest.fixture(scope="module")
def two_workers(digits, ray_session) -> tuple[MetricLearner, list[dict]]:
    return fit(digits, workers=2)


def test_two_workers_train_as_one_process(digits, two_workers, one_thread):
    learner, records = two_workers
    single, _ = fit(digits)
    X = digits["test"].X
    np.testing.assert_allclose(learner.transform(X), single.transform(X), atol=1e-3, rtol=0)
    assert [r["epoch"] for r in records] == [1, 2, 3, 4, 5]  # forwarded to the driver as they came
    assert [set(r) for r in learner.history_] == [set(r) for r in single.history_]
    for got, want in zip(learner.history_, single.history_, strict=True):
        assert got["train_loss"] == pytest.approx(want["train_loss"], abs=1e-5)
        assert got["val_precision_at_1"] == pytest.approx(want["val_precision_at_1"], abs=1e-3)


def test_a_killed_worker_restarts_from_the_last_checkpoint(digits, two_workers, tmp_path, monkeypatch):
    marker = tmp_path / "killed"
    monkeypatch.setenv(FAULT_ENV, f"2:{marker}")  # rank 1 exits after epoch 2, on the first attempt only
    checkpoints = tmp_path / "checkpoints"
    learner, records = fit(digits, workers=2, max_failures=1, checkpoint_dir=checkpoints)
    assert marker.exists()
    assert [r["epoch"] for r in records] == [1, 2, 3, 4, 5]
    uninterrupted = two_workers[0].model_.state_dict()
    for name, weight in learner.model_.state_dict().items():
        torch.testing.assert_close(weight, uninterrupted[name], atol=1e-6, rtol=0, msg=name)
    # the final checkpoint is the in-process format: one process resumes from it
    resumed = MetricLearner(**{**SETTINGS, "epochs": 6, "checkpoint_dir": checkpoints, "resume": True})
    resumed.fit(digits["train"].X, digits["train"].y)
    assert [r["epoch"] for r in resumed.history_] == [1, 2, 3, 4, 5, 6]


def test_resume_continues_a_two_worker_run_from_its_latest_checkpoint(digits, two_workers, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    # the warm-up of the 5-epoch run (its miner's recipe scales it with the epochs)
    first, _ = fit(digits, workers=2, epochs=3, warmup_epochs=1, checkpoint_dir=checkpoints)
    assert [r["epoch"] for r in first.history_] == [1, 2, 3]
    assert (checkpoints / "ray-train").is_dir()  # Ray Train's own storage, in the run's folder
    resumed, records = fit(digits, workers=2, checkpoint_dir=checkpoints, resume=True)
    assert [r["epoch"] for r in records] == [4, 5]  # only the epochs left were trained
    assert [r["epoch"] for r in resumed.history_] == [1, 2, 3, 4, 5]
    uninterrupted = two_workers[0].model_.state_dict()
    for name, weight in resumed.model_.state_dict().items():
        torch.testing.assert_close(weight, uninterrupted[name], atol=1e-6, rtol=0, msg=name)


def test_a_config_with_two_workers_runs_and_learns(digits, tmp_path, ray_session):
    """``embedlab run`` with ``train: {workers: 2}`` and the default epochs; held-out precision@1 >= 0.95."""
    config = {
        "name": "two-workers",
        "task": "metric-learning",
        "seed": 0,
        "dataset": "digits",
        "backend": "seed-cnn",
        "loss": "triplet",
        "miner": "semihard",
        "train": {"workers": 2, "resources_per_worker": {"cpu": 1}, "progress": False},
        "study": {"projection": "pca", "splits": ["test"]},
    }
    (tmp_path / "cfg.json").write_text(json.dumps(config))
    result = CliRunner().invoke(main, ["run", str(tmp_path / "cfg.json"), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    section = json.loads((run / "metrics.json").read_text())["metrics"]["two-workers"]
    assert section["retrieval (queries vs train)"]["test"]["precision_at_1"] >= 0.95
    history = section["history"]
    keys = {"epoch", "train_loss", "triplets", "steps", "val_loss", "val_precision_at_1", "epoch_time_s"}
    assert len(history) == 50 and all(set(record) - {"zero_loss_share"} == keys for record in history)
    assert all(0 <= record["zero_loss_share"] <= 1 for record in history[1:])  # after the warm-up epoch
    assert (run / "report.html").is_file()


def test_a_search_whose_trials_train_on_two_workers(tmp_path, ray_session):
    config = {
        "name": "tune-workers",
        "task": "metric-learning",
        "dataset": "digits",
        "backend": {"name": "mlp", "params": {"embedding_dim": 8}},
        "loss": "triplet",
        "miner": "batch-hard",
        "train": {"lr": {"choice": [0.01, 0.001]}, "epochs": 1, "workers": 2, "progress": False},
        "tune": {"metric": "val_precision_at_1", "mode": "max", "num_samples": 2, "scheduler": "fifo"},
    }
    result = embedlab.tune(config, storage_path=str(tmp_path))
    assert len(result.table) == 2
    assert all(len(trial.history) == 1 and trial.error is None for trial in result.trials)
    assert 0 < result.best_metric <= 1
