import math

import pytest
import torch

from embedlab.errors import ConfigError, InputError
from embedlab.learn.samplers import (
    ClassBalancedSampler,
    MPerClassSampler,
    RandomBatchSampler,
    TripletSampler,
    make_sampler,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_random_sampler_covers_every_index_once():
    labels = torch.arange(103) % 5
    batches = list(RandomBatchSampler(labels, 16).epoch(gen()))
    assert len(batches) == 7
    assert sorted(torch.cat(batches).tolist()) == list(range(103))


def test_m_per_class_batches_hold_p_classes_of_k_samples():
    labels = torch.arange(400) % 20
    sampler = MPerClassSampler(labels, batch_size=32, m=4)
    for batch in sampler.epoch(gen()):
        counts = torch.bincount(labels[batch])
        assert len(batch) == 32
        assert sorted(counts[counts > 0].tolist()) == [4] * 8
        assert len(set(batch.tolist())) == 32


def test_m_per_class_with_few_classes_fills_the_batch():
    labels = torch.arange(200) % 3
    batch = next(MPerClassSampler(labels, batch_size=30, m=4).epoch(gen()))
    assert torch.bincount(labels[batch]).tolist() == [10, 10, 10]


def test_m_per_class_samples_small_classes_with_replacement():
    labels = torch.tensor([0] * 50 + [1] * 2)
    batch = next(MPerClassSampler(labels, batch_size=8, m=4).epoch(gen()))
    assert torch.bincount(labels[batch]).tolist() == [4, 4]


def test_class_balanced_sampler_balances_rare_classes():
    labels = torch.tensor([0] * 950 + [1] * 50)
    drawn = torch.cat(list(ClassBalancedSampler(labels, 100).epoch(gen())))
    share = float((labels[drawn] == 1).float().mean())
    assert 0.4 < share < 0.6


def test_same_generator_seed_same_batches():
    labels = torch.arange(100) % 10
    s = MPerClassSampler(labels, 20)
    a = [b.tolist() for b in s.epoch(gen(3))]
    assert a == [b.tolist() for b in s.epoch(gen(3))]


def test_bad_sampler_settings():
    with pytest.raises(ConfigError, match="unknown sampler"):
        make_sampler("nope", torch.arange(4), 2)
    with pytest.raises(ConfigError, match="m_per_class"):
        MPerClassSampler(torch.arange(4), 4, m=1)
    with pytest.raises(InputError, match="at least 2 classes"):
        MPerClassSampler(torch.zeros(10, dtype=torch.long), 4)


def test_triplet_sampler_draws_valid_triplets_per_anchor_in_batches_of_triplets():
    labels = torch.tensor([0] * 5 + [1] * 2 + [2] * 9)
    sampler = make_sampler("triplets", labels, 4, per_anchor=3)
    assert isinstance(sampler, TripletSampler) and sampler.full_batch == 12
    batches = list(sampler.epoch(gen()))
    assert len(batches) == len(sampler) == math.ceil(16 * 3 / 4)
    anchors = []
    for batch in batches:
        a, p, n = (batch[i] for i in TripletSampler.triplets(torch.zeros(len(batch), 1), labels[batch]))
        assert (labels[a] == labels[p]).all() and (a != p).all() and (labels[a] != labels[n]).all()
        anchors += a.tolist()
    assert sorted(anchors) == sorted(list(range(16)) * 3)


def test_triplet_sampler_steps_per_epoch_are_the_triplet_exercises():
    labels = torch.arange(60_000) % 10
    assert len(TripletSampler(labels, 128, per_anchor=3)) == 1407


def test_triplet_sampler_needs_a_positive_for_every_anchor():
    with pytest.raises(InputError, match=r"class\(es\) \[1\] have one"):
        TripletSampler(torch.tensor([0, 0, 1]), 2)
    with pytest.raises(InputError, match="at least 2 classes"):
        TripletSampler(torch.tensor([0, 0, 0]), 2)
