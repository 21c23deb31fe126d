"""2-D maps of embeddings coloured by label: train and validation side by side, as in the triplet exercise."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np

from embedlab.errors import ConfigError, InputError
from embedlab.plots._axes import panels_and_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from embedlab.learn.history import EpochRecord

__all__ = ["project_2d", "plot_embeddings", "plot_history"]


def _as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def project_2d(
    embeddings: Any, method: Literal["tsne", "pca"] = "tsne", seed: int = 0, perplexity: float = 30.0
) -> np.ndarray:
    """Project ``(N, d)`` embeddings to ``(N, 2)`` with scikit-learn's t-SNE or PCA.

    Embeddings that are already 2-D are returned unchanged.

    Raises
    ------
    ConfigError
        For an unknown ``method``.
    InputError
        For a non-2-D array or non-finite values.
    """
    X = _as_numpy(embeddings).astype(np.float32)
    if X.ndim != 2:
        raise InputError(f"embeddings must be (N, dim), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise InputError("embeddings contain NaN or infinity")
    if X.shape[1] == 2:
        return X
    if method == "pca":
        from sklearn.decomposition import PCA

        pca: np.ndarray = PCA(n_components=2, random_state=seed).fit_transform(X)
        return pca
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(perplexity, max(1.0, (len(X) - 1) / 3))
        tsne: np.ndarray = TSNE(
            n_components=2, init="pca", perplexity=perplexity, random_state=seed
        ).fit_transform(X)
        return tsne
    raise ConfigError(f"unknown projection {method!r}; use 'tsne' or 'pca'")


def _scatter(
    ax: Axes, points: np.ndarray, labels: np.ndarray, names: Sequence[str] | None, title: str
) -> None:
    import matplotlib.pyplot as plt

    classes = np.unique(labels)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for i, c in enumerate(classes):
        chosen = labels == c
        name = names[int(c)] if names is not None and 0 <= int(c) < len(names) else str(c)
        ax.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.7, color=cmap(i % cmap.N), label=name)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_embeddings(
    train: Any,
    train_labels: Any,
    val: Any | None = None,
    val_labels: Any | None = None,
    *,
    method: Literal["tsne", "pca"] = "tsne",
    class_names: Sequence[str] | None = None,
    max_points: int = 5000,
    seed: int = 0,
    title: str | None = None,
    path: str | Path | None = None,
    axes: Sequence[Axes] | None = None,
    val_name: str = "validation",
) -> Figure:
    """Plot train (and validation) embeddings in 2-D, one colour per label, side by side.

    Parameters
    ----------
    train, train_labels
        Training embeddings ``(N, d)`` (numpy or torch) and their labels.
    val, val_labels
        Optional validation embeddings, drawn in a second panel.
    method
        ``"tsne"`` (as the triplet exercise does) or ``"pca"`` (fast, linear).
    class_names
        Legend names indexed by label.
    max_points
        At most this many points per panel, drawn at random (t-SNE is quadratic).
    seed
        Seed of the subsample and of the projection.
    title
        Figure title.
    path
        Save the figure there (atomically) as well as returning it.
    axes
        Draw into these Axes of one figure: one per panel (two with ``val``, else one).
    val_name
        The second panel's name, ``"validation (test split)"`` say.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = [("train", train, train_labels)]
    if val is not None:
        if val_labels is None:
            raise InputError("val was given without val_labels")
        panels.append((val_name, val, val_labels))
    rng = np.random.default_rng(seed)
    fig, drawn = panels_and_figure(axes, len(panels), (5.5 * len(panels), 5))
    for ax, (name, emb, lab) in zip(drawn, panels, strict=True):
        X, y = _as_numpy(emb), _as_numpy(lab).reshape(-1)
        if len(X) != len(y):
            raise InputError(f"{name}: {len(X)} embeddings but {len(y)} labels")
        if len(X) > max_points:
            keep = rng.choice(len(X), max_points, replace=False)
            X, y = X[keep], y[keep]
        _scatter(
            ax, project_2d(X, method, seed), y, class_names, f"{name} ({method.upper()}, {len(X)} points)"
        )
    handles, legend_labels = drawn[0].get_legend_handles_labels()
    if axes is None:
        fig.legend(handles, legend_labels, loc="center right", markerscale=3, frameon=False)
        fig.subplots_adjust(right=0.85)
    else:  # a caller's figure keeps its layout; a figure legend could cover their other axes
        drawn[-1].legend(handles, legend_labels, loc="best", markerscale=3, fontsize="small")
    if title:
        fig.suptitle(title)
    if path is not None:
        from embedlab.io import save_figure

        save_figure(fig, path)
    return fig


#: History keys drawn in the second panel of :func:`plot_history`, with their labels.
_SCORES = (
    ("val_precision_at_1", "validation precision@1"),
    ("train_accuracy", "training accuracy"),
    ("val_accuracy", "validation accuracy"),
    ("zero_loss_share", "share of zero-loss triplets"),
)


def plot_history(
    history: Sequence[EpochRecord], title: str | None = None, axes: Sequence[Axes] | None = None
) -> Figure:
    """Plot a trainer's history per epoch: training and validation loss, and the scores it has.

    The second panel shows validation precision@1 and the share of zero-loss triplets (metric
    learning) or training and validation accuracy (classification), when the records hold them.

    Parameters
    ----------
    history
        :class:`~embedlab.learn.history.EpochRecord` records with ``epoch``, ``train_loss`` and
        optionally ``val_loss``, ``val_precision_at_1``, ``zero_loss_share``, ``train_accuracy`` and
        ``val_accuracy``,
        as every embedlab trainer returns them.
    title
        Figure title.
    axes
        Draw into these Axes of one figure: two when the records hold scores, else one.

    Raises
    ------
    InputError
        For an empty history, or records without ``epoch`` and ``train_loss``.
    """
    if not history:
        raise InputError("history is empty; train for at least one epoch")
    missing = [key for key in ("epoch", "train_loss") if key not in history[0]]
    if missing:
        raise InputError(
            f"history records lack {', '.join(missing)} (they have {', '.join(history[0]) or 'nothing'}); "
            "pass the records a trainer's fit returns (see embedlab.learn.history.EpochRecord)"
        )
    epochs = [h["epoch"] for h in history]
    # The second panel: retrieval for metric learning, accuracy for a classifier.
    scores = [(k, label) for k, label in _SCORES if k in history[0]]
    fig, drawn = panels_and_figure(axes, 2 if scores else 1, (11 if scores else 5.5, 4))
    ax = drawn[0]
    ax.plot(epochs, [h["train_loss"] for h in history], marker="o", label="train")
    if "val_loss" in history[0]:
        ax.plot(epochs, [h["val_loss"] for h in history], marker="o", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    if scores:
        ax = drawn[1]
        for key, label in scores:
            # EpochRecord.get with a str key is typed object; every _SCORES key holds a float.
            values = [cast("float", h.get(key, float("nan"))) for h in history]
            ax.plot(epochs, values, marker="o", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel("score")
        ax.set_ylim(0, 1.02)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig
