"""Loading every format from small files the tests write, and the errors for bad files."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedlab.errors import InputError
from embedlab.words import WordVectors
from embedlab.words.loading import detect_format


@pytest.fixture(scope="module")
def small_kv():
    rng = np.random.default_rng(0)
    kv = KeyedVectors(8)
    kv.add_vectors(["king", "queen", "man", "woman", "the"], rng.standard_normal((5, 8)).astype(np.float32))
    return kv


def _same(wv, kv):
    assert wv.words == kv.index_to_key
    assert np.allclose(wv.kv.vectors, kv.vectors, atol=1e-5)


def test_word2vec_text_and_binary(small_kv, tmp_path):
    txt, bin_ = tmp_path / "v.txt", tmp_path / "v.bin"
    small_kv.save_word2vec_format(str(txt), binary=False)
    small_kv.save_word2vec_format(str(bin_), binary=True)
    assert detect_format(txt) == "word2vec-txt" and detect_format(bin_) == "word2vec-bin"
    _same(WordVectors.load(txt), small_kv)
    _same(WordVectors.load(bin_), small_kv)
    assert len(WordVectors.load(txt, limit=2)) == 2


def test_glove_without_header_is_detected(small_kv, tmp_path):
    path = tmp_path / "glove.6B.8d.txt"
    lines = [w + " " + " ".join(f"{x:.6f}" for x in small_kv[w]) for w in small_kv.index_to_key]
    path.write_text("\n".join(lines) + "\n")
    assert detect_format(path) == "glove"
    _same(WordVectors.load(path), small_kv)


def test_fasttext_vec_and_bin(tmp_path):
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    sentences = [["king", "queen", "man", "woman", "royal"] * 3, ["man", "woman", "child"] * 4] * 5
    model = FastText(sentences, vector_size=8, min_count=1, epochs=2, workers=1, seed=0, bucket=1000)
    vec, bin_ = tmp_path / "ft.vec", tmp_path / "ft.bin"
    model.wv.save_word2vec_format(str(vec))
    save_facebook_model(model, str(bin_))
    assert detect_format(bin_) == "fasttext-bin"
    from_vec, from_bin = WordVectors.load(vec), WordVectors.load(bin_)
    assert from_vec.words == model.wv.index_to_key == from_bin.words
    assert np.allclose(from_bin.kv.vectors, model.wv.vectors, atol=1e-5)


def test_shipped_files_load(shipped_file):
    for name in ("test_glove.txt", "toy-model.vec", "crime-and-punishment.bin", "euclidean_vectors.bin"):
        wv = WordVectors.load(shipped_file(name))
        assert len(wv) > 0 and wv.vector_size > 0


def test_pickle_needs_trusted(small_kv, tmp_path):
    path = tmp_path / "v.kv"
    small_kv.save(str(path))
    with pytest.raises(InputError, match="pickle.*trusted=True"):
        WordVectors.load(path)
    _same(WordVectors.load(path, trusted=True), small_kv)
    model_path = tmp_path / "w2v.model"
    from gensim.models import Word2Vec

    Word2Vec([["a", "b", "c"]] * 5, vector_size=4, min_count=1, epochs=1, workers=1).save(str(model_path))
    with pytest.raises(InputError, match="trusted"):
        WordVectors.load(model_path)
    assert sorted(WordVectors.load(model_path, trusted=True).words) == ["a", "b", "c"]


@pytest.mark.parametrize("header", [True, False], ids=["word2vec-txt", "glove"])
@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_a_utf8_bom_is_stripped(small_kv, tmp_path, header, suffix):
    import gzip

    plain = tmp_path / "plain.txt"
    small_kv.save_word2vec_format(str(plain), write_header=header)
    path = tmp_path / f"bom{suffix}"
    data = b"\xef\xbb\xbf" + plain.read_bytes()
    written = gzip.compress(data) if suffix.endswith(".gz") else data
    path.write_bytes(written)
    assert detect_format(path) == ("word2vec-txt" if header else "glove")
    wv = WordVectors.load(path)
    _same(wv, small_kv)
    assert "\ufeffking" not in wv
    assert path.read_bytes() == written  # read from a copy: the file itself is untouched


def test_the_format_comes_from_the_content_after_the_header(small_kv, tmp_path):
    """A binary word2vec file named .txt is read as binary, a text one named .bin as text."""
    binary_named_txt, text_named_bin = tmp_path / "vectors.txt", tmp_path / "vectors.bin"
    small_kv.save_word2vec_format(str(binary_named_txt), binary=True)
    small_kv.save_word2vec_format(str(text_named_bin), binary=False)
    assert detect_format(binary_named_txt) == "word2vec-bin"
    assert detect_format(text_named_bin) == "word2vec-txt"
    _same(WordVectors.load(binary_named_txt), small_kv)
    _same(WordVectors.load(text_named_bin), small_kv)
    _same(WordVectors.load(text_named_bin, format="word2vec-txt"), small_kv)


def test_a_file_is_read_in_one_format_only(small_kv, tmp_path, monkeypatch):
    """A text file that fails to parse is reported as text, never re-read as binary."""
    import embedlab.words.loading as loading

    tried: list[str] = []
    read = loading._read
    monkeypatch.setattr(loading, "_read", lambda path, fmt, **kw: tried.append(fmt) or read(path, fmt, **kw))
    broken = tmp_path / "broken.txt"
    broken.write_text("3 8\nking 0.1 0.2\n")
    with pytest.raises(InputError, match="as word2vec-txt"):
        WordVectors.load(broken)
    assert tried == ["word2vec-txt"]


def test_downloader_name_offline(tmp_path, monkeypatch, small_kv):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    with pytest.raises(InputError) as err:
        WordVectors.load("glove-wiki-gigaword-50", download=False)
    msg = str(err.value)
    assert (
        "GENSIM_DATA_DIR" in msg
        and str(tmp_path / "glove-wiki-gigaword-50" / "glove-wiki-gigaword-50.gz") in msg
    )
    folder = tmp_path / "tiny-vectors"
    folder.mkdir()
    small_kv.save_word2vec_format(str(folder / "tiny-vectors.gz"))
    _same(WordVectors.load("tiny-vectors", download=False), small_kv)


def test_backend_registered_and_created(tmp_path, small_kv):
    import embedlab

    info = [p for p in embedlab.plugins("backend") if p.name == "gensim"]
    assert info and info[0].distribution == "embedlab"
    path = tmp_path / "v.txt"
    small_kv.save_word2vec_format(str(path))
    wv = embedlab.create("backend", "gensim", source=str(path), device="cpu")
    assert isinstance(wv, WordVectors) and len(wv) == 5


def test_light_imports():
    import subprocess
    import sys

    code = (  # only this area's modules: other plugins are tested by their own areas
        "import sys, embedlab.words.plugin, embedlab.words.params, embedlab.words; "
        "print(sorted(m for m in ('gensim', 'torch', 'sklearn', 'ray') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    out = subprocess.run(
        [sys.executable, "-c", "import sys, embedlab; print('embedlab.words' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "False"


def _write_glove_download(root, name, kv):
    """Vectors in the gensim downloader's layout, ``<root>/<name>/<name>.gz``, as GloVe text (no header)."""
    import gzip

    folder = root / name
    folder.mkdir(parents=True)
    lines = [f"{w} {' '.join(f'{x:.6f}' for x in kv[w])}\n" for w in kv.index_to_key]
    with gzip.open(folder / f"{name}.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(lines)
    return folder / f"{name}.gz"


def test_a_downloader_name_reads_gensim_datas_layout_without_downloading(tmp_path, monkeypatch, small_kv):
    import embedlab
    from embedlab.words.loading import describe_source

    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    path = _write_glove_download(tmp_path, "glove-wiki-gigaword-100", small_kv)
    wv = embedlab.create("backend", "gensim", source="glove-wiki-gigaword-100", download=False, device="cpu")
    _same(wv, small_kv)
    assert describe_source("glove-wiki-gigaword-100") == (
        f"glove-wiki-gigaword-100 (gensim downloader name, read from {path})"
    )


@pytest.mark.parametrize("how", ["download=False", "EMBEDLAB_OFFLINE"])
def test_a_missing_downloader_name_offline_names_the_path_and_the_command(tmp_path, monkeypatch, how):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    if how == "EMBEDLAB_OFFLINE":
        monkeypatch.setenv("EMBEDLAB_OFFLINE", "1")
    with pytest.raises(InputError) as err:
        WordVectors.load("glove-wiki-gigaword-100", download=how != "download=False")
    message = str(err.value)
    assert str(tmp_path / "glove-wiki-gigaword-100" / "glove-wiki-gigaword-100.gz") in message
    assert "python -m gensim.downloader --download glove-wiki-gigaword-100" in message
    assert "\n" not in message
