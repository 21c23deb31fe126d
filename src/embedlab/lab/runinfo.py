"""``run.json``: what a run is, in one small file beside its results.

Every run directory gets ``run.json``, written atomically when the run starts (status
``"running"``) and rewritten when it ends (``"completed"``, or ``"failed"`` when it raised).
It holds the run's name, start, end and duration, its seed, the embedlab, torch and Python
versions, the git commit of the working directory, and per part its task, dataset and headline
metric (see :attr:`~embedlab.tasks.base.Task.headline`); the report's overview shows the same.
The layout is documented on the concepts page.
"""

from __future__ import annotations

import platform
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pydantic

from embedlab.io import write_json
from embedlab.registry import get
from embedlab.space import find_spaces
from embedlab.tasks.base import HeadlineMetric

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory

__all__ = [
    "RUN_INFO",
    "RUN_INFO_VERSION",
    "Headline",
    "PartInfo",
    "RunInfo",
    "RunRecord",
    "Versions",
    "git_commit",
    "read_run_info",
    "record_run",
    "versions",
]

#: The file name of a run's summary inside its run directory.
RUN_INFO = "run.json"
#: Version of the ``run.json`` layout.
RUN_INFO_VERSION = 1

Status = Literal["running", "completed", "failed", "unknown"]


class Headline(pydantic.BaseModel):
    """A part's headline metric: its name and value."""

    name: str
    value: float


class PartInfo(pydantic.BaseModel):
    """One part (report section) of a run."""

    name: str
    task: str | None = pydantic.Field(description='The task\'s name, or ``"search"`` for a search.')
    dataset: str | None = None
    headline: Headline | None = None


class Versions(pydantic.BaseModel):
    """The versions a run ran with."""

    embedlab: str
    torch: str | None = None
    python: str


class RunInfo(pydantic.BaseModel):
    """The content of ``run.json``."""

    schema_version: int = RUN_INFO_VERSION
    name: str
    run: str = pydantic.Field(description="The run directory's name.")
    started_at: str = pydantic.Field(description="ISO-8601, UTC.")
    finished_at: str | None = None
    duration_s: float | None = None
    status: Status = "running"
    seed: int | None = None
    versions: Versions
    git_commit: str | None = None
    parts: list[PartInfo] = []


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def versions() -> Versions:
    """embedlab's, torch's (``None`` if not installed) and Python's versions, without importing torch."""
    return Versions(
        embedlab=_version("embedlab") or "unknown",
        torch=_version("torch"),
        python=platform.python_version(),
    )


def git_commit(folder: str | Path | None = None) -> str | None:
    """The commit checked out in ``folder`` (the working directory by default); ``None`` outside a git repository.

    Any failure (no git, not a repository, a slow file system) gives ``None``: the commit is
    a note in the report, never a reason to stop a run.
    """
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) >= 40 else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _headline_metric(part: ExperimentConfig) -> HeadlineMetric | None:
    """What sums up the section ``part`` runs: a search's best metric, or its task's headline."""
    if find_spaces(part):
        return HeadlineMetric(f"best {part.tune.get('metric', 'metric')}", ("best_metric",))
    if part.task is None:
        return None
    factory: Any = get("task", part.task).factory
    headline = getattr(factory, "headline", None)
    return headline if isinstance(headline, HeadlineMetric) else None


def _dataset_name(part: ExperimentConfig, metrics: dict[str, Any]) -> str | None:
    """The dataset the section ran on: its recorded description's name, else the config's."""
    entry = metrics.get("dataset")
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        return str(entry["name"])
    name = part.dataset.name if part.dataset is not None else None
    return name if isinstance(name, str) else None  # not a search space's choice of datasets


class RunRecord:
    """Keeps a run's ``run.json`` up to date; made by :func:`record_run`.

    Parameters
    ----------
    rundir
        The run directory.
    config
        The whole experiment config.
    sections
        Each section's name and the experiment it runs.
    """

    def __init__(
        self, rundir: RunDirectory, config: ExperimentConfig, sections: list[tuple[str, ExperimentConfig]]
    ) -> None:
        self.rundir = rundir
        self.sections = sections
        self._clock = time.monotonic()
        self.info = RunInfo(
            name=config.name,
            run=rundir.path.name,
            started_at=_now(),
            seed=config.seed,
            versions=versions(),
            git_commit=git_commit(),
        )
        self.info = self._with_parts()

    @property
    def path(self) -> Path:
        """``run.json``."""
        return self.rundir.path / RUN_INFO

    def _with_parts(self, **update: Any) -> RunInfo:
        parts = []
        for name, part in self.sections:
            metrics = self.rundir.metrics.get(name, {})
            headline = _headline_metric(part)
            value = headline.value(metrics) if headline is not None else None
            parts.append(
                PartInfo(
                    name=name,
                    task="search" if find_spaces(part) else part.task,
                    dataset=_dataset_name(part, metrics),
                    headline=None
                    if headline is None or value is None
                    else Headline(name=headline.name, value=value),
                )
            )
        return self.info.model_copy(update={"parts": parts, **update})

    def finish(self, status: Status = "completed") -> RunInfo:
        """The run's info as it ends now with ``status``: end time, duration, and each part's headline."""
        self.info = self._with_parts(
            status=status, finished_at=_now(), duration_s=round(time.monotonic() - self._clock, 3)
        )
        return self.info

    def write(self) -> None:
        """Write ``run.json`` atomically."""
        write_json(self.path, self.info.model_dump(mode="json"))


@contextmanager
def record_run(
    rundir: RunDirectory, config: ExperimentConfig, sections: list[tuple[str, ExperimentConfig]]
) -> Iterator[RunRecord]:
    """Write ``run.json`` now (status ``"running"``) and again when the block ends.

    Inside the block, call :meth:`RunRecord.finish` once the work is done to get the finished
    info (for the report); the block's end writes it. A block that raises (an interrupt
    included) writes status ``"failed"`` and lets the error through.
    """
    record = RunRecord(rundir, config, sections)
    record.write()
    try:
        yield record
    except BaseException:
        record.finish("failed")
        record.write()
        raise
    if record.info.status == "running":
        record.finish()
    record.write()


def read_run_info(folder: str | Path) -> RunInfo | None:
    """Read a run directory's ``run.json``; ``None`` when it has none or it is not one embedlab wrote."""
    path = Path(folder) / RUN_INFO
    try:
        return RunInfo.model_validate_json(path.read_bytes())
    except (OSError, pydantic.ValidationError):
        return None
