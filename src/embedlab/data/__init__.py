"""Datasets: embedded defaults and loaders for real datasets."""

from embedlab.data.base import ArrayDataset, DatasetDescription, Split, stratified_splits
from embedlab.data.digits import load_digits
from embedlab.data.images import load_fashion_mnist, load_mnist
from embedlab.data.root import data_root

__all__ = [
    "ArrayDataset",
    "DatasetDescription",
    "Split",
    "data_root",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "stratified_splits",
]
