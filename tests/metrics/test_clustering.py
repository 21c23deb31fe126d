"""Clustering metrics: NMI/AMI of k-means clusters, silhouette; scikit-learn values, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from embedlab import InputError
from embedlab.metrics.clustering import clustering, kmeans_labels


def blobs(seed: int, n: int = 300, classes: int = 5, spread: float = 10.0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    centers = rng.normal(size=(classes, 8)) * spread
    return centers[labels] + rng.normal(size=(n, 8)), labels


def test_separated_classes_score_one():
    X, y = blobs(0)
    scores = clustering(X, y)
    assert scores["nmi"] == pytest.approx(1.0) and scores["ami"] == pytest.approx(1.0)
    assert scores["silhouette"] > 0.7


def test_values_are_scikit_learns():
    X, y = blobs(1, spread=1.0)
    scores = clustering(X, y, seed=2)
    clusters = kmeans_labels(X, 5, seed=2)
    assert scores["nmi"] == pytest.approx(skm.normalized_mutual_info_score(y, clusters), abs=1e-12)
    assert scores["ami"] == pytest.approx(skm.adjusted_mutual_info_score(y, clusters), abs=1e-12)
    assert scores["silhouette"] == pytest.approx(skm.silhouette_score(X, y), abs=1e-12)
    assert 0 < scores["nmi"] < 1


def test_random_embeddings_score_near_zero_ami():
    rng = np.random.default_rng(3)
    scores = clustering(rng.normal(size=(400, 4)), rng.integers(0, 4, 400), include=("ami",))
    assert list(scores) == ["ami"] and abs(scores["ami"]) < 0.05


def test_cosine_tensors_and_sampled_silhouette():
    X, y = blobs(4)
    scores = clustering(torch.tensor(X), torch.tensor(y), distance="cosine", silhouette_sample_size=100)
    normalized = X / np.linalg.norm(X, axis=1, keepdims=True)
    expected = skm.silhouette_score(normalized, y, metric="cosine", sample_size=100, random_state=0)
    assert scores["silhouette"] == pytest.approx(expected, abs=1e-12)


def test_single_class_silhouette_is_nan_with_a_warning():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.warns(UserWarning, match="silhouette needs between 2 and N-1 classes"):
        scores = clustering(X, np.zeros(10, dtype=int))
    assert math.isnan(scores["silhouette"]) and scores["nmi"] == pytest.approx(1.0)


def test_bad_input():
    X = np.zeros((4, 2))
    with pytest.raises(InputError, match="4 rows but labels has 3"):
        clustering(X, [0, 1, 0])
    with pytest.raises(InputError, match="NaN"):
        clustering(np.full((3, 2), np.nan), [0, 1, 0])
    with pytest.raises(InputError, match="include"):
        clustering(X, [0, 1, 0, 1], include=("purity",))
    with pytest.raises(InputError, match="unknown distance"):
        clustering(X, [0, 1, 0, 1], distance="manhattan")
    with pytest.raises(InputError, match="n_clusters"):
        clustering(X, [0, 1, 0, 1], n_clusters=9)
