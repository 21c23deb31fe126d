"""scikit-learn's embedded digits: 1,797 grey 8×8 images in 10 classes, no download."""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from embedlab.data.base import ArrayDataset, stratified_splits
from embedlab.params import Params

__all__ = ["DigitsParams", "load_digits"]


class DigitsParams(Params):
    """Parameters of the ``digits`` dataset."""

    val_size: float = Field(0.15, ge=0, lt=1, description="Fraction of images for validation.")
    test_size: float = Field(0.2, ge=0, lt=1, description="Fraction of images for test.")
    seed: int = Field(0, description="Seed of the stratified split.")
    flatten: bool = Field(False, description="Return (N, 64) rows instead of (N, 1, 8, 8) images.")
    stand_in_for: str | None = Field(
        None, description="The dataset these digits stand in for, named in the description (``embedlab run --stand-in``)."
    )

    @model_validator(mode="after")
    def _fractions_fit(self) -> DigitsParams:
        if self.val_size + self.test_size >= 1:
            raise ValueError(
                f"val_size + test_size = {self.val_size + self.test_size} leaves no training data; "
                "keep their sum below 1"
            )
        return self


def load_digits(
    val_size: float = 0.15,
    test_size: float = 0.2,
    seed: int = 0,
    flatten: bool = False,
    stand_in_for: str | None = None,
) -> ArrayDataset:
    """Load the digits as float32 images scaled to [0, 1], split stratified by class.

    Parameters
    ----------
    val_size, test_size
        Fractions of the 1,797 images held out for validation and test.
    seed
        Seed of the split.
    flatten
        Return ``(N, 64)`` rows rather than ``(N, 1, 8, 8)`` images.
    stand_in_for
        The dataset the digits replace (``"mnist"``, say); the source then reads
        ``"embedded stand-in for mnist: ..."``, so a report cannot be mistaken for the real data's.

    Returns
    -------
    ArrayDataset
        Splits ``train``, ``val`` and ``test`` (those with a non-zero size).
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    X = (bunch.images / 16.0).astype(np.float32)  # pixel values run 0..16
    X = X.reshape(len(X), -1) if flatten else X[:, None, :, :]
    y = bunch.target.astype(np.int64)
    source = "scikit-learn's embedded 8x8 digits"
    return ArrayDataset(
        name="digits",
        splits=stratified_splits(X, y, val_size, test_size, seed),
        class_names=tuple(str(c) for c in bunch.target_names),
        source=f"embedded stand-in for {stand_in_for}: {source}" if stand_in_for else source,
    )
