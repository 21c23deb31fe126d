"""Jobs: what ``embedlab run`` does for each task, writing metrics and figures into a run directory.

A job takes a concrete experiment config, the :class:`~embedlab.lab.rundir.RunDirectory`,
the section name its results go under, and whether to resume. Its options come from the
config's ``study:`` block, validated by the job's own params model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from embedlab.errors import ConfigError
from embedlab.io import safe_name
from embedlab.params import Params, validate_section

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory

__all__ = [
    "JOBS",
    "ClassificationStudy",
    "Job",
    "MetricLearningStudy",
    "SearchStudy",
    "classification_job",
    "get_job",
    "metric_learning_job",
    "search_job",
    "study_options",
    "words_job",
    "WordsStudy",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job: its function and the model of its ``study:`` options."""

    run: Callable[[ExperimentConfig, RunDirectory, str, bool, Any], None]
    options: type[Params]

    def check(self, config: ExperimentConfig) -> Any:
        """Validate ``config.study`` against :attr:`options`."""
        return study_options(self.options, config)


def study_options(model: type[Params], config: ExperimentConfig) -> Any:
    """Validate the config's ``study:`` block against a job's options model (a :class:`ConfigError` names each bad field)."""
    return validate_section(model, config.study, "study")


def file_name_keys(names: Any) -> Any:
    """Check that every name (list items, or mapping keys) is a safe file-name part: they name figure files.

    The config error this raises is reported under the field's key path (``study.arrows``).
    """
    what = "key" if isinstance(names, dict) else "entry"
    for name in names:
        safe_name(name, what)
    return names


class ClassificationStudy(Params):
    """``study:`` options of a classification run (Study 3)."""

    splits: list[str] = Field(["train", "val", "test"], description="Splits to report, side by side.")
    recall_target: float = Field(0.8, gt=0, le=1, description="Classes below this recall are flagged.")

    _check_splits = field_validator("splits")(file_name_keys)


def classification_job(
    config: ExperimentConfig, run: RunDirectory, section: str, resume: bool, options: ClassificationStudy
) -> None:
    """Train the classifier, then report every split: metrics, ROC, confusion matrix, recall bars."""
    import torch

    from embedlab.metrics import classification_reports
    from embedlab.plots import classification as plots
    from embedlab.tuning.tasks import fit_classification

    epochs = config.train.get("epochs", 10)
    fitted = fit_classification(config, epochs, progress=True)
    model, dataset = fitted.model, fitted.dataset
    device = next(model.parameters()).device
    model.eval()
    outputs = {}
    with torch.no_grad():
        for split in options.splits:
            part = dataset[split]
            logits = model(torch.as_tensor(part.X, dtype=torch.float32, device=device))
            outputs[split] = (part.y, torch.softmax(logits, dim=1).cpu().numpy())
    names = list(dataset.class_names) or None
    reports = classification_reports(outputs, names, recall_target=options.recall_target)
    summary = {}
    for split, report in reports.items():
        d = report.to_dict()
        summary[split] = {
            "accuracy": d["accuracy"],
            "balanced_accuracy": d["balanced_accuracy"],
            "macro_f1": d["macro avg"]["f1-score"],
            "macro_recall": d["macro avg"]["recall"],
            "roc_auc_macro": d["roc_auc"]["macro"] if d["roc_auc"] else None,
            "below_recall_target": ", ".join(d["below_recall_target"]) or "none",
        }
    recall = {
        name: {split: r.to_dict()[name]["recall"] for split, r in reports.items()}
        for name in reports[options.splits[0]].class_names
    }
    run.log_metrics(section, {"splits": summary, "recall by class": recall, "n_params": fitted.n_params})
    for split, report in reports.items():
        run.add_figure(section, f"{split}-roc", plots.roc_curves(report, title=split))
        run.add_figure(section, f"{split}-confusion", plots.confusion_heatmap(report, title=split))
    run.add_figure(section, "recall", plots.recall_bars(reports))


class MetricLearningStudy(Params):
    """``study:`` options of a metric-learning run."""

    splits: list[str] = Field(
        ["val", "test"], description="Splits scored as queries against the training set."
    )
    projection: Literal["tsne", "pca"] = Field("tsne", description="2-D projection of the embedding plots.")
    max_points: int = Field(2000, ge=10, description="Points per embedding plot, drawn at random.")


def metric_learning_job(
    config: ExperimentConfig, run: RunDirectory, section: str, resume: bool, options: MetricLearningStudy
) -> None:
    """Train a :class:`~embedlab.learn.MetricLearner` from ``config``, checkpointing in the run directory.

    Records the per-epoch history, retrieval metrics of each split in ``options.splits``
    (queries) against the training embeddings (references), the learning curves, and t-SNE
    (or PCA) maps of the training and validation embeddings side by side.
    """
    from embedlab.learn.estimator import MetricLearner
    from embedlab.metrics.retrieval import retrieval
    from embedlab.plots.embeddings import plot_embeddings, plot_history

    if config.dataset is None:
        raise ConfigError("a metric-learning run needs 'dataset'")
    dataset = config.dataset.create("dataset")
    train = dataset["train"]
    val = dataset.splits.get("val")
    model = MetricLearner.from_config(config)
    model.set_params(checkpoint_dir=run.checkpoints / safe_name(section, "section"), resume=resume)
    model.fit(train.X, train.y, *((val.X, val.y) if val is not None else ()))
    reference = model.transform(train.X)
    scores = {}
    embedded = {}
    for split in options.splits:
        part = dataset[split]
        embedded[split] = model.transform(part.X)
        scores[split] = retrieval(embedded[split], part.y, reference, train.y)
    run.log_metrics(
        section,
        {"retrieval (queries vs train)": scores, "history": model.history_, "components": model.components_},
    )
    run.add_figure(section, "history", plot_history(model.history_, title=config.name))
    shown = "val" if "val" in embedded else next(iter(embedded), None)
    names = list(dataset.class_names) or None
    figure = plot_embeddings(
        reference,
        train.y,
        embedded.get(shown) if shown else None,
        dataset[shown].y if shown else None,
        method=options.projection,
        class_names=names,
        max_points=options.max_points,
        seed=config.seed,
        title=config.name,
    )
    run.add_figure(section, "embeddings", figure)


class SearchStudy(Params):
    """``study:`` options of a hyperparameter search run (Study 4)."""

    top: int = Field(5, ge=1, description="Trials shown in the summary.")
    retrain_epochs: int | None = Field(
        None, ge=1, description="Retrain the best configuration and the baseline this long afterwards."
    )


def search_job(
    config: ExperimentConfig, run: RunDirectory, section: str, resume: bool, options: SearchStudy
) -> None:
    """Run the config's hyperparameter search; record its table, summary and metric-by-epoch plot."""
    from embedlab.tuning.api import tune

    storage = config.tune.get("storage_path") or str(run.path / "tune")
    result = tune(config, storage_path=storage, resume=resume)
    result.save(run.path / "tune")
    ranked = result.ranked_trials()[: options.top]
    table = result.table
    rows = table[table["trial_id"].isin([t.trial_id for t in ranked])].to_dict(orient="records")
    run.log_metrics(
        section,
        {
            "best_metric": result.best_metric,
            "best_config": ", ".join(f"{k}={v}" for k, v in result.best_config.items()),
            "trials": len(table),
            "failed": result.num_failed,
            "top trials": rows,
        },
    )
    run.add_figure(section, "trials", result.plot())
    if options.retrain_epochs:
        retrained = result.retrain_best(epochs=options.retrain_epochs)
        run.log_metrics(section, {"retrained": retrained.table.to_dict(orient="index")})
        run.add_figure(section, "retrain", retrained.plot())


class WordsStudy(Params):
    """``study:`` options of a word-vector run (Study 1). Words missing from the vocabulary are skipped."""

    neighbors: list[str] = Field(
        ["italy", "mother", "breaking", "hardy"], description="Words whose neighbours to list."
    )
    topn: int = Field(10, ge=1, description="Neighbours and answers listed per query.")
    analogies: list[tuple[str, str, str]] = Field(
        [("king", "woman", "man")], description="``(w1, w2, w3)``: w4 is sought near w1 + w2 - w3."
    )
    arrows: dict[str, list[tuple[str, str]]] = Field(
        {
            "gender": [("actor", "actress"), ("king", "queen"), ("man", "woman"), ("boy", "girl")],
            "plural": [("car", "cars"), ("house", "houses"), ("city", "cities"), ("farm", "farms")],
        },
        description="Named sets of (from, to) pairs drawn as arrows; each name is part of a figure file name.",
    )
    groups: dict[str, list[str]] = Field(
        {
            "countries": ["italy", "spain", "france", "germany", "greece"],
            "family": ["mother", "father", "sister", "brother", "daughter"],
            "numbers": ["two", "three", "four", "five", "six"],
        },
        description="Words per category for the group plot.",
    )
    diagnose: tuple[str, str, str, list[str]] | None = Field(
        ("old", "young", "cow", ["calf", "veal"]),
        description="``(a, b, c, expected)`` of an analogy to explain.",
    )
    evaluate: bool = Field(True, description="Score the Google analogy set and WordSim353 / SimLex-999.")

    _check_arrows = field_validator("arrows")(file_name_keys)


def words_job(
    config: ExperimentConfig, run: RunDirectory, section: str, resume: bool, options: WordsStudy
) -> None:
    """Explore word vectors: neighbours, analogies (both formulations), arrows, groups, diagnosis, benchmarks."""
    from embedlab.plots import words as plots

    if config.backend is None:
        raise ConfigError("task words needs a 'backend' of word vectors, e.g. backend: gensim")
    wv = config.backend.create("backend")
    skipped: set[str] = set()

    def known(words: list[str]) -> list[str]:
        skipped.update(w for w in words if w not in wv)
        return [w for w in words if w in wv]

    metrics: dict[str, Any] = {"vocabulary": len(wv.words)}
    queries = known(options.neighbors)
    if queries:
        found = wv.neighbors(queries, topn=options.topn)
        metrics["neighbours"] = {
            w: ", ".join(f"{n} {s:.2f}" for n, s in row) for w, row in zip(queries, found, strict=True)
        }
        run.add_figure(section, "neighbours", plots.plot_neighbors(wv, queries, topn=options.topn))
    answers = {}
    for w1, w2, w3 in options.analogies:
        if len(known([w1, w2, w3])) == 3:
            for name, rows in wv.formulations(w1, w2, w3, topn=options.topn).items():
                answers[f"{name}"] = ", ".join(f"{n} {s:.2f}" for n, s in rows[:5])
    if answers:
        metrics["analogies"] = answers
    for name, pairs in options.arrows.items():
        kept = [(a, b) for a, b in pairs if len(known([a, b])) == 2]
        if len(kept) >= 2:
            run.add_figure(section, f"arrows-{name}", plots.plot_arrows(wv, kept, title=name))
    groups = {g: known(words) for g, words in options.groups.items()}
    groups = {g: words for g, words in groups.items() if len(words) >= 2}
    if len(groups) >= 2:
        run.add_figure(section, "groups", plots.plot_groups(wv, groups))
    if options.diagnose is not None:
        a, b, c, expected = options.diagnose
        expected_known = known(list(expected))
        if len(known([a, b, c])) == 3 and expected_known:
            diagnosis = wv.diagnose_analogy(a, b, c, expected_known, topn=options.topn)
            metrics["diagnosis"] = {
                "question": f"{a} : {b} :: {c} : ?",
                "top answers": ", ".join(f"{w} {score:.2f}" for w, score in diagnosis.top),
                **{
                    f"expected {w}": f"rank {rank}, score {score:.3f}, cos({b}-{a}, {w}-{c}) = "
                    f"{diagnosis.offset_cosines[w]:.3f}"
                    for w, (rank, score) in diagnosis.expected.items()
                },
                "best answer when inputs are allowed": diagnosis.top_with_inputs[0][0],
            }
            run.add_figure(section, "diagnosis", diagnosis.figure())
    if options.evaluate:
        analogies = wv.evaluate_analogies()
        metrics["google analogies"] = {
            "accuracy": analogies.accuracy,
            "semantic": "{}/{}".format(*analogies.semantic),
            "syntactic": "{}/{}".format(*analogies.syntactic),
            "questions out of vocabulary": analogies.oov,
        }
        metrics["similarity"] = {
            name: {"spearman": r.spearman, "pearson": r.pearson, "oov_ratio": r.oov_ratio}
            for name in ("wordsim353.tsv", "simlex999.txt")
            for r in [wv.evaluate_similarity(name)]
        }
    if skipped:
        metrics["not in vocabulary"] = ", ".join(sorted(skipped))
    run.log_metrics(section, metrics)


SEARCH = Job(search_job, SearchStudy)
JOBS: dict[str, Job] = {
    "classification": Job(classification_job, ClassificationStudy),
    "metric-learning": Job(metric_learning_job, MetricLearningStudy),
    "words": Job(words_job, WordsStudy),
}


def get_job(config: ExperimentConfig) -> Job:
    """The job that runs ``config``: a search when it declares a search space, else its task's job.

    Raises
    ------
    ConfigError
        For a task no job runs, listing the known ones.
    """
    from embedlab.tuning.space import find_spaces

    if find_spaces(config):
        return SEARCH
    if config.task not in JOBS:
        raise ConfigError(
            f"task {config.task!r} has no job to run it; set task to one of: {', '.join(sorted(JOBS))}"
        )
    return JOBS[config.task]
