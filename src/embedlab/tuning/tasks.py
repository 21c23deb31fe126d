"""Turning an experiment config into a trainable: one function per ``task``.

``task: classification`` trains a ``backend`` (``mlp-classifier``, ``linear-probe`` or any
module returning logits) on a ``dataset`` with
:func:`embedlab.learn.classifier.train_classifier`, reporting train and validation loss
and accuracy after every epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from embedlab.errors import ConfigError
from embedlab.params import (
    Params,
    Problem,
    concrete,
    did_you_mean,
    section_problems,
    short_repr,
    validate_section,
)
from embedlab.tuning.space import apply_params

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.tuning.base import Report

__all__ = [
    "CLASSIFICATION_REPORTS",
    "METRIC_LEARNING_REPORTS",
    "TASKS",
    "ExperimentTrainable",
    "FittedClassifier",
    "Task",
    "check_task",
    "metric_problem",
    "fit_classification",
    "get_task",
    "run_classification",
    "run_metric_learning",
    "train_problems",
    "validate_train",
]


#: What ``task: classification`` reports each epoch (``val_*``: with a ``val`` or ``test`` split).
CLASSIFICATION_REPORTS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "epoch_time_s",
    "train_time_s",
    "n_params",
)
#: What ``task: metric-learning`` reports each epoch (``val_*``: with a ``val`` split).
METRIC_LEARNING_REPORTS = (
    "epoch",
    "train_loss",
    "val_loss",
    "val_precision_at_1",
    "epoch_time_s",
    "train_time_s",
)


@dataclass
class FittedClassifier:
    """A classification experiment after training: the model, its data and its history."""

    model: Any
    dataset: Any
    history: list[dict[str, float]]
    n_params: int


def fit_classification(
    config: ExperimentConfig,
    epochs: int,
    report: Report | None = None,
    *,
    progress: bool = False,
) -> FittedClassifier:
    """Train a classification experiment's ``backend`` on its ``dataset`` for ``epochs`` epochs.

    Parameters
    ----------
    config
        A concrete config (no search-space specs left) with a ``dataset`` and a ``backend``.
    epochs
        Epochs to train, overriding ``train.epochs``.
    report
        Called after every epoch with the names in :data:`CLASSIFICATION_REPORTS`:
        ``epoch``, ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``,
        ``epoch_time_s``, ``train_time_s`` (cumulative) and ``n_params``.
    progress
        Show a progress bar over epochs.
    """
    import numpy as np
    import torch

    from embedlab.learn.classifier import ClassifierTrainSettings, count_parameters, train_classifier
    from embedlab.registry import create

    if config.dataset is None or config.backend is None:
        raise ConfigError("task classification needs a 'dataset' and a 'backend' (e.g. mlp-classifier)")
    settings = validate_train(ClassifierTrainSettings, {**config.train, "epochs": epochs})
    dataset = config.dataset.create("dataset")
    train = dataset["train"]
    val = dataset.splits.get("val") or dataset.splits.get("test")
    params = dict(config.backend.params)
    params.setdefault("in_features", int(np.prod(dataset.input_shape)))
    params.setdefault("num_classes", dataset.num_classes or int(train.y.max()) + 1)
    torch.manual_seed(config.seed)  # the same initial weights for every trial with the same params
    model = create("backend", config.backend.name, **params)
    n_params = count_parameters(model)
    elapsed = 0.0

    def on_epoch(row: dict[str, float]) -> None:
        nonlocal elapsed
        elapsed += row["epoch_time_s"]
        if report is not None:
            report({**row, "train_time_s": elapsed, "n_params": float(n_params)})

    history = train_classifier(
        model,
        train.X,
        train.y,
        None if val is None else val.X,
        None if val is None else val.y,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        lr=settings.lr,
        weight_decay=settings.weight_decay,
        class_weights=settings.class_weights,
        device=settings.device,
        seed=config.seed,
        callback=on_epoch,
        progress=progress,
    )
    total = sum(row["epoch_time_s"] for row in history)
    history[-1] = {**history[-1], "train_time_s": total, "n_params": float(n_params)}
    return FittedClassifier(model, dataset, history, n_params)


def run_classification(
    config: ExperimentConfig,
    epochs: int,
    report: Report | None = None,
    *,
    evaluate_test: bool = False,
    progress: bool = False,
) -> dict[str, float]:
    """Train a classification experiment (see :func:`fit_classification`); return the last epoch's metrics.

    With ``evaluate_test`` the ``test`` split is scored too (``test_loss``, ``test_accuracy``).
    """
    fitted = fit_classification(config, epochs, report, progress=progress)
    final = dict(fitted.history[-1])
    if evaluate_test and "test" in fitted.dataset.splits:
        test = fitted.dataset["test"]
        final.update(_score(fitted.model, test.X, test.y, prefix="test"))
    return final


def run_metric_learning(
    config: ExperimentConfig,
    epochs: int,
    report: Report | None = None,
    *,
    evaluate_test: bool = False,
    progress: bool = False,
) -> dict[str, float]:
    """Train a metric-learning experiment with :class:`~embedlab.learn.MetricLearner` for ``epochs`` epochs.

    ``report`` is called after every epoch with the names in :data:`METRIC_LEARNING_REPORTS`:
    ``epoch``, ``train_loss``, ``val_loss``, ``val_precision_at_1`` (validation queries
    against the training embeddings), ``epoch_time_s`` and ``train_time_s`` (cumulative). With ``evaluate_test`` the ``test``
    split is scored the same way (``test_precision_at_1``, ``test_map_at_r``).
    """
    from embedlab.learn.estimator import MetricLearner

    if config.dataset is None:
        raise ConfigError("task metric-learning needs a 'dataset'")
    dataset = config.dataset.create("dataset")
    train, val = dataset["train"], dataset.splits.get("val")
    learner = MetricLearner.from_config(config).set_params(epochs=epochs, progress=progress)
    elapsed = 0.0
    rows: list[dict[str, float]] = []

    def on_epoch(record: dict[str, Any]) -> None:
        nonlocal elapsed
        elapsed += record["seconds"]
        row = {
            "epoch": record["epoch"],
            "train_loss": record["loss"],
            "epoch_time_s": record["seconds"],
            "train_time_s": elapsed,
            **{k: record[k] for k in ("val_loss", "val_precision_at_1") if k in record},
        }
        rows.append(row)
        if report is not None:
            report(row)

    learner.fit(train.X, train.y, *((val.X, val.y) if val is not None else ()), callbacks=[on_epoch])
    final = dict(rows[-1])
    if evaluate_test and "test" in dataset.splits:
        from embedlab.metrics.retrieval import retrieval

        test = dataset["test"]
        scores = retrieval(learner.transform(test.X), test.y, learner.transform(train.X), train.y, ks=(1,))
        final.update(test_precision_at_1=scores["precision_at_1"], test_map_at_r=scores["map_at_r"])
    return final


def _score(model: Any, X: Any, y: Any, prefix: str) -> dict[str, float]:
    import torch

    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(X, dtype=torch.float32, device=device))
        target = torch.as_tensor(y, dtype=torch.long, device=device)
        loss = torch.nn.functional.cross_entropy(logits, target)
        accuracy = (logits.argmax(dim=1) == target).float().mean()
    return {f"{prefix}_loss": float(loss), f"{prefix}_accuracy": float(accuracy)}


def validate_train(model: type[Params], train: dict[str, Any]) -> Any:
    """Validate a ``train:`` block against a task's settings model (a :class:`ConfigError` names each bad field)."""
    return validate_section(model, train, "train")


def train_problems(data: dict[str, Any]) -> list[Problem]:
    """Check a raw config's ``task`` (one that trains) and its ``train:`` block, without raising.

    Search-space specs in ``train`` are left to :func:`~embedlab.tuning.api.check_space`.
    :func:`embedlab.tune` runs this when it loads the config, so that these problems are
    listed with every other problem of the file.

    Returns
    -------
    list of Problem
        ``(key path, message)`` pairs: an unknown task with the closest names, or each bad
        field of ``train``.
    """
    task, train = data.get("task"), data.get("train", {})
    if not isinstance(task, str) and task is not None:
        return []  # not a name: the config's own validation reports it
    if task not in TASKS:
        known = f"(tasks that train: {', '.join(sorted(TASKS))})"
        if task is None:
            return [(("task",), f"missing; set it to the task to run {known}")]
        return [(("task",), f"{short_repr(task)} cannot be tuned {known}{did_you_mean(task, TASKS)}")]
    if not isinstance(train, dict):
        return []
    return section_problems(TASKS[task].settings_model(), concrete(train), ("train",))


@dataclass(frozen=True)
class Task:
    """How one ``task`` trains: its run function, its ``train:`` settings model, and the
    metrics its ``report`` callback emits each epoch (what ``tune.metric`` may name)."""

    run: Callable[..., dict[str, float]]
    settings: str  # "module:attr" of the settings model, imported on use
    reports: tuple[str, ...]
    needs: tuple[str, ...]  # the config's components every trial builds

    def settings_model(self) -> type[Params]:
        """Import and return the ``train:`` settings model."""
        import importlib

        module, _, attr = self.settings.partition(":")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


TASKS: dict[str, Task] = {
    "classification": Task(
        run_classification,
        "embedlab.learn.classifier:ClassifierTrainSettings",
        CLASSIFICATION_REPORTS,
        ("dataset", "backend"),
    ),
    "metric-learning": Task(
        run_metric_learning,
        "embedlab.learn.params:MetricLearnerSettings",
        METRIC_LEARNING_REPORTS,
        ("dataset",),
    ),
}


def get_task(name: str | None) -> Task:
    """Return the task an experiment names.

    Raises
    ------
    ConfigError
        For a missing or unknown task, listing the known ones.
    """
    if name not in TASKS:
        raise ConfigError(f"task {name!r} cannot be tuned; set task to one of: {', '.join(sorted(TASKS))}")
    return TASKS[name]


def metric_problem(task: str | None, metric: str) -> str | None:
    """Why ``tune.metric`` cannot score a search of ``task``, or ``None`` when the task reports it."""
    reports = get_task(task).reports
    if metric in reports:
        return None
    return (
        f"{metric!r} is not reported by task {task!r}, so no trial could be scored"
        f"{did_you_mean(metric, reports)} Task {task!r} reports: {', '.join(reports)}."
    )


def check_task(config: ExperimentConfig, metric: str) -> None:
    """Refuse, before any trial starts, a config every trial of its task would fail on.

    Raises
    ------
    ConfigError
        For a component the task needs that the config lacks, or a ``tune.metric`` the task
        never reports (naming the metric, the task, the closest reported names and all of them).
    """
    task = config.task
    missing = [name for name in get_task(task).needs if getattr(config, name, None) is None]
    if missing:
        raise ConfigError(
            f"task {task!r} needs {' and '.join(map(repr, missing))} in the config (every trial builds "
            "them); add them, as examples/tune_mlp.yaml does"
        )
    problem = metric_problem(task, metric)
    if problem:
        raise ConfigError(f"tune.metric {problem}")


class ExperimentTrainable:
    """A :class:`~embedlab.tuning.base.Trainable` built from an experiment config.

    Parameters
    ----------
    config
        The experiment, search-space specs included.
    max_epochs
        Epochs each trial trains unless the tuner stops it.
    """

    def __init__(self, config: ExperimentConfig, max_epochs: int) -> None:
        self.config = config
        self.max_epochs = max_epochs
        self.task = get_task(config.task)

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
        return self.task.run(concrete, epochs, report, evaluate_test=evaluate_test, progress=progress)

    def default_params(self, names: list[str]) -> dict[str, Any]:
        """The value each searched parameter takes when its spec is removed (its default)."""
        out: dict[str, Any] = {}
        for path in names:
            prefix, _, key = path.rpartition(".")
            if prefix == "train":
                field = self.task.settings_model().model_fields.get(key)
            else:
                from embedlab.config import COMPONENT_KINDS
                from embedlab.registry import get

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
