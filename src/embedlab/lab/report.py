"""Run reports: ``report.md`` and a self-contained ``report.html`` (figures embedded, no network).

Each section opens with the dataset it ran on, in words (the ``"dataset"`` entry that
:meth:`~embedlab.lab.rundir.RunDirectory.describe_dataset` records), then its metric tables
and figures.

Every name and value in a report comes from input (a config, a data file, a ``metrics.json``
on disk), so both renderers escape it: HTML through :func:`html.escape`, Markdown through
:func:`embedlab.io.escape_markdown`. Only figure files inside the run directory are embedded
or linked.
"""

from __future__ import annotations

import base64
import html
import logging
import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pydantic

from embedlab.data.base import DatasetDescription
from embedlab.io import atomic_write, escape_markdown, within

__all__ = [
    "dataset_line",
    "embeddable_figures",
    "metric_tables",
    "render_html",
    "render_markdown",
    "write_reports",
]

logger = logging.getLogger(__name__)


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, list):
        # Scored word lists are stored as [word, score] pairs; plain lists as their items.
        if not value:
            return "none"
        if all(_is_scored(v) for v in value):
            return ", ".join(f"{v[0]} {v[1]:.2f}" for v in value)
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _is_scored(value: Any) -> bool:
    """Whether ``value`` is a ``[word, score]`` pair, as ``metrics.json`` stores scored words."""
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int | float)
        and not isinstance(value[1], bool)
    )


def _is_rows(value: Any) -> bool:
    """Whether ``value`` is a list of mappings, laid out as a table of its own."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row with its nested mappings spread into ``outer.inner`` columns."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        out |= _flat(value, f"{name}.") if isinstance(value, dict) else {name: value}
    return out


def metric_tables(values: dict[str, Any]) -> list[tuple[list[str], list[list[str]]]]:
    """Lay out one section's metrics as tables of ``(header, rows)``.

    Scalars go into one ``metric | value`` table; a mapping of mappings (a per-class
    report, or the ``metrics:`` of each split) becomes its own table with one row per key;
    a list of mappings (one row per trial, say) becomes a table with one row per item. A
    mapping inside a row spreads into ``outer.inner`` columns (``retrieval.map_at_r``).
    """
    tables: list[tuple[list[str], list[list[str]]]] = []
    scalars = [[k, _fmt(v)] for k, v in values.items() if not (isinstance(v, dict) or _is_rows(v))]
    if scalars:
        tables.append((["metric", "value"], scalars))
    for key, value in values.items():
        rows_source: list[tuple[str, Any]] = []
        if isinstance(value, dict):
            rows_source = list(value.items())
        elif _is_rows(value):
            rows_source = [(str(i), v) for i, v in enumerate(value)]
        if not rows_source:
            continue
        if all(isinstance(v, dict) for _, v in rows_source):
            rows_source = [(name, _flat(row)) for name, row in rows_source]
            columns = list(dict.fromkeys(c for _, row in rows_source for c in row))
            rows = [[name, *(_fmt(row.get(c, "")) for c in columns)] for name, row in rows_source]
            tables.append(([key, *columns], rows))
        else:
            tables.append(([key, "value"], [[str(k), _fmt(v)] for k, v in rows_source]))
    return tables


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


def render_markdown(title: str, metrics: dict[str, Any], figures: dict[str, list[str]]) -> str:
    """Render the report as Markdown, linking the figure files; every name and value is escaped."""
    md = escape_markdown
    lines = [f"# {md(title)}", ""]
    for section in dict.fromkeys([*metrics, *figures]):
        lines += [f"## {md(section)}", ""]
        dataset, values = dataset_line(metrics.get(section, {}))
        if dataset is not None:
            lines += [md(dataset), ""]
        for header, rows in metric_tables(values):
            lines.append("| " + " | ".join(md(h) for h in header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
            lines.append("")
        for figure in figures.get(section, []):
            lines += [f"![{md(Path(figure).stem)}]({quote(figure)})", ""]
    return "\n".join(lines)


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #ddd}h2{margin-top:2em;border-bottom:1px solid #eee}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:.5em}img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.8em;color:#666;text-align:center}
"""


def render_html(root: Path, title: str, metrics: dict[str, Any], figures: dict[str, list[str]]) -> str:
    """Render one self-contained HTML page: tables, and every figure embedded as base64 PNG.

    Only figure files inside ``root`` are read (see :func:`embeddable_figures`).
    """
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>',
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    sections = list(dict.fromkeys([*metrics, *figures]))
    if sections:
        links = " · ".join(f'<a href="#{esc(s)}">{esc(s)}</a>' for s in sections)
        parts.append(f"<nav>{links}</nav>")
    for section in sections:
        parts.append(f'<h2 id="{esc(section)}">{esc(section)}</h2>')
        dataset, values = dataset_line(metrics.get(section, {}))
        if dataset is not None:
            parts.append(f'<p class="dataset">{esc(dataset)}</p>')
        for header, rows in metric_tables(values):
            head = "".join(f"<th>{esc(h)}</th>" for h in header)
            body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        for figure in embeddable_figures(root, {section: figures.get(section, [])}).get(section, []):
            data = base64.b64encode((root / figure).read_bytes()).decode("ascii")
            name = esc(Path(figure).stem)
            parts.append(
                f'<figure><img alt="{name}" src="data:image/png;base64,{data}">'
                f"<figcaption>{name}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(
    root: str | Path, title: str, metrics: dict[str, Any], figures: dict[str, list[str]]
) -> Path:
    """Write ``report.md`` and ``report.html`` into ``root`` atomically; return the HTML path.

    Figure entries that are not files inside ``root`` are skipped with a warning.
    """
    root = Path(root)
    figures = embeddable_figures(root, figures)
    with atomic_write(root / "report.md") as fh:
        fh.write(render_markdown(title, metrics, figures))
    with atomic_write(root / "report.html") as fh:
        fh.write(render_html(root, title, metrics, figures))
    return root / "report.html"
