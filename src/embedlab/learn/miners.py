"""Triplet miners: ``random``, ``batch-all``, ``batch-hard``, ``semihard``, ``distance-weighted``.

A miner is called as ``miner(embeddings, labels)`` and returns ``(anchors, positives,
negatives)`` LongTensors, as PyTorch Metric Learning's miners do. Mining never builds a
gradient. Anchors without a positive or without a negative in the batch are skipped.

Every miner except ``batch-all`` works from the ``(B, B)`` distance matrix: O(B²) memory,
plus the triplets it returns. ``semihard`` never builds PML's B×B×B mask: it lists each
anchor's positives from one sort of the labels (:func:`positive_slots`); with few positive
pairs (P×K batches) it tests each pair's row of negatives directly, O(pairs × B), in blocks
of anchors; otherwise it sorts each anchor's negatives once and binary-searches the
contiguous run that lies in each pair's band, O(B² log B + triplets returned).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from embedlab.learn._checks import check_batch
from embedlab.learn._params_component import ParamsComponent
from embedlab.learn.distances import Measured, euclidean, get_distance
from embedlab.learn.losses import label_masks
from embedlab.learn.params import (
    BatchAllMinerParams,
    BatchHardMinerParams,
    DistanceWeightedMinerParams,
    RandomMinerParams,
    SemihardMinerParams,
)
from embedlab.protocols import Recipe

__all__ = [
    "Miner",
    "Mined",
    "RandomMiner",
    "BatchAllMiner",
    "BatchHardMiner",
    "SemihardMiner",
    "DistanceWeightedMiner",
    "positive_slots",
]

Triplets = tuple[torch.Tensor, torch.Tensor, torch.Tensor]

_CHUNK_ELEMENTS = 1 << 24


def _recipe(*, nonzero: bool = False, normalize: bool = True, warmup_epochs: int = 0) -> Recipe:
    """A mining recipe: M-per-class batches and the triplet loss of Hermans et al. 2017.

    That loss is Euclidean, not squared, with margin 0.2 (averaged over non-zero-loss triplets
    when ``nonzero``); ``normalize`` L2-normalises the network's embeddings; ``warmup_epochs``
    trains that long without the miner first.
    """
    triplet: dict[str, Any] = {"distance": "euclidean", "margin": 0.2}
    if nonzero:
        triplet["reduction"] = "mean-nonzero"
    recipe = Recipe(sampler="m-per-class", loss={"triplet": triplet})
    if normalize:
        recipe["backend"] = {"normalize": True}
    if warmup_epochs:
        recipe["warmup_epochs"] = warmup_epochs
    return recipe


class Mined(tuple[torch.Tensor, torch.Tensor, torch.Tensor]):
    """A miner's ``(anchors, positives, negatives)``: a plain tuple to every caller.

    ``measured`` is the distance matrix the triplets were mined from (or ``None``);
    :class:`~embedlab.learn.losses.TripletLoss` reuses it for the same embeddings instead of
    computing the matrix again.
    """

    measured: Measured | None

    def __new__(cls, triplets: Triplets, measured: Measured | None = None) -> Mined:
        mined = super().__new__(cls, triplets)
        mined.measured = measured
        return mined


def _empty(device: torch.device) -> Triplets:
    empty = torch.empty(0, dtype=torch.long, device=device)
    return empty, empty.clone(), empty.clone()


def _concat(parts: list[Triplets]) -> Triplets:
    """Join triplets mined block by block."""
    if len(parts) == 1:
        return parts[0]
    a, p, n = (torch.cat(x) for x in zip(*parts, strict=True))
    return a, p, n


def positive_slots(labels: torch.Tensor) -> torch.Tensor:
    """Each anchor's positives (same label, not itself) as rows of a ``(B, width)`` index matrix.

    Rows list the positives in increasing index order and are padded with -1; ``width`` is the
    largest number of positives any anchor has. One stable sort of the labels builds it, in
    O(B log B + B·width) instead of the O(B²) of a label mask.
    """
    size = len(labels)
    device = labels.device
    if size == 0:
        return torch.empty(0, 0, dtype=torch.long, device=device)
    order = torch.argsort(labels, stable=True)
    _, counts = torch.unique_consecutive(labels[order], return_counts=True)
    width = int(counts.max()) - 1
    slots = torch.full((size, width), -1, dtype=torch.long, device=device)
    if width == 0:
        return slots
    # For the label-sorted position of each anchor: its group's start, size and its own place.
    first = (torch.cumsum(counts, 0) - counts).repeat_interleave(counts, output_size=size)
    count = counts.repeat_interleave(counts, output_size=size)
    own = torch.arange(size, device=device) - first
    j = torch.arange(width, device=device)
    at = first.unsqueeze(1) + j + (j >= own.unsqueeze(1))  # the j-th group member after skipping itself
    slots[order] = torch.where(j < (count - 1).unsqueeze(1), order[at.clamp_(max=size - 1)], -1)
    return slots


class Miner(ParamsComponent, ABC):
    """Base class: validates parameters and inputs, then calls :meth:`mine` without gradients.

    Subclasses implement ``mine`` (a built-in takes its ``name`` and ``params_model`` from
    :data:`embedlab.learn.plugin.BUILTINS`; another subclass sets them). ``recipe`` is the
    training setup the miner needs to learn well (see :class:`embedlab.protocols.RecipeMiner`).
    """

    kind = "miner"
    name = "miner"
    #: What MetricLearner applies with this miner: ``sampler`` when it is "auto", ``loss``
    #: params (per loss name) when the loss is named without params, ``backend`` params when
    #: the network is named without params.
    recipe: ClassVar[Recipe] = {"sampler": "random"}

    def __call__(self, embeddings: torch.Tensor, labels: Any) -> Triplets:
        """Return ``(anchors, positives, negatives)`` index tensors for the batch."""
        embeddings, labels, _ = check_batch(embeddings, labels, f"miner {self.name!r}")
        return self.compute(embeddings, labels)

    def compute(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
        """Mine without input checks (used by the trainer)."""
        with torch.no_grad():
            return self.mine(embeddings.detach().float(), labels)

    @abstractmethod
    def mine(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
        """The miner's selection rule."""


class RandomMiner(Miner):
    """Random valid triplets, as the triplet exercise drew them: per anchor, a random positive and negative."""

    params: RandomMinerParams
    recipe = _recipe(nonzero=True)

    def mine(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
        """Draw ``triplets_per_anchor`` random triplets for each anchor that has both kinds of pair."""
        positive, negative = label_masks(labels)
        anchors = torch.nonzero(positive.any(dim=1) & negative.any(dim=1)).squeeze(1)
        if len(anchors) == 0:
            return _empty(embeddings.device)
        k = self.params.triplets_per_anchor
        p = torch.multinomial(positive[anchors].float(), k, replacement=True).reshape(-1)
        n = torch.multinomial(negative[anchors].float(), k, replacement=True).reshape(-1)
        return anchors.repeat_interleave(k), p, n


class BatchAllMiner(Miner):
    """Every valid triplet of the batch (O(B³) by nature), optionally only those with a non-zero loss."""

    params: BatchAllMinerParams
    recipe = _recipe(nonzero=True, normalize=False)

    def mine(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
        """Return all valid triplets, in anchor chunks so the boolean block stays bounded."""
        positive, negative = label_masks(labels)
        distances = get_distance(self.params.distance)(embeddings, None) if self.params.nonzero_only else None
        size = len(labels)
        chunk = max(1, _CHUNK_ELEMENTS // max(size * size, 1))
        parts = []
        for start in range(0, size, chunk):
            stop = min(start + chunk, size)
            valid = positive[start:stop, :, None] & negative[start:stop, None, :]
            if distances is not None:
                block = distances[start:stop]
                valid &= block[:, :, None] - block[:, None, :] + self.params.margin > 0
            a, p, n = torch.nonzero(valid, as_tuple=True)
            parts.append((a + start, p, n))
        if not parts:
            return _empty(embeddings.device)
        triplets = _concat(parts)
        return Mined(triplets, None if distances is None else Measured.of(embeddings, self.params.distance, distances))


class BatchHardMiner(Miner):
    """Batch-hard mining (Hermans et al. 2017): per anchor, the farthest positive and the closest negative.

    Needs positives in every batch, so its recipe uses an M-per-class (P×K) sampler, and
    non-squared Euclidean distances: with squared distances on a plain random batch the
    embedding collapses (measured on digits: precision@1 about 0.45).
    """

    params: BatchHardMinerParams
    recipe = _recipe(warmup_epochs=5)

    def mine(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
        """One triplet per anchor that has a positive and a negative."""
        positive, negative = label_masks(labels)
        distances = get_distance(self.params.distance)(embeddings, None)
        p = distances.masked_fill(~positive, float("-inf")).argmax(dim=1)
        n = distances.masked_fill(~negative, float("inf")).argmin(dim=1)
        anchors = torch.nonzero(positive.any(dim=1) & negative.any(dim=1)).squeeze(1)
        return anchors, p[anchors], n[anchors]


class SemihardMiner(Miner):
    """Semi-hard triplets: ``d(a,p) < d(a,n) <= d(a,p) + margin``.

    ``mode="all"`` returns every such triplet (the selection of PML's
    ``TripletMarginMiner(type_of_triplets="semihard")``); ``mode="facenet"`` returns, per
    anchor–positive pair, the closest negative in the band (Schroff et al. 2015).
    """

    params: SemihardMinerParams
    recipe = _recipe(warmup_epochs=3)

    #: Most positives per anchor for which each pair's row of negatives is tested directly; more
    #: positives sort each anchor's negatives once and binary-search them per positive, trading a
    #: sort per anchor for a row of tests per positive. ``benchmarks/miners.py`` sizes it; figures
    #: in the docs' performance page.
    direct_width: ClassVar[int] = 16
    #: Elements of one (anchors, positives per anchor, B) block of the direct test.
    direct_block: ClassVar[int] = 1 << 22

    def mine(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
        """Find the semi-hard band of every anchor–positive pair."""
        distances = get_distance(self.params.distance)(embeddings, None)
        slots = positive_slots(labels)
        size, width = slots.shape
        if width == 0 or self.params.margin == 0:  # no positive pair, or an empty band
            return _empty(embeddings.device)
        # Each anchor's distances to its positives, padded with +inf (which never passes).
        ap = distances.gather(1, slots.clamp(min=0)).masked_fill_(slots < 0, float("inf"))
        if width <= self.direct_width:
            chunk = max(1, self.direct_block // (width * size))
            parts = []
            for start in range(0, size, chunk):
                rows = slice(start, start + chunk)
                parts.append(self._direct(distances[rows], slots[rows], ap[rows], start))
            triplets = _concat(parts)
        else:
            triplets = self._sorted(distances, slots, ap, labels)
        return Mined(triplets, Measured.of(embeddings, self.params.distance, distances))

    def _direct(self, distances: torch.Tensor, slots: torch.Tensor, ap: torch.Tensor, first: int) -> Triplets:
        """Test every (pair, negative) of the anchors ``first, first + 1, …`` (the rows given) at once."""
        width, size = slots.size(1), distances.size(1)
        margin = distances.unsqueeze(1) - ap.unsqueeze(2)  # d(a,n) - d(a,p), as PML computes it
        # An anchor's positives are not its negatives: mask their columns in every slot of its row.
        a, rank = torch.nonzero(slots >= 0, as_tuple=True)
        pair_rows = (a * width).unsqueeze(1) + torch.arange(width, device=a.device)
        margin.view(-1).index_fill_(0, (pair_rows * size + slots[a, rank].unsqueeze(1)).view(-1), float("-inf"))
        band = margin > 0
        band &= margin <= self.params.margin
        if self.params.mode == "facenet":
            closest = torch.where(band, distances.unsqueeze(1), float("inf")).argmin(dim=2)
            anchor, slot = torch.nonzero(band.any(dim=2), as_tuple=True)
            return anchor + first, slots[anchor, slot], closest[anchor, slot]
        # Flat positions: (anchor·width + slot)·B + negative (one column, not nonzero's three).
        found = torch.nonzero(band.view(-1)).squeeze(1)
        pair = torch.div(found, size, rounding_mode="floor")
        negative = found - pair * size
        anchor = torch.div(pair, width, rounding_mode="floor").add_(first)
        return anchor, slots.view(-1).index_select(0, pair), negative

    def _sorted(
        self, distances: torch.Tensor, slots: torch.Tensor, ap: torch.Tensor, labels: torch.Tensor
    ) -> Triplets:
        """Binary-search each anchor's sorted negatives: O(B² log B + triplets returned)."""
        size = len(distances)
        _, negative = label_masks(labels)
        neg_sorted, neg_order = distances.masked_fill(~negative, float("inf")).sort(dim=1, stable=True)
        a, rank = torch.nonzero(slots >= 0, as_tuple=True)
        p = slots[a, rank]
        # lo: first negative with d(a,n) > d(a,p); hi: first with d(a,n) - d(a,p) > margin.
        lo = torch.searchsorted(neg_sorted, ap, right=True)[a, rank]
        hi = torch.searchsorted(neg_sorted, ap + self.params.margin, right=True)[a, rank]
        # d(a,p) + margin rounds differently from d(a,n) - d(a,p); move hi to the exact test.
        d_ap = ap[a, rank]
        last = size - 1
        before = neg_sorted[a, (hi - 1).clamp(0, last)]
        hi = hi - ((hi > lo) & (before - d_ap > self.params.margin)).long()
        at = neg_sorted[a, hi.clamp(max=last)]
        hi = hi + ((hi <= last) & torch.isfinite(at) & (at - d_ap <= self.params.margin)).long()
        count = (hi - lo).clamp_min(0)
        if self.params.mode == "facenet":
            keep = count > 0
            return a[keep], p[keep], neg_order[a[keep], lo[keep]]
        total = int(count.sum())
        if total == 0:
            return _empty(distances.device)
        # Expand each pair's run [lo, hi) of sorted negatives: one segment id per triplet.
        # (index_select: plain indexing of millions of elements is several times slower on CPU.)
        segment = torch.repeat_interleave(torch.arange(len(a), device=a.device), count, output_size=total)
        first = torch.cumsum(count, 0) - count
        a_rep = a.index_select(0, segment)
        flat = (a * size + lo - first).index_select(0, segment)
        flat += torch.arange(total, device=a.device)
        return a_rep, p.index_select(0, segment), neg_order.view(-1).index_select(0, flat)


class DistanceWeightedMiner(Miner):
    """Distance-weighted sampling (Wu et al. 2017) on L2-normalised embeddings.

    For each anchor–positive pair one negative is drawn with probability proportional to
    ``1 / q(d)``, where ``q(d) ∝ d^(n−2) (1 − d²/4)^((n−3)/2)`` is the density of distances
    between points uniform on the unit sphere in ``n`` dimensions. Distances are clamped
    below at ``cutoff``; negatives at ``nonzero_loss_cutoff`` or farther are never drawn.
    """

    params: DistanceWeightedMinerParams
    recipe = _recipe()

    def mine(self, embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
        """Sample one negative per anchor–positive pair."""
        positive, negative = label_masks(labels)
        dim = embeddings.size(1)
        distances = euclidean(F.normalize(embeddings, dim=1), None)
        clamped = distances.clamp(min=self.params.cutoff, max=2.0 - 1e-4)
        log_weights = (2.0 - dim) * torch.log(clamped) - ((dim - 3) / 2.0) * torch.log(
            1.0 - 0.25 * clamped**2
        )
        allowed = negative & (distances < self.params.nonzero_loss_cutoff)
        log_weights = log_weights.masked_fill(~allowed, float("-inf"))
        usable = allowed.any(dim=1) & positive.any(dim=1)
        if not bool(usable.any()):
            return _empty(embeddings.device)
        row_max = log_weights.max(dim=1, keepdim=True).values.masked_fill(~usable.unsqueeze(1), 0.0)
        weights = torch.exp(log_weights - row_max)
        weights[~usable] = 1.0  # multinomial needs a positive row sum; these rows are dropped below
        per_anchor = int(positive.sum(dim=1).max())
        samples = torch.multinomial(weights, per_anchor, replacement=True)
        a, p = torch.nonzero(positive & usable.unsqueeze(1), as_tuple=True)
        rank = (torch.cumsum(positive.long(), dim=1) - 1)[a, p]
        return a, p, samples[a, rank]
