"""Retrieval metrics: parity with PyTorch Metric Learning's AccuracyCalculator, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedlab import InputError, metrics


def clustered(rng: np.random.Generator, n: int, classes: int = 8, dim: int = 16, spread: float = 1.5):
    labels = rng.integers(0, classes, n)
    centers = rng.normal(size=(classes, dim)) * spread
    return (centers[labels] + rng.normal(size=(n, dim))).astype(np.float32), labels


@pytest.fixture(scope="module")
def calculator():
    accuracy_calculator = pytest.importorskip("pytorch_metric_learning.utils.accuracy_calculator")
    pytest.importorskip("faiss")
    return accuracy_calculator.AccuracyCalculator(
        include=("precision_at_1", "r_precision", "mean_average_precision_at_r"), k="max_bin_count"
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("leave_one_out", [True, False])
def test_matches_pml(calculator, seed, leave_one_out):
    rng = np.random.default_rng(seed)
    query, query_labels = clustered(rng, 300)
    reference, reference_labels = clustered(rng, 900)
    if leave_one_out:
        expected = calculator.get_accuracy(torch.tensor(query), torch.tensor(query_labels))
        got = metrics.retrieval(query, query_labels)
    else:
        expected = calculator.get_accuracy(
            torch.tensor(query),
            torch.tensor(query_labels),
            torch.tensor(reference),
            torch.tensor(reference_labels),
            ref_includes_query=False,
        )
        got = metrics.retrieval(query, query_labels, reference, reference_labels)
    assert got["precision_at_1"] == pytest.approx(expected["precision_at_1"], abs=1e-6)
    assert got["r_precision"] == pytest.approx(expected["r_precision"], abs=1e-6)
    assert got["map_at_r"] == pytest.approx(expected["mean_average_precision_at_r"], abs=1e-6)


def test_chunking_does_not_change_results():
    rng = np.random.default_rng(3)
    query, labels = clustered(rng, 257)
    chunked = metrics.retrieval(query, labels, chunk_size=16, ks=(1, 5, 300))
    whole = metrics.retrieval(query, labels, ks=(1, 5, 300))
    assert chunked.keys() == whole.keys()
    for key, value in whole.items():
        assert chunked[key] == pytest.approx(value, rel=1e-12), key


def test_perfect_embeddings_score_one():
    labels = np.repeat(np.arange(4), 5)
    emb = np.eye(4, dtype=np.float32)[labels] * 10
    scores = metrics.retrieval(emb, labels)
    assert scores["precision_at_1"] == scores["r_precision"] == scores["map_at_r"] == scores["mrr"] == 1.0


def test_bad_input_is_named():
    emb = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(InputError, match="4 embeddings but 3 labels"):
        metrics.retrieval(emb, [0, 1, 0])
    with pytest.raises(InputError, match="NaN"):
        metrics.retrieval(np.full((3, 2), np.nan), [0, 1, 0])
    with pytest.raises(InputError, match="2-d but reference is 3-d"):
        metrics.retrieval(emb, [0, 1, 0, 1], np.zeros((2, 3)), [0, 1])
    with pytest.raises(InputError, match="reference_labels"):
        metrics.retrieval(emb, [0, 1, 0, 1], emb)


def test_float_labels_must_be_whole_numbers_not_truncated():
    rng = np.random.default_rng(5)
    emb, labels = clustered(rng, 60, classes=4)
    expected = metrics.retrieval(emb, labels)
    assert metrics.retrieval(emb, labels.astype(np.float64)) == expected
    assert metrics.retrieval(torch.from_numpy(emb), torch.from_numpy(labels).float()) == expected
    with pytest.raises(
        InputError, match=r"query_labels holds floats that are not whole numbers \(e\.g\. \d\.5\)"
    ):
        metrics.retrieval(emb, labels + 0.5)
    with pytest.raises(InputError, match="reference_labels holds floats"):
        metrics.retrieval(emb, labels, emb, torch.from_numpy(labels) + 0.5)


def test_nearest_neighbors_match_brute_force():
    rng = np.random.default_rng(4)
    query = torch.tensor(rng.normal(size=(50, 5)), dtype=torch.float32)
    reference = torch.tensor(rng.normal(size=(70, 5)), dtype=torch.float32)
    expected = torch.cdist(query, reference).argsort(dim=1)[:, :4]
    assert torch.equal(metrics.nearest_neighbors(query, reference, 4, chunk_size=7), expected)
    loo = metrics.nearest_neighbors(query, query, 3, exclude_self=True)
    assert not (loo == torch.arange(50).unsqueeze(1)).any()


def test_imbalanced_classes_with_small_chunks_match_pml(calculator):
    rng = np.random.default_rng(5)
    labels = rng.choice(4, size=400, p=[0.7, 0.2, 0.07, 0.03])
    centers = rng.normal(size=(4, 8)) * 1.5
    emb = (centers[labels] + rng.normal(size=(400, 8))).astype(np.float32)
    expected = calculator.get_accuracy(torch.tensor(emb), torch.tensor(labels))
    got = metrics.retrieval(emb, labels, chunk_size=32)
    assert got["r_precision"] == pytest.approx(expected["r_precision"], abs=1e-6)
    assert got["map_at_r"] == pytest.approx(expected["mean_average_precision_at_r"], abs=1e-6)


@pytest.mark.gpu
def test_cuda_equals_cpu():
    rng = np.random.default_rng(6)
    query, labels = clustered(rng, 500)
    reference, reference_labels = clustered(rng, 800)
    cpu = metrics.retrieval(query, labels, reference, reference_labels, device="cpu")
    gpu = metrics.retrieval(query, labels, reference, reference_labels, device="cuda")
    for key, value in cpu.items():
        assert gpu[key] == pytest.approx(value, abs=1e-6), key


def test_ordered_keys_sort_as_the_floats_with_the_flag_breaking_ties():
    from embedlab.metrics.retrieval import _ordered_keys

    values = np.array([3.5, -0.0, -2.25, 1e-30, -1e30, 0.0, 3.5, np.inf, -7.0], dtype=np.float32)
    flags = np.array([1, 0, 1, 0, 1, 0, 0, 0, 1], dtype=bool)
    keys = _ordered_keys(values, flags)
    order = np.argsort(keys, kind="stable")
    assert np.array_equal(values[order], np.sort(values))
    tied = order[values[order] == 3.5]
    assert list(flags[tied]) == [False, True]  # an exact tie lists the non-match first
    assert np.array_equal(keys & 1, flags)


@pytest.mark.parametrize("k", [1, 7, 50])
def test_numpy_hits_equal_torch_topk_hits(k):
    from embedlab.metrics.retrieval import _sorted_hits_numpy

    rng = np.random.default_rng(k)
    scores = rng.standard_normal((37, 200)).astype(np.float32)  # distinct values: no ties
    query_labels, reference_labels = rng.integers(0, 4, 37), rng.integers(0, 4, 200)
    idx = torch.from_numpy(scores).topk(k, dim=1, largest=False).indices.numpy()
    expected = reference_labels[idx] == query_labels[:, None]
    assert np.array_equal(_sorted_hits_numpy(scores, query_labels, reference_labels, k), expected)
