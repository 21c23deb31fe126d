"""Params models of the built-in loggers (light: importing them imports no tracker package)."""

from __future__ import annotations

from pydantic import Field

from embedlab.params import Params

__all__ = ["MlflowParams", "TensorBoardParams"]


class TensorBoardParams(Params):
    """Params of the ``tensorboard`` logger."""

    log_dir: str | None = Field(
        None,
        description="Folder of the event files, one subfolder per report section; "
        "'<run folder>/tensorboard' by default.",
    )


class MlflowParams(Params):
    """Params of the ``mlflow`` logger."""

    tracking_uri: str | None = Field(
        None,
        description="Where MLflow records runs: a server ('http://host:5000'), 'sqlite:///path.db' or "
        "'databricks'. By default $MLFLOW_TRACKING_URI, else the SQLite store 'mlflow.db' in the "
        "folder holding the run folders (--out), shared by the runs there.",
    )
    experiment: str | None = Field(None, description="The MLflow experiment; the config's name by default.")
