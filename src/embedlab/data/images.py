"""MNIST, Fashion-MNIST (torchvision's files) and DermaMNIST (MedMNIST ``.npz``) loaders.

Every loader returns float32 images scaled by 1/255 (as the seed study did), channels first,
in an :class:`~embedlab.data.base.ArrayDataset` with ``train``, ``val`` and ``test`` splits.
Nothing is downloaded unless asked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedlab.data.base import ArrayDataset, Split, stratified_splits
from embedlab.errors import ConfigError, InputError

__all__ = ["load_mnist", "load_fashion_mnist", "load_dermamnist", "DERMAMNIST_CLASSES"]

#: DermaMNIST's seven classes (HAM10000), indexed by label.
DERMAMNIST_CLASSES = (
    "actinic keratoses and intraepithelial carcinoma",
    "basal cell carcinoma",
    "benign keratosis-like lesions",
    "dermatofibroma",
    "melanoma",
    "melanocytic nevi",
    "vascular lesions",
)


def _scale(images: np.ndarray, flatten: bool) -> np.ndarray:
    X = images.astype(np.float32) / 255.0
    if X.ndim == 3:  # (N, H, W) grey
        X = X[:, None]
    elif X.ndim == 4 and X.shape[-1] in (1, 3):  # (N, H, W, C) colour
        X = np.ascontiguousarray(X.transpose(0, 3, 1, 2))
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


def load_dermamnist(path: str, flatten: bool = False) -> ArrayDataset:
    """Load DermaMNIST from a MedMNIST ``.npz`` file with its official train/val/test splits.

    Images are ``(N, 3, H, W)`` float32 in [0, 1]; labels are the 7 HAM10000 classes.

    Raises
    ------
    ConfigError
        When the file does not exist.
    InputError
        When a split's arrays are missing or their lengths disagree.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"dermamnist: no file at {file}; pass the path of dermamnist.npz")
    splits = {}
    with np.load(file, allow_pickle=False) as data:
        for split in ("train", "val", "test"):
            keys = (f"{split}_images", f"{split}_labels")
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise InputError(f"dermamnist: {file} lacks {', '.join(missing)}; is it a MedMNIST .npz?")
            images, labels = data[keys[0]], data[keys[1]].reshape(-1).astype(np.int64)
            splits[split] = Split(_scale(images, flatten), labels)
    return ArrayDataset(name="dermamnist", splits=splits, class_names=DERMAMNIST_CLASSES)
