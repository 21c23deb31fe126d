"""Batch samplers that yield index tensors, so batches are gathered on the device.

``random``: a fresh permutation per epoch. ``m-per-class``: P classes × M samples per batch
(the P×K batches of Hermans et al. 2017), so every anchor has positives. ``class-balanced``:
classes drawn uniformly, then samples within each class, so rare classes are seen as often
as common ones. ``triplets``: the triplet exercise's random (anchor, positive, negative)
triplets, drawn from the whole split, ``per_anchor`` per sample and epoch, ``batch_size``
triplets per step. All draw from a ``torch.Generator`` seeded per epoch, so a run is
reproducible and a resumed run draws the same batches.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import torch

from embedlab.errors import ConfigError, InputError

__all__ = [
    "BatchSampler",
    "RandomBatchSampler",
    "MPerClassSampler",
    "ClassBalancedSampler",
    "TripletSampler",
    "make_sampler",
]


class BatchSampler(ABC):
    """Base class: ``sampler.epoch(generator)`` yields LongTensors of indices, one per batch."""

    def __init__(self, labels: torch.Tensor, batch_size: int, drop_last: bool = False) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.labels = labels.detach().cpu().long()
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def full_batch(self) -> int:
        """Samples in a full batch (a last partial batch of a shuffle may hold fewer)."""
        return self.batch_size

    @abstractmethod
    def epoch(self, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """Yield one epoch of batches."""


class RandomBatchSampler(BatchSampler):
    """Shuffle every epoch and cut the permutation into batches."""

    def epoch(self, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """Yield ``len(self)`` batches covering the data once."""
        order = torch.randperm(len(self.labels), generator=generator)
        for i in range(len(self)):
            yield order[i * self.batch_size : (i + 1) * self.batch_size]


class MPerClassSampler(BatchSampler):
    """Batches of P = ``batch_size // m`` classes with K = ``m`` samples each (P×K sampling).

    With fewer than P classes, every class is in each batch and K grows to fill it. Each
    epoch has as many batches as a plain shuffle would. A class with fewer than K samples is
    sampled with replacement.
    """

    def __init__(self, labels: torch.Tensor, batch_size: int, m: int = 4) -> None:
        super().__init__(labels, batch_size, drop_last=False)
        if m < 2:
            raise ConfigError(f"m_per_class must be >= 2 so each sample has a positive, got {m}")
        self.classes, inverse = torch.unique(self.labels, return_inverse=True)
        if len(self.classes) < 2:
            raise InputError("an M-per-class sampler needs at least 2 classes in the labels")
        # P classes per batch; with few classes, K grows so the batch still has batch_size samples.
        self.classes_per_batch = max(2, min(len(self.classes), batch_size // m))
        self.m = max(m, batch_size // self.classes_per_batch)
        order = torch.argsort(inverse, stable=True)
        counts = torch.bincount(inverse, minlength=len(self.classes))
        self.members = list(torch.split(order, counts.tolist()))

    @property
    def full_batch(self) -> int:
        """P × M samples, which may differ from ``batch_size`` (batch 128, M=4, 10 classes: 10 × 12)."""
        return self.classes_per_batch * self.m

    def epoch(self, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """Yield ``len(self)`` batches of P classes × M samples."""
        n_classes = len(self.classes)
        for _ in range(len(self)):
            chosen = torch.randperm(n_classes, generator=generator)[: self.classes_per_batch]
            parts = []
            for c in chosen.tolist():
                members = self.members[c]
                if len(members) >= self.m:
                    pick = torch.randperm(len(members), generator=generator)[: self.m]
                else:
                    pick = torch.randint(len(members), (self.m,), generator=generator)
                parts.append(members[pick])
            yield torch.cat(parts)


class ClassBalancedSampler(BatchSampler):
    """Each sample's class is drawn uniformly, then a sample of that class uniformly."""

    def __init__(self, labels: torch.Tensor, batch_size: int) -> None:
        super().__init__(labels, batch_size, drop_last=False)
        self.classes, inverse = torch.unique(self.labels, return_inverse=True)
        order = torch.argsort(inverse, stable=True)
        self.counts = torch.bincount(inverse, minlength=len(self.classes))
        self.offsets = torch.cumsum(self.counts, 0) - self.counts
        self.order = order

    def epoch(self, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """Yield ``len(self)`` class-balanced batches."""
        for _ in range(len(self)):
            cls = torch.randint(len(self.classes), (self.batch_size,), generator=generator)
            within = (torch.rand(self.batch_size, generator=generator) * self.counts[cls]).long()
            yield self.order[self.offsets[cls] + within]


class TripletSampler(BatchSampler):
    """Random triplets from the whole split, as the triplet exercise built its training set.

    Each epoch draws ``per_anchor`` triplets for every sample (the anchor): a random other
    sample of its class (the positive) and a random sample of another class (the negative).
    The triplets are shuffled and cut into batches of ``batch_size`` triplets, so an epoch has
    ``ceil(N * per_anchor / batch_size)`` steps (60,000 MNIST images, 3 per image, 128 per
    batch: 1,407). A batch holds ``3 * b`` indices, its ``b`` anchors, then their positives,
    then their negatives; :meth:`triplets` gives the loss that layout, in place of a miner.

    Raises
    ------
    InputError
        When some class has a single sample (no positive) or there is only one class.
    """

    def __init__(self, labels: torch.Tensor, batch_size: int, per_anchor: int = 3) -> None:
        super().__init__(labels, batch_size, drop_last=False)
        if per_anchor < 1:
            raise ConfigError(f"triplets_per_image must be >= 1, got {per_anchor}")
        self.per_anchor = per_anchor
        self.classes, inverse = torch.unique(self.labels, return_inverse=True)
        counts = torch.bincount(inverse, minlength=len(self.classes))
        if len(self.classes) < 2:
            raise InputError("random triplets need at least 2 classes in the labels")
        if int(counts.min()) < 2:
            lonely = self.classes[counts < 2].tolist()
            raise InputError(
                f"random triplets need two samples of every class; class(es) {lonely} have one"
            )
        self.inverse = inverse
        self.order = torch.argsort(inverse, stable=True)
        self.counts = counts
        self.offsets = torch.cumsum(counts, 0) - counts

    def __len__(self) -> int:
        return math.ceil(len(self.labels) * self.per_anchor / self.batch_size)

    @property
    def full_batch(self) -> int:
        """Samples a full batch embeds: three per triplet."""
        return 3 * self.batch_size

    def epoch(self, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """Yield ``len(self)`` batches of triplets laid out as ``[anchors, positives, negatives]``."""
        anchors = torch.arange(len(self.labels)).repeat(self.per_anchor)
        anchors = anchors[torch.randperm(len(anchors), generator=generator)]
        cls = self.inverse[anchors]
        # A positive: one of the class's other samples (skip the anchor's own place in the class).
        own = torch.empty_like(self.inverse)
        own[self.order] = torch.arange(len(self.order)) - self.offsets[self.inverse[self.order]]
        pick = (torch.rand(len(anchors), generator=generator) * (self.counts[cls] - 1)).long()
        pick += pick >= own[anchors]
        positives = self.order[self.offsets[cls] + pick]
        # A negative: a uniform draw among the samples outside the anchor's class.
        outside = len(self.labels) - self.counts[cls]
        slot = (torch.rand(len(anchors), generator=generator) * outside).long()
        slot += (slot >= self.offsets[cls]) * self.counts[cls]
        negatives = self.order[slot]
        for start in range(0, len(anchors), self.batch_size):
            stop = start + self.batch_size
            yield torch.cat([anchors[start:stop], positives[start:stop], negatives[start:stop]])

    @staticmethod
    def triplets(embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The ``(anchors, positives, negatives)`` of a batch in this sampler's layout (a miner's signature)."""
        b = len(labels) // 3
        first = torch.arange(b, device=embeddings.device)
        return first, first + b, first + 2 * b


def make_sampler(name: str, labels: torch.Tensor, batch_size: int, **options: Any) -> BatchSampler:
    """Build a sampler by name: ``random``, ``m-per-class`` (option ``m``), ``class-balanced`` or
    ``triplets`` (option ``per_anchor``)."""
    if name == "random":
        return RandomBatchSampler(labels, batch_size)
    if name == "m-per-class":
        return MPerClassSampler(labels, batch_size, m=options.get("m", 4))
    if name == "class-balanced":
        return ClassBalancedSampler(labels, batch_size)
    if name == "triplets":
        return TripletSampler(labels, batch_size, per_anchor=options.get("per_anchor", 3))
    raise ConfigError(
        f"unknown sampler {name!r}; choose 'random', 'm-per-class', 'class-balanced' or 'triplets'"
    )
