"""Metrics laid out as report tables, with readable values.

A section's metrics (plain JSON data from ``metrics.json``) become tables of :class:`Cell`:
each value formatted for reading (4 significant digits, integers without decimals, times as
ISO dates, components as ``name(k=v, ...)``) and marked as a number or as text, so a report
right-aligns the one and left-aligns the other. The cells hold plain text; each renderer
escapes it for its format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "LONG_TABLE",
    "Cell",
    "Table",
    "format_duration",
    "format_table",
    "format_value",
    "layout_tables",
    "metric_tables",
]

#: Tables with more rows than this start collapsed in the HTML report.
LONG_TABLE = 12

# Seconds since the epoch between 2001 and 2286: what a ``*_at`` number must be to read as a time.
_EPOCH_RANGE = (1e9, 1e10)


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and whether it reads as a number (right-aligned) or as text."""

    text: str
    kind: Literal["num", "text"] = "text"


@dataclass(frozen=True)
class Table:
    """A table of cells under a header; the first column names each row."""

    header: list[str]
    rows: list[list[Cell]]

    @property
    def long(self) -> bool:
        """Whether the table has more than :data:`LONG_TABLE` rows (collapsed by default)."""
        return len(self.rows) > LONG_TABLE

    @property
    def numeric(self) -> list[bool]:
        """Per column, whether it holds numbers (every filled cell is ``"num"``): its header aligns right."""
        columns = zip(*self.rows, strict=True) if self.rows else [() for _ in self.header]
        return [
            bool(filled) and all(c.kind == "num" for c in filled)
            for filled in ([c for c in column if c.text] for column in columns)
        ]

    def texts(self) -> tuple[list[str], list[list[str]]]:
        """The header and the rows as plain strings."""
        return self.header, [[cell.text for cell in row] for row in self.rows]


def _number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if 1e4 <= abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _is_scored(value: Any) -> bool:
    """Whether ``value`` is a ``[word, score]`` pair, as ``metrics.json`` stores scored words."""
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int | float)
        and not isinstance(value[1], bool)
    )


def _is_component(value: dict[str, Any]) -> bool:
    return (
        set(value) == {"name", "params"}
        and isinstance(value["name"], str)
        and isinstance(value["params"], dict)
    )


def _inline(value: Any) -> str:
    """A value inside a list or a component's params: short, without thousands separators."""
    if isinstance(value, float) and not (math.isnan(value) or math.isinf(value)):
        return f"{value:.4g}"
    return format_value(value).text


def format_value(value: Any, key: str = "") -> Cell:
    """Format one metric value for a report cell.

    Parameters
    ----------
    value
        Plain JSON data: a number, a string, a list, a mapping, ``None``.
    key
        The metric's name; a number under a name ending in ``_at`` (``started_at``) that looks
        like seconds since the epoch reads as an ISO date and time (UTC).

    Returns
    -------
    Cell
        Numbers with 4 significant digits (integers without decimals, with thousands
        separators), marked ``"num"``; word lists scored as ``[word, score]`` pairs as
        ``word 0.92, ...``; a component ``{"name": n, "params": {...}}`` as ``n(k=v, ...)``;
        other mappings as ``k=v, ...``; ``None`` as an em dash; an empty list as ``none``.
    """
    if value is None:
        return Cell("—")
    if isinstance(value, bool):
        return Cell(str(value))
    if isinstance(value, int | float):
        if key.endswith("_at") and _EPOCH_RANGE[0] <= value < _EPOCH_RANGE[1]:
            return Cell(datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S"), "num")
        return Cell(_number(float(value)) if isinstance(value, float) else f"{value:,}", "num")
    if isinstance(value, list):
        if not value:
            return Cell("none")
        if all(_is_scored(v) for v in value):
            return Cell(", ".join(f"{v[0]} {v[1]:.2f}" for v in value))
        return Cell(", ".join(_inline(v) for v in value))
    if isinstance(value, dict):
        if _is_component(value):
            params = ", ".join(f"{k}={_inline(v)}" for k, v in value["params"].items())
            return Cell(f"{value['name']}({params})")
        return Cell(", ".join(f"{k}={_inline(v)}" for k, v in value.items()))
    return Cell(str(value))


def format_duration(seconds: float) -> str:
    """A duration for reading: ``"42.1 s"``, ``"3 min 05 s"``, ``"2 h 07 min"``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _is_rows(value: Any) -> bool:
    """Whether ``value`` is a list of mappings, laid out as a table of its own."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row with its nested mappings spread into ``outer.inner`` columns; components stay whole."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        spread = isinstance(value, dict) and not _is_component(value)
        out |= _flat(value, f"{name}.") if spread else {name: value}
    return out


def _ranked(
    rows: list[tuple[str, dict[str, Any]]], ranking: tuple[str, str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """Rows sorted best first by the ranking metric, labelled by rank; as given when they lack it."""
    if ranking is None:
        return rows
    metric, mode = ranking
    scored = [(row.get(metric), row) for _, row in rows]
    if not any(isinstance(v, int | float) and not isinstance(v, bool) for v, _ in scored):
        return rows

    def key(item: tuple[Any, dict[str, Any]]) -> tuple[bool, float]:
        value = item[0]
        if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
            return True, 0.0  # unscored trials last
        return False, -value if mode == "max" else value

    return [(str(rank), row) for rank, (_, row) in enumerate(sorted(scored, key=key), 1)]


def _cells(label: str, values: list[Cell]) -> list[Cell]:
    return [Cell(label), *values]


def layout_tables(values: dict[str, Any], ranking: tuple[str, str] | None = None) -> list[Table]:
    """Lay out one section's metrics as tables.

    Scalars go into one ``metric | value`` table; a mapping of mappings (a per-class
    report, or the ``metrics:`` of each split) becomes its own table with one row per key;
    a list of mappings (one row per trial, say) becomes a table with one row per item. A
    mapping inside a row spreads into ``outer.inner`` columns (``retrieval.map_at_r``);
    a component (``{"name", "params"}``) stays one cell.

    Parameters
    ----------
    values
        The section's metrics.
    ranking
        ``(metric, "max" | "min")``: a list of rows that has this column (a search's trials)
        is sorted best first and each row labelled by its rank.
    """
    tables: list[Table] = []
    scalars = [
        _cells(k, [format_value(v, k)])
        for k, v in values.items()
        if not ((isinstance(v, dict) and not _is_component(v)) or _is_rows(v))
    ]
    if scalars:
        tables.append(Table(["metric", "value"], scalars))
    for key, value in values.items():
        rows_source: list[tuple[str, Any]] = []
        if isinstance(value, dict) and not _is_component(value):
            rows_source = list(value.items())
        elif _is_rows(value):
            rows_source = _ranked([(str(i), v) for i, v in enumerate(value)], ranking)
        if not rows_source:
            continue
        if all(isinstance(v, dict) and not _is_component(v) for _, v in rows_source):
            flat = [(name, _flat(row)) for name, row in rows_source]
            columns = list(dict.fromkeys(c for _, row in flat for c in row))
            rows = [
                _cells(name, [format_value(row[c], c) if c in row else Cell("") for c in columns])
                for name, row in flat
            ]
            tables.append(Table([key, *columns], rows))
        else:
            tables.append(
                Table([key, "value"], [_cells(str(k), [format_value(v, str(k))]) for k, v in rows_source])
            )
    return tables


def metric_tables(
    values: dict[str, Any], ranking: tuple[str, str] | None = None
) -> list[tuple[list[str], list[list[str]]]]:
    """:func:`layout_tables` as plain ``(header, rows)`` strings."""
    return [table.texts() for table in layout_tables(values, ranking)]


def format_table(header: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """A plain-text table with a rule under the header; text columns left-aligned, ``numeric`` ones right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])
