"""Register PyTorch Metric Learning (PML) losses and miners as ``pml-<name>``.

``pml-triplet-margin`` is ``pytorch_metric_learning.losses.TripletMarginLoss``, ``pml-batch-hard``
is ``miners.BatchHardMiner``, and so on. Every keyword argument goes to the PML class; the
extra ``distance`` parameter picks a PML distance by embedlab's names. PML (and torch) are
imported only when a component is created, so listing plugins stays light.

Only losses without trainable parameters are registered (proxy and classification losses such
as ArcFace keep their own weights, which embedlab's trainer does not optimise).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from pydantic import ConfigDict, Field

import embedlab
from embedlab.errors import ConfigError
from embedlab.params import Params

__all__ = ["LOSSES", "MINERS", "PMLParams", "PMLLoss", "PMLMiner", "pml_name"]

#: PML loss classes registered (none of them has trainable parameters).
LOSSES = (
    "AngularLoss",
    "CircleLoss",
    "ContrastiveLoss",
    "FastAPLoss",
    "GeneralizedLiftedStructureLoss",
    "HistogramLoss",
    "IntraPairVarianceLoss",
    "LiftedStructureLoss",
    "MultiSimilarityLoss",
    "NCALoss",
    "NPairsLoss",
    "NTXentLoss",
    "SignalToNoiseRatioContrastiveLoss",
    "SupConLoss",
    "TripletMarginLoss",
    "TupletMarginLoss",
)
#: PML miner classes registered.
MINERS = (
    "AngularMiner",
    "BatchEasyHardMiner",
    "BatchHardMiner",
    "DistanceWeightedMiner",
    "HDCMiner",
    "MultiSimilarityMiner",
    "PairMarginMiner",
    "TripletMarginMiner",
    "UniformHistogramMiner",
)


def pml_name(class_name: str) -> str:
    """``TripletMarginLoss`` -> ``pml-triplet-margin``; ``BatchHardMiner`` -> ``pml-batch-hard``."""
    stem = re.sub(r"(Loss|Miner)$", "", class_name)
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+", stem)
    return "pml-" + "-".join(w.lower() for w in words)


class PMLParams(Params):
    """Keyword arguments of a PML loss or miner, passed through (PML checks them)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    distance: Literal["euclidean", "squared-euclidean", "cosine"] | None = Field(
        None,
        description="PML distance: 'euclidean' (LpDistance, not normalised), 'squared-euclidean' "
        "(power 2), 'cosine' (CosineSimilarity); None keeps the class's default.",
    )

    def as_kwargs(self) -> dict[str, Any]:
        """Declared fields plus every extra keyword."""
        return {**super().as_kwargs(), **(self.model_extra or {})}


def _distance(name: str | None) -> Any:
    if name is None:
        return None
    from pytorch_metric_learning import distances

    if name == "cosine":
        return distances.CosineSimilarity()
    return distances.LpDistance(normalize_embeddings=False, power=2 if name == "squared-euclidean" else 1)


def _build(module: str, class_name: str, params: dict[str, Any]) -> Any:
    import importlib

    cls = getattr(importlib.import_module(f"pytorch_metric_learning.{module}"), class_name)
    distance = _distance(params.pop("distance", None))
    if distance is not None:
        params["distance"] = distance
    try:
        return cls(**params)
    except (TypeError, ValueError, AssertionError) as exc:
        raise ConfigError(f"{pml_name(class_name)}: PML's {class_name} refused {params}: {exc}") from None


class PMLLoss:
    """A PML loss called as ``loss(embeddings, labels, indices=None)``."""

    def __init__(self, class_name: str, **params: Any) -> None:
        self.pml = _build("losses", class_name, params)

    def __call__(self, embeddings: Any, labels: Any, indices: tuple | None = None) -> Any:
        """The loss value; ``indices`` is PML's ``indices_tuple``."""
        return self.pml(embeddings, labels, indices)

    def __repr__(self) -> str:
        return f"PMLLoss({self.pml!r})"


class PMLMiner:
    """A PML miner called as ``miner(embeddings, labels)``."""

    def __init__(self, class_name: str, **params: Any) -> None:
        self.pml = _build("miners", class_name, params)

    def __call__(self, embeddings: Any, labels: Any) -> tuple:
        """PML's index tuple: ``(a, p, n)`` or ``(a1, p, a2, n)``."""
        return self.pml(embeddings, labels)

    def __repr__(self) -> str:
        return f"PMLMiner({self.pml!r})"


@embedlab.hookimpl
def embedlab_register_losses(register: Any) -> None:
    """Register PML's parameter-free losses as ``pml-<name>``."""
    for class_name in LOSSES:
        register(
            pml_name(class_name),
            functools.partial(PMLLoss, class_name),
            params=PMLParams,
            summary=f"PyTorch Metric Learning's {class_name}",
        )


@embedlab.hookimpl
def embedlab_register_miners(register: Any) -> None:
    """Register PML's miners as ``pml-<name>``."""
    for class_name in MINERS:
        register(
            pml_name(class_name),
            functools.partial(PMLMiner, class_name),
            params=PMLParams,
            summary=f"PyTorch Metric Learning's {class_name}",
        )
