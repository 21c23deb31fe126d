"""The ``ray`` tuner on the shared 2-CPU session runtime: the Study 4 search and its edge cases."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import embedlab
from embedlab.errors import ConfigError

pytestmark = pytest.mark.ray

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune_mlp.yaml"

SMALL = {
    "name": "small",
    "task": "classification",
    "dataset": "digits",
    "backend": {"name": "mlp-classifier", "params": {"units": {"int": [16, 48], "step": 16}}},
    "train": {"lr": 0.01, "batch_size": 64},
    "tune": {"scheduler": "fifo", "searcher": "grid", "max_epochs": 2},
}


@pytest.fixture(scope="module")
def asha(ray_session, tmp_path_factory):
    """The acceptance search: 12 ASHA trials from examples/tune_mlp.yaml on 2 CPUs."""
    return embedlab.tune(EXAMPLE, storage_path=str(tmp_path_factory.mktemp("asha")))


def test_twelve_trial_asha_search(asha):
    table = asha.table
    assert len(table) == 12 and table["trial_id"].is_unique
    assert set(table["status"]) <= {"completed", "stopped"}
    assert (table["status"] == "stopped").any()  # ASHA stopped poor trials early
    assert (table["status"] == "completed").any() and table["epochs"].max() == 10
    scores = table["val_accuracy"]
    assert asha.best_metric == scores.max() > scores.min()  # the best beats the worst
    assert set(asha.best_config) == {"backend.units", "train.lr"}
    assert all(u % 16 == 0 and 16 <= u <= 512 for u in table["backend.units"])
    assert set(table["train.lr"]) <= {0.01, 0.001, 0.0001}
    assert asha.best_metric > 0.9
    assert {"trials.csv", "history.csv", "summary.txt"} <= {p.name for p in asha.storage_path.iterdir()}


def test_summary_and_plot(asha):
    text = asha.summary(3)
    assert "Showing 3 best trials of 12" in text and text.count("Score: ") == 3
    first = asha.best_trial.trial_id
    assert f"Trial {first} summary" in text.split("Score:")[0]
    fig = asha.plot()
    assert len(fig.axes[0].lines) == 12
    history = asha.history
    assert set(history["trial_id"]) == set(asha.table["trial_id"])
    assert len(history) == asha.table["epochs"].sum()


def test_retrain_best_against_the_baseline(asha):
    report = asha.retrain_best(epochs=3)
    assert report.best_params == asha.best_config
    assert report.baseline_params == {"backend.units": 512, "train.lr": 0.01}  # tune.baseline in the example
    assert len(report.best_history) == len(report.baseline_history) == 3
    assert {"test_accuracy", "val_accuracy", "n_params"} <= set(report.best_final)
    assert report.baseline_final["n_params"] == 64 * 512 + 512 + 512 * 10 + 10
    assert "best - baseline" in report.summary()
    assert len(report.plot().axes) == 2


def test_failing_trial_is_recorded_and_the_search_goes_on_then_resume(ray_session, tmp_path):
    config = {
        **SMALL,
        "backend": {"name": "mlp-classifier", "params": {"units": {"int": [16, 32], "step": 16}}},
        "train": {"lr": 0.01, "class_weights": {"grid": [None, [1.0, 2.0]]}},
    }
    result = embedlab.tune(config, storage_path=str(tmp_path))  # grid: 2 units x 2 class weights
    table = result.table
    assert len(table) == 4
    assert sorted(table["backend.units"].unique()) == [16, 32]
    assert (table["status"] == "failed").sum() == 2 and (table["status"] == "completed").sum() == 2
    for _, row in table[table["status"] == "failed"].iterrows():
        assert row["train.class_weights"] == [1.0, 2.0]
        assert "InputError" in row["error"] and "one non-negative weight per class" in row["error"]
    summary = result.summary()
    assert "Failed trials (2):" in summary and "one non-negative weight per class" in summary
    assert result.best_metric > 0.5

    again = embedlab.tune(config, storage_path=str(tmp_path), resume=True)
    assert sorted(again.table["trial_id"]) == sorted(table["trial_id"])  # restored, not run again
    before, after = table.sort_values("trial_id"), again.table.sort_values("trial_id")
    assert list(after["status"]) == list(before["status"])


@pytest.mark.parametrize(
    ("resources", "message"),
    [({"cpu": 64}, "cpu=64, gpu=0 per trial"), ({"cpu": 1, "gpu": 1}, "gpu=1 per trial")],
)
def test_resources_larger_than_the_cluster_are_refused(ray_session, tmp_path, resources, message):
    with pytest.raises(ConfigError, match=message):
        embedlab.tune(SMALL, storage_path=str(tmp_path / "out"), resources=resources)
    assert not (tmp_path / "out").exists()  # refused before any trial started


def test_bad_space_refused_before_any_trial(ray_session, tmp_path):
    for units, message in (
        ({"choice": []}, "is empty"),
        ({"int": [64, 16]}, "min 64 > max 16"),
        ({"int": [16, 50], "step": 16}, "does not fit"),
    ):
        config = {**SMALL, "backend": {"name": "mlp-classifier", "params": {"units": units}}}
        with pytest.raises(ConfigError, match=message):
            embedlab.tune(config, storage_path=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_other_address_refused_while_connected(ray_session, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as other:  # reachable, but not this runtime's
        address = f"127.0.0.1:{other.getsockname()[1]}"
        with pytest.raises(ConfigError, match="already connected"):
            embedlab.tune(SMALL, storage_path=str(tmp_path), address=address)


@pytest.mark.gpu
def test_fractional_gpu_trials_on_a_real_gpu(ray_session, tmp_path):
    """Two trials share each GPU (gpu=0.5) and train on it; skipped without CUDA."""
    result = embedlab.tune(
        EXAMPLE,
        storage_path=str(tmp_path),
        num_samples=4,
        max_epochs=2,
        scheduler="fifo",
        resources={"cpu": 0.5, "gpu": 0.5},
    )
    table = result.table
    assert set(table["status"]) == {"completed"}
    assert all(devices != "" for devices in table["cuda_visible_devices"])


def test_max_failures_retries_a_flaky_trial(ray_session, tmp_path):
    """The tuner interface with a plain trainable: the first attempt fails, the retry succeeds."""
    from embedlab.space import Choice
    from embedlab.tuning.ray_tuner import RayTuner

    marker = tmp_path / "failed-once"

    def flaky(params, report):
        if not marker.exists():
            marker.write_text("x")
            raise RuntimeError("transient")
        report({"epoch": 1, "score": float(params["x"])})

    result = RayTuner(progress=True).tune(
        flaky,
        {"x": Choice((5,))},
        metric="score",
        mode="max",
        scheduler="fifo",
        num_samples=1,
        max_epochs=1,
        max_failures=1,
        storage_path=str(tmp_path / "out"),
    )
    assert marker.exists()
    assert list(result.table["status"]) == ["completed"] and result.best_metric == 5.0
    assert result.trainable is None  # a bare function cannot be retrained
