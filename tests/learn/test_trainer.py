from contextlib import nullcontext

import pytest
import torch

from embedlab.errors import ConfigError, InputError, TrainingError
from embedlab.learn.losses import TripletLoss
from embedlab.learn.miners import BatchHardMiner
from embedlab.learn.networks import materialize, mlp, seed_cnn
from embedlab.learn.trainer import Trainer


def data(n=120, classes=4, dim=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(classes, dim, generator=g) * 3
    y = torch.arange(n) % classes
    return centers[y] + torch.randn(n, dim, generator=g), y


def make_trainer(tmp_path=None, seed=0, **kw):
    torch.manual_seed(seed)
    model = materialize(mlp(hidden=(16,), embedding_dim=4), (6,))
    settings = dict(epochs=3, batch_size=32, progress=False, seed=seed, sampler="m-per-class")
    settings.update(kw)
    if tmp_path is not None:
        settings["checkpoint_dir"] = tmp_path
    return Trainer(model, TripletLoss(distance="euclidean", margin=0.2), BatchHardMiner(), **settings)


def weights(trainer):
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


def test_history_records_each_epoch_with_validation():
    X, y = data()
    Xv, yv = data(40, seed=1)
    history = make_trainer().fit(X, y, Xv, yv)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for h in history:
        assert {"train_loss", "val_loss", "val_precision_at_1", "triplets", "epoch_time_s"} <= set(h)
        assert 0 <= h["val_precision_at_1"] <= 1
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_seeded_runs_are_identical():
    X, y = data()
    a, b = make_trainer(), make_trainer()
    a.fit(X, y)
    b.fit(X, y)
    assert all(torch.equal(v, weights(b)[k]) for k, v in weights(a).items())


def test_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one(tmp_path):
    X, y = data()
    full = make_trainer()
    full.fit(X, y)

    def interrupt(record):
        if record["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        make_trainer(tmp_path, callbacks=[interrupt]).fit(X, y)
    assert (tmp_path / "last.pt").is_file()
    assert torch.load(tmp_path / "last.pt", weights_only=True)["epoch"] == 2
    resumed = make_trainer(tmp_path, seed=0, resume=True)
    history = resumed.fit(X, y)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert all(torch.equal(v, weights(resumed)[k]) for k, v in weights(full).items())


def test_checkpoints_are_atomic_and_loadable_with_weights_only(tmp_path):
    X, y = data()
    make_trainer(tmp_path).fit(X, y)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["epoch"] == 3 and len(state["history"]) == 3


def test_nan_loss_stops_with_clear_error_and_keeps_last_good_checkpoint(tmp_path):
    X, y = data()

    class ExplodingLoss(TripletLoss):
        calls = 0

        def compute(self, embeddings, labels, indices):
            ExplodingLoss.calls += 1
            value = super().compute(embeddings, labels, indices)
            return value * float("nan") if ExplodingLoss.calls > 6 else value  # epoch 2 (4 batches an epoch)

    torch.manual_seed(0)
    model = materialize(mlp(hidden=(16,), embedding_dim=4), (6,))
    trainer = Trainer(
        model,
        ExplodingLoss(distance="euclidean"),
        BatchHardMiner(),
        epochs=3,
        batch_size=32,
        progress=False,
        checkpoint_dir=tmp_path,
    )
    with pytest.raises(TrainingError, match=r"loss became nan at epoch 2.*last good checkpoint"):
        trainer.fit(X, y)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["model"].values())


def test_early_stopping_restores_the_best_epoch():
    X, y = data()
    Xv, yv = data(40, seed=1)
    trainer = make_trainer(epochs=30, patience=2, monitor="val_loss", lr=0.5, optimizer="sgd")
    history = trainer.fit(X, y, Xv, yv)
    assert len(history) < 30
    best = min(h["val_loss"] for h in history)
    assert trainer._val_loss(torch.as_tensor(Xv), yv) == pytest.approx(best, rel=1e-5)


def test_warmup_epochs_train_without_the_miner():
    X, y = data()
    history = make_trainer(warmup_epochs=1).fit(X, y)
    assert history[0]["triplets"] == -1 and history[1]["triplets"] > 0


@pytest.mark.parametrize("sampler", ["random", "class-balanced"])
def test_other_samplers_train(sampler):
    X, y = data()
    assert len(make_trainer(sampler=sampler, epochs=1).fit(X, y)) == 1


def test_bad_settings_and_data():
    with pytest.raises(ConfigError, match="monitor"):
        make_trainer(monitor="accuracy")
    with pytest.raises(ConfigError, match="resume=True needs checkpoint_dir"):
        make_trainer(resume=True)
    X, y = data()
    with pytest.raises(ConfigError, match="micro_batch"):
        make_trainer(micro_batch=-1)
    with pytest.raises(InputError, match="120 rows but y has 100"):
        make_trainer().fit(X, y[:100])
    X[0, 0] = float("nan")
    with pytest.raises(InputError, match="NaN"):
        make_trainer().fit(X, y)


def conv_images(n=64, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    return torch.rand(n, 1, 12, 12, generator=g) + y.view(-1, 1, 1, 1) / classes, y


def conv_trainer(**kw):
    torch.manual_seed(0)
    model = materialize(seed_cnn(embedding_dim=4), (1, 12, 12))
    # SGD moves the weights by lr × gradient, so equal gradients give equal weights (Adam's
    # normalisation would blow float rounding up to the size of a step).
    settings = dict(epochs=2, batch_size=32, progress=False, sampler="m-per-class", optimizer="sgd", lr=0.01, **kw)
    return Trainer(model, TripletLoss(distance="euclidean", margin=0.2), BatchHardMiner(), **settings)


def assert_close_weights(a, b, atol=1e-5):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    assert all(torch.allclose(wa[k], wb[k], atol=atol) for k in wa)


def test_micro_batches_give_the_whole_batch_gradient():
    X, y = conv_images()
    whole, sliced = conv_trainer(micro_batch=0), conv_trainer(micro_batch=8)
    assert (whole.micro_batch, sliced.micro_batch) == (0, 8)
    whole.fit(X, y)
    sliced.fit(X, y)
    assert_close_weights(whole, sliced)


def test_channels_last_layout_learns_the_same_weights():
    X, y = conv_images()
    nhwc, nchw = conv_trainer(), conv_trainer(channels_last=False)
    conv = next(m for m in nhwc.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not make_trainer().channels_last  # an MLP has no convolution to lay out
    nhwc.fit(X, y)
    nchw.fit(X, y)
    assert_close_weights(nhwc, nchw)


def test_relu_plan_moves_relus_past_pools_and_flattens_and_runs_them_in_place_where_safe():
    from embedlab.learn._relus import relu_plan

    nn = torch.nn
    hooked, shared = nn.Linear(4, 4), nn.ReLU()
    hooked.register_forward_hook(lambda module, args, out: None)
    conv, r_conv, pool, bn, r_bn, flat = nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten()
    lin1, sig, lin2, r_lin, r_hooked = nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.ReLU(), nn.ReLU()
    indexed = nn.MaxPool2d(2, return_indices=True)
    r_before_indexed = nn.ReLU()
    net = nn.Sequential(
        conv, r_conv, pool, bn, r_bn, flat, lin1, shared, sig, shared, lin2, r_lin, hooked, r_hooked
    )
    order, in_place = relu_plan(net)
    assert order == [conv, pool, r_conv, bn, flat, r_bn, lin1, shared, sig, shared, lin2, r_lin, hooked, r_hooked]
    # fed by a pool, by a batch norm through a flatten, by a linear layer; `shared` also by a sigmoid
    assert in_place == [r_conv, r_bn, r_lin]
    order, in_place = relu_plan(nn.Sequential(conv, r_before_indexed, indexed))
    assert order == [conv, r_before_indexed, indexed] and in_place == [r_before_indexed]  # a tuple-returning pool


def _relu_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[int, ...], bool]]:
    """Record the input shape and in-place flag of every ReLU call."""
    calls: list[tuple[tuple[int, ...], bool]] = []
    relu = torch.nn.functional.relu

    def recording(x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        calls.append((tuple(x.shape), inplace))
        return relu(x, inplace=inplace)

    monkeypatch.setattr(torch.nn.functional, "relu", recording)
    return calls


def test_cheaper_relus_act_only_inside_their_sequential_and_are_undone(monkeypatch: pytest.MonkeyPatch):
    from embedlab.learn._relus import cheaper_relus

    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3), nn.ReLU())
    layers = list(net)
    calls = _relu_calls(monkeypatch)
    x = torch.randn(5, 1, 6, 6)
    with cheaper_relus(net) as changed:
        assert changed == 1
        net(x)
        assert calls == [((5, 8), True), ((5, 3), True)]  # after the pool and the flatten, in place
        calls.clear()
        for layer in net:  # a parent calling the layers one by one sees them as they are
            x = layer(x)
        assert calls == [((5, 2, 4, 4), False), ((5, 3), False)]
    assert list(net) == layers and not net._forward_pre_hooks and not net._forward_hooks
    assert not any(m.inplace for m in net if isinstance(m, nn.ReLU))


def test_cheaper_relus_leave_custom_sequentials_and_global_hooks_alone(monkeypatch: pytest.MonkeyPatch):
    from embedlab.learn._relus import cheaper_relus

    nn = torch.nn

    class Residual(nn.Sequential):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self[0](x)
            return self[1](y) + y  # reads the linear layer's output after the ReLU

    residual = Residual(nn.Linear(3, 3), nn.ReLU())
    with cheaper_relus(residual) as changed:
        assert changed == 0
    plain = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    with cheaper_relus(plain) as changed:
        assert changed == 1
    hooks = torch.nn.modules.module
    for register, hook in (
        (hooks.register_module_forward_hook, lambda module, args, out: None),
        (hooks.register_module_full_backward_hook, lambda module, grad_in, grad_out: None),
    ):
        handle = register(hook)
        try:
            with cheaper_relus(plain) as changed:
                assert changed == 0
        finally:
            handle.remove()


def test_cheaper_relus_give_the_same_values_and_gradients():
    from embedlab.learn._relus import cheaper_relus

    torch.manual_seed(0)
    net = materialize(seed_cnn(), (1, 12, 12))
    x = torch.randn(16, 1, 12, 12)
    x[:4] = -x[:4].abs()  # windows whose maximum is negative
    x[4:8] = x[4:8].round()  # ties

    def run() -> tuple[torch.Tensor, list[torch.Tensor]]:
        net.zero_grad()
        out = net(x)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
        return out.detach(), [p.grad.clone() for p in net.parameters()]

    plain_out, plain_grads = run()
    with cheaper_relus(net) as changed:
        assert changed == 1
        out, grads = run()
    assert torch.equal(out, plain_out)
    assert all(torch.equal(a, b) for a, b in zip(grads, plain_grads, strict=True))

    X, y = conv_images()
    default, plain = conv_trainer(), conv_trainer()
    default.fit(X, y)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("embedlab.learn.trainer.cheaper_relus", lambda model: nullcontext(0))
        plain.fit(X, y)
    assert all(torch.equal(a, b) for a, b in zip(weights(default).values(), weights(plain).values(), strict=True))


def test_micro_batches_are_off_for_batch_norm_and_on_cpu_by_default():
    from embedlab.learn.trainer import CPU_MICRO_BATCH

    assert conv_trainer().micro_batch == CPU_MICRO_BATCH
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.LazyLinear(4))
    net = materialize(net, (1, 12, 12))
    trainer = Trainer(net, TripletLoss(), BatchHardMiner(), progress=False)
    assert trainer.micro_batch == 0  # batch statistics depend on the slice


def test_optimizers_are_fused():
    for name in ("adam", "adamw", "sgd"):
        assert make_trainer(optimizer=name).optimizer.param_groups[0]["fused"]


@pytest.mark.gpu
def test_trains_on_cuda_with_amp_and_data_on_the_device():
    X, y = data()
    Xv, yv = data(40, seed=1)
    trainer = make_trainer(device="cuda", amp=True)
    history = trainer.fit(X, y, Xv, yv)
    assert trainer.device.type == "cuda" and trainer.use_amp
    assert all(torch.isfinite(torch.tensor(h["train_loss"])) for h in history)
    assert next(trainer.model.parameters()).device.type == "cuda"


def test_amp_on_cpu_uses_bfloat16_only_where_the_cpu_has_it():
    from embedlab.device import cpu_has_native_bf16

    X, y = data()
    trainer = make_trainer(amp=True, epochs=1)
    assert trainer.use_amp == cpu_has_native_bf16()
    assert not make_trainer().use_amp  # the default keeps CPU runs in float32
    history = trainer.fit(X, y)
    assert torch.isfinite(torch.tensor(history[0]["train_loss"]))
    assert next(trainer.model.parameters()).dtype == torch.float32
