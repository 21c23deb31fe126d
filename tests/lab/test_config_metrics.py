"""A config's ``metrics:``: computed by embedlab.run on every split a task returns, or refused up front."""

from __future__ import annotations

import json

import numpy as np
import pytest

import embedlab
from embedlab.lab.report import metric_tables
from embedlab.lab.scoring import metric_labels, metric_value
from embedlab.metrics.retrieval import retrieval
from embedlab.tasks.base import MetricOutputs
from embedlab.tasks.classification import ClassificationTask
from embedlab.tasks.metric_learning import MetricLearningTask

CLASSIFY = {
    "name": "scored",
    "task": "classification",
    "dataset": "digits",
    "backend": {"name": "mlp-classifier", "params": {"units": 16}},
    "train": {"epochs": 1},
    "metrics": ["accuracy", {"name": "f1", "params": {"average": "weighted"}}, "roc-auc"],
}
EMBED = {
    "name": "embedded",
    "task": "metric-learning",
    "dataset": "digits",
    "backend": {"name": "seed-cnn", "params": {"embedding_dim": 8}},
    "loss": "triplet",
    "miner": "random",
    "train": {"epochs": 1, "sampler": "random", "warmup_epochs": 0, "progress": False},
    "study": {"projection": "pca", "splits": ["val"]},
    "metrics": [{"name": "retrieval", "params": {"ks": [1, 3]}}, "nmi"],
}


@pytest.fixture
def returned(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, MetricOutputs]]:
    """What each task's run_section returns, keyed by section, as the lab received it."""
    seen: dict[str, dict[str, MetricOutputs]] = {}
    for task in (ClassificationTask, MetricLearningTask):
        original = task.run_section

        def spy(self, config, run, section, resume, _original=original):
            seen[section] = _original(self, config, run, section, resume)
            return seen[section]

        monkeypatch.setattr(task, "run_section", spy)
    return seen


def test_classification_metrics_equal_the_metrics_on_the_same_outputs(tmp_path, one_thread, returned):
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    result = embedlab.run(CLASSIFY, tmp_path)
    saved = json.loads((result.path / "metrics.json").read_text())["metrics"]["scored"]["metrics"]
    outputs = returned["scored"]
    assert set(saved) == set(outputs) == {"train", "val", "test"}
    for split, out in outputs.items():
        pred = out.scores.argmax(axis=1)
        assert saved[split]["accuracy"] == pytest.approx(accuracy_score(out.labels, pred))
        assert saved[split]["f1"] == pytest.approx(f1_score(out.labels, pred, average="weighted"))
        roc = roc_auc_score(out.labels, out.scores, multi_class="ovr", average="macro")
        assert saved[split]["roc-auc"] == pytest.approx(roc)
    report = (result.path / "report.md").read_text()
    assert "| metrics | accuracy | f1 | roc-auc |" in report
    assert f"| test | {saved['test']['accuracy']:.4g} |" in report


def test_metric_learning_metrics_score_each_split_against_the_training_embeddings(
    tmp_path, one_thread, returned
):
    result = embedlab.run(EMBED, tmp_path)
    saved = result.metrics["embedded"]["metrics"]
    val = returned["embedded"]["val"]
    assert set(saved) == {"val"}
    expected = retrieval(val.embeddings, val.labels, val.reference, val.reference_labels, ks=(1, 3))
    assert saved["val"]["retrieval"] == pytest.approx(expected)
    nmi = embedlab.create("metric", "nmi")(val.embeddings, val.labels)
    assert saved["val"]["nmi"] == pytest.approx(nmi)
    assert "| metrics | retrieval.precision_at_1 |" in (result.path / "report.md").read_text()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {**CLASSIFY, "metrics": ["retrieval"]},
            "metric 'retrieval' takes 'retrieval' inputs.*task 'classification' produces 'scores'",
        ),
        (
            {**EMBED, "metrics": ["accuracy"]},
            "metric 'accuracy' takes 'scores' inputs.*task 'metric-learning' produces 'embeddings'",
        ),
        (
            {"name": "w", "task": "words", "backend": "gensim", "metrics": ["silhouette"]},
            "task 'words' produces no inputs for metrics",
        ),
        (
            {**CLASSIFY, "metrics": ["accuracy", "accuracy"]},
            r"metrics\[1\]: metric 'accuracy' is listed twice",
        ),
        (
            {**CLASSIFY, "metrics": [{"name": "retrieval", "params": {"ks": {"choice": [[1], [5]]}}}]},
            "a metric is not searched",
        ),
        (
            {"name": "suite", "metrics": ["accuracy"], "parts": [{**CLASSIFY, "metrics": []}]},
            "list them in the parts",
        ),
    ],
    ids=["scores-only", "embeddings-only", "words", "twice", "searched", "parts"],
)
def test_metrics_a_task_cannot_feed_are_refused_before_anything_is_written(tmp_path, config, message):
    with pytest.raises(embedlab.ConfigError, match=message):
        embedlab.run(config, tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_metric_repeated_with_other_params_is_labelled_by_them():
    config = embedlab.ExperimentConfig(metrics=["f1", {"name": "f1", "params": {"average": "micro"}}, "mcc"])
    assert metric_labels(config.metrics) == ["f1()", "f1(average=micro)", "mcc"]


def test_metric_values_are_numbers_or_mappings_of_them():
    assert metric_value("m", np.float32(0.5)) == 0.5
    assert metric_value("m", float("nan")) is None  # standard JSON
    assert metric_value("m", {"a": np.int64(2), "b": {"c": 1.5}}) == {"a": 2.0, "b": {"c": 1.5}}
    with pytest.raises(embedlab.InputError, match="metric 'm' returned a str"):
        metric_value("m", "high")


def test_task_outputs_missing_a_metrics_inputs_are_named():
    with pytest.raises(embedlab.InputError, match="need reference, reference_labels"):
        MetricOutputs(labels=[0, 1], embeddings=np.zeros((2, 2))).arguments("retrieval")


def test_the_report_spreads_each_metrics_results_into_columns():
    tables = metric_tables({"metrics": {"val": {"accuracy": 0.5, "retrieval": {"map_at_r": 0.25}}}})
    assert tables == [(["metrics", "accuracy", "retrieval.map_at_r"], [["val", "0.5", "0.25"]])]
