"""Remedies for class imbalance: class weights from the supports, and oversampling with augmentation.

Both work on plain arrays, so a trainer (``torch.nn.CrossEntropyLoss(weight=...)``) and a
scikit-learn baseline (``class_weight=dict(enumerate(weights))`` or the oversampled arrays)
use them alike. A class-balanced sampler lives in :mod:`embedlab.learn.samplers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from embedlab.errors import InputError

if TYPE_CHECKING:
    import torch

    #: An augmentation: one ``(C, H, W)`` float tensor in, one out.
    Transform = Callable[[torch.Tensor], torch.Tensor]

__all__ = [
    "OversampledDataset",
    "class_supports",
    "class_weights",
    "default_augmentation",
    "oversample",
    "oversample_indices",
    "weights_from_supports",
]

WeightScheme = Literal["balanced", "sqrt", "effective"]


def class_supports(y: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """Number of samples of each class ``0..C-1``.

    Raises
    ------
    InputError
        ``y`` is not 1-D non-negative integer labels, or holds a label ``>= num_classes``.
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iu"):
        raise InputError(
            f"y must be 1-D integer class labels; got shape {labels.shape} of dtype {labels.dtype}"
        )
    if labels.size and labels.min() < 0:
        raise InputError("y holds negative labels; class labels must be 0..C-1")
    if num_classes is not None and labels.size and labels.max() >= num_classes:
        raise InputError(f"y holds label {int(labels.max())} but num_classes is {num_classes}")
    return np.bincount(labels, minlength=num_classes or 0)


def weights_from_supports(
    supports: ArrayLike, scheme: WeightScheme = "balanced", beta: float = 0.999
) -> np.ndarray:
    """Per-class loss weights that undo the imbalance of ``supports``.

    Parameters
    ----------
    supports
        Samples per class ``(C,)``.
    scheme
        ``"balanced"``: ``n / (C · n_c)``, scikit-learn's ``class_weight="balanced"`` (every class
        then weighs as much in total); ``"sqrt"``: the square root of that, a milder correction;
        ``"effective"``: the effective number of samples of Cui et al. (2019),
        ``(1 − β) / (1 − β^n_c)``, scaled so the weights of present classes average 1.
    beta
        β of ``"effective"``, in [0, 1): 0 gives equal weights, towards 1 ``"balanced"``'s ratios.

    Returns
    -------
    numpy.ndarray
        float32 ``(C,)``; a class with no sample gets weight 0 (it cannot be learned anyway).
    """
    counts = np.asarray(supports, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any():
        raise InputError(f"supports must be a 1-D array of non-negative counts; got {counts.tolist()}")
    present = counts > 0
    if not present.any():
        raise InputError("supports are all zero; there is no sample to weight")
    weights = np.zeros_like(counts)
    if scheme in ("balanced", "sqrt"):
        weights[present] = counts.sum() / (len(counts) * counts[present])
        if scheme == "sqrt":
            weights = np.sqrt(weights)
    elif scheme == "effective":
        if not 0 <= beta < 1:
            raise InputError(f"beta must be in [0, 1); got {beta}")
        weights[present] = (1 - beta) / (1 - beta ** counts[present])
        weights[present] *= present.sum() / weights[present].sum()
    else:
        raise InputError(f"unknown scheme {scheme!r}; use 'balanced', 'sqrt' or 'effective'")
    return weights.astype(np.float32)


def class_weights(
    y: ArrayLike, scheme: WeightScheme = "balanced", *, num_classes: int | None = None, beta: float = 0.999
) -> np.ndarray:
    """Per-class loss weights from the labels ``y`` (see :func:`weights_from_supports`).

    ``class_weights(y)`` equals scikit-learn's ``compute_class_weight("balanced", ...)`` for the
    classes present; pass ``num_classes`` when a class may be absent from ``y``.
    """
    return weights_from_supports(class_supports(y, num_classes), scheme, beta)


def default_augmentation(image_size: tuple[int, int]) -> Transform:
    """A mild torchvision ``transforms.v2`` augmentation for one ``(C, H, W)`` image: a random
    rotation of up to 10°, a shift of up to 10% and a zoom of ±10%, bilinearly interpolated.

    Flips are left out on purpose: a mirrored digit (or a text-like image) changes meaning.
    """
    from torchvision.transforms import v2

    del image_size  # the affine transform adapts to any size; kept for custom replacements
    # bilinear: with nearest-neighbour sampling, small rotations of tiny images are often no-ops
    transform: Transform = v2.RandomAffine(
        degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1), interpolation=v2.InterpolationMode.BILINEAR
    )
    return transform


def _transform(augment: str | Transform, image_shape: tuple[int, ...]) -> Transform:
    """The augmentation ``augment`` names for ``(C, H, W)`` images: ``"default"`` or a callable."""
    if augment == "default":
        return default_augmentation((image_shape[-2], image_shape[-1]))
    if callable(augment):
        return augment
    raise InputError(f"augment must be 'default', a callable or None; got {augment!r}")


def _targets(counts: np.ndarray, target: str | int | Mapping[int, int]) -> np.ndarray:
    if target == "max":
        return np.full_like(counts, counts.max())
    if isinstance(target, Mapping):
        goal = counts.copy()
        for c, n in target.items():
            if not 0 <= int(c) < len(counts):
                raise InputError(f"target names class {c}, but the labels have classes 0..{len(counts) - 1}")
            goal[int(c)] = int(n)
        return goal.clip(min=counts)
    if isinstance(target, int | np.integer) and not isinstance(target, bool) and target > 0:
        return counts.clip(min=int(target))
    raise InputError(f"target must be 'max', a positive int or {{class: count}}; got {target!r}")


def oversample_indices(
    y: ArrayLike, *, target: str | int | Mapping[int, int] = "max", seed: int = 0
) -> np.ndarray:
    """Indices of the samples to copy so each class reaches ``target`` (see :func:`oversample`).

    Copies cycle through a class's samples in a random order, so each is copied about equally
    often. Returns an empty array when no class is below its target.
    """
    labels = np.asarray(y)
    counts = class_supports(labels)
    goal = _targets(counts, target)
    rng = np.random.default_rng(seed)
    picks = [np.zeros(0, dtype=np.int64)]
    for c in np.flatnonzero(goal > counts):
        members = np.flatnonzero(labels == c)
        if members.size == 0:
            raise InputError(f"class {c} has no sample to copy; it cannot be oversampled")
        missing = int(goal[c] - counts[c])
        order = np.concatenate([rng.permutation(members) for _ in range(-(-missing // members.size))])
        picks.append(order[:missing])
    return np.concatenate(picks)


class OversampledDataset:
    """A map-style dataset (for ``torch.utils.data.DataLoader``) of the originals plus copies of
    minority-class samples, each copy augmented afresh every time it is read.

    Unlike :func:`oversample`, which augments each copy once, every epoch sees new variants of
    the minority images. Items are ``(image, label)``: a float32 ``(C, H, W)`` tensor (or the
    row, for flattened input with ``image_shape``) and an int.

    Parameters
    ----------
    X, y, target, augment, image_shape, seed
        As for :func:`oversample`; ``seed`` chooses which samples are copied, while the
        augmentation draws from torch's random generator (seed it, or the DataLoader workers).
    """

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        target: str | int | Mapping[int, int] = "max",
        augment: str | Transform | None = "default",
        image_shape: tuple[int, ...] | None = None,
        seed: int = 0,
    ) -> None:
        import torch

        data = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
        labels = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
        if len(data) != len(labels):
            raise InputError(f"X has {len(data)} samples but y has {len(labels)} labels; they must match")
        self.X = torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32))
        self.y = labels.astype(np.int64)
        self.copies = oversample_indices(labels, target=target, seed=seed)
        #: The augmentation of the copies and the ``(C, H, W)`` shape it works on, or ``None``.
        self.augmentation: tuple[Transform, tuple[int, ...]] | None = None
        if augment is not None:
            shape = _image_shape(data.shape, image_shape)
            self.augmentation = (_transform(augment, shape), shape)

    def __len__(self) -> int:
        return len(self.y) + len(self.copies)

    @property
    def labels(self) -> np.ndarray:
        """The label of every item, originals then copies (e.g. for a sampler)."""
        return np.concatenate([self.y, self.y[self.copies]])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} items")
        i = i % len(self)
        if i < len(self.y):
            return self.X[i], int(self.y[i])
        source = int(self.copies[i - len(self.y)])
        x = self.X[source]
        if self.augmentation is not None:
            transform, image_shape = self.augmentation
            x = transform(x.reshape(image_shape)).reshape(x.shape)
        return x, int(self.y[source])


def _image_shape(shape: tuple[int, ...], image_shape: tuple[int, ...] | None) -> tuple[int, ...]:
    """The ``(C, H, W)`` of one sample of an array of ``shape``, for augmentation."""
    if len(shape) == 2:
        if image_shape is None or int(np.prod(image_shape)) != shape[1]:
            raise InputError(
                f"X holds flattened rows of {shape[1]} values; augmentation needs images: pass "
                "image_shape=(C, H, W) with C*H*W equal to that, or augment=None for plain copies"
            )
        return tuple(image_shape)
    if len(shape) == 3:
        return (1, *shape[1:])
    if len(shape) == 4:
        return tuple(shape[1:])
    raise InputError(f"augmentation needs (N, C, H, W) or (N, H, W) images; got shape {shape}")


def oversample(
    X: ArrayLike,
    y: ArrayLike,
    *,
    target: str | int | Mapping[int, int] = "max",
    augment: str | Transform | None = "default",
    image_shape: tuple[int, ...] | None = None,
    seed: int = 0,
) -> tuple[Any, Any]:
    """Add copies of minority-class samples until each class reaches ``target``; each copy is augmented.

    Originals are kept as they are and come first; the new samples follow, so a caller that
    shuffles per epoch sees a balanced stream. Copies cycle through a class's samples in a
    random order, so each original is copied about equally often.

    Parameters
    ----------
    X, y
        Inputs ``(N, ...)`` (numpy or torch) and integer labels ``(N,)``.
    target
        ``"max"`` (every class as large as the largest), an int (each class at least that
        large), or ``{class: count}``. A class already larger is never cut.
    augment
        ``"default"`` (:func:`default_augmentation`), a callable taking and returning one
        ``(C, H, W)`` float tensor (e.g. a ``torchvision.transforms.v2`` transform), or ``None`` for
        plain copies.
    image_shape
        ``(C, H, W)`` of each sample when ``X`` holds flattened rows ``(N, D)`` and ``augment``
        is used; images ``(N, C, H, W)`` or ``(N, H, W)`` need none.
    seed
        Seed of the choice of copies and of the augmentation.

    Returns
    -------
    tuple
        ``(X, y)`` with the added samples, of the input's type (numpy or torch) and dtype.

    Raises
    ------
    InputError
        Mismatched lengths, a ``target`` naming an unknown class, or augmentation asked for
        flattened rows without ``image_shape``.
    """
    import torch

    data = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    labels = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if len(data) != len(labels):
        raise InputError(f"X has {len(data)} samples but y has {len(labels)} labels; they must match")
    index = oversample_indices(labels, target=target, seed=seed)
    if index.size == 0:
        return X, y
    extra = data[index].copy()
    if augment is not None:
        extra = _augment(extra, augment, image_shape, seed)
    new_X = np.concatenate([data, extra.astype(data.dtype, copy=False)])
    new_y = np.concatenate([labels, labels[index]])
    if isinstance(X, torch.Tensor):
        return torch.from_numpy(new_X).to(X.device), torch.as_tensor(new_y, device=X.device)
    return new_X, new_y


def _augment(
    samples: np.ndarray,
    augment: str | Transform,
    image_shape: tuple[int, ...] | None,
    seed: int,
) -> np.ndarray:
    import torch

    shape = samples.shape
    one = _image_shape(shape, image_shape)
    images = samples.reshape(len(samples), *one)
    transform = _transform(augment, one)
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        # one call per sample: a v2 transform draws one set of random parameters per call
        out = torch.stack([transform(image) for image in tensor])
    return out.numpy().reshape(shape)
