"""``embedlab words``: neighbours, analogies, evaluation, diagnosis and plots from the shell.

Heavy imports (gensim, numpy work) happen inside the commands, so ``embedlab --help`` stays fast.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import click

from embedlab.progress import quiet_option
from embedlab.words.loading import FORMATS

if TYPE_CHECKING:
    from embedlab.words import WordVectors

__all__ = ["words"]


#: ``--method/-m``: the analogy formula, the same on every command that answers analogies.
_analogy_method = click.option(
    "--method",
    "-m",
    type=click.Choice(["3cosadd", "3cosmul", "pairdistance"]),
    default="3cosadd",
    show_default=True,
    help="Analogy formula.",
)
#: ``--json``: print the answers as JSON instead of text.
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
#: ``--topn/-k``: how many answers to show.
_topn = click.option("--topn", "-k", default=10, show_default=True, type=click.IntRange(1), help="Answers to show.")


def _vector_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a ``words`` command the options that choose and load the vectors, and the loaded vectors.

    Adds ``--vectors``, ``--trusted``, ``--no-download``, ``--device`` and ``--format``; the
    command receives the :class:`~embedlab.words.WordVectors` they name as its ``wv`` argument.
    """

    @functools.wraps(command)
    def load_then_run(
        *args: Any,
        vectors: str,
        trusted: bool,
        no_download: bool,
        device: str,
        vectors_format: str,
        **kwargs: Any,
    ) -> None:
        from embedlab.words import WordVectors

        wv = WordVectors.load(
            vectors, trusted=trusted, download=not no_download, device=device, format=vectors_format
        )
        command(*args, wv=wv, **kwargs)

    options = (
        click.option(
            "--vectors",
            "-v",
            default="default",
            show_default=True,
            help="A vectors file, a gensim-downloader name, or 'default' (the embedded vectors).",
        ),
        click.option("--trusted", is_flag=True, help="Allow pickle-based files (.kv, .model)."),
        click.option("--no-download", is_flag=True, help="Never download downloader names."),
        click.option("--device", default="auto", show_default=True, help="'auto', 'cpu' or 'cuda[:N]'."),
        click.option(
            "--format",
            "vectors_format",
            type=click.Choice(["auto", *FORMATS]),
            default="auto",
            show_default=True,
            help="The vectors file's format; 'auto' detects it from the suffix and the first bytes.",
        ),
    )
    decorated: Callable[..., None] = load_then_run
    for option in options:  # applied in this order, click lists them in the reverse one
        decorated = option(decorated)
    return decorated


def _scored(rows: list[tuple[str, float]]) -> str:
    return "  ".join(f"{w} {s:.3f}" for w, s in rows)


@click.group("words", short_help="Word vectors: neighbours, analogies, evaluation, plots.")
@quiet_option
def words() -> None:
    """Word vectors: neighbours, analogies, evaluation, diagnosis, plots."""


@words.command("neighbors", short_help="Nearest neighbours of each QUERY word.")
@click.argument("query", nargs=-1, required=True)
@_topn
@click.option("--restrict-vocab", type=click.IntRange(1), help="Search only the first N words.")
@_json
@_vector_options
def neighbors_command(
    query: tuple[str, ...],
    topn: int,
    restrict_vocab: int | None,
    as_json: bool,
    wv: WordVectors,
) -> None:
    """Nearest neighbours of each QUERY word, in one batched call."""
    result = wv.neighbors(list(query), topn=topn, restrict_vocab=restrict_vocab)
    if as_json:
        click.echo(json.dumps(dict(zip(query, result, strict=True)), indent=2))
        return
    for word, rows in zip(query, result, strict=True):
        click.echo(f"{word}: {_scored(rows)}")


@words.command("analogy", short_help="Words nearest POSITIVE minus --negative.")
@click.argument("positive", nargs=-1, required=True)
@click.option("--negative", "-n", multiple=True, help="A word to subtract (repeatable).")
@_analogy_method
@_topn
@click.option("--both", is_flag=True, help="Show both formulations, w1 + w2 - w3 and w1 + w3 - w2 (needs 2 positive, 1 negative).")
@_json
@_vector_options
def analogy_command(
    positive: tuple[str, ...],
    negative: tuple[str, ...],
    method: str,
    topn: int,
    both: bool,
    as_json: bool,
    wv: WordVectors,
) -> None:
    """Words nearest POSITIVE minus --negative: "analogy woman king -n man" asks for queen."""
    from embedlab.errors import InputError

    if both:
        if len(positive) != 2 or len(negative) != 1:
            raise InputError("--both needs exactly two positive words and one --negative word")
        answers = wv.formulations(positive[0], positive[1], negative[0], topn=topn)
        if as_json:
            click.echo(json.dumps(answers, indent=2))
            return
        for label, rows in answers.items():
            click.echo(f"{label}: {_scored(rows)}")
        return
    rows = wv.analogy(list(positive), list(negative), topn=topn, method=method)
    click.echo(json.dumps(rows, indent=2) if as_json else _scored(rows))


@words.command("evaluate", short_help="Analogy accuracy and similarity correlations.")
@click.option("--analogies", "analogy_files", multiple=True, help="Analogy file(s); default the Google set.")
@click.option("--similarity", "similarity_files", multiple=True, help="Word-pair file(s) or simlex999.")
@_analogy_method
@click.option(
    "--restrict-vocab",
    default=300_000,
    show_default=True,
    type=click.IntRange(1),
    help="Answer analogies from the first N words only.",
)
@click.option("--case-sensitive", is_flag=True, help="Match words with their case (by default case is folded, as gensim does).")
@click.option("--dummy4unknown", is_flag=True, help="Count questions with unknown words as wrong.")
@_json
@_vector_options
def evaluate_command(
    analogy_files: tuple[str, ...],
    similarity_files: tuple[str, ...],
    method: str,
    restrict_vocab: int,
    case_sensitive: bool,
    dummy4unknown: bool,
    as_json: bool,
    wv: WordVectors,
) -> None:
    """Analogy accuracy (Google set) and similarity correlations (WordSim353, SimLex-999)."""
    if not analogy_files and not similarity_files:
        analogy_files, similarity_files = ("questions-words",), ("wordsim353", "simlex999")
    protocol = {
        "restrict_vocab": restrict_vocab,
        "case_insensitive": not case_sensitive,
        "dummy4unknown": dummy4unknown,
    }
    out: dict[str, Any] = {}
    for path in analogy_files:
        r = wv.evaluate_analogies(path, method=method, progress=not as_json, **protocol)
        out[path] = r.to_dict()
        if not as_json:
            click.echo(f"== analogies: {path}\n{r.summary()}")
    for path in similarity_files:
        s = wv.evaluate_similarity(path, **protocol)
        out[path] = s.to_dict()
        if not as_json:
            click.echo(f"== similarity: {path}\n{s.summary()}")
    if as_json:
        click.echo(json.dumps(out, indent=2))


@words.command("diagnose", short_help="Why A : B :: C : ? misses --expected.")
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("--expected", "-e", multiple=True, required=True, help="An expected answer (repeatable).")
@_analogy_method
@_topn
@click.option("--figure", "-f", type=click.Path(dir_okay=False), help="Write the figure here (.png, .pdf).")
@_json
@_vector_options
def diagnose_command(
    a: str,
    b: str,
    c: str,
    expected: tuple[str, ...],
    method: str,
    topn: int,
    figure: str | None,
    as_json: bool,
    wv: WordVectors,
) -> None:
    """Why A : B :: C : ? misses --expected ("diagnose man woman king -e queen")."""
    diag = wv.diagnose_analogy(a, b, c, list(expected), topn=topn, method=method)
    saved = None
    if figure:
        from embedlab.io import save_figure

        saved = save_figure(diag.figure(), figure)
    if as_json:
        found = {
            "question": [a, b, c],
            "method": diag.method,
            "top": diag.top,
            "top_with_inputs": diag.top_with_inputs,
            "lands_on_input": diag.lands_on_input,
            "expected": {w: {"rank": r, "score": s} for w, (r, s) in diag.expected.items()},
            "offset_cosines": diag.offset_cosines,
            "figure": None if saved is None else str(saved),
        }
        click.echo(json.dumps(found, indent=2))
        return
    click.echo(diag.summary())
    if saved is not None:
        click.echo(f"figure: {saved}")


def _pair(text: str) -> tuple[str, str]:
    from embedlab.errors import InputError

    left, sep, right = text.partition(":")
    if not sep or not left or not right:
        raise InputError(f"a pair is written from:to (actor:actress); got {text!r}")
    return left, right


@words.command("plot", short_help="Plot words in 2-D: groups, arrows or words.")
@click.argument("extra", nargs=-1)
@click.option("--pair", "-p", "pairs", multiple=True, help="An arrow from:to, e.g. king:queen (repeatable).")
@click.option("--group", "-g", "groups", multiple=True, help="A group name=w1,w2,... (repeatable).")
@click.option(
    "--method",
    type=click.Choice(["pca", "tsne"]),
    default="pca",
    show_default=True,
    help="Projection to 2-D.",
)
@click.option("--projection", type=click.Choice(["pca", "tsne"]), hidden=True, help="Old name of --method.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="Figure file (.png, .pdf).")
@_vector_options
def plot_command(
    extra: tuple[str, ...],
    pairs: tuple[str, ...],
    groups: tuple[str, ...],
    method: Literal["pca", "tsne"],  # click.Choice admits only these
    projection: Literal["pca", "tsne"] | None,
    out: str,
    wv: WordVectors,
) -> None:
    """Plot words in 2-D: groups (--group), arrows (--pair), or just the EXTRA words."""
    from embedlab.errors import InputError
    from embedlab.io import save_figure
    from embedlab.plots import words as wplots

    method = projection or method
    if groups:
        parsed = {}
        for g in groups:
            name, sep, members = g.partition("=")
            if not sep or not members:
                raise InputError(f"a group is written name=w1,w2,...; got {g!r}")
            parsed[name] = [w for w in members.split(",") if w]
        fig = wplots.plot_groups(wv, parsed, method=method)
    elif pairs and not extra:
        fig = wplots.plot_arrows(wv, [_pair(p) for p in pairs], method=method)
    else:
        fig = wplots.plot_words(wv, list(extra), pairs=[_pair(p) for p in pairs], method=method)
    click.echo(f"figure: {save_figure(fig, out)}")
