"""Figures for word vectors: 2-D projections with arrows, coloured groups, analogy diagnosis.

Every function returns a matplotlib ``Figure``; save it with :func:`embedlab.io.save_figure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from embedlab.errors import ConfigError, InputError
from embedlab.plots._axes import axes_and_figure, panels_and_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from embedlab.words.diagnosis import AnalogyDiagnosis
    from embedlab.words.vectors import WordVectors

__all__ = [
    "project",
    "plot_words",
    "plot_arrows",
    "plot_groups",
    "plot_diagnosis",
    "plot_distance_table",
    "plot_neighbors",
    "plot_formulations",
    "offset_projection",
    "GENDER_PAIRS",
    "PLURAL_PAIRS",
]

Projection = Literal["pca", "tsne", "offset"]

#: The word exercise's arrow pairs: gender, and singular to plural.
GENDER_PAIRS = [("actor", "actress"), ("king", "queen"), ("man", "woman"), ("boy", "girl")]
PLURAL_PAIRS = [("cat", "cats"), ("car", "cars"), ("house", "houses"), ("farm", "farms")]


def project(vectors: np.ndarray, method: Projection = "pca", seed: int = 0) -> np.ndarray:
    """Project rows to 2-D: PCA (an SVD of the centred rows) or t-SNE (scikit-learn).

    Raises
    ------
    InputError
        Fewer than two rows.
    """
    X = np.asarray(vectors, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2:
        raise InputError(f"need at least two words to project; got {len(X)}")
    if method == "pca":
        Xc = X - X.mean(axis=0)
        _, _, vt = np.linalg.svd(Xc, full_matrices=False)
        out: np.ndarray = Xc @ vt[:2].T
        if out.shape[1] < 2:
            out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
        return out
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = float(max(1, min(30, (len(X) - 1) // 3)))
        tsne: np.ndarray = TSNE(
            n_components=2, perplexity=perplexity, init="pca", random_state=seed
        ).fit_transform(X)
        return tsne
    raise ConfigError(f"projection {method!r} is unknown; choose 'pca' or 'tsne' ('offset' needs pairs)")


def _unique(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(words))


def offset_projection(vectors: np.ndarray, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """2-D axes for arrows: x is the mean direction of the pairs' offsets, y the main spread left.

    Parallel offsets then show as arrows pointing right; an outlier points elsewhere.

    Parameters
    ----------
    vectors
        ``(n, d)`` rows.
    pairs
        ``(from, to)`` row indices.
    """
    X = np.asarray(vectors, dtype=np.float64)
    if not pairs:
        raise InputError("the offset projection needs at least one (from, to) pair")
    diffs = np.stack([X[b] - X[a] for a, b in pairs])
    diffs /= np.linalg.norm(diffs, axis=1, keepdims=True).clip(1e-12)
    axis = diffs.mean(axis=0)
    axis /= np.linalg.norm(axis) or 1.0
    Xc = X - X.mean(axis=0)
    x = Xc @ axis
    rest = Xc - np.outer(x, axis)
    _, _, vt = np.linalg.svd(rest, full_matrices=False)
    return np.stack([x, rest @ vt[0]], axis=1)


def _coords(
    wv: WordVectors, words: list[str], method: Projection, pairs: Sequence[tuple[str, str]] = ()
) -> dict[str, np.ndarray]:
    wv.indices(words)  # one error listing every unknown word
    vectors = np.stack([wv.vector(w, norm=True) for w in words])
    if method == "offset":
        where = {w: i for i, w in enumerate(words)}
        xy = offset_projection(vectors, [(where[a], where[b]) for a, b in pairs])
    else:
        xy = project(vectors, method)
    return {w: xy[i] for i, w in enumerate(words)}


def _draw_arrows(
    ax: Axes,
    xy: Mapping[str, np.ndarray],
    pairs: Sequence[tuple[str, str]],
    colors: Any,
    legend: bool = False,
    labels: Sequence[str] | None = None,
) -> None:
    for k, (src, dst) in enumerate(pairs):
        if legend:
            label = labels[k] if labels is not None else f"{src} -> {dst}"
            ax.plot([], [], color=colors(k % 10), lw=1.8, label=label)
        (x0, y0), (x1, y1) = xy[src], xy[dst]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "->", "color": colors(k % 10), "lw": 1.8, "shrinkA": 4, "shrinkB": 4},
        )


def _label(ax: Axes, xy: Mapping[str, np.ndarray], color: str = "black") -> None:
    for w, (x, y) in xy.items():
        ax.scatter([x], [y], s=18, color=color, zorder=3)
        ax.annotate(w, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=9)


def plot_words(
    wv: WordVectors,
    words: Iterable[str],
    *,
    pairs: Sequence[tuple[str, str]] = (),
    method: Projection = "pca",
    title: str | None = None,
    ax: Axes | None = None,
    legend: bool = True,
    arrow_labels: Sequence[str] | None = None,
) -> Figure:
    """Chosen words in a 2-D projection, with an arrow ``src -> dst`` for each pair (listed in a legend).

    ``method`` is ``"pca"``, ``"tsne"`` or ``"offset"`` (x along the pairs' mean offset, see
    :func:`offset_projection`).
    """
    import matplotlib.pyplot as plt

    pairs = [(a, b) for a, b in pairs]  # YAML gives lists
    all_words = _unique([*words, *(w for p in pairs for w in p)])
    xy = _coords(wv, all_words, method, pairs)
    fig, ax = axes_and_figure(ax, (7, 6))
    _label(ax, xy)
    _draw_arrows(ax, xy, pairs, plt.get_cmap("tab10"), legend and bool(pairs), arrow_labels)
    if legend and pairs:
        ax.legend(loc="best", fontsize=8)
    ax.set_title(title or f"{len(all_words)} words ({method.upper()})")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def plot_arrows(
    wv: WordVectors,
    pairs: Sequence[tuple[str, str]] = tuple(GENDER_PAIRS),
    *,
    method: Projection = "pca",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Difference vectors as arrows (actor -> actress, king -> queen, ...): parallel arrows share a relation.

    The title reports the mean cosine between the pairs' difference vectors in the full
    space, and the legend each pair's cosine with the mean offset of the *other* pairs, so
    parallelism is measured, not only seen, and an outlier (``farm`` in the word exercise) stands out.
    ``method="offset"`` lays x along the mean offset, so parallel arrows point right.
    """
    if not pairs:
        raise InputError("give at least one (from, to) pair")
    wv.indices([w for p in pairs for w in p], "pair words")  # one error naming every unknown word
    U = {w: wv.vector(w, norm=True) for p in pairs for w in p}
    diffs = np.stack([U[d] - U[s] for s, d in pairs])
    diffs /= np.linalg.norm(diffs, axis=1, keepdims=True).clip(1e-12)
    cos = diffs @ diffs.T
    mean_cos = float((cos.sum() - len(pairs)) / max(1, len(pairs) * (len(pairs) - 1)))
    labels = []
    for k, (src, dst) in enumerate(pairs):
        others = np.delete(diffs, k, axis=0)
        if len(others):
            ref = others.mean(axis=0)
            agree = float(diffs[k] @ ref / (np.linalg.norm(ref) or 1.0))
            labels.append(f"{src} -> {dst} (cos to others {agree:.2f})")
        else:
            labels.append(f"{src} -> {dst}")
    heading = title or f"difference vectors ({method.upper()}); mean pairwise cosine {mean_cos:.2f}"
    return plot_words(wv, [], pairs=pairs, method=method, title=heading, ax=ax, arrow_labels=labels)


def plot_groups(
    wv: WordVectors,
    groups: Mapping[str, Iterable[str]],
    *,
    method: Projection = "pca",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Words of several categories in one projection, each group coloured and outlined by an ellipse."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse

    members = {name: _unique(ws) for name, ws in groups.items()}
    if not members or not any(members.values()):
        raise InputError("give at least one non-empty group of words")
    words = _unique(w for ws in members.values() for w in ws)
    xy = _coords(wv, words, method)
    fig, ax = axes_and_figure(ax, (7, 6))
    cmap = plt.get_cmap("tab10")
    for k, (name, ws) in enumerate(members.items()):
        color = cmap(k % 10)
        pts = np.stack([xy[w] for w in ws])
        ax.scatter(pts[:, 0], pts[:, 1], color=color, label=name, s=24, zorder=3)
        for w in ws:
            x, y = xy[w]
            ax.annotate(w, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=8, color=color)
        center = pts.mean(axis=0)
        spread = pts - center
        if len(pts) >= 3:
            vals, vecs = np.linalg.eigh(np.cov(spread.T))
            vals = np.clip(vals, 1e-12, None)
            angle = float(np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1])))
            width, height = 2 * 1.8 * np.sqrt(vals[::-1])
        else:
            radius = float(np.abs(spread).max() + 0.1 * np.ptp(np.stack(list(xy.values())), axis=0).max())
            angle, width, height = 0.0, 2 * radius, 2 * radius
        ax.add_patch(Ellipse(center, width, height, angle=angle, fill=False, color=color, lw=1.5))
    ax.legend(loc="best", fontsize=8)
    ax.set_title(title or f"{len(members)} groups ({method.upper()})")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.autoscale_view()
    return fig


def plot_diagnosis(
    diag: AnalogyDiagnosis,
    *,
    method: Projection = "pca",
    wv: WordVectors | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """The analogy-diagnosis figure: the words and offsets in 2-D, and the answers' scores.

    Left: the question's offset (``a -> b``) beside each expected pair (``c -> expected``) and
    the pair to the answer found (``c -> top``). Right: the top answers' scores, with each
    expected answer's rank and score. ``axes``: two Axes of one figure to draw them into.
    """
    wv = wv or diag.wv
    if wv is None:
        raise InputError("the diagnosis holds no vectors; pass wv=")
    found = diag.top[0][0] if diag.top else None
    pairs = [(diag.a, diag.b)] + [(diag.c, e) for e in diag.expected]
    if found is not None:
        pairs.append((diag.c, found))
    extra = [w for w, _ in diag.top[:5]]
    fig, (left, right) = panels_and_figure(axes, 2, (13, 5.5))
    plot_words(wv, extra, pairs=pairs, method=method, ax=left)
    left.set_title(
        f"{diag.a} : {diag.b} :: {diag.c} : ?  offsets "
        + ", ".join(f"cos({diag.b}-{diag.a}, {e}-{diag.c})={v:.2f}" for e, v in diag.offset_cosines.items()),
        fontsize=9,
    )
    labels = [w for w, _ in diag.top][::-1]
    scores = [s for _, s in diag.top][::-1]
    right.barh(labels, scores, color="tab:blue")
    for word, (rank, score) in diag.expected.items():
        right.axvline(score, color="tab:red", ls="--", lw=1)
        right.annotate(
            f"{word}: rank {rank}, {score:.2f}",
            (score, 0),
            xytext=(3, 6),
            textcoords="offset points",
            color="tab:red",
            fontsize=8,
            rotation=90,
        )
    right.set_xlabel(f"score ({diag.method})")
    best = diag.top_with_inputs[0][0] if diag.top_with_inputs else "?"
    note = " (an input word)" if diag.lands_on_input else ""
    right.set_title(f"top answers, inputs excluded; without excluding them: {best!r}{note}", fontsize=9)
    if axes is None:  # a caller's figure keeps its own layout
        fig.tight_layout()
    return fig


def plot_distance_table(table: Any, *, ax: Axes | None = None) -> Figure:
    """Bar chart of a :meth:`WordVectors.distance_table`: near words blue, far words orange."""
    if len(table) == 0:
        raise InputError("the distance table is empty")
    fig, ax = axes_and_figure(ax, (7, 0.4 * len(table) + 1.5))
    colors = ["tab:blue" if g == "near" else "tab:orange" for g in table["group"]]
    ax.barh(list(table["word"])[::-1], list(table["distance"])[::-1], color=colors[::-1])
    ax.set_xlabel("cosine distance")
    verdict = table.attrs.get("far_is_farther")
    ax.set_title(
        f"distance from {table['main'].iloc[0]!r}"
        + ("" if verdict is None else f"; far is farther: {verdict}")
    )
    return fig


def _scored_panels(
    panels: Mapping[str, Sequence[tuple[str, float]]],
    xlabel: str,
    ncols: int = 2,
    color: str = "tab:blue",
    axes: Sequence[Axes] | None = None,
) -> Figure:
    import matplotlib.pyplot as plt

    if not panels:
        raise InputError("nothing to plot: no word lists given")
    n = len(panels)
    if axes is not None:
        fig, given = panels_and_figure(axes, n, (5.2 * n, 4))
        _scored_bars(given, panels, xlabel, color)
        return fig
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    longest = max(len(rows) for rows in panels.values())
    size = (5.2 * ncols, 0.32 * longest * nrows + 1.2 * nrows)
    fig, grid = plt.subplots(nrows, ncols, figsize=size, squeeze=False)
    _scored_bars(list(grid.flat), panels, xlabel, color)
    for ax in list(grid.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _scored_bars(
    axes: Sequence[Axes], panels: Mapping[str, Sequence[tuple[str, float]]], xlabel: str, color: str
) -> None:
    """One horizontal bar chart of (word, score) rows per panel, best on top."""
    for ax, (title, rows) in zip(axes, panels.items(), strict=False):
        ax.barh([w for w, _ in rows][::-1], [v for _, v in rows][::-1], color=color)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)


def plot_neighbors(
    wv: WordVectors, words: Iterable[str], topn: int = 10, axes: Sequence[Axes] | None = None
) -> Figure:
    """One bar chart per word of its nearest neighbours and their cosine similarities.

    ``axes``: one Axes per (distinct) word, of one figure, to draw them into.
    """
    words = _unique(words)
    results = wv.neighbors(words, topn=topn)
    return _scored_panels(dict(zip(words, results, strict=True)), "cosine similarity", axes=axes)


def plot_formulations(
    results: Mapping[str, Sequence[tuple[str, float]]], axes: Sequence[Axes] | None = None
) -> Figure:
    """The two analogy formulations side by side (the output of :meth:`WordVectors.formulations`).

    ``axes``: one Axes per formulation, of one figure, to draw them into.
    """
    return _scored_panels(
        dict(results), "cosine similarity", ncols=len(results), color="tab:green", axes=axes
    )
