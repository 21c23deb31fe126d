"""embedlab's built-in datasets, registered through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab.data.digits import DigitsParams
from embedlab.data.imbalanced import ImbalancedDigitsParams
from embedlab.data.params import DermaMNISTParams, MNISTParams
from embedlab.hookspecs import Register
from embedlab.registry import hookimpl


@hookimpl
def embedlab_register_datasets(register: Register) -> None:
    """Register the built-in datasets."""
    register(
        "digits",
        "embedlab.data.digits:load_digits",
        params=DigitsParams,
        summary="scikit-learn's embedded 8x8 handwritten digits: 1,797 images in 10 classes, no download",
    )
    register(
        "mnist",
        "embedlab.data.images:load_mnist",
        params=MNISTParams,
        summary="MNIST handwritten digits, 28x28 grey, 60k train / 10k test: torchvision's idx files or Keras's mnist.npz",
    )
    register(
        "fashion-mnist",
        "embedlab.data.images:load_fashion_mnist",
        params=MNISTParams,
        summary="Fashion-MNIST clothing, 28x28 grey, 10 classes, 60k train / 10k test: torchvision's idx files or a Keras-style .npz",
    )
    register(
        "imbalanced-digits",
        "embedlab.data.imbalanced:load_imbalanced_digits",
        params=ImbalancedDigitsParams,
        summary="embedded stand-in for DermaMNIST: digits subsampled to its 7-class proportions (one class ~67%), no download",
    )
    register(
        "dermamnist",
        "embedlab.data.dermamnist:load_dermamnist",
        params=DermaMNISTParams,
        summary="DermaMNIST skin lesions: 7 imbalanced classes, 7,007 / 1,003 / 2,005 images, from MedMNIST's .npz",
    )
