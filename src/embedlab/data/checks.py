"""Checks of arrays read from dataset files, with errors that name the file and the array.

Every loader of a real format reads its arrays, then passes them through these checks before
building a dataset: images must be uint8 pixel values with the expected number of
dimensions, labels integers in ``0 .. num_classes - 1``, one label per image.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embedlab.errors import InputError

__all__ = ["checked_images", "checked_labels", "read_npz", "scaled_images"]


def read_npz(file: Path, keys: Sequence[str], what: str) -> dict[str, np.ndarray]:
    """Read ``keys`` from the ``.npz`` ``file`` (no pickle).

    Parameters
    ----------
    file
        The archive.
    keys
        The arrays it must hold.
    what
        The format expected, for the message (``"a Keras-style MNIST .npz"``).

    Raises
    ------
    InputError
        Naming the file: it is not a readable ``.npz``, or it lacks one of ``keys``.
    """
    try:
        loaded = np.load(file, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an .npz archive")
        with loaded:
            found = list(loaded.files)
            arrays = {k: np.asarray(loaded[k]) for k in keys if k in found}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(
            f"{str(file)!r} cannot be read as {what} ({type(exc).__name__}: {exc}); download it again"
        ) from None
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise InputError(
            f"{str(file)!r} has no {', '.join(missing)} arrays (found {', '.join(sorted(found)) or 'none'}); "
            f"it is not {what}"
        )
    return arrays


def checked_images(images: np.ndarray, source: str, ndims: Sequence[int]) -> np.ndarray:
    """Check that ``images`` are uint8 pixels with one of ``ndims`` dimensions; return them.

    ``source`` names the file and array for the message (``"mnist.npz: x_train"``).

    Raises
    ------
    InputError
        The dtype is not uint8, or the number of dimensions is not one of ``ndims``.
    """
    if images.ndim not in ndims:
        layouts = " or ".join(f"{n} dimensions" for n in ndims)
        raise InputError(
            f"{source} has shape {images.shape}; expected images with {layouts} (N first): "
            "the file is not in the expected format"
        )
    if images.dtype != np.uint8:
        raise InputError(
            f"{source} holds {images.dtype} values; expected uint8 pixels 0..255: "
            "the file is not in the expected format"
        )
    return images


def checked_labels(labels: np.ndarray, source: str, num_classes: int, count: int) -> np.ndarray:
    """Check ``count`` integer labels in ``0 .. num_classes - 1``, shaped ``(N,)`` or ``(N, 1)``.

    Returns
    -------
    numpy.ndarray
        The labels as int64, shape ``(N,)``.

    Raises
    ------
    InputError
        Naming ``source``: wrong shape, not integers, a count other than the images', or a
        label out of range.
    """
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(
            f"{source} has shape {labels.shape} and dtype {labels.dtype}; expected integer labels "
            "of shape (N,) or (N, 1)"
        )
    if len(labels) != count:
        raise InputError(f"{source} has {len(labels)} labels for {count} images; they must match")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
        raise InputError(
            f"{source} holds label {bad}, outside 0..{num_classes - 1}; "
            "the file is not in the expected format"
        )
    return labels.astype(np.int64)


def scaled_images(images: np.ndarray, flatten: bool) -> np.ndarray:
    """uint8 images ``(N, H, W)`` or ``(N, H, W, C)`` as float32 ``(N, C, H, W)`` in [0, 1].

    With ``flatten``, rows of ``C * H * W`` values instead.
    """
    X = images.astype(np.float32) / 255.0
    X = X[:, None] if X.ndim == 3 else np.ascontiguousarray(X.transpose(0, 3, 1, 2))
    return X.reshape(len(X), -1) if flatten else X
