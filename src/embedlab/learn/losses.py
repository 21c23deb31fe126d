"""Metric-learning losses: ``triplet``, ``contrastive``, ``multi-similarity``, ``supcon``.

Each loss is called as ``loss(embeddings, labels, indices=None)``. ``indices`` is a miner's
tuple: ``(a, p, n)`` triplets, or ``(a1, p, a2, n)`` positive and negative pairs, as in
PyTorch Metric Learning (PML); ``None`` uses every valid triplet or pair of the batch. A batch
with nothing to learn from (one class, with a :class:`~embedlab.learn._checks.BatchWarning`,
or no valid tuple) gives a zero loss whose gradient is zero.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from embedlab.errors import InputError
from embedlab.learn._checks import check_batch, check_indices, zero_loss
from embedlab.learn._params_component import ParamsComponent
from embedlab.learn.distances import get_distance, paired_distance, weighted_distance_sum
from embedlab.learn.params import (
    ContrastiveLossParams,
    MultiSimilarityLossParams,
    SupConLossParams,
    TripletLossParams,
)
from embedlab.protocols import MeasuredIndices

__all__ = ["Loss", "TripletLoss", "ContrastiveLoss", "MultiSimilarityLoss", "SupConLoss", "label_masks"]

# Elements of one (chunk, B, B) block when every triplet of a batch is scored.
_CHUNK_ELEMENTS = 1 << 24


def label_masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean ``(B, B)`` masks of positive pairs (same label, not itself) and negative pairs."""
    same = labels.unsqueeze(1) == labels.unsqueeze(0)
    positive = same & ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return positive, ~same


def _mean_nonzero(losses: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
    count = (losses > 0).sum()
    return losses.sum() / count.clamp_min(1) if len(losses) else zero_loss(anchor)


class Loss(ParamsComponent, ABC):
    """Base class: validates parameters and inputs, then calls :meth:`compute`.

    Subclasses implement ``compute`` (a built-in takes its ``name`` and ``params_model`` from
    :data:`embedlab.learn.plugin.BUILTINS`; another subclass sets them). The trainer calls
    ``compute`` directly, skipping the per-call checks that would synchronise a GPU.
    """

    kind = "loss"
    name = "loss"

    def __call__(
        self, embeddings: torch.Tensor, labels: Any, indices: Sequence[Any] | None = None
    ) -> torch.Tensor:
        """Return the scalar loss of a batch (see the module docstring for ``indices``)."""
        embeddings, labels, single_class = check_batch(embeddings, labels, f"loss {self.name!r}")
        if single_class:  # no negatives: a pair loss would only pull everything together
            return zero_loss(embeddings)
        checked: tuple[torch.Tensor, ...] | None = None
        if indices is not None:
            checked = check_indices(indices, len(embeddings), (3, 4), f"loss {self.name!r}")
            checked = tuple(i.to(embeddings.device) for i in checked)
            # Keep the miner's own tuple (and the distances it may carry) when nothing was converted.
            if isinstance(indices, tuple) and all(c is i for c, i in zip(checked, indices, strict=True)):
                checked = indices
        return self.compute(embeddings, labels, checked)

    @abstractmethod
    def compute(
        self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None
    ) -> torch.Tensor:
        """The loss, without input checks."""


def _pairs(
    labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Positive and negative pair masks, from every pair (``None``) or from a miner's tuple."""
    if indices is None:
        return label_masks(labels)
    a1, p, a2, n = indices if len(indices) == 4 else (indices[0], indices[1], indices[0], indices[2])
    size = len(labels)
    positive = torch.zeros(size, size, dtype=torch.bool, device=labels.device)
    negative = torch.zeros_like(positive)
    positive[a1, p] = True
    negative[a2, n] = True
    return positive, negative


class TripletLoss(Loss):
    """Triplet margin loss ``max(d(a,p) − d(a,n) + margin, 0)`` (Weinberger & Saul; FaceNet).

    Parameters are those of :class:`~embedlab.learn.params.TripletLossParams`; the defaults
    are the triplet exercise's (α = 0.4, squared Euclidean, mean). With ``indices=None`` every valid
    triplet of the batch is scored, in chunks of anchors so memory stays bounded.
    """

    params: TripletLossParams
    #: ``(satisfied, scored)`` triplets of the last :meth:`compute`: a triplet is satisfied (its
    #: hinge loss is zero) when ``d(a,p) − d(a,n) + margin ≤ 0``; it then teaches nothing, the
    #: triplet exercise's argument for mining. The first count stays a tensor on the device, so
    #: counting adds no synchronisation. ``None`` before the first call.
    zero_loss_stats: tuple[torch.Tensor, int] | None = None

    def _hinge(self, violation: torch.Tensor) -> torch.Tensor:
        return F.softplus(violation) if self.params.soft else F.relu(violation)

    def _all_violations(self, distances: torch.Tensor, labels: torch.Tensor) -> Iterator[torch.Tensor]:
        """``d(a,p) − d(a,n) + margin`` of every valid triplet of the batch, in blocks of anchors."""
        positive, negative = label_masks(labels)
        size = len(labels)
        chunk = max(1, _CHUNK_ELEMENTS // max(size * size, 1))
        for start in range(0, size, chunk):
            stop = min(start + chunk, size)
            valid = positive[start:stop, :, None] & negative[start:stop, None, :]
            block = distances[start:stop, :, None] - distances[start:stop, None, :] + self.params.margin
            yield block[valid]

    def _violations(self, ap: torch.Tensor, an: torch.Tensor) -> torch.Tensor:
        """``d(a,p) − d(a,n) + margin`` per triplet, counting the satisfied ones (:attr:`zero_loss_stats`)."""
        violation = ap - an + self.params.margin
        self.zero_loss_stats = ((violation.detach() <= 0).sum(), violation.numel())
        return violation

    def compute(
        self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None
    ) -> torch.Tensor:
        """The reduced triplet loss."""
        distance = self.params.distance
        if indices is not None:
            if len(indices) != 3:
                raise InputError(
                    "loss 'triplet': indices must be (anchors, positives, negatives) triplets, got 4 pair "
                    "tensors; use a triplet miner or the 'contrastive' loss"
                )
            a, p, n = indices
            if len(a) <= len(labels):  # a few triplets (one per anchor): no B×B matrix
                anchors = embeddings[a]
                losses = self._hinge(
                    self._violations(
                        paired_distance(anchors, embeddings[p], distance),
                        paired_distance(anchors, embeddings[n], distance),
                    )
                )
                return self._reduce(losses, losses.numel(), embeddings)
            if not self.params.soft:
                measured = indices.measured if isinstance(indices, MeasuredIndices) else None
                distances = None if measured is None else measured.matrix_for(embeddings, distance)
                if distances is None:
                    with torch.no_grad():
                        distances = get_distance(distance)(embeddings, None)
                return self._hinge_by_counts(distances, a, p, n, embeddings)
            distances = get_distance(distance)(embeddings, None)
            losses = self._hinge(self._violations(distances[a, p], distances[a, n]))
            return self._reduce(losses, losses.numel(), embeddings)
        distances = get_distance(distance)(embeddings, None)
        total = embeddings.new_zeros(())
        satisfied = torch.zeros((), dtype=torch.long, device=embeddings.device)
        count = 0
        nonzero = 0
        for violation in self._all_violations(distances, labels):
            block = self._hinge(violation)
            total = total + block.sum()
            satisfied += (violation.detach() <= 0).sum()
            count += block.numel()
            nonzero += int((block > 0).sum())
        self.zero_loss_stats = (satisfied, count)
        if count == 0:
            return zero_loss(embeddings)
        if self.params.reduction == "sum":
            return total
        return total / (count if self.params.reduction == "mean" else max(nonzero, 1))

    def _hinge_by_counts(
        self,
        distances: torch.Tensor,
        a: torch.Tensor,
        p: torch.Tensor,
        n: torch.Tensor,
        embeddings: torch.Tensor,
    ) -> torch.Tensor:
        """The hinge loss of many triplets without a per-triplet backward pass.

        On the triplets with a positive loss the hinge is linear in the distances, so the sum
        is ``Σ W ∘ D + margin · active`` with ``W[a,p] = #active triplets using (a,p)`` minus
        the same count for ``(a,n)``: two scatter-adds, then
        :func:`~embedlab.learn.distances.weighted_distance_sum`, whose gradient is one matrix
        product, instead of gathering and scattering every triplet's gradient.
        """
        size = distances.size(1)
        flat = distances.detach().reshape(-1)
        row = a * size
        ap, an = row + p, row.add_(n)
        violation = flat.index_select(0, ap).sub_(flat.index_select(0, an)).add_(self.params.margin)
        active = violation > 0
        n_active = int(active.sum())
        count = len(a)
        self.zero_loss_stats = (torch.tensor(count - n_active, device=flat.device), count)
        if count == 0 or n_active == 0:
            return zero_loss(embeddings)
        if n_active < count:
            ap, an = ap[active], an[active]
        # Sums of ±1 are exact in float32, so the scatter is deterministic even with atomics.
        ones = flat.new_ones(len(ap))
        weights = flat.new_zeros(flat.numel()).index_add_(0, ap, ones).index_add_(0, an, ones, alpha=-1)
        total = weighted_distance_sum(embeddings, weights.view_as(distances), self.params.distance, distances)
        total = total + self.params.margin * n_active
        if self.params.reduction == "sum":
            return total
        return total / (count if self.params.reduction == "mean" else n_active)

    def _reduce(self, losses: torch.Tensor, count: int, embeddings: torch.Tensor) -> torch.Tensor:
        if count == 0:
            return zero_loss(embeddings)
        if self.params.reduction == "sum":
            return losses.sum()
        if self.params.reduction == "mean":
            return losses.mean()
        return _mean_nonzero(losses, embeddings)


class ContrastiveLoss(Loss):
    """Contrastive loss (Hadsell et al. 2006): positives within ``pos_margin``, negatives past ``neg_margin``.

    Positive and negative pair losses are each averaged (``mean-nonzero`` by default, as PML)
    and then added.
    """

    params: ContrastiveLossParams

    def compute(
        self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None
    ) -> torch.Tensor:
        """The reduced contrastive loss."""
        distances = get_distance(self.params.distance)(embeddings, None)
        if indices is None:
            positive, negative = label_masks(labels)
            pos = F.relu(distances[positive] - self.params.pos_margin)
            neg = F.relu(self.params.neg_margin - distances[negative])
        else:
            a1, p, a2, n = indices if len(indices) == 4 else (indices[0], indices[1], indices[0], indices[2])
            pos = F.relu(distances[a1, p] - self.params.pos_margin)
            neg = F.relu(self.params.neg_margin - distances[a2, n])
        if pos.numel() + neg.numel() == 0:
            return zero_loss(embeddings)
        reduce = (
            _mean_nonzero
            if self.params.reduction == "mean-nonzero"
            else lambda x, e: x.mean() if len(x) else zero_loss(e)
        )
        return reduce(pos, embeddings) + reduce(neg, embeddings)


def _logsumexp_plus_one(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """``log(1 + Σ_keep exp(x))`` per row; 0 for a row with nothing kept."""
    x = x.masked_fill(~keep, float("-inf"))
    x = torch.cat([x, x.new_zeros(len(x), 1)], dim=1)
    out = torch.logsumexp(x, dim=1)
    return out.masked_fill(~keep.any(dim=1), 0.0)


def _cosine_similarity(embeddings: torch.Tensor) -> torch.Tensor:
    normalized = F.normalize(embeddings, dim=1)
    return normalized @ normalized.T


class MultiSimilarityLoss(Loss):
    """Multi-similarity loss (Wang et al. 2019) on cosine similarity, averaged over non-zero-loss anchors."""

    params: MultiSimilarityLossParams

    def compute(
        self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None
    ) -> torch.Tensor:
        """The reduced multi-similarity loss."""
        positive, negative = _pairs(labels, indices)
        if not (positive.any() or negative.any()):
            return zero_loss(embeddings)
        alpha, beta = self.params.alpha, self.params.beta
        shifted = _cosine_similarity(embeddings) - self.params.base
        pos = _logsumexp_plus_one(-alpha * shifted, positive) / alpha
        neg = _logsumexp_plus_one(beta * shifted, negative) / beta
        return _mean_nonzero(pos + neg, embeddings)


class SupConLoss(Loss):
    """Supervised contrastive loss (Khosla et al. 2020) on cosine similarity over ``temperature``."""

    params: SupConLossParams

    def compute(
        self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None
    ) -> torch.Tensor:
        """The reduced supervised contrastive loss."""
        positive, negative = _pairs(labels, indices)
        if not (positive.any() and negative.any()):
            return zero_loss(embeddings)
        logits = _cosine_similarity(embeddings) / self.params.temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()
        keep = positive | negative
        denominator = torch.logsumexp(logits.masked_fill(~keep, float("-inf")), dim=1, keepdim=True)
        denominator = denominator.masked_fill(~keep.any(dim=1, keepdim=True), 0.0)
        log_prob = (logits - denominator).masked_fill(~positive, 0.0)
        per_anchor = -log_prob.sum(dim=1) / (positive.sum(dim=1) + torch.finfo(logits.dtype).tiny)
        return _mean_nonzero(per_anchor, embeddings)
