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
