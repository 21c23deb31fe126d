"""The catalogue of bad inputs to word vectors: files, queries, evaluation datasets and the CLI.

Every case checks, through :mod:`bad_inputs`: the typed error, exit code 2 with one error line
at the command line, that the message names the bad input, and that nothing was written in
the folder the call ran in (the inputs were made there before the call).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bad_inputs import api_error, cli_error
from gensim.models import KeyedVectors

from embedlab.errors import ConfigError, InputError
from embedlab.words import WordVectors

WORDS = ["man", "woman", "king", "queen", "boy", "girl", "old", "young", "cow", "calf", "veal", "mad"]


@pytest.fixture(scope="module")
def small_kv() -> KeyedVectors:
    rng = np.random.default_rng(0)
    kv = KeyedVectors(16)
    kv.add_vectors(WORDS, rng.standard_normal((len(WORDS), 16)).astype(np.float32))
    return kv


@pytest.fixture(scope="module")
def fasttext_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    model = FastText([WORDS * 3] * 5, vector_size=8, min_count=1, epochs=1, workers=1, seed=0, bucket=500)
    path = tmp_path_factory.mktemp("fasttext") / "ft.bin"
    save_facebook_model(model, str(path))
    return path.read_bytes()


@pytest.fixture(scope="module")
def small_wv(small_kv: KeyedVectors) -> WordVectors:
    return WordVectors(small_kv, device="cpu")


def _text(kv: KeyedVectors, folder: Path, name: str = "vectors.txt") -> Path:
    path = folder / name
    kv.save_word2vec_format(str(path))
    return path


def _binary(kv: KeyedVectors, folder: Path, name: str = "vectors.bin") -> Path:
    path = folder / name
    kv.save_word2vec_format(str(path), binary=True)
    return path


def _bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _inside_last_word(fasttext: bytes) -> int:
    """A length that cuts a fastText file one byte into its last word (gensim would wait forever there)."""
    pos = 64 + 12 + 8 + 8  # the new format's header, vocabulary sizes, tokens and pruned-index size
    for _ in range(len(WORDS) - 1):
        pos = fasttext.index(b"\x00", pos) + 10  # a word's terminator, its count and entry type
    return pos + 1


# -- word-vector files ------------------------------------------------------------------------
# Each maker gets (folder, small_kv, fasttext_bytes) and returns (source, load kwargs).
Maker = Callable[[Path, KeyedVectors, bytes], tuple[Any, dict[str, Any]]]

FILE_CASES: list[Any] = [
    pytest.param(
        lambda d, kv, ft: (d / "missing.txt", {}),
        InputError,
        ["missing.txt", "does not exist"],
        id="missing-file",
    ),
    pytest.param(
        lambda d, kv, ft: ((d / "folder").mkdir() or d / "folder", {}),
        InputError,
        ["folder", "is a folder"],
        id="a-folder",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "empty.vec", b""), {}),
        InputError,
        ["empty.vec", "empty"],
        id="empty-file",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "notes.txt", b"hello world\nthis is prose\n"), {}),
        InputError,
        ["notes.txt", "glove", "format"],
        id="garbage-text",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "bom.txt", b"\xef\xbb\xbf3 16\nking 0.1 0.2\n"), {}),
        InputError,
        ["bom.txt", "word2vec-txt"],
        id="bom-then-short-rows",
    ),
    pytest.param(
        lambda d, kv, ft: (
            _bytes(d, "count.txt", _text(kv, d).read_bytes().replace(b"12 16", b"40 16", 1)),
            {},
        ),
        InputError,
        ["count.txt", "word2vec-txt"],
        id="header-counts-too-many",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "cut.bin", _binary(kv, d).read_bytes()[:300]), {}),
        InputError,
        ["cut.bin", "word2vec-bin"],
        id="truncated-word2vec-binary",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "ft.bin", ft[:95]), {}),
        InputError,
        ["ft.bin", "fasttext-bin", "more than the file"],
        id="fasttext-cut-early-in-the-words",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "ft.bin", ft[: _inside_last_word(ft)]), {}),
        InputError,
        ["ft.bin", "fasttext-bin", "ends inside word 12"],
        id="fasttext-cut-inside-the-last-word",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "ft.bin", ft[:20]), {}),
        InputError,
        ["ft.bin", "fasttext-bin"],
        id="fasttext-cut-in-header",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "ft.bin", ft[:2000]), {}),
        InputError,
        ["ft.bin", "fasttext-bin"],
        id="fasttext-cut-in-matrix",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "random.dat", np.random.default_rng(1).bytes(500)), {}),
        InputError,
        ["random.dat", "cannot tell the format"],
        id="unknown-binary",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "v.txt.gz", gzip.compress(b"\xff\xfe\x00garbage" * 30)), {}),
        InputError,
        ["v.txt.gz"],
        id="compressed-garbage",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "v.txt.gz", b"not gzip at all"), {}),
        InputError,
        ["v.txt.gz"],
        id="not-really-gzip",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "v.txt.gz", b"not gzip at all"), {"format": "glove"}),
        InputError,
        ["v.txt.gz", "glove"],
        id="not-really-gzip-format-given",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "v.txt.gz", gzip.compress(_text(kv, d).read_bytes())[:60]), {}),
        InputError,
        ["v.txt.gz"],
        id="truncated-gzip",
    ),
    pytest.param(
        lambda d, kv, ft: (_text(kv, d), {"format": "word2vec-bin"}),
        InputError,
        ["vectors.txt", "word2vec-bin"],
        id="text-named-binary-format",
    ),
    pytest.param(
        lambda d, kv, ft: (_binary(kv, d), {"format": "word2vec-txt"}),
        InputError,
        ["vectors.bin", "word2vec-txt"],
        id="binary-named-text-format",
    ),
    pytest.param(
        lambda d, kv, ft: (_text(kv, d), {"format": "glove"}),
        InputError,
        ["vectors.txt", "glove"],
        id="word2vec-named-glove",
    ),
    pytest.param(
        lambda d, kv, ft: (_text(kv, d), {"format": "word3vec"}),
        ConfigError,
        ["'word3vec'", "word2vec-txt"],
        id="unknown-format-name",
    ),
    pytest.param(
        lambda d, kv, ft: (kv.save(str(d / "v.kv")) or d / "v.kv", {}),
        InputError,
        ["v.kv", "trusted=True"],
        id="pickle-without-trusted",
    ),
    pytest.param(
        lambda d, kv, ft: (_bytes(d, "nan.txt", b"2 3\nok 1 0 0\nbad nan 0 1\n"), {}),
        InputError,
        ["'bad'", "NaN"],
        id="nan-vector",
    ),
    pytest.param(lambda d, kv, ft: ("", {}), InputError, "no vectors source", id="empty-source"),
    pytest.param(
        lambda d, kv, ft: ("..hidden", {"download": False}),
        InputError,
        "'..hidden'",
        id="downloader-name-not-a-file-name",
    ),
    pytest.param(
        lambda d, kv, ft: ("no-such-vectors", {"download": False}),
        InputError,
        ["'no-such-vectors'", "GENSIM_DATA_DIR"],
        id="downloader-name-offline",
    ),
    pytest.param(
        lambda d, kv, ft: (d / "sub" / "v.txt", {}),
        InputError,
        ["v.txt", "does not exist"],
        id="missing-folder",
    ),
]


@pytest.mark.parametrize(("make", "error", "names"), FILE_CASES)
def test_bad_vector_files(
    make: Maker,
    error: type,
    names: Any,
    tmp_path: Path,
    small_kv: KeyedVectors,
    fasttext_bytes: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path / "gensim-data"))
    source, kwargs = make(tmp_path, small_kv, fasttext_bytes)
    api_error(lambda: WordVectors.load(source, device="cpu", **kwargs), error, names, cwd=tmp_path)


# -- queries ----------------------------------------------------------------------------------
QUERY_CASES: list[Any] = [
    pytest.param(
        lambda wv: wv.neighbors(["kingg"]), InputError, ["'kingg'", "did you mean 'king'"], id="unknown-word"
    ),
    pytest.param(
        lambda wv: wv.neighbors(["king", "qeen", "zzz"]),
        InputError,
        ["'qeen'", "'zzz'"],
        id="every-unknown-word-named",
    ),
    pytest.param(lambda wv: wv.neighbors([]), InputError, "no words", id="no-words"),
    pytest.param(lambda wv: wv.neighbors(["king", 7]), InputError, "7", id="word-not-a-string"),
    pytest.param(lambda wv: wv.neighbors(["king"], topn=0), ConfigError, ["topn", "0"], id="topn-zero"),
    pytest.param(lambda wv: wv.neighbors(["king"], topn=-3), ConfigError, ["topn", "-3"], id="topn-negative"),
    pytest.param(
        lambda wv: wv.neighbors(["king"], restrict_vocab=0),
        ConfigError,
        "restrict_vocab",
        id="restrict-vocab-zero",
    ),
    pytest.param(
        lambda wv: wv.neighbors(["king"], restrict_vocab=3, candidates=["man"]),
        ConfigError,
        ["restrict_vocab", "candidates"],
        id="restrict-and-candidates",
    ),
    pytest.param(
        lambda wv: wv.neighbors(["king"], candidates=["man", "dragon"]),
        InputError,
        "'dragon'",
        id="unknown-candidate",
    ),
    pytest.param(
        lambda wv: wv.analogy(["woman", "king"], ["man"], method="nearest"),
        ConfigError,
        ["'nearest'", "3cosmul"],
        id="bad-method",
    ),
    pytest.param(
        lambda wv: wv.analogy(["woman", "kingg"], ["man"]), InputError, "'kingg'", id="analogy-unknown-word"
    ),
    pytest.param(lambda wv: wv.analogy([], ["man"]), InputError, "positive", id="analogy-no-positive"),
    pytest.param(
        lambda wv: wv.analogy(["woman", "king"], ["man"], topn=0), ConfigError, "topn", id="analogy-topn-zero"
    ),
    pytest.param(
        lambda wv: wv.analogy(["woman"], ["man"], method="pairdistance"),
        InputError,
        "pairdistance",
        id="pairdistance-arity",
    ),
    pytest.param(
        lambda wv: wv.analogy(["woman", "king"], ["man"], method="3cosmul", eps=0),
        ConfigError,
        "eps",
        id="3cosmul-eps-zero",
    ),
    pytest.param(
        lambda wv: wv.analogies([("man", "woman")]),
        InputError,
        "('man', 'woman')",
        id="analogy-question-not-a-triple",
    ),
    pytest.param(lambda wv: wv.doesnt_match(["king"]), InputError, "['king']", id="odd-one-out-of-one"),
    pytest.param(
        lambda wv: wv.diagnose_analogy("old", "young", "cow", ["lamb"]),
        InputError,
        "'lamb'",
        id="diagnose-unknown-expected",
    ),
    pytest.param(
        lambda wv: wv.diagnose_analogy("old", "young", "cow", []),
        InputError,
        "expected",
        id="diagnose-no-expected",
    ),
    pytest.param(
        lambda wv: WordVectors(np.zeros((3, 3))), InputError, "ndarray", id="wrap-not-keyed-vectors"
    ),
]


@pytest.mark.parametrize(("call", "error", "names"), QUERY_CASES)
def test_bad_queries(
    call: Callable[[WordVectors], Any], error: type, names: Any, small_wv: WordVectors, tmp_path: Path
) -> None:
    api_error(lambda: call(small_wv), error, names, cwd=tmp_path)


# -- evaluation datasets ----------------------------------------------------------------------
DATASET_CASES: list[Any] = [
    pytest.param(
        "analogies",
        lambda d: d / "missing.txt",
        {},
        InputError,
        ["missing.txt", "questions-words"],
        id="analogies-missing",
    ),
    pytest.param(
        "analogies",
        lambda d: (d / "sets").mkdir() or d / "sets",
        {},
        InputError,
        ["sets", "folder"],
        id="analogies-folder",
    ),
    pytest.param(
        "analogies",
        lambda d: _bytes(d, "q.txt", b"man woman king queen\n"),
        {},
        InputError,
        ["q.txt", "line 1"],
        id="analogies-no-section",
    ),
    pytest.param(
        "analogies",
        lambda d: _bytes(d, "q.txt", b": family\n"),
        {},
        InputError,
        ["q.txt", "no analogy questions"],
        id="analogies-only-a-header",
    ),
    pytest.param(
        "analogies",
        lambda d: _bytes(d, "q.txt", b": s\n\xff\xfe\x00\x81 a b c\n"),
        {},
        InputError,
        ["q.txt", "UTF-8"],
        id="analogies-not-text",
    ),
    pytest.param(
        "analogies",
        lambda d: _bytes(d, "q.txt", b": s\nman woman king queen\n"),
        {"method": "3cosfoo"},
        ConfigError,
        "'3cosfoo'",
        id="analogies-bad-method",
    ),
    pytest.param(
        "analogies",
        lambda d: _bytes(d, "q.txt", b": s\nman woman king queen\n"),
        {"restrict_vocab": 0},
        ConfigError,
        "restrict_vocab",
        id="analogies-restrict-zero",
    ),
    pytest.param(
        "similarity",
        lambda d: d / "pairs.tsv",
        {},
        InputError,
        ["pairs.tsv", "simlex999"],
        id="similarity-missing",
    ),
    pytest.param(
        "similarity",
        lambda d: _bytes(d, "pairs.tsv", b"man woman 3\n"),
        {},
        InputError,
        ["pairs.tsv", "word1"],
        id="similarity-no-tab-lines",
    ),
    pytest.param(
        "similarity",
        lambda d: _bytes(d, "pairs.tsv", b"\xff\xfe\x00\x81\tb\t1\n"),
        {},
        InputError,
        ["pairs.tsv", "utf8"],
        id="similarity-not-text",
    ),
    pytest.param(
        "similarity",
        lambda d: _bytes(d, "pairs.tsv", b"a\tb\t1\nc\td\t2\n"),
        {},
        InputError,
        ["pairs.tsv", "fewer than two"],
        id="similarity-all-unknown",
    ),
    pytest.param(
        "similarity",
        lambda d: _bytes(d, "pairs.tsv", b"man\tking\t1\n"),
        {"encoding": "klingon"},
        ConfigError,
        "'klingon'",
        id="similarity-unknown-encoding",
    ),
    pytest.param(
        "similarity",
        lambda d: _bytes(d, "pairs.tsv", b"man\tking\t1\n"),
        {"delimiter": ""},
        ConfigError,
        "delimiter",
        id="similarity-empty-delimiter",
    ),
]


@pytest.mark.parametrize(("kind", "make", "kwargs", "error", "names"), DATASET_CASES)
def test_bad_evaluation_files(
    kind: str,
    make: Callable[[Path], Path],
    kwargs: dict,
    error: type,
    names: Any,
    small_wv: WordVectors,
    tmp_path: Path,
) -> None:
    path = make(tmp_path)
    evaluate = small_wv.evaluate_analogies if kind == "analogies" else small_wv.evaluate_similarity
    api_error(lambda: evaluate(path, **kwargs), error, names, cwd=tmp_path)


# -- the command line -------------------------------------------------------------------------
CLI_CASES: list[Any] = [
    pytest.param(["neighbors", "kingg"], ["'kingg'", "did you mean 'king'"], id="neighbors-unknown-word"),
    pytest.param(["neighbors", "king", "-k", "0"], "--topn", id="neighbors-topn-zero"),
    pytest.param(
        ["neighbors", "king", "--restrict-vocab", "0"], "--restrict-vocab", id="neighbors-restrict-zero"
    ),
    pytest.param(
        ["neighbors", "king", "-v", "none.txt"], ["none.txt", "does not exist"], id="vectors-missing"
    ),
    pytest.param(["neighbors", "king", "-v", "sub"], ["sub", "is a folder"], id="vectors-a-folder"),
    pytest.param(["neighbors", "king", "-v", "notes.txt"], ["notes.txt", "glove"], id="vectors-garbage-text"),
    pytest.param(
        ["neighbors", "king", "-v", "ft.bin"], ["ft.bin", "fasttext-bin"], id="vectors-truncated-fasttext"
    ),
    pytest.param(["neighbors", "king", "--format", "word3vec"], "word3vec", id="unknown-format-option"),
    pytest.param(
        ["neighbors", "king", "--format", "word2vec-bin"],
        ["vectors.txt", "word2vec-bin"],
        id="wrong-format-option",
    ),
    pytest.param(
        ["neighbors", "king", "-v", "model.kv"], ["model.kv", "--trusted"], id="pickle-without-trusted"
    ),
    pytest.param(
        ["analogy", "woman", "king", "-n", "man", "-m", "nearest"], "nearest", id="analogy-bad-method"
    ),
    pytest.param(
        ["analogy", "woman", "-n", "man", "-m", "pairdistance"],
        "pairdistance",
        id="analogy-pairdistance-arity",
    ),
    pytest.param(["analogy", "woman", "king", "--both"], "--both", id="analogy-both-needs-a-negative"),
    pytest.param(["analogy", "woman", "kingg", "-n", "man"], "'kingg'", id="analogy-unknown-word"),
    pytest.param(
        ["diagnose", "old", "young", "cow", "-e", "calf", "-f", "fig.xyz"],
        ["fig.xyz", ".png"],
        id="diagnose-unknown-figure-suffix",
    ),
    pytest.param(
        ["diagnose", "old", "young", "cow", "-e", "calf", "-f", "notes.txt/fig.png"],
        ["notes.txt", "not a folder"],
        id="diagnose-figure-under-a-file",
    ),
    pytest.param(["diagnose", "old", "young", "cow", "-e", "lamb"], "'lamb'", id="diagnose-unknown-expected"),
    pytest.param(
        ["diagnose", "old", "young", "cow", "-e", "calf", "-k", "0"], "--topn", id="diagnose-topn-zero"
    ),
    pytest.param(
        ["plot", "-p", "manwoman", "-o", "p.png"], ["'manwoman'", "from:to"], id="plot-pair-without-colon"
    ),
    pytest.param(
        ["plot", "-g", "people", "-o", "p.png"], ["'people'", "name=w1,w2"], id="plot-group-without-members"
    ),
    pytest.param(["plot", "man", "-o", "p.png"], "at least two", id="plot-one-word"),
    pytest.param(["plot", "man", "dragon", "-o", "p.png"], "'dragon'", id="plot-unknown-word"),
    pytest.param(["plot", "man", "woman", "-o", "p.xyz"], ["p.xyz", ".png"], id="plot-unknown-figure-suffix"),
    pytest.param(["plot", "man", "woman", "-o", "sub"], "sub", id="plot-out-is-a-folder"),
    pytest.param(
        ["plot", "man", "woman", "-o", "notes.txt/p.png"],
        ["notes.txt", "not a folder"],
        id="plot-out-under-a-file",
    ),
    pytest.param(["evaluate", "--analogies", "missing.txt"], "missing.txt", id="evaluate-missing-analogies"),
    pytest.param(
        ["evaluate", "--analogies", "notes.txt"], ["notes.txt", "section"], id="evaluate-analogies-no-section"
    ),
    pytest.param(
        ["evaluate", "--similarity", "random.dat"], ["random.dat", "utf8"], id="evaluate-similarity-binary"
    ),
    pytest.param(["evaluate", "--restrict-vocab", "0"], "--restrict-vocab", id="evaluate-restrict-zero"),
    pytest.param(["evaluate", "-m", "3cosfoo"], "3cosfoo", id="evaluate-bad-method"),
]


@pytest.fixture
def cli_folder(tmp_path: Path, small_kv: KeyedVectors, fasttext_bytes: bytes) -> Path:
    """A folder holding the CLI cases' inputs: good vectors, bad files and a sub-folder."""
    _text(small_kv, tmp_path)
    small_kv.save(str(tmp_path / "model.kv"))
    _bytes(tmp_path, "notes.txt", b"hello world\nthis is prose\n")
    _bytes(tmp_path, "ft.bin", fasttext_bytes[:95])
    _bytes(tmp_path, "random.dat", np.random.default_rng(1).bytes(500))
    (tmp_path / "sub").mkdir()
    return tmp_path


@pytest.mark.parametrize(("args", "names"), CLI_CASES)
def test_bad_command_lines(args: list[str], names: Any, cli_folder: Path) -> None:
    vectors = [] if "-v" in args else ["-v", "vectors.txt"]
    cli_error(["words", *args, *vectors], cli_folder, names)
