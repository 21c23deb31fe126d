"""Metrics: classification on imbalanced data, retrieval and clustering of embeddings."""

from embedlab.metrics.accuracy import Accuracy

__all__ = ["Accuracy"]
