"""Every built-in metric is registered as kind ``metric`` and gives scikit-learn's value."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import embedlab
from embedlab import ConfigError, InputError
from embedlab.metrics import ClassificationReport

METRICS = {
    "accuracy", "classification-report", "balanced-accuracy", "precision", "recall", "f1", "roc-auc",
    "average-precision", "cohen-kappa", "mcc", "retrieval", "clustering", "nmi", "ami", "silhouette",
}  # fmt: skip


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(0)
    y = np.concatenate([np.arange(4), rng.integers(0, 4, 96)])
    logits = rng.normal(size=(100, 4))
    logits[np.arange(100), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba, proba.argmax(axis=1)


def test_all_registered_by_embedlab():
    infos = {info.name: info for info in embedlab.plugins("metric")}
    assert METRICS <= set(infos)
    assert all(infos[name].distribution == "embedlab" and infos[name].summary for name in METRICS)


def test_label_metrics_equal_scikit_learn(case):
    y, proba, pred = case
    expected = {
        "balanced-accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, average="macro"),
        "recall": skm.recall_score(y, pred, average="macro"),
        "f1": skm.f1_score(y, pred, average="macro"),
        "cohen-kappa": skm.cohen_kappa_score(y, pred),
        "mcc": skm.matthews_corrcoef(y, pred),
        "roc-auc": skm.roc_auc_score(y, proba, multi_class="ovr"),
        "average-precision": skm.average_precision_score(np.eye(4)[y], proba),
    }
    for name, value in expected.items():
        assert embedlab.create("metric", name)(y, proba) == pytest.approx(value, abs=1e-12), name
    weighted = embedlab.create("metric", "f1", average="weighted")
    assert weighted(y, pred) == pytest.approx(skm.f1_score(y, pred, average="weighted"), abs=1e-12)
    quadratic = embedlab.create("metric", "cohen-kappa", weights="quadratic")
    assert quadratic(y, pred) == pytest.approx(skm.cohen_kappa_score(y, pred, weights="quadratic"))


def test_report_metric(case):
    y, proba, _ = case
    report = embedlab.create("metric", "classification-report", recall_target=0.9)(y, proba, list("abcd"))
    assert isinstance(report, ClassificationReport) and report.recall_target == 0.9
    assert list(report.recall) == list("abcd")


def test_score_metrics_refuse_labels_and_params_are_validated(case):
    y, _, pred = case
    with pytest.raises(InputError, match="needs class scores"):
        embedlab.create("metric", "roc-auc")(y, pred)
    with pytest.raises(ConfigError):
        embedlab.create("metric", "f1", average="samples")
    with pytest.raises(ConfigError):
        embedlab.create("metric", "retrieval", ks=())


def test_embedding_metrics():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 90)
    emb = (np.eye(3)[labels] * 5 + rng.normal(size=(90, 3)) * 0.1).astype(np.float32)
    scores = embedlab.create("metric", "retrieval", ks=(1, 3))(emb, labels)
    assert scores["precision_at_1"] == 1.0 and "recall_at_3" in scores
    assert embedlab.create("metric", "nmi")(emb, labels) == pytest.approx(1.0)
    assert embedlab.create("metric", "ami", n_clusters=3)(emb, labels) == pytest.approx(1.0)
    assert embedlab.create("metric", "silhouette")(emb, labels) > 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(embedlab.create("metric", "clustering")(emb, labels)) == {"nmi", "ami", "silhouette"}
