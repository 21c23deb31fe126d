"""The metric-learning job of ``embedlab run`` (Study 2): train, score retrieval, plot embeddings.

Registered with the other jobs as ``task: metric-learning``; its ``study:`` options are
:class:`MetricLearningStudy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from embedlab.errors import ConfigError
from embedlab.params import Params

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory

__all__ = ["MetricLearningStudy", "metric_learning_job"]


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
    model.set_params(checkpoint_dir=run.checkpoints / section, resume=resume)
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
