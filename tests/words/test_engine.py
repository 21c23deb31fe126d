"""The engine's exact top-k selection against a full sort."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.words.engine import _topk_numpy


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
