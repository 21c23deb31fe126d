"""imbalanced-digits keeps DermaMNIST's class proportions in every split, and says it stands in for it."""

from __future__ import annotations

import numpy as np
import pytest

import embedlab
from embedlab import ConfigError, InputError
from embedlab.data.imbalanced import SEED_SUPPORTS, load_imbalanced_digits


def test_registered_and_proportions_follow_the_seed():
    ds = embedlab.create("dataset", "imbalanced-digits")
    assert ds.name == "imbalanced-digits" and ds.num_classes == 7
    assert ds.input_shape == (1, 8, 8)
    assert ds.class_names[5] == "5/7/8/9"
    total = sum(np.bincount(s.y, minlength=7) for s in ds.splits.values())
    seed = np.array(SEED_SUPPORTS) / sum(SEED_SUPPORTS)
    np.testing.assert_allclose(total / total.sum(), seed, atol=0.005)
    for split in ("train", "val", "test"):
        counts = np.bincount(ds[split].y, minlength=7)
        assert counts.min() >= 1, split  # every class in every split
        assert counts[5] / counts.sum() == pytest.approx(0.67, abs=0.01)
    X = ds["train"].X
    assert X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    assert ds.source.startswith("embedded stand-in for DermaMNIST")


def test_seeded_and_configurable():
    a, b = load_imbalanced_digits(seed=3), load_imbalanced_digits(seed=3)
    np.testing.assert_array_equal(a["test"].X, b["test"].X)
    assert not np.array_equal(a["test"].y, load_imbalanced_digits(seed=4)["test"].y)
    flat = load_imbalanced_digits(supports=(1, 1, 4), flatten=True)
    assert flat.input_shape == (64,) and flat.class_names == ("0", "1", "2/3/4/5/6/7/8/9")
    with pytest.raises(InputError, match="too skewed"):
        load_imbalanced_digits(supports=(1, 1000))
    with pytest.raises(ConfigError, match="positive"):
        embedlab.create("dataset", "imbalanced-digits", supports=(0, 3))
