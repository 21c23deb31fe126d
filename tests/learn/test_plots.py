import numpy as np
import pytest
import torch

from embedlab.errors import ConfigError, InputError
from embedlab.plots.embeddings import plot_embeddings, project_2d


def blobs(n=60, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    return rng.normal(size=(n, dim)) + y[:, None] * 4, y


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_train_and_validation_side_by_side(method, tmp_path):
    X, y = blobs()
    Xv, yv = blobs(30, seed=1)
    fig = plot_embeddings(
        X,
        y,
        torch.as_tensor(Xv),
        torch.as_tensor(yv),
        method=method,
        class_names=["a", "b", "c"],
        path=tmp_path / "emb.png",
    )
    assert len(fig.axes) == 2
    assert "train" in fig.axes[0].get_title() and "validation" in fig.axes[1].get_title()
    assert (tmp_path / "emb.png").stat().st_size > 0
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b", "c"]


def test_single_panel_and_subsampling():
    X, y = blobs(200)
    fig = plot_embeddings(X, y, method="pca", max_points=50)
    assert len(fig.axes) == 1 and "50 points" in fig.axes[0].get_title()


def test_projection_keeps_2d_and_checks_input():
    X, _ = blobs(dim=2)
    assert np.array_equal(project_2d(X), X.astype(np.float32))
    assert project_2d(blobs()[0], "pca").shape == (60, 2)
    with pytest.raises(ConfigError, match="unknown projection"):
        project_2d(blobs()[0], "umap")
    bad = blobs()[0]
    bad[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        project_2d(bad)
    with pytest.raises(InputError, match="embeddings but"):
        plot_embeddings(*blobs()[:1], np.zeros(3))


def test_embeddings_and_history_draw_into_given_axes():
    import matplotlib.pyplot as plt

    from embedlab.plots.embeddings import plot_history

    X, y = blobs()
    fig, axes = plt.subplots(1, 2)
    try:
        assert plot_embeddings(X, y, X, y, method="pca", axes=axes) is fig
        assert all(ax.collections for ax in axes)
        assert axes[1].get_legend() is not None and not fig.legends
        with pytest.raises(InputError, match="pass 1 Axes"):
            plot_embeddings(X, y, method="pca", axes=axes)
        history = [{"epoch": 1, "train_loss": 1.0, "val_accuracy": 0.5}]
        other, panels = plt.subplots(1, 2)
        assert plot_history(history, axes=panels) is other
        assert panels[0].lines and panels[1].lines
        plt.close(other)
    finally:
        plt.close(fig)


def test_axes_of_two_figures_are_refused():
    import matplotlib.pyplot as plt

    X, y = blobs()
    one, a = plt.subplots()
    two, b = plt.subplots()
    try:
        with pytest.raises(InputError, match="several figures"):
            plot_embeddings(X, y, X, y, method="pca", axes=[a, b])
    finally:
        plt.close(one)
        plt.close(two)


def test_retrain_curves_draw_into_given_axes():
    import matplotlib.pyplot as plt
    import pandas as pd

    from embedlab.plots.tuning import plot_retrain
    from embedlab.tuning.result import RetrainReport

    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    report = RetrainReport("val_loss", 2, {}, {}, history, history, {}, {})
    fig, axes = plt.subplots(1, 1, squeeze=False)
    try:
        assert plot_retrain(report, metrics=("loss",), axes=axes[0]) is fig
        assert len(axes[0][0].lines) == 4
    finally:
        plt.close(fig)
