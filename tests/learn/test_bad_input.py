import pytest
import torch

import embedlab
from embedlab.errors import ConfigError, InputError
from embedlab.learn._checks import BatchWarning

LOSSES = ["triplet", "contrastive", "multi-similarity", "supcon"]
MINERS = ["random", "batch-all", "batch-hard", "semihard", "distance-weighted"]
COMPONENTS = [("loss", n) for n in LOSSES] + [("miner", n) for n in MINERS]


@pytest.mark.parametrize(("kind", "name"), COMPONENTS)
def test_length_mismatch(kind, name):
    with pytest.raises(InputError, match="8 embeddings but 7 labels"):
        embedlab.create(kind, name)(torch.randn(8, 3), torch.arange(7))


@pytest.mark.parametrize(("kind", "name"), COMPONENTS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_embeddings(kind, name, bad):
    e = torch.randn(8, 3)
    e[2, 1] = bad
    with pytest.raises(InputError, match="NaN or infinity"):
        embedlab.create(kind, name)(e, torch.arange(8) % 2)


@pytest.mark.parametrize("name", LOSSES)
def test_single_class_batch_warns_and_gives_zero_loss_without_gradient(name):
    e = torch.randn(8, 3, requires_grad=True)
    with pytest.warns(BatchWarning, match="every label in the batch is 4"):
        value = embedlab.create("loss", name)(e, torch.full((8,), 4))
    assert float(value.detach()) == 0.0
    value.backward()
    assert torch.equal(e.grad, torch.zeros_like(e))


@pytest.mark.parametrize("name", MINERS)
def test_single_class_batch_warns_and_mines_nothing(name):
    with pytest.warns(BatchWarning):
        a, p, n = embedlab.create("miner", name)(torch.randn(8, 3), torch.zeros(8, dtype=torch.long))
    assert len(a) == len(p) == len(n) == 0


@pytest.mark.parametrize(
    ("kind", "name"),
    [("loss", "triplet"), ("loss", "contrastive"), ("miner", "semihard"), ("miner", "batch-all")],
)
def test_negative_margin_is_a_config_error(kind, name):
    field = "neg_margin" if name == "contrastive" else "margin"
    with pytest.raises(ConfigError, match=rf"{field}.*greater than or equal to 0"):
        embedlab.create(kind, name, **{field: -0.1})


def test_negative_margin_through_the_class_too():
    from embedlab.learn import TripletLoss

    with pytest.raises(ConfigError, match="loss 'triplet': margin"):
        TripletLoss(margin=-1)


@pytest.mark.parametrize(
    ("kind", "name"), [("loss", "triplet"), ("miner", "batch-hard"), ("miner", "semihard")]
)
def test_unknown_distance_is_a_config_error(kind, name):
    with pytest.raises(ConfigError, match="distance.*euclidean"):
        embedlab.create(kind, name, distance="manhattan")


def test_bad_shapes_dtypes_and_indices():
    loss = embedlab.create("loss", "triplet")
    with pytest.raises(InputError, match=r"shape \(batch, dim\)"):
        loss(torch.randn(4, 2, 2), torch.arange(4))
    with pytest.raises(InputError, match="labels must be integers"):
        loss(torch.randn(4, 2), torch.rand(4))
    with pytest.raises(InputError, match="outside the batch"):
        loss(
            torch.randn(4, 2),
            torch.arange(4) % 2,
            indices=(torch.tensor([0]), torch.tensor([2]), torch.tensor([9])),
        )
    with pytest.raises(InputError, match="different lengths"):
        loss(
            torch.randn(4, 2),
            torch.arange(4) % 2,
            indices=(torch.tensor([0]), torch.tensor([2, 0]), torch.tensor([1])),
        )
    with pytest.raises(InputError, match="triplets, got 4 pair"):
        loss(torch.randn(4, 2), torch.arange(4) % 2, indices=(torch.tensor([0]),) * 4)


def test_labels_may_be_numpy_or_lists():
    loss = embedlab.create("loss", "triplet")
    e = torch.randn(6, 3)
    assert float(loss(e, [0, 0, 1, 1, 2, 2])) == pytest.approx(
        float(loss(e, torch.tensor([0, 0, 1, 1, 2, 2])))
    )
