"""Metrics: classification on imbalanced data, retrieval and clustering of embeddings.

Importing this package is light; each function imports scikit-learn or torch when called.
"""

from embedlab.metrics.accuracy import Accuracy
from embedlab.metrics.retrieval import nearest_neighbors, retrieval

__all__ = ["Accuracy", "nearest_neighbors", "retrieval"]
