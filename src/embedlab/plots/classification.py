"""Figures of a classification report: ROC and PR curves, confusion matrix, per-class recall.

Each function takes a :class:`~embedlab.metrics.classification.ClassificationReport` (recall
bars also take several splits) and returns a matplotlib ``Figure``, built without pyplot so
nothing is shown or kept globally; save one with :func:`embedlab.io.save_figure`. Given ``ax``
(or ``axes`` for the two-panel confusion heatmap), each draws there and returns that figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from embedlab.errors import InputError
from embedlab.plots._axes import axes_and_figure, panels_and_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from embedlab.metrics.classification import ClassificationReport

__all__ = ["confusion_heatmap", "pr_curves", "recall_bars", "roc_curves"]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _figure_and_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    """``ax`` with its figure, or one new axes on a new constrained-layout figure."""
    if ax is None:
        fig = _figure(width, height)
        return fig, fig.add_subplot()
    return axes_and_figure(ax, (width, height))


def _colors(n: int) -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _needs_scores(report: ClassificationReport, what: str) -> np.ndarray:
    if report.probabilities is None:
        raise InputError(
            f"{what} need class scores, but this report was built from hard labels; pass probabilities "
            "or logits to classification_report"
        )
    return report.probabilities


def _title(base: str, title: str | None) -> str:
    return f"{title}: {base}" if title else base


def roc_curves(report: ClassificationReport, title: str | None = None, ax: Axes | None = None) -> Figure:
    """One-vs-rest ROC curve of every class, with its AUC in the legend.

    Parameters
    ----------
    report
        A report built from probabilities or logits.
    title
        Prefix of the figure title, e.g. the split's name.
    ax
        Draw into these axes; their figure is returned.

    Raises
    ------
    InputError
        The report holds hard labels only.
    """
    from sklearn.metrics import roc_curve

    proba = _needs_scores(report, "ROC curves")
    auc = report.roc_auc or {}
    fig, ax = _figure_and_axes(ax, 6.4, 5.2)
    for c, (name, color) in enumerate(zip(report.class_names, _colors(len(report.class_names)), strict=True)):
        if math.isnan(auc.get(name, math.nan)):
            ax.plot([], [], color=color, label=f"{name} (AUC undefined: one-sided split)")
            continue
        fpr, tpr, _ = roc_curve(report.y_true == c, proba[:, c])
        ax.plot(fpr, tpr, color=color, lw=1.6, label=f"{name} (AUC {auc[name]:.3f})")
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="chance (AUC 0.5)")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate", ylabel="true positive rate (recall)")
    ax.set_title(_title(f"ROC one-vs-rest, macro AUC {auc.get('macro', math.nan):.3f}", title))
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def pr_curves(report: ClassificationReport, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Precision-recall curve of every class, with its average precision in the legend.

    A dotted line per class marks its prevalence, the precision of a random classifier. ``ax``
    draws into given axes; their figure is returned.

    Raises
    ------
    InputError
        The report holds hard labels only.
    """
    from sklearn.metrics import precision_recall_curve

    proba = _needs_scores(report, "PR curves")
    ap = report.average_precision or {}
    fig, ax = _figure_and_axes(ax, 6.4, 5.2)
    for c, (name, color) in enumerate(zip(report.class_names, _colors(len(report.class_names)), strict=True)):
        positive = report.y_true == c
        if math.isnan(ap.get(name, math.nan)):
            ax.plot([], [], color=color, label=f"{name} (AP undefined: no positives)")
            continue
        precision, recall, _ = precision_recall_curve(positive, proba[:, c])
        ax.step(recall, precision, where="post", color=color, lw=1.6, label=f"{name} (AP {ap[name]:.3f})")
        ax.axhline(positive.mean(), color=color, ls=":", lw=0.8)
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="recall", ylabel="precision")
    ax.set_title(_title(f"precision-recall, macro AP {ap.get('macro', math.nan):.3f}", title))
    ax.legend(loc="lower left", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def _heatmap(ax: Axes, values: np.ndarray, names: tuple[str, ...], fmt: str, label: str) -> None:
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=max(float(values.max()), 1e-12))
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label=label)
    threshold = values.max() / 2
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize="small",
                color="white" if v > threshold else "black")  # fmt: skip
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=45, ha="right")
    ax.set_yticks(ticks, names)
    ax.set(xlabel="predicted class", ylabel="true class")


def confusion_heatmap(
    report: ClassificationReport, title: str | None = None, axes: Sequence[Axes] | None = None
) -> Figure:
    """The confusion matrix as two heatmaps: counts, and normalised over each true class (the
    diagonal is then the recall). ``axes``: two Axes of one figure to draw them into."""
    n = len(report.class_names)
    size = max(4.0, 0.55 * n + 2.5)
    if axes is None:
        fig = _figure(2 * size + 1, size)
        left, right = fig.subplots(1, 2)
    else:
        fig, (left, right) = panels_and_figure(axes, 2, (2 * size + 1, size))
    _heatmap(left, report.confusion_matrix, report.class_names, "d", "samples")
    left.set_title("counts")
    _heatmap(
        right, report.confusion_matrix_normalized, report.class_names, ".2f", "fraction of the true class"
    )
    right.set_title("normalised by true class")
    fig.suptitle(_title("confusion matrix", title))
    return fig


def recall_bars(
    reports: ClassificationReport | Mapping[str, ClassificationReport],
    target: float | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Per-class recall as bars, one group per class and one bar per split, with the target line.

    Bars below the target have a red edge and their value printed above them, so the failing
    classes stand out (a recall of 0 has no bar to see).

    Parameters
    ----------
    reports
        One report, or several keyed by split name (e.g. :class:`~embedlab.metrics.SplitReports`),
        all with the same classes.
    target
        The recall target; defaults to the first report's ``recall_target``.
    title
        Prefix of the figure title.
    ax
        Draw into these axes; their figure is returned.
    """
    from embedlab.metrics.classification import ClassificationReport

    splits = {"": reports} if isinstance(reports, ClassificationReport) else dict(reports)
    if not splits:
        raise InputError("recall_bars needs at least one report")
    first = next(iter(splits.values()))
    for split, report in splits.items():
        if report.class_names != first.class_names:
            raise InputError(
                f"split {split!r} has other classes than the first; compare reports of one model"
            )
    goal = first.recall_target if target is None else target
    names = first.class_names
    x = np.arange(len(names))
    width = 0.8 / len(splits)
    fig, ax = _figure_and_axes(ax, max(5.0, 0.6 * len(names) * max(1, len(splits) / 2) + 2), 4.2)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Patch | Line2D] = []
    for i, ((split, report), color) in enumerate(zip(splits.items(), _colors(len(splits)), strict=True)):
        recall = np.array([report.recall[n] for n in names])
        # a class absent from the split has recall 0 by convention, not a failure
        failing = (recall < goal) & (report.confusion_matrix.sum(axis=1) > 0)
        edges = ["red" if f else "none" for f in failing]
        offset = (i - (len(splits) - 1) / 2) * width
        ax.bar(x + offset, recall, width, color=color, edgecolor=edges, linewidth=1.5)
        for xi, r in zip(x[failing], recall[failing], strict=True):
            # print failing values: a recall of 0 has no bar to see
            ax.text(
                xi + offset,
                r + 0.02,
                f"{r:.2f}",
                color="red",
                ha="center",
                va="bottom",
                fontsize="x-small",
                rotation=90 if len(splits) > 1 else 0,  # side-by-side labels would overlap
            )
        if split:
            handles.append(Patch(facecolor=color, label=split))
    ax.axhline(goal, color="red", ls="--", lw=1.2)
    handles.append(Line2D([], [], color="red", ls="--", label=f"target {goal:g}"))
    handles.append(Patch(facecolor="white", edgecolor="red", label="below target"))
    long_names = max(map(len, names)) > 3
    ax.set_xticks(x, names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set(ylim=(0, 1.05), xlabel="class", ylabel="recall")
    ax.set_title(_title("recall per class", title))
    ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(axis="y", alpha=0.3)
    return fig
