"""classification_report: parity with scikit-learn on random inputs, the report's views, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from embedlab import InputError, metrics
from embedlab.metrics import UndefinedMetricWarning

TOL = 1e-9


def random_case(seed: int, n: int, classes: int, every_class: bool = True):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    if every_class:
        y[:classes] = np.arange(classes)
        rng.shuffle(y)
    logits = rng.normal(size=(n, classes)) * rng.uniform(0.1, 4)
    logits[np.arange(n), y] += rng.uniform(0, 2)  # some signal, so the metrics are not all trivial
    return y, logits


def probabilities(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


cases = st.tuples(st.integers(0, 2**32 - 1), st.integers(8, 80), st.integers(2, 6))


@settings(max_examples=40, deadline=None)
@given(cases)
def test_matches_scikit_learn_on_random_probabilities(case):
    seed, n, classes = case
    y, logits = random_case(seed, n, classes)
    proba = probabilities(logits)
    names = [f"c{i}" for i in range(classes)]
    got = metrics.classification_report(y, proba, names).to_dict()
    pred = proba.argmax(axis=1)
    labels = list(range(classes))

    expected = skm.classification_report(
        y, pred, labels=labels, target_names=names, output_dict=True, zero_division=0.0
    )
    for key, value in expected.items():
        if isinstance(value, dict):
            for metric, v in value.items():
                assert got[key][metric] == pytest.approx(v, abs=TOL), (key, metric)
        else:
            assert got[key] == pytest.approx(value, abs=TOL), key

    for c, name in enumerate(names):
        assert got["roc_auc"][name] == pytest.approx(skm.roc_auc_score(y == c, proba[:, c]), abs=TOL)
        assert got["average_precision"][name] == pytest.approx(
            skm.average_precision_score(y == c, proba[:, c]), abs=TOL
        )
    if classes == 2:
        macro_auc = skm.roc_auc_score(y, proba[:, 1])
    else:
        macro_auc = skm.roc_auc_score(y, proba, multi_class="ovr", labels=labels, average="macro")
    assert got["roc_auc"]["macro"] == pytest.approx(macro_auc, abs=TOL)
    onehot = np.eye(classes)[y]
    assert got["average_precision"]["macro"] == pytest.approx(
        skm.average_precision_score(onehot, proba, average="macro"), abs=TOL
    )

    assert got["confusion_matrix"]["counts"] == skm.confusion_matrix(y, pred, labels=labels).tolist()
    np.testing.assert_allclose(
        got["confusion_matrix"]["normalized"],
        skm.confusion_matrix(y, pred, labels=labels, normalize="true"),
        atol=TOL,
    )
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred), abs=TOL)
    assert got["mcc"] == pytest.approx(skm.matthews_corrcoef(y, pred), abs=TOL)
    kappa = skm.cohen_kappa_score(y, pred, labels=labels)
    assert got["cohen_kappa"] == pytest.approx(kappa, abs=TOL, nan_ok=True)


@settings(max_examples=25, deadline=None)
@given(cases)
def test_logits_are_softmaxed_and_labels_match_scikit_learn(case):
    seed, n, classes = case
    y, logits = random_case(seed, n, classes, every_class=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        from_logits = metrics.classification_report(y, logits, scores="logits").to_dict()
        from_proba = metrics.classification_report(y, probabilities(logits)).to_dict()
    for c in map(str, range(classes)):
        assert from_logits[c] == pytest.approx(from_proba[c], abs=TOL)
        assert from_logits["roc_auc"][c] == pytest.approx(from_proba["roc_auc"][c], abs=TOL, nan_ok=True)

    pred = logits.argmax(axis=1)
    hard = metrics.classification_report(y, pred).to_dict()
    expected = skm.classification_report(y, pred, output_dict=True, zero_division=0.0)
    for key, value in expected.items():
        assert hard[key] == pytest.approx(value, abs=TOL), key
    assert hard["roc_auc"] is None and hard["average_precision"] is None
    assert set(hard["unavailable"]) == {"roc_auc", "average_precision"}


def test_views_and_recall_target():
    y = np.array([0] * 10 + [1] * 10 + [2] * 80)
    pred = y.copy()
    pred[:6] = 2  # class 0: recall 0.4
    pred[10:11] = 2  # class 1: recall 0.9
    report = metrics.classification_report(y, pred, ["nevus", "melanoma", "other"], recall_target=0.8)
    assert report.below_target == ["nevus"]
    assert report.recall == {"nevus": pytest.approx(0.4), "melanoma": pytest.approx(0.9), "other": 1.0}
    assert report.accuracy == pytest.approx(0.93)
    assert report.balanced_accuracy == pytest.approx((0.4 + 0.9 + 1.0) / 3)
    assert report.confusion_matrix.tolist() == [[4, 0, 6], [0, 9, 1], [0, 0, 80]]
    assert report.confusion_matrix_normalized[0].tolist() == pytest.approx([0.4, 0, 0.6])

    frame = report.to_frame()
    assert list(frame.index[:3]) == ["nevus", "melanoma", "other"]
    assert frame.loc["nevus", "below_target"] and not frame.loc["other", "below_target"]
    assert frame.loc["macro avg", "f1-score"] == pytest.approx(report.macro_f1)

    md = report.to_markdown(title="test")
    assert "### test" in md and "| nevus |" in md and "**0.400**" in md
    assert "Recall below the target 0.8: nevus." in md
    assert "roc_auc unavailable" in md

    d = report.to_dict()
    d["nevus"]["recall"] = 99  # to_dict returns a copy
    assert report.recall["nevus"] == pytest.approx(0.4)


def test_split_reports_side_by_side():
    names = ["a", "b", "c"]
    splits = {}
    for i, split in enumerate(["train", "val", "test"]):
        y, logits = random_case(i, 60, 3)
        splits[split] = (y, probabilities(logits))
    reports = metrics.classification_reports(splits, names, recall_target=0.9)
    assert list(reports) == ["train", "val", "test"]
    summary = reports.summary()
    assert list(summary.index) == ["train", "val", "test"]
    assert summary.loc["val", "accuracy"] == pytest.approx(reports["val"].accuracy)
    recall = reports.to_frame()["recall"]
    assert list(recall.columns) == ["train", "val", "test"]
    assert recall.loc["b", "test"] == pytest.approx(reports["test"].recall["b"])
    md = reports.to_markdown()
    assert "## Summary" in md and "## Recall per class" in md and "### val" in md
    assert set(reports.to_dict()) == {"train", "val", "test"}
    other = metrics.classification_report([0, 1], [0, 1])
    with pytest.raises(InputError, match="same class_names"):
        metrics.SplitReports({"train": reports["train"], "val": other})


def test_binary_one_column_probabilities():
    y = np.array([0, 0, 1, 1, 1, 0])
    p1 = np.array([0.1, 0.6, 0.8, 0.7, 0.4, 0.2])
    report = metrics.classification_report(y, p1)
    assert report.roc_auc["1"] == pytest.approx(skm.roc_auc_score(y, p1))
    assert report.y_pred.tolist() == [0, 1, 1, 1, 0, 0]


# Bad input ---------------------------------------------------------------------------------------


def test_length_mismatch():
    with pytest.raises(InputError, match="y_true has 3 rows but y_score has 2"):
        metrics.classification_report([0, 1, 1], [[0.5, 0.5], [0.1, 0.9]])


def test_probabilities_not_summing_to_one_suggest_logits():
    scores = np.array([[0.2, 0.3], [0.9, 0.8]])
    with pytest.raises(InputError, match="sum to 1.*scores='logits'"):
        metrics.classification_report([0, 1], scores, scores="probabilities")
    with pytest.raises(InputError, match="scores='logits'"):
        metrics.classification_report([0, 1], scores)  # auto cannot tell
    with pytest.raises(InputError, match="outside \\[0, 1\\].*scores='logits'"):
        metrics.classification_report([0, 1], [[2.0, -1.0], [0.0, 1.0]], scores="probabilities")
    # logits in auto mode: values outside [0, 1] are read as logits
    assert metrics.classification_report([0, 1], [[2.0, -1.0], [0.0, 1.0]]).scores == "logits"


def test_class_missing_from_score_columns():
    with pytest.raises(InputError, match="class\\(es\\) \\[3\\] but y_score has only 3 columns"):
        metrics.classification_report([0, 1, 3], np.full((3, 3), 1 / 3))
    with pytest.raises(InputError, match="class_names has 2 names but y_score has 3 columns"):
        metrics.classification_report([0, 1, 2], np.full((3, 3), 1 / 3), ["a", "b"])


def test_single_class_split_gives_nan_auc_with_a_warning():
    y = np.zeros(5, dtype=int)
    proba = probabilities(np.random.default_rng(0).normal(size=(5, 3)))
    with pytest.warns(UndefinedMetricWarning) as record:
        report = metrics.classification_report(y, proba)
    messages = [str(w.message) for w in record]
    assert any("ROC AUC is undefined for class(es) ['0', '1', '2']" in m for m in messages)
    assert any("average precision is undefined for class(es) ['1', '2']" in m for m in messages)
    assert all(math.isnan(v) for v in report.roc_auc.values())
    assert math.isnan(report.average_precision["1"])
    assert report.accuracy == pytest.approx(np.mean(proba.argmax(axis=1) == 0))
    assert "–" in report.to_markdown()


def test_class_absent_from_split_is_left_out_of_macro_auc():
    y = np.array([0, 0, 1, 1, 0, 1])
    proba = probabilities(np.random.default_rng(1).normal(size=(6, 3)))
    with pytest.warns(UndefinedMetricWarning, match="\\['2'\\]"):
        report = metrics.classification_report(y, proba)
    assert math.isnan(report.roc_auc["2"])
    assert report.roc_auc["macro"] == pytest.approx((report.roc_auc["0"] + report.roc_auc["1"]) / 2)
    assert "2" not in report.below_target  # no support: nothing to flag


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_scores(bad):
    scores = np.array([[0.5, 0.5], [bad, 0.1]])
    with pytest.raises(InputError, match="NaN or infinite values in 1 of 2 rows"):
        metrics.classification_report([0, 1], scores)


def test_other_bad_input():
    with pytest.raises(InputError, match="scores='nope' is unknown"):
        metrics.classification_report([0, 1], [0, 1], scores="nope")
    with pytest.raises(InputError, match="empty"):
        metrics.classification_report([], [])
    with pytest.raises(InputError, match="class_names must be unique"):
        metrics.classification_report([0, 1], [0, 1], ["a", "a"])
    with pytest.raises(InputError, match="recall_target"):
        metrics.classification_report([0, 1], [0, 1], recall_target=2)
    with pytest.raises(InputError, match="needs 1-D hard predictions"):
        metrics.classification_report([0, 1], [[1.0, 0.0], [0.0, 1.0]], scores="labels")


def test_labels_may_be_class_names():
    names = ["akiec", "bcc", "nv"]
    y = np.array(["nv", "bcc", "nv", "akiec"])
    proba = np.array([[0.1, 0.1, 0.8], [0.2, 0.7, 0.1], [0.5, 0.1, 0.4], [0.6, 0.2, 0.2]])
    report = metrics.classification_report(y, proba, names)
    assert report.y_true.tolist() == [2, 1, 2, 0]
    assert report.recall == {"akiec": 1.0, "bcc": 1.0, "nv": 0.5}
    hard = metrics.classification_report(y, np.array(["nv", "bcc", "akiec", "akiec"]), names)
    assert hard.recall == report.recall
    with pytest.raises(InputError, match="\\['mel'\\] that are not among the class_names"):
        metrics.classification_report(np.array(["mel", "nv", "nv", "nv"]), proba, names)
    with pytest.raises(InputError, match="y_score holds class\\(es\\) \\[5\\] but there are 3 class_names"):
        metrics.classification_report([0, 1, 2], [0, 1, 5], names)


def test_repr_is_short_and_notebooks_get_markdown():
    y, logits = random_case(0, 500, 3)
    report = metrics.classification_report(y, probabilities(logits))
    assert repr(report).startswith("ClassificationReport(3 classes, 500 samples, accuracy=")
    assert len(repr(report)) < 200
    assert report._repr_markdown_() == report.to_markdown()
    assert "train=ClassificationReport(" in repr(metrics.SplitReports({"train": report}))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 6), st.floats(0.05, 0.9))
def test_rows_not_summing_to_one_always_point_to_logits(seed, classes, shrink):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, 20)
    scores = rng.dirichlet(np.ones(classes), 20) * shrink  # in [0, 1], rows sum to `shrink`
    with pytest.raises(InputError, match="scores='logits'"):
        metrics.classification_report(y, scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # 20 rows may miss a class
        report = metrics.classification_report(y, scores, scores="logits")  # the suggestion works
    assert report.scores == "logits"


def test_whole_number_float_labels_are_integer_labels():
    report = metrics.classification_report(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 1.0]))
    assert report.class_names == ("0", "1", "2") and report.scores == "labels"


@settings(max_examples=25, deadline=None)
@given(cases)
def test_per_class_and_one_vs_rest_tables_match_scikit_learn(case):
    seed, n, classes = case
    y, logits = random_case(seed, n, classes, every_class=False)
    names = [f"c{i}" for i in range(classes)]
    report = metrics.classification_report(y, logits, names, scores="logits")
    pred = logits.argmax(axis=1)
    labels = list(range(classes))
    expected = skm.classification_report(
        y, pred, labels=labels, target_names=names, output_dict=True, zero_division=0.0
    )
    table = report.per_class_table()
    assert list(table) == [*names, "macro avg", "weighted avg"]
    for row, values in table.items():
        for metric in ("precision", "recall", "f1-score"):
            assert values[metric] == pytest.approx(expected[row][metric], abs=TOL), (row, metric)
        assert values["support"] == expected[row]["support"] and isinstance(values["support"], int)
    ovr = report.one_vs_rest()
    for c, name in enumerate(names):
        truth, guess = y == c, pred == c
        assert ovr[name] == {
            "TP": int((truth & guess).sum()),
            "FP": int((~truth & guess).sum()),
            "FN": int((truth & ~guess).sum()),
            "TN": int((~truth & ~guess).sum()),
        }
