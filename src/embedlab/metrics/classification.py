"""Classification reports for imbalanced data, computed by scikit-learn.

:func:`classification_report` reads labels and scores (probabilities, logits or hard
predictions), checks them, and returns a :class:`ClassificationReport`: scikit-learn's
``classification_report(output_dict=True)`` plus balanced accuracy, one-vs-rest ROC AUC and
average precision per class, the confusion matrix (counts and normalised), Cohen's kappa and
MCC, and the classes whose recall falls below a target. :class:`SplitReports` puts the reports
of several splits (train, validation, test) side by side.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from embedlab.errors import InputError
from embedlab.io import escape_markdown
from embedlab.metrics.labels import check_labels, check_same_label_type

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ClassificationReport",
    "ScoreKind",
    "SplitReports",
    "UndefinedMetricWarning",
    "classification_report",
    "classification_reports",
    "read_scores",
]

logger = logging.getLogger(__name__)

ScoreKind = Literal["auto", "probabilities", "logits", "labels"]

#: How far a row of probabilities may stray from summing to 1 (float32 softmax rounding).
PROBABILITY_TOLERANCE = 1e-4

_AVERAGES = ("micro avg", "macro avg", "weighted avg")


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for this data (e.g. ROC AUC of a class absent from a split) and is NaN."""


@dataclass(frozen=True)
class _Scores:
    """Validated inputs: class indices ``0..C-1``, predictions, and probabilities when available."""

    y_true: np.ndarray
    y_pred: np.ndarray
    probabilities: np.ndarray | None
    class_names: tuple[str, ...]
    kind: str


def _softmax(logits: np.ndarray) -> np.ndarray:
    from scipy.special import softmax

    return np.asarray(softmax(logits, axis=1), dtype=np.float64)


def _check_probabilities(score: np.ndarray) -> None:
    if score.min() < 0 or score.max() > 1:
        raise InputError(
            f"y_score holds values outside [0, 1] (from {score.min():.4g} to {score.max():.4g}), so they "
            "are not probabilities; if they are logits or unnormalised scores pass scores='logits' to "
            "apply a softmax"
        )
    sums = score.sum(axis=1)
    bad = np.abs(sums - 1) > PROBABILITY_TOLERANCE
    if bad.any():
        raise InputError(
            f"y_score rows must sum to 1 to be probabilities, but {int(bad.sum())} of {len(sums)} rows "
            f"sum to between {sums.min():.4g} and {sums.max():.4g}; if they are logits or unnormalised "
            "scores (e.g. per-class sigmoid outputs) pass scores='logits' to apply a softmax, "
            "or normalise them"
        )


def _integral(values: np.ndarray) -> bool:
    if values.dtype.kind in "iub":
        return True
    if values.dtype.kind == "f":
        return bool(np.all(np.mod(values, 1) == 0))
    return False


def _as_class_indices(
    values: np.ndarray,
    num_classes: int,
    names: Sequence[str] | None = None,
    what: str = "y_true",
    columns: bool = True,
) -> np.ndarray:
    """Class indices ``0..C-1`` from integer labels, or from class names when ``names`` are given."""
    where = f"y_score has only {num_classes} columns" if columns else f"there are {num_classes} class_names"
    if values.dtype.kind in "USO" and names is not None:
        lookup = {str(n): i for i, n in enumerate(names)}
        strings = values.astype(str)
        unknown = sorted(set(strings.tolist()) - set(lookup))
        if unknown:
            raise InputError(
                f"{what} holds class(es) {unknown} that are not among the class_names {list(lookup)}; "
                "give one name (and one score column) per class"
            )
        return np.array([lookup[v] for v in strings.tolist()], dtype=np.int64)
    if not _integral(values):
        raise InputError(
            f"{what} must hold integer class indices 0..C-1 (or class names, with class_names given); "
            f"got values of dtype {values.dtype}"
        )
    indices = values.astype(np.int64)
    outside = np.unique(indices[(indices < 0) | (indices >= num_classes)])
    if outside.size:
        raise InputError(
            f"{what} holds class(es) {outside.tolist()} but {where} (classes 0..{num_classes - 1}); "
            "give one score column and one name per class, in label order"
        )
    return indices


def read_scores(
    y_true: ArrayLike,
    y_score: ArrayLike,
    class_names: Sequence[str] | None = None,
    scores: ScoreKind = "auto",
) -> _Scores:
    """Validate labels and scores and turn them into class indices, predictions and probabilities.

    Parameters
    ----------
    y_true
        True labels ``(N,)``: integer class indices ``0..C-1``, or class names when
        ``class_names`` is given.
    y_score
        ``(N, C)`` probabilities or logits, ``(N,)`` probabilities of class 1 (binary), or
        ``(N,)`` hard predictions.
    class_names
        One name per class; defaults to the labels as strings.
    scores
        How to read ``y_score``: ``"probabilities"`` (rows sum to 1), ``"logits"`` (a softmax is
        applied), ``"labels"`` (hard predictions: score-based metrics are unavailable) or
        ``"auto"``: 1-D integer values are labels, 1-D values in [0, 1] binary probabilities;
        2-D rows that are non-negative and sum to 1 are probabilities, rows with a value outside
        [0, 1] are logits, and anything else is refused as ambiguous.

    Raises
    ------
    InputError
        Length mismatch, NaN or infinite values, probabilities not summing to 1, a label with
        no score column, or class names that do not match the classes.
    """
    if scores not in ("auto", "probabilities", "logits", "labels"):
        raise InputError(f"scores={scores!r} is unknown; use 'auto', 'probabilities', 'logits' or 'labels'")
    true = check_labels(y_true, "y_true")
    score = np.asarray(y_score)
    if score.ndim not in (1, 2):
        raise InputError(f"y_score must be (N,) or (N, classes); got shape {score.shape}")
    if len(true) != len(score):
        raise InputError(f"y_true has {len(true)} rows but y_score has {len(score)}; they must match")
    if len(true) == 0:
        raise InputError("y_true and y_score are empty; a report needs at least one sample")
    if score.dtype.kind in "fc" and not np.isfinite(score).all():
        bad = (
            int((~np.isfinite(score)).any(axis=-1).sum())
            if score.ndim == 2
            else int((~np.isfinite(score)).sum())
        )
        raise InputError(
            f"y_score holds NaN or infinite values in {bad} of {len(score)} rows; check the model's outputs "
            "(e.g. a diverged training run) before evaluating"
        )

    kind = scores
    if kind == "auto":
        if score.ndim == 1:
            kind = "labels" if _integral(score) or score.dtype.kind not in "fc" else "probabilities"
        elif score.min() < 0 or score.max() > 1:
            kind = "logits"
        else:
            kind = "probabilities"
        logger.debug("y_score read as %s", kind)

    if kind == "labels":
        if score.ndim != 1:
            raise InputError(
                f"scores='labels' needs 1-D hard predictions; got shape {score.shape}; "
                "pass scores='probabilities' or 'logits' for one column per class"
            )
        # whole-number floats (e.g. labels read from a CSV) are integer labels
        score = check_labels(y_score, "y_score")
        if class_names is not None:
            num = len(class_names)
            true_idx = _as_class_indices(true, num, class_names, "y_true", columns=False)
            pred_idx = _as_class_indices(score, num, class_names, "y_score", columns=False)
            names = tuple(str(n) for n in class_names)
        else:
            check_same_label_type(true, "y_true", score, "y_score")
            classes = np.unique(np.concatenate([true, score]))
            true_idx = np.searchsorted(classes, true)
            pred_idx = np.searchsorted(classes, score)
            names = tuple(str(c) for c in classes)
        return _Scores(true_idx, pred_idx, None, _unique_names(names), "labels")

    if score.dtype.kind not in "iufb":
        raise InputError(f"y_score must be numeric to be read as {kind}; got dtype {score.dtype}")
    score = score.astype(np.float64)
    if score.ndim == 1:
        if kind == "logits":
            raise InputError("scores='logits' needs one column per class, (N, classes); got a 1-D y_score")
        if score.min() < 0 or score.max() > 1:
            raise InputError(
                "a 1-D float y_score is read as the probability of class 1, but it holds values outside "
                "[0, 1]; pass (N, classes) logits with scores='logits', or hard labels with scores='labels'"
            )
        score = np.stack([1 - score, score], axis=1)
    if kind == "logits":
        probabilities = _softmax(score)
    else:
        try:
            _check_probabilities(score)
        except InputError as exc:
            if scores == "auto":
                raise InputError(f"{exc} (scores='auto' could not tell what y_score holds)") from None
            raise
        probabilities = score
    num = probabilities.shape[1]
    if num < 2:
        raise InputError(f"y_score has {num} column; a classifier's scores need one column per class (>= 2)")
    if class_names is None:
        names = tuple(str(c) for c in range(num))
    else:
        names = tuple(str(n) for n in class_names)
        if len(names) != num:
            raise InputError(
                f"class_names has {len(names)} names but y_score has {num} columns; give one name per column"
            )
    true_idx = _as_class_indices(true, num, class_names)
    return _Scores(true_idx, probabilities.argmax(axis=1), probabilities, _unique_names(names), kind)


def _unique_names(names: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(names)) != len(names):
        raise InputError(f"class_names must be unique; got {list(names)}")
    if set(names) & {"accuracy", "macro", *_AVERAGES}:
        raise InputError(
            f"class_names {list(names)} clash with the report's summary keys; rename those classes"
        )
    return names


def _per_class_score(
    metric: str, y_true: np.ndarray, probabilities: np.ndarray, class_names: tuple[str, ...]
) -> dict[str, float]:
    """One-vs-rest ``roc_auc`` or ``average_precision`` per class, NaN (with a warning) where undefined."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    func = roc_auc_score if metric == "roc_auc" else average_precision_score
    out: dict[str, float] = {}
    undefined = []
    for c, name in enumerate(class_names):
        positive = y_true == c
        # ROC AUC needs both positives and negatives; average precision needs positives.
        if not positive.any() or (metric == "roc_auc" and positive.all()):
            out[name] = math.nan
            undefined.append(name)
        else:
            out[name] = float(func(positive, probabilities[:, c]))
    defined = [v for v in out.values() if not math.isnan(v)]
    out["macro"] = float(np.mean(defined)) if defined else math.nan
    if undefined:
        label = "ROC AUC" if metric == "roc_auc" else "average precision"
        warnings.warn(
            f"{label} is undefined for class(es) {undefined}: the split has no "
            f"{'positive or no negative' if metric == 'roc_auc' else 'positive'} sample of them; "
            "they are NaN and left out of the macro average",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    return out


@dataclass(frozen=True, eq=False)
class ClassificationReport:
    """The evaluation of one split; build it with :func:`classification_report`.

    Attributes
    ----------
    y_true, y_pred
        Class indices ``0..C-1``.
    probabilities
        ``(N, C)`` class probabilities, or ``None`` when only hard predictions were given.
    class_names
        One name per class.
    recall_target
        Classes whose recall is below it are flagged (:attr:`below_target`).
    scores
        How ``y_score`` was read: ``"probabilities"``, ``"logits"`` or ``"labels"``.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    probabilities: np.ndarray | None
    class_names: tuple[str, ...]
    recall_target: float
    scores: str
    _values: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"ClassificationReport({len(self.class_names)} classes, {len(self.y_true)} samples, "
            f"accuracy={self.accuracy:.3f}, balanced_accuracy={self.balanced_accuracy:.3f}, "
            f"macro_f1={self.macro_f1:.3f}, below_target={self.below_target})"
        )

    def _repr_markdown_(self) -> str:  # shown by Jupyter
        return self.to_markdown()

    def to_dict(self) -> dict[str, Any]:
        """scikit-learn's ``classification_report(output_dict=True)`` layout, extended.

        Keys: one per class name and ``accuracy``, ``macro avg``, ``weighted avg`` (scikit-learn's),
        ``micro avg``, ``balanced_accuracy``, ``roc_auc`` and ``average_precision`` (``{class: value,
        "macro": value}``, or ``None`` when only labels were given), ``confusion_matrix``
        (``{"labels", "counts", "normalized"}``, rows are true classes, normalised over each row),
        ``cohen_kappa``, ``mcc``, ``recall_target``, ``below_recall_target`` (class names),
        ``scores`` and ``unavailable`` (metric name to the reason it could not be computed).
        """
        import copy

        return copy.deepcopy(self._values)

    # Convenient views of the values -------------------------------------------------------------
    @property
    def accuracy(self) -> float:
        """Fraction of correct predictions."""
        return float(self._values["accuracy"])

    @property
    def balanced_accuracy(self) -> float:
        """Mean per-class recall."""
        return float(self._values["balanced_accuracy"])

    @property
    def macro_f1(self) -> float:
        """Unweighted mean of the per-class F1 scores."""
        return float(self._values["macro avg"]["f1-score"])

    @property
    def recall(self) -> dict[str, float]:
        """Recall of each class."""
        return {name: float(self._values[name]["recall"]) for name in self.class_names}

    @property
    def roc_auc(self) -> dict[str, float] | None:
        """One-vs-rest ROC AUC per class and ``"macro"``; ``None`` without scores."""
        value = self._values["roc_auc"]
        return dict(value) if value is not None else None

    @property
    def average_precision(self) -> dict[str, float] | None:
        """Average precision (PR AUC) per class and ``"macro"``; ``None`` without scores."""
        value = self._values["average_precision"]
        return dict(value) if value is not None else None

    @property
    def confusion_matrix(self) -> np.ndarray:
        """Counts ``(C, C)``: row = true class, column = predicted class."""
        return np.asarray(self._values["confusion_matrix"]["counts"])

    @property
    def confusion_matrix_normalized(self) -> np.ndarray:
        """The confusion matrix divided by each row's total (the diagonal is the recall)."""
        return np.asarray(self._values["confusion_matrix"]["normalized"])

    @property
    def below_target(self) -> list[str]:
        """Classes whose recall is below :attr:`recall_target`, in class order."""
        return list(self._values["below_recall_target"])

    def per_class_table(self) -> dict[str, dict[str, float]]:
        """scikit-learn's ``classification_report`` as a table: a row per class, then ``macro avg``
        and ``weighted avg``; columns ``precision``, ``recall``, ``f1-score`` and ``support``."""
        v = self._values
        columns = ("precision", "recall", "f1-score", "support")
        rows = [*self.class_names, "macro avg", "weighted avg"]
        return {
            row: {c: int(v[row][c]) if c == "support" else float(v[row][c]) for c in columns} for row in rows
        }

    def one_vs_rest(self) -> dict[str, dict[str, int]]:
        """Each class against the rest: ``TP``, ``FP``, ``FN`` and ``TN`` per class, from
        scikit-learn's ``multilabel_confusion_matrix``."""
        from sklearn.metrics import multilabel_confusion_matrix

        matrices = multilabel_confusion_matrix(
            self.y_true, self.y_pred, labels=list(range(len(self.class_names)))
        )
        return {
            name: {"TP": int(m[1, 1]), "FP": int(m[0, 1]), "FN": int(m[1, 0]), "TN": int(m[0, 0])}
            for name, m in zip(self.class_names, matrices, strict=True)
        }

    def summary(self) -> dict[str, float]:
        """The headline numbers: accuracy, balanced accuracy, macro/weighted F1, macro AUC, kappa, MCC."""
        v = self._values
        recalls = [v[name]["recall"] for name in self.class_names if v[name]["support"] > 0]
        return {
            "accuracy": v["accuracy"],
            "balanced_accuracy": v["balanced_accuracy"],
            "macro_f1": v["macro avg"]["f1-score"],
            "weighted_f1": v["weighted avg"]["f1-score"],
            "macro_recall": v["macro avg"]["recall"],
            "min_recall": float(min(recalls)) if recalls else math.nan,
            "roc_auc_macro": v["roc_auc"]["macro"] if v["roc_auc"] is not None else math.nan,
            "average_precision_macro": (
                v["average_precision"]["macro"] if v["average_precision"] is not None else math.nan
            ),
            "cohen_kappa": v["cohen_kappa"],
            "mcc": v["mcc"],
        }

    def to_frame(self) -> pd.DataFrame:
        """A pandas table: one row per class and per average; precision, recall, F1, support,
        ROC AUC, average precision, and whether recall is below the target."""
        import pandas as pd

        v = self._values
        rows = {}
        for name in self.class_names:
            rows[name] = {
                **v[name],
                "roc_auc": v["roc_auc"][name] if v["roc_auc"] is not None else math.nan,
                "average_precision": (
                    v["average_precision"][name] if v["average_precision"] is not None else math.nan
                ),
                "below_target": name in v["below_recall_target"],
            }
        for avg in _AVERAGES:
            if avg in v:
                macro = avg == "macro avg"
                rows[avg] = {
                    **v[avg],
                    "roc_auc": v["roc_auc"]["macro"] if macro and v["roc_auc"] is not None else math.nan,
                    "average_precision": (
                        v["average_precision"]["macro"]
                        if macro and v["average_precision"] is not None
                        else math.nan
                    ),
                    "below_target": False,
                }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame["support"] = frame["support"].astype(int)
        return frame

    def to_markdown(self, title: str | None = None, digits: int = 3) -> str:
        """A markdown summary: headline numbers, the per-class table (recalls below target in
        bold) and the flagged classes."""
        v = self._values
        s = self.summary()
        lines = [f"### {escape_markdown(title)}", ""] if title else []
        lines.append(
            " · ".join(
                f"{label} {_fmt(s[key], digits)}"
                for key, label in (
                    ("accuracy", "accuracy"),
                    ("balanced_accuracy", "balanced accuracy"),
                    ("macro_f1", "macro F1"),
                    ("roc_auc_macro", "macro ROC AUC"),
                    ("cohen_kappa", "Cohen's kappa"),
                    ("mcc", "MCC"),
                )
            )
        )
        lines.append("")
        header = ["class", "precision", "recall", "f1-score", "support", "ROC AUC", "avg precision"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
        frame = self.to_frame()
        for name, row in frame.iterrows():
            recall = _fmt(row["recall"], digits)
            if row["below_target"]:
                recall = f"**{recall}**"
            cells = [
                escape_markdown(name),
                _fmt(row["precision"], digits),
                recall,
                _fmt(row["f1-score"], digits),
                str(int(row["support"])),
                _fmt(row["roc_auc"], digits),
                _fmt(row["average_precision"], digits),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        flagged = v["below_recall_target"]
        if flagged:
            lines.append(
                f"Recall below the target {self.recall_target:g}: {escape_markdown(', '.join(flagged))}."
            )
        else:
            lines.append(f"Every class reaches the recall target {self.recall_target:g}.")
        for metric, reason in v["unavailable"].items():
            lines.append(f"{metric} unavailable: {reason}.")
        return "\n".join(lines) + "\n"


def _fmt(value: float, digits: int) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def classification_report(
    y_true: ArrayLike,
    y_score: ArrayLike,
    class_names: Sequence[str] | None = None,
    *,
    scores: ScoreKind = "auto",
    recall_target: float = 0.8,
    zero_division: float = 0.0,
) -> ClassificationReport:
    """Evaluate a classifier's outputs on one split, through scikit-learn.

    Parameters
    ----------
    y_true
        True labels ``(N,)``; integer class indices ``0..C-1`` when ``y_score`` has a column per class.
    y_score
        ``(N, C)`` probabilities or logits, ``(N,)`` probabilities of class 1 (binary), or ``(N,)``
        hard predictions. See :func:`read_scores` for how ``scores="auto"`` decides.
    class_names
        One name per class (the keys of the report); defaults to the labels as strings.
    scores
        ``"auto"``, ``"probabilities"``, ``"logits"`` (softmax applied) or ``"labels"``. With hard
        labels, ROC AUC and average precision are ``None`` and listed under ``"unavailable"``.
    recall_target
        Classes with recall below it are flagged (the imbalanced-data exercise asks for 0.8 on every class).
    zero_division
        Value of precision/recall/F1 when their denominator is 0 (scikit-learn's
        ``zero_division``); 0.0 is scikit-learn's default value, without its warning.

    Returns
    -------
    ClassificationReport

    Raises
    ------
    InputError
        Length mismatch, NaN scores, probabilities not summing to 1, a class in ``y_true`` with no
        score column, or class names that do not match.

    Warns
    -----
    UndefinedMetricWarning
        A class has no positive (or no negative) sample in the split: its ROC AUC / average
        precision is NaN and it is left out of the macro average; it never raises.
    """
    from sklearn import metrics as skm

    if not 0 <= recall_target <= 1:
        raise InputError(f"recall_target must be in [0, 1]; got {recall_target}")
    data = read_scores(y_true, y_score, class_names, scores)
    labels = list(range(len(data.class_names)))
    names = list(data.class_names)
    t, p = data.y_true, data.y_pred
    values: dict[str, Any] = skm.classification_report(
        t, p, labels=labels, target_names=names, output_dict=True, zero_division=zero_division
    )
    if "micro avg" not in values:  # scikit-learn reports it as "accuracy" when the two coincide
        micro = skm.precision_recall_fscore_support(
            t, p, labels=labels, average="micro", zero_division=zero_division
        )
        values["micro avg"] = {
            "precision": float(micro[0]),
            "recall": float(micro[1]),
            "f1-score": float(micro[2]),
            "support": float(len(t)),
        }
    if "accuracy" not in values:
        values["accuracy"] = float(skm.accuracy_score(t, p))
    with warnings.catch_warnings():
        # "y_pred contains classes not in y_true": expected when a split lacks a class
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        values["balanced_accuracy"] = float(skm.balanced_accuracy_score(t, p))
    unavailable: dict[str, str] = {}
    if data.probabilities is None:
        values["roc_auc"] = values["average_precision"] = None
        reason = "needs class scores, but y_score held hard labels"
        unavailable = {"roc_auc": reason, "average_precision": reason}
    else:
        values["roc_auc"] = _per_class_score("roc_auc", t, data.probabilities, data.class_names)
        values["average_precision"] = _per_class_score(
            "average_precision", t, data.probabilities, data.class_names
        )
    counts = skm.confusion_matrix(t, p, labels=labels)
    normalized = skm.confusion_matrix(t, p, labels=labels, normalize="true")
    values["confusion_matrix"] = {
        "labels": names,
        "counts": counts.tolist(),
        "normalized": normalized.tolist(),
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)  # 0/0 when one class fills both
        values["cohen_kappa"] = float(skm.cohen_kappa_score(t, p, labels=labels))
    values["mcc"] = float(skm.matthews_corrcoef(t, p))
    values["recall_target"] = recall_target
    values["below_recall_target"] = [
        n for n in names if values[n]["support"] > 0 and values[n]["recall"] < recall_target
    ]
    values["scores"] = data.kind
    values["unavailable"] = unavailable
    return ClassificationReport(
        y_true=t,
        y_pred=p,
        probabilities=data.probabilities,
        class_names=data.class_names,
        recall_target=recall_target,
        scores=data.kind,
        _values=values,
    )


class SplitReports(Mapping[str, ClassificationReport]):
    """Reports of several splits (``train``, ``val``, ``test``) side by side.

    Parameters
    ----------
    reports
        Split name to :class:`ClassificationReport`; all must share the same class names.
    """

    def __init__(self, reports: Mapping[str, ClassificationReport]) -> None:
        if not reports:
            raise InputError("SplitReports needs at least one split")
        first = next(iter(reports.values()))
        for split, report in reports.items():
            if report.class_names != first.class_names:
                raise InputError(
                    f"split {split!r} has classes {list(report.class_names)} but the first split has "
                    f"{list(first.class_names)}; evaluate every split with the same class_names"
                )
        self._reports = dict(reports)
        self.class_names = first.class_names

    def __getitem__(self, split: str) -> ClassificationReport:
        if split not in self._reports:
            raise InputError(f"no split {split!r}; available: {', '.join(self._reports)}")
        return self._reports[split]

    def __iter__(self) -> Iterator[str]:
        return iter(self._reports)

    def __len__(self) -> int:
        return len(self._reports)

    def __repr__(self) -> str:
        return f"SplitReports({', '.join(f'{k}={v!r}' for k, v in self._reports.items())})"

    def _repr_markdown_(self) -> str:  # shown by Jupyter
        return self.to_markdown()

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{split: report.to_dict()}``."""
        return {split: report.to_dict() for split, report in self._reports.items()}

    def summary(self) -> pd.DataFrame:
        """One row per split: accuracy, balanced accuracy, macro F1, macro AUC, kappa, MCC, minimum
        recall and the classes below the recall target."""
        import pandas as pd

        rows = {
            split: {**r.summary(), "below_target": ", ".join(r.below_target)}
            for split, r in self._reports.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def to_frame(
        self, metrics: Sequence[str] = ("precision", "recall", "f1-score", "support")
    ) -> pd.DataFrame:
        """Per-class values with columns ``(metric, split)``, e.g. ``frame["recall"]`` is a class × split
        table."""
        import pandas as pd

        frames = {split: r.to_frame()[list(metrics)] for split, r in self._reports.items()}
        return pd.concat(frames, axis=1).swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)

    def to_markdown(self, digits: int = 3) -> str:
        """Markdown: a summary table of the splits, per-class recall side by side (below target in
        bold), then each split's full report."""
        summary = self.summary()
        cols = [
            "accuracy",
            "balanced_accuracy",
            "macro_f1",
            "roc_auc_macro",
            "cohen_kappa",
            "mcc",
            "min_recall",
        ]
        lines = ["## Summary", "", "| split | " + " | ".join(cols) + " | below recall target |"]
        lines.append("|" + "|".join(["---"] + ["---:"] * len(cols) + ["---"]) + "|")
        for split, row in summary.iterrows():
            cells = [_fmt(float(row[c]), digits) for c in cols]
            flagged = escape_markdown(row["below_target"] or "–")
            lines.append(f"| {escape_markdown(split)} | " + " | ".join(cells) + f" | {flagged} |")
        splits = list(self._reports)
        header = " | ".join(map(escape_markdown, splits))
        lines += ["", "## Recall per class", "", f"| class | {header} |"]
        lines.append("|" + "|".join(["---"] + ["---:"] * len(splits)) + "|")
        for name in self.class_names:
            cells = []
            for split in splits:
                report = self._reports[split]
                cell = _fmt(report.recall[name], digits)
                cells.append(f"**{cell}**" if name in report.below_target else cell)
            lines.append(f"| {escape_markdown(name)} | " + " | ".join(cells) + " |")
        for split, report in self._reports.items():
            lines += ["", report.to_markdown(title=split, digits=digits).rstrip("\n")]
        return "\n".join(lines) + "\n"


def classification_reports(
    splits: Mapping[str, tuple[ArrayLike, ArrayLike]],
    class_names: Sequence[str] | None = None,
    **options: Any,
) -> SplitReports:
    """Evaluate several splits at once.

    Parameters
    ----------
    splits
        Split name to ``(y_true, y_score)``.
    class_names
        One name per class, shared by every split.
    **options
        Passed to :func:`classification_report` (``scores``, ``recall_target``, ``zero_division``).
    """
    return SplitReports(
        {name: classification_report(t, s, class_names, **options) for name, (t, s) in splits.items()}
    )
