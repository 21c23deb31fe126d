"""Figures of a hyperparameter search: the metric by epoch for every trial, and retraining curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from embedlab.plots._axes import axes_and_figure, panels_and_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from embedlab.tuning.result import RetrainReport, TuneResult

__all__ = ["plot_retrain", "plot_trials"]

_STYLE = {"completed": "-", "stopped": "--", "failed": ":", "pending": ":"}


def plot_trials(
    result: TuneResult, metric: str | None = None, ax: Axes | None = None, label_best: int = 3
) -> Figure:
    """Plot a metric by epoch for every trial of a search.

    Completed trials are solid lines, trials stopped early dashed, failed trials dotted
    (up to the epoch they failed at). The best trials are named in the legend.

    Parameters
    ----------
    result
        The search, as returned by :func:`embedlab.tune`.
    metric
        The metric to plot; default: the search objective.
    ax
        Axes to draw on; default: a new figure.
    label_best
        How many of the best trials to name in the legend.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    metric = metric or result.metric
    fig, ax = axes_and_figure(ax, (7, 4.5))
    ranked = [t.trial_id for t in result.ranked_trials()[:label_best]]
    cmap = plt.get_cmap("viridis")
    scores = [result.score(t) for t in result.trials]
    finite = [s for s in scores if s == s]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    for trial, score in zip(result.trials, scores, strict=True):
        epochs = [row.get("epoch", i + 1) for i, row in enumerate(trial.history)]
        values = [row.get(metric, float("nan")) for row in trial.history]
        shade = 0.5 if score != score or high == low else (score - low) / (high - low)
        if result.mode == "min":
            shade = 1 - shade
        kwargs: dict[str, Any] = {
            "linestyle": _STYLE.get(trial.status, "-"),
            "color": cmap(0.1 + 0.8 * shade),
        }
        if trial.trial_id in ranked:
            params = ", ".join(
                f"{k.rsplit('.', 1)[-1]}={v:.3g}" if isinstance(v, float) else f"{k.rsplit('.', 1)[-1]}={v}"
                for k, v in trial.params.items()
            )
            kwargs |= {"label": f"{trial.trial_id}: {params}", "linewidth": 2.2}
        ax.plot(epochs, values, marker="o", markersize=3, alpha=0.9, **kwargs)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    counts = {s: sum(t.status == s for t in result.trials) for s in ("completed", "stopped", "failed")}
    ax.set_title(
        f"{metric} by epoch, {len(result.trials)} trials "
        f"({counts['completed']} completed, {counts['stopped']} stopped early, {counts['failed']} failed)"
    )
    ax.grid(alpha=0.3)
    if ranked:
        ax.legend(fontsize="small", title=f"best {len(ranked)}")
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
