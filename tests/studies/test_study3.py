"""Study 3 as the exercise set it (examples/studies/study3-imbalanced.yaml), run in CI on its stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedlab.config import load_config
from embedlab.lab.run import run

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "studies" / "study3-imbalanced.yaml"
SPLITS = ("train", "val", "test")
STRATEGIES = ["none", "class-weights", "oversample", "oversample-augment"]
PARTS = ("mlp", "cnn")


def test_the_config_is_the_exercises_study():
    config = load_config(CONFIG)
    assert [part.name for part in config.parts] == list(PARTS)
    backends = {part.name: part.backend.name for part in config.parts}
    assert backends == {"mlp": "mlp-classifier", "cnn": "small-cnn-classifier"}
    for part in config.parts:
        assert part.dataset.name == "dermamnist"
        assert part.study["recall_target"] == 0.8 and part.study["splits"] == list(SPLITS)
        assert part.study["compare_rebalance"] == STRATEGIES
    assert config.parts[1].train["rebalance"] == "oversample-augment"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The study on its stand-in, imbalanced-digits. The real study's 15 epochs per strategy (8
    models) take minutes on 2 shared cores, so each part trains 3 epochs; everything else is the
    config as written."""
    overrides = [f"parts.{i}.train.epochs=3" for i in range(len(PARTS))]
    config = load_config(CONFIG, overrides=overrides)
    result = run(config, tmp_path_factory.mktemp("runs"), stand_in=True)
    metrics = json.loads((result.path / "metrics.json").read_text(encoding="utf-8"))["metrics"]
    return result, metrics, (result.path / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("part", PARTS)
def test_the_report_names_its_stand_in_dataset_and_plots_its_imbalance(study, part):
    result, metrics, text = study
    assert metrics[part]["dataset"]["name"] == "imbalanced-digits"
    assert "Dataset: imbalanced-digits — embedded stand-in for DermaMNIST" in text
    names = {Path(f).name for f in result.figures[part]}
    assert f"{part}-class-distribution.png" in names
    assert {f"{part}-{split}-{kind}.png" for split in SPLITS for kind in ("roc", "confusion")} <= names
    assert f"{part}-recall.png" in names


@pytest.mark.parametrize("part", PARTS)
def test_every_split_has_the_full_per_class_and_one_vs_rest_tables(study, part):
    _, metrics, text = study
    section = metrics[part]
    classes = section["dataset"]["class_names"]
    for split in SPLITS:
        table = section[f"{split} per class"]
        assert list(table) == [*classes, "macro avg", "weighted avg"]
        assert all(set(row) == {"precision", "recall", "f1-score", "support"} for row in table.values())
        size = section["dataset"]["sizes"][split]
        assert table["macro avg"]["support"] == table["weighted avg"]["support"] == size
        ovr = section[f"{split} one-vs-rest"]
        assert list(ovr) == classes
        for name, row in ovr.items():
            assert row["TP"] + row["FP"] + row["FN"] + row["TN"] == size
            assert row["TP"] + row["FN"] == table[name]["support"]
            assert row["TP"] == pytest.approx(table[name]["recall"] * table[name]["support"])
        assert f"| {split} per class | precision | recall | f1-score | support |" in text
        assert f"| {split} one-vs-rest | TP | FP | FN | TN |" in text
    assert "| weighted avg |" in text and "| macro avg |" in text


@pytest.mark.parametrize("part", PARTS)
def test_classes_below_the_recall_target_are_flagged(study, part):
    _, metrics, _ = study
    section = metrics[part]
    assert section["recall_target"] == 0.8
    for split in SPLITS:
        table = section[f"{split} per class"]
        below = [
            c for c in section["dataset"]["class_names"] if table[c]["support"] and table[c]["recall"] < 0.8
        ]
        assert section["splits"][split]["below_recall_target"] == below


@pytest.mark.parametrize("part", PARTS)
def test_the_rebalancing_strategies_are_compared_in_one_table(study, part):
    _, metrics, text = study
    section = metrics[part]
    table = section["rebalancing"]
    assert list(table) == STRATEGIES
    columns = {"macro recall", "min class recall", "macro F1", "balanced accuracy", "below target"}
    for row in table.values():
        assert list(row) == list(SPLITS) and all(set(cells) == columns for cells in row.values())
    # the section's own model is the row of its strategy
    own = "none" if part == "mlp" else "oversample-augment"
    assert table[own]["test"]["macro F1"] == pytest.approx(section["splits"]["test"]["macro_f1"])
    assert "| rebalancing | train.macro recall |" in text
    for strategy in STRATEGIES:
        assert f"| {strategy} |" in text


def test_without_the_file_the_run_refuses_before_writing(tmp_path, refusal):
    message = refusal(CONFIG)
    assert "dermamnist.npz" in message and str(tmp_path / "empty") in message  # what, and where
    assert "--stand-in" in message
