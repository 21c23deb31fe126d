"""The figure to draw in: a caller's axes, or new ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from embedlab.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["axes_and_figure", "panels_and_figure"]


def axes_and_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` with the figure holding it, or new axes of ``figsize`` inches on a new figure.

    Raises
    ------
    InputError
        For axes that belong to no figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, new = plt.subplots(figsize=figsize)
        return fig, new
    owner = ax.get_figure(root=True)
    if owner is None:
        raise InputError("ax belongs to no figure; pass axes made by a Figure (plt.subplots())")
    return owner, ax


def panels_and_figure(
    axes: Sequence[Axes] | None, n: int, figsize: tuple[float, float]
) -> tuple[Figure, list[Axes]]:
    """``axes`` (exactly ``n``, on one figure) with that figure, or ``n`` new axes in a row.

    Raises
    ------
    InputError
        For a number of axes other than ``n``, or axes on no figure or on several.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, grid = plt.subplots(1, n, figsize=figsize, squeeze=False)
        return fig, list(grid[0])
    given = list(axes)
    if len(given) != n:
        raise InputError(f"axes holds {len(given)} Axes but this figure has {n} panels; pass {n} Axes")
    figures = {id(axes_and_figure(ax, figsize)[0]) for ax in given}
    if len(figures) > 1:
        raise InputError("axes belong to several figures; pass Axes of one Figure (plt.subplots(1, n))")
    return axes_and_figure(given[0], figsize)[0], given
