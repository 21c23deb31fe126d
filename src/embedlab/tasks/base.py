"""The task contract: what a ``task:`` plugin gives ``embedlab run`` and ``embedlab tune``.

A task is one kind of experiment (``metric-learning``, ``classification``, ``words``, or a
third-party study). It is a :class:`Task` subclass registered under kind ``task`` through
:func:`~embedlab.hookspecs.embedlab_register_tasks`, so the lab and the tuner find it in the
registry the way they find a loss or a dataset. A task owns:

* its config blocks: ``train:`` (the :attr:`Task.Train` model) and ``study:`` (the
  :attr:`Task.Study` model). Its registered params model, :func:`blocks_model`, holds both,
  so ``embedlab plugins --kind task --json`` shows their schema and
  ``embedlab.create("task", name, train={...}, study={...})`` builds a task with validated blocks;
* its report section: :meth:`Task.run_section` trains, evaluates and writes metrics and
  figures into the run directory, continuing from its checkpoints on resume; it passes each
  epoch's record to :meth:`~embedlab.lab.rundir.RunDirectory.log_epoch` as it ends, so the
  config's ``loggers:`` show the curves live;
* its outputs for the config's ``metrics:``: :attr:`Task.metric_inputs` names the inputs of
  metric plugins it produces, and :meth:`Task.run_section` returns them per split as
  :class:`MetricOutputs`; the lab computes each listed metric on them;
* its headline: :attr:`Task.headline` names the one metric of its section that sums it up,
  which the report's overview and ``run.json`` show;
* its search: :meth:`Task.fit` trains for a number of epochs, reporting the metrics in
  :attr:`Task.reports` after each one; :meth:`Task.trainable` wraps it as the per-trial
  function a tuner runs. A task without ``fit`` cannot be tuned.

Loading the plugin imports the task's module, so keep heavy imports (torch, scikit-learn)
inside the methods.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

import pydantic
from pydantic import Field

from embedlab.errors import ConfigError, InputError
from embedlab.io import safe_name
from embedlab.metrics.params import MetricInputs
from embedlab.params import Params, validate_section
from embedlab.space import apply_params

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory
    from embedlab.tuning.base import Report

__all__ = ["HeadlineMetric", "MetricOutputs", "Task", "TaskTrainable", "blocks_model", "file_name_keys"]


def file_name_keys(names: Any) -> Any:
    """Check that every name (list items, or mapping keys) is a safe file-name part: they name figure files.

    Use it as a field validator of a ``study:`` model; the config error it raises is reported
    under the field's key path (``study.arrows``).
    """
    what = "key" if isinstance(names, dict) else "entry"
    for name in names:
        safe_name(name, what)
    return names


@dataclass(frozen=True)
class HeadlineMetric:
    """The one metric that sums up a report section, found by its key path in the section's metrics.

    Attributes
    ----------
    name
        How the report names it (``"test precision@1"``).
    path
        Keys from the section's metrics down to the number
        (``("retrieval (queries vs train)", "test", "precision_at_1")``).
    """

    name: str
    path: tuple[str, ...]

    def value(self, metrics: Mapping[str, Any]) -> float | None:
        """The metric's value in a section's ``metrics``; ``None`` when it is absent or not a number."""
        node: Any = metrics
        for key in self.path:
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        if isinstance(node, bool) or not isinstance(node, int | float):
            return None
        return float(node)


@dataclass(frozen=True)
class MetricOutputs:
    """One split's outputs of a task, which the config's ``metrics:`` are computed on.

    Fill what the task produces; ``None`` for the rest.

    Attributes
    ----------
    labels
        The split's true labels ``(N,)``.
    scores
        Class scores ``(N, C)``: inputs ``"scores"``, ``metric(labels, scores)``.
    embeddings
        Embeddings ``(N, d)``: inputs ``"embeddings"``, ``metric(embeddings, labels)``.
    reference, reference_labels
        The searched set (the training embeddings, say): inputs ``"retrieval"``,
        ``metric(embeddings, labels, reference, reference_labels)``.
    """

    labels: Any
    scores: Any = None
    embeddings: Any = None
    reference: Any = None
    reference_labels: Any = None

    def arguments(self, inputs: MetricInputs) -> tuple[Any, ...]:
        """The positional arguments of a metric that takes ``inputs``.

        Raises
        ------
        InputError
            If this split lacks what those inputs need (a task that does not return what
            its :attr:`Task.metric_inputs` declares).
        """
        fields = {
            "scores": ("labels", "scores"),
            "embeddings": ("embeddings", "labels"),
            "retrieval": ("embeddings", "labels", "reference", "reference_labels"),
        }[inputs]
        missing = [f for f in fields if getattr(self, f) is None]
        if missing:
            raise InputError(
                f"metric inputs {inputs!r} need {', '.join(missing)}, which the task did not return; "
                "its run_section must fill every field its metric_inputs needs"
            )
        return tuple(getattr(self, f) for f in fields)


class Task(ABC):
    """Base class of a task plugin.

    Subclass it, set the class attributes, implement :meth:`run_section` (and :meth:`fit`
    to make the task tunable), and register the class::

        @embedlab.hookimpl
        def embedlab_register_tasks(register):
            register("toy", ToyTask, params=blocks_model(ToyTask), summary="...")

    Parameters
    ----------
    train, study
        The validated ``train:`` and ``study:`` blocks; their defaults when omitted.
    """

    #: The task's name in messages (its registered name).
    name: ClassVar[str] = "task"
    #: Model of the ``train:`` block: how :meth:`fit` trains.
    Train: ClassVar[type[Params]] = Params
    #: Model of the ``study:`` block: what :meth:`run_section` evaluates and plots.
    Study: ClassVar[type[Params]] = Params
    #: Metrics :meth:`fit` reports each epoch (what ``tune.metric`` may name).
    reports: ClassVar[tuple[str, ...]] = ()
    #: Config components every run of the task builds (``"dataset"``, ``"backend"``).
    needs: ClassVar[tuple[str, ...]] = ()
    #: Inputs of metric plugins its :meth:`run_section` returns per split (see :class:`MetricOutputs`);
    #: a config's ``metrics:`` may list only metrics that take one of them.
    metric_inputs: ClassVar[tuple[MetricInputs, ...]] = ()
    #: The metric that sums up the task's section in the report's overview and ``run.json``.
    headline: ClassVar[HeadlineMetric | None] = None
    #: Whether the task can be tuned: set for subclasses that define :meth:`fit`.
    tunable: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tunable = cls.fit is not Task.fit

    def __init__(self, train: Params | None = None, study: Params | None = None) -> None:
        self.train = train if train is not None else self.Train()
        self.study = study if study is not None else self.Study()

    @classmethod
    def from_config(cls, config: ExperimentConfig, *, study: bool = True) -> Self:
        """Build the task with the config's ``train:`` block (and ``study:`` unless ``study=False``).

        Raises
        ------
        ConfigError
            Naming the block and each bad field.
        """
        train = validate_section(cls.Train, config.train, "train")
        return cls(train, validate_section(cls.Study, config.study, "study") if study else None)

    def missing(self, config: ExperimentConfig) -> list[str]:
        """The components in :attr:`needs` that ``config`` lacks."""
        return [name for name in self.needs if getattr(config, name, None) is None]

    @abstractmethod
    def run_section(
        self, config: ExperimentConfig, run: RunDirectory, section: str, resume: bool
    ) -> dict[str, MetricOutputs] | None:
        """Run the experiment and write its results under ``section`` of the run directory.

        Parameters
        ----------
        config
            A concrete experiment (no search-space specs) naming this task.
        run
            Where metrics (:meth:`~embedlab.lab.rundir.RunDirectory.log_metrics`), figures
            (:meth:`~embedlab.lab.rundir.RunDirectory.add_figure`) and checkpoints go.
        section
            The report section: the config's name, or its part's.
        resume
            Continue an interrupted training from its checkpoints in ``run.checkpoints``.

        Returns
        -------
        dict or None
            Each evaluated split's :class:`MetricOutputs`, holding the inputs named in
            :attr:`metric_inputs`; the lab computes the config's ``metrics:`` on them.
            ``None`` for a task with no ``metric_inputs``.
        """

    def fit(
        self,
        config: ExperimentConfig,
        epochs: int,
        report: Report | None = None,
        *,
        evaluate_test: bool = False,
        progress: bool = False,
    ) -> dict[str, float]:
        """Train ``config`` for ``epochs`` epochs with :attr:`train`; return the last epoch's metrics.

        Parameters
        ----------
        config
            A concrete experiment with the components in :attr:`needs`.
        epochs
            Epochs to train, overriding ``train.epochs``.
        report
            Called after every epoch with the names in :attr:`reports`.
        evaluate_test
            Also score the ``test`` split (``test_*`` metrics in the result).
        progress
            Show a progress bar.

        Raises
        ------
        ConfigError
            For a task that defines no ``fit``: it cannot be tuned.
        """
        raise ConfigError(f"task {self.name!r} cannot be tuned: it trains nothing a tuner could score")

    def trainable(self, config: ExperimentConfig, max_epochs: int) -> TaskTrainable | None:
        """The per-trial function a tuner runs over ``config``'s search space; ``None`` if untunable."""
        return TaskTrainable(self, config, max_epochs) if self.tunable else None


@functools.cache
def blocks_model(task: type[Task]) -> type[Params]:
    """The params model a task registers: its ``train:`` and ``study:`` blocks, each with its defaults."""
    return pydantic.create_model(
        f"{task.__name__}Params",
        __base__=Params,
        __doc__=f"The config blocks of task {task.name!r}.",
        __module__=task.__module__,
        train=(task.Train, Field(default_factory=task.Train, description="The train: block.")),
        study=(task.Study, Field(default_factory=task.Study, description="The study: block.")),
    )


class TaskTrainable:
    """A tuner's trainable for one experiment config: each trial fits the task with its sampled params.

    Parameters
    ----------
    task
        The task that trains; its ``train`` block is rebuilt from each trial's config.
    config
        The experiment, search-space specs included.
    max_epochs
        Epochs each trial trains unless the tuner stops it.
    """

    def __init__(self, task: Task, config: ExperimentConfig, max_epochs: int) -> None:
        self.task = task
        self.config = config
        self.max_epochs = max_epochs

    def __call__(self, params: dict[str, Any], report: Report) -> None:
        """Train one configuration, reporting every epoch."""
        self.run(params, self.max_epochs, report)

    def run(
        self,
        params: dict[str, Any],
        epochs: int,
        report: Report | None = None,
        *,
        evaluate_test: bool = False,
        progress: bool = False,
    ) -> dict[str, float]:
        """Train ``params`` for ``epochs`` epochs and return the final metrics."""
        concrete = apply_params(self.config, params)
        task = type(self.task).from_config(concrete, study=False)
        return task.fit(concrete, epochs, report, evaluate_test=evaluate_test, progress=progress)

    def default_params(self, names: list[str]) -> dict[str, Any]:
        """The value each searched parameter takes when its spec is removed (its default).

        Raises
        ------
        ConfigError
            For a parameter without a default, or one that chooses a component.
        """
        from embedlab.config import COMPONENT_KINDS
        from embedlab.registry import get

        out: dict[str, Any] = {}
        for path in names:
            prefix, _, key = path.rpartition(".")
            if prefix == "train":
                field = self.task.Train.model_fields.get(key)
            else:
                node: Any = self.config
                for part in prefix.split("."):
                    node = node[int(part)] if isinstance(node, list) else getattr(node, part)
                if key == "name":
                    raise ConfigError(f"{path} chooses a component; give tune.baseline.{path} explicitly")
                kind = COMPONENT_KINDS[prefix.split(".")[0]]
                field = get(kind, node.name).params.model_fields.get(key)
            if field is None or field.is_required():
                raise ConfigError(
                    f"{path} has no default to use as the baseline; give tune.baseline.{path} explicitly"
                )
            out[path] = field.get_default(call_default_factory=True)
        return out
