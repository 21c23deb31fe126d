"""Task ``classification`` (Study 3): train a classifier ``backend`` on a ``dataset``, report every split.

The ``backend`` is ``mlp-classifier``, ``linear-probe`` or any module returning logits; it is
trained with :func:`embedlab.learn.classifier.train_classifier`, reporting train and
validation loss and accuracy after every epoch. ``embedlab run`` then scores each split in
``study.splits``: metrics, ROC curves, confusion matrices and recall bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from embedlab.errors import ConfigError
from embedlab.io import safe_name
from embedlab.learn.classifier import ClassifierTrainSettings
from embedlab.params import Params
from embedlab.tasks.base import MetricOutputs, Task, file_name_keys

if TYPE_CHECKING:
    from pathlib import Path

    from embedlab.config import ExperimentConfig
    from embedlab.lab.rundir import RunDirectory
    from embedlab.learn.history import EpochRecord
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

    _check_splits = field_validator("splits")(file_name_keys)


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
    ) -> FittedClassifier:
        """Train the config's ``backend`` on its ``dataset`` for ``epochs`` epochs.

        ``checkpoint_dir`` and ``resume`` checkpoint every epoch and continue from the last
        checkpoint (see :func:`~embedlab.learn.classifier.train_classifier`).

        ``report`` is called after every epoch with the names in :data:`CLASSIFICATION_REPORTS`:
        ``epoch``, ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``,
        ``epoch_time_s``, ``train_time_s`` (cumulative) and ``n_params``.
        """
        import numpy as np
        import torch

        from embedlab.learn.classifier import count_parameters, train_classifier

        if config.dataset is None or config.backend is None:
            raise ConfigError("task classification needs a 'dataset' and a 'backend' (e.g. mlp-classifier)")
        dataset = config.dataset.create("dataset")
        train = dataset["train"]
        val = dataset.splits.get("val") or dataset.splits.get("test")
        params = dict(config.backend.params)
        params.setdefault("in_features", int(np.prod(dataset.input_shape)))
        params.setdefault("num_classes", dataset.num_classes or int(train.y.max()) + 1)
        torch.manual_seed(config.seed)  # the same initial weights for every trial with the same params
        model = config.backend.model_copy(update={"params": params}).create("backend")
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
            batch_size=self.train.batch_size,
            lr=self.train.lr,
            weight_decay=self.train.weight_decay,
            class_weights=self.train.class_weights,
            device=self.train.device,
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
        """Train the classifier, then report every split: metrics, ROC, confusion matrix, recall bars.

        Returns each split's labels and class probabilities, for the config's ``metrics:``.
        """
        import torch

        from embedlab.metrics import classification_reports
        from embedlab.plots import classification as plots

        options = self.study
        checkpoints = run.checkpoints / safe_name(section, "section")
        fitted = self.train_model(
            config, self.train.epochs, progress=True, checkpoint_dir=checkpoints, resume=resume
        )
        model, dataset = fitted.model, fitted.dataset
        run.describe_dataset(section, dataset)
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
                "below_recall_target": list(d["below_recall_target"]),
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
        return {split: MetricOutputs(labels=y, scores=scores) for split, (y, scores) in outputs.items()}


def _score(model: Any, X: Any, y: Any, prefix: str) -> dict[str, float]:
    import torch

    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(X, dtype=torch.float32, device=device))
        target = torch.as_tensor(y, dtype=torch.long, device=device)
        loss = torch.nn.functional.cross_entropy(logits, target)
        accuracy = (logits.argmax(dim=1) == target).float().mean()
    return {f"{prefix}_loss": float(loss), f"{prefix}_accuracy": float(accuracy)}
