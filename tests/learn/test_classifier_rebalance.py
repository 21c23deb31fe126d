"""train.rebalance: class weights, oversampling, and oversampling with augmentation, from the config."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedlab.errors import ConfigError, InputError
from embedlab.learn.classifier import ClassifierTrainSettings, rebalance_plan, train_classifier
from embedlab.params import validate_section

COUNTS = (40, 10, 5)


def imbalanced(flat=False):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(len(COUNTS)), COUNTS)
    X = (rng.normal(size=(len(y), 1, 6, 6)) + y[:, None, None, None]).astype(np.float32)
    return (X.reshape(len(y), -1) if flat else X), y


def nearest_original(seen, X):
    """Each seen image's distance to the closest original (exact: no matrix-product shortcut)."""
    originals = torch.as_tensor(X).flatten(1)
    return (
        torch.cdist(seen.flatten(1), originals, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values
    )


class Recorder(torch.nn.Module):
    """A linear classifier that keeps every training batch it sees."""

    def __init__(self, features=36, classes=3):
        super().__init__()
        self.linear = torch.nn.Linear(features, classes)
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        if self.training and len(x) > 1:  # the trainer's one-sample probe is not a batch
            self.seen.append(x.detach().clone())
        return self.linear(x.flatten(1))


def test_settings_resolve_the_strategy():
    assert ClassifierTrainSettings().strategy == "none"
    assert ClassifierTrainSettings(class_weights="balanced").strategy == "class-weights"
    settings = ClassifierTrainSettings(rebalance="oversample-augment", augment={"flip": True})
    assert settings.strategy == "oversample-augment" and settings.augment.flip
    weighted = ClassifierTrainSettings(class_weights=[1.0, 2.0, 3.0])
    assert weighted.with_strategy("oversample").class_weights is None
    assert weighted.with_strategy("class-weights").class_weights == [1.0, 2.0, 3.0]
    assert rebalance_plan("class-weights", None) == ("balanced", False, False)
    assert rebalance_plan("oversample-augment", None) == (None, True, True)


def test_class_weights_with_another_strategy_is_refused():
    with pytest.raises(ConfigError, match="class_weights"):
        validate_section(
            ClassifierTrainSettings, {"class_weights": "balanced", "rebalance": "oversample"}, "train"
        )
    with pytest.raises(ConfigError, match="rebalance"):
        validate_section(ClassifierTrainSettings, {"rebalance": "smote"}, "train")
    X, y = imbalanced()
    with pytest.raises(ConfigError, match="class_weights"):
        train_classifier(Recorder(), X, y, epochs=1, class_weights="balanced", rebalance="none", device="cpu")


@pytest.mark.parametrize(
    ("rebalance", "per_epoch"), [(None, sum(COUNTS)), ("class-weights", sum(COUNTS)), ("oversample", 3 * 40)]
)
def test_an_oversampled_epoch_has_every_class_as_large_as_the_largest(rebalance, per_epoch):
    X, y = imbalanced()
    model = Recorder()
    train_classifier(model, X, y, epochs=2, batch_size=16, rebalance=rebalance, device="cpu")
    seen = torch.cat(model.seen)
    assert len(seen) == 2 * per_epoch
    assert (nearest_original(seen, X) == 0).all()  # plain copies: every image seen is an original


def test_oversample_augment_augments_the_copies_only():
    X, y = imbalanced()
    model = Recorder()
    train_classifier(model, X, y, epochs=1, batch_size=16, rebalance="oversample-augment", device="cpu")
    seen = torch.cat(model.seen)
    distance = nearest_original(seen, X)
    copies = 3 * 40 - sum(COUNTS)
    assert len(seen) == 3 * 40 and int((distance > 1e-4).sum()) == copies


def test_oversample_augment_resumes_to_the_same_weights(tmp_path):
    X, y = imbalanced()
    settings = dict(batch_size=16, rebalance="oversample-augment", device="cpu", seed=3)
    torch.manual_seed(0)
    straight = Recorder()
    train_classifier(straight, X, y, epochs=3, **settings)
    torch.manual_seed(0)
    resumed = Recorder()
    train_classifier(resumed, X, y, epochs=2, checkpoint_dir=tmp_path, **settings)
    train_classifier(resumed, X, y, epochs=3, checkpoint_dir=tmp_path, resume=True, **settings)
    assert torch.equal(straight.linear.weight, resumed.linear.weight)


def test_oversample_augment_needs_images():
    X, y = imbalanced(flat=True)
    with pytest.raises(InputError, match="flatten: false"):
        train_classifier(Recorder(), X, y, epochs=1, rebalance="oversample-augment", device="cpu")
    train_classifier(Recorder(), X, y, epochs=1, rebalance="oversample", device="cpu")  # plain copies work
