"""The words job: neighbours, analogies, arrows, groups and diagnosis into a run directory."""

from __future__ import annotations

import numpy as np

import embedlab
from embedlab.tasks.words import WordsStudy

WORDS = sorted(
    {w for pairs in WordsStudy().arrows.values() for p in pairs for w in p}
    | {w for g in WordsStudy().groups.values() for w in g}
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
        "w-arrows-plural.png",
        "w-groups.png",
        "w-diagnosis.png",
    }
