"""imbalanced-digits keeps the seed's class proportions in every split; dermamnist reads a local .npz."""

from __future__ import annotations

import numpy as np
import pytest

import embedlab
from embedlab import ConfigError, InputError
from embedlab.data.imbalanced import SEED_SUPPORTS, load_dermamnist, load_imbalanced_digits


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


def test_dermamnist_reads_a_local_npz(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 12), ("val", 4), ("test", 5)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, 28, 28, 3), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 7, (n, 1))
    path = tmp_path / "dermamnist.npz"
    np.savez(path, **arrays)
    ds = embedlab.create("dataset", "dermamnist", path=str(path))
    assert ds.num_classes == 7 and ds.input_shape == (3, 28, 28)
    assert len(ds["val"]) == 4
    np.testing.assert_array_equal(ds["test"].y, arrays["test_labels"].ravel())
    assert ds["train"].X[0, 2, 5, 7] == pytest.approx(arrays["train_images"][0, 5, 7, 2] / 255)
    assert load_dermamnist(path, flatten=True).input_shape == (3 * 28 * 28,)


def test_dermamnist_bad_files(tmp_path):
    with pytest.raises(InputError, match="does not exist.*MedMNIST"):
        load_dermamnist(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(InputError, match="not a MedMNIST file"):
        load_dermamnist(tmp_path / "other.npz")
