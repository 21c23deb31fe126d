"""Jobs: what ``embedlab run`` does with one experiment, writing metrics and figures into a run directory.

An experiment that declares a search space runs the lab's search job (:func:`search_job`);
any other runs its ``task``, found in the plugin registry (kind ``task``) and built with the
config's ``train:`` and ``study:`` blocks: the task's
:meth:`~embedlab.tasks.base.Task.run_section` writes its report section, and the config's
``metrics:`` are computed on the outputs it returns (:func:`task_job`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from embedlab.errors import ConfigError, InputError
from embedlab.lab.scoring import score_outputs
from embedlab.params import Params, validate_section
from embedlab.registry import create
from embedlab.space import find_spaces
from embedlab.tracking import TrackedRun, flat_params, log_epoch, log_section, track

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory
    from embedlab.protocols import LoggerProtocol
    from embedlab.tasks.base import Task

__all__ = ["Job", "SearchStudy", "get_job", "search_job", "task_job", "tracked_job"]

#: A job bound to its experiment: ``job(run, section, resume)`` writes that section of the run.
Job = Callable[["RunDirectory", str, bool], None]


class SearchStudy(Params):
    """``study:`` options of a hyperparameter search run (Study 4)."""

    top: int = Field(10, ge=1, description="Trials shown in the summary, best first (KerasTuner shows 10).")
    retrain_epochs: int | None = Field(
        None,
        ge=1,
        description="Retrain the best configuration and tune.baseline this long afterwards, and compare them.",
    )


def search_job(
    config: ExperimentConfig, run: RunDirectory, section: str, resume: bool, options: SearchStudy
) -> None:
    """Run the config's hyperparameter search and report it as KerasTuner's exercise did.

    The section records the dataset (in words), the search's counts, the ``top`` trials best
    first (``top trials``: rank, trial, hyperparameters, score, as KerasTuner's
    ``results_summary``), the best configuration and its parameter count (``best n_params``),
    and the metric-by-epoch figure of every trial. With ``study.retrain_epochs`` the best
    configuration and ``tune.baseline`` are retrained that long: their final train, validation
    (and test) scores go into the ``retrained`` table, one row per model, and both learning
    curves into one figure.
    """
    from embedlab.space import concrete
    from embedlab.tuning.api import tune

    if config.dataset is not None:  # its searched params, if any, are the trials' business
        dataset = config.dataset.model_copy(update={"params": concrete(config.dataset.params)})
        run.describe_dataset(section, dataset.create("dataset"))
    storage = config.tune.get("storage_path") or str(run.path / "tune")
    result = tune(config, storage_path=storage, resume=resume)
    result.save(run.path / "tune")
    best = result.best_trial
    sizes = [row["n_params"] for row in best.history if "n_params" in row]
    run.log_metrics(
        section,
        {
            "objective": result.metric,
            "mode": result.mode,
            "trials": len(result.trials),
            "failed": result.num_failed,
            "best_metric": result.best_metric,
            **({"best n_params": int(sizes[-1])} if sizes else {}),
            "best_config": result.best_config,
            "top trials": result.top_trials(options.top),
        },
    )
    run.add_figure(section, "trials", result.plot())
    if options.retrain_epochs:
        retrained = result.retrain_best(epochs=options.retrain_epochs)
        run.log_metrics(section, {"retrained": retrained.models()})
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

    The config's ``loggers:`` are built here, before any work starts, and record the section
    (:func:`tracked_job`).

    Raises
    ------
    ConfigError
        For bad ``study:`` or ``train:`` blocks, a config without a task, or a logger whose
        package is not installed.
    UnknownPluginError
        For a task no installed plugin registers, with the closest names.
    """
    job = _untracked_job(config)
    loggers = [component.create("logger") for component in config.loggers]
    return tracked_job(config, loggers, job) if loggers else job


def tracked_job(config: ExperimentConfig, loggers: Sequence[LoggerProtocol], job: Job) -> Job:
    """``job``, recorded by ``loggers``: started before it, and finished with its outcome.

    Each logger gets the section's flat config as params, then each epoch as it ends (the
    task's :meth:`~embedlab.lab.rundir.RunDirectory.log_epoch` calls), and once the section is
    written its final numbers, and its histories if no epoch came live
    (:func:`embedlab.tracking.log_section`).
    The tracker's run is named after the run folder (and the section, in a run of parts); its
    experiment is the config's name.
    """

    def run_tracked(run: RunDirectory, section: str, resume: bool) -> None:
        experiment = str(run.saved_config().get("name", config.name))
        name = run.path.name if section == experiment else f"{run.path.name}/{section}"
        info = TrackedRun(name=name, experiment=experiment, section=section, directory=run.path)
        live: list[int] = []

        def on_epoch(name: str, record: Mapping[str, Any]) -> None:
            step = log_epoch(loggers, record) if name == section else None
            if step is not None:
                live.append(step)

        with track(loggers, info, flat_params(config.model_dump(mode="json"))):
            run.epoch_listeners.append(on_epoch)
            try:
                job(run, section, resume)
            finally:
                run.epoch_listeners.remove(on_epoch)
            log_section(loggers, run.metrics.get(section, {}), max(live) if live else None)

    return run_tracked


def _untracked_job(config: ExperimentConfig) -> Job:
    if find_spaces(config):
        options = validate_section(SearchStudy, config.study, "study")
        return lambda run, section, resume: search_job(config, run, section, resume, options)
    if config.task is None:
        raise ConfigError("the config names no task; set task to one of the tasks embedlab plugins lists")
    task = create("task", config.task, train=config.train, study=config.study)
    return lambda run, section, resume: task_job(config, task, run, section, resume)
