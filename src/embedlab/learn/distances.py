"""Batched pairwise distances: ``euclidean``, ``squared-euclidean`` and ``cosine``.

Every distance maps a ``(B, d)`` query batch and an optional ``(R, d)`` reference batch to a
``(B, R)`` matrix through one matrix product, so memory is O(B·R), never O(B·R·d). Larger
means farther for all three (cosine distance is ``1 - cosine similarity``).
:func:`paired_distance` gives the same distances between matching rows only, in O(B·d), for a
loss that needs a few mined pairs rather than the whole matrix.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from embedlab.errors import ConfigError

__all__ = [
    "DISTANCES",
    "cosine",
    "euclidean",
    "get_distance",
    "paired_distance",
    "pairwise_distance",
    "squared_euclidean",
]

DistanceFn = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def squared_euclidean(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Squared Euclidean distances ``‖x_i − y_j‖²`` as ``|x|² + |y|² − 2 x·y``, clamped at 0.

    With ``y=None`` the distances are within ``x`` and the diagonal is exactly zero.
    """
    self_distance = y is None
    y = x if y is None else y
    x_sq = (x * x).sum(dim=1, keepdim=True)
    y_sq = x_sq.T if self_distance else (y * y).sum(dim=1).unsqueeze(0)
    d = torch.addmm(x_sq, x, y.T, alpha=-2.0)  # one fused pass over the B×R matrix
    d = (d + y_sq).clamp_min(0.0)
    if self_distance:
        d = d.fill_diagonal_(0.0)
    return d


#: Squared distances are clamped below at this value before the square root.
EUCLIDEAN_EPS = 1e-16


def euclidean(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Euclidean distances, with a zero (not NaN) gradient where the distance is zero.

    ``sqrt`` has an infinite derivative at 0, so squared distances are clamped below at
    ``EUCLIDEAN_EPS`` (a normal float32, so no slow denormals) before the root: identical
    points are ``1e-8`` apart and pass no gradient through their distance.
    """
    return squared_euclidean(x, y).clamp_min(EUCLIDEAN_EPS).sqrt()


def cosine(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Cosine distances ``1 − cos(x_i, y_j)`` in [0, 2]; zero vectors count as orthogonal."""
    xn = F.normalize(x, dim=1)
    yn = xn if y is None else F.normalize(y, dim=1)
    return 1.0 - xn @ yn.T


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
