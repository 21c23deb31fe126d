"""Run directories: ``<out>/<name>-<timestamp>/`` with the config, metrics, figures and checkpoints.

Every file is written atomically (a temporary file renamed into place), so an interrupted
run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedlab.errors import ConfigError
from embedlab.io import atomic_write, save_figure, write_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from embedlab.config import ExperimentConfig

__all__ = ["RunDirectory"]


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
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.metrics: dict[str, Any] = {}
        self.figures: dict[str, list[str]] = {}
        self.completed: list[str] = []
        if self.metrics_path.is_file():
            saved = json.loads(self.metrics_path.read_text(encoding="utf-8"))
            self.metrics = saved.get("metrics", {})
            self.figures = saved.get("figures", {})
            self.completed = saved.get("completed", [])

    @classmethod
    def create(cls, out: str | Path, name: str) -> RunDirectory:
        """Make a fresh ``<out>/<name>-<YYYYmmdd-HHMMSS>`` folder (suffixed if it exists)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = Path(out) / f"{name}-{stamp}"
        path, n = base, 1
        while path.exists():
            path, n = Path(f"{base}-{n}"), n + 1
        return cls(path)

    @classmethod
    def latest(cls, out: str | Path, name: str) -> RunDirectory:
        """Reopen the newest run folder of ``name`` under ``out``, to resume it.

        Raises
        ------
        ConfigError
            If there is none.
        """
        runs = sorted(p for p in Path(out).glob(f"{name}-*") if (p / "config.json").is_file())
        if not runs:
            raise ConfigError(f"no earlier run named {name!r} under {out} to resume; run without --resume")
        return cls(runs[-1])

    @property
    def metrics_path(self) -> Path:
        """``metrics.json``."""
        return self.path / "metrics.json"

    @property
    def checkpoints(self) -> Path:
        """The ``checkpoints/`` folder, created on first use."""
        folder = self.path / "checkpoints"
        folder.mkdir(exist_ok=True)
        return folder

    def save_config(self, config: ExperimentConfig) -> None:
        """Write the resolved config as ``config.json`` and ``config.yaml``."""
        import yaml

        data = config.model_dump(mode="json")
        write_json(self.path / "config.json", data)
        with atomic_write(self.path / "config.yaml") as fh:
            yaml.safe_dump(data, fh, sort_keys=False)

    def log_metrics(self, section: str, values: dict[str, Any]) -> None:
        """Record metrics under ``section`` and rewrite ``metrics.json``."""
        self.metrics.setdefault(section, {}).update(values)
        self._write_index()

    def add_figure(self, section: str, name: str, fig: Figure) -> Path:
        """Save ``fig`` as ``figures/<section>-<name>.png``, close it, and record it."""
        import matplotlib.pyplot as plt

        relative = f"figures/{section}-{name}.png"
        save_figure(fig, self.path / relative)
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

    def _write_index(self) -> None:
        write_json(
            self.metrics_path, {"metrics": self.metrics, "figures": self.figures, "completed": self.completed}
        )
