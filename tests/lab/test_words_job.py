"""The words job: neighbours, analogies, arrows, groups and diagnosis into a run directory."""

from __future__ import annotations

import numpy as np

import embedlab
from embedlab.tasks.words import WordsStudy

WORDS = sorted(
    {w for pairs in WordsStudy().arrows.values() for p in pairs for w in p}
    | {w for plot in WordsStudy().group_plots().values() for g in plot.values() for w in g}
    | {w for row in WordsStudy().distances for w in row}
    | {"italy", "mother", "old", "young", "cow", "calf", "mad", "breaking"}
)


def test_words_run_skips_unknown_words_and_writes_figures(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "vectors.txt"
    vectors = rng.normal(size=(len(WORDS), 20))
    path.write_text(
        f"{len(WORDS)} 20\n"
        + "".join(f"{w} {' '.join(map(str, v))}\n" for w, v in zip(WORDS, vectors, strict=True))
    )
    config = {
        "name": "w",
        "task": "words",
        "backend": {"name": "gensim", "params": {"source": str(path)}},
        "study": {"topn": 3, "analogies": [["king", "woman", "man"], ["paris", "italy", "france"]]},
    }
    result = embedlab.run(config, tmp_path / "runs")
    metrics = result.metrics["w"]
    assert metrics["vocabulary"] == len(WORDS)
    assert "hardy" in metrics["not in vocabulary"] and "paris" in metrics["not in vocabulary"]
    assert set(metrics["neighbours"]) == {"italy", "mother", "breaking"}
    assert len(metrics["neighbours"]["italy"]) == 3
    assert all(isinstance(w, str) and isinstance(s, float) for w, s in metrics["neighbours"]["italy"])
    assert set(metrics["analogies"]) == {"king + woman - man", "king + man - woman"}
    diagnosis = metrics["diagnosis"]
    assert diagnosis["question"] == "old : young :: cow : ?"
    assert isinstance(diagnosis["expected calf rank"], int)
    assert isinstance(diagnosis["expected calf cos(young-old, calf-cow)"], float)
    assert all(isinstance(s, float) for _, s in diagnosis["top answers"])
    assert set(metrics["similarity"]) == {"wordsim353.tsv", "simlex999.txt"}
    names = {f.split("/")[-1] for f in result.figures["w"]}
    assert names == {
        "w-neighbours.png",
        "w-arrows-gender.png",
        "w-arrows-age.png",
        "w-arrows-plural.png",
        "w-groups-places-people-numbers.png",
        "w-groups-animals-food-sports.png",
        "w-diagnosis.png",
    }


def test_the_one_plot_form_of_groups_still_draws_one_group_figure(tmp_path):
    rng = np.random.default_rng(1)
    words = ["italy", "spain", "france", "mother", "father", "sister"]
    path = tmp_path / "vectors.txt"
    path.write_text(f"{len(words)} 8\n" + "".join(f"{w} {' '.join(map(str, rng.normal(size=8)))}\n" for w in words))
    study = {
        "groups": {"countries": words[:3], "family": words[3:]},
        "neighbors": ["italy"], "analogies": [], "arrows": {}, "distances": [], "diagnose": None,
        "evaluate": False,
    }
    config = {"name": "g", "task": "words", "backend": {"name": "gensim", "params": {"source": str(path)}},
              "study": study}
    result = embedlab.run(config, tmp_path / "runs")
    assert {f.split("/")[-1] for f in result.figures["g"]} == {"g-neighbours.png", "g-groups.png"}
    assert result.metrics["g"]["vectors"] == f"vectors file {path}; 6 words x 8 dimensions"
