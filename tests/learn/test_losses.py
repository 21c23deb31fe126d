import pytest
import torch
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning import reducers as pml_reducers

import embedlab
from embedlab.learn.losses import ContrastiveLoss, MultiSimilarityLoss, SupConLoss, TripletLoss

PML_DISTANCE = {
    "euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False),
    "squared-euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False, power=2),
    "cosine": lambda: pml_distances.CosineSimilarity(),
}
PML_REDUCER = {"mean": pml_reducers.MeanReducer, "mean-nonzero": pml_reducers.AvgNonZeroReducer}


def batch(seed, size=96, dim=16, classes=8):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(size, dim, generator=g), torch.randint(0, classes, (size,), generator=g)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("distance", list(PML_DISTANCE))
@pytest.mark.parametrize("reduction", list(PML_REDUCER))
def test_triplet_equals_pml_all_triplets_and_mined(seed, distance, reduction):
    e, y = batch(seed)
    ours = embedlab.create("loss", "triplet", margin=0.4, distance=distance, reduction=reduction)
    pml = pml_losses.TripletMarginLoss(
        margin=0.4, distance=PML_DISTANCE[distance](), reducer=PML_REDUCER[reduction]()
    )
    assert float(ours(e, y)) == pytest.approx(float(pml(e, y)), rel=1e-4)
    mined = pml_miners.TripletMarginMiner(
        margin=0.4, type_of_triplets="all", distance=PML_DISTANCE[distance]()
    )(e, y)
    assert float(ours(e, y, indices=mined)) == pytest.approx(float(pml(e, y, mined)), rel=1e-4)


@pytest.mark.parametrize("distance", list(PML_DISTANCE))
@pytest.mark.parametrize("reduction", list(PML_REDUCER))
@pytest.mark.parametrize("soft", [False, True])
def test_triplet_on_one_triplet_per_anchor_equals_pml_with_its_gradient(distance, reduction, soft):
    # At most one triplet per anchor takes the row-wise path (no B×B matrix); value and
    # gradient must still be PML's.
    e, y = batch(4)
    triplets = pml_miners.BatchHardMiner(distance=PML_DISTANCE[distance]())(e, y)
    assert 0 < len(triplets[0]) <= len(y)
    e1, e2 = e.clone().requires_grad_(), e.clone().requires_grad_()
    ours = TripletLoss(margin=0.4, distance=distance, reduction=reduction, soft=soft)(e1, y, triplets)
    pml = pml_losses.TripletMarginLoss(
        margin=0.4, smooth_loss=soft, distance=PML_DISTANCE[distance](), reducer=PML_REDUCER[reduction]()
    )(e2, y, triplets)
    assert float(ours.detach()) == pytest.approx(float(pml.detach()), rel=1e-4)
    ours.backward()
    pml.backward()
    assert torch.allclose(e1.grad, e2.grad, atol=1e-5)


def test_soft_triplet_equals_pml_smooth_loss():
    e, y = batch(2)
    ours = TripletLoss(margin=0.1, distance="euclidean", reduction="mean", soft=True)
    pml = pml_losses.TripletMarginLoss(
        margin=0.1, smooth_loss=True, distance=PML_DISTANCE["euclidean"](), reducer=pml_reducers.MeanReducer()
    )
    assert float(ours(e, y)) == pytest.approx(float(pml(e, y)), rel=1e-4)


def test_triplet_gradient_matches_pml():
    e, y = batch(3)
    e1, e2 = e.clone().requires_grad_(), e.clone().requires_grad_()
    TripletLoss(margin=0.4, distance="euclidean", reduction="mean")(e1, y).backward()
    pml = pml_losses.TripletMarginLoss(
        margin=0.4, distance=PML_DISTANCE["euclidean"](), reducer=pml_reducers.MeanReducer()
    )
    pml(e2, y).backward()
    assert torch.allclose(e1.grad, e2.grad, atol=1e-6)


def test_contrastive_equals_pml():
    e, y = batch(4)
    pml = pml_losses.ContrastiveLoss(pos_margin=0.1, neg_margin=2.0, distance=PML_DISTANCE["euclidean"]())
    ours = ContrastiveLoss(pos_margin=0.1, neg_margin=2.0)
    assert float(ours(e, y)) == pytest.approx(float(pml(e, y)), rel=1e-5)
    pairs = pml_miners.BatchHardMiner(distance=PML_DISTANCE["euclidean"]())(e, y)
    assert float(ours(e, y, pairs)) == pytest.approx(float(pml(e, y, pairs)), rel=1e-5)


def test_multi_similarity_equals_pml():
    e, y = batch(5)
    assert float(MultiSimilarityLoss()(e, y)) == pytest.approx(
        float(pml_losses.MultiSimilarityLoss()(e, y)), rel=1e-5
    )
    mined = pml_miners.BatchHardMiner()(e, y)
    assert float(MultiSimilarityLoss(alpha=1, beta=20, base=0.3)(e, y, mined)) == pytest.approx(
        float(pml_losses.MultiSimilarityLoss(alpha=1, beta=20, base=0.3)(e, y, mined)), rel=1e-5
    )


@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_supcon_equals_pml(temperature):
    e, y = batch(6)
    assert float(SupConLoss(temperature=temperature)(e, y)) == pytest.approx(
        float(pml_losses.SupConLoss(temperature=temperature)(e, y)), rel=1e-5
    )


@pytest.mark.parametrize("name", ["triplet", "contrastive", "multi-similarity", "supcon"])
def test_every_loss_backpropagates(name):
    e, y = batch(7)
    e.requires_grad_()
    value = embedlab.create("loss", name)(e, y)
    value.backward()
    assert value.ndim == 0 and float(value.detach()) > 0
    assert torch.isfinite(e.grad).all() and e.grad.abs().sum() > 0


def test_empty_indices_give_zero_loss_with_gradient():
    e, y = batch(8)
    e.requires_grad_()
    empty = torch.empty(0, dtype=torch.long)
    value = TripletLoss()(e, y, indices=(empty, empty, empty))
    value.backward()
    assert float(value.detach()) == 0.0
    assert torch.equal(e.grad, torch.zeros_like(e))


def test_reduction_sum_and_chunked_all_triplets_agree_with_explicit_indices():
    from pytorch_metric_learning.utils import loss_and_miner_utils as lmu

    e, y = batch(9, size=40)
    loss = TripletLoss(margin=0.3, distance="euclidean", reduction="sum")
    every = lmu.get_all_triplets_indices(y)
    assert float(loss(e, y)) == pytest.approx(float(loss(e, y, every)), rel=1e-5)


def test_triplet_loss_reuses_the_miners_distance_matrix(monkeypatch):
    from embedlab.learn import losses
    from embedlab.learn.miners import BatchAllMiner, Mined

    g = torch.Generator().manual_seed(4)
    emb = torch.randn(32, 8, generator=g).requires_grad_()
    labels = torch.arange(32) % 4
    mined = BatchAllMiner(nonzero_only=True, distance="euclidean")(emb, labels)
    assert isinstance(mined, Mined) and mined.measured is not None and len(mined[0]) > len(labels)
    loss = TripletLoss(distance="euclidean", margin=0.2)
    expected = loss(emb, labels, tuple(mined))  # a plain tuple: the loss measures again

    def measure_again(name):
        raise AssertionError("the loss recomputed the distance matrix")

    monkeypatch.setattr(losses, "get_distance", measure_again)
    torch.testing.assert_close(loss(emb, labels, mined), expected)
    with torch.no_grad():
        emb.mul_(1.0)  # an in-place change: the miner's matrix may be stale now
    with pytest.raises(AssertionError, match="recomputed"):
        loss(emb, labels, mined)
