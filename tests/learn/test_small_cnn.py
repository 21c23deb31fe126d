"""small-cnn-classifier: registered beside mlp-classifier, any image size and channel count, batched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import embedlab
from embedlab.errors import ConfigError, InputError
from embedlab.learn.classifier import count_parameters, predict_proba, train_classifier


def test_registered_beside_the_mlp_with_its_params_model():
    names = {info.name for info in embedlab.plugins("backend")}
    assert {"mlp-classifier", "small-cnn-classifier"} <= names
    with pytest.raises(ConfigError, match="channels"):
        embedlab.create("backend", "small-cnn-classifier", channels=[])


@pytest.mark.parametrize(("shape", "channels"), [((1, 8, 8), 1), ((3, 28, 28), 3), ((8, 8), None)])
def test_logits_for_digits_dermamnist_and_channelless_images(shape, channels):
    torch.manual_seed(0)
    model = embedlab.create(
        "backend", "small-cnn-classifier", num_classes=7, in_channels=channels, channels=[8, 16, 16]
    )
    logits = model(torch.rand(5, *shape))
    assert logits.shape == (5, 7) and torch.isfinite(logits).all()


def test_parameter_count_is_independent_of_the_image_size():
    model = embedlab.create(
        "backend", "small-cnn-classifier", num_classes=7, in_channels=3, channels=[32, 64]
    )
    conv = (3 * 9 + 1) * 32 + (32 * 9 + 1) * 64
    batch_norm = 2 * (32 + 64)
    head = (64 + 1) * 128 + (128 + 1) * 7
    assert count_parameters(model) == conv + batch_norm + head


def test_flattened_rows_are_refused_with_the_fix():
    model = embedlab.create("backend", "small-cnn-classifier", num_classes=3, in_channels=1)
    with pytest.raises(InputError, match="flatten: false"):
        model(torch.rand(4, 64))


def test_learns_an_easy_image_task_and_predicts_in_batches():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 96)
    X = rng.normal(0, 0.1, (96, 1, 8, 8)).astype(np.float32)
    X[y == 1, :, :4, :] += 1.0  # class 1: a bright top half
    torch.manual_seed(0)
    model = embedlab.create("backend", "small-cnn-classifier", num_classes=2, in_channels=1, channels=[8])
    history = train_classifier(model, X, y, X, y, epochs=8, batch_size=16, lr=0.01, device="cpu")
    assert history[-1]["val_accuracy"] >= 0.95
    whole = predict_proba(model, X, batch_size=1000)
    assert np.allclose(predict_proba(model, X, batch_size=7), whole, atol=1e-6)
    assert whole.shape == (96, 2) and np.allclose(whole.sum(axis=1), 1, atol=1e-5)
