"""A search that cannot succeed fails before any trial, and a diverged trial counts as failed."""

from __future__ import annotations

import math
import socket

import pytest

import embedlab
from embedlab.errors import ConfigError
from embedlab.tuning.api import get_task, prepare

CLASSIFICATION = {
    "name": "fast",
    "task": "classification",
    "dataset": "digits",
    "backend": {"name": "mlp-classifier", "params": {"units": {"choice": [16, 32]}}},
    "train": {"lr": 0.01, "batch_size": 64},
    "tune": {"scheduler": "fifo", "searcher": "grid", "max_epochs": 1},
}
METRIC_LEARNING = {
    "name": "fast-ml",
    "task": "metric-learning",
    "dataset": "digits",
    "backend": {"name": "mlp", "params": {"embedding_dim": 8}},
    "loss": "triplet",
    "miner": "batch-hard",
    "train": {"lr": {"choice": [0.01, 0.001]}, "progress": False},
    "tune": {"metric": "val_precision_at_1"},
}


def closed_port() -> int:
    """A localhost port nothing listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("config", "params"),
    [(CLASSIFICATION, {"backend.units": 16}), (METRIC_LEARNING, {"train.lr": 0.01})],
    ids=["classification", "metric-learning"],
)
def test_declared_metrics_are_what_a_one_epoch_trial_reports(config, params):
    experiment = embedlab.ExperimentConfig.model_validate(config)
    rows: list[dict] = []
    task = get_task(config["task"])
    task.trainable(experiment, 1).run(params, 1, rows.append)
    assert len(rows) == 1
    assert set(rows[0]) == set(task.reports)


@pytest.mark.parametrize(
    ("config", "metric", "names"),
    [
        (CLASSIFICATION, "vall_acc", ["'vall_acc'", "'classification'", "did you mean 'val_accuracy'"]),
        (CLASSIFICATION, "accuracy", ["'accuracy'", "train_accuracy", "val_accuracy"]),
        (METRIC_LEARNING, "val_accuracy", ["'metric-learning'", "val_precision_at_1"]),
    ],
    ids=["typo", "bare-name", "other-task's-metric"],
)
def test_unreported_metric_is_refused_before_any_trial(tmp_path, config, metric, names):
    with pytest.raises(ConfigError) as err:
        prepare(config, metric=metric, storage_path=str(tmp_path / "out"))
    message = str(err.value)
    assert all(name in message for name in names), message
    assert "reports: epoch, train_loss" in message
    assert not (tmp_path / "out").exists()


def test_every_declared_metric_is_accepted(tmp_path):
    for config in (CLASSIFICATION, METRIC_LEARNING):
        for metric in get_task(config["task"]).reports:
            prepare(config, metric=metric, storage_path=str(tmp_path))


def test_a_task_without_its_components_is_refused():
    with pytest.raises(ConfigError, match="task 'classification' needs 'backend'"):
        prepare({**CLASSIFICATION, "backend": None, "train": {"lr": {"choice": [0.1, 0.01]}}})


@pytest.mark.parametrize("under", ["a-file", "a-file/deeper"], ids=["is-a-file", "inside-a-file"])
def test_storage_path_that_cannot_be_a_folder_is_refused(tmp_path, under):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(ConfigError, match=r"tune\.storage_path .*a-file.* is a file"):
        prepare(CLASSIFICATION, storage_path=str(tmp_path / under))


@pytest.mark.parametrize("scheme", ["", "ray://"], ids=["gcs", "ray-client"])
def test_unreachable_address_is_one_typed_error(tmp_path, scheme):
    address = f"{scheme}127.0.0.1:{closed_port()}"
    with pytest.raises(ConfigError, match="cannot reach the Ray cluster") as err:
        embedlab.tune(CLASSIFICATION, storage_path=str(tmp_path / "out"), address=address)
    assert address in str(err.value) and "ray start --head" in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("address", "named"),
    [("nohost", "is not host:port"), ("host:notaport", "port 'notaport'"), ("host:0", "1..65535")],
)
def test_malformed_address_is_refused_with_the_settings(address, named):
    with pytest.raises(ConfigError, match=f"tune: .*Ray address '{address}' .*{named}"):
        prepare(CLASSIFICATION, address=address)


def test_malformed_ray_address_variable_is_named(monkeypatch):
    from embedlab.tuning.ray_tuner import ensure_runtime

    monkeypatch.setenv("RAY_ADDRESS", "head-node")
    with pytest.raises(ConfigError, match="'head-node' is not host:port.*RAY_ADDRESS"):
        ensure_runtime(None)


@pytest.mark.ray
def test_a_diverged_trial_is_failed_and_never_the_best(ray_session, tmp_path):
    config = {**CLASSIFICATION, "backend": "mlp-classifier", "train": {"lr": {"grid": [0.01, 1e30]}}}
    result = embedlab.tune(config, storage_path=str(tmp_path))
    table = result.table.set_index("train.lr")
    assert result.num_failed == 1
    assert table.loc[1e30, "status"] == "failed" and "TrainingError" in table.loc[1e30, "error"]
    assert math.isnan(table.loc[1e30, "val_accuracy"])
    assert table.loc[0.01, "status"] == "completed" and result.best_config == {"train.lr": 0.01}
    assert "Failed trials (1):" in result.summary() and "diverged" in result.summary()
