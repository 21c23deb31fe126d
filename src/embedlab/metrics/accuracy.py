"""Accuracy, the simplest classification metric (and the most misleading on imbalanced data)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from pydantic import Field

from embedlab.errors import InputError
from embedlab.metrics.labels import check_labels, check_same_label_type
from embedlab.metrics.params import MetricParams

__all__ = ["Accuracy", "AccuracyParams", "as_predictions"]


class AccuracyParams(MetricParams):
    """Parameters of the ``accuracy`` metric."""

    inputs = "scores"

    normalize: bool = Field(True, description="Return the fraction correct; False returns the count.")


def as_predictions(y_true: ArrayLike, y_score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(y_true, y_pred)``, taking the arg-max of ``y_score`` when it holds one column per class.

    Raises
    ------
    InputError
        If the lengths differ, ``y_score`` has more than two dimensions, scores are not finite
        numbers, or the labels are not class labels (see :func:`~embedlab.metrics.labels.check_labels`).
    """
    true = check_labels(y_true, "y_true")
    score = np.asarray(y_score)
    if score.ndim not in (1, 2):
        raise InputError(f"y_score must be 1-D labels or 2-D (N, classes) scores; got shape {score.shape}")
    if len(true) != len(score):
        raise InputError(f"y_true has {len(true)} rows but y_score has {len(score)}; they must match")
    if score.ndim == 1:
        pred = check_labels(y_score, "y_score")
        check_same_label_type(true, "y_true", pred, "y_score")
        return true, pred
    if score.dtype.kind not in "iufb" or not np.isfinite(score).all():
        raise InputError("y_score (N, classes) scores must be finite numbers; check the model's outputs")
    return true, score.argmax(axis=1)


class Accuracy:
    """Fraction (or count) of correct predictions, through scikit-learn's ``accuracy_score``.

    Parameters
    ----------
    normalize
        Return the fraction correct; ``False`` returns the count.
    """

    def __init__(self, normalize: bool = True) -> None:
        self.normalize = normalize

    def __call__(self, y_true: ArrayLike, y_score: ArrayLike) -> float:
        """Score predictions: ``y_score`` is labels ``(N,)`` or class scores ``(N, C)``."""
        from sklearn.metrics import accuracy_score

        true, pred = as_predictions(y_true, y_score)
        return float(accuracy_score(true, pred, normalize=self.normalize))
