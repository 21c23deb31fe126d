"""The contracts of :mod:`embedlab.protocols`: every built-in component keeps its kind's.

The module is typed, so ``mypy tests/test_protocols.py`` also checks the assignments below
statically (what ``embedlab.create`` returns for a literal kind, and the built-in classes
against the optional capabilities).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import embedlab
from embedlab.data import ArrayDataset
from embedlab.learn.losses import TripletLoss
from embedlab.learn.miners import BatchHardMiner, SemihardMiner
from embedlab.protocols import (
    Backend,
    ClassifierProtocol,
    EmbeddingNetworkProtocol,
    FastLoss,
    FastMiner,
    LossProtocol,
    MeasuredIndices,
    MetricProtocol,
    MinerProtocol,
    RecipeMiner,
    TrainableLoss,
    WordVectorsProtocol,
)
from embedlab.tasks import Task

#: Built-in datasets that need files the tests do not have.
NEEDS_FILES = {"mnist", "fashion-mnist", "dermamnist"}


def builtins(kind: str) -> list[str]:
    return [info.name for info in embedlab.plugins(kind) if info.distribution == "embedlab"]


@pytest.mark.parametrize("name", builtins("miner"))
def test_every_builtin_miner_keeps_the_miner_contract_with_recipe_and_compute(name: str) -> None:
    miner = embedlab.create("miner", name)
    assert isinstance(miner, MinerProtocol)
    assert isinstance(miner, RecipeMiner) and isinstance(miner, FastMiner)
    assert isinstance(type(miner).recipe, dict) and type(miner).recipe["sampler"]
    indices = miner(torch.randn(16, 4), torch.arange(16) % 4)
    assert isinstance(indices, tuple) and all(i.dtype == torch.long for i in indices)


@pytest.mark.parametrize("name", builtins("loss"))
def test_every_builtin_loss_keeps_the_loss_contract_with_compute(name: str) -> None:
    loss = embedlab.create("loss", name)
    assert isinstance(loss, LossProtocol) and isinstance(loss, FastLoss)
    assert not isinstance(loss, TrainableLoss)  # no parameters of its own
    assert loss(torch.randn(16, 4), torch.arange(16) % 4).ndim == 0


@pytest.mark.parametrize("name", builtins("metric"))
def test_every_builtin_metric_keeps_the_metric_contract(name: str) -> None:
    assert isinstance(embedlab.create("metric", name), MetricProtocol)


@pytest.mark.parametrize(
    ("name", "params", "protocol"),
    [
        ("seed-cnn", {}, EmbeddingNetworkProtocol),
        ("mlp", {}, EmbeddingNetworkProtocol),
        ("resnet18", {}, EmbeddingNetworkProtocol),
        ("mobilenet_v2", {}, EmbeddingNetworkProtocol),
        ("mlp-classifier", {}, ClassifierProtocol),
        ("small-cnn-classifier", {}, ClassifierProtocol),
        ("linear-probe", {}, ClassifierProtocol),
        ("gensim", {"source": "default"}, WordVectorsProtocol),
    ],
)
def test_every_builtin_backend_keeps_its_sub_kinds_contract(name: str, params: dict[str, str], protocol: type) -> None:
    backend = embedlab.create("backend", name, **params)
    assert isinstance(backend, protocol) and isinstance(backend, Backend)


def test_the_backend_cases_cover_every_builtin_backend() -> None:
    cases = {"seed-cnn", "mlp", "resnet18", "mobilenet_v2", "mlp-classifier", "small-cnn-classifier"}
    cases |= {"linear-probe", "gensim"}
    assert set(builtins("backend")) == cases


@pytest.mark.parametrize("name", sorted(set(builtins("dataset")) - NEEDS_FILES))
def test_builtin_datasets_are_array_datasets(name: str) -> None:
    assert isinstance(embedlab.create("dataset", name), ArrayDataset)


@pytest.mark.parametrize("name", builtins("task"))
def test_builtin_tasks_are_tasks(name: str) -> None:
    assert isinstance(embedlab.create("task", name), Task)


def test_a_miners_measured_distances_reach_the_loss_as_measured_indices() -> None:
    embeddings, labels = torch.randn(32, 4), torch.arange(32) % 4
    mined = SemihardMiner()(embeddings, labels)
    assert isinstance(mined, MeasuredIndices) and mined.measured is not None
    assert mined.measured.matrix_for(embeddings, "euclidean") is not None
    a, p, n = mined
    assert not isinstance((a, p, n), MeasuredIndices)  # a plain tuple carries nothing
    loss = TripletLoss(distance="euclidean")
    assert torch.equal(loss(embeddings, labels, mined), loss(embeddings, labels, (a, p, n)))


def test_an_nn_module_loss_with_parameters_is_a_trainable_loss() -> None:
    class ProxyLoss(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proxies = torch.nn.Parameter(torch.randn(4, 4))

        def forward(
            self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None = None
        ) -> torch.Tensor:
            return torch.cdist(embeddings, self.proxies)[torch.arange(len(labels)), labels].mean()

    loss = ProxyLoss()
    assert isinstance(loss, TrainableLoss) and not isinstance(loss, FastLoss)
    assert [p.shape for p in loss.parameters()] == [torch.Size([4, 4])]


def test_static_types_of_create_and_the_builtin_classes() -> None:
    # Checked by mypy on this module; at run time, the same objects pass the isinstance checks.
    miner: MinerProtocol = embedlab.create("miner", "batch-hard")
    loss: LossProtocol = embedlab.create("loss", "triplet")
    recipe_miner: RecipeMiner = BatchHardMiner()
    fast_miner: FastMiner = BatchHardMiner()
    fast_loss: FastLoss = TripletLoss()
    task: Task = embedlab.create("task", "words")
    assert all(
        isinstance(x, t)
        for x, t in [
            (miner, MinerProtocol),
            (loss, LossProtocol),
            (recipe_miner, RecipeMiner),
            (fast_miner, FastMiner),
            (fast_loss, FastLoss),
            (task, Task),
        ]
    )


def test_importing_the_protocols_imports_neither_torch_nor_numpy() -> None:
    code = (
        "import sys, embedlab.protocols;"
        "assert not {'torch', 'numpy'} & set(sys.modules), sorted({'torch', 'numpy'} & set(sys.modules))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
