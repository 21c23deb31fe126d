import pytest
import torch

from embedlab.errors import ConfigError
from embedlab.learn.distances import (
    DISTANCES,
    Measured,
    cosine,
    euclidean,
    get_distance,
    paired_distance,
    squared_euclidean,
    weighted_distance_sum,
)


@pytest.fixture
def xy():
    g = torch.Generator().manual_seed(0)
    return torch.randn(20, 7, generator=g, dtype=torch.float64), torch.randn(
        13, 7, generator=g, dtype=torch.float64
    )


def test_matches_cdist(xy):
    x, y = xy
    assert torch.allclose(euclidean(x, y), torch.cdist(x, y), atol=1e-10)
    assert torch.allclose(squared_euclidean(x, y), torch.cdist(x, y) ** 2, atol=1e-10)
    cos = torch.nn.functional.cosine_similarity(x[:, None], y[None], dim=2)
    assert torch.allclose(cosine(x, y), 1 - cos, atol=1e-10)


@pytest.mark.parametrize("name", list(DISTANCES))
def test_self_distance_has_zero_diagonal_and_shape(name, xy):
    x, _ = xy
    d = get_distance(name)(x, None)
    assert d.shape == (20, 20)
    assert torch.allclose(torch.diagonal(d), torch.zeros(20, dtype=d.dtype), atol=1e-7)


@pytest.mark.parametrize("name", list(DISTANCES))
def test_no_nan_gradient_at_zero_distance(name):
    x = torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    d = get_distance(name)(x, None)
    d.sum().backward()
    assert torch.isfinite(x.grad).all()


def test_euclidean_gradient_is_zero_for_identical_points():
    x = torch.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True)
    euclidean(x, None)[0, 1].backward()
    assert torch.equal(x.grad, torch.zeros_like(x))


def test_unknown_distance_names_the_choices():
    with pytest.raises(ConfigError, match="unknown distance 'manhattan'.*euclidean"):
        get_distance("manhattan")


@pytest.mark.parametrize("name", list(DISTANCES))
def test_paired_distance_is_the_diagonal_of_the_matrix(name, xy):
    x, y = xy[0][:13], xy[1]
    assert torch.allclose(paired_distance(x, y, name), torch.diagonal(get_distance(name)(x, y)), atol=1e-10)


@pytest.mark.parametrize("name", list(DISTANCES))
def test_paired_distance_has_no_nan_gradient_at_zero_distance(name):
    x = torch.tensor([[1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    y = torch.tensor([[1.0, 2.0], [3.0, 1.0]])
    paired_distance(x, y, name).sum().backward()
    assert torch.isfinite(x.grad).all()
    if name == "euclidean":
        assert torch.equal(x.grad[0], torch.zeros(2))


def test_paired_distance_rejects_an_unknown_name():
    with pytest.raises(ConfigError, match="unknown distance 'manhattan'"):
        paired_distance(torch.zeros(1, 2), torch.zeros(1, 2), "manhattan")


@pytest.mark.parametrize("name", sorted(DISTANCES))
@pytest.mark.parametrize("duplicates", [False, True])
def test_weighted_distance_sum_has_autograds_value_and_gradient(name, duplicates):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(48, 7, generator=g, dtype=torch.float64)
    if duplicates:  # identical points: zero distances, where the gradient must stay finite
        x[5] = x[3]
        x[9] = x[3]
    weights = torch.randint(-3, 4, (48, 48), generator=g).double()
    weights[3, 5] = weights[9, 3] = 2.0
    ours, theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    value = weighted_distance_sum(ours, weights, name)
    expected = (weights * get_distance(name)(theirs, None)).sum()
    value.backward()
    expected.backward()
    torch.testing.assert_close(value, expected)
    torch.testing.assert_close(ours.grad, theirs.grad)


def test_measured_matrix_is_only_for_the_same_unchanged_embeddings():
    x = torch.randn(6, 3)
    matrix = euclidean(x)
    measured = Measured.of(x.detach(), "euclidean", matrix)
    assert measured.matrix_for(x, "euclidean") is measured.matrix
    assert measured.matrix_for(x, "cosine") is None
    assert measured.matrix_for(x.clone(), "euclidean") is None
    assert measured.matrix_for(x[:3], "euclidean") is None
    x.mul_(2.0)  # changed in place since it was measured
    assert measured.matrix_for(x, "euclidean") is None


@pytest.mark.parametrize("name", sorted(DISTANCES))
def test_weighted_distance_sum_takes_a_half_precision_matrix(name):
    x = torch.randn(8, 4).requires_grad_()
    weights = torch.randint(-2, 3, (8, 8)).bfloat16()
    matrix = get_distance(name)(x.detach(), None).bfloat16()  # as measured under autocast
    weighted_distance_sum(x, weights, name, matrix).backward()
    assert x.grad.dtype == torch.float32 and bool(torch.isfinite(x.grad).all())


def test_weighted_distance_sum_rejects_an_unknown_distance_even_with_a_matrix():
    x = torch.randn(4, 2)
    with pytest.raises(ConfigError, match="unknown distance 'manhattan'"):
        weighted_distance_sum(x, torch.ones(4, 4), "manhattan", euclidean(x))
