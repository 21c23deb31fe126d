"""Loss and miner objects given directly, such as PyTorch Metric Learning's, under embedlab's contracts.

:class:`~embedlab.learn.MetricLearner` and :class:`~embedlab.learn.trainer.Trainer` take a loss
or miner object as well as a registered name: ``MetricLearner(loss=losses.TripletMarginLoss(
margin=0.2), miner=miners.BatchHardMiner())``. :func:`as_loss` and :func:`as_miner` check such
an object and adapt it:

* a PyTorch Metric Learning (PML) loss is called as ``loss(embeddings, labels, indices)``
  (:class:`~embedlab.protocols.LossProtocol`; ``indices`` is PML's ``indices_tuple``), and a
  PML miner as ``miner(embeddings, labels)`` returning PML's index tuple
  (:class:`~embedlab.protocols.MinerProtocol`), both with labels as a LongTensor on the
  embeddings' device; a PML loss with weights of its own (a proxy loss) is trained with the
  network;
* any other callable is taken to follow embedlab's contracts and is used as it is;
* a class instead of an instance, a miner given as the loss (or the reverse), or an object
  that cannot be called is refused with a :class:`~embedlab.errors.ConfigError` naming the
  parameter.

Nothing here imports PML: its objects are recognised by the package of their classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

from embedlab.errors import ConfigError
from embedlab.learn._checks import to_long_labels

__all__ = ["PMLLoss", "PMLMiner", "as_loss", "as_miner"]

_PML = "pytorch_metric_learning"
_EXAMPLE = {
    "loss": "'triplet' or pytorch_metric_learning.losses.TripletMarginLoss(margin=0.2)",
    "miner": "'batch-hard' or pytorch_metric_learning.miners.BatchHardMiner()",
}


def _pml_kind(obj: object) -> str | None:
    """``"loss"`` or ``"miner"`` for a PML loss or miner object, ``None`` for anything else."""
    for cls in type(obj).__mro__:
        if cls.__module__.startswith(f"{_PML}.losses"):
            return "loss"
        if cls.__module__.startswith(f"{_PML}.miners"):
            return "miner"
    return None


def _kind_of(obj: object) -> str | None:
    """The kind an object declares: PML's by its package, embedlab's by its ``kind`` attribute."""
    kind = _pml_kind(obj)
    if kind is None:
        declared = getattr(type(obj), "kind", None)
        kind = declared if declared in ("loss", "miner") else None
    return kind


def _check(obj: object, kind: str, what: str) -> None:
    """Refuse what cannot be a ``kind`` object, naming the parameter ``what`` and the fix."""
    if isinstance(obj, type):
        raise ConfigError(
            f"{what}: got the class {obj.__name__}, not an object; pass an instance such as {obj.__name__}()"
        )
    declared = _kind_of(obj)
    if declared is not None and declared != kind:
        raise ConfigError(
            f"{what}: {type(obj).__name__} is a {declared}, not a {kind}; pass it as {declared}="
        )
    if not callable(obj):
        raise ConfigError(
            f"{what}: {obj!r:.60} ({type(obj).__name__}) is not a {kind}; pass a registered name, "
            f"a {{'name': ..., 'params': {{...}}}} spec or a {kind} object, such as {_EXAMPLE[kind]}"
        )


def _labels(labels: Any, embeddings: torch.Tensor) -> torch.Tensor:
    """Labels as PML wants them: a LongTensor on the embeddings' device."""
    return to_long_labels(labels, embeddings.device, "labels")


class _PMLModule:
    """What both adapters share: the wrapped PML module, its weights and a one-line repr."""

    def __init__(self, pml: Any) -> None:
        self.pml = pml

    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]:
        """The PML module's trainable tensors (a proxy loss's proxies; none for most)."""
        params: Iterator[torch.nn.Parameter] = self.pml.parameters(recurse)
        return params

    def to(self, device: torch.device | str) -> _PMLModule:
        """Move the PML module's weights to ``device`` (in place, as ``torch.nn.Module.to``)."""
        self.pml.to(device)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.pml).__name__})"


class PMLLoss(_PMLModule):
    """A PML loss object called as an embedlab loss: ``loss(embeddings, labels, indices=None)``."""

    def __call__(
        self, embeddings: torch.Tensor, labels: Any, indices: tuple[torch.Tensor, ...] | None = None
    ) -> torch.Tensor:
        """The loss value; ``indices`` (a miner's tuple, ``None`` for every one) is PML's ``indices_tuple``."""
        tuple_ = None if indices is None else tuple(indices)
        value: torch.Tensor = self.pml(embeddings, _labels(labels, embeddings), tuple_)
        return value


class PMLMiner(_PMLModule):
    """A PML miner object called as an embedlab miner: ``miner(embeddings, labels)``."""

    def __call__(self, embeddings: torch.Tensor, labels: Any) -> tuple[torch.Tensor, ...]:
        """PML's index tuple: ``(anchors, positives, negatives)`` or ``(a1, positives, a2, negatives)``."""
        return tuple(self.pml(embeddings, _labels(labels, embeddings)))


def _adapt(obj: Any, kind: str, what: str) -> Any:
    """Check ``obj`` as a ``kind`` object; wrap a PML one, return any other as it is."""
    _check(obj, kind, what)
    if _pml_kind(obj) == kind:
        return (PMLLoss if kind == "loss" else PMLMiner)(obj)
    return obj


def as_loss(obj: Any, what: str = "loss") -> Callable[..., torch.Tensor]:
    """``obj`` as an embedlab loss: a PML loss wrapped in :class:`PMLLoss`, another callable as it is.

    Raises
    ------
    ConfigError
        Naming ``what``, for a class, a miner, or an object that cannot be called.
    """
    loss: Callable[..., torch.Tensor] = _adapt(obj, "loss", what)
    return loss


def as_miner(obj: Any, what: str = "miner") -> Callable[..., tuple[torch.Tensor, ...]]:
    """``obj`` as an embedlab miner: a PML miner wrapped in :class:`PMLMiner`, another callable as it is.

    Raises
    ------
    ConfigError
        Naming ``what``, for a class, a loss, or an object that cannot be called.
    """
    miner: Callable[..., tuple[torch.Tensor, ...]] = _adapt(obj, "miner", what)
    return miner
