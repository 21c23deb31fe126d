"""The ``embedlab words`` commands, on a small vectors file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from gensim.models import KeyedVectors

from embedlab.cli import main


@pytest.fixture(scope="module")
def vectors_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    words = ["man", "woman", "king", "queen", "boy", "girl", "old", "young", "cow", "calf", "veal", "mad"]
    kv = KeyedVectors(16)
    kv.add_vectors(words, rng.standard_normal((len(words), 16)).astype(np.float32))
    path = tmp_path_factory.mktemp("cli") / "vectors.txt"
    kv.save_word2vec_format(str(path))
    return str(path)


def run(*args):
    return CliRunner().invoke(main, ["words", *args], catch_exceptions=False)


def test_neighbors_and_analogy(vectors_file):
    r = run("neighbors", "king", "man", "-k", "3", "-v", vectors_file, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data) == {"king", "man"} and len(data["king"]) == 3
    r = run("analogy", "woman", "king", "-n", "man", "-k", "2", "-v", vectors_file, "-m", "3cosmul")
    assert r.exit_code == 0 and len(r.output.split()) == 4
    r = run("analogy", "woman", "king", "-n", "man", "--both", "-v", vectors_file)
    assert r.exit_code == 0 and "woman + king - man" in r.output and "woman + man - king" in r.output
    r = run("analogy", "woman", "king", "-n", "man", "-k", "2", "-v", vectors_file, "--json")
    assert r.exit_code == 0 and len(json.loads(r.output)) == 2
    r = run("analogy", "woman", "king", "-n", "man", "--both", "-v", vectors_file, "--json")
    assert set(json.loads(r.output)) == {"woman + king - man", "woman + man - king"}


def test_evaluate(vectors_file, tmp_path):
    qs = tmp_path / "q.txt"
    qs.write_text(": family\nman woman king queen\nboy girl man woman\n: gram-x\nold young cow calf\n")
    r = run("evaluate", "--analogies", str(qs), "--similarity", "wordsim353", "-v", vectors_file, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out[str(qs)]["total"] == 3 and "spearman" in out["wordsim353"]


def test_diagnose_and_plot(vectors_file, tmp_path):
    fig = tmp_path / "diag.png"
    r = run("diagnose", "old", "young", "cow", "-e", "calf", "-e", "veal", "-f", str(fig), "-v", vectors_file)
    assert r.exit_code == 0, r.output
    assert "expected 'calf'" in r.output and fig.stat().st_size > 0
    r = run("diagnose", "old", "young", "cow", "-e", "calf", "-k", "3", "-v", vectors_file, "--json")
    found = json.loads(r.output)
    assert found["question"] == ["old", "young", "cow"] and len(found["top"]) == 3
    assert set(found["expected"]["calf"]) == {"rank", "score"} and found["figure"] is None
    for args in (
        ["-p", "man:woman", "-p", "king:queen"],
        ["-g", "people=man,woman,boy", "-g", "cattle=cow,calf,veal"],
        ["man", "woman", "cow"],
    ):
        out = tmp_path / "plot.png"
        r = run("plot", *args, "-o", str(out), "-v", vectors_file)
        assert r.exit_code == 0, r.output
        assert out.stat().st_size > 0
    out = tmp_path / "old-name.png"  # --projection stays as a hidden alias of --method
    r = run("plot", "man", "woman", "cow", "--projection", "pca", "-o", str(out), "-v", vectors_file)
    assert r.exit_code == 0 and out.stat().st_size > 0, r.output
    assert "--projection" not in run("plot", "--help").output


def test_the_format_option(vectors_file):
    r = run("neighbors", "king", "-k", "2", "-v", vectors_file, "--format", "word2vec-txt", "--json")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["king"]) == 2
