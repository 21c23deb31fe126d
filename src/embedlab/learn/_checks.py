"""Input checks shared by losses, miners and the trainer."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from embedlab.errors import InputError

__all__ = [
    "BatchWarning",
    "check_batch",
    "check_indices",
    "zero_loss",
    "to_long_labels",
    "to_tensor",
]

class BatchWarning(UserWarning):
    """A batch from which nothing can be learned (a single class, no valid triplet)."""


def to_tensor(data: Any, who: str) -> torch.Tensor:
    """``data`` (tensor, array or nested lists) as a real-valued tensor.

    Raises
    ------
    InputError
        Naming ``who`` when ``data`` holds strings, objects, ragged rows or complex numbers.
    """
    if isinstance(data, torch.Tensor):
        tensor = data
    else:
        try:
            tensor = torch.as_tensor(np.asarray(data))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise InputError(
                f"{who} must be a numeric array or tensor, got {type(data).__name__} "
                f"({str(exc).splitlines()[0]})"
            ) from None
    if tensor.is_complex():
        raise InputError(f"{who} must hold real numbers, got dtype {tensor.dtype}")
    return tensor


def to_long_labels(labels: Any, device: torch.device, who: str) -> torch.Tensor:
    """Turn integer labels (tensor, array or list) into a 1-D LongTensor on ``device``."""
    tensor = to_tensor(labels, f"{who}: labels")
    if tensor.ndim != 1:
        raise InputError(f"{who}: labels must be 1-D, got shape {tuple(tensor.shape)}")
    if tensor.is_floating_point() or tensor.is_complex():
        raise InputError(f"{who}: labels must be integers, got dtype {tensor.dtype}; cast them with .long()")
    return tensor.to(device=device, dtype=torch.long)


def check_batch(embeddings: Any, labels: Any, who: str) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Check a batch of embeddings and labels; warn when it holds a single class.

    Returns
    -------
    embeddings, labels, single_class
        A floating ``(B, d)`` tensor and a LongTensor ``(B,)`` on the same device, and
        whether every label is the same (there are no negatives).

    Raises
    ------
    InputError
        For a shape that is not ``(B, d)``, lengths that differ, non-integer labels or
        non-finite embeddings.
    """
    if not isinstance(embeddings, torch.Tensor):
        raise InputError(f"{who}: embeddings must be a torch.Tensor, got {type(embeddings).__name__}")
    if embeddings.ndim != 2:
        raise InputError(
            f"{who}: embeddings must have shape (batch, dim), got {tuple(embeddings.shape)}; "
            "flatten them first"
        )
    if not embeddings.is_floating_point():
        raise InputError(f"{who}: embeddings must be floating point, got dtype {embeddings.dtype}")
    labels = to_long_labels(labels, embeddings.device, who)
    if len(labels) != len(embeddings):
        raise InputError(
            f"{who}: got {len(embeddings)} embeddings but {len(labels)} labels; pass one label per embedding"
        )
    if not bool(torch.isfinite(embeddings).all()):
        raise InputError(
            f"{who}: embeddings contain NaN or infinity; check the network's output and the learning rate"
        )
    single_class = len(labels) > 0 and bool((labels == labels[0]).all())
    if single_class:
        warnings.warn(
            f"{who}: every label in the batch is {int(labels[0])}; no negatives, so nothing is learned "
            "(the loss is 0). Use an M-per-class sampler so each batch holds several classes.",
            BatchWarning,
            stacklevel=3,
        )
    return embeddings, labels, single_class


def check_indices(indices: Any, size: int, arity: tuple[int, ...], who: str) -> tuple[torch.Tensor, ...]:
    """Check a miner's index tuple: ``arity`` tensors of equal length, each index in ``[0, size)``."""
    if not isinstance(indices, tuple | list) or len(indices) not in arity:
        raise InputError(
            f"{who}: indices must be a tuple of {' or '.join(map(str, arity))} index tensors, "
            f"got {type(indices).__name__}"
        )
    out = tuple(torch.as_tensor(i).long() for i in indices)
    for group in (out[:2], out[2:]) if len(out) == 4 else (out,):
        if len({len(i) for i in group}) > 1:
            raise InputError(f"{who}: index tensors have different lengths {[len(i) for i in group]}")
    for i in out:
        if i.ndim != 1:
            raise InputError(f"{who}: index tensors must be 1-D, got shape {tuple(i.shape)}")
        low, high = torch.aminmax(i) if len(i) else (0, 0)
        if int(low) < 0 or int(high) >= size:
            raise InputError(f"{who}: an index is outside the batch of {size} embeddings")
    return out


def zero_loss(embeddings: torch.Tensor) -> torch.Tensor:
    """A zero that stays attached to the graph, so ``backward()`` works and gives zero gradients."""
    return embeddings.sum() * 0.0
