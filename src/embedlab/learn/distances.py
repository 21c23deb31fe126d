"""Batched pairwise distances: ``euclidean``, ``squared-euclidean`` and ``cosine``.

Every distance maps a ``(B, d)`` query batch and an optional ``(R, d)`` reference batch to a
``(B, R)`` matrix through one matrix product, so memory is O(B·R), never O(B·R·d). Larger
means farther for all three (cosine distance is ``1 - cosine similarity``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from embedlab.errors import ConfigError

__all__ = [
    "DISTANCES",
    "cosine",
    "euclidean",
    "get_distance",
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
    d = (x_sq + y_sq - 2.0 * (x @ y.T)).clamp_min(0.0)
    if self_distance:
        d = d * (1.0 - torch.eye(len(x), dtype=d.dtype, device=d.device))
    return d


def euclidean(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Euclidean distances, with a zero (not NaN) gradient where the distance is zero.

    ``sqrt`` has an infinite derivative at 0; zero entries are shifted by a tiny epsilon
    inside the root and masked back to exactly 0 outside it, so their gradient is 0.
    """
    sq = squared_euclidean(x, y)
    zero = sq <= 0
    eps = 1e-16  # a normal float32: finfo.tiny would make denormals, which are slow on CPU
    return torch.sqrt(sq + zero.to(sq.dtype) * eps) * (~zero).to(sq.dtype)


def cosine(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Cosine distances ``1 − cos(x_i, y_j)`` in [0, 2]; zero vectors count as orthogonal."""
    xn = torch.nn.functional.normalize(x, dim=1)
    yn = xn if y is None else torch.nn.functional.normalize(y, dim=1)
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
        raise ConfigError(
            f"unknown distance {name!r}; choose one of {', '.join(DISTANCES)}"
        ) from None


def pairwise_distance(x: torch.Tensor, y: torch.Tensor | None = None, distance: str = "euclidean") -> torch.Tensor:
    """The ``(len(x), len(y))`` matrix of ``distance`` between rows of ``x`` and ``y`` (or ``x``)."""
    return get_distance(distance)(x, y)
