"""augment_batch: label-preserving rotations, shifts and flips of a whole batch at once."""

from __future__ import annotations

import pytest
import torch

from embedlab.data.augment import AugmentSettings, augment_batch
from embedlab.errors import InputError


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_shape_dtype_and_repeatability():
    images = torch.rand(6, 3, 28, 28)
    a = augment_batch(images, gen())
    assert a.shape == images.shape and a.dtype == images.dtype
    assert torch.equal(a, augment_batch(images, gen()))
    assert not torch.allclose(a, augment_batch(images, gen(1)))
    assert augment_batch(torch.rand(4, 8, 8), gen()).shape == (4, 8, 8)  # no channel axis
    assert augment_batch(torch.rand(0, 1, 8, 8), gen()).shape == (0, 1, 8, 8)  # a batch without copies


def test_without_any_change_the_images_come_back():
    images = torch.rand(5, 1, 8, 8)
    same = augment_batch(images, gen(), AugmentSettings(max_shift=0, max_rotation=0))
    assert torch.allclose(same, images, atol=1e-5)


def test_flips_mirror_the_images():
    images = torch.rand(64, 1, 6, 6)
    out = augment_batch(images, gen(), AugmentSettings(flip=True, max_shift=0, max_rotation=0))
    mirrors = [images, images.flip(-1), images.flip(-2), images.flip(-1, -2)]
    for i in range(len(images)):
        assert any(torch.allclose(out[i], m[i], atol=1e-5) for m in mirrors)
    assert not torch.allclose(out, images)  # with 64 images, some are flipped


def test_shifts_stay_within_the_bound():
    image = torch.zeros(1, 1, 20, 20)
    image[0, 0, 10, 10] = 1.0
    moved = augment_batch(image.repeat(200, 1, 1, 1), gen(), AugmentSettings(max_shift=0.1, max_rotation=0))
    rows, cols = torch.nonzero(moved[:, 0] > 0.01, as_tuple=True)[1:]
    assert (rows - 10).abs().max() <= 3 and (cols - 10).abs().max() <= 3  # 10% of 20 pixels, + interpolation


def test_flattened_rows_are_refused():
    with pytest.raises(InputError, match="flatten: false"):
        augment_batch(torch.rand(4, 64), gen())
