"""Bad-input catalogue for the metric functions' labels (scikit-learn's ``type_of_target`` rule).

Each case checks the typed error, that the message names the bad argument, and that nothing
was written. Float labels that are whole numbers stay accepted (last test).
"""

from __future__ import annotations

import numpy as np
import pytest
from bad_inputs import api_error

from embedlab import metrics
from embedlab.errors import InputError
from embedlab.metrics.accuracy import Accuracy
from embedlab.metrics.clustering import clustering
from embedlab.metrics.scores import BalancedAccuracy

X = np.random.default_rng(0).normal(size=(6, 3))
GOOD = [0, 1, 0, 1, 0, 1]
PROBA = np.full((6, 2), 0.5)

BAD_LABELS = {
    "fractional": ([0, 1.5, 1, 0, 1, 0], "not whole numbers"),
    "nan": ([0, np.nan, 1, 0, 1, 0], "NaN"),
    "inf": (np.array([0, np.inf, 1, 0, 1, 0]), "NaN or infinite"),
    "mixed-str-int": ([0, "a", 1, 0, 1, 0], "mixes label types (int, str)"),
    "object-with-none": (np.array([0, None, 1, 0, 1, 0], dtype=object), "NoneType"),
    "two-d": ([[0], [1], [0], [1], [0], [1]], "1-D"),
    "complex": (np.array(GOOD, dtype=complex), "complex128"),
}

ENTRY_POINTS = {
    "retrieval-query_labels": (lambda y: metrics.retrieval(X, y), "query_labels"),
    "retrieval-reference_labels": (lambda y: metrics.retrieval(X, GOOD, X, y), "reference_labels"),
    "classification_report-y_true": (lambda y: metrics.classification_report(y, PROBA), "y_true"),
    "clustering-labels": (lambda y: clustering(X, y, include=("nmi",)), "labels"),
    "accuracy-y_true": (lambda y: Accuracy()(y, GOOD), "y_true"),
}

CASES = [
    pytest.param(call, labels, [arg, named], id=f"{entry}-{bad}")
    for entry, (call, arg) in ENTRY_POINTS.items()
    for bad, (labels, named) in BAD_LABELS.items()
]

OTHER_CASES = {
    "retrieval-string-labels": (
        lambda: metrics.retrieval(X, list("ababab")),
        ["query_labels", "strings", "np.unique"],
    ),
    "retrieval-length-mismatch": (lambda: metrics.retrieval(X, [0, 1, 0]), ["query", "3 labels"]),
    "report-hard-labels-fractional": (
        lambda: metrics.classification_report(GOOD, [0, 1, 0.5, 1, 0, 1], scores="labels"),
        ["y_score", "not whole numbers"],
    ),
    "report-hard-labels-mixed": (
        lambda: metrics.classification_report(GOOD, [0, "b", 0, 1, 0, 1]),
        ["y_score", "mixes label types"],
    ),
    "report-numbers-vs-strings": (
        lambda: metrics.classification_report(GOOD, list("ababab")),
        ["y_true holds numbers", "y_score holds strings"],
    ),
    "report-length-mismatch": (lambda: metrics.classification_report([0, 1], PROBA), ["y_true has 2 rows"]),
    "balanced-accuracy-fractional": (lambda: BalancedAccuracy()([0, 0.5, 1, 0, 1, 0], PROBA), ["y_true"]),
    "accuracy-strings-vs-numbers": (
        lambda: Accuracy()(list("ababab"), GOOD),
        ["y_true holds strings", "y_score holds numbers"],
    ),
    "accuracy-nan-scores": (
        lambda: Accuracy()(GOOD, np.where(np.eye(6, 2) > 0, np.nan, 0.5)),
        ["y_score", "finite"],
    ),
    "clustering-length-mismatch": (lambda: clustering(X, [0, 1]), ["labels has 2"]),
}


@pytest.mark.parametrize(("call", "labels", "names"), CASES)
def test_bad_labels_are_refused(tmp_path, call, labels, names):
    api_error(lambda: call(labels), InputError, names, cwd=tmp_path)


@pytest.mark.parametrize(("call", "names"), OTHER_CASES.values(), ids=OTHER_CASES.keys())
def test_other_bad_label_inputs(tmp_path, call, names):
    api_error(call, InputError, names, cwd=tmp_path)


@pytest.mark.parametrize(
    "labels", [[0.0, 1.0, 0.0, 1.0, 0.0, 1.0], [False, True] * 3], ids=["floats", "bools"]
)
def test_whole_number_and_boolean_labels_stay_accepted(labels):
    assert metrics.retrieval(X, labels) == metrics.retrieval(X, GOOD)
    assert (
        metrics.classification_report(labels, PROBA).to_dict()
        == metrics.classification_report(GOOD, PROBA).to_dict()
    )
