"""embedlab's metric-learning components, registered through the ``embedlab`` entry point.

:data:`BUILTINS` is the one table of them: per component its kind, name, import string,
params model and summary. The hooks register it as it stands, and the loss and miner classes
take their ``name`` and ``params_model`` from their row (:func:`builtin_for`), so each params
model is named once. This module imports only the light params models; torch is imported when a
component is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from embedlab.hookspecs import Register
from embedlab.learn.params import (
    BatchAllMinerParams,
    BatchHardMinerParams,
    ContrastiveLossParams,
    DistanceWeightedMinerParams,
    MLPParams,
    MultiSimilarityLossParams,
    RandomMinerParams,
    SeedCNNParams,
    SemihardMinerParams,
    SupConLossParams,
    TorchvisionParams,
    TripletLossParams,
)
from embedlab.params import Params
from embedlab.registry import hookimpl

__all__ = ["BUILTINS", "Builtin", "builtin_for"]


@dataclass(frozen=True)
class Builtin:
    """One built-in component: what :class:`~embedlab.hookspecs.Register` is called with.

    Attributes
    ----------
    kind, name
        The plugin kind (``"loss"``) and registered name (``"triplet"``).
    factory
        The import string ``"module:attr"`` of the class or function that builds it.
    params
        Its params model.
    summary
        The line ``embedlab plugins`` shows: what the component is.
    """

    kind: str
    name: str
    factory: str
    params: type[Params]
    summary: str


_LOSSES = "embedlab.learn.losses:"
_MINERS = "embedlab.learn.miners:"
_NETS = "embedlab.learn.networks:"
_TORCHVISION = "from scratch, its first convolution adapted to the input channels"

#: Every built-in metric-learning component, in the order ``embedlab plugins`` lists them.
BUILTINS: tuple[Builtin, ...] = (
    Builtin(
        "loss",
        "triplet",
        _LOSSES + "TripletLoss",
        TripletLossParams,
        "triplet margin loss max(d(a,p) - d(a,n) + margin, 0); "
        "by default margin 0.4, squared Euclidean, mean",
    ),
    Builtin(
        "loss",
        "contrastive",
        _LOSSES + "ContrastiveLoss",
        ContrastiveLossParams,
        "contrastive pair loss with positive and negative margins",
    ),
    Builtin(
        "loss",
        "multi-similarity",
        _LOSSES + "MultiSimilarityLoss",
        MultiSimilarityLossParams,
        "multi-similarity loss (Wang et al. 2019) on cosine similarity",
    ),
    Builtin(
        "loss",
        "supcon",
        _LOSSES + "SupConLoss",
        SupConLossParams,
        "supervised contrastive loss (Khosla et al. 2020) with a temperature",
    ),
    Builtin(
        "miner",
        "random",
        _MINERS + "RandomMiner",
        RandomMinerParams,
        "per anchor, random valid triplets: a random positive and a random negative",
    ),
    Builtin(
        "miner",
        "batch-all",
        _MINERS + "BatchAllMiner",
        BatchAllMinerParams,
        "every valid triplet of the batch, optionally only non-zero-loss ones",
    ),
    Builtin(
        "miner",
        "batch-hard",
        _MINERS + "BatchHardMiner",
        BatchHardMinerParams,
        "per anchor the farthest positive and closest negative (Hermans et al. 2017)",
    ),
    Builtin(
        "miner",
        "semihard",
        _MINERS + "SemihardMiner",
        SemihardMinerParams,
        "semi-hard triplets d(a,p) < d(a,n) <= d(a,p)+margin, in O(B^2 log B)",
    ),
    Builtin(
        "miner",
        "distance-weighted",
        _MINERS + "DistanceWeightedMiner",
        DistanceWeightedMinerParams,
        "distance-weighted negative sampling (Wu et al. 2017)",
    ),
    Builtin(
        "backend",
        "seed-cnn",
        _NETS + "seed_cnn",
        SeedCNNParams,
        "the Conv8-Conv16-Pool-Conv32 embedding network of the triplet exercise; input size inferred",
    ),
    Builtin("backend", "mlp", _NETS + "mlp", MLPParams, "flatten, hidden ReLU layers, linear embedding"),
    Builtin(
        "backend", "resnet18", _NETS + "resnet18", TorchvisionParams, f"torchvision ResNet-18 {_TORCHVISION}"
    ),
    Builtin(
        "backend",
        "mobilenet_v2",
        _NETS + "mobilenet_v2",
        TorchvisionParams,
        f"torchvision MobileNetV2 {_TORCHVISION}",
    ),
)

_BY_FACTORY = {b.factory: b for b in BUILTINS}


def builtin_for(cls: type) -> Builtin | None:
    """The row of :data:`BUILTINS` whose factory is ``cls`` (by import string), or ``None``."""
    return _BY_FACTORY.get(f"{cls.__module__}:{cls.__qualname__}")


def _register(kind: str, register: Register) -> None:
    for builtin in BUILTINS:
        if builtin.kind == kind:
            register(builtin.name, builtin.factory, params=builtin.params, summary=builtin.summary)


@hookimpl
def embedlab_register_losses(register: Register) -> None:
    """Register the built-in losses."""
    _register("loss", register)


@hookimpl
def embedlab_register_miners(register: Register) -> None:
    """Register the built-in miners."""
    _register("miner", register)


@hookimpl
def embedlab_register_backends(register: Register) -> None:
    """Register the built-in embedding networks."""
    _register("backend", register)
