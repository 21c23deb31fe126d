"""Run directories and reports: atomic files, embedded figures, readable tables."""

from __future__ import annotations

import base64
import io
import json
import re

import matplotlib.pyplot as plt
from PIL import Image

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
    saved = run.add_figure("classification", "roc", figure())
    html_path = write_reports(run.path, "Run", run.metrics, run.figures)
    page = html_path.read_text()
    embedded = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    with Image.open(io.BytesIO(base64.b64decode(embedded))) as image, Image.open(saved) as full:
        assert image.size == full.size and image.mode == "P"  # the same figure in 256 colours
    assert '<a href="figures/classification-roc.png">' in page  # the caption links the full file
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
    rows = [line for line in md.split("\n## ")[1].splitlines() if line.startswith("| ")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 3 for row in rows), rows  # two cells per row
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


def test_values_read_as_numbers_dates_components_and_text():
    from embedlab.lab.tables import Cell, format_duration, format_value

    assert format_value(0.123456) == Cell("0.1235", "num")  # 4 significant digits
    assert format_value(9223) == Cell("9,223", "num") and format_value(12.0) == Cell("12", "num")
    assert format_value(123456.78) == Cell("123,457", "num")
    assert format_value(1796301692.79, "started_at") == Cell("2026-12-03 12:41:32", "num")
    assert format_value(1796301692.0, "seconds") == Cell("1,796,301,692", "num")  # not a time
    component = {"name": "triplet", "params": {"distance": "euclidean", "margin": 0.2}}
    assert format_value(component) == Cell("triplet(distance=euclidean, margin=0.2)")
    assert format_value({"name": "semihard", "params": {}}).text == "semihard()"
    assert format_value(None).text == "—" and format_value([]).text == "none"
    assert format_value([["italia", 0.9234]]) == Cell("italia 0.92")
    assert [format_duration(s) for s in (4.25, 136.4, 7600)] == ["4.2 s", "2 min 16 s", "2 h 06 min"]


def test_components_stay_one_cell_and_text_is_aligned_as_text(tmp_path):
    components = {
        "model": {"name": "seed-cnn", "params": {"normalize": True}},
        "loss": {"name": "triplet", "params": {"margin": 0.2}},
        "sampler": "m-per-class",
        "warmup_epochs": 3,
    }
    tables = metric_tables({"components": components})
    assert tables == [
        (
            ["components", "value"],
            [["model", "seed-cnn(normalize=True)"], ["loss", "triplet(margin=0.2)"],
             ["sampler", "m-per-class"], ["warmup_epochs", "3"]],
        )
    ]  # fmt: skip
    run = RunDirectory(tmp_path / "run")
    run.log_metrics("words", {"neighbours": {"italy": [["italia", 0.92]]}, "splits": {"test": {"f1": 0.5}}})
    page = write_reports(run.path, "Run", run.metrics, run.figures).read_text()
    assert '<td class="text">italia 0.92</td>' in page and '<td class="num">0.5</td>' in page
    assert '<th class="text">neighbours</th><th class="text">value</th>' in page
    assert '<th class="text">splits</th><th class="num">f1</th>' in page
    assert "{&#39;" not in page and "{'" not in page  # no Python dicts


def test_sections_collapse_and_long_tables_start_collapsed(tmp_path):
    from embedlab.lab.tables import LONG_TABLE

    run = RunDirectory(tmp_path / "run")
    history = [{"epoch": i, "loss": 1 / i} for i in range(1, LONG_TABLE + 2)]
    run.log_metrics("long", {"history": history, "short": [{"epoch": 1}] * LONG_TABLE})
    page = write_reports(run.path, "Run", run.metrics, run.figures).read_text()
    assert '<details class="section" open><summary><h2 id="long">long</h2></summary>' in page
    assert f'<details class="table"><summary>history ({LONG_TABLE + 1} rows)</summary>' in page
    assert "<summary>short" not in page  # twelve rows stay open
    md = (run.path / "report.md").read_text()
    assert f"| {LONG_TABLE} | {LONG_TABLE + 1} | 0.07692 |" in md  # Markdown keeps every row


def test_figures_that_repeat_per_split_share_one_row_of_tabs(tmp_path):
    from embedlab.lab.report import FigureGroup, figure_groups

    paths = [f"figures/s-{name}.png" for name in ("train-roc", "val-roc", "recall", "test-roc", "val-only")]
    assert figure_groups("s", paths) == [
        FigureGroup("roc", ["figures/s-train-roc.png", "figures/s-val-roc.png", "figures/s-test-roc.png"],
                    ["train", "val", "test"]),
        FigureGroup("s-recall", ["figures/s-recall.png"], ["recall"]),
        FigureGroup("s-val-only", ["figures/s-val-only.png"], ["only"]),
    ]  # fmt: skip
    run = RunDirectory(tmp_path / "run")
    for name in ("val-roc", "test-roc", "history"):
        run.add_figure("s", name, figure())
    page = write_reports(run.path, "Run", run.metrics, run.figures).read_text()
    assert page.count('<div class="tabs">') == 1 and page.count('<div class="panel">') == 2
    assert (
        '<input type="radio" name="tabs-1-1" id="tabs-1-1-1" checked><label for="tabs-1-1-1">roc: val</label>'
        in page
    )
    assert ".tabs>input:nth-of-type(2):checked~.panel:nth-of-type(2){display:block}" in page
    assert "<script" not in page and page.count("data:image/png;base64,") == 3
    md = (run.path / "report.md").read_text()
    assert "![roc val](figures/s-val-roc.png) ![roc test](figures/s-test-roc.png)\n" in md


def test_trials_are_ranked_by_the_searched_metric(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.save_config(
        ExperimentConfig.model_validate(
            {
                "name": "s",
                "parts": [
                    {"name": "search", "task": "classification", "tune": {"metric": "loss", "mode": "min"}}
                ],
            }
        )
    )
    trials = [{"trial_id": t, "loss": v} for t, v in (("a", 0.5), ("b", None), ("c", 0.25), ("d", 0.75))]
    unranked = [{"trial_id": t["trial_id"], "accuracy": t["loss"]} for t in trials]  # not the searched metric
    run.log_metrics("search", {"top trials": trials, "other": unranked})
    write_reports(run.path, "Run", run.metrics, run.figures)
    md = (run.path / "report.md").read_text()
    ranked = md.split("| top trials |")[1].split("\n\n")[0]
    assert re.findall(r"\| (\d) \| (\w) \|", ranked) == [("1", "c"), ("2", "a"), ("3", "d"), ("4", "b")]
    other = md.split("| other |")[1].split("\n\n")[0]
    assert re.findall(r"\| (\d) \| (\w) \|", other) == [("0", "a"), ("1", "b"), ("2", "c"), ("3", "d")]


def test_html_overview_and_sections_escape_every_name(tmp_path):
    from embedlab.lab.runinfo import Headline, PartInfo, RunInfo, Versions

    evil = "<script>alert(1)</script>"
    info = RunInfo(
        name="n",
        run="r",
        started_at="2026-12-03T12:00:00+00:00",
        duration_s=61.0,
        status="completed",
        versions=Versions(embedlab="1", torch=None, python="3.11.7"),
        git_commit="0" * 40,
        parts=[PartInfo(name=evil, task=evil, dataset=evil, headline=Headline(name=evil, value=0.5))],
    )
    run = RunDirectory(tmp_path / "run")
    run.log_metrics(evil, {evil: evil})
    run.add_figure("s", "a", figure())
    (run.path / "figures" / "s-a.png").rename(run.path / "figures" / "x.png")  # a caption from metrics.json
    page = write_reports(run.path, evil, run.metrics, {"s": ["figures/x.png"]}, info).read_text()
    assert "<script>" not in page and page.count("&lt;script&gt;") >= 6
    assert "duration: <b>1 min 01 s</b>" in page and "torch not installed" in page
    md = (run.path / "report.md").read_text()
    assert "<" not in md.replace("\\<", "") and "- git commit: " + "0" * 40 in md
