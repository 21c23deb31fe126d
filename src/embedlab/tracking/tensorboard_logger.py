"""The ``tensorboard`` logger: TensorBoard event files through torch's ``SummaryWriter``.

Each report section writes into its own folder, ``<run folder>/tensorboard/<section>``, so
``tensorboard --logdir runs/<run>/tensorboard`` shows the sections as runs side by side, and
``tensorboard --logdir runs`` every run under ``runs``. Needs ``pip install 'embedlab[tensorboard]'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from embedlab.io import safe_name
from embedlab.tracking.base import ParamValue, RunStatus, TrackedRun, require

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

__all__ = ["TensorBoardLogger"]


def _markdown_table(params: Mapping[str, ParamValue]) -> str:
    rows = "\n".join(f"| {key} | {value} |" for key, value in params.items())
    return f"| param | value |\n| --- | --- |\n{rows}"


class TensorBoardLogger:
    """Write each epoch's numbers as TensorBoard scalars, and the config as a text summary.

    Parameters
    ----------
    log_dir
        Folder of the event files (one subfolder per section); ``<run folder>/tensorboard``
        when ``None``.

    Raises
    ------
    ConfigError
        If the ``tensorboard`` package is not installed.
    """

    def __init__(self, log_dir: str | None = None) -> None:
        require("tensorboard", "tensorboard", "tensorboard")
        self.log_dir = log_dir
        self._writer: SummaryWriter | None = None

    def __repr__(self) -> str:
        return f"TensorBoardLogger(log_dir={self.log_dir!r})"

    @property
    def writer(self) -> SummaryWriter:
        """The open writer (between :meth:`start` and :meth:`finish`)."""
        if self._writer is None:
            raise RuntimeError("TensorBoardLogger.start was not called")
        return self._writer

    def start(self, run: TrackedRun, params: Mapping[str, ParamValue]) -> None:
        """Open ``<log_dir>/<section>`` and write the flat config as the text summary ``config``."""
        from torch.utils.tensorboard import SummaryWriter

        root = Path(self.log_dir) if self.log_dir is not None else run.directory / "tensorboard"
        self._writer = SummaryWriter(log_dir=str(root / safe_name(run.section, "section")))
        self._writer.add_text("config", _markdown_table(params))

    def log_metrics(self, step: int, metrics: Mapping[str, float]) -> None:
        """Add one scalar per name at ``step``."""
        for name, value in metrics.items():
            self.writer.add_scalar(name, value, global_step=step)

    def finish(self, status: RunStatus) -> None:
        """Write the status as the text summary ``status`` and close the event file."""
        self.writer.add_text("status", status)
        self.writer.close()
        self._writer = None
