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
