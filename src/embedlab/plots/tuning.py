"""Figures of a hyperparameter search: the metric by epoch for every trial, and retraining curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from embedlab.plots._axes import axes_and_figure, panels_and_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from embedlab.tuning.base import TrialRecord
    from embedlab.tuning.result import RetrainReport, TuneResult

__all__ = ["plot_retrain", "plot_trials"]

_STYLE = {"completed": "-", "stopped": "--", "failed": ":", "pending": ":"}


#: The best trials' colours, in rank order: a qualitative palette, far apart from the grey of the rest.
_RANK_COLORS = ("tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown", "tab:pink")


def _ordinal(rank: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ... ``11th``, ``21st``."""
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


def plot_trials(
    result: TuneResult, metric: str | None = None, ax: Axes | None = None, label_best: int = 3
) -> Figure:
    """Plot a metric by epoch for every trial of a search.

    Completed trials are solid lines, trials stopped early dashed, failed trials dotted
    (up to the epoch they failed at). The best ``label_best`` trials are drawn on top, each in
    its own colour, and named in the legend in rank order (``1st: units=352, lr=0.001 —
    val_accuracy 0.8916``); the others are thin grey lines.

    Parameters
    ----------
    result
        The search, as returned by :func:`embedlab.tune`.
    metric
        The metric to plot; default: the search objective.
    ax
        Axes to draw on; default: a new figure.
    label_best
        How many of the best trials to name in the legend (at most 7, one colour each).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import MaxNLocator

    from embedlab.tuning.base import describe_value

    metric = metric or result.metric
    fig, ax = axes_and_figure(ax, (7, 4.5))
    top = result.top_trials(min(label_best, len(_RANK_COLORS)))
    ranked = {row["trial"]: row for row in top}

    def draw(trial: TrialRecord, **kwargs: Any) -> None:
        epochs = [row.get("epoch", i + 1) for i, row in enumerate(trial.history)]
        values = [row.get(metric, float("nan")) for row in trial.history]
        ax.plot(epochs, values, linestyle=_STYLE.get(trial.status, "-"), marker="o", **kwargs)

    for trial in result.trials:
        if trial.trial_id not in ranked:
            draw(trial, color="0.65", linewidth=1.0, markersize=2, alpha=0.6)
    by_id = {t.trial_id: t for t in result.trials}
    for row, color in zip(top, _RANK_COLORS, strict=False):  # in rank order, so the legend is too
        params = ", ".join(f"{k}={describe_value(v)}" for k, v in row["hyperparameters"].items())
        label = f"{_ordinal(row['rank'])}: {params} — {result.metric} {row['score']:.4f}"
        draw(by_id[row["trial"]], color=color, linewidth=2.2, markersize=3, label=label, zorder=3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    counts = {s: sum(t.status == s for t in result.trials) for s in ("completed", "stopped", "failed")}
    ax.set_title(
        f"{metric} by epoch, {len(result.trials)} trials "
        f"({counts['completed']} completed, {counts['stopped']} stopped early, {counts['failed']} failed)"
    )
    ax.grid(alpha=0.3)
    if top:
        ax.legend(fontsize="small", title=f"best {len(top)} of {len(result.trials)}")
    fig.tight_layout()
    return fig


def plot_retrain(
    report: RetrainReport,
    metrics: tuple[str, ...] = ("accuracy", "loss"),
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Learning curves (train and validation) of the best configuration against the baseline.

    Parameters
    ----------
    report
        From :meth:`embedlab.tuning.TuneResult.retrain_best`.
    metrics
        Metric stems to plot, one panel each (``train_<stem>`` and ``val_<stem>``).
    axes
        Draw into these Axes of one figure, one per metric.
    """
    fig, drawn = panels_and_figure(axes, len(metrics), (5.5 * len(metrics), 4))
    for ax, stem in zip(drawn, metrics, strict=True):
        for label, history, color in (
            ("best", report.best_history, "tab:blue"),
            ("baseline", report.baseline_history, "tab:orange"),
        ):
            for split, style in (("train", "--"), ("val", "-")):
                column = f"{split}_{stem}"
                if column in history:
                    ax.plot(history["epoch"], history[column], style, color=color, label=f"{label} {split}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(stem)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"retrained for {report.epochs} epochs: best vs baseline")
    if axes is None:  # a caller's figure keeps its own layout
        fig.tight_layout()
    return fig
