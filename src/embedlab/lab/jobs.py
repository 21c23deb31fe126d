"""Jobs: what ``embedlab run`` does with one experiment, writing metrics and figures into a run directory.

An experiment that declares a search space runs the lab's search job (:func:`search_job`);
any other runs its ``task``, found in the plugin registry (kind ``task``) and built with the
config's ``train:`` and ``study:`` blocks: the task's
:meth:`~embedlab.tasks.base.Task.run_section` writes its report section, and the config's
``metrics:`` are computed on the outputs it returns (:func:`task_job`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import Field

from embedlab.errors import ConfigError, InputError
from embedlab.lab.scoring import score_outputs
from embedlab.params import Params, validate_section
from embedlab.registry import create
from embedlab.space import find_spaces

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory
    from embedlab.tasks.base import Task

__all__ = ["Job", "SearchStudy", "get_job", "search_job", "task_job"]

#: A job bound to its experiment: ``job(run, section, resume)`` writes that section of the run.
Job = Callable[["RunDirectory", str, bool], None]


class SearchStudy(Params):
    """``study:`` options of a hyperparameter search run (Study 4)."""

    top: int = Field(5, ge=1, description="Trials shown in the summary.")
    retrain_epochs: int | None = Field(
        None, ge=1, description="Retrain the best configuration and the baseline this long afterwards."
    )


def search_job(
    config: ExperimentConfig, run: RunDirectory, section: str, resume: bool, options: SearchStudy
) -> None:
    """Run the config's hyperparameter search; record its table, summary and metric-by-epoch plot."""
    from embedlab.tuning.api import tune

    storage = config.tune.get("storage_path") or str(run.path / "tune")
    result = tune(config, storage_path=storage, resume=resume)
    result.save(run.path / "tune")
    ranked = result.ranked_trials()[: options.top]
    table = result.table
    rows = table[table["trial_id"].isin([t.trial_id for t in ranked])].to_dict(orient="records")
    run.log_metrics(
        section,
        {
            "best_metric": result.best_metric,
            "best_config": ", ".join(f"{k}={v}" for k, v in result.best_config.items()),
            "trials": len(table),
            "failed": result.num_failed,
            "top trials": rows,
        },
    )
    run.add_figure(section, "trials", result.plot())
    if options.retrain_epochs:
        retrained = result.retrain_best(epochs=options.retrain_epochs)
        run.log_metrics(section, {"retrained": retrained.table.to_dict(orient="index")})
        run.add_figure(section, "retrain", retrained.plot())


def task_job(config: ExperimentConfig, task: Task, run: RunDirectory, section: str, resume: bool) -> None:
    """Run the task's section, then log the config's ``metrics:`` on its outputs under ``metrics``.

    ``metrics.json`` then holds ``{section: {"metrics": {split: {metric: value}}}}``, which the
    report shows as one table (see :func:`~embedlab.lab.scoring.score_outputs`).

    Raises
    ------
    InputError
        If the task returned no outputs although ``metrics:`` lists metrics.
    """
    outputs = task.run_section(config, run, section, resume)
    if not config.metrics:
        return
    if not outputs:
        raise InputError(
            f"task {config.task!r} returned no outputs for metrics: to score; its run_section must "
            "return each split's MetricOutputs"
        )
    run.log_metrics(section, {"metrics": score_outputs(config.metrics, outputs)})


def get_job(config: ExperimentConfig) -> Job:
    """The job that runs ``config``: a search when it declares a search space, else its task's section.

    Raises
    ------
    ConfigError
        For bad ``study:`` or ``train:`` blocks, or a config without a task.
    UnknownPluginError
        For a task no installed plugin registers, with the closest names.
    """
    if find_spaces(config):
        options = validate_section(SearchStudy, config.study, "study")
        return lambda run, section, resume: search_job(config, run, section, resume, options)
    if config.task is None:
        raise ConfigError("the config names no task; set task to one of the tasks embedlab plugins lists")
    task = create("task", config.task, train=config.train, study=config.study)
    return lambda run, section, resume: task_job(config, task, run, section, resume)
