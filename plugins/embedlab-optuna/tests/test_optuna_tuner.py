"""The in-process Optuna tuner: same interface, same TuneResult, no Ray runtime."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import embedlab
from embedlab.errors import ConfigError
from embedlab.space import Choice, Grid, IntRange, LogUniform

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "tune_mlp.yaml"


def quadratic(params, report):
    """A toy trainable: the score climbs towards -(x - 3)^2 over the epochs."""
    if params.get("fail"):
        raise ValueError("this configuration always fails")
    for epoch in range(1, 5):
        report({"epoch": epoch, "score": -((params["x"] - 3) ** 2) * (1 + 1 / epoch), "other": params["x"]})


def tuner():
    return embedlab.create("tuner", "optuna")


def test_registered_by_the_plugin_distribution():
    info = {p.name: p for p in embedlab.plugins("tuner")}["optuna"]
    assert info.distribution == "embedlab-optuna"


def test_tpe_search_finds_the_optimum(tmp_path):
    result = tuner().tune(
        quadratic,
        {"x": IntRange(0, 10, 1)},
        metric="score",
        mode="max",
        searcher="optuna",
        scheduler="fifo",
        num_samples=15,
        max_epochs=4,
        storage_path=str(tmp_path),
    )
    assert len(result.table) == 15
    assert result.best_config["x"] in {2, 3, 4}
    assert set(result.table["status"]) == {"completed"}
    assert (tmp_path / "search" / "optuna.db").is_file() and (tmp_path / "search" / "trials.csv").is_file()


def test_failing_trial_recorded_and_search_goes_on(tmp_path):
    result = tuner().tune(
        quadratic,
        {"x": Choice((1, 3)), "fail": Choice((False, True))},
        metric="score",
        mode="max",
        searcher="grid",
        scheduler="fifo",
        max_epochs=4,
        storage_path=str(tmp_path),
    )
    table = result.table
    assert len(table) == 4 and (table["status"] == "failed").sum() == 2
    errors = set(table.loc[table["status"] == "failed", "error"])
    assert errors == {"ValueError: this configuration always fails"}
    assert result.best_config == {"x": 3, "fail": False}
    assert "Failed trials (2)" in result.summary()


def test_pruning_stops_poor_trials_and_resume_keeps_them(tmp_path):
    settings = dict(
        metric="score",
        mode="max",
        searcher="random",
        scheduler="asha",
        num_samples=12,
        max_epochs=4,
        storage_path=str(tmp_path),
        seed=1,
    )
    result = tuner().tune(quadratic, {"x": IntRange(0, 20, 1)}, **settings)
    assert (result.table["status"] == "stopped").any()
    assert result.table["epochs"].sum() < 12 * 4
    again = tuner().tune(quadratic, {"x": IntRange(0, 20, 1)}, **{**settings, "resume": True})
    assert list(again.table["trial_id"]) == list(result.table["trial_id"])  # nothing new to run


def test_lists_as_choices_and_loguniform(tmp_path):
    seen = []

    def record(params, report):
        seen.append(params)
        report({"epoch": 1, "score": params["lr"]})

    tuner().tune(
        record,
        {"lr": LogUniform(1e-4, 1e-1), "w": Choice(([1.0, 2.0], None))},
        metric="score",
        mode="max",
        scheduler="fifo",
        num_samples=5,
        max_epochs=1,
        storage_path=str(tmp_path),
    )
    assert all(1e-4 <= p["lr"] <= 1e-1 for p in seen)
    assert {str(p["w"]) for p in seen} <= {"[1.0, 2.0]", "None"}


def test_ray_only_settings_refused(tmp_path):
    with pytest.raises(ConfigError, match="cannot join a cluster"):
        tuner().tune(quadratic, {"x": Choice((1,))}, metric="score", address="127.0.0.1:6379")
    with pytest.raises(ConfigError, match="GPUs"):
        tuner().tune(quadratic, {"x": Choice((1,))}, metric="score", resources={"gpu": 0.5})
    with pytest.raises(ConfigError, match="only with tune.searcher grid"):
        tuner().tune(quadratic, {"x": Grid((1, 2))}, metric="score", storage_path=str(tmp_path))


def test_the_seed_search_through_embedlab_tune_without_ray(tmp_path):
    """examples/tune_mlp.yaml with tuner: optuna, in a fresh interpreter that must not import Ray."""
    code = f"""
import sys, yaml, embedlab
data = yaml.safe_load(open({str(EXAMPLE)!r}))
data["tuner"] = "optuna"
r = embedlab.tune(data, num_samples=4, max_epochs=3, storage_path={str(tmp_path)!r})
assert len(r.table) == 4, r.table
assert r.best_metric > 0.5
assert "ray" not in sys.modules, "the optuna tuner imported ray"
print("OK", r.best_config, round(r.best_metric, 4))
"""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # tiny models: one thread is fastest on a shared machine
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("OK")


def test_max_failures_retries_a_flaky_trial(tmp_path):
    calls = []

    def flaky(params, report):
        calls.append(params["x"])
        if len(calls) % 2 == 1:
            raise RuntimeError("transient")
        report({"epoch": 1, "score": float(params["x"])})

    space = {"x": Choice((1,))}
    common = dict(metric="score", mode="max", scheduler="fifo", num_samples=1, max_epochs=1)
    result = tuner().tune(flaky, space, max_failures=1, storage_path=str(tmp_path / "a"), **common)
    assert list(result.table["status"]) == ["completed"] and len(calls) == 2
    calls.clear()
    result = tuner().tune(flaky, space, max_failures=0, storage_path=str(tmp_path / "b"), **common)
    assert list(result.table["status"]) == ["failed"]
    assert result.table["error"][0] == "RuntimeError: transient"
