"""Study 3: judge a classifier fairly on imbalanced data, without and with rebalancing.

On ``imbalanced-digits`` (digits at DermaMNIST's class proportions, class 5 ~67%), a classifier
is fitted three ways: a scikit-learn ``LogisticRegression`` (``--model logistic``, the default)
or embedlab's ``mlp-classifier`` baseline trained with Adam (``--model mlp``):

- ``baseline``: as is;
- ``class-weights``: loss weights from the class supports (scikit-learn's "balanced");
- ``oversampled``: minority classes copied up to the majority's size, each copy augmented
  with torchvision ``transforms.v2`` (small rotations, shifts, zooms).

For each, the train/val/test reports (markdown, JSON), ROC and PR curves, confusion matrices
and the recall chart go into ``OUT/<variant>/``; ``OUT/summary.md`` and
``OUT/{val,test}-recall-by-variant.png`` compare the variants.

Run: ``python examples/imbalanced.py OUT [--seed 0] [--model logistic|mlp]``.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

import embedlab
from embedlab.data import ArrayDataset
from embedlab.data.rebalance import class_weights, oversample
from embedlab.io import atomic_write, save_figure
from embedlab.metrics import SplitReports, UndefinedMetricWarning, classification_report
from embedlab.metrics.export import save_reports
from embedlab.plots import classification as plots

SPLITS = ("train", "val", "test")
MODEL_NAMES = {"logistic": "LogisticRegression", "mlp": "mlp-classifier"}


def flat(X: np.ndarray) -> np.ndarray:
    return X.reshape(len(X), -1)


class LogisticModel:
    """scikit-learn's LogisticRegression on flattened images, optionally with class weights."""

    def __init__(self, weights: np.ndarray | None) -> None:
        class_weight = None if weights is None else dict(enumerate(weights))
        self.model = LogisticRegression(max_iter=3000, class_weight=class_weight)

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogisticModel:
        self.model.fit(flat(X), y)
        return self

    def scores(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(flat(X))


class MLPModel:
    """embedlab's mlp-classifier baseline, trained with Adam and (optionally) weighted cross-entropy."""

    def __init__(self, weights: np.ndarray | None, num_classes: int, seed: int) -> None:
        import torch

        torch.manual_seed(seed)
        self.net = embedlab.create("backend", "mlp-classifier", units=128, num_classes=num_classes)
        self.weights = None if weights is None else weights.tolist()
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> MLPModel:
        from embedlab.learn.classifier import train_classifier

        train_classifier(
            self.net, X, y, epochs=30, batch_size=32, class_weights=self.weights, device="cpu", seed=self.seed
        )
        return self

    def scores(self, X: np.ndarray) -> np.ndarray:
        import torch

        self.net.eval()
        with torch.no_grad():
            return self.net(torch.as_tensor(X)).numpy()  # logits


def fit_variants(dataset: ArrayDataset, seed: int, model: str) -> dict[str, LogisticModel | MLPModel]:
    X, y = dataset["train"].X, dataset["train"].y
    weights = class_weights(y, num_classes=dataset.num_classes)
    X_over, y_over = oversample(X, y, seed=seed)

    def make(w: np.ndarray | None) -> LogisticModel | MLPModel:
        return LogisticModel(w) if model == "logistic" else MLPModel(w, dataset.num_classes, seed)

    return {
        "baseline": make(None).fit(X, y),
        "class-weights": make(weights).fit(X, y),
        "oversampled": make(None).fit(X_over, y_over),
    }


def evaluate(model: LogisticModel | MLPModel, dataset: ArrayDataset) -> SplitReports:
    reports = {}
    for split in SPLITS:
        with warnings.catch_warnings():
            # a class with 2 test images may have no positive in a split: AUC is NaN, not an error
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            reports[split] = classification_report(
                dataset[split].y, model.scores(dataset[split].X), dataset.class_names
            )
    return SplitReports(reports)


def summary_markdown(results: dict[str, SplitReports], dataset: ArrayDataset, model: str) -> str:
    supports = np.bincount(dataset["train"].y, minlength=dataset.num_classes)
    minority = [n for c, n in enumerate(dataset.class_names) if c != supports.argmax()]
    lines = [
        f"# Study 3: imbalanced-digits, {MODEL_NAMES[model]} without and with rebalancing",
        "",
        "Train supports per class: "
        + ", ".join(f"{n}: {s}" for n, s in zip(dataset.class_names, supports, strict=True))
        + f" (largest {supports.max() / supports.sum():.0%}).",
        "",
        "| variant | split | accuracy | balanced acc. | macro F1 | macro ROC AUC | "
        + " | ".join(f"recall {n}" for n in minority)
        + " | below 0.8 recall |",
        "|---|---|" + "---:|" * (4 + len(minority)) + "---|",
    ]
    for variant, reports in results.items():
        for split, report in reports.items():
            s = report.summary()
            recalls = " | ".join(f"{report.recall[n]:.2f}" for n in minority)
            lines.append(
                f"| {variant} | {split} | {s['accuracy']:.3f} | {s['balanced_accuracy']:.3f} | "
                f"{s['macro_f1']:.3f} | {s['roc_auc_macro']:.3f} | {recalls} | "
                f"{', '.join(report.below_target) or '–'} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the dataset split and the oversampling")
    parser.add_argument("--model", choices=list(MODEL_NAMES), default="logistic", help="the classifier")
    args = parser.parse_args()

    dataset = embedlab.create("dataset", "imbalanced-digits", seed=args.seed)
    models = fit_variants(dataset, args.seed, args.model)
    results = {name: evaluate(model, dataset) for name, model in models.items()}
    for name, reports in results.items():
        save_reports(reports, args.out / name, title=f"imbalanced-digits, {MODEL_NAMES[args.model]}, {name}")
    for split in ("val", "test"):  # how minority recall changes with each remedy
        by_variant = {name: reports[split] for name, reports in results.items()}
        fig = plots.recall_bars(by_variant, title=f"{split} split, by variant")
        save_figure(fig, args.out / f"{split}-recall-by-variant.png")
    summary = summary_markdown(results, dataset, args.model)
    with atomic_write(args.out / "summary.md") as fh:
        fh.write(summary)
    print(summary)
    print(f"reports and figures in {args.out}/<variant>/, summary in {args.out / 'summary.md'}")


if __name__ == "__main__":
    main()
