"""Training with gensim, and the embedded default vectors cached on disk."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.errors import ConfigError, InputError
from embedlab.io import cache_dir
from embedlab.words import WordVectors, default_vectors


def test_train_word2vec_and_fasttext(tmp_path):
    sentences = [["the", "king", "rules", "the", "land"], ["the", "queen", "rules", "the", "land"]] * 20
    w2v = WordVectors.train(sentences, vector_size=8, min_count=1, epochs=2, progress=False, workers=1)
    assert set(w2v.words) == {"the", "king", "rules", "queen", "land"} and w2v.vector_size == 8
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in sentences))
    ft = WordVectors.train(corpus, model="fasttext", vector_size=8, min_count=1, epochs=1, progress=False)
    assert "king" in ft and len(ft) == 5


def test_train_errors():
    with pytest.raises(InputError, match="empty"):
        WordVectors.train([], progress=False)
    with pytest.raises(InputError, match="min_count"):
        WordVectors.train([["a", "b"]], min_count=5, progress=False)
    with pytest.raises(ConfigError, match="model"):
        WordVectors.train([["a"]], model="glove", progress=False)
    with pytest.raises(InputError, match="lists of tokens"):
        WordVectors.train(["a sentence as a string"], min_count=1, progress=False)


def test_default_vectors_trained_once_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLAB_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    settings = {"epochs": 1, "vector_size": 16, "sg": 0, "min_count": 5}
    first = default_vectors(progress=False, **settings)
    files = list((tmp_path / "words").iterdir())
    assert len(files) == 1 and files[0].suffix == ".bin"  # no temporary left behind
    assert {"italy", "mother", "king"} <= set(first.words) and first.vector_size == 16
    again = default_vectors(progress=False, **settings)
    assert again.words == first.words
    assert np.allclose(again.kv.vectors, first.kv.vectors)
    with pytest.raises(ConfigError, match="unknown default-vector settings"):
        default_vectors(dims=3)
