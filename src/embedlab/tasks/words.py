"""Task ``words``: explore a word-vector ``backend``: neighbours, distances, analogies, arrows, benchmarks.

The ``backend`` is a word-vector backend (``gensim``, ``sbert``, ...); ``study:`` names the
words to explore. The task trains nothing, so it has no ``train:`` block and cannot be tuned.
The section opens with the vectors it used, in words (its ``vectors`` entry).

**Resume.** The task writes one section, which a resumed run skips once it is finished; an
unfinished one runs again from the start. Nothing trained is lost: the backend only loads
vectors, and the ``gensim`` backend's ``source: default`` vectors, the one set it trains, are
trained once and cached, written atomically, in embedlab's cache folder
(:func:`~embedlab.words.training.default_vectors`), so the rerun loads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from embedlab.errors import ConfigError
from embedlab.params import Params
from embedlab.tasks.base import HeadlineMetric, Task, file_name_keys

if TYPE_CHECKING:
    from embedlab.config import Component, ExperimentConfig
    from embedlab.lab.rundir import RunDirectory
    from embedlab.words.vectors import WordVectors

__all__ = ["WordsStudy", "WordsTask", "describe_vectors", "distance_rows"]


class WordsStudy(Params):
    """``study:`` options of a word-vector run. Words missing from the vocabulary are skipped."""

    neighbors: list[str] = Field(
        ["italy", "mother", "breaking", "hardy"], description="Words whose neighbours to list."
    )
    topn: int = Field(10, ge=1, description="Neighbours and answers listed per query.")
    distances: list[tuple[str, str, str]] = Field(
        [
            ("italy", "spain", "zidane"),
            ("mother", "father", "engine"),
            ("king", "queen", "banana"),
            ("car", "truck", "poetry"),
            ("zidane", "real", "piano"),
        ],
        description="``(main, near, far)``: the cosine distances from main to a word that should be "
        "near and to one that should be far, and whether the far one is farther (a table row each).",
    )
    analogies: list[tuple[str, str, str]] = Field(
        [("king", "woman", "man")], description="``(w1, w2, w3)``: w4 is sought near w1 + w2 - w3."
    )
    arrows: dict[str, list[tuple[str, str]]] = Field(
        {
            "gender": [("actor", "actress"), ("king", "queen"), ("man", "woman"), ("boy", "girl")],
            "age": [("man", "boy"), ("woman", "girl")],
            "plural": [("car", "cars"), ("house", "houses"), ("city", "cities"), ("farm", "farms")],
        },
        description="Named sets of (from, to) pairs drawn as arrows; each name is part of a figure file name.",
    )
    groups: dict[str, dict[str, list[str]]] | dict[str, list[str]] = Field(
        {
            "places-people-numbers": {
                "countries": ["italy", "spain", "france", "germany", "greece"],
                "family": ["mother", "father", "sister", "brother", "daughter"],
                "numbers": ["two", "three", "four", "five", "six"],
            },
            "animals-food-sports": {
                "animals": ["dog", "cat", "horse", "sheep", "cow"],
                "food": ["bread", "cheese", "rice", "soup", "meat"],
                "sports": ["football", "tennis", "golf", "hockey", "cricket"],
                "colours": ["red", "blue", "green", "yellow", "purple"],
            },
        },
        description="Group plots: ``{plot: {category: words}}`` draws one figure ``groups-<plot>`` per "
        "plot; ``{category: words}`` draws one figure ``groups``.",
    )
    diagnose: tuple[str, str, str, list[str]] | None = Field(
        ("old", "young", "cow", ["calf", "veal"]),
        description="``(a, b, c, expected)`` of an analogy to explain.",
    )
    evaluate: bool = Field(True, description="Score the Google analogy set and WordSim353 / SimLex-999.")

    _check_arrows = field_validator("arrows")(file_name_keys)

    @field_validator("groups")
    @classmethod
    def _check_group_plots(
        cls, groups: dict[str, dict[str, list[str]]] | dict[str, list[str]]
    ) -> dict[str, dict[str, list[str]]] | dict[str, list[str]]:
        """Plot names become file-name parts; the one-plot form has none."""
        if any(isinstance(v, dict) for v in groups.values()):
            file_name_keys(groups)
        return groups

    def group_plots(self) -> dict[str, dict[str, list[str]]]:
        """The group plots by figure name: ``groups-<plot>``, or ``groups`` for the one-plot form."""
        nested = {name: v for name, v in self.groups.items() if isinstance(v, dict)}
        if nested:
            return {f"groups-{name}": categories for name, categories in nested.items()}
        flat = {name: v for name, v in self.groups.items() if isinstance(v, list)}
        return {"groups": flat} if flat else {}


class WordsTask(Task):
    """Explore word vectors and score them on the analogy and similarity benchmarks."""

    name = "words"
    Study = WordsStudy
    needs = ("backend",)
    headline = HeadlineMetric("Google analogy accuracy", ("google analogies", "accuracy"))
    study: WordsStudy

    def run_section(self, config: ExperimentConfig, run: RunDirectory, section: str, resume: bool) -> None:
        """Explore word vectors: neighbours, analogies (both formulations), arrows, groups, diagnosis, benchmarks."""
        from embedlab.plots import words as plots

        options = self.study
        if config.backend is None:
            raise ConfigError("task words needs a 'backend' of word vectors, e.g. backend: gensim")
        wv = config.backend.create("backend")
        skipped: set[str] = set()

        def known(words: list[str]) -> list[str]:
            skipped.update(w for w in words if w not in wv)
            return [w for w in words if w in wv]

        metrics: dict[str, Any] = {"vectors": describe_vectors(config.backend, wv), "vocabulary": len(wv.words)}
        queries = known(options.neighbors)
        if queries:
            found = wv.neighbors(queries, topn=options.topn)
            metrics["neighbours"] = {
                w: [[n, float(s)] for n, s in row] for w, row in zip(queries, found, strict=True)
            }
            run.add_figure(section, "neighbours", plots.plot_neighbors(wv, queries, topn=options.topn))
        rows = [(m, n, f) for m, n, f in options.distances if len(known([m, n, f])) == 3]
        if rows:
            metrics["distances"] = distance_rows(wv, rows)
        answers = {}
        for w1, w2, w3 in options.analogies:
            if len(known([w1, w2, w3])) == 3:
                for name, rows in wv.formulations(w1, w2, w3, topn=options.topn).items():
                    answers[f"{name}"] = [[n, float(s)] for n, s in rows[:5]]
        if answers:
            metrics["analogies"] = answers
        for name, pairs in options.arrows.items():
            kept = [(a, b) for a, b in pairs if len(known([a, b])) == 2]
            if len(kept) >= 2:
                run.add_figure(section, f"arrows-{name}", plots.plot_arrows(wv, kept, title=name))
        for figure, categories in options.group_plots().items():
            groups = {g: known(words) for g, words in categories.items()}
            groups = {g: words for g, words in groups.items() if len(words) >= 2}
            if len(groups) >= 2:
                run.add_figure(section, figure, plots.plot_groups(wv, groups))
        if options.diagnose is not None:
            a, b, c, expected = options.diagnose
            expected_known = known(list(expected))
            if len(known([a, b, c])) == 3 and expected_known:
                diagnosis = wv.diagnose_analogy(a, b, c, expected_known, topn=options.topn)
                metrics["diagnosis"] = {
                    "question": f"{a} : {b} :: {c} : ?",
                    "top answers": [[w, float(score)] for w, score in diagnosis.top],
                    **{
                        f"expected {w} {key}": value
                        for w, (rank, score) in diagnosis.expected.items()
                        for key, value in (
                            ("rank", rank),
                            ("score", float(score)),
                            (f"cos({b}-{a}, {w}-{c})", float(diagnosis.offset_cosines[w])),
                        )
                    },
                    "best answer when inputs are allowed": diagnosis.top_with_inputs[0][0],
                }
                run.add_figure(section, "diagnosis", diagnosis.figure())
        if options.evaluate:
            analogies = wv.evaluate_analogies()
            metrics["google analogies"] = {
                "accuracy": analogies.accuracy,
                "semantic correct": analogies.semantic[0],
                "semantic questions": analogies.semantic[1],
                "syntactic correct": analogies.syntactic[0],
                "syntactic questions": analogies.syntactic[1],
                "questions out of vocabulary": analogies.oov,
            }
            metrics["similarity"] = {
                name: {"spearman": r.spearman, "pearson": r.pearson, "oov_ratio": r.oov_ratio}
                for name in ("wordsim353.tsv", "simlex999.txt")
                for r in [wv.evaluate_similarity(name)]
            }
        if skipped:
            metrics["not in vocabulary"] = sorted(skipped)
        run.log_metrics(section, metrics)


#: Backend params that say where vectors come from, shown in the section's ``vectors`` entry.
_DESCRIBING = ("source", "model", "vocab_size", "lang", "limit")


def distance_rows(wv: WordVectors, rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The distance table: per ``(main, near, far)``, both cosine distances and whether far is farther."""
    similarities = wv.similarities([pair for m, n, f in rows for pair in ((m, n), (m, f))])
    table = []
    for k, (main, near, far) in enumerate(rows):
        to_near, to_far = 1.0 - float(similarities[2 * k]), 1.0 - float(similarities[2 * k + 1])
        table.append(
            {
                "main": main,
                "near": near,
                "far": far,
                "distance to near": to_near,
                "distance to far": to_far,
                "far is farther": to_far > to_near,
            }
        )
    return table


def describe_vectors(backend: Component, wv: WordVectors) -> str:
    """The vectors a section used, in words: the backend's source, vocabulary and dimension."""
    from embedlab.words.loading import describe_source

    size = f"{len(wv):,} words x {wv.vector_size} dimensions"
    if backend.name == "gensim":
        return f"{describe_source(str(backend.params.get('source', 'default')))}; {size}"
    from embedlab.registry import get

    params = get("backend", str(backend.name)).params(**backend.params).model_dump()
    settings = ", ".join(f"{key}={params[key]}" for key in _DESCRIBING if params.get(key) is not None)
    return f"{backend.name} backend" + (f" ({settings})" if settings else "") + f"; {size}"
