"""diagnose_analogy and the word figures."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedlab.errors import ConfigError, InputError
from embedlab.io import save_figure
from embedlab.plots import words as wplots
from embedlab.words import WordVectors, diagnose_analogy


@pytest.fixture(scope="module")
def cow_space():
    """A toy space where young:cow::old:? fails as in the seed: 'mad' wins, calf's offset points elsewhere."""
    rng = np.random.default_rng(0)
    base = {
        w: rng.standard_normal(12) for w in ["old", "cow", "calf", "veal", "mad", "sheep", "muscle", "meat"]
    }
    base["young"] = base["old"] + rng.standard_normal(12) * 0.3
    base["mad"] = base["cow"] + base["young"] - base["old"] + rng.standard_normal(12) * 0.05
    base["calf"] = base["muscle"] * 0.8 + base["cow"] * 0.2
    base["veal"] = base["meat"]
    kv = KeyedVectors(12)
    kv.add_vectors(list(base), np.stack(list(base.values())).astype(np.float32))
    return WordVectors(kv)


def test_diagnosis_reports_ranks_inputs_and_offsets(cow_space):
    d = diagnose_analogy(cow_space, "old", "young", "cow", ["calf", "veal"], topn=5)
    assert d.top[0][0] == "mad"
    assert set(d.expected) == {"calf", "veal"}
    assert all(rank > 1 for rank, _ in d.expected.values())
    names = [w for w, _ in d.top]
    for word, (rank, score) in d.expected.items():
        if word in names:
            assert names.index(word) + 1 == rank
        assert score == pytest.approx(
            dict(cow_space.analogy(["young", "cow"], ["old"], topn=8))[word], abs=1e-5
        )
    U = {w: cow_space.vector(w, norm=True) for w in cow_space.words}
    off, pair = U["young"] - U["old"], U["calf"] - U["cow"]
    assert d.offset_cosines["calf"] == pytest.approx(
        off @ pair / np.linalg.norm(off) / np.linalg.norm(pair), abs=1e-5
    )
    assert isinstance(d.lands_on_input, bool)
    assert d.lands_on_input == (d.top_with_inputs[0][0] in {"old", "young", "cow"})
    assert "rank" in d.summary()
    with pytest.raises(InputError, match="expected"):
        diagnose_analogy(cow_space, "old", "young", "cow", [])
    with pytest.raises(InputError, match="'lamb'"):
        diagnose_analogy(cow_space, "old", "young", "cow", ["lamb"])


def test_figures_are_returned_and_saved(cow_space, tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    d = cow_space.diagnose_analogy("old", "young", "cow", ["calf", "veal"])
    figs = {
        "diag": d.figure(),
        "arrows": wplots.plot_arrows(cow_space, [("old", "young"), ("cow", "calf"), ("cow", "veal")]),
        "groups": wplots.plot_groups(
            cow_space, {"animals": ["cow", "calf", "sheep"], "food": ["veal", "meat"], "x": ["mad"]}
        ),
        "words": wplots.plot_words(cow_space, cow_space.words, method="tsne"),
        "table": wplots.plot_distance_table(cow_space.distance_table("cow", ["calf", "sheep"], ["meat"])),
    }
    for name, fig in figs.items():
        assert isinstance(fig, Figure)
        path = save_figure(fig, tmp_path / f"{name}.png")
        assert path.stat().st_size > 1000
        plt.close(fig)
    assert "mean pairwise cosine" in figs["arrows"].axes[0].get_title()


def test_plot_errors(cow_space):
    with pytest.raises(InputError, match="'dog'"):
        wplots.plot_words(cow_space, ["cow", "dog"])
    with pytest.raises(ConfigError, match="projection"):
        wplots.plot_words(cow_space, ["cow", "old"], method="umap")
    with pytest.raises(InputError, match="group"):
        wplots.plot_groups(cow_space, {})
    with pytest.raises(InputError, match="at least two"):
        wplots.project(np.zeros((1, 3)))


def test_neighbor_and_formulation_figures(cow_space, tmp_path):
    import matplotlib.pyplot as plt

    fig = wplots.plot_neighbors(cow_space, ["cow", "old", "mad"], topn=3)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 3
    assert save_figure(fig, tmp_path / "nb.png").stat().st_size > 1000
    fig2 = wplots.plot_formulations(cow_space.formulations("cow", "young", "old", topn=4))
    assert [ax.get_title() for ax in fig2.axes] == ["cow + young - old", "cow + old - young"]
    plt.close(fig)
    plt.close(fig2)


def test_offset_projection_points_parallel_arrows_right():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((4, 20))
    offset = rng.standard_normal(20)
    X = np.concatenate([base, base + offset + rng.standard_normal((4, 20)) * 0.05])
    xy = wplots.offset_projection(X, [(i, i + 4) for i in range(4)])
    assert (xy[4:, 0] - xy[:4, 0] > 0).all()
    with pytest.raises(InputError, match="pair"):
        wplots.offset_projection(X, [])


def test_arrow_legend_names_the_outlier(cow_space):
    import matplotlib.pyplot as plt

    fig = wplots.plot_arrows(cow_space, [("old", "young"), ("cow", "mad"), ("meat", "veal")], method="offset")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(labels) == 3 and all("cos to others" in t for t in labels)
    plt.close(fig)


def test_every_word_figure_draws_into_given_axes(cow_space):
    import matplotlib.pyplot as plt

    d = cow_space.diagnose_analogy("old", "young", "cow", ["calf", "veal"])
    fig, axes = plt.subplots(2, 3)
    top, bottom = list(axes[0]), list(axes[1])
    try:
        assert wplots.plot_diagnosis(d, axes=top[:2]) is fig
        assert wplots.plot_neighbors(cow_space, ["cow", "old", "mad"], topn=3, axes=bottom) is fig
        assert [ax.get_title() for ax in bottom] == ["cow", "old", "mad"]
        formulations = cow_space.formulations("cow", "young", "old", topn=4)
        other, pair = plt.subplots(1, 2)
        assert wplots.plot_formulations(formulations, axes=pair) is other
        assert pair[0].get_title() == "cow + young - old"
        plt.close(other)
        with pytest.raises(InputError, match="pass 2 Axes"):
            wplots.plot_diagnosis(d, axes=top)
        assert wplots.plot_arrows(cow_space, [("old", "young"), ("cow", "calf")], ax=top[2]) is fig
        assert top[2].get_title().startswith("difference vectors")
        assert not top[0].get_title().startswith("difference vectors")
    finally:
        plt.close(fig)
