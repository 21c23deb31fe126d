"""Metrics: classification on imbalanced data, retrieval and clustering of embeddings.

Importing this package is light; each function imports scikit-learn or torch when called.
"""

from embedlab.metrics.accuracy import Accuracy
from embedlab.metrics.classification import (
    ClassificationReport,
    SplitReports,
    UndefinedMetricWarning,
    classification_report,
    classification_reports,
)
from embedlab.metrics.retrieval import nearest_neighbors, retrieval

__all__ = [
    "Accuracy",
    "ClassificationReport",
    "SplitReports",
    "UndefinedMetricWarning",
    "classification_report",
    "classification_reports",
    "nearest_neighbors",
    "retrieval",
]
