"""Batched pairwise distances: ``euclidean``, ``squared-euclidean`` and ``cosine``.

Every distance maps a ``(B, d)`` query batch and an optional ``(R, d)`` reference batch to a
``(B, R)`` matrix through one matrix product, so memory is O(B·R), never O(B·R·d). Larger
means farther for all three (cosine distance is ``1 - cosine similarity``).
:func:`paired_distance` gives the same distances between matching rows only, in O(B·d), for a
loss that needs a few mined pairs rather than the whole matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from embedlab.errors import ConfigError

__all__ = [
    "DISTANCES",
    "Measured",
    "cosine",
    "euclidean",
    "get_distance",
    "paired_distance",
    "pairwise_distance",
    "squared_euclidean",
    "weighted_distance_sum",
]

DistanceFn = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def squared_euclidean(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Squared Euclidean distances ``‖x_i − y_j‖²`` as ``|x|² + |y|² − 2 x·y``, clamped at 0.

    With ``y=None`` the distances are within ``x`` and the diagonal is exactly zero.
    """
    return _squared(x, y, 0.0)


def _squared(x: torch.Tensor, y: torch.Tensor | None, floor: float) -> torch.Tensor:
    """Squared Euclidean distances clamped below at ``floor``, which the diagonal of ``y=None`` takes."""
    self_distance = y is None
    y = x if y is None else y
    x_sq = (x * x).sum(dim=1, keepdim=True)
    y_sq = x_sq.T if self_distance else (y * y).sum(dim=1).unsqueeze(0)
    # In place after the product: each new B×R matrix costs fresh pages (autograd allows it).
    d = torch.addmm(x_sq, x, y.T, alpha=-2.0).add_(y_sq).clamp_min_(floor)
    if self_distance:
        d = d.fill_diagonal_(floor)
    return d


#: Squared distances are clamped below at this value before the square root.
EUCLIDEAN_EPS = 1e-16


def euclidean(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Euclidean distances, with a zero (not NaN) gradient where the distance is zero.

    ``sqrt`` has an infinite derivative at 0, so squared distances are clamped below at
    ``EUCLIDEAN_EPS`` (a normal float32, so no slow denormals) before the root: identical
    points are ``1e-8`` apart and pass no gradient through their distance.
    """
    return _squared(x, y, EUCLIDEAN_EPS).sqrt_()


def cosine(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Cosine distances ``1 − cos(x_i, y_j)`` in [0, 2]; zero vectors count as orthogonal."""
    xn = F.normalize(x, dim=1)
    yn = xn if y is None else F.normalize(y, dim=1)
    return 1.0 - xn @ yn.T


#: Euclidean distances at or below this (the clamped root of ``EUCLIDEAN_EPS``) pass no gradient.
_NO_GRADIENT_BELOW = 2.0 * EUCLIDEAN_EPS**0.5


class _WeightedDistanceSum(torch.autograd.Function):
    """``Σ W ∘ D(x)`` from a precomputed ``D``, with its gradient in one ``(B, B) × (B, d)`` product."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weights: torch.Tensor, distances: torch.Tensor, distance: str) -> torch.Tensor:
        ctx.save_for_backward(x, weights, distances)
        ctx.distance = distance
        dtype = torch.promote_types(weights.dtype, distances.dtype)
        # One dot product, no (B, B) temporary.
        return torch.dot(weights.reshape(-1).to(dtype), distances.reshape(-1).to(dtype))

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weights, distances = ctx.saved_tensors
        # A matrix measured under autocast may be half precision; the gradient follows x.
        weights, distances = weights.to(x.dtype), distances.to(x.dtype)
        if ctx.distance == "cosine":
            norm = x.norm(dim=1, keepdim=True).clamp_min(1e-12)  # F.normalize's floor
            unit = x / norm
            toward = _symmetric(weights) @ unit  # minus the gradient with respect to the unit rows
            dx = (unit * (unit * toward).sum(dim=1, keepdim=True) - toward) / norm
        else:
            # With S = G + Gᵀ and G the weight per squared distance, the gradient of
            # Σ G ∘ ‖x_i − x_j‖² is 2 (diag(Σ_j S_ij) − S) x; a root contributes G = W / (2d).
            if ctx.distance == "euclidean":
                both = _symmetric((weights / distances).masked_fill_(distances <= _NO_GRADIENT_BELOW, 0.0))
            else:
                both = _symmetric(weights).mul_(2.0)
            dx = torch.addmm(both.sum(dim=1, keepdim=True) * x, both, x, alpha=-1.0)
        return grad * dx, None, None, None


def _symmetric(m: torch.Tensor) -> torch.Tensor:
    """``m + mᵀ`` as a new tensor (a contiguous copy first: adding a transposed view is slow on CPU)."""
    return m.T.contiguous().add_(m)


def weighted_distance_sum(
    x: torch.Tensor, weights: torch.Tensor, distance: str = "euclidean", distances: torch.Tensor | None = None
) -> torch.Tensor:
    """``(weights * pairwise_distance(x, None, distance)).sum()``, differentiable in ``x``.

    The gradient is computed directly, ``2 (diag(Σ_j S_ij) − S) x`` for Euclidean kinds with
    ``S = G + Gᵀ`` and ``G`` the weights per squared distance: one matrix product instead of
    autograd's passes through the distance matrix.

    Parameters
    ----------
    x
        ``(B, d)`` embeddings.
    weights
        ``(B, B)`` weight of each pair's distance (not differentiated).
    distance
        ``"euclidean"``, ``"squared-euclidean"`` or ``"cosine"``.
    distances
        The ``(B, B)`` matrix already measured for ``x`` (by a miner), or ``None`` to measure it.

    Returns
    -------
    torch.Tensor
        A scalar whose gradient with respect to ``x`` equals autograd's through the matrix.
    """
    measure = get_distance(distance)  # also rejects an unknown name
    if distances is None:
        with torch.no_grad():
            distances = measure(x, None)
    total: torch.Tensor = _WeightedDistanceSum.apply(x, weights, distances.detach(), distance)
    return total


@dataclass(frozen=True)
class Measured:
    """A pairwise distance matrix kept with the embeddings it measured, to be reused, not recomputed.

    A miner attaches one to the triplets it returns; the triplet loss then takes the matrix
    instead of computing it again, but only for the very same embeddings, unchanged since
    (the same storage, shape and strides, and in-place version counter) and the same distance.
    """

    embeddings: torch.Tensor
    distance: str
    matrix: torch.Tensor
    version: int

    @classmethod
    def of(cls, embeddings: torch.Tensor, distance: str, matrix: torch.Tensor) -> Measured:
        """Record ``matrix``, the ``distance`` matrix of ``embeddings`` (which may be a detached view)."""
        return cls(embeddings, distance, matrix.detach(), embeddings._version)

    def matrix_for(self, embeddings: torch.Tensor, distance: str) -> torch.Tensor | None:
        """The matrix if it measured exactly ``embeddings`` with ``distance``, else ``None``."""
        mine = self.embeddings
        same = (
            distance == self.distance
            and embeddings.data_ptr() == mine.data_ptr()
            and embeddings.dtype == mine.dtype
            and embeddings.shape == mine.shape
            and embeddings.stride() == mine.stride()
            and embeddings._version == self.version
        )
        return self.matrix if same else None


#: Registered distance names and their functions.
DISTANCES: dict[str, DistanceFn] = {
    "euclidean": euclidean,
    "squared-euclidean": squared_euclidean,
    "cosine": cosine,
}


def get_distance(name: str) -> DistanceFn:
    """Return the distance function called ``name``.

    Raises
    ------
    ConfigError
        For an unknown name, listing the known ones.
    """
    try:
        return DISTANCES[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown distance {name!r}; choose one of {', '.join(DISTANCES)}") from None


def pairwise_distance(
    x: torch.Tensor, y: torch.Tensor | None = None, distance: str = "euclidean"
) -> torch.Tensor:
    """The ``(len(x), len(y))`` matrix of ``distance`` between rows of ``x`` and ``y`` (or ``x``)."""
    return get_distance(distance)(x, y)


def paired_distance(x: torch.Tensor, y: torch.Tensor, distance: str = "euclidean") -> torch.Tensor:
    """The ``distance`` between each row of ``x`` and the matching row of ``y``: a ``(B,)`` vector.

    The values are those of :func:`pairwise_distance`'s diagonal, including the zero (not NaN)
    gradient of ``euclidean`` at zero distance, computed directly from the differences.
    """
    get_distance(distance)  # the same error for an unknown name
    if distance == "cosine":
        return 1.0 - (F.normalize(x, dim=1) * F.normalize(y, dim=1)).sum(dim=1)
    squared = (x - y).pow(2).sum(dim=1)
    return squared if distance == "squared-euclidean" else squared.clamp_min(EUCLIDEAN_EPS).sqrt()
