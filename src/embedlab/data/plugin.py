"""embedlab's built-in datasets, registered through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab.data.digits import DigitsParams
from embedlab.data.imbalanced import DermaMNISTParams, ImbalancedDigitsParams
from embedlab.data.params import TorchvisionImagesParams
from embedlab.hookspecs import Register
from embedlab.registry import hookimpl


@hookimpl
def embedlab_register_datasets(register: Register) -> None:
    """Register the built-in datasets."""
    register(
        "digits",
        "embedlab.data.digits:load_digits",
        params=DigitsParams,
        summary="scikit-learn's embedded 8x8 digits, 1,797 images in 10 classes",
    )
    register(
        "mnist",
        "embedlab.data.images:load_mnist",
        params=TorchvisionImagesParams,
        summary="MNIST 28x28 digits from torchvision's files under a local root (seed study 2)",
    )
    register(
        "fashion-mnist",
        "embedlab.data.images:load_fashion_mnist",
        params=TorchvisionImagesParams,
        summary="Fashion-MNIST 28x28 clothing from torchvision's files under a local root (study 4)",
    )
    register(
        "imbalanced-digits",
        "embedlab.data.imbalanced:load_imbalanced_digits",
        params=ImbalancedDigitsParams,
        summary="digits subsampled to DermaMNIST's 7-class proportions (one class ~67%), no download",
    )
    register(
        "dermamnist",
        "embedlab.data.imbalanced:load_dermamnist",
        params=DermaMNISTParams,
        summary="DermaMNIST skin lesions (7 classes, imbalanced) read from a local MedMNIST .npz",
    )
