"""What every logger shares: the run it records, the flat config, and a section's numbers.

:func:`track` drives a section's loggers (start, then finish with the section's status),
:func:`log_epoch` sends them each epoch as it ends, and :func:`log_section` what the section
recorded: each epoch of its histories (unless they went live), then its final numbers. Light:
no torch, no tracker package.
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from embedlab.errors import ConfigError

if TYPE_CHECKING:
    from embedlab.protocols import LoggerProtocol

__all__ = [
    "HISTORY_KEY",
    "ParamValue",
    "RunStatus",
    "TrackedRun",
    "final_numbers",
    "flat_params",
    "histories",
    "log_epoch",
    "log_section",
    "numeric_leaves",
    "require",
    "track",
]

logger = logging.getLogger(__name__)

#: A value of the flat config a logger receives.
ParamValue: TypeAlias = str | int | float | bool | None
#: How a tracked section ended (MLflow's run statuses).
RunStatus: TypeAlias = Literal["FINISHED", "FAILED", "KILLED"]
#: The metrics key of a section's training history, whose names are logged without a prefix.
HISTORY_KEY = "history"
#: Metrics keys that describe the section rather than measure it.
_NOT_MEASURED = frozenset({HISTORY_KEY, "dataset"})


@dataclass(frozen=True)
class TrackedRun:
    """The run a logger records: one report section of an ``embedlab run``.

    Attributes
    ----------
    name
        The tracker's run name: the run folder's name (``triplet-20260101-120000``), followed
        by ``/<section>`` in a run of several parts.
    experiment
        The config's name: runs of one config form one experiment.
    section
        The report section (the config's name, or its part's); a safe file name.
    directory
        The run folder, where a logger with no destination of its own writes.
    """

    name: str
    experiment: str
    section: str
    directory: Path


def require(module: str, logger_name: str, extra: str) -> ModuleType:
    """Import the package a logger needs.

    Raises
    ------
    ConfigError
        If it is not installed: one line naming the logger, the package and the install that
        adds it (``pip install 'embedlab[tensorboard]'``).
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.partition(".")[0]
        raise ConfigError(
            f"logger {logger_name!r} needs the {package} package, which is not installed; "
            f"pip install 'embedlab[{extra}]' or remove {logger_name} from loggers:"
        ) from None


def flat_params(config: Mapping[str, Any], prefix: str = "") -> dict[str, ParamValue]:
    """A nested config as dotted keys: ``train.epochs``, ``loss.params.margin``, ``metrics.0.name``.

    Empty mappings and lists are left out; any other leaf that is not a scalar becomes its string.
    """
    out: dict[str, ParamValue] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= flat_params(value, f"{name}.")
        elif isinstance(value, list | tuple):
            out |= flat_params({str(i): item for i, item in enumerate(value)}, f"{name}.")
        else:
            out[name] = value if value is None or isinstance(value, str | int | float | bool) else str(value)
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def numeric_leaves(value: Any, name: str = "", sep: str = "/") -> dict[str, float]:
    """The finite numbers in nested mappings, by key path: ``{"val": {"loss": 1.0}}`` gives ``val/loss``.

    Parameters
    ----------
    value
        A number, or a mapping of (mappings of) numbers; lists, strings, booleans and
        non-finite numbers are not metrics and are left out.
    name
        The key path of ``value`` itself, which starts every name.
    sep
        What joins the keys: ``/`` groups names in TensorBoard and MLflow.
    """
    if isinstance(value, Mapping):
        return {
            k: v
            for key, item in value.items()
            for k, v in numeric_leaves(item, f"{name}{sep}{key}" if name else str(key), sep).items()
        }
    number = _number(value)
    return {} if number is None else {name: number}


def histories(metrics: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """A section's per-epoch histories: each value that is a list of records with an ``epoch``."""
    return {
        key: value
        for key, value in metrics.items()
        if isinstance(value, list)
        and value
        and all(isinstance(r, Mapping) and _number(r.get("epoch")) is not None for r in value)
    }


def final_numbers(metrics: Mapping[str, Any]) -> dict[str, float]:
    """A section's measured numbers outside its histories, by ``key/inner`` name.

    ``{"retrieval": {"val": {"precision_at_1": 0.9}}}`` gives ``retrieval/val/precision_at_1``;
    the dataset's description and lists (tables, word lists) are left out.
    """
    return numeric_leaves({key: value for key, value in metrics.items() if key not in _NOT_MEASURED})


def _safely(loggers: Sequence[LoggerProtocol], what: str, call: str, *args: Any) -> None:
    """Call one method of every logger; a failure is a warning, since the run's own files are written."""
    for target in loggers:
        try:
            getattr(target, call)(*args)
        except Exception as exc:  # noqa: BLE001 - a tracker's failure must not fail a finished section
            logger.warning(
                "logger %s failed to %s: %s: %s", type(target).__name__, what, type(exc).__name__, exc
            )


def log_epoch(loggers: Sequence[LoggerProtocol], record: Mapping[str, Any], prefix: str = "") -> int | None:
    """Send one epoch's numbers to the loggers, with its ``epoch`` as the step.

    Parameters
    ----------
    record
        A history record (``{"epoch": 3, "train_loss": 0.1, ...}``).
    prefix
        Put before each name (``<prefix>/train_loss``); empty for the section's own history.

    Returns
    -------
    int or None
        The step, or None for a record without an epoch (nothing is sent).
    """
    epoch = _number(record.get("epoch"))
    if epoch is None:
        return None
    values = numeric_leaves({k: v for k, v in record.items() if k != "epoch"}, prefix)
    if values:
        _safely(loggers, "log metrics", "log_metrics", int(epoch), values)
    return int(epoch)


def log_section(
    loggers: Sequence[LoggerProtocol], metrics: Mapping[str, Any], last_live: int | None = None
) -> None:
    """Send a section's numbers to its loggers: every epoch of each history, then the final numbers.

    The records of :data:`HISTORY_KEY` are logged under their own names (``train_loss``),
    those of another history under ``<key>/<name>``; each at its ``epoch`` as the step. The
    final numbers (:func:`final_numbers`) are logged at the last epoch (0 without a history).
    With ``last_live``, the last epoch already sent by :func:`log_epoch` as training went, the
    histories are not sent again and the final numbers go at that step.
    """
    last = last_live or 0
    if last_live is None:
        for key, records in histories(metrics).items():
            for record in records:
                last = max(last, log_epoch(loggers, record, "" if key == HISTORY_KEY else key) or 0)
    final = final_numbers(metrics)
    if final:
        _safely(loggers, "log metrics", "log_metrics", last, final)


@contextmanager
def track(
    loggers: Sequence[LoggerProtocol], run: TrackedRun, params: Mapping[str, ParamValue]
) -> Iterator[None]:
    """Start every logger, run the block, and finish each with the block's outcome.

    A logger that fails to start fails the section before it trains (the ones started are
    finished as ``"FAILED"``); one that fails to finish is a logged warning.
    """
    started: list[LoggerProtocol] = []
    try:
        for target in loggers:
            target.start(run, params)
            started.append(target)
    except BaseException:
        _safely(started, "finish", "finish", "FAILED")
        raise
    status: RunStatus = "FAILED"
    try:
        yield
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        _safely(started, "finish", "finish", status)
