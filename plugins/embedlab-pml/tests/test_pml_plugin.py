import subprocess
import sys

import pytest
import torch
from embedlab_pml import LOSSES, MINERS, pml_name
from pytorch_metric_learning import distances, losses, miners

import embedlab
from embedlab.errors import ConfigError


def batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, 8, generator=g), torch.randint(0, 6, (64,), generator=g)


def test_names():
    assert pml_name("TripletMarginLoss") == "pml-triplet-margin"
    assert pml_name("BatchHardMiner") == "pml-batch-hard"
    assert pml_name("NTXentLoss") == "pml-nt-xent"
    assert pml_name("HDCMiner") == "pml-hdc"


def test_every_listed_class_exists_and_is_registered_by_this_distribution():
    registered = {(p.kind, p.name): p.distribution for p in embedlab.plugins()}
    for module, names, kind in ((losses, LOSSES, "loss"), (miners, MINERS, "miner")):
        for name in names:
            assert hasattr(module, name)
            assert registered[(kind, pml_name(name))] == "embedlab-pml"


def test_pml_components_mix_with_embedlab_ones():
    e, y = batch()
    pml_miner = embedlab.create("miner", "pml-batch-hard", distance="euclidean")
    ours = embedlab.create("loss", "triplet", margin=0.2, distance="euclidean", reduction="mean-nonzero")
    theirs = embedlab.create("loss", "pml-triplet-margin", margin=0.2, distance="euclidean")
    indices = pml_miner(e, y)
    assert float(ours(e, y, indices)) == pytest.approx(float(theirs(e, y, indices)), rel=1e-5)
    mined = embedlab.create("miner", "semihard", margin=0.2)(e, y)
    assert float(theirs(e, y, indices=mined)) >= 0


def test_pass_through_params_reach_pml():
    loss = embedlab.create("loss", "pml-contrastive", pos_margin=0.1, neg_margin=0.7, distance="cosine")
    assert loss.pml.pos_margin == 0.1 and loss.pml.neg_margin == 0.7
    assert isinstance(loss.pml.distance, distances.CosineSimilarity)
    assert (
        embedlab.create("miner", "pml-triplet-margin", type_of_triplets="semihard").pml.type_of_triplets
        == "semihard"
    )


def test_bad_params_are_config_errors():
    with pytest.raises(ConfigError, match="pml-triplet-margin.*TripletMarginLoss"):
        embedlab.create("loss", "pml-triplet-margin", no_such_option=1)
    with pytest.raises(ConfigError, match="distance"):
        embedlab.create("loss", "pml-triplet-margin", distance="manhattan")


@pytest.mark.parametrize("name", [pml_name(n) for n in LOSSES])
def test_each_loss_runs(name):
    e, y = batch()
    e.requires_grad_()
    value = embedlab.create("loss", name)(e, y)
    value.backward()
    assert torch.isfinite(value)


def test_listing_does_not_import_torch():
    code = "import sys, embedlab; embedlab.plugins(); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_trains_in_metric_learner():
    from embedlab.learn import MetricLearner

    e, y = batch()
    m = MetricLearner(
        model={"name": "mlp", "params": {"hidden": [16], "embedding_dim": 4}},
        loss={"name": "pml-multi-similarity", "params": {}},
        miner="pml-multi-similarity",
        epochs=2,
        batch_size=32,
        progress=False,
    )
    assert m.fit(e.numpy(), y.numpy()).transform(e.numpy()).shape == (64, 4)
