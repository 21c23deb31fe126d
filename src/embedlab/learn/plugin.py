"""embedlab's metric-learning components, registered through the ``embedlab`` entry point.

This module imports only the light params models; torch is imported when a component is created.
"""

from __future__ import annotations

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
from embedlab.registry import hookimpl

_LOSSES = "embedlab.learn.losses:"
_MINERS = "embedlab.learn.miners:"
_NETS = "embedlab.learn.networks:"


@hookimpl
def embedlab_register_losses(register: Register) -> None:
    """Register the built-in losses."""
    register(
        "triplet",
        _LOSSES + "TripletLoss",
        params=TripletLossParams,
        summary="triplet margin loss; defaults are the seed's (0.4, squared Euclidean, mean)",
    )
    register(
        "contrastive",
        _LOSSES + "ContrastiveLoss",
        params=ContrastiveLossParams,
        summary="contrastive pair loss with positive and negative margins",
    )
    register(
        "multi-similarity",
        _LOSSES + "MultiSimilarityLoss",
        params=MultiSimilarityLossParams,
        summary="multi-similarity loss (Wang et al. 2019) on cosine similarity",
    )
    register(
        "supcon",
        _LOSSES + "SupConLoss",
        params=SupConLossParams,
        summary="supervised contrastive loss (Khosla et al. 2020) with a temperature",
    )


@hookimpl
def embedlab_register_miners(register: Register) -> None:
    """Register the built-in miners."""
    register(
        "random",
        _MINERS + "RandomMiner",
        params=RandomMinerParams,
        summary="random valid triplets per anchor, as the seed study",
    )
    register(
        "batch-all",
        _MINERS + "BatchAllMiner",
        params=BatchAllMinerParams,
        summary="every valid triplet of the batch, optionally only non-zero-loss ones",
    )
    register(
        "batch-hard",
        _MINERS + "BatchHardMiner",
        params=BatchHardMinerParams,
        summary="per anchor the farthest positive and closest negative (Hermans et al. 2017)",
    )
    register(
        "semihard",
        _MINERS + "SemihardMiner",
        params=SemihardMinerParams,
        summary="semi-hard triplets d(a,p) < d(a,n) <= d(a,p)+margin, in O(B^2 log B)",
    )
    register(
        "distance-weighted",
        _MINERS + "DistanceWeightedMiner",
        params=DistanceWeightedMinerParams,
        summary="distance-weighted negative sampling (Wu et al. 2017)",
    )


@hookimpl
def embedlab_register_backends(register: Register) -> None:
    """Register the built-in embedding networks."""
    register(
        "seed-cnn",
        _NETS + "seed_cnn",
        params=SeedCNNParams,
        summary="the seed study's small CNN; input size inferred (8x8 digits, 28x28 MNIST)",
    )
    register("mlp", _NETS + "mlp", params=MLPParams, summary="flatten, hidden ReLU layers, linear embedding")
    register(
        "resnet18",
        _NETS + "resnet18",
        params=TorchvisionParams,
        summary="torchvision ResNet-18 from scratch, first conv adapted to the input channels",
    )
    register(
        "mobilenet_v2",
        _NETS + "mobilenet_v2",
        params=TorchvisionParams,
        summary="torchvision MobileNetV2 from scratch, first conv adapted to the input channels",
    )
