"""Run directories: ``<out>/<name>-<timestamp>/`` with the config, metrics, figures and checkpoints.

Every file is written atomically (a temporary file renamed into place), so an interrupted
run never leaves a half-written file behind. Names from the config become file names only
after :func:`embedlab.io.safe_name` accepts them, and ``metrics.json`` is read back as
untrusted input: a figure entry that points outside the run directory is dropped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedlab.errors import ConfigError, InputError
from embedlab.io import atomic_write, ensure_folder, read_json, safe_name, save_figure, write_json
from embedlab.lab.report import embeddable_figures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from embedlab.config import ExperimentConfig
    from embedlab.data.base import ArrayDataset, DatasetDescription

__all__ = ["SCHEMA_VERSION", "RunDirectory"]

#: Version of the ``metrics.json`` layout (see the concepts page); files without one are version 1.
SCHEMA_VERSION = 1

_STAMP = r"-(\d{8}-\d{6})(?:-(\d+))?"


class RunDirectory:
    """The folder one run writes into.

    Parameters
    ----------
    path
        The run's folder; created if missing.

    Attributes
    ----------
    metrics
        Section name to a mapping of metric names to values, as saved in ``metrics.json``.
    figures
        Section name to the figure files saved for it, relative to the run folder.
    completed
        Sections whose job finished; a resumed run skips them.
    epoch_listeners
        Called as ``listener(section, record)`` by :meth:`log_epoch`: the lab's trackers.

    Raises
    ------
    InputError
        If the folder cannot be created, or its ``metrics.json`` is not one embedlab wrote.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = ensure_folder(path, "run directory")
        self.metrics: dict[str, Any] = {}
        self.figures: dict[str, list[str]] = {}
        self.completed: list[str] = []
        self.epoch_listeners: list[Callable[[str, Mapping[str, Any]], None]] = []
        if self.metrics_path.is_file():
            self._load_index()

    @classmethod
    def create(cls, out: str | Path, name: str) -> RunDirectory:
        """Make a fresh ``<out>/<name>-<YYYYmmdd-HHMMSS>`` folder (suffixed ``-1``, ``-2``... if it exists).

        Raises
        ------
        InputError
            If ``name`` is not a safe file name, or ``out`` cannot be created.
        """
        safe_name(name, "run name")
        base = ensure_folder(out) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        path, n = base, 1
        while True:
            try:
                path.mkdir()
                return cls(path)
            except FileExistsError:
                path, n = Path(f"{base}-{n}"), n + 1

    @classmethod
    def latest(cls, out: str | Path, name: str) -> RunDirectory:
        """Reopen the newest run folder of exactly ``name`` under ``out`` (``<name>-<timestamp>[-n]``), to resume it.

        Raises
        ------
        ConfigError
            If there is none.
        """
        safe_name(name, "run name")
        pattern = re.compile(re.escape(name) + _STAMP)
        folder = Path(out)
        runs = [
            (match.group(1), int(match.group(2) or 0), p)
            for p in (folder.iterdir() if folder.is_dir() else [])
            for match in [pattern.fullmatch(p.name)]
            if match and (p / "config.json").is_file()
        ]
        if not runs:
            raise ConfigError(
                f"no earlier run named {name!r} under {str(folder)!r} to resume; run without --resume"
            )
        return cls(max(runs)[2])

    @property
    def metrics_path(self) -> Path:
        """``metrics.json``."""
        return self.path / "metrics.json"

    @property
    def config_path(self) -> Path:
        """``config.json``, the resolved config the run was started with."""
        return self.path / "config.json"

    @property
    def checkpoints(self) -> Path:
        """The ``checkpoints/`` folder, created on first use."""
        return ensure_folder(self.path / "checkpoints", "checkpoint folder")

    def saved_config(self) -> dict[str, Any]:
        """The resolved config saved in ``config.json``, as plain JSON data.

        Raises
        ------
        InputError
            If the file cannot be read or is not a JSON mapping.
        """
        fix = "start a new run without --resume"
        data = read_json(self.config_path, "run config", fix)
        if not isinstance(data, dict):
            raise InputError(f"run config {str(self.config_path)!r} is not a JSON mapping; {fix}")
        return data

    def save_config(self, config: ExperimentConfig) -> None:
        """Write the resolved config as ``config.json`` and ``config.yaml``."""
        import yaml

        data = config.model_dump(mode="json")
        write_json(self.config_path, data)
        with atomic_write(self.path / "config.yaml") as fh:
            yaml.safe_dump(data, fh, sort_keys=False)

    def log_metrics(self, section: str, values: dict[str, Any]) -> None:
        """Record metrics under ``section`` and rewrite ``metrics.json``."""
        self.metrics.setdefault(section, {}).update(values)
        self._write_index()

    def log_epoch(self, section: str, record: Mapping[str, Any]) -> None:
        """Pass one epoch's record of ``section`` to :attr:`epoch_listeners` as training goes.

        Nothing is written: the task records the whole history when the section ends. Tasks
        call it after every epoch, so the config's ``loggers:`` show the curves live.
        """
        for listener in self.epoch_listeners:
            listener(section, record)

    def describe_dataset(self, section: str, dataset: ArrayDataset) -> DatasetDescription:
        """Record what ``section`` ran on: the dataset's description, under the metrics key ``"dataset"``.

        When some split is imbalanced (see :attr:`~embedlab.data.base.DatasetDescription.imbalanced`),
        a bar plot of the class distribution per split is added as the figure ``class-distribution``.
        The report renders the description in words at the top of the section.
        """
        description = dataset.describe()
        self.log_metrics(section, {"dataset": description.model_dump(mode="json")})
        if description.imbalanced:
            from embedlab.plots.data import class_distribution

            self.add_figure(section, "class-distribution", class_distribution(description))
        return description

    def add_figure(self, section: str, name: str, fig: Figure) -> Path:
        """Save ``fig`` as ``figures/<section>-<name>.png``, close it, and record it.

        Raises
        ------
        InputError
            If ``section`` or ``name`` is not a safe file name (see :func:`embedlab.io.safe_name`).
        """
        import matplotlib.pyplot as plt

        relative = f"figures/{safe_name(section, 'section')}-{safe_name(name, 'figure name')}.png"
        try:
            save_figure(fig, self.path / relative)
        finally:
            plt.close(fig)
        listed = self.figures.setdefault(section, [])
        if relative not in listed:
            listed.append(relative)
        self._write_index()
        return self.path / relative

    def mark_completed(self, section: str) -> None:
        """Record that ``section``'s job finished."""
        if section not in self.completed:
            self.completed.append(section)
        self._write_index()

    def _load_index(self) -> None:
        """Read ``metrics.json`` back, checking its shape; figure entries outside the run are dropped."""
        fix = "start a new run without --resume"
        saved = read_json(self.metrics_path, "run index", fix)
        metrics = saved.get("metrics", {}) if isinstance(saved, dict) else None
        figures = saved.get("figures", {}) if isinstance(saved, dict) else None
        completed = saved.get("completed", []) if isinstance(saved, dict) else None
        # Files written before the schema was versioned have no schema_version; they read the same.
        version = saved.get("schema_version", SCHEMA_VERSION) if isinstance(saved, dict) else None
        if version != SCHEMA_VERSION:
            raise InputError(
                f"run index {str(self.metrics_path)!r} has schema_version {version!r}, "
                f"this embedlab reads {SCHEMA_VERSION}; {fix} or use the embedlab that wrote it"
            )
        if not (
            isinstance(metrics, dict)
            and all(isinstance(v, dict) for v in metrics.values())
            and isinstance(figures, dict)
            and all(isinstance(v, list) for v in figures.values())
            and isinstance(completed, list)
            and all(isinstance(s, str) for s in completed)
        ):
            raise InputError(
                f"run index {str(self.metrics_path)!r} is not one embedlab wrote "
                f"(expected metrics, figures and completed sections); {fix}"
            )
        self.metrics = metrics
        self.figures = embeddable_figures(self.path, figures)
        self.completed = completed

    def _write_index(self) -> None:
        write_json(
            self.metrics_path,
            {
                "schema_version": SCHEMA_VERSION,
                "metrics": self.metrics,
                "figures": self.figures,
                "completed": self.completed,
            },
        )
