"""embedlab: learn and evaluate embeddings, through plugins.

The public API is small and importing it is cheap: torch, ray, gensim and scikit-learn are
imported only by the components that need them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedlab.config import Component, ExperimentConfig, load_config
from embedlab.errors import (
    CheckpointError,
    ConfigError,
    EmbedlabError,
    InputError,
    PluginConflictError,
    PluginLoadError,
    TrainingError,
    UnknownPluginError,
)
from embedlab.params import Params
from embedlab.registry import PluginInfo, PluginWarning, create, hookimpl, plugins

if TYPE_CHECKING:
    from embedlab.lab.run import RunResult
    from embedlab.tuning.result import TuneResult


def run(
    config_or_path: ExperimentConfig | dict[str, Any] | str | Path,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    force_new: bool = False,
    stand_in: bool = False,
) -> RunResult:
    """Run an experiment into a run directory with a report; see :func:`embedlab.lab.run.run`.

    Returns a :class:`~embedlab.lab.run.RunResult` (``.path``, ``.metrics``, ``.figures``,
    ``.report``). The CLI is ``embedlab run CONFIG --out DIR [--resume [--force-new]] [--stand-in]``.
    """
    from embedlab.lab.run import run as _run

    return _run(config_or_path, out, resume=resume, force_new=force_new, stand_in=stand_in)


def tune(config_or_path: ExperimentConfig | dict[str, Any] | str | Path, **overrides: Any) -> TuneResult:
    """Run a hyperparameter search over an experiment config; see :func:`embedlab.tuning.api.tune`.

    Overrides include ``num_samples``, ``max_epochs``, ``storage_path`` and ``address``. Returns
    a :class:`~embedlab.tuning.result.TuneResult` (``.best_config``, ``.best_metric``,
    ``.table``, ``.summary(n)``). Ray is imported only when this is called.
    """
    from embedlab.tuning.api import tune as _tune

    return _tune(config_or_path, **overrides)


try:
    __version__ = version("embedlab")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "CheckpointError",
    "Component",
    "ConfigError",
    "EmbedlabError",
    "ExperimentConfig",
    "InputError",
    "Params",
    "PluginConflictError",
    "PluginInfo",
    "PluginLoadError",
    "PluginWarning",
    "TrainingError",
    "UnknownPluginError",
    "__version__",
    "create",
    "hookimpl",
    "load_config",
    "plugins",
    "run",
    "tune",
]
