"""An embedded imbalanced dataset: digits at DermaMNIST's class proportions.

``imbalanced-digits`` needs no download: it subsamples scikit-learn's embedded digits so the 7
classes have the supports of DermaMNIST's training split (228, 359, 769, 80, 779, 4693, 99: the
majority class is about 67%). There are only ~180 images of each digit, so the majority class
pools the digits no other class uses (5, 7, 8, 9): a common, varied "benign" class against rare
specific ones. DermaMNIST itself is read by :mod:`embedlab.data.dermamnist`.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator, model_validator

from embedlab.data.base import ArrayDataset, stratified_splits
from embedlab.errors import InputError
from embedlab.params import Params

__all__ = ["ImbalancedDigitsParams", "SEED_SUPPORTS", "load_imbalanced_digits"]

#: Per-class supports of DermaMNIST's training split, the proportions Study 3 starts from.
SEED_SUPPORTS: tuple[int, ...] = (228, 359, 769, 80, 779, 4693, 99)

_MIN_PER_CLASS = 6  # so stratified train/val/test splits each get a sample of every class


class ImbalancedDigitsParams(Params):
    """Parameters of the ``imbalanced-digits`` dataset."""

    supports: tuple[int, ...] = Field(
        SEED_SUPPORTS,
        min_length=2,
        max_length=10,
        description="Relative class sizes (2 to 10 classes); the largest class also pools the unused digits.",
    )
    val_size: float = Field(0.15, ge=0, lt=1, description="Fraction of images for validation.")
    test_size: float = Field(0.2, ge=0, lt=1, description="Fraction of images for test.")
    seed: int = Field(0, description="Seed of the subsampling and of the stratified split.")
    flatten: bool = Field(False, description="Return (N, 64) rows instead of (N, 1, 8, 8) images.")

    @field_validator("supports")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if min(value) <= 0:
            raise ValueError(f"supports must all be positive; got {list(value)}")
        return value

    @model_validator(mode="after")
    def _fractions_fit(self) -> ImbalancedDigitsParams:
        if self.val_size + self.test_size >= 1:
            raise ValueError(
                f"val_size + test_size = {self.val_size + self.test_size} leaves no training data; "
                "keep their sum below 1"
            )
        return self


def load_imbalanced_digits(
    supports: tuple[int, ...] = SEED_SUPPORTS,
    val_size: float = 0.15,
    test_size: float = 0.2,
    seed: int = 0,
    flatten: bool = False,
) -> ArrayDataset:
    """Digits subsampled to imbalanced class proportions (by default DermaMNIST's).

    Class ``c`` is digit ``c``; the largest class also takes every digit ``>= len(supports)``.
    Each class keeps ``scale × supports[c]`` images, with the largest ``scale`` the digits
    allow (with the defaults: 34, 54, 117, 12, 118, 715 and 15 images, 1,065 in all, class 5 at
    67%). The split into ``train`` / ``val`` / ``test`` is stratified, so every split keeps
    the proportions.

    Parameters
    ----------
    supports
        Relative class sizes, 2 to 10 classes.
    val_size, test_size
        Fractions held out for validation and test.
    seed
        Seed of the subsampling and of the split.
    flatten
        Return ``(N, 64)`` rows rather than ``(N, 1, 8, 8)`` images.

    Raises
    ------
    InputError
        The proportions are so skewed that a class would get fewer than 6 images.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    params = ImbalancedDigitsParams(
        supports=supports, val_size=val_size, test_size=test_size, seed=seed, flatten=flatten
    )
    sizes = np.asarray(params.supports, dtype=np.float64)
    num = len(sizes)
    major = int(sizes.argmax())
    bunch = sk_load_digits()
    digits = bunch.target
    pools = [np.flatnonzero(digits == c) for c in range(num)]
    pools[major] = np.flatnonzero((digits == major) | (digits >= num))
    scale = min(len(pool) / size for pool, size in zip(pools, sizes, strict=True))
    counts = np.floor(scale * sizes + 1e-9).astype(int)
    if counts.min() < _MIN_PER_CLASS:
        raise InputError(
            f"supports {list(params.supports)} are too skewed for the 1,797 digits: class "
            f"{int(counts.argmin())} would get {int(counts.min())} images (at least {_MIN_PER_CLASS} are "
            "needed for stratified splits); make the smallest support larger relative to the largest"
        )
    rng = np.random.default_rng(params.seed)
    chosen = [rng.choice(pool, size=n, replace=False) for pool, n in zip(pools, counts, strict=True)]
    index = np.concatenate(chosen)
    y = np.repeat(np.arange(num, dtype=np.int64), counts)
    X = (bunch.images[index] / 16.0).astype(np.float32)
    X = X.reshape(len(X), -1) if params.flatten else X[:, None, :, :]
    names = [str(c) for c in range(num)]
    names[major] = "/".join(str(d) for d in [major, *range(num, 10)])
    if params.supports == SEED_SUPPORTS:
        source = (
            "embedded stand-in for DermaMNIST: scikit-learn's 8x8 digits subsampled to its class proportions"
        )
    else:
        source = f"scikit-learn's embedded 8x8 digits subsampled to class proportions {list(params.supports)}"
    return ArrayDataset(
        name="imbalanced-digits",
        splits=stratified_splits(X, y, params.val_size, params.test_size, params.seed),
        class_names=tuple(names),
        source=source,
    )
