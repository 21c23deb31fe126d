"""Metric learning: distances, losses, miners, samplers, networks, the trainer and ``MetricLearner``;
and the classifier baselines (:mod:`embedlab.learn.classifier`).

The names below are imported lazily (PEP 562): the plugin module that registers them lives
in this package, and listing plugins must not import torch. ``from embedlab.learn import
MetricLearner`` imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "embedlab.learn.distances": [
        "cosine",
        "euclidean",
        "get_distance",
        "paired_distance",
        "pairwise_distance",
        "squared_euclidean",
    ],
    "embedlab.learn.estimator": ["MetricLearner"],
    "embedlab.learn.losses": ["ContrastiveLoss", "Loss", "MultiSimilarityLoss", "SupConLoss", "TripletLoss"],
    "embedlab.learn.miners": [
        "BatchAllMiner",
        "BatchHardMiner",
        "DistanceWeightedMiner",
        "Miner",
        "RandomMiner",
        "SemihardMiner",
    ],
    "embedlab.learn.samplers": [
        "ClassBalancedSampler",
        "MPerClassSampler",
        "RandomBatchSampler",
        "make_sampler",
    ],
    "embedlab.learn.trainer": ["Trainer"],
    "embedlab.errors": ["TrainingError"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'embedlab.learn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
