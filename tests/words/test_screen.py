"""The bfloat16 screen: its error bound, and the same top k as the float32 search."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import embedlab.threads
import embedlab.words.engine as engine_module
from embedlab.device import cpu_has_native_bf16
from embedlab.words import WordVectors
from embedlab.words.engine import Engine, _topk_numpy, unit_rows
from embedlab.words.screen import TILE, Screen, delta


def float32_topk(Q: np.ndarray, U: np.ndarray, k: int, exclude: np.ndarray | None = None):
    """The float32 search's answer: a full product, masked, then the exact top k."""
    S = Q @ U.T
    if exclude is not None:
        rows, slots = np.nonzero(exclude >= 0)
        S[rows, exclude[rows, slots]] = -np.inf
    return _topk_numpy(S, k)


@pytest.mark.parametrize("kind", ["gaussian", "spiky", "clustered"])
def test_screened_scores_stay_within_delta(kind: str) -> None:
    """The bound the screen relies on, against float64 products, on rows of different shapes."""
    rng = np.random.default_rng(0)
    if kind == "gaussian":
        X = rng.standard_normal((2_000, 100))
    elif kind == "spiky":  # a few large components: the inputs' rounding errors line up
        X = rng.standard_normal((2_000, 100)) * 0.01
        X[:, :3] += rng.choice([-1.0, 1.0], (2_000, 3))
    else:
        X = rng.standard_normal((20, 100))[rng.integers(0, 20, 2_000)] + 0.05 * rng.standard_normal((2_000, 100))
    U = unit_rows(X)
    screened = (torch.from_numpy(U[:300]).bfloat16() @ torch.from_numpy(U).bfloat16().T).float().numpy()
    exact = U[:300].astype(np.float64) @ U.T.astype(np.float64)
    assert np.abs(screened - exact).max() <= delta(100)


@pytest.mark.parametrize(("V", "k"), [(3 * TILE + 917, 11), (2 * TILE, 1), (TILE + 5, 20)])
def test_screen_returns_the_float32_top_k(V: int, k: int, same) -> None:
    """The same words as the float32 search, near ties in either order.

    Rows 7 and V - 3 are identical, yet their products with a query can differ in the last
    bits (by their place in the product, with AVX2 kernels), so they may come in either order.
    """
    rng = np.random.default_rng(V)
    U = unit_rows(rng.standard_normal((V, 48)))
    U[V - 3] = U[7]
    screen = Screen(U)
    q = np.r_[np.arange(0, 300, 3), V - 1, 7]
    exclude = np.stack([q, np.where(q % 2 == 0, (q * 31) % V, -1)], axis=1)
    buffers: dict = {}
    for rows in (slice(None), slice(0, 40)):  # a second, smaller call reuses the buffers
        idx, val, done = screen.topk(U[q[rows]], k, exclude[rows], buffers=buffers)
        assert done.all()
        same.ranking((idx, val), float32_topk(U[q[rows]], U, k, exclude[rows]))
        ties = val[:, 1:] == val[:, :-1]  # scores equal to the last bit come in vocabulary order
        assert (idx[:, 1:] > idx[:, :-1])[ties].all()


def test_screen_on_tight_clusters_finds_the_best_scores() -> None:
    """About a thousand candidates above each row's cut: the descent keeps every one.

    Scores this close (~1e-5 apart) swap with float32 rounding, so the check is by value,
    against float64 products: the best 30 scores, and the returned words holding them.
    """
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((12, 64))
    U = unit_rows(centers[rng.integers(0, 12, 3 * TILE)] + 0.1 * rng.standard_normal((3 * TILE, 64)))
    q = np.arange(0, 3 * TILE, 97)
    idx, val, done = Screen(U).topk(U[q], 30, q[:, None])
    assert done.all()
    S = U[q].astype(np.float64) @ U.T.astype(np.float64)
    S[np.arange(len(q)), q] = -np.inf
    best = -np.sort(-S, axis=1)[:, :30]
    np.testing.assert_allclose(val, best, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(S, idx, axis=1), best, atol=1e-6)
    assert all(len(set(row)) == 30 for row in idx.tolist())


def test_screen_limited_to_a_prefix_of_the_candidates(same) -> None:
    rng = np.random.default_rng(1)
    U = unit_rows(rng.standard_normal((3 * TILE, 32)))
    screen = Screen(U)
    limit = TILE + 1_234  # ends inside a tile
    idx, val, done = screen.topk(U[:50], 5, limit=limit)
    assert done.all() and idx.max() < limit
    same.ranking((idx, val), float32_topk(U[:50], U[:limit], 5))


def test_rows_the_screen_cannot_order_are_handed_back() -> None:
    """Zero queries and queries whose best scores are not above zero are not screened."""
    rng = np.random.default_rng(2)
    X = np.abs(rng.standard_normal((2 * TILE, 16)))  # every row in the positive orthant
    U = unit_rows(X)
    screen = Screen(U)
    Q = np.stack([np.zeros(16, np.float32), -U[0], U[1]])  # zero, all scores negative, fine
    _, _, done = screen.topk(Q, 4)
    assert done.tolist() == [False, False, True]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_engine_search_through_the_screen_equals_float32(
    monkeypatch: pytest.MonkeyPatch, threads: int, same
) -> None:
    """Chunks over threads, masks, a prefix and handed-back rows all land in the right rows."""
    monkeypatch.setattr(embedlab.threads, "cpu_threads", lambda: threads)
    monkeypatch.setattr(engine_module, "cpu_threads", lambda: threads)
    monkeypatch.setattr(engine_module, "_SCREEN_ROWS", 64)
    rng = np.random.default_rng(threads)
    vectors = rng.standard_normal((2 * TILE + 100, 24))
    vectors[4] = 0.0  # a zero row: its search is handed back to float32
    # a score budget of 50 rows of candidates: chunks of 50 rows, under the 64 allowed
    screened = Engine(vectors, device="cpu", screen=True, chunk_elements=50 * len(vectors))
    plain = Engine(vectors, device="cpu", screen=False)
    q = np.arange(0, 600, 2)
    exclude = q[:, None]
    before = torch.get_num_threads()
    for candidates in (None, TILE + 77):
        got = screened.search("cosine", k=8, queries=screened.unit[q], exclude=exclude, candidates=candidates)
        want = plain.search("cosine", k=8, queries=plain.unit[q], exclude=exclude, candidates=candidates)
        same.ranking((got.indices, got.scores), (want.indices, want.scores))
    assert screened._screen is not None and plain._screen is None
    assert screened._screen.tiles == 3
    assert torch.get_num_threads() == before


def test_screened_chunks_stay_within_the_score_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[int] = []
    topk = Screen.topk
    monkeypatch.setattr(Screen, "topk", lambda self, queries, *a: rows.append(len(queries)) or topk(self, queries, *a))
    vectors = np.random.default_rng(6).standard_normal((TILE, 8))
    engine = Engine(vectors, device="cpu", screen=True, chunk_elements=40 * TILE)
    engine.search("cosine", k=3, queries=engine.unit[:300])
    assert max(rows) == 40 and sum(rows) == 300


def test_the_screen_stays_out_where_it_cannot_help() -> None:
    """Gold ranks, probes, candidate lists, 3CosMul and large k use float32 products."""
    rng = np.random.default_rng(3)
    engine = Engine(rng.standard_normal((TILE, 16)), device="cpu", screen=True)
    U, q = engine.unit, np.arange(20)
    engine.search("cosine", k=5, queries=U[q], gold=q)
    engine.search("cosine", k=5, queries=U[q], probe=q[:, None])
    engine.search("cosine", k=5, queries=U[q], candidates=np.arange(100, 3_000))
    engine.search("3cosadd", k=5, pos=q[:, None], neg=q[:, None] + 1, gold=q + 2)
    engine.search("3cosmul", k=5, pos=q[:, None], neg=q[:, None] + 1)
    engine.search("cosine", k=TILE // 64, queries=U[q])
    assert engine._screen is None
    engine.search("cosine", k=5, queries=U[q])
    assert engine._screen is not None


def test_3cosadd_through_the_screen_equals_float32(same) -> None:
    """Counting analogies without ranks: the offset queries, their input words masked."""
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((2 * TILE, 32))
    screened, plain = Engine(vectors, device="cpu", screen=True), Engine(vectors, device="cpu", screen=False)
    abc = rng.integers(0, 2 * TILE, (200, 3))
    abc[0] = [9, 9, 9]  # b + c - a = a: a query along an input word, which is masked
    args = {"k": 1, "pos": abc[:, 1:], "neg": abc[:, :1], "exclude": abc, "candidates": 2 * TILE - 10}
    got, want = screened.search("3cosadd", **args), plain.search("3cosadd", **args)
    same.ranking((got.indices, got.scores), (want.indices, want.scores))
    assert screened._screen is not None


def test_the_screen_is_chosen_when_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    pays = engine_module._screen_pays
    assert not pays(2**31)
    assert pays(2**35) == cpu_has_native_bf16()  # torch is loaded in this process
    monkeypatch.setattr("embedlab.device.cpu_has_native_bf16", lambda: True)
    monkeypatch.delitem(sys.modules, "torch")
    assert not pays(2**35)  # importing torch for one search would cost more than it saves
    assert pays(2**35, before=2**38)  # a session's searches have paid for it


def test_an_engine_counts_the_work_the_screen_could_take(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, int]] = []
    monkeypatch.setattr(engine_module, "_screen_pays", lambda work, before: asked.append((work, before)) or False)
    engine = Engine(np.random.default_rng(5).standard_normal((TILE, 8)), device="cpu")
    U, q = engine.unit, np.arange(10)
    engine.search("cosine", k=3, queries=U[q])
    engine.search("cosine", k=3, queries=U[q], gold=q)  # not screenable: not counted
    engine.search("3cosadd", k=1, pos=q[:, None], neg=q[:, None] + 1)
    work = 10 * TILE * 8
    assert asked == [(work, 0), (work, work)]
    assert engine._screen is None


def test_neighbors_through_the_screen_equal_most_similar(lee_wv, same) -> None:
    wv = WordVectors(lee_wv.kv, device="cpu")
    wv.engine.screen = True
    words = wv.words[:400:4]
    same.ranking(wv.neighbors(words, topn=10), [lee_wv.kv.most_similar(w, topn=10) for w in words])
    assert wv.engine._screen is not None


def test_torch_in_caller_limits_torch_to_one_thread_and_restores_it() -> None:
    before = torch.get_num_threads()
    with embedlab.threads.torch_in_caller():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with embedlab.threads.torch_in_caller(active=False):
        assert torch.get_num_threads() == before
