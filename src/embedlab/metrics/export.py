"""Write classification reports to disk: markdown, JSON and figures, each file written atomically."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.figure import Figure

    from embedlab.metrics.classification import SplitReports

__all__ = ["json_ready", "save_reports"]


def json_ready(value: Any) -> Any:
    """Replace NaN by ``None`` recursively, so the JSON written is standard JSON."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def save_reports(
    reports: SplitReports,
    out: str | Path,
    *,
    title: str | None = None,
    formats: tuple[str, ...] = ("md", "json"),
    figures: bool = True,
) -> list[Path]:
    """Write ``report.md`` / ``report.json`` and the figures of every split into ``out``.

    Figures: per split ``<split>-roc.png`` and ``<split>-pr.png`` (when the reports hold scores)
    and ``<split>-confusion.png``; ``recall.png`` puts every split's recall side by side.

    Returns
    -------
    list of Path
        The files written.
    """
    from embedlab.io import atomic_write, save_figure, write_json
    from embedlab.plots import classification as plots

    target = Path(out)
    written: list[Path] = []
    if "md" in formats:
        with atomic_write(target / "report.md") as fh:
            fh.write(f"# {title}\n\n" if title else "")
            fh.write(reports.to_markdown())
        written.append(target / "report.md")
    if "json" in formats:
        write_json(target / "report.json", json_ready(reports.to_dict()))
        written.append(target / "report.json")
    if figures:
        for split, report in reports.items():
            makers: list[tuple[str, Callable[..., Figure]]] = [("confusion", plots.confusion_heatmap)]
            if report.probabilities is not None:
                makers = [("roc", plots.roc_curves), ("pr", plots.pr_curves), *makers]
            for suffix, make in makers:  # figures are built without pyplot: nothing to close
                written.append(save_figure(make(report, title=split), target / f"{split}-{suffix}.png"))
        written.append(save_figure(plots.recall_bars(reports, title=title), target / "recall.png"))
    return written
