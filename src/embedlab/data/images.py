"""MNIST and Fashion-MNIST loaders reading torchvision's files from a local ``root``.

Both return float32 images scaled by 1/255 (as the seed study did), channels first,
in an :class:`~embedlab.data.base.ArrayDataset` with ``train``, ``val`` and ``test`` splits.
Nothing is downloaded unless asked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedlab.data.base import ArrayDataset, Split, stratified_splits
from embedlab.errors import ConfigError

__all__ = ["load_mnist", "load_fashion_mnist"]


def _scale(images: np.ndarray, flatten: bool) -> np.ndarray:
    X = images.astype(np.float32)[:, None] / 255.0  # (N, H, W) grey -> (N, 1, H, W)
    return X.reshape(len(X), -1) if flatten else X


def _torchvision(
    name: str, cls_name: str, root: str, val_size: float, seed: int, download: bool, flatten: bool
) -> ArrayDataset:
    from torchvision import datasets

    cls = getattr(datasets, cls_name)
    parts = {}
    for train in (True, False):
        try:
            ds = cls(root=root, train=train, download=download)
        except RuntimeError as exc:
            raise ConfigError(
                f"{name}: no {cls_name} files under root={root!r} ({exc}); put torchvision's files in "
                f"{Path(root) / cls_name / 'raw'} or pass download=True"
            ) from None
        parts[train] = (ds.data.numpy(), ds.targets.numpy().astype(np.int64), list(ds.classes))
    X_train, y_train, classes = parts[True]
    X_test, y_test, _ = parts[False]
    splits = stratified_splits(_scale(X_train, flatten), y_train, val_size, 0.0, seed)
    splits["test"] = Split(_scale(X_test, flatten), y_test)
    return ArrayDataset(name=name, splits=splits, class_names=tuple(classes))


def load_mnist(
    root: str, val_size: float = 0.1, seed: int = 0, download: bool = False, flatten: bool = False
) -> ArrayDataset:
    """Load MNIST with torchvision from ``root``: 60k training (less ``val_size``) and 10k test images.

    Raises
    ------
    ConfigError
        When the files are missing and ``download`` is False.
    """
    return _torchvision("mnist", "MNIST", root, val_size, seed, download, flatten)


def load_fashion_mnist(
    root: str, val_size: float = 0.1, seed: int = 0, download: bool = False, flatten: bool = False
) -> ArrayDataset:
    """Load Fashion-MNIST with torchvision from ``root`` (the fourth study's data).

    Raises
    ------
    ConfigError
        When the files are missing and ``download`` is False.
    """
    return _torchvision("fashion-mnist", "FashionMNIST", root, val_size, seed, download, flatten)
