"""Run history: ``embedlab runs list`` and ``runs compare`` on real runs, and their errors."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import embedlab
from embedlab.cli import main
from embedlab.errors import InputError
from embedlab.lab.runs import compare_runs, list_runs, read_run, resolve_run

TINY: dict[str, Any] = {
    "name": "tiny",
    "task": "metric-learning",
    "seed": 0,
    "dataset": "digits",
    "backend": {"name": "seed-cnn", "params": {"embedding_dim": 8}},
    "loss": "triplet",
    "miner": "batch-hard",
    "train": {"epochs": 2, "lr": 0.001, "batch_size": 128},
    "study": {"projection": "pca", "splits": ["val"]},
}
CLASSIFY: dict[str, Any] = {
    "name": "clf",
    "task": "classification",
    "dataset": "digits",
    "backend": {"name": "mlp-classifier", "params": {"units": 16}},
    "train": {"epochs": 1},
    "study": {"splits": ["val"]},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three real runs under one folder: A, then B (A with lr 0.01, run by the CLI with --json),
    then a suite holding A's section and a classification part."""
    root = tmp_path_factory.mktemp("runs")
    first = embedlab.run(TINY, root)
    config = root.parent / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    cli = CliRunner().invoke(main, ["run", str(config), "train.lr=0.01", "--out", str(root), "--json"])
    assert cli.exit_code == 0, cli.output
    suite = embedlab.run({"name": "suite", "parts": [TINY, CLASSIFY]}, root)
    return {
        "root": root,
        "a": first.path,
        "b": Path(json.loads(cli.stdout)["path"]),
        "suite": suite.path,
        "b_json": json.loads(cli.stdout),
    }


def test_run_json_prints_the_run_result(runs: dict[str, Any]) -> None:
    printed = runs["b_json"]
    assert set(printed) >= {"path", "report", "metrics", "figures"}
    assert Path(printed["report"]) == runs["b"] / "report.html"
    saved = json.loads((runs["b"] / "metrics.json").read_text())["metrics"]
    assert (
        printed["metrics"]["tiny"]["retrieval (queries vs train)"]
        == saved["tiny"]["retrieval (queries vs train)"]
    )


def test_list_shows_every_run_newest_first(runs: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["runs", "list", "--out", str(runs["root"]), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [r["run"] for r in listed] == [runs["suite"].name, runs["b"].name, runs["a"].name]
    assert [r["name"] for r in listed] == ["suite", "tiny", "tiny"]
    assert listed[0]["parts"][1] | {"headline": None} == {
        "name": "clf",
        "task": "classification",
        "dataset": "digits",
        "headline": None,
    }
    assert all(r["status"] in ("completed", "unknown") and r["started_at"] for r in listed)
    text = CliRunner().invoke(main, ["runs", "list", "-o", str(runs["root"])])
    header, rule, *rows = text.stdout.splitlines()
    assert header.split() == ["run", "name", "started", "duration", "status", "headline"]
    assert [row.split()[0] for row in rows] == [r["run"] for r in listed]


def test_compare_prints_config_diff_and_metric_deltas(runs: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        main, ["runs", "compare", runs["a"].name, runs["b"].name, "--runs-dir", str(runs["root"])]
    )
    assert result.exit_code == 0, result.output
    assert "train.lr: 0.001 -> 0.01" in result.stdout
    line = next(
        x
        for x in result.stdout.splitlines()
        if x.startswith("tiny.retrieval (queries vs train).val.precision_at_1")
    )
    a, b, delta = (float(v) for v in line.split()[-3:])
    assert delta == pytest.approx(b - a, abs=2e-4)
    page = runs["b"] / f"compare-{runs['a'].name}.html"
    assert f"comparison page: {page}" in result.stdout


def test_compare_json_and_its_page(runs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(
        main, ["runs", "compare", str(runs["a"]), str(runs["b"]), "--json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["config_changes"] == ["train.lr: 0.001 -> 0.01"]
    assert data["page"] == str(out) and data["curves"] == ["tiny.history"]
    metrics = {m["key"]: m for m in data["metrics"]}
    p1 = metrics["tiny.retrieval (queries vs train).val.precision_at_1"]
    assert p1["delta"] == pytest.approx(p1["b"] - p1["a"])
    assert not any(key.startswith("tiny.dataset") for key in metrics)  # descriptions are not metrics
    page = out.read_text()
    _Checked().feed(page)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 1 and base64.b64decode(images[0]).startswith(b"\x89PNG")
    assert runs["a"].name in page and "train.lr: 0.001 -&gt; 0.01" in page
    assert not list(tmp_path.glob(".*.tmp"))


class _Checked(HTMLParser):
    """Fails on a tag closed that was never opened: the page parses as the HTML it means to be."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("meta", "img"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing"


def test_runs_of_different_tasks_are_compared_on_what_they_share(runs: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["runs", "compare", str(runs["a"]), str(runs["suite"])])
    assert result.exit_code == 0, result.output
    notes = result.stderr.splitlines()
    assert len(notes) == 1 and notes[0].startswith("embedlab: note: ")
    assert "sections only in B: clf" in notes[0]
    assert "tiny.retrieval (queries vs train).val.precision_at_1" in result.stdout


def _fake_run(root: Path, name: str, metrics: dict[str, Any], run: dict[str, Any] | None = None) -> Path:
    """A run directory as embedlab writes one, with the given metrics (and run.json, if given)."""
    path = root / name
    path.mkdir(parents=True)
    config = {
        "name": name.rsplit("-", 2)[0],
        "task": "classification",
        "dataset": {"name": "digits"},
        "parts": [],
    }
    (path / "config.json").write_text(json.dumps(config))
    (path / "metrics.json").write_text(
        json.dumps({"schema_version": 1, "metrics": metrics, "figures": {}, "completed": []})
    )
    if run is not None:
        (path / "run.json").write_text(json.dumps(run))
    return path


def test_runs_sharing_nothing_is_one_line_exit_2(tmp_path: Path) -> None:
    a = _fake_run(tmp_path, "one-20260101-100000", {"one": {"splits": {"val": {"accuracy": 0.9}}}})
    b = _fake_run(tmp_path, "two-20260101-110000", {"two": {"retrieval": {"val": {"map_at_r": 0.5}}}})
    result = CliRunner().invoke(main, ["runs", "compare", str(a), str(b)])
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith("embedlab: error: runs 'one-20260101-100000' [one (classification)] and ")
    assert line.endswith(
        "share no metric to compare; compare runs of the same task or with a section in common"
    )
    assert not list(tmp_path.rglob("compare-*"))


def test_a_missing_run_is_one_line_exit_2(tmp_path: Path) -> None:
    a = _fake_run(tmp_path, "one-20260101-100000", {"one": {"n_params": 3}})
    result = CliRunner().invoke(main, ["runs", "compare", str(a), "nope", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"embedlab: error: no run 'nope': not a run directory, nor a run under {str(tmp_path)!r}; "
        f"list the runs with `embedlab runs list --out {tmp_path}`"
    ]
    with pytest.raises(InputError, match="embedlab runs list --out runs"):
        resolve_run(tmp_path / "gone")


def test_a_missing_runs_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["runs", "list", "--out", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output == (
        f"embedlab: error: runs folder {str(tmp_path / 'nope')!r} does not exist; "
        "pass --out with the folder your runs are in\n"
    )
    empty = CliRunner().invoke(main, ["runs", "list", "--out", str(tmp_path), "--json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []


def test_run_json_gives_status_duration_and_headlines(tmp_path: Path) -> None:
    described = {
        "schema_version": 1, "name": "suite", "run": "suite-20260101-100000",
        "started_at": "2026-01-01T10:00:00+00:00", "finished_at": "2026-01-01T10:01:05+00:00",
        "duration_s": 65.0, "status": "completed", "seed": 0, "git_commit": None,
        "versions": {"embedlab": "0.1", "torch": None, "python": "3.11.7"},
        "parts": [
            {"name": "ml", "task": "metric-learning", "dataset": "digits",
             "headline": {"name": "precision_at_1", "value": 0.91234}},
            {"name": "search", "task": "search", "dataset": None, "headline": None},
        ],
    }  # fmt: skip
    _fake_run(tmp_path, "suite-20260101-100000", {"ml": {"n_params": 3}}, described)
    _fake_run(tmp_path, "old-20250101-100000", {"old": {"n_params": 3}})
    result = CliRunner().invoke(main, ["runs", "list", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    newer, older = result.stdout.splitlines()[2:]
    assert newer.split()[:2] == ["suite-20260101-100000", "suite"]
    assert newer.split()[4:7] == ["1m05s", "completed", "ml:"] and newer.endswith("ml: precision_at_1=0.9123")
    assert older.split()[4:] == ["?", "unknown", "n/a"]
    old = read_run(tmp_path / "old-20250101-100000")
    assert (old.name, old.status, old.duration_s) == ("old", "unknown", None)
    assert [(p.name, p.task, p.dataset) for p in old.parts] == [("old", "classification", "digits")]
    assert old.started_at is not None and old.started_at.year == 2025


def test_unreadable_runs_are_skipped_and_names_escaped(tmp_path: Path) -> None:
    broken = _fake_run(tmp_path, "bad-20260101-100000", {}, {"status": "not a run.json"})
    assert [r.status for r in list_runs(tmp_path)] == ["unknown"]  # read as an older run
    (broken / "config.json").write_text("{not json")
    assert list_runs(tmp_path) == []
    a = _fake_run(tmp_path, "x-20260101-100000", {"x": {"recall by class": {"<b>": 0.5}}})
    b = _fake_run(tmp_path, "x-20260101-110000", {"x": {"recall by class": {"<b>": 0.75}}})
    comparison = compare_runs(a, b)
    assert [(m.key, m.delta) for m in comparison.metrics] == [("x.recall by class.<b>", 0.25)]
    assert comparison.note is None
    result = CliRunner().invoke(main, ["runs", "compare", str(a), str(b)])
    page = (b / f"compare-{a.name}.html").read_text()
    assert result.exit_code == 0 and "<b>" not in page and "&lt;b&gt;" in page


def test_plot_history_comparison_draws_into_given_axes() -> None:
    import matplotlib.pyplot as plt

    from embedlab.plots.runs import plot_history_comparison

    histories = {
        "A": [{"epoch": 1, "train_loss": 0.5, "epoch_time_s": 1.0}, {"epoch": 2, "train_loss": 0.4}],
        "B": [{"epoch": 1, "train_loss": 0.6, "val_loss": 0.7}],
    }
    fig, axes = plt.subplots(1, 1)
    try:
        assert plot_history_comparison(histories, axes=[axes]) is fig
        assert axes.get_title() == "train_loss" and len(axes.get_lines()) == 2
        with pytest.raises(InputError, match="share no numeric key"):
            plot_history_comparison({"A": [{"epoch": 1}], "B": [{"epoch": 1}]})
    finally:
        plt.close("all")
