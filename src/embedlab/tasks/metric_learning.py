"""Task ``metric-learning`` (Study 2): train a :class:`~embedlab.learn.MetricLearner` and score retrieval.

The config's ``backend``, ``loss`` and ``miner`` build the learner
(:meth:`~embedlab.learn.MetricLearner.from_config`); ``train:`` holds its settings
(:class:`~embedlab.learn.params.MetricLearnerSettings`). ``embedlab run`` checkpoints into
the run directory (so a resumed run continues the training), then scores each split in
``study.splits`` as queries against the training embeddings and draws the learning curves
(with the share of zero-loss triplets per epoch) and a 2-D map of the embeddings.

The triplet exercise's setup: ``train: {sampler: triplets, triplets_per_image: 3}`` trains on
random triplets (the report states the steps per epoch), and a dataset without a validation
split (``val_size: 0``) with ``study: {validation: test}`` validates on the test set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from embedlab.errors import ConfigError
from embedlab.io import safe_name
from embedlab.learn.params import MetricLearnerSettings
from embedlab.params import Params
from embedlab.tasks.base import HeadlineMetric, MetricOutputs, Task

if TYPE_CHECKING:
    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory
    from embedlab.learn.history import EpochRecord
    from embedlab.tuning.base import Report

__all__ = ["METRIC_LEARNING_REPORTS", "MetricLearningStudy", "MetricLearningTask"]

#: What ``task: metric-learning`` reports each epoch (``val_*``: with a ``val`` split).
METRIC_LEARNING_REPORTS = (
    "epoch",
    "train_loss",
    "val_loss",
    "val_precision_at_1",
    "epoch_time_s",
    "train_time_s",
)


class MetricLearningStudy(Params):
    """``study:`` options of a metric-learning run."""

    splits: list[str] = Field(
        ["val", "test"], description="Splits scored as queries against the training set."
    )
    projection: Literal["tsne", "pca"] = Field("tsne", description="2-D projection of the embedding plots.")
    max_points: int = Field(2000, ge=10, description="Points per embedding plot, drawn at random.")
    validation: Literal["val", "test"] = Field(
        "val",
        description="The split that validates each epoch (val_loss, val_precision_at_1) and is drawn "
        "beside the training embeddings: 'test' uses the test set, as the triplet exercise did.",
    )


class MetricLearningTask(Task):
    """Learn an embedding with a loss and a miner; report retrieval metrics and embedding maps."""

    name = "metric-learning"
    Train = MetricLearnerSettings
    Study = MetricLearningStudy
    reports = METRIC_LEARNING_REPORTS
    needs = ("dataset",)
    metric_inputs = ("embeddings", "retrieval")
    headline = HeadlineMetric("test precision@1", ("retrieval (queries vs train)", "test", "precision_at_1"))
    study: MetricLearningStudy

    def fit(
        self,
        config: ExperimentConfig,
        epochs: int,
        report: Report | None = None,
        *,
        evaluate_test: bool = False,
        progress: bool = False,
    ) -> dict[str, float]:
        """Train the learner ``config`` describes for ``epochs`` epochs; return the last epoch's metrics.

        ``report`` is called after every epoch with the names in :data:`METRIC_LEARNING_REPORTS`:
        ``epoch``, ``train_loss``, ``val_loss``, ``val_precision_at_1`` (validation queries
        against the training embeddings), ``epoch_time_s`` and ``train_time_s`` (cumulative).
        With ``evaluate_test`` the ``test`` split is scored the same way (``test_precision_at_1``,
        ``test_map_at_r``).
        """
        from embedlab.learn.estimator import MetricLearner

        dataset = _dataset(config)
        train, val = dataset["train"], dataset.splits.get("val")
        learner = MetricLearner.from_config(config).set_params(epochs=epochs, progress=progress)
        elapsed = 0.0
        rows: list[dict[str, float]] = []

        def on_epoch(record: EpochRecord) -> None:
            nonlocal elapsed
            elapsed += record["epoch_time_s"]
            row = {k: float(v) for k, v in record.items() if k in METRIC_LEARNING_REPORTS and isinstance(v, int | float)}
            row["train_time_s"] = elapsed
            rows.append(row)
            if report is not None:
                report(row)

        learner.fit(train.X, train.y, *((val.X, val.y) if val is not None else ()), callbacks=[on_epoch])
        final = dict(rows[-1])
        if evaluate_test and "test" in dataset.splits:
            from embedlab.metrics.retrieval import retrieval

            test = dataset["test"]
            scores = retrieval(
                learner.transform(test.X), test.y, learner.transform(train.X), train.y, ks=(1,)
            )
            final.update(test_precision_at_1=scores["precision_at_1"], test_map_at_r=scores["map_at_r"])
        return final

    def run_section(
        self, config: ExperimentConfig, run: RunDirectory, section: str, resume: bool
    ) -> dict[str, MetricOutputs]:
        """Train the learner, checkpointing in the run directory; report retrieval and embedding maps.

        Records the per-epoch history, retrieval metrics of each split in ``study.splits``
        (queries) against the training embeddings (references), the learning curves, and t-SNE
        (or PCA) maps of the training and validation embeddings side by side. Returns each
        split's embeddings and labels, with the training embeddings as the reference set, for
        the config's ``metrics:``.
        """
        from embedlab.learn.estimator import MetricLearner
        from embedlab.metrics.retrieval import retrieval
        from embedlab.plots.embeddings import plot_embeddings, plot_history

        options = self.study
        dataset = _dataset(config)
        run.describe_dataset(section, dataset)
        train = dataset["train"]
        val = dataset[options.validation] if options.validation == "test" else dataset.splits.get("val")
        model = MetricLearner.from_config(config)
        model.set_params(checkpoint_dir=run.checkpoints / safe_name(section, "section"), resume=resume)
        model.fit(
            train.X,
            train.y,
            *((val.X, val.y) if val is not None else ()),
            callbacks=[lambda record: run.log_epoch(section, record)],
        )
        reference = model.transform(train.X)
        scores = {}
        embedded = {}
        for split in options.splits:
            part = dataset[split]
            embedded[split] = model.transform(part.X)
            scores[split] = retrieval(embedded[split], part.y, reference, train.y)
        run.log_metrics(
            section,
            {
                "retrieval (queries vs train)": scores,
                "steps per epoch": model.history_[-1]["steps"],
                "validation split": options.validation if val is not None else "none",
                "history": model.history_,
                "components": model.components_,
            },
        )
        run.add_figure(section, "history", plot_history(model.history_, title=config.name))
        shown = options.validation if options.validation in embedded else next(iter(embedded), None)
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
            val_name=f"{shown} split",
        )
        run.add_figure(section, "embeddings", figure)
        return {
            split: MetricOutputs(
                labels=dataset[split].y, embeddings=z, reference=reference, reference_labels=train.y
            )
            for split, z in embedded.items()
        }


def _dataset(config: ExperimentConfig) -> Any:
    if config.dataset is None:
        raise ConfigError("task metric-learning needs a 'dataset'")
    return config.dataset.create("dataset")
