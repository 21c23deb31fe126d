"""Params models of the real-dataset loaders (light: pydantic only)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from embedlab.params import Params

__all__ = ["DermaMNISTParams", "MNISTParams"]

_ROOT = (
    "Data root in torchvision's and MedMNIST's layout; default ``$EMBEDLAB_DATA``, else "
    "``~/.cache/embedlab/data`` (see :func:`embedlab.data.root.data_root`)."
)


class _FileSource(Params):
    """A dataset read either from a data root or from one file: ``root`` or ``path``, not both."""

    root: str | None = Field(None, description=_ROOT)
    path: Path | None = Field(None, description="One file to read instead of looking under ``root``.")
    download: bool = Field(
        False, description="Download the files into ``root`` when they are missing (never by default)."
    )

    @field_validator("path")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser()

    @model_validator(mode="after")
    def _root_or_path(self) -> _FileSource:
        if self.path is not None and self.root is not None:
            raise ValueError(f"give root or path, not both (root={self.root!r}, path={str(self.path)!r})")
        if self.path is not None and self.download:
            raise ValueError("download applies to root only; remove download or path")
        return self


class MNISTParams(_FileSource):
    """Parameters of ``mnist`` and ``fashion-mnist``: torchvision's idx files, or a Keras-style ``.npz``.

    ``root`` holds ``<root>/MNIST/raw/`` (``FashionMNIST/raw/``) with the four idx files,
    ``.gz`` or uncompressed; ``path`` is one ``.npz`` with ``x_train``, ``y_train``,
    ``x_test`` and ``y_test`` as Keras's ``mnist.npz``.
    """

    path: Path | None = Field(
        None, description="A Keras-style .npz (x_train, y_train, x_test, y_test) to read instead of ``root``."
    )
    val_size: float = Field(
        0.1, ge=0, lt=1, description="Fraction of the official training set held out for validation."
    )
    seed: int = Field(0, description="Seed of the stratified validation split.")
    flatten: bool = Field(False, description="Return (N, 784) rows instead of (N, 1, 28, 28) images.")


class DermaMNISTParams(_FileSource):
    """Parameters of ``dermamnist``: MedMNIST's ``.npz``, from ``path``, the data root, or downloaded.

    ``download`` fetches the file through the ``medmnist`` package
    (``pip install 'embedlab[medmnist]'``).
    """

    path: Path | None = Field(
        None, description="MedMNIST's dermamnist.npz (or dermamnist_<size>.npz) to read instead of ``root``."
    )
    size: Literal[28, 64, 128, 224] = Field(
        28, description="Image side: 28 reads dermamnist.npz, larger sizes dermamnist_<size>.npz."
    )
    flatten: bool = Field(False, description="Return (N, C*H*W) rows instead of (N, C, H, W) images.")
