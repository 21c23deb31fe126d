"""The engine's exact top-k selection against a full sort, and its threaded search."""

from __future__ import annotations

import numpy as np
import pytest

import embedlab.threads
from embedlab.words.engine import Engine, _topk_numpy


@pytest.mark.parametrize(("columns", "k"), [(50_003, 11), (65_536, 4), (60_000, 20), (9_000, 3), (100, 7)])
def test_topk_equals_a_full_sort(columns: int, k: int) -> None:
    rng = np.random.default_rng(columns)
    S = rng.standard_normal((40, columns)).astype(np.float32)
    S[:, rng.integers(0, columns, 30)] = -np.inf  # masked candidates, as the engine masks inputs
    S[0, -5:] = 9.0  # the winners in the columns past the last full stripe
    S[1, ::997] = 7.0  # winners spread over many blocks, tied
    idx, val = _topk_numpy(S, k)
    expected = -np.sort(-S, axis=1)[:, :k]
    np.testing.assert_array_equal(val, expected)
    np.testing.assert_array_equal(np.take_along_axis(S, idx, axis=1), expected)
    assert all(len(set(row)) == k for row in idx.tolist())


def test_topk_of_one_column_and_k_above_the_width() -> None:
    S = np.arange(12, dtype=np.float32).reshape(3, 4)
    idx, val = _topk_numpy(S, 10)
    assert idx.tolist() == [[3, 2, 1, 0]] * 3
    assert _topk_numpy(S, 1)[0].tolist() == [[3]] * 3


def test_exact_ties_in_the_top_k_come_in_vocabulary_order() -> None:
    S = np.zeros((2, 40_000), np.float32)
    S[:, [30_001, 7, 19_999]] = 1.0
    idx, _ = _topk_numpy(S, 4)
    assert idx[:, :3].tolist() == [[7, 19_999, 30_001]] * 2


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bit_equal_scores_come_in_vocabulary_order_on_both_backends(backend: str) -> None:
    """One-hot queries score every row exactly (one product, the rest zeros): duplicates tie to the bit."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    vectors = np.abs(rng.standard_normal((50, 6)))
    vectors[[40, 3, 17, 9]] = [9.0, 0.5, 0.5, 0.5, 0.5, 0.5]  # the best four for the first query
    engine = Engine(vectors, device="cpu" if backend == "numpy" else torch.device("cpu"))
    assert engine.backend == backend
    res = engine.search("cosine", k=6, queries=np.eye(6, dtype=np.float32))
    assert res.indices[0, :4].tolist() == [3, 9, 17, 40]
    ties = res.scores[:, 1:] == res.scores[:, :-1]
    assert (res.indices[:, 1:] > res.indices[:, :-1])[ties].all()


class Counter:
    """A stand-in for a tqdm bar."""

    def __init__(self) -> None:
        self.total = 0

    def update(self, n: int) -> None:
        self.total += n


@pytest.mark.parametrize(("threads", "k"), [(1, 6), (2, 6), (3, 6), (2, 1)])
def test_search_over_threads_equals_one_product(monkeypatch: pytest.MonkeyPatch, threads: int, k: int) -> None:
    """Each thread's chunks, masks, gold ranks and probes land in the right rows."""
    monkeypatch.setattr(embedlab.threads, "cpu_threads", lambda: threads)
    monkeypatch.setattr("embedlab.words.engine.cpu_threads", lambda: threads)
    rng = np.random.default_rng(threads)
    engine = Engine(rng.standard_normal((3_000, 16)), device="cpu", chunk_elements=20 * 3_000)
    U = engine.unit
    q = np.arange(101)
    exclude = np.stack([q, (q * 7) % 3_000], axis=1)
    gold = np.where(q % 5 == 0, -1, (q * 13) % 3_000)
    bar = Counter()
    res = engine.search("cosine", k=k, queries=U[q], exclude=exclude, gold=gold, probe=exclude, progress=bar)
    assert bar.total == len(q)
    # products summed in another order differ by ~1e-7: compare with a float64 reference and a tolerance
    S = U[q].astype(np.float64) @ U.T.astype(np.float64)
    np.testing.assert_allclose(res.probes, np.take_along_axis(S, exclude, axis=1), atol=1e-6)
    np.put_along_axis(S, exclude, -np.inf, axis=1)
    best = -np.sort(-S, axis=1)[:, :k]
    np.testing.assert_allclose(res.scores, best, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(S, res.indices, axis=1), best, atol=1e-6)
    assert all(len(set(row)) == k for row in res.indices.tolist())
    g = S[q, np.maximum(gold, 0)][:, None]
    low, high = (S > g + 1e-6).sum(1) + 1, (S > g - 1e-6).sum(1) + 1
    assert np.all(res.ranks[gold < 0] == 0)
    assert np.all((res.ranks >= low) & (res.ranks <= high) | (gold < 0))


def test_blas_in_caller_limits_blas_to_one_thread_and_restores_it() -> None:
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    with embedlab.threads.blas_in_caller():
        assert set(blas_threads()) <= {1}
    assert blas_threads() == before


def test_the_comparison_of_answers_allows_near_ties_only(same) -> None:
    """The tests' one comparison: words may differ only where their scores are within the tolerance."""
    tol = same.tolerance
    same.ranking([[("a", 0.9), ("b", 0.5), ("c", 0.5 - tol / 2)]], [[("a", 0.9), ("c", 0.5), ("b", 0.5)]])
    same.ranking([[("a", 0.9), ("b", 0.5)]], [[("a", 0.9), ("z", 0.5 + tol / 2)]])  # a near tie for last place
    same.ranking((np.array([[3, 1]]), np.array([[2.0, 1.0]])), [[(3, 2.0), (1, 1.0 + tol / 4)]])
    for got, expected in (
        ([[("a", 0.9), ("b", 0.5)]], [[("b", 0.9), ("a", 0.5)]]),  # swapped though far apart
        ([[("a", 0.9), ("b", 0.5)]], [[("a", 0.9), ("z", 0.49)]]),  # another word, not a near tie
        ([[("a", 0.9), ("b", 0.5)]], [[("a", 0.9), ("b", 0.5 + 3 * tol)]]),  # a score off by more than rounding
        ([[("a", 0.9)]], [[("a", 0.9), ("b", 0.5)]]),  # fewer answers
    ):
        with pytest.raises(AssertionError):
            same.ranking(got, expected)
