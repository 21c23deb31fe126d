"""faiss-retrieval: registered by embedlab-faiss, equal to embedlab's retrieval and to PML."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import embedlab
from embedlab import InputError, metrics

pytest.importorskip("faiss")
from embedlab_faiss.retrieval import faiss_retrieval  # noqa: E402


def clustered(seed: int, n: int, classes: int = 6, dim: int = 12):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    centers = rng.normal(size=(classes, dim)) * 1.5
    return (centers[labels] + rng.normal(size=(n, dim))).astype(np.float32), labels


def test_registered_by_the_plugin_distribution():
    info = {i.name: i for i in embedlab.plugins("metric")}["faiss-retrieval"]
    assert info.distribution == "embedlab-faiss"
    metric = embedlab.create("metric", "faiss-retrieval", ks=(1, 3))
    emb, labels = clustered(0, 100)
    assert set(metric(emb, labels)) >= {"precision_at_1", "map_at_r", "recall_at_3"}


@pytest.mark.parametrize("leave_one_out", [True, False])
@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_equals_embedlab_retrieval(leave_one_out, distance):
    query, query_labels = clustered(1, 300)
    reference, reference_labels = clustered(2, 500)
    args = (query, query_labels) if leave_one_out else (query, query_labels, reference, reference_labels)
    expected = metrics.retrieval(*args, ks=(1, 5, 50), distance=distance, device="cpu")
    got = faiss_retrieval(*args, ks=(1, 5, 50), distance=distance, chunk_size=64)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-6), key


def test_equals_pml():
    accuracy_calculator = pytest.importorskip("pytorch_metric_learning.utils.accuracy_calculator")
    calculator = accuracy_calculator.AccuracyCalculator(
        include=("precision_at_1", "r_precision", "mean_average_precision_at_r"), k="max_bin_count"
    )
    emb, labels = clustered(3, 400)
    expected = calculator.get_accuracy(torch.tensor(emb), torch.tensor(labels))
    got = faiss_retrieval(emb, labels)
    assert got["precision_at_1"] == pytest.approx(expected["precision_at_1"], abs=1e-6)
    assert got["r_precision"] == pytest.approx(expected["r_precision"], abs=1e-6)
    assert got["map_at_r"] == pytest.approx(expected["mean_average_precision_at_r"], abs=1e-6)


def test_bad_input_uses_embedlab_errors():
    with pytest.raises(InputError, match="4 embeddings but 3 labels"):
        faiss_retrieval(np.zeros((4, 2), dtype=np.float32), [0, 1, 0])
    with pytest.raises(InputError, match="unknown distance"):
        faiss_retrieval(np.zeros((4, 2), dtype=np.float32), [0, 1, 0, 1], distance="hamming")
