"""Datasets: embedded defaults and loaders for real datasets."""

from embedlab.data.base import ArrayDataset, Split, stratified_splits
from embedlab.data.digits import load_digits
from embedlab.data.images import load_fashion_mnist, load_mnist

__all__ = [
    "ArrayDataset",
    "Split",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "stratified_splits",
]
