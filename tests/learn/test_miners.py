import pytest
import torch
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning.utils import loss_and_miner_utils as lmu

import embedlab
from embedlab.learn.distances import euclidean
from embedlab.learn.miners import (
    BatchAllMiner,
    DistanceWeightedMiner,
    RandomMiner,
    SemihardMiner,
    positive_slots,
)


def batch(seed, size=128, dim=16, classes=10):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(size, dim, generator=g), torch.randint(0, classes, (size,), generator=g)


def as_set(indices):
    return set(zip(*(i.tolist() for i in indices), strict=True))


def pml_lp():
    return pml_distances.LpDistance(normalize_embeddings=False)


def assert_valid(indices, y):
    a, p, n = indices
    assert a.dtype == p.dtype == n.dtype == torch.long
    assert len(a) == len(p) == len(n)
    assert (y[a] == y[p]).all() and (a != p).all() and (y[a] != y[n]).all()


@pytest.mark.parametrize("seed", range(4))
def test_batch_hard_selects_what_pml_selects(seed):
    e, y = batch(seed)
    ours = embedlab.create("miner", "batch-hard", distance="euclidean")(e, y)
    theirs = pml_miners.BatchHardMiner(distance=pml_lp())(e, y)
    assert as_set(ours) == as_set(theirs)
    assert_valid(ours, y)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("margin", [0.1, 0.4, 2.0])
def test_semihard_selects_what_pml_selects(seed, margin):
    e, y = batch(seed)
    ours = embedlab.create("miner", "semihard", margin=margin, distance="euclidean")(e, y)
    theirs = pml_miners.TripletMarginMiner(margin=margin, type_of_triplets="semihard", distance=pml_lp())(
        e, y
    )
    assert len(ours[0]) == len(theirs[0]) > 0
    assert as_set(ours) == as_set(theirs)


def test_semihard_facenet_picks_the_closest_semihard_negative_per_pair():
    e, y = batch(11, size=64)
    every = as_set(SemihardMiner(margin=0.5)(e, y))
    a, p, n = SemihardMiner(margin=0.5, mode="facenet")(e, y)
    d = euclidean(e)
    pairs = {(ai, pi) for ai, pi, _ in every}
    assert set(zip(a.tolist(), p.tolist(), strict=True)) == pairs
    for ai, pi, ni in zip(a.tolist(), p.tolist(), n.tolist(), strict=True):
        band = [nj for aj, pj, nj in every if (aj, pj) == (ai, pi)]
        assert d[ai, ni] == min(d[ai, nj] for nj in band)


@pytest.mark.parametrize("nonzero", [False, True])
def test_batch_all(nonzero):
    e, y = batch(3, size=48)
    ours = BatchAllMiner(margin=0.3, nonzero_only=nonzero)(e, y)
    kind = "all" if nonzero else None
    if kind:
        theirs = pml_miners.TripletMarginMiner(margin=0.3, type_of_triplets="all", distance=pml_lp())(e, y)
    else:
        theirs = lmu.get_all_triplets_indices(y)
    assert as_set(ours) == as_set(theirs)


def test_random_miner_draws_valid_triplets_per_anchor():
    e, y = batch(4)
    torch.manual_seed(0)
    a, p, n = RandomMiner(triplets_per_anchor=3)(e, y)
    assert_valid((a, p, n), y)
    assert len(a) == 3 * 128
    torch.manual_seed(0)
    again = RandomMiner(triplets_per_anchor=3)(e, y)
    assert all(torch.equal(u, v) for u, v in zip((a, p, n), again, strict=True))


def test_distance_weighted_draws_one_negative_per_positive_pair():
    e, y = batch(5, dim=32)
    torch.manual_seed(0)
    a, p, n = DistanceWeightedMiner()(e, y)
    assert_valid((a, p, n), y)
    positives = int(sum(((y == c).sum() * ((y == c).sum() - 1)) for c in y.unique()))
    assert len(a) == positives


def test_distance_weighted_prefers_far_negatives_over_near_ones_in_high_dimension():
    # Near-duplicate negatives (d < cutoff) get the clamped weight; weights favour the sphere's typical distance.
    torch.manual_seed(0)
    e, y = batch(6, size=64, dim=64)
    a, p, n = DistanceWeightedMiner(nonzero_loss_cutoff=2.0)(e, y)
    assert len(a) > 0


@pytest.mark.parametrize("name", ["random", "batch-all", "batch-hard", "semihard", "distance-weighted"])
def test_anchors_without_positive_or_negative_are_skipped(name):
    e = torch.randn(5, 4)
    y = torch.tensor([0, 0, 1, 2, 3])  # only anchors 0 and 1 have a positive
    a, p, n = embedlab.create("miner", name)(e, y)
    assert set(a.tolist()) <= {0, 1}
    assert_valid((a, p, n), y)


@pytest.mark.parametrize("name", ["random", "batch-all", "batch-hard", "semihard", "distance-weighted"])
def test_every_anchor_unique_gives_empty_triplets(name):
    a, p, n = embedlab.create("miner", name)(torch.randn(4, 3), torch.arange(4))
    assert len(a) == len(p) == len(n) == 0 and a.dtype == torch.long


def test_miners_do_not_track_gradients():
    e, y = batch(7)
    e.requires_grad_()
    a, _, _ = embedlab.create("miner", "semihard")(e, y)
    assert not a.requires_grad


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("mode", ["all", "facenet"])
def test_semihard_sorted_path_equals_the_direct_path_and_pml(seed, mode, monkeypatch):
    e, y = batch(seed, classes=5)
    monkeypatch.setattr(SemihardMiner, "direct_width", 10**6)
    direct = SemihardMiner(margin=0.5, mode=mode)(e, y)
    monkeypatch.setattr(SemihardMiner, "direct_block", 1)  # one anchor per block
    blocks = SemihardMiner(margin=0.5, mode=mode)(e, y)
    monkeypatch.setattr(SemihardMiner, "direct_width", 0)
    searched = SemihardMiner(margin=0.5, mode=mode)(e, y)
    assert all(torch.equal(u, v) for u, v in zip(blocks, direct, strict=True))
    assert as_set(searched) == as_set(direct)
    if mode == "all":
        theirs = pml_miners.TripletMarginMiner(margin=0.5, type_of_triplets="semihard", distance=pml_lp())(
            e, y
        )
        assert as_set(searched) == as_set(theirs)


@pytest.mark.parametrize("labels", [[3, 1, 3, 3, 7, 1, 2], [5], [0, 1, 2], [4, 4, 4, 4], list(range(40)) * 3 + [99]])
def test_positive_slots_lists_each_anchors_positives_in_index_order(labels):
    y = torch.tensor(labels)
    slots = positive_slots(y)
    width = max(labels.count(v) for v in labels) - 1
    assert slots.shape == (len(labels), width) and slots.dtype == torch.long
    for i, row in enumerate(slots.tolist()):
        expected = [j for j, v in enumerate(labels) if v == labels[i] and j != i]
        assert row == expected + [-1] * (width - len(expected))
