"""The ``mlflow`` logger: one MLflow run per report section, with the flat config as its params.

The experiment is the config's name; each epoch's numbers are metrics at that step, the
section's final numbers are logged at the last epoch, and the run ends ``FINISHED``,
``FAILED`` or ``KILLED`` with the section. By default runs go to ``$MLFLOW_TRACKING_URI``, or
else to the SQLite store ``mlflow.db`` beside the run folders, so every run under ``--out`` can
be compared in one place (``mlflow ui --backend-store-uri sqlite:///runs/mlflow.db``, with
the full ``mlflow`` package). Needs ``pip install 'embedlab[mlflow]'``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from embedlab.errors import ConfigError
from embedlab.params import clip
from embedlab.tracking.base import ParamValue, RunStatus, TrackedRun, require

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

__all__ = ["MlflowLogger", "mlflow_name"]

T = TypeVar("T")

#: Most params and metrics MLflow takes in one ``log_batch`` call.
_MAX_PARAMS, _MAX_METRICS = 100, 1000
#: Longest param value MLflow stores.
_MAX_VALUE = 6000


def mlflow_name(name: str) -> str:
    """``name`` with the characters MLflow refuses in metric and param names removed (``(``, ``,``)."""
    return re.sub(r"[^/\w.\- :]", "", name)


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class MlflowLogger:
    """Record each section as an MLflow run: params, metrics per epoch, status.

    Parameters
    ----------
    tracking_uri
        The MLflow tracking URI; ``$MLFLOW_TRACKING_URI``, else ``sqlite:///<out>/mlflow.db``
        (beside the run folders) when ``None``.
    experiment
        The MLflow experiment; the config's name when ``None``.

    Raises
    ------
    ConfigError
        If the ``mlflow`` package is not installed.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str | None = None) -> None:
        require("mlflow", "mlflow", "mlflow")
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self._client: MlflowClient | None = None
        self.run_id: str | None = None

    def __repr__(self) -> str:
        return f"MlflowLogger(tracking_uri={self.tracking_uri!r}, experiment={self.experiment!r})"

    def _open(self) -> tuple[MlflowClient, str]:
        if self._client is None or self.run_id is None:
            raise RuntimeError("MlflowLogger.start was not called")
        return self._client, self.run_id

    def start(self, run: TrackedRun, params: Mapping[str, ParamValue]) -> None:
        """Create the experiment if needed, start a run named ``run.name`` and log ``params``.

        Raises
        ------
        ConfigError
            If MLflow cannot record at the tracking URI (a bad URI, an unreachable server).
        """
        from mlflow.entities import Param
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        default = self.tracking_uri is None and not os.environ.get("MLFLOW_TRACKING_URI")
        uri = (
            f"sqlite:///{(run.directory.parent / 'mlflow.db').resolve()}"
            if default
            else self.tracking_uri or os.environ["MLFLOW_TRACKING_URI"]
        )
        name = self.experiment or run.experiment
        try:
            client = MlflowClient(tracking_uri=uri)
            found = client.get_experiment_by_name(name)
            experiment_id = (
                found.experiment_id
                if found is not None
                else client.create_experiment(
                    name,
                    # the store's default is ./mlruns in the working folder; keep artifacts beside the store
                    artifact_location=(run.directory.parent / "mlartifacts").resolve().as_uri()
                    if default
                    else None,
                )
            )
            created = client.create_run(
                experiment_id,
                run_name=run.name,
                tags={"embedlab.section": run.section, "embedlab.run_dir": str(run.directory)},
            )
            self._client, self.run_id = client, created.info.run_id
            entries = [Param(mlflow_name(k), clip(str(v), _MAX_VALUE)) for k, v in params.items()]
            for chunk in _chunks(entries, _MAX_PARAMS):
                client.log_batch(self.run_id, params=chunk)
        except MlflowException as exc:
            raise ConfigError(
                f"logger 'mlflow' cannot record at tracking_uri {uri!r}: {clip(str(exc), 300)}; "
                "fix tracking_uri (or $MLFLOW_TRACKING_URI)"
            ) from None

    def log_metrics(self, step: int, metrics: Mapping[str, float]) -> None:
        """Log every value at ``step``, in batches."""
        from mlflow.entities import Metric

        client, run_id = self._open()
        stamp = int(time.time() * 1000)
        entries = [Metric(mlflow_name(k), float(v), stamp, step) for k, v in metrics.items()]
        for chunk in _chunks(entries, _MAX_METRICS):
            client.log_batch(run_id, metrics=chunk)

    def finish(self, status: RunStatus) -> None:
        """End the run with ``status``."""
        client, run_id = self._open()
        client.set_terminated(run_id, status)
        self._client = None
