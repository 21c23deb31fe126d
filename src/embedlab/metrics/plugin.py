"""embedlab's built-in metrics, registered through the ``embedlab`` entry point.

Classification metrics are called ``metric(y_true, y_score)``; embedding metrics
``metric(embeddings, labels)`` (retrieval also takes a reference set).
"""

from __future__ import annotations

from embedlab.hookspecs import Register
from embedlab.metrics.accuracy import AccuracyParams
from embedlab.metrics.params import (
    AveragedScoreParams,
    ClassificationReportParams,
    ClassificationScoreParams,
    ClusteringParams,
    CohenKappaParams,
    KMeansScoreParams,
    RetrievalParams,
    SilhouetteParams,
)
from embedlab.registry import hookimpl

_SCORES = "embedlab.metrics.scores"


@hookimpl
def embedlab_register_metrics(register: Register) -> None:
    """Register the built-in metrics."""
    register(
        "accuracy",
        "embedlab.metrics.accuracy:Accuracy",
        params=AccuracyParams,
        summary="fraction of correct predictions (scikit-learn accuracy_score)",
    )
    register(
        "classification-report",
        f"{_SCORES}:ClassificationReportMetric",
        params=ClassificationReportParams,
        summary="per-class precision/recall/F1, ROC AUC, AP, confusion matrix, kappa, MCC, flagged recall",
    )
    register(
        "balanced-accuracy",
        f"{_SCORES}:BalancedAccuracy",
        params=ClassificationScoreParams,
        summary="mean per-class recall (scikit-learn balanced_accuracy_score)",
    )
    for name, attr, what in (
        ("precision", "Precision", "precision"),
        ("recall", "Recall", "recall"),
        ("f1", "F1", "F1 score"),
    ):
        register(
            name,
            f"{_SCORES}:{attr}",
            params=AveragedScoreParams,
            summary=f"{what} averaged over classes, macro by default (scikit-learn)",
        )
    register(
        "roc-auc",
        f"{_SCORES}:RocAuc",
        params=ClassificationScoreParams,
        summary="macro one-vs-rest ROC AUC (scikit-learn roc_auc_score per class)",
    )
    register(
        "average-precision",
        f"{_SCORES}:AveragePrecision",
        params=ClassificationScoreParams,
        summary="macro average precision, the area under the PR curve (scikit-learn)",
    )
    register(
        "cohen-kappa",
        f"{_SCORES}:CohenKappa",
        params=CohenKappaParams,
        summary="Cohen's kappa, agreement beyond chance (scikit-learn)",
    )
    register(
        "mcc",
        f"{_SCORES}:MCC",
        params=ClassificationScoreParams,
        summary="Matthews correlation coefficient (scikit-learn)",
    )
    register(
        "retrieval",
        "embedlab.metrics.retrieval:Retrieval",
        params=RetrievalParams,
        summary="precision@1/@k, recall@k, R-precision, MAP@R, MRR; chunked torch k-NN, GPU when present",
    )
    register(
        "clustering",
        "embedlab.metrics.clustering:Clustering",
        params=ClusteringParams,
        summary="NMI and AMI of k-means clusters vs classes, and the silhouette (scikit-learn)",
    )
    register(
        "nmi",
        "embedlab.metrics.clustering:nmi",
        params=KMeansScoreParams,
        summary="normalised mutual information of k-means clusters and classes",
    )
    register(
        "ami",
        "embedlab.metrics.clustering:ami",
        params=KMeansScoreParams,
        summary="adjusted mutual information of k-means clusters and classes",
    )
    register(
        "silhouette",
        "embedlab.metrics.clustering:silhouette",
        params=SilhouetteParams,
        summary="mean silhouette of the classes in the embedding space",
    )
