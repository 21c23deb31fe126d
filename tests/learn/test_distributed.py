"""Two gloo workers train exactly as one process on the global batch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import embedlab
from embedlab.errors import ConfigError
from embedlab.learn.distributed import (
    broadcast_parameters,
    check_workers,
    distributed_step,
    global_slice,
    loss_parameters,
    run_local,
)
from embedlab.learn.networks import materialize, mlp

BATCH = 32
STEPS = 20
CASES = {
    "batch-all": ("triplet", "batch-all"),
    "batch-hard": ("triplet", "batch-hard"),
    "semihard": ("triplet", "semihard"),
    "pml-triplet": ("pml-triplet-margin", None),
    "proxy": ("proxy", None),
    "ddp": ("triplet", "batch-hard"),  # the model wrapped in DistributedDataParallel
}
TRAINED = ("batch-hard", "proxy", "ddp")


class ProxyLoss(nn.Module):
    """A loss with parameters of its own: softmax over negative distances to one proxy per class."""

    def __init__(self, classes: int = 4, dim: int = 4) -> None:
        super().__init__()
        self.proxies = nn.Parameter(torch.randn(classes, dim))

    def forward(
        self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple | None = None
    ) -> torch.Tensor:
        return nn.functional.cross_entropy(-torch.cdist(embeddings, self.proxies), labels)


def data(n: int = 200, classes: int = 4, dim: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(classes, dim, generator=g) * 2
    y = torch.arange(n) % classes
    return centers[y] + torch.randn(n, dim, generator=g), y


def global_batch(step: int) -> torch.Tensor:
    return torch.randperm(200, generator=torch.Generator().manual_seed(step))[:BATCH]


def components(case: str, seed: int) -> tuple[nn.Module, object, object]:
    """Model, loss and miner; ``seed`` sets the initial weights (workers start apart on purpose)."""
    torch.manual_seed(seed)
    # Normalised embeddings: without them a distance loss ignores the last bias, whose gradient is
    # then rounding noise (1e-8) that Adam scales up to full-size steps of arbitrary sign.
    model = materialize(mlp(hidden=(16,), embedding_dim=4, normalize=True), (6,))
    loss_name, miner_name = CASES[case]
    loss = ProxyLoss() if loss_name == "proxy" else embedlab.create("loss", loss_name, margin=0.2)
    miner = embedlab.create("miner", miner_name) if miner_name else None
    return model, loss, miner


def named_parameters(model: nn.Module, loss: object) -> dict[str, torch.Tensor]:
    own = {f"loss.{i}": p for i, p in enumerate(loss_parameters(loss))}
    return {**dict(model.named_parameters()), **own}


def step(model, loss, miner, optimizer, X, y, part: slice, workers: int) -> torch.Tensor:
    """One step on the global batch ``(X, y)``: distributed on this worker's part, or plain torch."""
    if workers > 1:
        return distributed_step(model, loss, miner, optimizer, X[part], y[part])
    optimizer.zero_grad()
    emb = model(X)
    value = loss(emb, y, indices=miner(emb, y) if miner else None)
    value.backward()
    optimizer.step()
    return value.detach()


def run(case: str, rank: int = 0, workers: int = 1) -> dict:
    """Loss and gradients of one step, weights before and after ``STEPS`` Adam steps."""
    X, y = data()
    part = global_slice(BATCH, rank, workers)
    model, loss, miner = components(case, seed=rank)
    params = named_parameters(model, loss)
    if workers > 1:
        broadcast_parameters(params.values())
        if case == "ddp":
            model = nn.parallel.DistributedDataParallel(model)
    snapshot = lambda: {k: p.detach().clone() for k, p in params.items()}  # noqa: E731
    out = {"initial": snapshot()}
    idx = global_batch(0)
    # lr=0 keeps the weights while leaving the step's gradients in .grad.
    out["loss"] = step(
        model, loss, miner, torch.optim.SGD(params.values(), lr=0.0), X[idx], y[idx], part, workers
    )
    out["grads"] = {k: p.grad.clone() for k, p in params.items()}
    if case in TRAINED:
        adam = torch.optim.Adam(params.values(), lr=1e-2)
        for s in range(STEPS):
            idx = global_batch(s)
            step(model, loss, miner, adam, X[idx], y[idx], part, workers)
        out["weights"] = snapshot()
    return out


def worker(rank: int, workers: int, cases: list[str]) -> dict:
    return {case: run(case, rank, workers) for case in cases}


@pytest.fixture(scope="module")
def results() -> tuple[list[str], list[dict]]:
    names = {p.name for p in embedlab.plugins("loss")}
    cases = [c for c in CASES if CASES[c][0] in names or CASES[c][0] == "proxy"]
    return cases, run_local(worker, 2, args=(cases,))


@pytest.mark.parametrize("case", list(CASES))
def test_gradients_equal_one_process(results, case):
    cases, ranks = results
    if case not in cases:
        pytest.skip("the embedlab-pml plugin is not installed (pip install -e plugins/embedlab-pml)")
    single = run(case)
    for got in ranks:  # every worker sees the same global loss and the same averaged gradients
        torch.testing.assert_close(got[case]["loss"], single["loss"], atol=1e-5, rtol=0)
        assert got[case]["grads"].keys() == single["grads"].keys()
        for name, grad in single["grads"].items():
            torch.testing.assert_close(got[case]["grads"][name], grad, atol=1e-5, rtol=0, msg=name)
    assert single["loss"] > 0 and any(g.abs().max() > 0 for g in single["grads"].values())


@pytest.mark.parametrize("case", TRAINED)
def test_weights_after_adam_steps_equal_one_process(results, case):
    _, ranks = results
    single = run(case)
    for got in ranks:
        for name, weight in single["weights"].items():
            torch.testing.assert_close(got[case]["weights"][name], weight, atol=1e-4, rtol=0, msg=name)
    moved = max((single["weights"][k] - w).abs().max() for k, w in single["initial"].items())
    assert moved > 1e-2  # the steps did train


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_bad_worker_count(workers):
    with pytest.raises(ConfigError, match=r"workers=.*whole number >= 1"):
        check_workers(workers, 32)
    with pytest.raises(ConfigError, match="workers"):
        run_local(worker, workers)  # refused before any process starts


def test_indivisible_batch():
    with pytest.raises(ConfigError, match=r"batch_size=30 is not divisible by workers=4.*28 or 32"):
        global_slice(30, 0, 4)


def test_slices_cover_the_global_batch_in_rank_order():
    parts = [global_slice(12, r, 3) for r in range(3)]
    assert [list(range(12))[s] for s in parts] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    with pytest.raises(ConfigError, match="rank=3"):
        global_slice(12, 3, 3)


def uneven_gather(rank: int, workers: int) -> dict:
    """Gather 3 rows from rank 0 and 2 from rank 1; the loss's gradient flows back to each rank's rows."""
    from embedlab.learn.distributed import gather_batch, local_part

    X, y = data(5)
    x = local_part(X, rank, workers).clone().requires_grad_(True)
    gathered, labels = gather_batch(x, local_part(y, rank, workers))
    (gathered**2).sum().backward()
    return {"gathered": gathered.detach(), "labels": labels, "grad": x.grad}


def test_uneven_parts_are_gathered_in_order_with_their_gradient():
    X, y = data(5)
    ranks = run_local(uneven_gather, 2)
    for got in ranks:
        torch.testing.assert_close(got["gathered"], X)
        assert got["labels"].tolist() == y.tolist()
    # each rank's rows get the summed gradient (2 workers x 2x), which averaging halves
    torch.testing.assert_close(torch.cat([r["grad"] for r in ranks]), 2 * 2 * X)


def train_with_trainer(rank: int, workers: int) -> dict:
    """Two epochs of the Trainer on 100 samples in batches of 32: the last batch (4) splits 2 + 2."""
    from embedlab.learn.trainer import Trainer

    X, y = data(100)
    model, loss, miner = components("batch-hard", seed=rank)
    trainer = Trainer(
        model,
        loss,
        miner,
        epochs=2,
        batch_size=32,
        micro_batch=16,
        lr=1e-2,
        seed=1,
        progress=False,
        device="cpu",
        world=(rank, workers) if workers > 1 else None,
    )
    history = trainer.fit(X, y, X[:20], y[:20])
    return {"weights": dict(model.state_dict()), "losses": [r["train_loss"] for r in history]}


def test_the_trainer_across_workers_equals_one_process_with_a_partial_last_batch():
    single = train_with_trainer(0, 1)
    for got in run_local(train_with_trainer, 2):
        assert got["losses"] == pytest.approx(single["losses"], abs=1e-6)
        for name, weight in single["weights"].items():
            torch.testing.assert_close(got["weights"][name], weight, atol=1e-5, rtol=0, msg=name)
