"""Run history: list the run directories under a folder, and compare two runs.

:func:`read_run` reads a run directory's ``run.json`` (name, start, duration, status, and each
part's task, dataset and headline metric; see :mod:`embedlab.lab.runinfo`). A run written
before ``run.json`` existed is still read: its name and parts come from ``config.json``, its
start from the directory's timestamp, and its status is ``"unknown"``.

:func:`compare_runs` pairs the two runs' sections by name (two single-section runs are paired
whatever their names), diffs their configs, and sets the numeric metrics both hold side by
side; :func:`write_comparison_page` renders that, with both runs' learning curves overlaid,
as one self-contained HTML page.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from embedlab.errors import InputError
from embedlab.io import atomic_write, read_json
from embedlab.lab.run import config_changes
from embedlab.lab.runinfo import RUN_INFO, PartInfo, RunInfo, read_run_info
from embedlab.lab.tables import format_table
from embedlab.tracking.base import histories as section_histories
from embedlab.tracking.base import numeric_leaves

__all__ = [
    "MetricDelta",
    "RunComparison",
    "RunSummary",
    "compare_runs",
    "is_run_directory",
    "list_runs",
    "read_run",
    "render_comparison_html",
    "resolve_run",
    "write_comparison_page",
]

logger = logging.getLogger(__name__)

#: Section entries of ``metrics.json`` that describe a run rather than measure it.
_DESCRIPTIVE = ("dataset", "components")
_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?$")


@dataclass(frozen=True)
class RunSummary:
    """What a run directory says about its run: its ``run.json``, or what older files tell.

    Attributes
    ----------
    path
        The run directory.
    name
        The config's name.
    started_at, finished_at
        When it started and finished (UTC), where known.
    duration_s
        Its wall time in seconds, once finished.
    status
        ``"running"``, ``"completed"``, ``"failed"``, or ``"unknown"`` for a run without ``run.json``.
    parts
        Its sections, in order, with their task, dataset and headline metric.
    info
        The run's ``run.json`` (:class:`~embedlab.lab.runinfo.RunInfo`), when it has one.
    """

    path: Path
    name: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    status: str
    parts: tuple[PartInfo, ...]
    info: RunInfo | None = None

    @property
    def run(self) -> str:
        """The run directory's name (``<name>-<timestamp>``)."""
        return self.path.name

    @property
    def headline(self) -> str:
        """Each part's headline metric as ``part: metric=value``, the parts separated by semicolons."""
        return "; ".join(
            f"{p.name}: {p.headline.name}={_number(p.headline.value)}" for p in self.parts if p.headline
        )

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON data: ``run.json``'s layout (seed, versions and commit ``null`` without one) and the path."""
        if self.info is not None:
            return {"path": str(self.path), **self.info.model_dump(mode="json")}
        return {
            "path": str(self.path),
            "name": self.name,
            "run": self.run,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": None,
            "duration_s": None,
            "status": self.status,
            "seed": None,
            "versions": None,
            "git_commit": None,
            "parts": [p.model_dump(mode="json") for p in self.parts],
        }


@dataclass(frozen=True)
class MetricDelta:
    """One numeric metric both runs hold: its flattened key path and both values."""

    key: str
    a: float
    b: float

    @property
    def delta(self) -> float:
        """``b - a``."""
        return self.b - self.a


@dataclass(frozen=True)
class RunComparison:
    """Two runs side by side.

    Attributes
    ----------
    a, b
        The runs, as :func:`read_run` reads them.
    config_changes
        How B's config differs from A's, one ``key.path: a -> b`` per change.
    metrics
        The numeric metrics both runs hold, by flattened key path (``section.split.metric``).
    histories
        Per compared section, both runs' per-epoch records (A's, then B's), where both have them.
    not_shared
        What only one run holds, in words: sections, tasks, metrics.
    """

    a: RunSummary
    b: RunSummary
    config_changes: list[str]
    metrics: list[MetricDelta]
    histories: dict[str, tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]] = field(default_factory=dict)
    not_shared: list[str] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        """One line naming what the runs do not share, or ``None`` when they share everything."""
        return "compared on what both runs hold; " + "; ".join(self.not_shared) if self.not_shared else None

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON data (non-finite numbers become ``null``)."""
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "config_changes": self.config_changes,
            "metrics": [
                {"key": m.key, "a": _finite(m.a), "b": _finite(m.b), "delta": _finite(m.delta)}
                for m in self.metrics
            ],
            "curves": sorted(self.histories),
            "not_shared": self.not_shared,
        }

    def render_text(self) -> str:
        """The comparison as text: both runs, the config changes and the metric table."""
        lines = [f"A: {self.a.run} ({self.a.path})", f"B: {self.b.run} ({self.b.path})", ""]
        if self.config_changes:
            lines += ["Config changes (A -> B):", *(f"  {c}" for c in self.config_changes)]
        else:
            lines.append("Config: the same")
        lines += ["", f"Metrics both runs hold ({len(self.metrics)}):"]
        rows = [[m.key, _number(m.a), _number(m.b), _number(m.delta, signed=True)] for m in self.metrics]
        lines.append(format_table(["metric", "A", "B", "delta"], rows, numeric=(1, 2, 3)))
        return "\n".join(lines)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _number(value: float | None, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def is_run_directory(path: Path) -> bool:
    """Whether ``path`` is a folder an embedlab run wrote (it holds ``run.json`` or ``config.json``)."""
    return path.is_dir() and ((path / RUN_INFO).is_file() or (path / "config.json").is_file())


def _mapping(path: Path, what: str) -> dict[str, Any]:
    """A JSON file's mapping; ``{}`` when the file is absent."""
    if not path.is_file():
        return {}
    data = read_json(path, what, "re-run the experiment, or remove the folder if it is not a run")
    if not isinstance(data, dict):
        raise InputError(f"{what} {str(path)!r} is not a JSON mapping; re-run the experiment or remove it")
    return data


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _parts_from_config(config: dict[str, Any], metrics: dict[str, Any]) -> tuple[PartInfo, ...]:
    """The parts an older run's ``config.json`` declares; a search is told by its recorded ``best_metric``."""
    parts = config.get("parts") or [config]
    found = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        name = str(part.get("name", "?"))
        dataset = part.get("dataset")
        recorded = metrics.get(name)
        searched = isinstance(recorded, dict) and "best_metric" in recorded
        found.append(
            PartInfo(
                name=name,
                task="search" if searched else _text(part.get("task")),
                dataset=_text(dataset.get("name")) if isinstance(dataset, dict) else _text(dataset),
            )
        )
    return tuple(found)


def _stamp_time(run: str) -> datetime | None:
    """The local start time in a run directory's name (``<name>-YYYYmmdd-HHMMSS[-n]``), in UTC."""
    match = _STAMP.search(run)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").astimezone(UTC)


def _recorded_metrics(path: Path) -> dict[str, Any]:
    """``metrics.json``'s section-to-metrics mapping (``{}`` before the first section wrote any)."""
    metrics = _mapping(path / "metrics.json", "run index").get("metrics", {})
    if not isinstance(metrics, dict):
        raise InputError(
            f"run index {str(path / 'metrics.json')!r} is not one embedlab wrote; re-run the experiment"
        )
    return {k: v for k, v in metrics.items() if isinstance(v, dict)}


def read_run(path: str | Path) -> RunSummary:
    """Read what a run directory says about its run: its ``run.json``, else its ``config.json``.

    A run without a readable ``run.json`` (one written before it existed) gets its name and
    parts from ``config.json``, its start from the directory's timestamp, and status
    ``"unknown"``.

    Raises
    ------
    InputError
        If ``path`` is not a run directory, or (without ``run.json``) its ``config.json`` or
        ``metrics.json`` is not a JSON mapping.
    """
    folder = Path(path)
    if not is_run_directory(folder):
        raise InputError(f"{str(folder)!r} is not a run directory (no {RUN_INFO} or config.json); pass one")
    info = read_run_info(folder)
    if info is not None:
        return RunSummary(
            path=folder,
            name=info.name,
            started_at=_time(info.started_at),
            finished_at=_time(info.finished_at),
            duration_s=info.duration_s,
            status=info.status,
            parts=tuple(info.parts),
            info=info,
        )
    config = _mapping(folder / "config.json", "run config")
    return RunSummary(
        path=folder,
        name=_text(config.get("name")) or folder.name,
        started_at=_stamp_time(folder.name),
        finished_at=None,
        duration_s=None,
        status="unknown",
        parts=_parts_from_config(config, _recorded_metrics(folder)),
    )


def list_runs(out: str | Path = "runs") -> list[RunSummary]:
    """Every run directory under ``out``, newest first; one that cannot be read is skipped with a warning.

    Raises
    ------
    InputError
        If ``out`` is not a folder.
    """
    folder = Path(out)
    if not folder.is_dir():
        raise InputError(
            f"runs folder {str(folder)!r} does not exist; pass --out with the folder your runs are in"
        )
    runs = []
    for path in sorted(p for p in folder.iterdir() if is_run_directory(p)):
        try:
            runs.append(read_run(path))
        except InputError as exc:
            logger.warning("skipped %s: %s", path, exc)
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(runs, key=lambda r: (r.started_at or oldest, r.run), reverse=True)


def resolve_run(ref: str | Path, runs_dir: str | Path = "runs") -> Path:
    """The run directory ``ref`` names: a run directory's path, or a run's name under ``runs_dir``.

    Raises
    ------
    InputError
        If neither is a run directory; the message says how to list the runs.
    """
    for candidate in (Path(ref), Path(runs_dir) / ref):
        if is_run_directory(candidate):
            return candidate
    raise InputError(
        f"no run {str(ref)!r}: not a run directory, nor a run under {str(runs_dir)!r}; "
        f"list the runs with `embedlab runs list --out {runs_dir}`"
    )


def _section_metrics(section: dict[str, Any], label: str) -> dict[str, float]:
    return {
        k: v
        for key, value in section.items()
        if key not in _DESCRIPTIVE
        for k, v in numeric_leaves(value, f"{label}.{key}", sep=".").items()
    }


def _pairs(a: list[str], b: list[str]) -> list[tuple[str, str, str]]:
    """``(label, section in A, section in B)`` for each compared section: same names, or the only two."""
    shared = [(s, s, s) for s in a if s in b]
    if not shared and len(a) == 1 and len(b) == 1:
        return [(f"{a[0]}/{b[0]}", a[0], b[0])]
    return shared


def _described(run: RunSummary) -> str:
    return ", ".join(f"{p.name} ({p.task or 'unknown task'})" for p in run.parts) or "no sections"


def compare_runs(a: str | Path, b: str | Path) -> RunComparison:
    """Compare two run directories: config changes, shared numeric metrics, overlaid histories.

    Sections are paired by name; two runs of one section each are paired whatever their
    names. Runs of different tasks are compared on what they share, and what they do not
    share is listed in :attr:`RunComparison.not_shared`.

    Raises
    ------
    InputError
        If either is not a run directory, or the runs share no metric and no history.
    """
    run_a, run_b = read_run(a), read_run(b)
    metrics_a, metrics_b = _recorded_metrics(run_a.path), _recorded_metrics(run_b.path)
    pairs = _pairs(list(metrics_a), list(metrics_b))
    tasks_a = {p.name: p.task for p in run_a.parts}
    tasks_b = {p.name: p.task for p in run_b.parts}
    values_a: dict[str, float] = {}
    values_b: dict[str, float] = {}
    histories: dict[str, tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]] = {}
    not_shared: list[str] = []
    for label, in_a, in_b in pairs:
        values_a |= _section_metrics(metrics_a[in_a], label)
        values_b |= _section_metrics(metrics_b[in_b], label)
        curves_a, curves_b = section_histories(metrics_a[in_a]), section_histories(metrics_b[in_b])
        histories |= {f"{label}.{key}": (curves_a[key], curves_b[key]) for key in curves_a if key in curves_b}
        if tasks_a.get(in_a) != tasks_b.get(in_b):
            not_shared.append(f"{label} is {tasks_a.get(in_a)} in A, {tasks_b.get(in_b)} in B")
    paired_a = {p[1] for p in pairs}
    paired_b = {p[2] for p in pairs}
    only_a = [s for s in metrics_a if s not in paired_a]
    only_b = [s for s in metrics_b if s not in paired_b]
    if only_a:
        not_shared.append(f"sections only in A: {', '.join(only_a)}")
    if only_b:
        not_shared.append(f"sections only in B: {', '.join(only_b)}")
    shared = [key for key in values_a if key in values_b]
    for role, values, other in (("A", values_a, values_b), ("B", values_b, values_a)):
        alone = [key for key in values if key not in other]
        if alone:
            more = f" and {len(alone) - 3} more" if len(alone) > 3 else ""
            not_shared.append(f"metrics only in {role}: {', '.join(alone[:3])}{more}")
    if not shared and not histories:
        raise InputError(
            f"runs {run_a.run!r} [{_described(run_a)}] and {run_b.run!r} [{_described(run_b)}] share no "
            "metric to compare; compare runs of the same task or with a section in common"
        )
    config_a = _mapping(run_a.path / "config.json", "run config")
    config_b = _mapping(run_b.path / "config.json", "run config")
    return RunComparison(
        a=run_a,
        b=run_b,
        config_changes=config_changes(config_a, config_b),
        metrics=[MetricDelta(key, values_a[key], values_b[key]) for key in shared],
        histories=histories,
        not_shared=not_shared,
    )


def _png(comparison: RunComparison, label: str) -> str:
    """Both runs' histories of ``label`` as one base64 PNG (empty when they share no curve)."""
    import matplotlib.pyplot as plt

    from embedlab.plots.runs import curve_keys, plot_history_comparison

    first, second = comparison.histories[label]
    if not curve_keys([first, second]):
        return ""
    fig = plot_history_comparison(
        {f"A: {comparison.a.run}": first, f"B: {comparison.b.run}": second}, title=label
    )
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em}"
    "th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".up{color:#0a6b2d}.down{color:#a3201b}.note{color:#6b4f00}img{max-width:100%}"
)


def _row(cells: list[str], numeric: tuple[int, ...] = (), tag: str = "td") -> str:
    return (
        "<tr>"
        + "".join(
            f'<{tag} class="n">{c}</{tag}>' if i in numeric else f"<{tag}>{c}</{tag}>"
            for i, c in enumerate(cells)
        )
        + "</tr>"
    )


def render_comparison_html(comparison: RunComparison) -> str:
    """The comparison as one self-contained HTML page; every name from the runs is escaped."""
    esc = html.escape
    runs = [
        _row(["", "run", "name", "started", "status", "headline"], tag="th"),
        *(
            _row(
                [
                    role,
                    esc(r.run),
                    esc(r.name),
                    esc(r.started_at.isoformat() if r.started_at else "?"),
                    esc(r.status),
                    esc(r.headline or "n/a"),
                ]
            )
            for role, r in (("A", comparison.a), ("B", comparison.b))
        ),
    ]
    body = [f"<h1>{esc(comparison.a.run)} vs {esc(comparison.b.run)}</h1>", "<table>", *runs, "</table>"]
    if comparison.note:
        body.append(f'<p class="note">{esc(comparison.note)}</p>')
    body.append("<h2>Config changes (A &rarr; B)</h2>")
    if comparison.config_changes:
        body += ["<ul>", *(f"<li><code>{esc(c)}</code></li>" for c in comparison.config_changes), "</ul>"]
    else:
        body.append("<p>The same config.</p>")
    body += ["<h2>Metrics</h2>", "<table>", _row(["metric", "A", "B", "delta"], tag="th")]
    for m in comparison.metrics:
        direction = "up" if m.delta > 0 else "down" if m.delta < 0 else ""
        delta = f'<span class="{direction}">{_number(m.delta, signed=True)}</span>'
        body.append(_row([esc(m.key), _number(m.a), _number(m.b), delta], numeric=(1, 2, 3)))
    body.append("</table>")
    figures = [(label, _png(comparison, label)) for label in comparison.histories]
    if any(data for _, data in figures):
        body.append("<h2>Curves</h2>")
    body += [
        f'<figure><img alt="{esc(label)}" src="data:image/png;base64,{data}"><figcaption>{esc(label)}</figcaption></figure>'
        for label, data in figures
        if data
    ]
    title = esc(f"embedlab: {comparison.a.run} vs {comparison.b.run}")
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_comparison_page(comparison: RunComparison, path: str | Path | None = None) -> Path:
    """Write :func:`render_comparison_html` atomically; by default to ``<B>/compare-<A's run>.html``.

    Raises
    ------
    InputError
        If the page cannot be written there.
    """
    target = Path(path) if path is not None else comparison.b.path / f"compare-{comparison.a.run}.html"
    with atomic_write(target) as fh:
        fh.write(render_comparison_html(comparison))
    return target
