"""Study 4 as the exercise set it (examples/studies/study4-search.yaml), run in CI on its stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

import embedlab
from embedlab.config import load_config
from embedlab.lab.run import run
from embedlab.learn.classifier import count_parameters

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "studies" / "study4-search.yaml"
LEARNING_RATES = {0.01, 0.005, 0.001, 0.0005, 0.0001, 0.00005}


def mlp_size(in_features: int, units: int, classes: int = 10) -> int:
    """Flatten, Dense(units), Dense(classes): weights and biases of both dense layers."""
    return (in_features + 1) * units + (units + 1) * classes


@pytest.mark.parametrize(("in_features", "units"), [(784, 352), (784, 512), (64, 16), (64, 432)])
def test_parameter_count_formula_matches_a_built_model(in_features, units):
    model = embedlab.create("backend", "mlp-classifier", units=units, in_features=in_features, num_classes=10)
    assert count_parameters(model) == mlp_size(in_features, units)


def test_the_exercises_best_model_has_279850_parameters():
    assert mlp_size(28 * 28, 352) == 279_850


def test_the_config_is_the_exercises_search():
    config = load_config(CONFIG)
    assert config.dataset.name == "fashion-mnist"
    assert config.dataset.params == {"val_size": 0.2, "flatten": True, "seed": 0}  # 48k / 12k
    assert config.backend.params["units"] == {"int": [16, 512], "step": 16}
    assert set(config.train["lr"]["choice"]) == LEARNING_RATES and config.train["batch_size"] == 128
    tune = config.tune
    assert (tune["scheduler"], tune["max_epochs"], tune["metric"]) == ("hyperband", 10, "val_accuracy")
    assert tune["baseline"] == {"backend.units": 512, "train.lr": 0.01}
    assert config.study == {"top": 10, "retrain_epochs": 50}


@pytest.fixture(scope="module")
def report(ray_session, tmp_path_factory):
    """The study on its stand-in. The exercise's 30 Hyperband trials of up to 10 epochs and its
    50-epoch retrain take minutes on 2 shared cores, so the search runs 6 trials of at most 3
    epochs and the retrain 3 epochs; everything else is the config as written."""
    overrides = ["tune.num_samples=6", "tune.max_epochs=3", "study.retrain_epochs=3"]
    config = load_config(CONFIG, overrides=overrides)
    out = tmp_path_factory.mktemp("runs")
    result = run(config, out, stand_in=True)
    return result, result.metrics[config.name], (result.path / "report.md").read_text(encoding="utf-8")


@pytest.mark.ray
def test_the_report_names_its_stand_in_dataset(report):
    _, section, text = report
    assert "Dataset: digits — embedded stand-in for fashion-mnist" in text
    assert section["dataset"]["name"] == "digits"


@pytest.mark.ray
def test_the_top_trials_are_sorted_in_kerastuners_layout(report):
    _, section, text = report
    rows = section["top trials"]
    assert 1 <= len(rows) <= 6 and [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True) and scores[0] == section["best_metric"]
    for row in rows:
        assert set(row["hyperparameters"]) == {"units", "lr"}
        assert row["hyperparameters"]["units"] % 16 == 0 and row["hyperparameters"]["lr"] in LEARNING_RATES
    assert "| top trials | rank | trial | hyperparameters.units | hyperparameters.lr | score |" in text
    assert section["objective"] == "val_accuracy" and section["trials"] == 6
    # a trial HyperBand paused and resumed (from epoch 1) does not count its repeated epochs twice
    assert all(row["epochs"] <= 3 for row in rows)


@pytest.mark.ray
def test_the_best_models_parameter_count(report):
    _, section, text = report
    units = section["best_config"]["backend.units"]
    assert section["best n_params"] == mlp_size(64, units)  # the stand-in's images are 8x8
    size = section["best n_params"]
    assert any(f"| best n_params | {shown} |" in text for shown in (f"{size:,}", str(size)))


@pytest.mark.ray
def test_the_best_is_retrained_against_the_baseline(report):
    result, section, text = report
    best, baseline = section["retrained"]
    assert (best["model"], baseline["model"]) == ("best", "baseline")
    assert baseline["hyperparameters"] == {"units": 512, "lr": 0.01}
    assert best["hyperparameters"]["units"] == section["best_config"]["backend.units"]
    assert baseline["n_params"] == mlp_size(64, 512)
    for row in (best, baseline):
        assert all(0 <= row[k] <= 1 for k in ("train_accuracy", "val_accuracy", "test_accuracy"))
    assert "| retrained | model |" in text
    names = {Path(f).name for f in result.figures[next(iter(result.figures))]}
    assert {"study4-search-trials.png", "study4-search-retrain.png"} <= names


def test_without_the_files_the_run_refuses_before_writing(tmp_path, refusal):
    message = refusal(CONFIG)
    assert str(tmp_path / "empty" / "FashionMNIST" / "raw") in message  # where it looked
    assert "t10k-labels-idx1-ubyte" in message and "download=True" in message  # what, and how to fetch
    assert "--stand-in" in message
