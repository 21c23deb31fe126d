"""Datasets: embedded defaults and loaders for real datasets."""

from embedlab.data.base import ArrayDataset, Split, stratified_splits
from embedlab.data.digits import load_digits

__all__ = ["ArrayDataset", "Split", "load_digits", "stratified_splits"]
