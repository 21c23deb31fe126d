"""In-memory datasets: named splits of arrays with integer labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from embedlab.errors import InputError

__all__ = ["Split", "ArrayDataset", "stratified_splits"]


@dataclass(frozen=True)
class Split:
    """One split: inputs ``X`` of shape ``(N, ...)`` and integer labels ``y`` of shape ``(N,)``."""

    X: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if len(self.X) != len(self.y):
            raise InputError(f"split has {len(self.X)} inputs but {len(self.y)} labels; they must match")

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class ArrayDataset:
    """A dataset held in memory as named splits (``train``, ``val``, ``test``).

    Attributes
    ----------
    name
        The dataset's name.
    splits
        Split name to :class:`Split`.
    class_names
        One name per class, indexed by label.
    """

    name: str
    splits: dict[str, Split]
    class_names: Sequence[str] = field(default_factory=tuple)

    def __getitem__(self, split: str) -> Split:
        if split not in self.splits:
            raise InputError(
                f"dataset {self.name!r} has no split {split!r}; available: {', '.join(self.splits)}"
            )
        return self.splits[split]

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input, without the batch axis."""
        return tuple(next(iter(self.splits.values())).X.shape[1:])


def stratified_splits(
    X: np.ndarray, y: np.ndarray, val_size: float, test_size: float, seed: int
) -> dict[str, Split]:
    """Split arrays into stratified ``train`` / ``val`` / ``test`` parts.

    Parameters
    ----------
    X, y
        Inputs and labels.
    val_size, test_size
        Fractions of the whole for validation and test; 0 leaves that split out.
    seed
        Seed of the shuffle.
    """
    from sklearn.model_selection import train_test_split

    splits: dict[str, Split] = {}
    rest_X, rest_y = X, y
    if test_size > 0:
        rest_X, test_X, rest_y, test_y = train_test_split(
            rest_X, rest_y, test_size=test_size, stratify=rest_y, random_state=seed
        )
    if val_size > 0:
        rest_X, val_X, rest_y, val_y = train_test_split(
            rest_X, rest_y, test_size=val_size / (1 - test_size), stratify=rest_y, random_state=seed
        )
    splits["train"] = Split(rest_X, rest_y)
    if val_size > 0:
        splits["val"] = Split(val_X, val_y)
    if test_size > 0:
        splits["test"] = Split(test_X, test_y)
    return splits
