"""Params models of the real-dataset loaders (light: pydantic only)."""

from __future__ import annotations

from pydantic import Field

from embedlab.params import Params

__all__ = ["TorchvisionImagesParams"]


class TorchvisionImagesParams(Params):
    """Parameters of ``mnist`` and ``fashion-mnist``: torchvision's files under a local ``root``."""

    root: str = Field(description="Folder holding torchvision's files (``<root>/MNIST/raw/...``).")
    val_size: float = Field(
        0.1, ge=0, lt=1, description="Fraction of the official training set held out for validation."
    )
    seed: int = Field(0, description="Seed of the stratified validation split.")
    download: bool = Field(False, description="Download the files into ``root`` when they are missing.")
    flatten: bool = Field(False, description="Return (N, 784) rows instead of (N, 1, 28, 28) images.")
