"""Label-preserving image augmentation of a whole batch at once, on the batch's own device.

:func:`augment_batch` draws one random rotation, shift and (optionally) flip per image and
applies them all with one ``affine_grid`` / ``grid_sample`` call, so augmenting the minority
copies of a batch costs about as much as one convolution. The random draws come from a CPU
``torch.Generator``, so a run is repeatable (and resumable) on any device.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from embedlab.errors import InputError
from embedlab.params import Params

if TYPE_CHECKING:
    import torch

__all__ = ["AugmentSettings", "augment_batch"]


class AugmentSettings(Params):
    """How :func:`augment_batch` changes each image (``train.augment`` of a classification run)."""

    flip: bool = Field(
        False,
        description="Random horizontal and vertical flips: label-preserving for skin lesions, not for digits.",
    )
    max_shift: float = Field(0.1, ge=0, le=0.5, description="Largest shift, as a fraction of the image side.")
    max_rotation: float = Field(10.0, ge=0, le=180, description="Largest rotation, in degrees.")
    padding: Literal["zeros", "border", "reflection"] = Field(
        "zeros",
        description="What fills the pixels moved in from outside: 'zeros' (a dark background), 'border' or 'reflection'.",
    )


def augment_batch(
    images: torch.Tensor, generator: torch.Generator, settings: AugmentSettings | None = None
) -> torch.Tensor:
    """A randomly rotated, shifted and (optionally) flipped copy of every image of a batch.

    Parameters
    ----------
    images
        Float images ``(B, C, H, W)`` or ``(B, H, W)``, on any device.
    generator
        A CPU generator the random parameters are drawn from (4 numbers per image).
    settings
        The ranges of the changes; :class:`AugmentSettings`' defaults when None.

    Returns
    -------
    torch.Tensor
        The augmented images, of the input's shape, dtype and device (bilinear interpolation).

    Raises
    ------
    InputError
        For input that is not a batch of images (flattened rows, say).
    """
    import torch
    from torch.nn import functional

    options = settings or AugmentSettings()
    if images.ndim not in (3, 4):
        raise InputError(
            f"augmentation needs images (B, C, H, W) or (B, H, W); got shape {tuple(images.shape)}: "
            "load the dataset as images (flatten: false)"
        )
    batch = images if images.ndim == 4 else images[:, None]
    n = len(batch)
    if n == 0:  # affine_grid refuses an empty batch
        return images.clone()
    draws = torch.rand(n, 5, generator=generator, dtype=torch.float64)
    angle = (2 * draws[:, 0] - 1) * math.radians(options.max_rotation)
    # affine_grid's coordinates run from -1 to 1, so a shift of a fraction f of the side is 2f
    shift = (2 * draws[:, 1:3] - 1) * 2 * options.max_shift
    ones = torch.ones(n, dtype=torch.float64)
    flip_x = torch.where(draws[:, 3] < 0.5, -ones, ones) if options.flip else ones
    flip_y = torch.where(draws[:, 4] < 0.5, -ones, ones) if options.flip else ones
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [
            torch.stack([cos * flip_x, -sin * flip_y, shift[:, 0]], dim=1),
            torch.stack([sin * flip_x, cos * flip_y, shift[:, 1]], dim=1),
        ],
        dim=1,
    ).to(device=batch.device, dtype=batch.dtype)
    grid = functional.affine_grid(theta, list(batch.shape), align_corners=False)
    out = functional.grid_sample(
        batch, grid, mode="bilinear", padding_mode=options.padding, align_corners=False
    )
    return out if images.ndim == 4 else out[:, 0]
