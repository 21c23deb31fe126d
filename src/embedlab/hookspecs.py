"""Hook specifications: one hook per plugin kind.

A plugin is a module (or object) found through the ``embedlab`` entry-point group. It
implements any of the hooks below with :data:`embedlab.hookimpl` and, inside each, calls
``register`` once per component::

    import embedlab
    from pydantic import Field

    class ScaledParams(embedlab.Params):
        factor: float = Field(2.0, gt=0, description="Multiplier.")

    @embedlab.hookimpl
    def embedlab_register_metrics(register):
        register("scaled-accuracy", "my_pkg.metrics:ScaledAccuracy",
                 params=ScaledParams, summary="Accuracy times a factor.")

``register(name, factory, *, params=None, summary="")`` (typed :class:`Register`) takes:

``name``
    The component's name, unique within its kind (``"triplet"``, ``"digits"``).
``factory``
    A callable, or an import string ``"package.module:attr"`` that is imported only when
    the component is created, so listing plugins never imports heavy libraries.
    It is called with the validated parameters as keyword arguments.
``params``
    A :class:`embedlab.Params` subclass (a pydantic model). It validates parameters,
    documents them, and gives their JSON schema to ``embedlab plugins --json``. Omitted, it
    is the factory's own ``params_model`` attribute when the factory is a class that declares
    one, so the model is declared once; otherwise the component takes no parameters.
``summary``
    One line shown by ``embedlab plugins``.

embedlab's own components are registered through these same hooks and the same entry-point
group, so every component shows the distribution it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from embedlab.params import Params

hookspec = pluggy.HookspecMarker("embedlab")


class Register(Protocol):
    """The callback each ``embedlab_register_*`` hook receives; annotate a hook's argument with it."""

    def __call__(
        self,
        name: str,
        factory: Callable[..., Any] | str,
        *,
        params: type[Params] | None = None,
        summary: str = "",
    ) -> None:
        """Register one component of the hook's kind (see the module docstring)."""


@hookspec
def embedlab_register_backends(register: Register) -> None:
    """Register embedding backends (kind ``backend``).

    A backend is a source of embeddings: word-vector backends, whose factory returns an
    :class:`embedlab.words.WordVectors`, and trainable embedding networks, whose factory
    returns a ``torch.nn.Module`` mapping a batch of inputs to a batch of embeddings
    (or, for a classifier, to class logits). The contracts:
    :class:`~embedlab.protocols.WordVectorsProtocol`,
    :class:`~embedlab.protocols.EmbeddingNetworkProtocol`,
    :class:`~embedlab.protocols.ClassifierProtocol`.
    """


@hookspec
def embedlab_register_miners(register: Register) -> None:
    """Register miners (kind ``miner``).

    A miner's factory returns a callable ``miner(embeddings, labels)`` that returns a tuple
    of ``torch.LongTensor`` indices, ``(anchors, positives, negatives)`` for triplet miners,
    as PyTorch Metric Learning's miners do (:class:`~embedlab.protocols.MinerProtocol`). It
    may also declare a ``recipe`` (:class:`~embedlab.protocols.RecipeMiner`), offer a
    ``compute`` fast path (:class:`~embedlab.protocols.FastMiner`) and hand its distance
    matrix to the loss (:class:`~embedlab.protocols.MeasuredIndices`).
    """


@hookspec
def embedlab_register_losses(register: Register) -> None:
    """Register losses (kind ``loss``).

    A loss's factory returns a callable ``loss(embeddings, labels, indices=None)`` that
    returns a scalar tensor. ``indices`` is a tuple from a miner; ``None`` means every
    valid triplet or pair in the batch (:class:`~embedlab.protocols.LossProtocol`). A loss
    that is a ``torch.nn.Module`` with parameters has them optimised with the network's
    (:class:`~embedlab.protocols.TrainableLoss`).
    """


@hookspec
def embedlab_register_metrics(register: Register) -> None:
    """Register metrics (kind ``metric``).

    A metric's factory returns a callable. Classification metrics take
    ``(y_true, y_score)``; embedding metrics take ``(embeddings, labels)``. Each returns a
    float or a mapping of names to floats (:class:`~embedlab.protocols.MetricProtocol`).
    """


@hookspec
def embedlab_register_tuners(register: Register) -> None:
    """Register hyperparameter tuners (kind ``tuner``).

    A tuner's factory returns an object with a ``tune(trainable, space, **settings)``
    method that returns a :class:`embedlab.tuning.TuneResult`.
    """


@hookspec
def embedlab_register_datasets(register: Register) -> None:
    """Register datasets (kind ``dataset``).

    A dataset's factory returns an :class:`embedlab.data.ArrayDataset`: named splits of
    arrays and integer labels, scaled as the study expects.
    """


@hookspec
def embedlab_register_tasks(register: Register) -> None:
    """Register tasks (kind ``task``): the kinds of experiment a config's ``task:`` names.

    A task's factory is a :class:`embedlab.tasks.Task` subclass, and its ``params`` is
    :func:`embedlab.tasks.blocks_model` of that class: the ``train:`` and ``study:`` blocks
    of a config, each validated by the task's own model when :func:`embedlab.run` or
    :func:`embedlab.tune` loads the config. ``embedlab run`` builds the task with a config's
    blocks and calls its ``run_section`` (train, then write metrics and figures into the run
    directory as one report section; continue from checkpoints on resume). ``embedlab tune``
    runs its ``trainable`` per trial, scoring the metrics its ``reports`` lists; a task
    without ``fit`` cannot be tuned::

        @embedlab.hookimpl
        def embedlab_register_tasks(register):
            register("toy", ToyTask, params=blocks_model(ToyTask),
                     summary="Least squares on digits.")
    """


@hookspec
def embedlab_register_loggers(register: Register) -> None:
    """Register experiment trackers (kind ``logger``): where ``embedlab run`` also sends its numbers.

    A logger's factory returns an object with ``start``, ``log_metrics`` and ``finish``
    (:class:`~embedlab.protocols.LoggerProtocol`); a config lists loggers under ``loggers:``
    (``loggers: [tensorboard]``). For each report section, ``embedlab run`` starts it with
    the run's name, folder and flat config, logs every epoch of the section's history and then
    its final numbers, and finishes it with the section's status. A factory whose package is
    missing raises :class:`~embedlab.errors.ConfigError` naming the package and the
    ``pip install`` that adds it, so the run stops before any training::

        @embedlab.hookimpl
        def embedlab_register_loggers(register):
            register("jsonl", "my_pkg.tracking:JsonLinesLogger", params=JsonLinesParams,
                     summary="One JSON line per epoch in the run folder.")
    """
