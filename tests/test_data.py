"""The embedded digits dataset."""

from __future__ import annotations

import numpy as np
import pytest

import embedlab
from embedlab.data import Split


def test_digits_splits_are_stratified_scaled_and_disjoint():
    data = embedlab.create("dataset", "digits", val_size=0.15, test_size=0.2, seed=0)
    sizes = {name: len(split) for name, split in data.splits.items()}
    assert sum(sizes.values()) == 1797 and sizes["test"] == 360
    assert data.num_classes == 10 and data.input_shape == (1, 8, 8)
    train = data["train"]
    assert train.X.dtype == np.float32 and train.X.min() == 0 and train.X.max() == 1
    for split in data.splits.values():
        assert set(np.unique(split.y)) == set(range(10))
    flat = embedlab.create("dataset", "digits", flatten=True, val_size=0)
    assert flat.input_shape == (64,) and "val" not in flat.splits


def test_same_seed_same_split():
    a = embedlab.create("dataset", "digits", seed=4)
    b = embedlab.create("dataset", "digits", seed=4)
    np.testing.assert_array_equal(a["train"].y, b["train"].y)


def test_bad_split_and_lengths():
    data = embedlab.create("dataset", "digits")
    with pytest.raises(embedlab.InputError, match="no split 'validation'.*train, val, test"):
        data["validation"]
    with pytest.raises(embedlab.InputError, match="3 inputs but 2 labels"):
        Split(np.zeros((3, 2)), np.zeros(2))


def test_every_dataset_describes_itself_as_plain_data():
    import json

    data = embedlab.create("dataset", "digits", seed=0)
    description = data.describe()
    assert description.name == "digits" and description.source == "scikit-learn's embedded 8x8 digits"
    assert description.sizes == {name: len(split) for name, split in data.splits.items()}
    assert description.class_counts["test"] == np.bincount(data["test"].y).tolist()
    assert description.class_names == [str(c) for c in range(10)] and not description.imbalanced
    assert json.loads(json.dumps(description.model_dump(mode="json"))) == description.model_dump(mode="json")
    assert str(description) == (
        "digits — scikit-learn's embedded 8x8 digits; train 1,167 / val 270 / test 360; 10 classes"
    )
    stand_in = embedlab.create("dataset", "imbalanced-digits").describe()
    assert stand_in.imbalanced and stand_in.imbalance("train") > 50


def test_printing_a_dataset_shows_no_arrays():
    data = embedlab.create("dataset", "digits")
    text = repr(data)
    assert len(text) < 250 and "array" not in text and str(data) == text
    assert "train: 1,167" in text and "input_shape=(1, 8, 8)" in text
    assert repr(data["test"]) == "Split(X: float32 (360, 1, 8, 8), y: int64 (360,))"


def test_class_distribution_plot_draws_into_given_axes():
    from matplotlib.figure import Figure

    from embedlab.plots.data import class_distribution

    description = embedlab.create("dataset", "imbalanced-digits").describe()
    fig = Figure()
    ax = fig.add_subplot()
    assert class_distribution(description, ax=ax) is fig
    assert len(ax.patches) == 7 * 3  # one bar per class and split
    assert [t.get_text() for t in ax.get_xticklabels()] == description.class_names
    own = class_distribution(description, title="counts")
    assert own is not fig and own.axes[0].get_title() == "counts"


def test_describe_refuses_labels_it_cannot_count():
    from embedlab.data import ArrayDataset

    bad = ArrayDataset("odd", {"train": Split(np.zeros((2, 1)), np.array([0.5, 1.0]))})
    with pytest.raises(embedlab.InputError, match="'odd': split 'train' has labels of dtype float64"):
        bad.describe()
    unnamed = ArrayDataset("plain", {"train": Split(np.zeros((3, 1)), np.array([0, 2, 2]))}).describe()
    assert unnamed.class_names == ["0", "1", "2"] and unnamed.class_counts == {"train": [1, 0, 2]}
    assert unnamed.source == "not recorded" and unnamed.imbalance("train") == float("inf")
