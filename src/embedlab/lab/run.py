"""``embedlab.run``: run an experiment (or a suite of them) into a run directory with a report."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedlab.config import ExperimentConfig
from embedlab.errors import ConfigError
from embedlab.io import safe_name
from embedlab.lab.check import check_config
from embedlab.lab.jobs import get_job
from embedlab.lab.report import write_reports
from embedlab.lab.rundir import RunDirectory
from embedlab.lab.runinfo import record_run
from embedlab.lab.stand_in import require_files, stand_in_notes
from embedlab.lab.stand_in import stand_in as use_stand_ins

__all__ = ["RunResult", "config_changes", "run"]

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


_UNSET = object()


def _shown(value: Any) -> str:
    text = "(unset)" if value is _UNSET else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def config_changes(old: Any, new: Any, path: str = "") -> list[str]:
    """List how two configs (plain JSON data) differ, one ``key.path: old -> new`` per changed value.

    Mappings are compared key by key and lists of equal length item by item (``parts[1].name``);
    anything else is compared as a whole.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            change
            for key in dict.fromkeys([*old, *new])
            for change in config_changes(
                old.get(key, _UNSET), new.get(key, _UNSET), f"{path}.{key}" if path else str(key)
            )
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            c
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for c in config_changes(a, b, f"{path}[{i}]")
        ]
    if old == new and type(old) is type(new):
        return []
    return [f"{path or 'config'}: {_shown(old)} -> {_shown(new)}"]


def _sections(config: ExperimentConfig) -> list[tuple[str, ExperimentConfig]]:
    if not config.parts:
        return [(config.name, config)]
    for i, part in enumerate(config.parts):
        safe_name(part.name, f"parts[{i}].name", ConfigError)
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
    force_new: bool = False,
    stand_in: bool = False,
) -> RunResult:
    """Run an experiment and write its run directory ``<out>/<name>-<timestamp>/``.

    The directory holds the resolved config (``config.yaml``, ``config.json``),
    ``metrics.json``, ``figures/*.png``, ``checkpoints/``, ``report.md``, a self-contained
    ``report.html``, and ``run.json`` (status, times, versions, headline metrics; see
    :mod:`embedlab.lab.runinfo`). Every file is written atomically.

    Parameters
    ----------
    config_or_path
        An :class:`~embedlab.config.ExperimentConfig`, a dict, or a YAML/JSON/TOML path. A
        config with ``parts`` runs each part as a section of one run.
    out
        The folder that holds run directories; ``runs`` by default.
    resume
        Continue the newest run of this config's name under ``out``: finished sections are
        kept, and an interrupted training continues from its last checkpoint. The config must
        be the one that run was started with.
    force_new
        With ``resume``: when the config changed since that run, start a new run instead of
        refusing.
    stand_in
        Replace each real dataset (MNIST, Fashion-MNIST, DermaMNIST) and downloaded word space by
        its embedded stand-in (see :mod:`embedlab.lab.stand_in`); each section lists what was
        replaced under ``stand-in``, and ``config.yaml`` holds the config that ran. Without it, a
        real dataset whose files are absent is refused, never replaced.

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        For a bad config (a name that cannot be a file name, say), ``resume`` with no earlier
        run to continue, or ``resume`` with a changed config and no ``force_new``; nothing is
        written then.
    InputError
        If ``out`` cannot be created or written to.
    """
    config = check_config(config_or_path)
    safe_name(config.name, "name", ConfigError)
    notes = {name: stand_in_notes(part) for name, part in _sections(config)} if stand_in else {}
    if stand_in:
        config = use_stand_ins(config)
    else:
        require_files(config)
    sections = _sections(config)
    jobs = [(name, get_job(part)) for name, part in sections]
    root = Path(out) if out is not None else Path("runs")
    rundir = _open(root, config, resume=resume, force_new=force_new)
    with record_run(rundir, config, sections) as record:
        for name, job in jobs:
            if name in rundir.completed:
                logger.info("section %s already finished; kept", name)
                continue
            logger.info("running section %s", name)
            if notes.get(name):
                rundir.log_metrics(name, {"stand-in": notes[name]})
            job(rundir, name, resume)
            rundir.mark_completed(name)
        title = f"embedlab run: {config.name}"
        report = write_reports(rundir.path, title, rundir.metrics, rundir.figures, record.finish())
    return RunResult(rundir.path, rundir.metrics, rundir.figures, report)


def _open(root: Path, config: ExperimentConfig, *, resume: bool, force_new: bool) -> RunDirectory:
    """The run directory to write into: the newest run of this config to resume, or a new one.

    A run is resumed only with the config it was started with, so ``config.json`` always
    describes the results beside it.
    """
    if resume:
        rundir = RunDirectory.latest(root, config.name)
        changes = config_changes(rundir.saved_config(), config.model_dump(mode="json"))
        if not changes:
            return rundir
        if not force_new:
            raise ConfigError(
                f"cannot resume {str(rundir.path)!r}: the config changed since that run "
                f"({'; '.join(changes)}); undo the change to resume, or add --force-new to start a new run"
            )
        logger.info("config changed since %s (%s); starting a new run", rundir.path, "; ".join(changes))
    rundir = RunDirectory.create(root, config.name)
    rundir.save_config(config)
    return rundir
