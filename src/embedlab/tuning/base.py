"""The tuner interface: what a tuner receives, and the per-trial record it hands back.

A tuner is any object with a ``tune(trainable, space, **settings)`` method returning a
:class:`~embedlab.tuning.result.TuneResult`. Nothing in the interface is Ray-shaped:

* ``trainable(params, report)`` trains one configuration. ``params`` maps dotted paths
  (``"backend.units"``) to values; ``report(metrics)`` is called once per epoch with a
  mapping that includes ``"epoch"`` and the objective metric. A tuner that wants to stop a
  trial early raises from ``report``; the trainable lets the exception pass.
* ``space`` is a :data:`~embedlab.space.SearchSpace` of parsed, validated domains.
* ``settings`` are the fields of :class:`~embedlab.tuning.settings.TuneSettings`.

The built-in ``ray`` tuner runs trials as Ray Tune trials, locally or on a cluster; the
``optuna`` tuner in ``plugins/embedlab-optuna`` runs them in-process.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

if TYPE_CHECKING:
    from embedlab.space import SearchSpace
    from embedlab.tuning.result import TuneResult

__all__ = [
    "Report",
    "Retrainable",
    "Trainable",
    "TrialRecord",
    "Tuner",
    "describe_error",
    "describe_value",
    "is_retrainable",
    "trial_status",
]

#: Called by a trainable once per epoch with that epoch's metrics.
Report = Callable[[dict[str, Any]], None]


class Trainable(Protocol):
    """Trains one configuration, reporting metrics after every epoch."""

    def __call__(self, params: dict[str, Any], report: Report) -> None:
        """Train with ``params``, calling ``report`` once per epoch."""


class Retrainable(Trainable, Protocol):
    """A trainable that can also retrain one configuration for longer: what a task's trainable is.

    :meth:`~embedlab.tuning.result.TuneResult.retrain_best` uses it to retrain the best
    configuration and the baseline.
    """

    config: Any

    def run(
        self,
        params: dict[str, Any],
        epochs: int,
        report: Report | None = None,
        *,
        evaluate_test: bool = False,
        progress: bool = False,
    ) -> dict[str, float]:
        """Train ``params`` for ``epochs`` epochs and return the final metrics."""

    def default_params(self, names: list[str]) -> dict[str, Any]:
        """The value each searched parameter takes when its spec is removed."""


def is_retrainable(trainable: Trainable) -> TypeGuard[Retrainable]:
    """Whether ``trainable`` can also retrain a configuration (a task's trainable can; a bare function cannot)."""
    return callable(getattr(trainable, "run", None)) and callable(getattr(trainable, "default_params", None))


class Tuner(Protocol):
    """A hyperparameter search strategy, registered under kind ``tuner``."""

    def tune(self, trainable: Trainable, space: SearchSpace, **settings: Any) -> TuneResult:
        """Run the search and return every trial, failed ones included."""


@dataclass
class TrialRecord:
    """What one trial did.

    Attributes
    ----------
    trial_id
        The tuner's name for the trial.
    params
        The sampled value of every searched parameter, by dotted path.
    status
        ``"completed"`` (trained every epoch), ``"stopped"`` (stopped early by the
        scheduler), ``"failed"`` (raised an error) or ``"pending"`` (never ran).
    history
        One mapping per reported epoch.
    error
        ``"ExceptionType: message"`` for a failed trial.
    time_s
        Wall time of the trial, setup included.
    info
        Anything else worth a column (node, ``CUDA_VISIBLE_DEVICES``, start and end times).
    """

    trial_id: str
    params: dict[str, Any]
    status: str
    history: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    time_s: float = math.nan
    info: dict[str, Any] = field(default_factory=dict)


def describe_value(value: Any) -> str:
    """A short display form of a parameter value (floats to 4 significant digits)."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    return str(value)


def trial_status(epochs_done: int, max_epochs: int, failed: bool) -> str:
    """Classify a finished trial as ``failed``, ``completed``, ``stopped`` or ``pending``."""
    if failed:
        return "failed"
    if epochs_done == 0:
        return "pending"
    return "completed" if epochs_done >= max_epochs else "stopped"


def describe_error(error: BaseException | None) -> str | None:
    """One line naming the root cause of a trial's error, unwrapping tuner wrappers."""
    if error is None:
        return None
    cause: BaseException = error
    for _ in range(5):  # Ray wraps the trial's exception (RayTaskError -> cause)
        inner = getattr(cause, "cause", None) or cause.__cause__
        if inner is None or inner is cause:
            break
        cause = inner
    message = str(cause).strip()
    if "Traceback" in message or "\n" in message:
        lines = [ln for ln in message.splitlines() if ln.strip() and not ln.startswith(" ")]
        message = lines[-1] if lines else message
        return message if ":" in message else f"{type(cause).__name__}: {message}"
    return "".join(traceback.format_exception_only(type(cause), cause)).strip().splitlines()[-1]
