"""The contract of each plugin kind, as :class:`typing.Protocol` classes.

A plugin's factory returns an object of its kind; these protocols say what that object must
offer, so a third-party component works wherever a built-in one does, and a type checker sees
what :func:`embedlab.create` returns. Every protocol here is ``runtime_checkable``:
``isinstance(obj, LossProtocol)`` checks that the members exist (not their signatures).

Some members are optional capabilities, each a protocol of its own that extends the kind's:

* :class:`RecipeMiner`: a miner's ``recipe``, the training setup it needs;
* :class:`FastMiner`, :class:`FastLoss`: ``compute``, the call without per-batch input
  checks that the trainer prefers;
* :class:`MeasuredIndices`: a miner's index tuple that carries the distance matrix it mined
  from (``measured``), which a loss may reuse;
* :class:`TrainableLoss`: a loss with parameters of its own (a ``torch.nn.Module``), which
  the trainer optimises with the network's.

The ``logger`` kind's contract is :class:`LoggerProtocol`. The dataset, tuner and task kinds
are classes or protocols of their own packages: :class:`embedlab.data.ArrayDataset`,
:class:`embedlab.tuning.base.Tuner` and :class:`embedlab.tasks.Task`. This module imports
nothing heavy: torch and numpy appear in annotations only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias, TypedDict, runtime_checkable

if TYPE_CHECKING:
    import os

    import torch

    from embedlab.tracking.base import ParamValue, RunStatus, TrackedRun
    from embedlab.words.evaluation import AnalogyResult, SimilarityResult

__all__ = [
    "Backend",
    "ClassifierProtocol",
    "DistanceMatrix",
    "EmbeddingNetworkProtocol",
    "FastLoss",
    "FastMiner",
    "LoggerProtocol",
    "LossProtocol",
    "MeasuredIndices",
    "MetricProtocol",
    "MinerProtocol",
    "NetworkProtocol",
    "Recipe",
    "RecipeMiner",
    "TrainableLoss",
    "WordVectorsProtocol",
]


class Recipe(TypedDict, total=False):
    """What a miner needs to learn well; :class:`~embedlab.learn.MetricLearner` applies it.

    Each key is applied only where the user left the choice open.
    """

    #: The batch sampler when ``sampler="auto"`` (``"m-per-class"`` gives every batch positives).
    sampler: str
    #: Per loss name, its params when that loss is named without params.
    loss: dict[str, dict[str, Any]]
    #: The network's params when it is named without params (those it has, such as ``normalize``).
    backend: dict[str, Any]
    #: Epochs trained without the miner first when ``warmup_epochs="auto"`` (at most a quarter).
    warmup_epochs: int


@runtime_checkable
class MinerProtocol(Protocol):
    """Kind ``miner``: picks the tuples of a batch that the loss learns from."""

    def __call__(self, embeddings: torch.Tensor, labels: Any) -> tuple[torch.Tensor, ...]:
        """``(anchors, positives, negatives)`` LongTensors of indices into the batch.

        Pair miners return ``(a1, positives, a2, negatives)``, as PyTorch Metric Learning's.
        ``embeddings`` is ``(B, d)``; ``labels`` are ``B`` integers (tensor, array or list).
        """
        ...


@runtime_checkable
class RecipeMiner(MinerProtocol, Protocol):
    """A miner that declares the training setup it needs, as the class variable ``recipe``.

    :class:`~embedlab.learn.MetricLearner` reads it from the registered class (its default
    ``recipe=True``) and applies each key the user left open: batch-hard mining on plain
    random batches has no positives to pick, so its recipe asks for M-per-class batches.
    """

    recipe: ClassVar[Recipe]


@runtime_checkable
class FastMiner(MinerProtocol, Protocol):
    """A miner with ``compute``: the same result without checking its inputs.

    The trainer's inputs are already checked tensors on one device, and checks such as
    "all embeddings finite" would synchronise a GPU every step, so the trainer calls
    ``compute`` when a miner has it and ``__call__`` otherwise.
    """

    def compute(self, embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Mine ``(B, d)`` float ``embeddings`` with ``(B,)`` LongTensor ``labels`` on the same device."""
        ...


class DistanceMatrix(Protocol):
    """A pairwise distance matrix that knows which embeddings it measured."""

    def matrix_for(self, embeddings: torch.Tensor, distance: str) -> torch.Tensor | None:
        """The ``(B, B)`` matrix if it measured exactly ``embeddings`` (unchanged) with ``distance``."""
        ...


@runtime_checkable
class MeasuredIndices(Protocol):
    """A miner's index tuple that also carries the distance matrix the tuples were mined from.

    The hand-off between a miner and a loss: the built-in miners return an
    :class:`~embedlab.learn.miners.Mined` (a plain tuple to any other caller) whose
    ``measured`` is a :class:`~embedlab.learn.distances.Measured`; the ``triplet`` loss takes
    the matrix from it instead of computing it again, but only for the very same,
    unchanged embeddings and the same distance (:meth:`DistanceMatrix.matrix_for`).
    """

    @property
    def measured(self) -> DistanceMatrix | None:
        """The matrix, or ``None`` when the miner kept none."""
        ...


@runtime_checkable
class LossProtocol(Protocol):
    """Kind ``loss``: a scalar loss of a batch of embeddings."""

    def __call__(
        self, embeddings: torch.Tensor, labels: Any, indices: tuple[torch.Tensor, ...] | None = None
    ) -> torch.Tensor:
        """The scalar loss; ``indices`` is a miner's tuple, ``None`` for every valid tuple of the batch."""
        ...


@runtime_checkable
class FastLoss(LossProtocol, Protocol):
    """A loss with ``compute``, called by the trainer without input checks (see :class:`FastMiner`)."""

    def compute(
        self, embeddings: torch.Tensor, labels: torch.Tensor, indices: tuple[torch.Tensor, ...] | None
    ) -> torch.Tensor:
        """The loss of checked inputs; ``indices`` may be a :class:`MeasuredIndices`."""
        ...


@runtime_checkable
class TrainableLoss(LossProtocol, Protocol):
    """A loss with parameters of its own, such as a ``torch.nn.Module`` holding class proxies.

    The trainer gives them to the optimiser with the network's, and in data-parallel
    training averages their gradients across workers.
    """

    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]:
        """The loss's trainable tensors (``torch.nn.Module.parameters``)."""
        ...


@runtime_checkable
class MetricProtocol(Protocol):
    """Kind ``metric``: a score of a task's outputs.

    Its params model (a :class:`~embedlab.metrics.params.MetricParams`) names the ``inputs``
    it takes: classification metrics ``(y_true, y_score)``, embedding metrics
    ``(embeddings, labels)`` (retrieval also a reference set).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> float | Mapping[str, Any]:
        """A number, or a mapping of names to numbers (and nested mappings)."""
        ...


@runtime_checkable
class NetworkProtocol(Protocol):
    """A ``torch.nn.Module`` mapping a batch of inputs to a batch of outputs: what both network backends are."""

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """The outputs of a batch, one row per input."""
        ...

    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]:
        """The trainable tensors."""
        ...


@runtime_checkable
class EmbeddingNetworkProtocol(NetworkProtocol, Protocol):
    """Kind ``backend``, embedding networks: from inputs to embeddings.

    A batch of inputs (``(N, C, H, W)`` images, ``(N, F)`` rows) gives ``(N, d)``
    embeddings. Lazy layers are allowed: :func:`~embedlab.learn.networks.materialize` runs a
    dummy batch before training.
    """


@runtime_checkable
class ClassifierProtocol(NetworkProtocol, Protocol):
    """Kind ``backend``, classifiers: from inputs to class logits.

    A batch of ``(N, ...)`` inputs gives ``(N, num_classes)`` logits;
    :func:`~embedlab.learn.classifier.train_classifier` trains it with cross-entropy.
    """


@runtime_checkable
class WordVectorsProtocol(Protocol):
    """Kind ``backend``, word vectors: what the ``words`` task queries (:class:`embedlab.words.WordVectors`)."""

    @property
    def words(self) -> list[str]:
        """The vocabulary."""
        ...

    @property
    def vector_size(self) -> int:
        """The dimension of the vectors."""
        ...

    def neighbors(self, words: str | Iterable[str], topn: int = 10) -> list[list[tuple[str, float]]]:
        """Per word, its ``topn`` nearest words with their cosine similarity."""
        ...

    def analogy(
        self,
        positive: str | Iterable[str],
        negative: str | Iterable[str] = (),
        topn: int = 10,
        method: str = "3cosadd",
    ) -> list[tuple[str, float]]:
        """The words that complete ``positive - negative``, best first."""
        ...

    def evaluate_analogies(self, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> AnalogyResult:
        """Accuracy on an analogy file (the Google set when ``path`` is ``None``)."""
        ...

    def evaluate_similarity(
        self, path: str | os.PathLike[str] | None = None, **kwargs: Any
    ) -> SimilarityResult:
        """Rank correlation with human similarity judgements."""
        ...


@runtime_checkable
class LoggerProtocol(Protocol):
    """Kind ``logger``: an experiment tracker that ``embedlab run`` sends each section's numbers to.

    One logger object serves one report section: :meth:`start`, then :meth:`log_metrics` once
    per epoch of the section's history and once with its final numbers, then :meth:`finish`,
    also when the section fails. The built-ins are ``tensorboard`` and ``mlflow``
    (:mod:`embedlab.tracking`).
    """

    def start(self, run: TrackedRun, params: Mapping[str, ParamValue]) -> None:
        """Open the tracker's run: ``run`` names it and its folder; ``params`` is the flat config."""
        ...

    def log_metrics(self, step: int, metrics: Mapping[str, float]) -> None:
        """Record ``metrics`` (name to value) at ``step``, the epoch (from 1)."""
        ...

    def finish(self, status: RunStatus) -> None:
        """Close the run: ``"FINISHED"``, ``"FAILED"`` (an error) or ``"KILLED"`` (interrupted)."""
        ...


#: What a ``backend`` factory returns: one of its three sub-kinds.
Backend: TypeAlias = EmbeddingNetworkProtocol | ClassifierProtocol | WordVectorsProtocol
