"""``embedlab.tune``: validate an experiment's search, hand it to a tuner, return a TuneResult."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from embedlab.config import Component, ExperimentConfig, as_config
from embedlab.errors import ConfigError, EmbedlabError
from embedlab.params import Problem, did_you_mean, section_problems, short_repr, validate_section
from embedlab.registry import create, get, plugins
from embedlab.space import SearchSpace, apply_params, concrete, find_spaces
from embedlab.tuning.settings import TuneSettings

if TYPE_CHECKING:
    from embedlab.tuning.base import Retrainable
    from embedlab.tuning.result import TuneResult

__all__ = [
    "check_space",
    "check_storage",
    "check_task",
    "get_task",
    "metric_problem",
    "prepare",
    "resolve_settings",
    "search_problems",
    "train_problems",
    "tunable_tasks",
    "tune",
]


def tunable_tasks() -> list[str]:
    """The registered tasks (kind ``task``) that can be tuned: those whose task defines ``fit``."""
    return [info.name for info in plugins("task") if getattr(info.load_factory(), "tunable", False)]


def get_task(name: str | None) -> Any:
    """The task an experiment names, from the registry, built with its default blocks.

    Raises
    ------
    ConfigError
        For a missing or unknown task, or one that cannot be tuned, listing those that can.
    """
    tunable = tunable_tasks()
    if name not in tunable:
        raise ConfigError(
            f"task {name!r} cannot be tuned; set task to one of: {', '.join(sorted(tunable))}"
            f"{did_you_mean(str(name), tunable)}"
        )
    return create("task", name)


def train_problems(data: dict[str, Any]) -> list[Problem]:
    """Check a raw config's ``task`` (one that can be tuned) and its ``train:`` block, without raising.

    Search-space specs in ``train`` are left to :func:`check_space`. :func:`embedlab.tune`
    runs this when it loads the config, so that these problems are listed with every other
    problem of the file.

    Returns
    -------
    list of Problem
        ``(key path, message)`` pairs: a missing, unknown or untunable task with the closest
        names, or each bad field of ``train`` (checked by the task's registered params model).
    """
    task, train = data.get("task"), data.get("train", {})
    if not isinstance(task, str) and task is not None:
        return []  # not a name: the config's own validation reports it
    tunable = tunable_tasks()
    if task not in tunable:
        known = f"(tasks that train: {', '.join(sorted(tunable))})"
        if task is None:
            return [(("task",), f"missing; set it to the task to run {known}")]
        return [(("task",), f"{short_repr(task)} cannot be tuned {known}{did_you_mean(task, tunable)}")]
    if not isinstance(train, dict):
        return []
    return section_problems(get("task", task).params, {"train": concrete(train)}, ())


def search_problems(data: dict[str, Any]) -> list[Problem]:
    """Check a raw config that runs a search: :func:`train_problems`, and its ``metrics:``.

    A search scores its trials by ``tune.metric`` and computes no ``metrics:``, so any entry
    there is a problem. :func:`embedlab.tune` runs this when it loads the config, and
    :func:`embedlab.run` for each experiment that searches.

    Returns
    -------
    list of Problem
        ``(key path, message)`` pairs.
    """
    problems: list[Problem] = []
    metrics = data.get("metrics")
    if metrics:
        try:
            components = [Component.model_validate(m) for m in metrics]
            searched = bool(find_spaces(ExperimentConfig.model_construct(metrics=components)))
        except pydantic.ValidationError:
            searched = False  # the config's own validation reports it
        except ConfigError:
            searched = True  # a malformed spec is still a spec
        problems.append(
            (("metrics",), "a metric is not searched; give each of its params one value")
            if searched
            else (
                ("metrics",),
                "a search scores its trials by tune.metric and computes no metrics:; remove them, "
                "and list them in a run of the best config",
            )
        )
    return problems + train_problems(data)


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
        For a task that cannot be tuned, a component the task needs that the config lacks,
        or a ``tune.metric`` the task never reports (naming the metric, the task, the closest
        reported names and all of them).
    """
    task = get_task(config.task)
    missing = task.missing(config)
    if missing:
        raise ConfigError(
            f"task {config.task!r} needs {' and '.join(map(repr, missing))} in the config (every trial "
            "builds them); add them, as examples/tune_mlp.yaml does"
        )
    problem = metric_problem(config.task, metric)
    if problem:
        raise ConfigError(f"tune.metric {problem}")


def check_storage(storage: Path) -> None:
    """Refuse a storage path that cannot become a writable folder, before anything is written.

    Raises
    ------
    ConfigError
        When the path, or a folder it would be created in, is a file, or is not writable.
    """
    existing = next(p for p in (storage, *storage.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(
            f"tune.storage_path {str(storage)!r} cannot be created: {str(existing)!r} is a file, "
            "not a folder; choose another storage_path"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"tune.storage_path {str(storage)!r} is not writable ({str(existing)!r} refuses new files); "
            "choose a folder you can write to"
        )


def resolve_settings(config: ExperimentConfig, overrides: dict[str, Any]) -> TuneSettings:
    """Merge the config's ``tune:`` block with overrides (``None`` overrides are ignored).

    Fills ``max_epochs`` from ``train.epochs`` and ``storage_path`` with
    ``runs/<config name>/tune``, made absolute.

    Raises
    ------
    ConfigError
        Naming each bad field of ``tune``.
    """
    data = {**config.tune, **{k: v for k, v in overrides.items() if v is not None}}
    settings = validate_section(TuneSettings, data, "tune")
    epochs = config.train.get("epochs")
    max_epochs = settings.max_epochs or (epochs if isinstance(epochs, int) and epochs > 0 else 10)
    storage = Path(settings.storage_path or Path("runs") / config.name / "tune").expanduser().resolve()
    if settings.grace_period > max_epochs:
        raise ConfigError(
            f"tune.grace_period {settings.grace_period} exceeds max_epochs {max_epochs}; lower it"
        )
    check_storage(storage)
    return settings.model_copy(update={"max_epochs": max_epochs, "storage_path": str(storage)})


def check_space(config: ExperimentConfig, space: SearchSpace) -> None:
    """Check that every value a spec can produce is accepted, before any trial starts.

    Each domain's extremes (the bounds of a range, every listed choice) are put into the
    config, one at a time, and validated by the component's params model or the task's
    ``train:`` settings model.

    Raises
    ------
    ConfigError
        Naming the parameter path, the value and why it is refused.
    """
    if not space:
        raise ConfigError(
            "the config declares no search space; write a spec such as "
            "units: {int: [16, 512], step: 16} in a component's params or in train"
        )
    settings_model = get_task(config.task).Train
    first = {path: domain.extremes()[0] for path, domain in space.items()}
    for path, domain in space.items():
        for value in domain.extremes():
            values = {**first, path: value}
            try:
                trial = apply_params(config, values)
                validate_section(settings_model, trial.train, "train")
            except EmbedlabError as exc:
                raise ConfigError(f"search space {path} = {value!r} is refused: {exc}") from None


def prepare(
    config_or_path: ExperimentConfig | dict[str, Any] | str | Path, **overrides: Any
) -> tuple[ExperimentConfig, TuneSettings, SearchSpace, Retrainable]:
    """Load and validate everything a search needs, without starting it.

    Returns
    -------
    tuple
        The config, the resolved settings, the search space and the trainable.
    """
    config = as_config(config_or_path)
    settings = resolve_settings(config, overrides)
    check_task(config, settings.metric)
    space = find_spaces(config)
    check_space(config, space)
    if settings.searcher == "grid":
        from embedlab.space import grid_points

        combos = list(
            itertools.islice(itertools.product(*(grid_points(d, p) for p, d in space.items())), 100_001)
        )
        if len(combos) > 100_000:
            raise ConfigError("searcher grid: the grid has over 100,000 points; use searcher random")
    bad_baseline = set(settings.baseline) - set(space)
    if bad_baseline:
        raise ConfigError(
            f"tune.baseline names {sorted(bad_baseline)}, which are not searched; "
            f"searched parameters: {', '.join(space)}"
        )
    assert settings.max_epochs is not None  # filled by resolve_settings
    return config, settings, space, get_task(config.task).trainable(config, settings.max_epochs)


def tune(config_or_path: ExperimentConfig | dict[str, Any] | str | Path, **overrides: Any) -> TuneResult:
    """Run a hyperparameter search over an experiment config.

    Parameters
    ----------
    config_or_path
        An :class:`~embedlab.config.ExperimentConfig`, a dict, or a YAML/JSON/TOML path. Its
        search-space specs define the space, its ``tune:`` block the search
        (:class:`~embedlab.tuning.settings.TuneSettings`) and its ``tuner`` component the
        tuner (default ``ray``).
    **overrides
        Any :class:`~embedlab.tuning.settings.TuneSettings` field, notably ``num_samples``,
        ``max_epochs``, ``storage_path`` and ``address``; ``None`` values are ignored.

    Returns
    -------
    TuneResult
        ``.table``, ``.best_config``, ``.best_metric``, ``.summary(n)``, ``.plot()``,
        ``.retrain_best(epochs=...)``.

    Raises
    ------
    ConfigError
        For a bad space (empty choices, min > max, a step that does not fit), bad settings,
        a metric the task does not report, a storage path that cannot be a folder, an
        unreachable cluster address, or resources no node of the cluster has, all before any
        trial starts.
    """
    config_or_path = as_config(config_or_path, check=search_problems)  # every problem of the file at once
    config, settings, space, trainable = prepare(config_or_path, **overrides)
    if config.tuner is None:
        tuner = create("tuner", "ray")
    else:
        tuner = config.tuner.create("tuner")
    result: TuneResult = tuner.tune(trainable, space, **settings.model_dump())
    return result
