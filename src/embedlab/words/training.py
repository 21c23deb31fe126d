"""Training word vectors with gensim, and the embedded default vectors.

The default vectors are trained once on gensim's shipped Wikipedia excerpt plus the Lee
corpus and cached, in word2vec binary format (no pickle), in embedlab's cache folder:
``$EMBEDLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/embedlab``, else ``~/.cache/embedlab``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from embedlab.errors import ConfigError, InputError
from embedlab.io import atomic_path, cache_dir
from embedlab.words.vectors import WordVectors

__all__ = ["train", "default_vectors", "default_corpus", "DEFAULT_SETTINGS"]

logger = logging.getLogger(__name__)

#: Training settings of the embedded default vectors (part of the cache key).
DEFAULT_SETTINGS: dict[str, Any] = {
    "model": "word2vec",
    "vector_size": 100,
    "window": 5,
    "min_count": 3,
    "epochs": 10,
    "sg": 1,
    "negative": 5,
    "seed": 0,
}
_DEFAULT_VERSION = 1


class _Sentences:
    """A restartable iterable of token lists over a list, a callable, or a text file."""

    def __init__(self, corpus: Any) -> None:
        self.corpus = corpus

    def __iter__(self) -> Iterator[list[str]]:
        if isinstance(self.corpus, (str, os.PathLike)):
            from gensim.models.word2vec import LineSentence

            yield from LineSentence(str(self.corpus))
        else:
            for sentence in self.corpus:
                if isinstance(sentence, str):
                    raise InputError(
                        "the corpus must yield lists of tokens, not strings; split each sentence"
                    )
                yield list(sentence)


def _progress_callback(epochs: int, enabled: bool) -> Any:
    from gensim.models.callbacks import CallbackAny2Vec

    from embedlab.progress import progress_bar

    class _Bar(CallbackAny2Vec):  # type: ignore[misc]
        def __init__(self) -> None:
            self.bar = progress_bar(enabled, total=epochs, desc="training word vectors", unit="epoch")

        def on_epoch_end(self, model: Any) -> None:
            self.bar.update(1)

        def on_train_end(self, model: Any) -> None:
            self.bar.close()

    return _Bar()


def train(
    corpus: Iterable[list[str]] | str | os.PathLike[str],
    *,
    model: Literal["word2vec", "fasttext"] = "word2vec",
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    epochs: int = 5,
    sg: int = 0,
    negative: int = 5,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = True,
    device: Any = "auto",
    **kwargs: Any,
) -> WordVectors:
    """Train word vectors with gensim's Word2Vec or FastText, showing a progress bar.

    Parameters
    ----------
    corpus
        Token lists (re-iterable, e.g. a list) or a text file with one whitespace-tokenised
        sentence per line.
    model
        ``"word2vec"`` or ``"fasttext"``.
    vector_size, window, min_count, epochs, sg, negative, seed
        gensim's settings (``sg=1`` is skip-gram).
    workers
        Training threads; ``None`` uses the CPU count.
    progress
        Show a progress bar over epochs.
    device
        Where the returned :class:`WordVectors` answers queries.
    kwargs
        Passed on to gensim's model.

    Returns
    -------
    WordVectors
    """
    if model not in ("word2vec", "fasttext"):
        raise ConfigError(f"model {model!r} is unknown; choose 'word2vec' or 'fasttext'")
    for name, value in (("vector_size", vector_size), ("epochs", epochs), ("min_count", min_count)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1; got {value}")
    sentences = _Sentences(corpus)
    if next(iter(sentences), None) is None:
        raise InputError("the training corpus is empty")
    if model == "word2vec":
        from gensim.models import Word2Vec as Model
    else:
        from gensim.models import FastText as Model
    m = Model(
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=sg,
        negative=negative,
        seed=seed,
        workers=workers or os.cpu_count() or 1,
        **kwargs,
    )
    m.build_vocab(sentences)
    if not m.wv.index_to_key:
        raise InputError(f"no word occurs min_count={min_count} times in the corpus; lower min_count")
    m.train(
        sentences,
        total_examples=m.corpus_count,
        epochs=epochs,
        callbacks=[_progress_callback(epochs, progress)],
    )
    return WordVectors(m.wv, device=device)


def _wiki_texts(path: str) -> Iterator[list[str]]:
    import bz2

    from gensim.corpora.wikicorpus import extract_pages, filter_wiki, tokenize

    with bz2.open(path, "rb") as fh:
        for title, text, _ in extract_pages(fh):
            if text is None or ":" in title:
                continue
            tokens = tokenize(filter_wiki(text), token_min_len=2, token_max_len=15, lower=True)
            if len(tokens) >= 50:
                yield tokens


def default_corpus() -> list[list[str]]:
    """The default training corpus: gensim's Wikipedia excerpt and the Lee background corpus, lower-cased.

    Raises
    ------
    InputError
        gensim's test data is missing (the message names the files looked for).
    """
    from gensim.test.utils import datapath
    from gensim.utils import simple_preprocess

    wiki = Path(datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"))
    lee = Path(datapath("lee_background.cor"))
    missing = [str(p) for p in (wiki, lee) if not p.is_file()]
    if missing:
        raise InputError(f"gensim's shipped corpora are missing ({', '.join(missing)}); reinstall gensim")
    texts = list(_wiki_texts(str(wiki)))
    with open(lee, encoding="utf8") as fh:
        texts += [simple_preprocess(line) for line in fh if line.strip()]
    return texts


def default_vectors(
    *,
    cache: str | os.PathLike[str] | None = None,
    progress: bool = True,
    device: Any = "auto",
    **overrides: Any,
) -> WordVectors:
    """The embedded default vectors, trained on first use and cached.

    Parameters
    ----------
    cache
        The cache folder; ``None`` is :func:`embedlab.io.cache_dir`.
    progress
        Show progress while training.
    device
        Where the vectors answer queries.
    overrides
        Training settings that replace :data:`DEFAULT_SETTINGS` (each set is cached apart).

    Returns
    -------
    WordVectors
    """
    unknown = set(overrides) - set(DEFAULT_SETTINGS)
    if unknown:
        raise ConfigError(
            f"unknown default-vector settings {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}"
        )
    settings = {**DEFAULT_SETTINGS, **overrides}
    key = hashlib.sha1(json.dumps([_DEFAULT_VERSION, settings], sort_keys=True).encode()).hexdigest()[:12]
    folder = Path(cache) if cache is not None else cache_dir()
    target = folder / "words" / f"default-{key}.bin"
    if target.is_file():
        return WordVectors.load(target, device=device)
    logger.info("training the default word vectors once; caching them at %s", target)
    wv = train(default_corpus(), progress=progress, device=device, workers=1, **settings)
    with atomic_path(target) as tmp:
        wv.kv.save_word2vec_format(str(tmp), binary=True)
    return wv
