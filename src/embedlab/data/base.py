"""In-memory datasets: named splits of arrays with integer labels, each able to describe itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict

from embedlab.errors import InputError

__all__ = ["IMBALANCE_RATIO", "ArrayDataset", "DatasetDescription", "Split", "stratified_splits"]

#: A split whose largest class is more than this many times its smallest counts as imbalanced.
IMBALANCE_RATIO = 1.5


class DatasetDescription(BaseModel):
    """What a dataset is, as plain JSON data: :meth:`ArrayDataset.describe` returns it.

    ``str()`` gives it in words, as reports show it.

    Attributes
    ----------
    name
        The dataset's name.
    source
        Where it came from: file paths, or ``"embedded stand-in for X: ..."``.
    sizes
        Number of samples per split.
    class_counts
        Per split, the number of samples of each class, indexed by label.
    class_names
        One name per class, indexed by label.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    source: str
    sizes: dict[str, int]
    class_counts: dict[str, list[int]]
    class_names: list[str]

    def imbalance(self, split: str) -> float:
        """Largest class count over smallest in ``split`` (``inf`` when a class is absent)."""
        counts = self.class_counts[split]
        if not counts or max(counts) == 0:
            return 1.0
        return max(counts) / min(counts) if min(counts) else float("inf")

    @property
    def imbalanced(self) -> bool:
        """Whether some split's largest class exceeds :data:`IMBALANCE_RATIO` times its smallest."""
        return any(self.imbalance(split) > IMBALANCE_RATIO for split in self.class_counts)

    def __str__(self) -> str:
        sizes = " / ".join(f"{split} {n:,}" for split, n in self.sizes.items())
        words = f"{self.name} — {self.source}; {sizes}; {len(self.class_names)} classes"
        first = next(iter(self.class_counts), None)
        if first is not None and self.imbalanced:
            ratio = self.imbalance(first)
            words += f", imbalanced (largest / smallest class in {first}: {ratio:.1f})"
        return words


@dataclass(frozen=True, repr=False)
class Split:
    """One split: inputs ``X`` of shape ``(N, ...)`` and integer labels ``y`` of shape ``(N,)``."""

    X: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if len(self.X) != len(self.y):
            raise InputError(f"split has {len(self.X)} inputs but {len(self.y)} labels; they must match")

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        return f"Split(X: {self.X.dtype} {self.X.shape}, y: {self.y.dtype} {self.y.shape})"


@dataclass(frozen=True, repr=False)
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
    source
        Where the data came from: the file path(s) read, or ``"embedded stand-in for X: ..."``
        for data that only stands in for a real dataset.
    """

    name: str
    splits: dict[str, Split]
    class_names: Sequence[str] = field(default_factory=tuple)
    source: str = ""

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

    def describe(self) -> DatasetDescription:
        """Name, source, split sizes, class counts per split and class names, as plain data.

        Raises
        ------
        InputError
            A split's labels are not non-negative integers, so classes cannot be counted.
        """
        for split, part in self.splits.items():
            if len(part) and (not np.issubdtype(part.y.dtype, np.integer) or part.y.min() < 0):
                raise InputError(
                    f"dataset {self.name!r}: split {split!r} has labels of dtype {part.y.dtype} "
                    f"(min {part.y.min()}); labels must be integers 0..num_classes-1"
                )
        num = self.num_classes or 1 + max(
            (int(s.y.max()) for s in self.splits.values() if len(s)), default=-1
        )
        names = list(self.class_names) or [str(c) for c in range(num)]
        return DatasetDescription(
            name=self.name,
            source=self.source or "not recorded",
            sizes={split: len(part) for split, part in self.splits.items()},
            class_counts={
                split: np.bincount(part.y, minlength=num).tolist() for split, part in self.splits.items()
            },
            class_names=names,
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{split}: {len(part):,}" for split, part in self.splits.items())
        shape = f", input_shape={self.input_shape}" if self.splits else ""
        return (
            f"ArrayDataset({self.name!r}, source={self.source!r}, splits={{{sizes}}}{shape}, "
            f"classes={self.num_classes})"
        )


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
