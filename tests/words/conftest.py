"""Fixtures for the word-vector tests: gensim's shipped data, small trained and synthetic vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def shipped(name: str) -> Path:
    """A file from gensim's test data, or skip the test saying which file is missing."""
    from gensim.test.utils import datapath

    path = Path(datapath(name))
    if not path.is_file():
        pytest.skip(f"gensim's test data file {name} is not installed at {path}")
    return path


def structured_keyed_vectors(dim: int = 64, fillers: int = 3000, seed: int = 0, case_variants: bool = True):
    """Vectors where part of the Google analogy set is solvable: b = a + section offset + noise.

    Words are assigned the first time they are seen, so a word met again in another section
    keeps its first vector: some questions are right, others wrong, as in real vectors.
    With ``case_variants``, lower-case forms of some words are added after the originals.
    """
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(seed)
    vecs: dict[str, np.ndarray] = {}
    offset = None
    for line in shipped("questions-words.txt").read_text().splitlines():
        if line.startswith(": "):
            offset = rng.standard_normal(dim) * 0.8
            continue
        a, b, c, d = line.split()
        for x, y in ((a, b), (c, d)):
            if x not in vecs:
                vecs[x] = rng.standard_normal(dim)
            if y not in vecs:
                vecs[y] = vecs[x] + offset + rng.standard_normal(dim) * 0.7
    words = list(vecs)
    keys = words[: len(words) // 2] + [f"filler{i}" for i in range(fillers)] + words[len(words) // 2 :]
    mat = [vecs.get(k, None) for k in keys]
    mat = [v if v is not None else rng.standard_normal(dim) for v in mat]
    if case_variants:
        for w in words[::7]:
            if w.lower() != w:
                keys.append(w.lower())
                mat.append(vecs[w] + rng.standard_normal(dim) * 0.2)
    kv = KeyedVectors(dim)
    kv.add_vectors(keys, np.asarray(mat, dtype=np.float32))
    return kv


@pytest.fixture(scope="session")
def structured_kv():
    return structured_keyed_vectors()


@pytest.fixture(scope="session")
def questions_subset(tmp_path_factory):
    """Every third question of the Google set, with all its section headers (keeps gensim's side fast)."""
    lines = shipped("questions-words.txt").read_text().splitlines()
    kept, n = [], 0
    for line in lines:
        if line.startswith(": "):
            kept.append(line)
        else:
            n += 1
            if n % 3 == 0:
                kept.append(line)
    path = tmp_path_factory.mktemp("questions") / "questions-subset.txt"
    path.write_text("\n".join(kept) + "\n")
    return path


@pytest.fixture(scope="session")
def lee_wv():
    """Word2Vec trained briefly on gensim's Lee background corpus (about a second)."""
    from gensim.utils import simple_preprocess

    from embedlab.words import WordVectors

    path = shipped("lee_background.cor")
    sentences = [simple_preprocess(line) for line in path.read_text(encoding="utf8").splitlines()]
    return WordVectors.train(
        sentences, vector_size=32, min_count=3, epochs=15, progress=False, workers=1, seed=1
    )


@pytest.fixture(scope="session")
def shipped_file():
    """The :func:`shipped` lookup, as a fixture (test modules here are not a package)."""
    return shipped
