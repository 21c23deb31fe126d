"""Figures that compare runs: per-epoch histories of several runs overlaid."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from embedlab.errors import InputError
from embedlab.plots._axes import panels_and_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["curve_keys", "plot_history_comparison"]

#: Record keys that are not learning curves: the epoch itself and wall-clock times.
_NOT_CURVES = ("epoch", "steps", "seconds", "n_params")


def _is_curve(key: str) -> bool:
    return key not in _NOT_CURVES and not key.endswith("_s")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(value: Any) -> float:
    """A record's number, or NaN where the record lacks it."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


def curve_keys(histories: Sequence[Sequence[Mapping[str, Any]]]) -> list[str]:
    """The numeric record keys every history has, in first-seen order, without ``epoch`` and times.

    Parameters
    ----------
    histories
        Per-epoch records (:class:`~embedlab.learn.history.EpochRecord`), one list per run.
    """
    seen: list[dict[str, None]] = [
        {k: None for row in history for k, v in row.items() if _is_curve(k) and _is_number(v)}
        for history in histories
    ]
    if not seen:
        return []
    return [key for key in seen[0] if all(key in other for other in seen[1:])]


def plot_history_comparison(
    histories: Mapping[str, Sequence[Mapping[str, Any]]],
    keys: Sequence[str] | None = None,
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Overlay runs' per-epoch histories: one panel per key, one line per run.

    Parameters
    ----------
    histories
        Run label to its per-epoch records, each with ``epoch`` (as every embedlab trainer
        writes them, see :class:`~embedlab.learn.history.EpochRecord`).
    keys
        The record keys to draw; by default every numeric key all histories share
        (:func:`curve_keys`).
    title
        Figure title.
    axes
        Draw into these Axes of one figure, one per key.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        With no history, a record without ``epoch``, or no key to draw.
    """
    if not histories or not all(histories.values()):
        raise InputError("every history must hold at least one epoch record; train for an epoch first")
    if any("epoch" not in row for history in histories.values() for row in history):
        raise InputError("history records lack 'epoch'; pass the records a trainer's fit returns")
    drawn = list(keys) if keys is not None else curve_keys(list(histories.values()))
    if not drawn:
        raise InputError("the histories share no numeric key to plot; pass keys= naming one")
    from matplotlib.ticker import MaxNLocator

    fig, panels = _panels(axes, len(drawn))
    for ax, key in zip(panels, drawn, strict=True):
        for label, history in histories.items():
            ax.plot(
                [row["epoch"] for row in history],
                [_value(row.get(key)) for row in history],
                marker="o",
                markersize=3,
                label=label,
            )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(key)
    panels[0].legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def _panels(axes: Sequence[Axes] | None, n: int) -> tuple[Figure, list[Axes]]:
    """The caller's ``n`` axes, or a new grid of ``n`` panels, three to a row (spare cells hidden)."""
    if axes is not None:
        return panels_and_figure(axes, n, (4.5 * n, 3.6))
    import matplotlib.pyplot as plt

    columns = min(n, 3)
    rows = -(-n // columns)
    fig, grid = plt.subplots(
        rows, columns, figsize=(4.5 * columns, 3.4 * rows), squeeze=False, layout="constrained"
    )
    cells = [ax for row in grid for ax in row]
    for spare in cells[n:]:
        spare.set_visible(False)
    return fig, cells[:n]
