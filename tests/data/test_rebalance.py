"""Class weights from supports, and oversampling of minority classes with augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from embedlab import InputError
from embedlab.data.rebalance import class_supports, class_weights, oversample, weights_from_supports

SEED_Y = np.repeat(np.arange(7), [228, 359, 769, 80, 779, 4693, 99])


def test_balanced_weights_equal_scikit_learn():
    expected = compute_class_weight("balanced", classes=np.arange(7), y=SEED_Y)
    np.testing.assert_allclose(class_weights(SEED_Y), expected, rtol=1e-6)
    supports = class_supports(SEED_Y)
    assert supports.tolist() == [228, 359, 769, 80, 779, 4693, 99]
    # every class then weighs the same in total
    totals = weights_from_supports(supports) * supports
    np.testing.assert_allclose(totals, totals[0], rtol=1e-5)


def test_other_schemes():
    supports = np.array([10, 100, 1000])
    sqrt = weights_from_supports(supports, "sqrt")
    np.testing.assert_allclose(sqrt, np.sqrt(weights_from_supports(supports)), rtol=1e-6)
    effective = weights_from_supports(supports, "effective", beta=0.99)
    assert effective.mean() == pytest.approx(1.0)
    assert effective[0] > effective[1] > effective[2]
    np.testing.assert_allclose(weights_from_supports(supports, "effective", beta=0.0), 1.0)
    # a class absent from the labels gets weight 0
    assert class_weights([0, 0, 1], num_classes=3)[2] == 0


def test_weights_bad_input():
    with pytest.raises(InputError, match="unknown scheme"):
        weights_from_supports([1, 2], "nope")
    with pytest.raises(InputError, match="all zero"):
        weights_from_supports([0, 0])
    with pytest.raises(InputError, match="integer class labels"):
        class_weights([0.5, 1.0])
    with pytest.raises(InputError, match="num_classes is 2"):
        class_weights([0, 3], num_classes=2)


def images(n_per_class):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    X = rng.random((len(y), 1, 8, 8)).astype(np.float32)
    return X, y


def test_oversample_balances_and_augments():
    X, y = images([20, 3, 7])
    X2, y2 = oversample(X, y, seed=1)
    assert np.bincount(y2).tolist() == [20, 20, 20]
    np.testing.assert_array_equal(X2[: len(X)], X)  # originals kept, first
    assert X2.dtype == np.float32 and X2.shape[1:] == X.shape[1:]
    new = X2[len(X) :]
    assert not any(np.allclose(a, b) for a in new for b in X)  # every copy is augmented
    X3, _ = oversample(X, y, seed=1)
    np.testing.assert_array_equal(X2, X3)  # seeded


def test_oversample_targets_and_plain_copies():
    X, y = images([20, 3, 7])
    X2, y2 = oversample(X, y, target=10, augment=None)
    assert np.bincount(y2).tolist() == [20, 10, 10]
    originals = {x.tobytes() for x in X}
    assert all(x.tobytes() in originals for x in X2)
    # copies cycle through a class's samples: 3 originals copied 7 times -> each 2 or 3 times
    class1 = [x.tobytes() for x in X2[len(X) :][y2[len(X) :] == 1]]
    assert sorted(class1.count(k) for k in set(class1)) in ([2, 2, 3], [2, 3, 2])
    _, y3 = oversample(X, y, target={1: 5})
    assert np.bincount(y3).tolist() == [20, 5, 7]
    same_X, same_y = oversample(X, y, target=2)
    assert same_X is X and same_y is y


def test_oversample_flat_rows_tensors_and_custom_transform():
    X, y = images([6, 2])
    flat = X.reshape(len(X), -1)
    with pytest.raises(InputError, match="image_shape"):
        oversample(flat, y)
    X2, y2 = oversample(flat, y, image_shape=(1, 8, 8))
    assert X2.shape == (12, 64)
    Xt, yt = oversample(torch.from_numpy(X), torch.from_numpy(y), augment=lambda img: img * 0)
    assert isinstance(Xt, torch.Tensor) and Xt.shape == (12, 1, 8, 8)
    assert torch.all(Xt[8:] == 0) and yt.tolist().count(1) == 6


def test_oversample_bad_input():
    X, y = images([4, 2])
    with pytest.raises(InputError, match="6 samples but y has 5"):
        oversample(X, y[:5])
    with pytest.raises(InputError, match="class 9"):
        oversample(X, y, target={9: 3})
    with pytest.raises(InputError, match="target must be"):
        oversample(X, y, target="min")


def test_class_without_samples_cannot_be_oversampled():
    X, y = images([4, 0, 2])
    with pytest.raises(InputError, match="class 1 has no sample"):
        oversample(X, y)


def test_oversampled_dataset_augments_afresh_on_every_read():
    from embedlab.data.rebalance import OversampledDataset, oversample_indices

    X, y = images([10, 2, 4])
    ds = OversampledDataset(X, y, seed=0)
    assert len(ds) == 30
    assert np.bincount(ds.labels).tolist() == [10, 10, 10]
    np.testing.assert_array_equal(ds.copies, oversample_indices(y, seed=0))
    x0, label0 = ds[0]
    assert torch.equal(x0, torch.from_numpy(X[0])) and label0 == 0  # originals untouched
    first, label = ds[len(y)]
    second, _ = ds[len(y)]
    assert label == int(y[ds.copies[0]]) and first.shape == (1, 8, 8)
    assert not torch.equal(first, second)  # a new variant on every read
    loader = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True)
    batches = list(loader)
    assert sum(len(b[1]) for b in batches) == 30 and batches[0][0].shape[1:] == (1, 8, 8)
    flat = OversampledDataset(X.reshape(len(X), -1), y, image_shape=(1, 8, 8))
    assert flat[len(y)][0].shape == (64,)
    plain = OversampledDataset(X, y, augment=None)
    assert torch.equal(plain[len(y)][0], torch.from_numpy(X[plain.copies[0]]))
    with pytest.raises(IndexError):
        ds[30]
    with pytest.raises(InputError, match="image_shape"):
        OversampledDataset(X.reshape(len(X), -1), y)
