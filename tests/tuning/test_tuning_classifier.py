"""The classifier baselines and their trainer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import embedlab
from embedlab.data.digits import load_digits
from embedlab.errors import ConfigError, InputError
from embedlab.learn.classifier import count_parameters, linear_probe, mlp_classifier, train_classifier


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_seed_mlp_has_the_seeds_parameter_count():
    # Study 4: the best configuration (352 units on 28x28 Fashion-MNIST) had 279,850 parameters.
    model = mlp_classifier(units=352, num_classes=10, in_features=28 * 28)
    assert count_parameters(model) == 279_850
    assert [type(m).__name__ for m in model] == ["Flatten", "Linear", "ReLU", "Linear"]
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_registered_as_backends():
    names = {p.name: p for p in embedlab.plugins("backend")}
    assert {"mlp-classifier", "linear-probe"} <= set(names)
    assert names["mlp-classifier"].distribution == "embedlab"
    model = embedlab.create("backend", "linear-probe", num_classes=3, in_features=4)
    assert count_parameters(model) == 15
    with pytest.raises(ConfigError, match="units"):
        embedlab.create("backend", "mlp-classifier", units=0)


def test_lazy_in_features_inferred(digits):
    model = linear_probe(num_classes=10)
    history = train_classifier(model, digits["train"].X, digits["train"].y, epochs=1, device="cpu")
    assert count_parameters(model) == 64 * 10 + 10 and len(history) == 1


def test_training_learns_and_reports_each_epoch(digits):
    seen = []
    history = train_classifier(
        mlp_classifier(units=64, in_features=64),
        digits["train"].X,
        digits["train"].y,
        digits["val"].X,
        digits["val"].y,
        epochs=5,
        lr=1e-2,
        device="cpu",
        callback=seen.append,
    )
    assert [row["epoch"] for row in seen] == [1, 2, 3, 4, 5]
    assert set(seen[0]) >= {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_time_s"}
    assert history[-1]["val_accuracy"] > 0.9
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_seeded_runs_repeat(digits):
    def run(seed):
        torch.manual_seed(seed)
        return train_classifier(
            mlp_classifier(units=32, in_features=64),
            digits["train"].X,
            digits["train"].y,
            epochs=2,
            seed=seed,
            device="cpu",
        )

    a, b, c = run(3), run(3), run(4)
    assert a[-1]["train_loss"] == b[-1]["train_loss"]
    assert a[-1]["train_loss"] != c[-1]["train_loss"]


def test_class_weights(digits):
    X, y = digits["train"].X, digits["train"].y
    history = train_classifier(linear_probe(in_features=64), X, y, epochs=1, class_weights="balanced")
    assert np.isfinite(history[0]["train_loss"])
    history = train_classifier(linear_probe(in_features=64), X, y, epochs=1, class_weights=[1.0] * 10)
    assert np.isfinite(history[0]["train_loss"])
    with pytest.raises(InputError, match="one non-negative weight per class"):
        train_classifier(linear_probe(in_features=64), X, y, epochs=1, class_weights=[1.0, 2.0])


def test_bad_inputs(digits):
    X, y = digits["train"].X, digits["train"].y
    with pytest.raises(InputError, match="one label per row"):
        train_classifier(linear_probe(in_features=64), X, y[:-1])
    with pytest.raises(InputError, match="integers"):
        train_classifier(linear_probe(in_features=64), X, y.astype(float))
    bad = X.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        train_classifier(linear_probe(in_features=64), bad, y)
    with pytest.raises(InputError, match="3 outputs"):
        train_classifier(linear_probe(num_classes=3, in_features=64), X, y)


def test_stop_from_callback(digits):
    def stop(row):
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_classifier(
            linear_probe(in_features=64), digits["train"].X, digits["train"].y, epochs=5, callback=stop
        )
