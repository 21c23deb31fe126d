"""Analogy and similarity evaluation: parity with gensim under the same protocol, and the extras."""

from __future__ import annotations

import pytest

from embedlab.words import WordVectors


def _gensim_sections(kv, path=None, **protocol):
    """gensim's sections: ``[{"section", "correct", "incorrect"}, ...]`` (questions, not counts)."""
    from gensim.test.utils import datapath

    return kv.evaluate_word_analogies(str(path or datapath("questions-words.txt")), **protocol)[1]


@pytest.mark.parametrize(
    "protocol",
    [
        {},
        {"case_insensitive": False},
        {"restrict_vocab": 1500},
        {"dummy4unknown": True, "restrict_vocab": 2500},
    ],
)
def test_analogy_counts_equal_gensim_per_section(structured_kv, questions_subset, protocol, same):
    wv = WordVectors(structured_kv)
    ours = wv.evaluate_analogies(questions_subset, **protocol)
    same.counts(ours, _gensim_sections(structured_kv, questions_subset, **protocol), wv)
    assert 0 < ours.correct < ours.total  # a meaningful mix of right and wrong answers
    assert ours.accuracy == pytest.approx(ours.correct / ours.total)
    assert ours.protocol["restrict_vocab"] == protocol.get("restrict_vocab", 300_000)


@pytest.mark.parametrize("protocol", [{"case_insensitive": False}, {"restrict_vocab": 2500, "case_insensitive": False}])
def test_counts_through_the_bfloat16_screen_equal_gensim(structured_kv, questions_subset, protocol, same):
    """Counts without ranks are 3CosAdd top-1 searches, which the screen takes."""
    wv = WordVectors(structured_kv, device="cpu")
    wv.engine.screen = True
    ours = wv.evaluate_analogies(questions_subset, ranks=False, **protocol)
    assert wv.engine._screen is not None
    same.counts(ours, _gensim_sections(structured_kv, questions_subset, **protocol), wv)


def test_analogy_counts_equal_gensim_on_trained_vectors(lee_wv, same):
    same.counts(lee_wv.evaluate_analogies(), _gensim_sections(lee_wv.kv), lee_wv)


def test_analogy_result_extras(structured_kv, questions_subset):
    r = WordVectors(structured_kv).evaluate_analogies(questions_subset, topk=(1, 3, 10))
    sem_c, sem_t = r.semantic
    syn_c, syn_t = r.syntactic
    assert sem_t + syn_t == r.total and sem_c + syn_c == r.correct
    assert r.topk_accuracy[1] <= r.topk_accuracy[3] <= r.topk_accuracy[10]
    q = r.questions[~r.questions.oov]
    assert len(q) == r.total
    # a correct answer is the gold word or one of its case forms; its rank is then 1 or close
    assert (q.loc[q.correct, "rank"] >= 1).all()
    wrong = q[~q.correct & (q["rank"] > 0)]
    assert (wrong["rank"] > 1).all()
    assert "section" in r.summary() and r.to_dict()["total"] == r.total
    assert r.oov_ratio == pytest.approx(100 * r.oov / len(r.questions))


@pytest.mark.parametrize("method", ["3cosmul", "pairdistance"])
def test_other_methods_agree_with_single_queries(structured_kv, questions_subset, method, same):
    wv = WordVectors(structured_kv)
    r = wv.evaluate_analogies(questions_subset, method=method, case_insensitive=False)
    assert 0 < r.correct < r.total and r.protocol["method"] == method
    sample = r.questions[~r.questions.oov].iloc[::331]
    single = [wv.analogy([row.b, row.c], [row.a], topn=1, method=method) for row in sample.itertuples()]
    same.ranking(single, [[(row.predicted, row.score)] for row in sample.itertuples()])


def test_similarity_equals_gensim(lee_wv, structured_kv, shipped_file, same):
    for name in ("wordsim353.tsv", "simlex999.txt"):
        path = shipped_file(name)
        for kv in (lee_wv.kv, structured_kv):
            ours = WordVectors(kv).evaluate_similarity(path)
            same.correlations(ours, kv.evaluate_word_pairs(str(path)), kv)
    ours = lee_wv.evaluate_similarity("wordsim353", dummy4unknown=True, case_insensitive=False)
    theirs = lee_wv.kv.evaluate_word_pairs(
        str(shipped_file("wordsim353.tsv")), dummy4unknown=True, case_insensitive=False
    )
    same.correlations(ours, theirs, lee_wv.kv)
    assert "spearman" in ours.summary()


def test_any_file_in_the_formats(lee_wv, tmp_path):
    qs = tmp_path / "mine.txt"
    qs.write_text(": tiny\nthe and of to\nthe and in for\n: gram-tiny\nsaid says was is\n")
    r = lee_wv.evaluate_analogies(qs)
    assert set(r.sections) == {"tiny", "gram-tiny"} and r.total == 3
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# comment\nthe\tand\t5\nof\tto\t3\nsaid\twas\t1\nzzzz\tqqqq\t2\n")
    s = lee_wv.evaluate_similarity(pairs)
    assert s.pairs == 3 and s.oov == 1


def test_torch_path_matches_numpy(structured_kv, questions_subset, same):
    torch = pytest.importorskip("torch")
    numpy_wv = WordVectors(structured_kv, device="cpu")
    a = numpy_wv.evaluate_analogies(questions_subset, method="3cosmul")
    b = WordVectors(structured_kv, device=torch.device("cpu")).evaluate_analogies(
        questions_subset, method="3cosmul"
    )
    same.counts(b, a, numpy_wv)
    same.ranks(b, a, numpy_wv)


@pytest.mark.gpu
def test_cuda_matches_cpu(structured_kv, questions_subset, same):
    cpu = WordVectors(structured_kv, device="cpu")
    gpu = WordVectors(structured_kv, device="cuda")
    assert gpu.engine.backend == "torch"
    for method in ("3cosadd", "3cosmul", "pairdistance"):
        a = cpu.evaluate_analogies(questions_subset, method=method)
        b = gpu.evaluate_analogies(questions_subset, method=method)
        same.counts(b, a, cpu)
        same.ranks(b, a, cpu)
    words = cpu.words[:100]
    same.ranking(gpu.neighbors(words, 5), cpu.neighbors(words, 5))
