"""Task ``classification`` (Study 3): train a classifier ``backend`` on a ``dataset``, report every split.

The ``backend`` is ``mlp-classifier``, ``small-cnn-classifier``, ``linear-probe`` or any module
returning logits; it is trained with :func:`embedlab.learn.classifier.train_classifier`,
reporting train and validation loss and accuracy after every epoch, and rebalanced as
``train.rebalance`` says. ``embedlab run`` then scores each split in ``study.splits``: the
summary, per split the full per-class table (scikit-learn's classification report) and the
one-vs-rest TP/FP/FN/TN table, ROC curves, confusion matrices and recall bars against
``study.recall_target``. ``study.compare_rebalance`` trains one model per rebalancing strategy
and compares them in one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from embedlab.errors import ConfigError
from embedlab.io import safe_name
from embedlab.learn.classifier import ClassifierTrainSettings, Rebalance
from embedlab.params import Params
from embedlab.tasks.base import HeadlineMetric, MetricOutputs, Task, file_name_keys

if TYPE_CHECKING:
    from pathlib import Path

    from embedlab.config import ExperimentConfig
    from embedlab.data.base import ArrayDataset
    from embedlab.lab.rundir import RunDirectory
    from embedlab.learn.history import EpochRecord
    from embedlab.metrics.classification import ClassificationReport, SplitReports
    from embedlab.tuning.base import Report

__all__ = ["CLASSIFICATION_REPORTS", "ClassificationStudy", "ClassificationTask", "FittedClassifier"]

#: What ``task: classification`` reports each epoch (``val_*``: with a ``val`` or ``test`` split).
CLASSIFICATION_REPORTS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "epoch_time_s",
    "train_time_s",
    "n_params",
)


class ClassificationStudy(Params):
    """``study:`` options of a classification run (Study 3)."""

    splits: list[str] = Field(["train", "val", "test"], description="Splits to report, side by side.")
    recall_target: float = Field(0.8, gt=0, le=1, description="Classes below this recall are flagged.")
    compare_rebalance: list[Rebalance] = Field(
        [],
        description="Rebalancing strategies to compare: one model per strategy, trained with the "
        "config's other settings, and a 'rebalancing' table with a row per strategy.",
    )

    _check_splits = field_validator("splits")(file_name_keys)

    @field_validator("compare_rebalance")
    @classmethod
    def _distinct(cls, value: list[Rebalance]) -> list[Rebalance]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a strategy twice: {value}; name each strategy once")
        return value


@dataclass
class FittedClassifier:
    """A classification experiment after training: the model, its data and its history."""

    model: Any
    dataset: Any
    #: One record per epoch; the last also has ``train_time_s`` (all epochs) and ``n_params``.
    history: list[dict[str, Any]]
    n_params: int


class ClassificationTask(Task):
    """Train a classifier and report its metrics on every split (imbalance-aware)."""

    name = "classification"
    Train = ClassifierTrainSettings
    Study = ClassificationStudy
    reports = CLASSIFICATION_REPORTS
    needs = ("dataset", "backend")
    metric_inputs = ("scores",)
    headline = HeadlineMetric("test macro F1", ("splits", "test", "macro_f1"))
    train: ClassifierTrainSettings
    study: ClassificationStudy

    def train_model(
        self,
        config: ExperimentConfig,
        epochs: int,
        report: Report | None = None,
        *,
        progress: bool = False,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
        dataset: ArrayDataset | None = None,
        settings: ClassifierTrainSettings | None = None,
    ) -> FittedClassifier:
        """Train the config's ``backend`` on its ``dataset`` for ``epochs`` epochs.

        ``checkpoint_dir`` and ``resume`` checkpoint every epoch and continue from the last
        checkpoint (see :func:`~embedlab.learn.classifier.train_classifier`). ``dataset`` is the
        config's dataset when already loaded, and ``settings`` replace :attr:`train` (another
        rebalancing strategy, say). The backend's ``num_classes``, ``in_features`` and
        ``in_channels`` default to what the dataset gives, where its params have them.

        ``report`` is called after every epoch with the names in :data:`CLASSIFICATION_REPORTS`:
        ``epoch``, ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``,
        ``epoch_time_s``, ``train_time_s`` (cumulative) and ``n_params``.
        """
        import torch

        from embedlab.learn.classifier import count_parameters, train_classifier

        train_settings = settings or self.train
        dataset = dataset or _load_dataset(config)
        train = dataset["train"]
        val = dataset.splits.get("val") or dataset.splits.get("test")
        torch.manual_seed(config.seed)  # the same initial weights for every trial with the same params
        model = _build_backend(config, dataset)
        n_params = count_parameters(model)
        elapsed = 0.0

        def on_epoch(row: EpochRecord) -> None:
            nonlocal elapsed
            elapsed += row["epoch_time_s"]
            if report is not None:
                report({**row, "train_time_s": elapsed, "n_params": float(n_params)})

        records = train_classifier(
            model,
            train.X,
            train.y,
            None if val is None else val.X,
            None if val is None else val.y,
            epochs=epochs,
            batch_size=train_settings.batch_size,
            lr=train_settings.lr,
            weight_decay=train_settings.weight_decay,
            class_weights=train_settings.class_weights,
            rebalance=train_settings.rebalance,
            augment=train_settings.augment,
            device=train_settings.device,
            seed=config.seed,
            callback=on_epoch,
            progress=progress,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
        )
        history: list[dict[str, Any]] = [dict(row) for row in records]
        history[-1].update(train_time_s=sum(row["epoch_time_s"] for row in records), n_params=float(n_params))
        return FittedClassifier(model, dataset, history, n_params)

    def fit(
        self,
        config: ExperimentConfig,
        epochs: int,
        report: Report | None = None,
        *,
        evaluate_test: bool = False,
        progress: bool = False,
    ) -> dict[str, float]:
        """Train (see :meth:`train_model`); return the last epoch's metrics.

        With ``evaluate_test`` the ``test`` split is scored too (``test_loss``, ``test_accuracy``).
        """
        fitted = self.train_model(config, epochs, report, progress=progress)
        final = dict(fitted.history[-1])
        if evaluate_test and "test" in fitted.dataset.splits:
            test = fitted.dataset["test"]
            final.update(_score(fitted.model, test.X, test.y, prefix="test"))
        return final

    def run_section(
        self, config: ExperimentConfig, run: RunDirectory, section: str, resume: bool
    ) -> dict[str, MetricOutputs]:
        """Train the classifier, then report every split; compare rebalancing strategies if asked.

        Writes the summary per split (with the classes below the recall target), the recall of
        every class per split, per split the per-class table (``"<split> per class"``) and the
        one-vs-rest table (``"<split> one-vs-rest"``), and the ROC, confusion and recall
        figures. With ``study.compare_rebalance``, one more model per listed strategy is
        trained (the section's own strategy is reused) and ``"rebalancing"`` holds a row per
        strategy: per split macro recall, min class recall, macro F1, balanced accuracy and
        the number of classes below the target.

        Returns each split's labels and class probabilities (of the section's own model), for
        the config's ``metrics:``.
        """
        from embedlab.plots import classification as plots

        options = self.study
        dataset = _load_dataset(config)
        run.describe_dataset(section, dataset)
        checkpoints = run.checkpoints / safe_name(section, "section")
        fitted = self.train_model(
            config,
            self.train.epochs,
            lambda row: run.log_epoch(section, row),
            progress=True,
            checkpoint_dir=checkpoints,
            resume=resume,
            dataset=dataset,
        )
        outputs = _split_outputs(fitted, options.splits)
        reports = self._reports(outputs, dataset)
        summary = {split: _split_summary(report) for split, report in reports.items()}
        recall = {
            name: {split: r.recall[name] for split, r in reports.items()} for name in reports.class_names
        }
        values: dict[str, Any] = {
            "splits": summary,
            "recall by class": recall,
            "recall_target": options.recall_target,
            "n_params": fitted.n_params,
        }
        for split, report in reports.items():
            values[f"{split} per class"] = report.per_class_table()
            values[f"{split} one-vs-rest"] = report.one_vs_rest()
        values["history"] = fitted.history
        run.log_metrics(section, values)
        for split, report in reports.items():
            run.add_figure(section, f"{split}-roc", plots.roc_curves(report, title=split))
            run.add_figure(section, f"{split}-confusion", plots.confusion_heatmap(report, title=split))
        run.add_figure(section, "recall", plots.recall_bars(reports))
        if options.compare_rebalance:
            comparison = {}
            for strategy in options.compare_rebalance:
                if strategy == self.train.strategy:
                    compared = reports
                else:
                    other = self.train_model(
                        config,
                        self.train.epochs,
                        progress=True,
                        checkpoint_dir=checkpoints / strategy,
                        resume=resume,
                        dataset=dataset,
                        settings=self.train.with_strategy(strategy),
                    )
                    compared = self._reports(_split_outputs(other, options.splits), dataset)
                comparison[strategy] = {split: _comparison_row(r) for split, r in compared.items()}
            run.log_metrics(section, {"rebalancing": comparison})
        return {split: MetricOutputs(labels=y, scores=scores) for split, (y, scores) in outputs.items()}

    def _reports(self, outputs: dict[str, tuple[Any, Any]], dataset: ArrayDataset) -> SplitReports:
        from embedlab.metrics import classification_reports

        names = list(dataset.class_names) or None
        return classification_reports(outputs, names, recall_target=self.study.recall_target)


def _load_dataset(config: ExperimentConfig) -> ArrayDataset:
    _check_components(config)
    assert config.dataset is not None  # for the type checker: _check_components raised otherwise
    dataset: ArrayDataset = config.dataset.create("dataset")
    return dataset


def _check_components(config: ExperimentConfig) -> None:
    if config.dataset is None or config.backend is None:
        raise ConfigError("task classification needs a 'dataset' and a 'backend' (e.g. mlp-classifier)")


def _build_backend(config: ExperimentConfig, dataset: ArrayDataset) -> Any:
    """The config's backend, the sizes it takes (and the config leaves out) filled in from ``dataset``."""
    import numpy as np

    from embedlab.registry import get

    _check_components(config)
    assert config.backend is not None  # for the type checker: _check_components raised otherwise
    backend = config.backend
    params = dict(backend.params)
    fields = get("backend", backend.name).params.model_fields if isinstance(backend.name, str) else {}
    shape = dataset.input_shape
    defaults: dict[str, int] = {
        "num_classes": dataset.num_classes or int(dataset["train"].y.max()) + 1,
        "in_features": int(np.prod(shape)),
    }
    if len(shape) == 3:  # (C, H, W) images
        defaults["in_channels"] = int(shape[0])
    for key, value in defaults.items():
        if key in fields:
            params.setdefault(key, value)
    return backend.model_copy(update={"params": params}).create("backend")


def _split_outputs(fitted: FittedClassifier, splits: list[str]) -> dict[str, tuple[Any, Any]]:
    """Each split's labels and the fitted model's class probabilities."""
    from embedlab.learn.classifier import predict_proba

    return {
        split: (fitted.dataset[split].y, predict_proba(fitted.model, fitted.dataset[split].X))
        for split in splits
    }


def _split_summary(report: ClassificationReport) -> dict[str, Any]:
    summary = report.summary()
    return {
        "accuracy": summary["accuracy"],
        "balanced_accuracy": summary["balanced_accuracy"],
        "macro_f1": summary["macro_f1"],
        "macro_recall": summary["macro_recall"],
        "roc_auc_macro": None if report.roc_auc is None else summary["roc_auc_macro"],
        "below_recall_target": report.below_target,
    }


def _comparison_row(report: ClassificationReport) -> dict[str, float | int]:
    summary = report.summary()
    return {
        "macro recall": summary["macro_recall"],
        "min class recall": summary["min_recall"],
        "macro F1": summary["macro_f1"],
        "balanced accuracy": summary["balanced_accuracy"],
        "below target": len(report.below_target),
    }


def _score(model: Any, X: Any, y: Any, prefix: str) -> dict[str, float]:
    import numpy as np

    from embedlab.learn.classifier import predict_proba

    probabilities = predict_proba(model, X)
    picked = probabilities[np.arange(len(y)), np.asarray(y)]
    loss = -np.log(np.clip(picked, 1e-12, None)).mean()
    accuracy = (probabilities.argmax(axis=1) == np.asarray(y)).mean()
    return {f"{prefix}_loss": float(loss), f"{prefix}_accuracy": float(accuracy)}
