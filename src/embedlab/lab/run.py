"""``embedlab.run``: run an experiment (or a suite of them) into a run directory with a report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedlab.config import ExperimentConfig, as_config
from embedlab.errors import ConfigError
from embedlab.lab.jobs import get_job
from embedlab.lab.report import write_reports
from embedlab.lab.rundir import RunDirectory

__all__ = ["RunResult", "run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What a run wrote.

    Attributes
    ----------
    path
        The run directory.
    metrics
        Section name to its metrics, as in ``metrics.json``.
    figures
        Section name to its figure files, relative to ``path``.
    report
        The self-contained ``report.html``.
    """

    path: Path
    metrics: dict[str, Any]
    figures: dict[str, list[str]]
    report: Path


def _sections(config: ExperimentConfig) -> list[tuple[str, ExperimentConfig]]:
    if not config.parts:
        return [(config.name, config)]
    names = [part.name for part in config.parts]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"parts must have distinct names; repeated: {', '.join(duplicates)}")
    return [(part.name, part) for part in config.parts]


def run(
    config_or_path: ExperimentConfig | dict[str, Any] | str | Path,
    out: str | Path | None = None,
    *,
    resume: bool = False,
) -> RunResult:
    """Run an experiment and write its run directory ``<out>/<name>-<timestamp>/``.

    The directory holds the resolved config (``config.yaml``, ``config.json``),
    ``metrics.json``, ``figures/*.png``, ``checkpoints/``, ``report.md`` and a self-contained
    ``report.html``. Every file is written atomically.

    Parameters
    ----------
    config_or_path
        An :class:`~embedlab.config.ExperimentConfig`, a dict, or a YAML/JSON/TOML path. A
        config with ``parts`` runs each part as a section of one run.
    out
        The folder that holds run directories; ``runs`` by default.
    resume
        Continue the newest run of this config's name under ``out``: finished sections are
        kept, and an interrupted training continues from its last checkpoint.

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        For a bad config, or ``resume`` with no earlier run to continue.
    """
    config = as_config(config_or_path)
    sections = _sections(config)
    jobs = [(name, part, job, job.check(part)) for name, part in sections for job in [get_job(part)]]
    root = Path(out) if out is not None else Path("runs")
    rundir = RunDirectory.latest(root, config.name) if resume else RunDirectory.create(root, config.name)
    rundir.save_config(config)
    for name, part, job, options in jobs:
        if name in rundir.completed:
            logger.info("section %s already finished; kept", name)
            continue
        logger.info("running section %s", name)
        job.run(part, rundir, name, resume, options)
        rundir.mark_completed(name)
    report = write_reports(rundir.path, f"embedlab run: {config.name}", rundir.metrics, rundir.figures)
    return RunResult(rundir.path, rundir.metrics, rundir.figures, report)
