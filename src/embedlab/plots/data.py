"""Figures of a dataset: how its classes are distributed in each split."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from embedlab.plots._axes import axes_and_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from embedlab.data.base import DatasetDescription

__all__ = ["class_distribution"]


def class_distribution(
    description: DatasetDescription, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Grouped bars of each class's share of each split, with the counts on the bars.

    Shares rather than counts keep splits of different sizes comparable: with a stratified
    split the bars of one class have the same height.

    Parameters
    ----------
    description
        What :meth:`~embedlab.data.base.ArrayDataset.describe` returns.
    ax
        Axes to draw into; a new figure when None.
    title
        The title; default the dataset's name.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``.
    """
    width = max(6.4, 0.9 * len(description.class_names) * max(1, len(description.class_counts)) / 2)
    fig, ax = axes_and_figure(ax, (width, 4.2))
    splits = list(description.class_counts)
    positions = np.arange(len(description.class_names))
    bar = 0.8 / max(1, len(splits))
    for i, split in enumerate(splits):
        counts = np.asarray(description.class_counts[split], dtype=np.float64)
        shares = 100 * counts / max(1.0, counts.sum())
        bars = ax.bar(
            positions + (i - (len(splits) - 1) / 2) * bar,
            shares,
            width=bar,
            label=f"{split} ({description.sizes.get(split, int(counts.sum())):,})",
        )
        ax.bar_label(bars, labels=[f"{int(c):,}" for c in counts], fontsize=7, padding=1)
    slanted = len(description.class_names) > 6
    ax.set_xticks(
        positions, description.class_names, rotation=30 if slanted else 0, ha="right" if slanted else "center"
    )
    ax.set_ylabel("share of the split (%)")
    ax.set_title(title or f"{description.name}: class distribution")
    ax.legend(title="split (images)")
    return fig
