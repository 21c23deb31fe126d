"""Metric-learning experiments can be tuned too: margin, learning rate and miner, reported per epoch."""

from __future__ import annotations

import pytest

import embedlab
from embedlab.tasks.metric_learning import MetricLearningTask

CONFIG = {
    "name": "tune-triplet",
    "task": "metric-learning",
    "dataset": "digits",
    "backend": {"name": "mlp", "params": {"embedding_dim": 16}},
    "loss": {"name": "triplet", "params": {"margin": {"uniform": [0.1, 0.5]}, "distance": "euclidean"}},
    "miner": {"name": {"choice": ["batch-hard", "semihard"]}},
    "train": {"lr": {"choice": [0.01, 0.001]}, "epochs": 2, "progress": False},
    "tune": {"metric": "val_precision_at_1", "mode": "max", "num_samples": 2, "scheduler": "fifo"},
}


def test_each_epoch_is_reported_with_the_objective():
    rows = []
    config = embedlab.ExperimentConfig.model_validate(
        {**CONFIG, "loss": "triplet", "miner": "batch-hard", "train": {"lr": 0.001, "progress": False}}
    )
    final = MetricLearningTask.from_config(config).fit(config, 2, rows.append, evaluate_test=True)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert 0 < rows[-1]["val_precision_at_1"] <= 1 and rows[-1]["train_time_s"] >= rows[0]["train_time_s"]
    assert 0 < final["test_precision_at_1"] <= 1


def test_bad_train_settings_are_refused_before_any_trial(tmp_path):
    bad = {**CONFIG, "train": {**CONFIG["train"], "optimiser": "adam"}}
    with pytest.raises(embedlab.ConfigError, match=r"train\W+optimiser"):
        embedlab.tune(bad, storage_path=str(tmp_path))


@pytest.mark.ray
def test_a_choice_of_miner_names_is_checked_before_any_trial(tmp_path):
    bad = {**CONFIG, "miner": {"name": {"choice": ["batch-hard", "semi-hard"]}}}
    with pytest.raises(embedlab.ConfigError, match="miner: unknown miner 'semi-hard'.*'semihard'"):
        embedlab.tune(bad, storage_path=str(tmp_path))
    with pytest.raises(embedlab.ConfigError, match=r"miner.name: a component name is a string or \{choice"):
        embedlab.tune({**CONFIG, "miner": {"name": {"uniform": [0, 1]}}}, storage_path=str(tmp_path))


@pytest.mark.ray
def test_tune_margin_lr_and_miner_with_ray(tmp_path, ray_session):
    result = embedlab.tune(
        {**CONFIG, "tune": {**CONFIG["tune"], "num_samples": 3}}, storage_path=str(tmp_path)
    )
    assert len(result.table) == 3
    assert set(result.best_config) == {"loss.margin", "train.lr", "miner.name"}
    assert set(result.table["miner.name"]) <= {"batch-hard", "semihard"}
    assert 0.1 <= result.best_config["loss.margin"] <= 0.5
    assert 0 < result.best_metric <= 1
