"""Run reports: ``report.md`` and a self-contained ``report.html`` (figures embedded, no network).

Both open with an overview: a row per part with its task, dataset and headline metric, then
the run's duration, seed, versions, git commit and links to ``config.yaml`` and
``metrics.json`` (from ``run.json``, see :mod:`embedlab.lab.runinfo`). Each section then opens
with the dataset it ran on, in words (the ``"dataset"`` entry that
:meth:`~embedlab.lab.rundir.RunDirectory.describe_dataset` records), then its metric tables
(see :mod:`embedlab.lab.tables`) and figures. In the HTML page every section can be collapsed,
long tables start collapsed, and figures that repeat per split (``val-roc``, ``test-roc``)
share one row of tabs.

Both are rendered from jinja2 templates (``embedlab/lab/templates``). Every name and value in
a report comes from input (a config, a data file, a ``metrics.json`` on disk), so both escape
it: HTML through jinja2's autoescaping, Markdown through :func:`embedlab.io.escape_markdown`,
applied to every value the template prints. Only figure files inside the run directory are
embedded or linked.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import pydantic
from markupsafe import Markup

from embedlab.data.base import DatasetDescription
from embedlab.errors import InputError
from embedlab.io import atomic_write, escape_markdown, read_json, within
from embedlab.lab.runinfo import RunInfo, read_run_info
from embedlab.lab.tables import Cell, Table, format_duration, format_value, layout_tables
from embedlab.lab.tables import metric_tables as metric_tables

__all__ = [
    "FigureGroup",
    "Overview",
    "EmbeddedImage",
    "Section",
    "dataset_line",
    "embed_image",
    "embeddable_figures",
    "figure_groups",
    "overview",
    "render_html",
    "render_markdown",
    "write_reports",
]

logger = logging.getLogger(__name__)

#: Split names that, inside a figure name, mark figures that repeat per split.
SPLITS = ("train", "val", "test")
#: Files of a run directory the overview links to, when present.
LINKED_FILES = ("config.yaml", "metrics.json", "run.json")
#: The resolution figures are saved at (:func:`embedlab.io.save_figure`), and a CSS pixel's.
FIGURE_DPI, CSS_DPI = 120, 96


@dataclass(frozen=True)
class FigureGroup:
    """Figures shown together: one figure, or the same figure per split (``labels`` are the splits)."""

    name: str
    paths: list[str]
    labels: list[str]


@dataclass(frozen=True)
class Section:
    """One report section, ready to render."""

    name: str
    dataset: str | None
    tables: list[Table]
    figures: list[FigureGroup]


@dataclass(frozen=True)
class Overview:
    """The report's opening table and facts.

    Attributes
    ----------
    rows
        Per part: its name, task, dataset, headline metric's name and value.
    facts
        ``(label, text)`` pairs: status, started, duration, seed, versions, git commit.
    links
        Files of the run directory to link (``config.yaml``, ``metrics.json``).
    """

    rows: list[list[Cell]]
    facts: list[tuple[str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def dataset_line(values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Split a section's metrics into its dataset, in words, and the other metrics.

    Returns
    -------
    tuple
        ``"Dataset: <name> — <source>; <split sizes>; <classes>"`` (None when the section records
        no dataset description), and the metrics without it. A ``"dataset"`` entry that is not a
        description stays among the metrics.
    """
    entry = values.get("dataset")
    if entry is None:
        return None, values
    try:
        description = DatasetDescription.model_validate(entry)
    except pydantic.ValidationError:
        return None, values
    return f"Dataset: {description}", {k: v for k, v in values.items() if k != "dataset"}


def embeddable_figures(root: str | Path, figures: dict[str, Any]) -> dict[str, list[str]]:
    """Keep the figure entries that name an existing file inside ``root``; warn about the rest.

    ``figures`` maps a section to a list of paths relative to ``root``, as ``metrics.json``
    holds them; an entry that is not a string, leaves ``root`` (``..``, an absolute path, a
    symbolic link out) or names no file is dropped without being read.
    """
    kept: dict[str, list[str]] = {}
    for section, entries in figures.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, str) and within(root, entry) and (Path(root) / entry).is_file():
                kept.setdefault(section, []).append(entry)
            else:
                logger.warning(
                    "figure %r of section %r is not a file inside %s; skipped", entry, section, root
                )
    return kept


def _split_of(section: str, path: str) -> tuple[str, str | None]:
    """A figure's name without its section prefix and split (``roc``), and that split (``val``)."""
    stem = Path(path).stem
    name = stem.removeprefix(f"{section}-")
    tokens = name.split("-")
    split = next((t for t in tokens if t in SPLITS), None)
    if split is None:
        return name, None
    return "-".join(t for t in tokens if t != split) or split, split


def figure_groups(section: str, paths: list[str]) -> list[FigureGroup]:
    """Group a section's figures: those that differ only by a split name share one group.

    ``figures/s-val-roc.png`` and ``figures/s-test-roc.png`` become the group ``roc`` with
    labels ``val`` and ``test``, placed where its first figure was; other figures stay alone,
    labelled by their name.
    """
    named = [(path, *_split_of(section, path)) for path in paths]
    per_split: dict[str, list[tuple[str, str]]] = {}
    for path, name, split in named:
        if split is not None:
            per_split.setdefault(name, []).append((path, split))
    groups: list[FigureGroup] = []
    placed: set[str] = set()
    for path, name, split in named:
        members = per_split.get(name, []) if split is not None else []
        if len(members) > 1:
            if name not in placed:
                placed.add(name)
                groups.append(FigureGroup(name, [p for p, _ in members], [s for _, s in members]))
        else:
            groups.append(FigureGroup(Path(path).stem, [path], [name]))
    return groups


def _rankings(root: Path | None) -> dict[str, tuple[str, str]]:
    """Per section that searched, its ``(tune.metric, tune.mode)``, read from ``config.json``."""
    if root is None or not (root / "config.json").is_file():
        return {}
    try:
        saved = read_json(root / "config.json", "run config")
    except InputError:
        return {}
    if not isinstance(saved, dict):
        return {}
    parts = saved.get("parts") or [saved]
    out: dict[str, tuple[str, str]] = {}
    for part in parts if isinstance(parts, list) else []:
        tune = part.get("tune") if isinstance(part, dict) else None
        if (
            isinstance(tune, dict)
            and isinstance(tune.get("metric"), str)
            and isinstance(part.get("name"), str)
        ):
            out[part["name"]] = (tune["metric"], "min" if tune.get("mode") == "min" else "max")
    return out


def _sections(root: Path | None, metrics: dict[str, Any], figures: dict[str, list[str]]) -> list[Section]:
    rankings = _rankings(root)
    sections = []
    for name in dict.fromkeys([*metrics, *figures]):
        dataset, values = dataset_line(metrics.get(name, {}))
        sections.append(
            Section(
                name,
                dataset,
                layout_tables(values, rankings.get(name)),
                figure_groups(name, figures.get(name, [])),
            )
        )
    return sections


def _started(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return iso


def overview(metrics: dict[str, Any], info: RunInfo | None = None, root: Path | None = None) -> Overview:
    """The overview of a run: from its ``run.json`` info, or (without one) from its metrics alone.

    Parameters
    ----------
    metrics
        Section name to its metrics, as in ``metrics.json``.
    info
        The run's info; without it each section is listed with the dataset it recorded.
    root
        The run directory, whose ``config.yaml``, ``metrics.json`` and ``run.json`` are linked.
    """
    links = [name for name in LINKED_FILES if root is not None and (root / name).is_file()]
    if info is None:
        rows = []
        for name, values in metrics.items():
            dataset, _ = dataset_line(values)
            described = values.get("dataset", {}).get("name") if dataset else None
            rows.append([Cell(name), Cell("—"), format_value(described), Cell("—"), Cell("—")])
        return Overview(rows, links=links)
    rows = [
        [
            Cell(part.name),
            format_value(part.task),
            format_value(part.dataset),
            format_value(part.headline.name if part.headline else None),
            format_value(part.headline.value if part.headline else None),
        ]
        for part in info.parts
    ]
    versions = info.versions
    facts = [
        ("status", info.status),
        ("started", _started(info.started_at)),
        ("duration", format_duration(info.duration_s) if info.duration_s is not None else "—"),
        ("seed", format_value(info.seed).text),
        (
            "versions",
            f"embedlab {versions.embedlab}, torch {versions.torch or 'not installed'}, Python {versions.python}",
        ),
    ]
    if info.git_commit:
        facts.append(("git commit", info.git_commit))
    return Overview(rows, facts, links)


@dataclass(frozen=True)
class EmbeddedImage:
    """A figure as the HTML page embeds it: a ``data:`` URI and the width to show it at (CSS pixels)."""

    uri: str
    width: int | None


def embed_image(path: Path) -> EmbeddedImage:
    """Embed a figure file compactly: as a 256-colour PNG, which plots need no more of.

    Its width is set so that a figure saved at embedlab's 120 dpi shows at its true size. A
    file Pillow cannot read is embedded as it is, at its natural size; the full file stays in
    ``figures/`` either way (the report links it).
    """
    from PIL import Image, UnidentifiedImageError

    raw = path.read_bytes()
    try:
        with Image.open(io.BytesIO(raw)) as image:
            width = round(image.width * CSS_DPI / FIGURE_DPI)
            out = io.BytesIO()
            image.convert("RGB").quantize(colors=256).save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return EmbeddedImage("data:image/png;base64," + base64.b64encode(raw).decode("ascii"), None)
    data = out.getvalue() if len(out.getvalue()) < len(raw) else raw
    return EmbeddedImage("data:image/png;base64," + base64.b64encode(data).decode("ascii"), width)


def _md(value: Any) -> Any:
    """Escape everything a Markdown template prints, except what it marked safe (its own links)."""
    return value if isinstance(value, Markup) else escape_markdown("" if value is None else value)


@cache
def _environment(markdown: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("embedlab.lab", "templates"),
        autoescape=not markdown,
        finalize=_md if markdown else None,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["url"] = lambda path: Markup(quote(str(path)))
    env.globals["zip"] = zip
    return env


def _render(
    template: str,
    title: str,
    metrics: dict[str, Any],
    sections: list[Section],
    info: RunInfo | None,
    root: Path | None,
    **extra: Any,
) -> str:
    """Render a report template (Markdown for ``.md.j2``) with the overview and the sections."""
    env = _environment(markdown=template.endswith(".md.j2"))
    opening = overview(metrics, info, root)
    return env.get_template(template).render(title=title, overview=opening, sections=sections, **extra)


def render_markdown(
    title: str,
    metrics: dict[str, Any],
    figures: dict[str, list[str]],
    info: RunInfo | None = None,
    root: Path | None = None,
) -> str:
    """Render the report as Markdown, linking the figure files; every name and value is escaped.

    ``info`` fills the overview (see :func:`overview`); ``root``, the run directory, gives the
    linked files and the ranking of search trials.
    """
    return _render("report.md.j2", title, metrics, _sections(root, metrics, figures), info, root)


def render_html(
    root: Path,
    title: str,
    metrics: dict[str, Any],
    figures: dict[str, list[str]],
    info: RunInfo | None = None,
) -> str:
    """Render one self-contained HTML page: the overview, tables, and every figure embedded as PNG.

    Only figure files inside ``root`` are read (see :func:`embeddable_figures`); each is
    embedded by :func:`embed_image` and its caption links the full file.
    """
    figures = embeddable_figures(root, figures)
    images = {path: embed_image(root / path) for paths in figures.values() for path in paths}
    sections = _sections(root, metrics, figures)
    tabs = max((len(g.paths) for s in sections for g in s.figures), default=0)
    return _render("report.html.j2", title, metrics, sections, info, root, images=images, tabs=tabs)


def write_reports(
    root: str | Path,
    title: str,
    metrics: dict[str, Any],
    figures: dict[str, list[str]],
    info: RunInfo | None = None,
) -> Path:
    """Write ``report.md`` and ``report.html`` into ``root`` atomically; return the HTML path.

    ``info`` fills the overview; without it the run's ``run.json`` is read when there is one.
    Figure entries that are not files inside ``root`` are skipped with a warning.
    """
    root = Path(root)
    info = info if info is not None else read_run_info(root)
    figures = embeddable_figures(root, figures)
    with atomic_write(root / "report.md") as fh:
        fh.write(render_markdown(title, metrics, figures, info, root))
    with atomic_write(root / "report.html") as fh:
        fh.write(render_html(root, title, metrics, figures, info))
    return root / "report.html"
