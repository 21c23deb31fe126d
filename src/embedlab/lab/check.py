"""The whole-config check of :func:`embedlab.run`, done before a run directory exists.

Besides what :func:`embedlab.load_config` checks (every key, every component and its
params), each experiment that runs (the config itself, or each of its ``parts``) must name a
registered ``task`` (kind ``task``), and its ``train:`` and ``study:`` blocks must fit that
task's params model. Each ``metrics:`` entry must take inputs the task produces (its
:attr:`~embedlab.tasks.base.Task.metric_inputs`), and be listed once. A search must name a task
that can be tuned, and its ``study:`` and ``tune:`` blocks must fit the search's models, with a
``tune.metric`` the task reports; it computes no ``metrics:``. Every problem of every part is
listed in one :class:`~embedlab.errors.ConfigError`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pydantic

from embedlab.config import COMPONENT_KINDS, Component, ExperimentConfig, as_config
from embedlab.errors import ConfigError, EmbedlabError
from embedlab.lab.jobs import SearchStudy
from embedlab.lab.scoring import metric_labels
from embedlab.metrics.params import METRIC_INPUTS, declared_inputs
from embedlab.params import Params, Problem, did_you_mean, section_problems, short_repr
from embedlab.registry import get, plugins
from embedlab.space import concrete, find_spaces
from embedlab.tasks.base import Task
from embedlab.tuning.api import metric_problem, search_problems, tunable_tasks
from embedlab.tuning.settings import TuneSettings

__all__ = ["check_config", "run_problems"]

#: The fields that may hold a search-space spec, and so decide whether a search runs.
_SPEC_FIELDS = (*COMPONENT_KINDS, "train")


def check_config(config_or_path: ExperimentConfig | dict[str, Any] | str | Path) -> ExperimentConfig:
    """Load and validate an experiment for :func:`embedlab.run`, listing every problem at once.

    Raises
    ------
    ConfigError
        Starting with the file (when one is given), then one ``key.path: problem`` item per
        problem of any part: keys, components, ``task``, ``train``, ``study``, ``tune``.
    """
    return as_config(config_or_path, check=run_problems)


def run_problems(data: dict[str, Any]) -> list[Problem]:
    """The problems of the jobs a raw config runs: the config itself, or each of its ``parts``."""
    parts = data.get("parts")
    if not isinstance(parts, list) or not parts:
        return _job_problems(data)
    problems: list[Problem] = []
    if data.get("metrics"):
        problems.append((("metrics",), "each part runs with its own metrics:; list them in the parts"))
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            continue  # the config's own validation reports it
        if part.get("parts"):
            problems.append((("parts", index, "parts"), "a part cannot have parts; list them all at the top"))
            continue
        problems += [(("parts", index, *loc), msg) for loc, msg in _job_problems(part)]
    return problems


@functools.cache
def _structure(field: str) -> pydantic.TypeAdapter[Any]:
    """The shape of one config field, without the registry checks of :class:`ExperimentConfig`."""
    return pydantic.TypeAdapter(ExperimentConfig.model_fields[field].rebuild_annotation())


def _declares_search(block: dict[str, Any]) -> tuple[bool | None, list[Problem]]:
    """Whether an experiment searches (it holds a search-space spec); ``None`` when that is unknown.

    Unknown means a field that may hold a spec is malformed; the config's own validation
    reports it. Unknown component names do not matter here.
    """
    try:
        fields = {k: _structure(k).validate_python(block[k]) for k in _SPEC_FIELDS if k in block}
    except pydantic.ValidationError:
        return None, []
    try:
        return bool(find_spaces(ExperimentConfig.model_construct(**fields))), []
    except ConfigError as exc:  # a malformed spec; its message starts with its path
        return True, [((), str(exc))]


def _job_problems(block: dict[str, Any]) -> list[Problem]:
    """The problems of one experiment's ``task``, ``train``, ``study`` and ``tune`` blocks."""
    task = block.get("task")
    if not isinstance(task, str) and task is not None:
        return []  # the config's own validation reports it
    search, problems = _declares_search(block)
    if search:
        problems += search_problems(block)
        problems += _block_problems(SearchStudy, block, "study")
        tune_problems = _block_problems(TuneSettings, block, "tune")
        return problems + (tune_problems or _metric_problems(task, block.get("tune", {})))
    names = [info.name for info in plugins("task")]
    if task not in names:
        known = f"(tasks: {', '.join(sorted(names))})"
        return problems + [
            (("task",), f"missing; set it to the task to run {known}")
            if task is None
            else (("task",), f"unknown task {short_repr(task)} {known}{did_you_mean(task, names)}")
        ]
    # the task's registered params model holds its train and study blocks; a block that is not
    # a mapping is the config's own problem, and with search unknown the study block may be a search's
    train, study = block.get("train", {}), block.get("study", {})
    blocks = {"train": concrete(train)} if isinstance(train, dict) else {}
    if search is False and isinstance(study, dict):
        blocks["study"] = study
    problems += _metrics_problems(task, block.get("metrics"))
    return problems + section_problems(get("task", task).params, blocks, ())


def _metrics_problems(task: str, metrics: Any) -> list[Problem]:
    """The ``metrics:`` entries the task cannot feed (inputs it does not produce), or listed twice."""
    try:
        components = [Component.model_validate(m) for m in metrics or []]
    except pydantic.ValidationError:
        return []  # the config's own validation reports it
    factory = get("task", task).load_factory()
    offered = factory.metric_inputs if isinstance(factory, type) and issubclass(factory, Task) else ()
    offers = (
        f"produces {'; '.join(f'{k!r}, {METRIC_INPUTS[k]}' for k in offered)}"
        if offered
        else "produces no inputs for metrics"
    )
    problems: list[Problem] = []
    for index, component in enumerate(components):
        name = component.name
        try:
            inputs = declared_inputs(get("metric", str(name)).params)
        except EmbedlabError:
            continue  # an unknown metric: the config's own validation reports it
        if inputs not in METRIC_INPUTS:
            problems.append(
                (
                    ("metrics", index),
                    f"metric {name!r} declares no inputs (the 'inputs' of its params model, one of "
                    f"{', '.join(map(repr, METRIC_INPUTS))}), so no task can feed it; remove it",
                )
            )
        elif inputs not in offered:
            problems.append(
                (
                    ("metrics", index),
                    f"metric {name!r} takes {inputs!r} inputs, {METRIC_INPUTS[inputs]}, which task "
                    f"{task!r} does not produce; task {task!r} {offers}. Remove it from metrics",
                )
            )
    labels = metric_labels(components)
    problems += [
        (
            ("metrics", index),
            f"metric {str(components[index].name)!r} is listed twice with the same params; keep one",
        )
        for index, label in enumerate(labels)
        if label in labels[:index]
    ]
    return problems


def _metric_problems(task: str | None, tune: dict[str, Any]) -> list[Problem]:
    """A ``tune.metric`` the task never reports, so that no trial of the search could be scored."""
    if task not in tunable_tasks():
        return []  # the task's own problem is reported
    problem = metric_problem(task, TuneSettings.model_validate(tune).metric)
    return [(("tune", "metric"), problem)] if problem else []


def _block_problems(model: type[Params], block: dict[str, Any], key: str) -> list[Problem]:
    value = block.get(key, {})
    if not isinstance(value, dict):
        return []
    return section_problems(model, value, (key,))
