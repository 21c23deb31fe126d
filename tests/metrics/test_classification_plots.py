"""Figures of classification reports: each returns a Figure that shows what it claims."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from embedlab import InputError, metrics
from embedlab.io import save_figure
from embedlab.plots import classification as plots

NAMES = ["akiec", "bcc", "nv"]


@pytest.fixture(scope="module")
def report():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 120)
    logits = rng.normal(size=(120, 3))
    logits[np.arange(120), y] += 1.0
    return metrics.classification_report(y, logits, NAMES, scores="logits")


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_roc_curves_show_auc_in_legend(report, tmp_path):
    fig = plots.roc_curves(report, title="test")
    assert isinstance(fig, Figure)
    texts = legend_texts(fig)
    for name in NAMES:
        assert f"{name} (AUC {report.roc_auc[name]:.3f})" in texts
    assert "test" in fig.axes[0].get_title()
    assert save_figure(fig, tmp_path / "roc.png").stat().st_size > 0


def test_pr_curves_show_average_precision(report):
    texts = legend_texts(plots.pr_curves(report))
    assert f"bcc (AP {report.average_precision['bcc']:.3f})" in texts


def test_confusion_heatmap_has_counts_and_normalised(report):
    fig = plots.confusion_heatmap(report)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    counts_ax, normalized_ax = by_title["counts"], by_title["normalised by true class"]
    counts = [t.get_text() for t in counts_ax.texts]
    assert counts == [str(v) for v in report.confusion_matrix.ravel()]
    fractions = [t.get_text() for t in normalized_ax.texts]
    assert fractions == [f"{v:.2f}" for v in report.confusion_matrix_normalized.ravel()]


def test_recall_bars_mark_the_target(report):
    other = metrics.classification_report(report.y_true, report.y_pred, NAMES, scores="labels")
    fig = plots.recall_bars({"train": report, "val": other}, target=0.7)
    ax = fig.axes[0]
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [0.7]
    bars = ax.patches
    assert len(bars) == 6
    heights = sorted(b.get_height() for b in bars)
    assert heights == pytest.approx(sorted(list(report.recall.values()) * 2))
    assert "target 0.7" in legend_texts(fig)
    single = plots.recall_bars(report)  # one report: the report's own target
    assert single.axes[0].get_lines()[0].get_ydata()[0] == report.recall_target


def test_score_plots_refuse_hard_labels(report):
    hard = metrics.classification_report(report.y_true, report.y_pred, NAMES, scores="labels")
    with pytest.raises(InputError, match="hard labels"):
        plots.roc_curves(hard)
    with pytest.raises(InputError, match="hard labels"):
        plots.pr_curves(hard)


def test_undefined_auc_is_drawn_as_undefined():
    y = np.array([0, 0, 1, 1])
    proba = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.3, 0.6, 0.1]])
    with pytest.warns(metrics.UndefinedMetricWarning):
        report = metrics.classification_report(y, proba, NAMES)
    assert "nv (AUC undefined: one-sided split)" in legend_texts(plots.roc_curves(report))


def test_recall_bars_print_failing_values_but_not_absent_classes():
    y = np.array([0] * 5 + [1] * 5)
    pred = np.array([1] * 5 + [1] * 5)  # class 0 never found; class 2 absent from the split
    report = metrics.classification_report(y, pred, NAMES, scores="labels")
    ax = plots.recall_bars(report).axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.00"]
    assert [b.get_edgecolor()[:3] for b in ax.patches][0] == (1.0, 0.0, 0.0)


@pytest.mark.parametrize("draw", [plots.roc_curves, plots.pr_curves, plots.recall_bars])
def test_single_panel_plots_draw_into_given_axes(report, draw):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    try:
        assert draw(report, ax=right) is fig
        assert right.has_data() and not left.has_data()
    finally:
        plt.close(fig)


def test_confusion_heatmap_draws_into_given_axes_and_checks_their_number(report):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3)
    try:
        assert plots.confusion_heatmap(report, axes=axes[1:]) is fig
        assert axes[1].images and axes[2].images and not axes[0].images
        with pytest.raises(InputError, match="pass 2 Axes"):
            plots.confusion_heatmap(report, axes=axes)
    finally:
        plt.close(fig)
