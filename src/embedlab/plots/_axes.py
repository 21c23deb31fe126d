"""The figure to draw in: a caller's axes, or new ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embedlab.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["axes_and_figure"]


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
