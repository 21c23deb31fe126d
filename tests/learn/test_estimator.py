import time
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone

import embedlab
from embedlab.errors import ConfigError, InputError
from embedlab.learn import MetricLearner
from embedlab.metrics.retrieval import retrieval

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def p_at_1(model, ds):
    return retrieval(
        model.transform(ds["test"].X), ds["test"].y, model.transform(ds["train"].X), ds["train"].y
    )["precision_at_1"]


def test_defaults_reach_096_on_held_out_digits_within_a_minute(digits, one_thread):
    began = time.perf_counter()
    model = MetricLearner(model="seed-cnn", progress=False).fit(digits["train"].X, digits["train"].y)
    seconds = time.perf_counter() - began
    score = p_at_1(model, digits)
    print(f"defaults: precision@1 {score:.4f} in {seconds:.1f} s")
    assert score >= 0.96
    Z = model.transform(digits["test"].X)
    assert isinstance(Z, np.ndarray) and Z.shape == (len(digits["test"].y), 10) and Z.dtype == np.float32


@pytest.mark.slow
@pytest.mark.parametrize("miner", ["random", "batch-all", "batch-hard", "semihard", "distance-weighted"])
def test_each_miners_default_recipe_does_not_collapse(miner, digits, one_thread):
    model = MetricLearner(miner=miner, progress=False).fit(digits["train"].X, digits["train"].y)
    assert p_at_1(model, digits) >= 0.90


def test_seed_exact_configuration_from_the_example(digits, one_thread):
    config = embedlab.load_config(EXAMPLES / "triplet.yaml")
    model = MetricLearner.from_config(config)
    model.set_params(progress=False)
    spec = model.resolved()
    assert spec == {
        "model": {"name": "seed-cnn", "params": {"embedding_dim": 10}},
        "loss": {
            "name": "triplet",
            "params": {"margin": 0.4, "distance": "squared-euclidean", "reduction": "mean"},
        },
        "miner": {"name": "random", "params": {}},
        "sampler": "random",
        "warmup_epochs": 0,
    }
    assert (model.epochs, model.batch_size, model.optimizer, model.lr) == (5, 128, "adam", 0.001)
    model.fit(digits["train"].X, digits["train"].y, digits["val"].X, digits["val"].y)
    history = model.history_
    assert len(history) == 5
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_precision_at_1"] > 0.5
    # The seed network: 8 -> 16 -> 32 conv channels, Dense(128), Dense(10) without activation.
    layers = [m for m in model.model_.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
    assert [getattr(m, "out_channels", getattr(m, "out_features", None)) for m in layers] == [
        8,
        16,
        32,
        128,
        10,
    ]


def test_mined_example_config_loads():
    model = MetricLearner.from_config(EXAMPLES / "triplet-mined.yaml")
    assert model.resolved()["miner"]["name"] == "semihard"


def test_contract_call_and_4d_or_3d_inputs(digits, one_thread):
    X, y = digits["train"].X[:300], digits["train"].y[:300]
    m = MetricLearner(
        model="seed-cnn", loss="triplet", miner="batch-hard", epochs=2, batch_size=128, progress=False
    )
    m.fit(X[:, 0], y)  # (N, H, W)
    assert m.transform(X[:, 0]).shape == (300, 10)
    m.fit(torch.as_tensor(X), torch.as_tensor(y))  # (N, C, H, W) tensor
    assert m.transform(torch.as_tensor(X[:5])).shape == (5, 10)


def test_recipes_fill_only_what_the_user_left_open():
    spec = MetricLearner(miner="batch-hard").resolved()
    assert spec["sampler"] == "m-per-class"
    assert spec["loss"]["params"] == {"distance": "euclidean", "margin": 0.2}
    assert spec["model"]["params"] == {"normalize": True}
    assert spec["warmup_epochs"] == 5
    explicit = MetricLearner(
        model={"name": "mlp", "params": {"embedding_dim": 8}},
        loss={"name": "triplet", "params": {"margin": 0.4}},
        miner="batch-hard",
        sampler="random",
        warmup_epochs=0,
    ).resolved()
    assert explicit["sampler"] == "random" and explicit["warmup_epochs"] == 0
    assert explicit["loss"]["params"] == {"margin": 0.4}
    assert explicit["model"]["params"] == {"embedding_dim": 8}
    off = MetricLearner(miner="batch-hard", recipe=False).resolved()
    assert off["sampler"] == "random" and off["loss"]["params"] == {}


def test_get_params_set_params_and_clone():
    m = MetricLearner(miner={"name": "semihard", "params": {"margin": 0.3}}, epochs=7)
    params = m.get_params()
    assert params["epochs"] == 7 and params["miner"] == {"name": "semihard", "params": {"margin": 0.3}}
    c = clone(m)
    assert c.get_params() == params and c is not m
    c.set_params(epochs=3, loss="contrastive")
    assert c.epochs == 3 and c.loss == "contrastive" and m.epochs == 7


def test_mlp_and_torchvision_backbones_embed_images(one_thread):
    X = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    for name in ("seed-cnn", "mlp", "resnet18", "mobilenet_v2"):
        net = embedlab.create("backend", name, embedding_dim=6, normalize=True)
        from embedlab.learn.networks import materialize

        net = materialize(net, (1, 28, 28)).eval()
        with torch.no_grad():
            z = net(torch.as_tensor(X))
        assert z.shape == (8, 6)
        assert torch.allclose(z.norm(dim=1), torch.ones(8), atol=1e-5)


def test_seed_cnn_infers_input_size_for_8x8_and_28x28():
    from embedlab.learn.networks import materialize, seed_cnn

    for size, flat in ((8, 32), (28, 11 * 11 * 32)):
        net = materialize(seed_cnn(), (1, size, size))
        linear = [m for m in net.modules() if isinstance(m, torch.nn.Linear)][0]
        assert linear.in_features == flat


def test_uint8_images_are_scaled_by_255(one_thread):
    from embedlab.learn.trainer import as_image_tensor

    t = as_image_tensor(np.full((2, 4, 4), 255, dtype=np.uint8))
    assert t.shape == (2, 1, 4, 4) and float(t.max()) == 1.0


def test_bad_inputs_and_configs(digits):
    X, y = digits["train"].X, digits["train"].y
    with pytest.raises(InputError, match="rows but y has.*inconsistent numbers of samples"):
        MetricLearner(epochs=1, progress=False).fit(X, y[:-1])
    with pytest.raises(InputError, match=r"shape \(N, H, W\).*Reshape your data"):
        MetricLearner(epochs=1, progress=False).fit(X[0, 0, 0], y[:8])
    with pytest.raises(ConfigError, match="margin"):
        MetricLearner(loss={"name": "triplet", "params": {"margin": -1}}, epochs=1).fit(X, y)
    with pytest.raises(embedlab.UnknownPluginError, match="batch-hrad.*batch-hard"):
        MetricLearner(miner="batch-hrad").resolved()
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MetricLearner().transform(X)


def test_pml_loss_and_miner_objects_train_and_reduce_the_loss(digits, one_thread):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    miners = pytest.importorskip("pytorch_metric_learning.miners")
    X, y = digits["train"].X[:600], digits["train"].y[:600]
    for miner in (miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard"), miners.BatchHardMiner()):
        loss = losses.TripletMarginLoss(margin=0.2)
        m = MetricLearner(model="mlp", loss=loss, miner=miner, epochs=4, progress=False).fit(X, y)
        history = [r["train_loss"] for r in m.history_]
        assert history[-1] < history[0]
        assert m.components_["loss"] == {"name": "TripletMarginLoss", "object": loss}
        assert m.history_[0]["triplets"] > 0
        assert m.transform(X[:3]).shape[0] == 3


def test_pml_objects_survive_get_params_and_clone():
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    miners = pytest.importorskip("pytorch_metric_learning.miners")
    m = MetricLearner(loss=losses.TripletMarginLoss(margin=0.3), miner=miners.BatchHardMiner(), epochs=2)
    assert m.get_params()["loss"] is m.loss
    c = clone(m)
    assert type(c.loss) is type(m.loss) and c.loss is not m.loss and c.loss.margin == 0.3
    assert c.resolved()["miner"]["name"] == "BatchHardMiner"


def test_a_pml_loss_with_weights_of_its_own_is_trained_with_the_network(digits, one_thread):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    X, y = digits["train"].X[:300], digits["train"].y[:300]
    loss = losses.ProxyAnchorLoss(num_classes=10, embedding_size=8)
    before = loss.proxies.detach().clone()
    model = {"name": "mlp", "params": {"embedding_dim": 8}}
    MetricLearner(model=model, loss=loss, miner=None, epochs=2, progress=False).fit(X, y)
    assert not torch.equal(before, loss.proxies.detach())


def test_the_trainer_takes_pml_objects(digits, one_thread):
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    miners = pytest.importorskip("pytorch_metric_learning.miners")
    from embedlab.learn.networks import materialize
    from embedlab.learn.trainer import Trainer

    net = materialize(embedlab.create("backend", "mlp"), (1, 8, 8))
    trainer = Trainer(net, losses.TripletMarginLoss(), miners.BatchHardMiner(), epochs=3, progress=False)
    history = trainer.fit(digits["train"].X[:600], digits["train"].y[:600])
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_bad_loss_and_miner_objects_are_refused_naming_the_parameter():
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    miners = pytest.importorskip("pytorch_metric_learning.miners")
    with pytest.raises(ConfigError, match=r"^loss: 42 \(int\) is not a loss; pass a registered name"):
        MetricLearner(loss=42).resolved()
    with pytest.raises(ConfigError, match="^loss: got the class TripletMarginLoss.*TripletMarginLoss\\(\\)"):
        MetricLearner(loss=losses.TripletMarginLoss).resolved()
    with pytest.raises(ConfigError, match="^miner: TripletMarginLoss is a loss, not a miner; pass it as loss="):
        MetricLearner(miner=losses.TripletMarginLoss()).resolved()
    with pytest.raises(ConfigError, match="^loss: BatchHardMiner is a miner, not a loss; pass it as miner="):
        MetricLearner(loss=miners.BatchHardMiner()).resolved()
    with pytest.raises(ConfigError, match="^loss: SemihardMiner is a miner"):
        MetricLearner(loss=embedlab.create("miner", "semihard")).resolved()
    from embedlab.learn.networks import materialize
    from embedlab.learn.trainer import Trainer

    net = materialize(embedlab.create("backend", "mlp"), (1, 8, 8))
    with pytest.raises(ConfigError, match="^miner: .*not a miner"):
        Trainer(net, losses.TripletMarginLoss(), miner="batch-hard")


def test_an_embedlab_miner_object_brings_its_recipe():
    spec = MetricLearner(miner=embedlab.create("miner", "batch-hard")).resolved()
    assert spec["sampler"] == "m-per-class" and spec["miner"]["name"] == "BatchHardMiner"
