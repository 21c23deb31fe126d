"""Single-number classification metrics as callables, for configs: ``metric(y_true, y_score) -> float``.

Each reads ``y_score`` as :func:`~embedlab.metrics.classification.read_scores` does and asks
scikit-learn for the value. For everything at once use ``classification-report``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from embedlab.errors import InputError
from embedlab.metrics.classification import (
    ClassificationReport,
    ScoreKind,
    _per_class_score,
    classification_report,
    read_scores,
)

__all__ = [
    "AveragePrecision",
    "BalancedAccuracy",
    "ClassificationReportMetric",
    "CohenKappa",
    "F1",
    "MCC",
    "Precision",
    "Recall",
    "RocAuc",
]


class _LabelMetric(ABC):
    """A metric of hard predictions: ``y_score`` may be scores, reduced to their arg-max."""

    def __init__(self, scores: ScoreKind = "auto") -> None:
        self.scores = scores

    @abstractmethod
    def _compute(self, y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
        """The metric of class indices ``y_true`` and ``y_pred``."""

    def __call__(self, y_true: ArrayLike, y_score: ArrayLike) -> float:
        """Score labels ``(N,)`` against ``y_score``: labels ``(N,)`` or scores ``(N, C)``."""
        data = read_scores(y_true, y_score, scores=self.scores)
        return float(self._compute(data.y_true, data.y_pred, len(data.class_names)))


class BalancedAccuracy(_LabelMetric):
    """Mean per-class recall (scikit-learn ``balanced_accuracy_score``)."""

    def _compute(self, y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
        from sklearn.metrics import balanced_accuracy_score

        return float(balanced_accuracy_score(y_true, y_pred))


class _Averaged(_LabelMetric):
    func_name = ""

    def __init__(
        self, scores: ScoreKind = "auto", average: str = "macro", zero_division: float = 0.0
    ) -> None:
        super().__init__(scores)
        self.average = average
        self.zero_division = zero_division

    def _compute(self, y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
        from sklearn import metrics as skm

        func: Callable[..., Any] = getattr(skm, self.func_name)
        return float(
            func(
                y_true,
                y_pred,
                labels=list(range(num_classes)),
                average=self.average,
                zero_division=self.zero_division,
            )
        )


class Precision(_Averaged):
    """Precision averaged over classes (scikit-learn ``precision_score``)."""

    func_name = "precision_score"


class Recall(_Averaged):
    """Recall averaged over classes (scikit-learn ``recall_score``); macro recall is balanced accuracy."""

    func_name = "recall_score"


class F1(_Averaged):
    """F1 averaged over classes (scikit-learn ``f1_score``)."""

    func_name = "f1_score"


class CohenKappa(_LabelMetric):
    """Cohen's kappa: agreement beyond chance (scikit-learn ``cohen_kappa_score``)."""

    def __init__(self, scores: ScoreKind = "auto", weights: str | None = None) -> None:
        super().__init__(scores)
        self.weights = weights

    def _compute(self, y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
        from sklearn.metrics import cohen_kappa_score

        return float(cohen_kappa_score(y_true, y_pred, labels=list(range(num_classes)), weights=self.weights))


class MCC(_LabelMetric):
    """Matthews correlation coefficient (scikit-learn ``matthews_corrcoef``)."""

    def _compute(self, y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
        from sklearn.metrics import matthews_corrcoef

        return float(matthews_corrcoef(y_true, y_pred))


class _ScoreMetric:
    metric = ""

    def __init__(self, scores: ScoreKind = "auto") -> None:
        self.scores = scores

    def __call__(self, y_true: ArrayLike, y_score: ArrayLike) -> float:
        """Macro average over classes of the one-vs-rest value; needs ``(N, C)`` scores."""
        data = read_scores(y_true, y_score, scores=self.scores)
        if data.probabilities is None:
            raise InputError(f"{self.metric} needs class scores (N, classes); y_score held hard labels")
        return _per_class_score(self.metric, data.y_true, data.probabilities, data.class_names)["macro"]


class RocAuc(_ScoreMetric):
    """Macro one-vs-rest ROC AUC; classes absent from the split are NaN and left out (with a warning)."""

    metric = "roc_auc"


class AveragePrecision(_ScoreMetric):
    """Macro average precision (PR AUC); classes absent from the split are left out (with a warning)."""

    metric = "average_precision"


class ClassificationReportMetric:
    """The ``classification-report`` metric: ``metric(y_true, y_score) -> ClassificationReport``."""

    def __init__(
        self, scores: ScoreKind = "auto", recall_target: float = 0.8, zero_division: float = 0.0
    ) -> None:
        self.scores, self.recall_target, self.zero_division = scores, recall_target, zero_division

    def __call__(
        self, y_true: ArrayLike, y_score: ArrayLike, class_names: list[str] | None = None
    ) -> ClassificationReport:
        """Build the report (see :func:`~embedlab.metrics.classification.classification_report`)."""
        return classification_report(
            y_true,
            y_score,
            class_names,
            scores=self.scores,
            recall_target=self.recall_target,
            zero_division=self.zero_division,
        )
