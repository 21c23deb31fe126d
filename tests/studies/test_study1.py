"""Study 1 as the exercise set it (examples/studies/study1-words*.yaml), run in CI on its stand-in."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from embedlab.config import load_config
from embedlab.lab.run import run

STUDIES = Path(__file__).resolve().parents[2] / "examples" / "studies"
CONFIG = STUDIES / "study1-words.yaml"
OFFLINE = STUDIES / "study1-words-offline.yaml"
GLOVE = "glove-wiki-gigaword-100"
FIGURES = {
    "neighbours",
    "arrows-gender",
    "arrows-age",
    "arrows-plural",
    "groups-places-people-numbers",
    "groups-animals-food-sports",
    "diagnosis",
}


def test_the_configs_ask_every_question_of_the_exercise():
    config, offline = load_config(CONFIG), load_config(OFFLINE)
    assert (config.backend.name, config.backend.params) == ("gensim", {"source": GLOVE, "download": False})
    assert offline.backend.name == "sbert" and offline.backend.params["model"] == "all-MiniLM-L6-v2"
    assert config.study == offline.study
    study = config.study
    assert study["neighbors"] == ["hardy", "breaking", "italy", "mother"] and study["topn"] == 10
    assert ["zidane", "real", "piano"] in study["distances"]
    assert study["arrows"]["age"] == [["man", "boy"], ["woman", "girl"]]
    assert [p[0] for p in study["arrows"]["gender"]] == ["actor", "king", "man", "boy"]
    assert ["farm", "farms"] in study["arrows"]["plural"]
    assert len(study["groups"]) == 2 and study["diagnose"] == ["old", "young", "cow", ["calf", "veal"]]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The study on its stand-in: MiniLM over wordfreq's 30,000 words (cached after its first encoding)."""
    result = run(CONFIG, tmp_path_factory.mktemp("runs"), stand_in=True)
    return result, result.metrics["study1-words"], (result.path / "report.md").read_text(encoding="utf-8")


def test_the_report_says_which_vectors_it_used(report):
    _, section, text = report
    assert section["vectors"].startswith("sbert backend (model=all-MiniLM-L6-v2, vocab_size=30000")
    assert "30,000 words x 384 dimensions" in section["vectors"]
    assert f"{GLOVE} replaced by the embedded sbert" in section["stand-in"][0]
    assert "| vectors | sbert backend" in text


def test_the_distance_table_has_a_row_per_known_triple(report):
    _, section, text = report
    rows = section["distances"]
    assert {"main", "near", "far", "distance to near", "distance to far", "far is farther"} == set(rows[0])
    assert ["mother", "father", "engine"] in [[r["main"], r["near"], r["far"]] for r in rows]
    for row in rows:
        assert row["far is farther"] == (row["distance to far"] > row["distance to near"])
    assert "zidane" in section["not in vocabulary"]  # wordfreq's top 30,000 lack him: rows skipped
    assert "| distances | main | near | far | distance to near | distance to far | far is farther |" in text


def test_both_arrow_families_two_group_plots_and_the_other_questions(report):
    result, section, text = report
    names = {Path(f).stem.removeprefix("study1-words-") for f in result.figures["study1-words"]}
    assert names == FIGURES
    assert section["analogies"]["king + woman - man"][0][0] == "queen"
    assert {"king + man - woman", "actor + woman - man"} <= set(section["analogies"])
    assert section["diagnosis"]["question"] == "old : young :: cow : ?"
    assert set(section["neighbours"]) == {"hardy", "breaking", "italy", "mother"}
    assert "google analogies" in section and "similarity" in section


def write_glove(root: Path, words: list[str], dim: int = 16) -> Path:
    """Random vectors as gensim-data's glove-wiki-gigaword-100: GloVe text, gzipped, in its folder."""
    rng = np.random.default_rng(0)
    folder = root / GLOVE
    folder.mkdir(parents=True)
    path = folder / f"{GLOVE}.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(f"{w} {' '.join(f'{x:.5f}' for x in rng.normal(size=dim))}\n" for w in words)
    return path


def test_with_the_file_in_gensim_datas_layout_the_study_runs_on_it(tmp_path, monkeypatch):
    study = load_config(CONFIG).study
    words = sorted(
        {*study["neighbors"], *(w for row in study["distances"] for w in row)}
        | {w for pairs in study["arrows"].values() for pair in pairs for w in pair}
        | {w for plot in study["groups"].values() for ws in plot.values() for w in ws}
        | {"old", "young", "cow", "calf", "veal", "king", "queen", "woman", "man", "actor", "husband"}
    )
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path / "gensim-data"))
    path = write_glove(tmp_path / "gensim-data", words)
    # the Google and similarity benchmarks are out of vocabulary on these few words: not scored here
    config = load_config(CONFIG, overrides=["study.evaluate=false"])
    result = run(config, tmp_path / "runs")
    section = result.metrics["study1-words"]
    assert section["vectors"] == (
        f"{GLOVE} (gensim downloader name, read from {path}); {len(words)} words x 16 dimensions"
    )
    assert len(section["distances"]) == len(study["distances"])
    assert {Path(f).stem.removeprefix("study1-words-") for f in result.figures["study1-words"]} == FIGURES


def test_without_the_file_the_run_refuses_before_writing(tmp_path, monkeypatch, refusal):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path / "empty" / "gensim-data"))
    message = refusal(CONFIG)
    assert str(tmp_path / "empty" / "gensim-data" / GLOVE / f"{GLOVE}.gz") in message
    assert f"python -m gensim.downloader --download {GLOVE}" in message and "--stand-in" in message
