"""WordVectors queries: neighbours, the three analogy methods, candidates, odd one out, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedlab.errors import InputError
from embedlab.words import WordVectors


def test_neighbors_equal_most_similar(lee_wv, same):
    words = lee_wv.words[:150:3]
    ours = lee_wv.neighbors(words, topn=10)
    assert len(ours) == len(words)
    same.ranking(ours, [lee_wv.kv.most_similar(w, topn=10) for w in words])


def test_single_word_neighbors_are_flat(lee_wv):
    w = lee_wv.words[10]
    flat = lee_wv.neighbors(w, topn=5)
    assert flat == lee_wv.neighbors([w], topn=5)[0]
    assert all(isinstance(x, str) and isinstance(s, float) for x, s in flat)


def test_mapping_protocol(lee_wv):
    w, v = lee_wv.words[3], lee_wv.words[7]
    np.testing.assert_array_equal(lee_wv[w], lee_wv.kv[w])
    assert lee_wv[[w, v]].shape == (2, lee_wv.vector_size)
    np.testing.assert_array_equal(lee_wv[[w, v]][1], lee_wv.kv[v])
    assert w in lee_wv and "zzzzqqq" not in lee_wv and 3 not in lee_wv
    assert len(lee_wv) == len(lee_wv.kv) and list(lee_wv) == lee_wv.kv.index_to_key
    with pytest.raises(InputError, match="'zzzzqqq'"):
        lee_wv["zzzzqqq"]
    assert repr(lee_wv) == f"WordVectors({len(lee_wv):,} words x {lee_wv.vector_size})"


def test_repr_names_the_source(tmp_path, lee_wv):
    path = lee_wv.save(tmp_path / "v.bin")
    loaded = WordVectors.load(path)
    assert repr(loaded) == f"WordVectors({len(loaded):,} words x {loaded.vector_size}, source={str(path)!r})"


def test_neighbors_restricted_candidates(lee_wv, same):
    w = lee_wv.words[10]
    got = lee_wv.neighbors([w], topn=5, restrict_vocab=300)
    same.ranking(got, [lee_wv.kv.most_similar(w, topn=5, restrict_vocab=300)])
    assert all(lee_wv.kv.key_to_index[x] < 300 for x, _ in got[0])
    pool = lee_wv.words[100:140]
    got = lee_wv.neighbors([w], topn=3, candidates=pool)
    sims = {x: lee_wv.similarity(w, x) for x in pool if x != w}
    same.ranking(got, [sorted(sims.items(), key=lambda item: item[1], reverse=True)[:3]])
    assert {x for x, _ in got[0]} <= set(pool)


def test_analogy_3cosadd_equals_most_similar(lee_wv, same):
    pos, neg = lee_wv.words[20:22], lee_wv.words[30:31]
    ours = lee_wv.analogy(pos, neg, topn=5)
    same.ranking([ours], [lee_wv.kv.most_similar(positive=pos, negative=neg, topn=5)])
    batch = lee_wv.analogies([(neg[0], pos[0], pos[1])] * 3, topn=5)
    same.ranking(batch, [ours] * 3)


def _hand_space():
    """man, woman, king orthonormal; 'womanly' wins 3CosAdd, 'queen' wins 3CosMul."""
    e = np.eye(6, dtype=np.float32)
    x1 = 0.1 * e[0] + 0.95 * e[1] + 0.1 * e[2] + np.sqrt(1 - 0.01 - 0.9025 - 0.01) * e[3]
    x2 = 0.2 * e[0] + 0.55 * e[1] + 0.55 * e[2] + np.sqrt(1 - 0.04 - 0.3025 - 0.3025) * e[4]
    kv = KeyedVectors(6)
    kv.add_vectors(
        ["man", "woman", "king", "womanly", "queen", "other"], np.stack([e[0], e[1], e[2], x1, x2, e[5]])
    )
    return WordVectors(kv), kv


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")
def test_3cosmul_follows_levy_goldberg_and_disagrees_with_3cosadd(same):
    wv, kv = _hand_space()
    add = wv.analogy(["woman", "king"], ["man"], topn=2, method="3cosadd")
    mul = wv.analogy(["woman", "king"], ["man"], topn=2, method="3cosmul")
    assert add[0][0] == "womanly" and mul[0][0] == "queen"

    def shifted(x, y):
        return (1 + wv.similarity(x, y)) / 2

    for word, score in mul:
        expected = shifted(word, "woman") * shifted(word, "king") / (shifted(word, "man") + 1e-3)
        assert score == pytest.approx(expected, rel=1e-5)
    gensim_mul = kv.most_similar_cosmul(positive=["woman", "king"], negative=["man"], topn=2)
    ours_gensim_eps = wv.analogy(["woman", "king"], ["man"], topn=2, method="3cosmul", eps=1e-6)
    same.ranking([ours_gensim_eps], [gensim_mul])


def test_pairdistance_formula():
    wv, _ = _hand_space()
    got = dict(wv.analogy(["woman", "king"], ["man"], topn=3, method="pairdistance"))
    U = {w: wv.vector(w, norm=True) for w in wv.words}
    d = U["woman"] - U["man"]
    for word, score in got.items():
        x = U[word] - U["king"]
        assert score == pytest.approx(float(x @ d / np.linalg.norm(x) / np.linalg.norm(d)), abs=1e-5)
    with pytest.raises(InputError, match="exactly two positive"):
        wv.analogy(["woman"], ["man"], method="pairdistance")


def test_formulations_and_doesnt_match(lee_wv, same):
    w1, w2, w3 = lee_wv.words[40:43]
    both = lee_wv.formulations(w1, w2, w3, topn=3)
    assert list(both) == [f"{w1} + {w2} - {w3}", f"{w1} + {w3} - {w2}"]
    same.ranking(
        [both[f"{w1} + {w3} - {w2}"]], [lee_wv.kv.most_similar(positive=[w1, w3], negative=[w2], topn=3)]
    )
    group = lee_wv.words[50:55]
    U = np.stack([lee_wv.vector(w, norm=True) for w in group]).astype(np.float64)
    mean = U.mean(axis=0) / np.linalg.norm(U.mean(axis=0))
    cos = dict(zip(group, U @ mean, strict=True))  # the odd one out has the lowest cosine to the mean
    ours, theirs = lee_wv.doesnt_match(group), lee_wv.kv.doesnt_match(group)
    same.ranking([[(ours, -cos[ours])]], [[(theirs, -cos[theirs])]])


def test_distance_table(lee_wv):
    df = lee_wv.distance_table("police", near=["officers"], far=["the", "cricket"])
    assert list(df.columns) == ["main", "word", "group", "similarity", "distance"]
    assert df["distance"].is_monotonic_increasing
    assert isinstance(df.attrs["far_is_farther"], bool)
    assert df.loc[df.word == "officers", "distance"].item() == pytest.approx(
        lee_wv.distance("police", "officers")
    )


def test_out_of_vocabulary_lists_every_word_with_spellings(lee_wv):
    with pytest.raises(InputError) as err:
        lee_wv.neighbors(["police", "polise", "zzzzqqq", "Police"])
    msg = str(err.value)
    assert "3 of the words" in msg and "'polise'" in msg and "'zzzzqqq'" in msg
    assert "did you mean 'police'" in msg


def test_nan_rows_are_refused():
    kv = KeyedVectors(3)
    kv.add_vectors(["ok", "bad", "worse"], np.array([[1, 0, 0], [np.nan, 0, 0], [0, np.inf, 1]], np.float32))
    with pytest.raises(InputError, match=r"2 word vector\(s\) hold NaN.*'bad', 'worse'"):
        WordVectors(kv)
    with pytest.raises(InputError, match="KeyedVectors"):
        WordVectors(np.zeros((3, 3)))


def test_large_vocabulary_topk_is_exact(same):
    rng = np.random.default_rng(3)
    kv = KeyedVectors(16)
    kv.add_vectors([f"w{i}" for i in range(20_000)], rng.standard_normal((20_000, 16)).astype(np.float32))
    wv = WordVectors(kv)
    words = [f"w{i}" for i in range(0, 20_000, 997)]
    same.ranking(wv.neighbors(words, topn=7), [kv.most_similar(w, topn=7) for w in words])


def test_small_chunks_give_the_same_answers(structured_kv, questions_subset, same):
    """Products of other shapes round differently in the last bits: the same answers up to near ties."""
    whole = WordVectors(structured_kv)
    chunked = WordVectors(structured_kv, chunk_elements=50_000)  # about 10 queries per chunk
    words = whole.words[:200]
    same.ranking(chunked.neighbors(words, 5), whole.neighbors(words, 5))
    a = whole.evaluate_analogies(questions_subset, method="pairdistance")
    b = chunked.evaluate_analogies(questions_subset, method="pairdistance")
    same.counts(b, a, whole)
    same.ranks(b, a, whole)


@pytest.mark.parametrize("enabled", [True, False])
def test_packing_pauses_the_garbage_collector_and_restores_its_state(enabled: bool) -> None:
    import gc

    from embedlab.words.vectors import _collector_paused

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with _collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), _collector_paused():
            raise RuntimeError("a failure inside the block")
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
