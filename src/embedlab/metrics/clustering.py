"""Clustering metrics of embeddings: NMI and AMI of k-means clusters, and the silhouette.

NMI and AMI ask whether k-means, run on the embeddings with one cluster per class, recovers
the classes (as PyTorch Metric Learning's ``AccuracyCalculator`` does). The silhouette asks
how well the true classes are separated in the embedding space. scikit-learn computes all
three.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np

from embedlab.errors import InputError
from embedlab.metrics.labels import check_labels

__all__ = ["ClusterScore", "Clustering", "ami", "clustering", "kmeans_labels", "nmi", "silhouette"]

ClusterMetric = Literal["nmi", "ami", "silhouette"]


def _check(embeddings: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    import torch

    if isinstance(embeddings, torch.Tensor):
        embeddings = embeddings.detach().cpu().numpy()
    X = np.asarray(embeddings, dtype=np.float64)
    y = check_labels(labels, "labels")
    if X.ndim != 2:
        raise InputError(f"embeddings must be a 2-D (N, dim) array; got shape {X.shape}")
    if len(X) != len(y):
        raise InputError(f"embeddings has {len(X)} rows but labels has {len(y)}; they must match")
    if len(X) < 2:
        raise InputError("clustering metrics need at least 2 embeddings")
    if not np.isfinite(X).all():
        raise InputError("embeddings hold NaN or infinite values; check the model that produced them")
    return X, y


def _prepare(X: np.ndarray, distance: str) -> np.ndarray:
    if distance == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        unit: np.ndarray = X / np.maximum(norms, 1e-12)
        return unit
    if distance != "euclidean":
        raise InputError(f"unknown distance {distance!r}; use 'euclidean' or 'cosine'")
    return X


def kmeans_labels(
    embeddings: Any, n_clusters: int, *, seed: int = 0, n_init: int = 3, distance: str = "euclidean"
) -> np.ndarray:
    """Cluster embeddings with scikit-learn's ``KMeans``; return the cluster of each row.

    With ``distance="cosine"`` rows are L2-normalised first (spherical k-means, approximately).
    """
    from sklearn.cluster import KMeans

    X = _prepare(np.asarray(embeddings, dtype=np.float64), distance)
    if not 1 <= n_clusters <= len(X):
        raise InputError(f"n_clusters must be between 1 and the {len(X)} embeddings; got {n_clusters}")
    clusters: np.ndarray = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit_predict(X)
    return clusters


def clustering(
    embeddings: Any,
    labels: Any,
    *,
    n_clusters: int | None = None,
    seed: int = 0,
    n_init: int = 3,
    distance: Literal["euclidean", "cosine"] = "euclidean",
    silhouette_sample_size: int | None = 10_000,
    include: tuple[ClusterMetric, ...] = ("nmi", "ami", "silhouette"),
) -> dict[str, float]:
    """NMI and AMI between the classes and k-means clusters, and the silhouette of the classes.

    Parameters
    ----------
    embeddings, labels
        ``(N, dim)`` embeddings (numpy or torch) and their class labels ``(N,)``.
    n_clusters
        Clusters for k-means; by default the number of classes.
    seed, n_init
        k-means' seed and number of restarts (the best inertia wins).
    distance
        ``"euclidean"`` or ``"cosine"`` (rows normalised for k-means; cosine silhouette).
    silhouette_sample_size
        The silhouette is O(N²): above this many rows it is computed on a seeded random
        sample of them; ``None`` always uses every row.
    include
        Which of ``"nmi"``, ``"ami"``, ``"silhouette"`` to compute.

    Returns
    -------
    dict
        The requested keys. The silhouette is NaN, with a warning, when there is a single
        class or every point is its own class.
    """
    from sklearn import metrics as skm

    X, y = _check(embeddings, labels)
    unknown = set(include) - {"nmi", "ami", "silhouette"}
    if unknown or not include:
        raise InputError(f"include must name some of 'nmi', 'ami', 'silhouette'; got {list(include)}")
    result: dict[str, float] = {}
    if {"nmi", "ami"} & set(include):
        k = n_clusters or len(np.unique(y))
        clusters = kmeans_labels(X, k, seed=seed, n_init=n_init, distance=distance)
        if "nmi" in include:
            result["nmi"] = float(skm.normalized_mutual_info_score(y, clusters))
        if "ami" in include:
            result["ami"] = float(skm.adjusted_mutual_info_score(y, clusters))
    if "silhouette" in include:
        n_classes = len(np.unique(y))
        if not 2 <= n_classes <= len(X) - 1:
            warnings.warn(
                f"the silhouette needs between 2 and N-1 classes; got {n_classes} for {len(X)} rows: "
                "it is NaN",
                UserWarning,
                stacklevel=2,
            )
            result["silhouette"] = math.nan
        else:
            sample = (
                silhouette_sample_size if silhouette_sample_size and len(X) > silhouette_sample_size else None
            )
            result["silhouette"] = float(
                skm.silhouette_score(X, y, metric=distance, sample_size=sample, random_state=seed)
            )
    return result


class Clustering:
    """The ``clustering`` metric: ``Clustering(**params)(embeddings, labels) -> dict``.

    See :func:`clustering` for the parameters.
    """

    def __init__(self, **params: Any) -> None:
        self.params = params

    def __call__(self, embeddings: Any, labels: Any) -> dict[str, float]:
        """Score embeddings against their labels."""
        return clustering(embeddings, labels, **self.params)


class ClusterScore:
    """One clustering metric as a callable: ``ClusterScore("nmi", **params)(embeddings, labels) -> float``."""

    def __init__(self, metric: ClusterMetric, **params: Any) -> None:
        self.metric = metric
        self.params = params

    def __call__(self, embeddings: Any, labels: Any) -> float:
        """Score embeddings against their labels."""
        return clustering(embeddings, labels, include=(self.metric,), **self.params)[self.metric]


def nmi(**params: Any) -> ClusterScore:
    """The ``nmi`` metric: normalised mutual information of k-means clusters and classes."""
    return ClusterScore("nmi", **params)


def ami(**params: Any) -> ClusterScore:
    """The ``ami`` metric: adjusted (for chance) mutual information of k-means clusters and classes."""
    return ClusterScore("ami", **params)


def silhouette(**params: Any) -> ClusterScore:
    """The ``silhouette`` metric: mean silhouette of the true classes in the embedding space."""
    return ClusterScore("silhouette", **params)
