"""Experiment tracking: loggers that ``embedlab run`` sends each section's numbers to.

A config lists them under ``loggers:`` (``loggers: [tensorboard]``, or
``loggers: [{name: mlflow, params: {tracking_uri: ...}}]``); a part without its own list uses
the top level's. Loggers are plugins of kind ``logger``
(:func:`~embedlab.hookspecs.embedlab_register_loggers`), each honouring
:class:`~embedlab.protocols.LoggerProtocol`. Built in: ``tensorboard``
(:class:`~embedlab.tracking.tensorboard_logger.TensorBoardLogger`) and ``mlflow``
(:class:`~embedlab.tracking.mlflow_logger.MlflowLogger`), each an optional extra.
"""

from __future__ import annotations

from embedlab.tracking.base import RunStatus, TrackedRun, flat_params, log_epoch, log_section, track

__all__ = ["RunStatus", "TrackedRun", "flat_params", "log_epoch", "log_section", "track"]
