"""The config's ``metrics:``: each listed metric plugin computed on every split a task returns.

A task's :meth:`~embedlab.tasks.base.Task.run_section` returns one
:class:`~embedlab.tasks.base.MetricOutputs` per split; :func:`score_outputs` calls each metric
with the inputs its params model declares (:class:`~embedlab.metrics.params.MetricParams`)
and the lab logs the values under the section's ``metrics`` key, ``{split: {label: value}}``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from embedlab.errors import ConfigError, InputError
from embedlab.metrics.export import json_ready
from embedlab.metrics.params import declared_inputs
from embedlab.registry import get

if TYPE_CHECKING:
    from embedlab.config import Component
    from embedlab.tasks.base import MetricOutputs

__all__ = ["metric_labels", "metric_value", "score_outputs"]


def metric_labels(metrics: list[Component]) -> list[str]:
    """The label each ``metrics:`` entry is logged under: its name, with its params when the name repeats.

    ``[f1, {name: f1, params: {average: weighted}}]`` gives ``f1()`` and ``f1(average=weighted)``.
    """
    names = [str(m.name) for m in metrics]
    return [
        name
        if names.count(name) == 1
        else f"{name}({', '.join(f'{k}={v}' for k, v in sorted(m.params.items()))})"
        for name, m in zip(names, metrics, strict=True)
    ]


def metric_value(name: str, result: Any) -> Any:
    """A metric's result as JSON data: a number, or a mapping of them (``to_dict()`` for a report).

    Raises
    ------
    InputError
        For a result that is none of these, naming the metric.
    """
    if isinstance(result, numbers.Real):
        return json_ready(float(result))  # NaN is written as null
    if not isinstance(result, Mapping) and callable(getattr(result, "to_dict", None)):
        result = result.to_dict()
    if isinstance(result, Mapping):
        return json_ready({str(k): metric_value(name, v) if _is_value(v) else v for k, v in result.items()})
    raise InputError(
        f"metric {name!r} returned a {type(result).__name__}; a metric in metrics: must return a "
        "number, a mapping of them, or an object with to_dict()"
    )


def _is_value(value: Any) -> bool:
    return isinstance(value, numbers.Real | Mapping)


def score_outputs(
    metrics: list[Component], outputs: Mapping[str, MetricOutputs]
) -> dict[str, dict[str, Any]]:
    """Compute every metric on every split's outputs, with the params the config gives it.

    Parameters
    ----------
    metrics
        The config's ``metrics:`` entries, each a metric whose ``inputs`` the task produces
        (:func:`embedlab.lab.check.check_config` refuses the others before a run starts).
    outputs
        Split name to what the task produced for it.

    Returns
    -------
    dict
        ``{split: {label: value}}``, labels from :func:`metric_labels`.
    """
    labels = metric_labels(metrics)
    scored: dict[str, dict[str, Any]] = {split: {} for split in outputs}
    for label, component in zip(labels, metrics, strict=True):
        metric = component.create("metric")
        inputs = declared_inputs(get("metric", str(component.name)).params)
        if inputs is None:  # check_config refuses such a config before a run
            raise ConfigError(f"metric {component.name!r} declares no inputs; no task can feed it")
        for split, produced in outputs.items():
            scored[split][label] = metric_value(label, metric(*produced.arguments(inputs)))
    return scored
