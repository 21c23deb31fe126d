"""embedlab's built-in loggers, registered through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab.hookspecs import Register
from embedlab.registry import hookimpl
from embedlab.tracking.params import MlflowParams, TensorBoardParams


@hookimpl
def embedlab_register_loggers(register: Register) -> None:
    """Register the ``tensorboard`` and ``mlflow`` loggers."""
    register(
        "tensorboard",
        "embedlab.tracking.tensorboard_logger:TensorBoardLogger",
        params=TensorBoardParams,
        summary="TensorBoard event files per section under the run folder (extra: tensorboard)",
    )
    register(
        "mlflow",
        "embedlab.tracking.mlflow_logger:MlflowLogger",
        params=MlflowParams,
        summary="An MLflow run per section: flat config as params, metrics per epoch (extra: mlflow)",
    )
