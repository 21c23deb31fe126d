"""Run directories and reports: atomic files, embedded figures, readable tables."""

from __future__ import annotations

import base64
import json
import re

import matplotlib.pyplot as plt

from embedlab.config import ExperimentConfig
from embedlab.lab import RunDirectory, write_reports
from embedlab.lab.report import metric_tables, render_markdown


def figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return fig


def test_run_directory_layout_and_reopen(tmp_path):
    run = RunDirectory.create(tmp_path, "demo")
    assert run.path.name.startswith("demo-")
    run.save_config(ExperimentConfig(name="demo", dataset="digits"))
    run.log_metrics("words", {"accuracy": 0.5})
    saved = run.add_figure("words", "arrows", figure())
    assert saved == run.path / "figures" / "words-arrows.png" and saved.is_file()
    assert json.loads((run.path / "config.json").read_text())["dataset"]["name"] == "digits"
    assert (run.path / "config.yaml").is_file()
    again = RunDirectory.latest(tmp_path, "demo")
    assert again.path == run.path
    assert again.metrics == {"words": {"accuracy": 0.5}}
    assert again.figures == {"words": ["figures/words-arrows.png"]}
    assert not list(run.path.rglob("*.tmp"))


def test_second_run_in_the_same_second_gets_its_own_folder(tmp_path):
    assert RunDirectory.create(tmp_path, "x").path != RunDirectory.create(tmp_path, "x").path


def test_html_is_self_contained_and_markdown_has_tables(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.log_metrics(
        "classification", {"accuracy": 0.9, "per_class": {"0": {"recall": 0.5}, "1": {"recall": 1.0}}}
    )
    run.add_figure("classification", "roc", figure())
    html_path = write_reports(run.path, "Run", run.metrics, run.figures)
    page = html_path.read_text()
    png = (run.path / "figures" / "classification-roc.png").read_bytes()
    assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in page
    assert "http" not in page.replace('lang="en"', "")
    md = (run.path / "report.md").read_text()
    assert "| accuracy | 0.9 |" in md and "| 0 | 0.5 |" in md
    assert "![classification-roc](figures/classification-roc.png)" in md


def test_metric_tables_layouts():
    tables = metric_tables({"loss": 0.25, "trials": [{"units": 16, "acc": 0.8}, {"units": 32, "acc": 0.9}]})
    assert tables[0] == (["metric", "value"], [["loss", "0.25"]])
    assert tables[1] == (["trials", "units", "acc"], [["0", "16", "0.8"], ["1", "32", "0.9"]])
    assert "nan" in render_markdown("t", {"s": {"auc": float("nan")}}, {})
    assert "| note | a \\| b |" in render_markdown("t", {"s": {"note": "a | b"}}, {})


def test_markdown_names_and_values_cannot_become_live_markup():
    metrics = {
        "<script>alert(1)</script>": {
            "](javascript:alert(1))": "x",
            "note": "two\nlines | and a [link](http://x)",
            "`code`": "<img src=x onerror=alert(1)>",
        }
    }
    md = render_markdown("t <b>", metrics, {"<script>alert(1)</script>": ["figures/a (1).png"]})
    assert "<" not in md.replace("\\<", "") and "[" not in md.replace("\\[", "").replace("![", "")
    assert "](javascript:" not in md.replace("\\]", "") and "\\](javascript:alert(1))" in md
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 3 for row in rows), rows  # two cells per row
    assert "| note | two lines \\| and a \\[link\\](http://x) |" in md
    assert "(figures/a%20%281%29.png)" in md


def test_resume_picks_the_newest_run_of_exactly_this_name(tmp_path):
    for name in (
        "exp-20260101-000000",
        "exp-20260101-000000-2",
        "exp-20260101-000000-10",
        "exp-b-20270101-000000",
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    (tmp_path / "exp-20280101-000000").mkdir()  # no config.json: never started
    assert RunDirectory.latest(tmp_path, "exp").path.name == "exp-20260101-000000-10"
    assert RunDirectory.latest(tmp_path, "exp-b").path.name == "exp-b-20270101-000000"


def test_each_section_opens_with_its_dataset_in_words(tmp_path):
    import embedlab

    run = RunDirectory(tmp_path / "run")
    run.log_metrics("study", {"accuracy": 0.9})
    description = run.describe_dataset("study", embedlab.create("dataset", "imbalanced-digits"))
    assert run.metrics["study"]["dataset"] == description.model_dump(mode="json")
    assert run.figures["study"] == ["figures/study-class-distribution.png"]
    run.describe_dataset("balanced", embedlab.create("dataset", "digits"))
    assert "balanced" not in run.figures  # no distribution plot for balanced classes
    write_reports(run.path, "Run", run.metrics, run.figures)
    md = (run.path / "report.md").read_text()
    section = md.split("## study")[1]
    first = section.strip().splitlines()[0]
    assert first.startswith("Dataset: imbalanced-digits — embedded stand-in for DermaMNIST")
    assert "train 692 / val 160 / test 213; 7 classes, imbalanced" in first
    assert "sizes" not in md and "class_counts" not in md  # words, not a metric table
    assert section.index("Dataset:") < section.index("| accuracy |") < section.index("class-distribution")
    assert (
        "Dataset: digits — scikit-learn's embedded 8x8 digits; train 1,167 / val 270 / test 360; 10 classes"
        in md
    )
    page = (run.path / "report.html").read_text()
    assert '<p class="dataset">Dataset: imbalanced-digits — embedded stand-in' in page


def test_a_dataset_entry_that_is_not_a_description_stays_a_table():
    md = render_markdown("Run", {"s": {"dataset": {"rows": 3}}}, {})
    assert "Dataset:" not in md and "| rows | 3 |" in md


def test_dataset_source_cannot_become_live_markup():
    entry = {
        "name": "x",
        "source": "<img src=x> [link](http://evil)",
        "sizes": {"train": 2},
        "class_counts": {"train": [1, 1]},
        "class_names": ["a", "b"],
    }
    md = render_markdown("Run", {"s": {"dataset": entry}}, {})
    assert "\\<img src=x\\>" in md and "\\[link\\]" in md


def test_scored_word_lists_are_numbers_in_json_and_text_in_the_report():
    values = {
        "missing": ["hardy", "paris"],
        "below": [],
        "neighbours": {"italy": [["italia", 0.9234], ["rome", 0.8]]},
    }
    tables = metric_tables(values)
    assert tables[0] == (["metric", "value"], [["missing", "hardy, paris"], ["below", "none"]])
    assert tables[1] == (["neighbours", "value"], [["italy", "italia 0.92, rome 0.80"]])


def test_metrics_json_has_a_schema_version_and_old_files_still_read(tmp_path):
    import pytest

    from embedlab import InputError
    from embedlab.lab.rundir import SCHEMA_VERSION

    run = RunDirectory.create(tmp_path, "demo")
    run.save_config(ExperimentConfig(name="demo", dataset="digits"))
    run.log_metrics("words", {"accuracy": 0.5})
    saved = json.loads(run.metrics_path.read_text())
    assert saved["schema_version"] == SCHEMA_VERSION == 1
    del saved["schema_version"]
    run.metrics_path.write_text(json.dumps(saved))
    assert RunDirectory.latest(tmp_path, "demo").metrics == {"words": {"accuracy": 0.5}}
    run.metrics_path.write_text(json.dumps({**saved, "schema_version": 99}))
    with pytest.raises(InputError, match="schema_version 99"):
        RunDirectory.latest(tmp_path, "demo")
