"""``embedlab evaluate FILE``: reads .csv/.npz of labels and scores, writes the report and figures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from embedlab.cli import main
from embedlab.metrics.cli import evaluate_file, read_predictions


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(0)
    y = np.concatenate([np.tile(np.arange(3), 3), rng.integers(0, 3, 81)])
    logits = rng.normal(size=(90, 3))
    logits[np.arange(90), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    split = np.array(["train", "val", "test"] * 30)
    return y, proba, split


def test_npz_with_splits_writes_report_and_figures(tmp_path, predictions):
    y, proba, split = predictions
    path = tmp_path / "preds.npz"
    np.savez(path, y_true=y, y_score=proba, split=split, class_names=np.array(["a", "b", "c"]))
    result = CliRunner().invoke(main, ["evaluate", str(path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "preds-report"
    names = {p.name for p in out.iterdir()}
    for s in ("train", "val", "test"):
        assert {f"{s}-roc.png", f"{s}-pr.png", f"{s}-confusion.png"} <= names
    assert {"report.md", "report.json", "recall.png"} <= names
    report = json.loads((out / "report.json").read_text())
    assert list(report) == ["train", "val", "test"]
    train = split == "train"
    assert report["train"]["accuracy"] == pytest.approx(np.mean(proba[train].argmax(1) == y[train]))
    assert set(report["test"]["roc_auc"]) == {"a", "b", "c", "macro"}
    md = (out / "report.md").read_text()
    assert "## Recall per class" in md and "| a |" in md
    assert "train" in result.output and "wrote" in result.output


def test_csv_score_columns_name_the_classes(tmp_path, predictions):
    y, proba, _ = predictions
    frame = pd.DataFrame(proba, columns=["nevus", "melanoma", "other"])
    frame.insert(0, "label", y)
    path = tmp_path / "scores.csv"
    frame.to_csv(path, index=False)
    y_true, y_score, split, names = read_predictions(path)
    assert names == ["nevus", "melanoma", "other"] and split is None and y_score.shape == (90, 3)
    reports, written = evaluate_file(path, tmp_path / "out", formats=("json",), figures=False)
    assert list(reports) == ["all"] and [p.name for p in written] == ["report.json"]
    assert reports["all"].class_names == ("nevus", "melanoma", "other")


def test_csv_hard_labels_skip_score_figures(tmp_path, predictions):
    y, proba, _ = predictions
    path = tmp_path / "hard.csv"
    pd.DataFrame({"y_true": y, "y_pred": proba.argmax(1)}).to_csv(path, index=False)
    result = CliRunner().invoke(main, ["evaluate", str(path), "--out", str(tmp_path / "o"), "--format", "md"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert names == {"report.md", "all-confusion.png", "recall.png"}
    assert "roc_auc unavailable" in (tmp_path / "o" / "report.md").read_text()


def test_bad_files_give_one_line_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["evaluate", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output
    (tmp_path / "x.txt").write_text("1,2")
    assert "unknown format" in runner.invoke(main, ["evaluate", str(tmp_path / "x.txt")]).output
    np.savez(tmp_path / "bad.npz", something=np.zeros(3))
    result = runner.invoke(main, ["evaluate", str(tmp_path / "bad.npz")])
    assert result.exit_code == 2 and "needs a labels array" in result.output
    pd.DataFrame({"y_true": [0, 1], "a": [0.2, 0.3], "b": [0.9, 0.1]}).to_csv(tmp_path / "p.csv", index=False)
    result = runner.invoke(main, ["evaluate", str(tmp_path / "p.csv"), "--scores", "probabilities"])
    assert result.exit_code == 2 and "--scores logits" in result.output
    assert not (tmp_path / "p-report" / "report.md").exists()


def test_csv_of_named_hard_labels_in_splits(tmp_path):
    frame = pd.DataFrame(
        {
            "y_true": ["nv", "mel", "nv", "bcc", "nv", "mel"],
            "y_pred": ["nv", "nv", "nv", "bcc", "mel", "mel"],
            "split": ["train", "train", "train", "test", "test", "test"],
        }
    )
    frame.to_csv(tmp_path / "named.csv", index=False)
    reports, _ = evaluate_file(tmp_path / "named.csv", tmp_path / "o", figures=False)
    assert list(reports) == ["train", "test"]
    assert reports["train"].class_names == ("bcc", "mel", "nv")
    assert reports["train"].recall["mel"] == 0.0 and reports["test"].recall["bcc"] == 1.0


def test_hostile_class_names_stay_text_in_report_md(tmp_path, predictions):
    y, proba, _ = predictions
    names = ["<script>alert(1)</script>", "[x](javascript:alert(1))", "a|b"]
    frame = pd.DataFrame(proba, columns=names)
    frame.insert(0, "label", y)
    frame.to_csv(tmp_path / "hostile.csv", index=False)
    evaluate_file(tmp_path / "hostile.csv", tmp_path / "out", formats=("md",), figures=False)
    md = (tmp_path / "out" / "report.md").read_text()
    assert "<script>" not in md and "](javascript:" not in md.replace("\\]", "")
    assert "\\<script\\>alert(1)\\</script\\>" in md and "a\\|b" in md


def test_json_prints_the_summary_per_split(tmp_path, predictions):
    y, proba, split = predictions
    path = tmp_path / "preds.npz"
    np.savez(path, y_true=y, y_score=proba, split=split)
    result = CliRunner().invoke(main, ["evaluate", str(path), "-o", str(tmp_path / "o"), "--json", "--no-figures"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert set(summary) == {"train", "val", "test"} and 0 <= summary["test"]["accuracy"] <= 1
