"""TuneResult from plain trial records: table, best, summary, plot, save (no Ray)."""

from __future__ import annotations

import math

import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from embedlab.errors import ConfigError, InputError
from embedlab.tuning.base import TrialRecord, describe_error, trial_status
from embedlab.tuning.result import TuneResult, best_value, short_names
from embedlab.tuning.settings import TuneSettings


def record(trial_id, units, scores, status="completed", error=None):
    history = [
        {"epoch": i + 1, "val_accuracy": s, "train_time_s": 0.1 * (i + 1)} for i, s in enumerate(scores)
    ]
    return TrialRecord(trial_id, {"backend.units": units, "train.lr": 0.001}, status, history, error, 1.0)


@pytest.fixture()
def result(tmp_path):
    trials = [
        record("a", 16, [0.5, 0.6], status="stopped"),
        record("b", 352, [0.7, 0.9, 0.85]),
        record("c", 64, [0.8, 0.82, 0.83]),
        record("d", 128, [], status="failed", error="InputError: class_weights has 2 values"),
    ]
    return TuneResult(trials, metric="val_accuracy", mode="max", max_epochs=3, storage_path=tmp_path)


def test_table_has_every_trial(result):
    table = result.table
    assert list(table["trial_id"]) == ["a", "b", "c", "d"]
    assert list(table["status"]) == ["stopped", "completed", "completed", "failed"]
    assert list(table.columns[:6]) == [
        "trial_id",
        "status",
        "backend.units",
        "train.lr",
        "val_accuracy",
        "epochs",
    ]
    assert table.loc[1, "val_accuracy"] == 0.9  # a trial's score is its best epoch
    assert math.isnan(table.loc[3, "val_accuracy"])
    assert table.loc[3, "error"].startswith("InputError")
    assert table.loc[1, "train_time_s"] == pytest.approx(0.3)


def test_best(result):
    assert result.best_config == {"backend.units": 352, "train.lr": 0.001}
    assert result.best_metric == 0.9
    assert result.num_failed == 1
    assert len(result.history) == 8


def test_min_mode(result):
    flipped = TuneResult(result.trials, metric="val_accuracy", mode="min", max_epochs=3)
    assert flipped.best_config["backend.units"] == 16 and flipped.best_metric == 0.5


def test_summary_lists_top_and_failed(result):
    text = result.summary(2)
    assert "Showing 2 best trials of 4" in text
    assert 'Objective(name="val_accuracy", direction="max")' in text
    assert text.index("Trial b summary") < text.index("Trial c summary")
    assert "Trial a summary" not in text
    assert "Failed trials (1):" in text and "class_weights has 2 values" in text
    assert "2 completed, 1 stopped, 1 failed" in text


def test_no_successful_trial():
    res = TuneResult([record("x", 1, [], "failed", "boom")], "val_accuracy", "max", 3)
    with pytest.raises(ConfigError, match="no trial reported metric 'val_accuracy'"):
        _ = res.best_config
    assert "Failed trials (1)" in res.summary()
    with pytest.raises(ConfigError, match="no trainable"):
        res.retrain_best()


def test_plot_and_save(result, tmp_path):
    fig = result.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.lines) == 4 and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "val_accuracy"
    assert "1 failed" in ax.get_title()
    out = result.save(tmp_path / "out")
    assert {p.name for p in out.iterdir()} == {"trials.csv", "history.csv", "summary.txt", "result.json"}


def test_status_and_errors():
    assert trial_status(3, 3, False) == "completed"
    assert trial_status(1, 3, False) == "stopped"
    assert trial_status(0, 3, True) == "failed"
    try:
        raise RuntimeError("wrapper") from ValueError("root cause")
    except RuntimeError as exc:
        assert describe_error(exc) == "ValueError: root cause"
    assert describe_error(None) is None


class Retrains:
    """The least a trainable needs for ``retrain_best``: it is called, runs, and has defaults."""

    def __call__(self, params, report):
        report({"epoch": 1, "loss": 1.0})

    def run(self, params, epochs, report=None, *, evaluate_test=False, progress=False):
        return {"loss": 1.0}

    def default_params(self, names):
        return dict.fromkeys(names)


def test_of_search_takes_the_settings_and_writes_the_folder(result, tmp_path):
    settings = TuneSettings(metric="loss", mode="min", baseline={"train.lr": 0.01})
    folder = tmp_path / "search"
    built = TuneResult.of_search(result.trials, settings, Retrains(), folder, wall_time_s=2.5)
    assert (built.metric, built.mode, built.max_epochs, built.wall_time_s) == ("loss", "min", 10, 2.5)
    assert built.baseline == {"train.lr": 0.01} and built.storage_path == folder
    assert isinstance(built.trainable, Retrains)
    assert {p.name for p in folder.iterdir()} == {"trials.csv", "history.csv", "summary.txt", "result.json"}
    settings = settings.model_copy(update={"max_epochs": 3})
    bare = TuneResult.of_search(result.trials, settings, lambda params, report: None, folder, 1.0)
    assert bare.trainable is None and bare.max_epochs == 3


def test_best_value_skips_what_is_not_a_finite_number():
    values = [0.2, math.nan, None, "x", 0.7, math.inf]
    assert best_value(values, "max") == 0.7 and best_value(values, "min") == 0.2
    assert math.isnan(best_value([math.nan], "max"))


def test_load_reads_back_what_save_wrote(result, tmp_path):
    result.wall_time_s = 4.5
    result.baseline = {"train.lr": 0.01}
    loaded = TuneResult.load(result.save(tmp_path / "out"))
    assert loaded.trials == result.trials
    assert (loaded.metric, loaded.mode, loaded.max_epochs) == ("val_accuracy", "max", 3)
    assert loaded.wall_time_s == 4.5
    assert loaded.baseline == {"train.lr": 0.01} and loaded.storage_path == tmp_path / "out"
    assert loaded.best_trial.trial_id == "b" and loaded.best_metric == 0.9
    assert loaded.trainable is None


@pytest.mark.parametrize(
    "content",
    [None, "{not json", '["a list"]', '{"metric": "loss", "mode": "min"}', '{"trials": [{"bogus": 1}]}'],
    ids=["missing", "not-json", "not-a-mapping", "no-trials", "bad-trial"],
)
def test_load_refuses_a_missing_or_corrupt_result(tmp_path, content):
    if content is not None:
        (tmp_path / "result.json").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="result.json") as info:
        TuneResult.load(tmp_path)
    assert "\n" not in str(info.value)


def test_top_trials_are_ranked_best_first_in_kerastuners_layout(result):
    rows = result.top_trials(10)
    assert [row["trial"] for row in rows] == ["b", "c", "a"]  # the failed trial is not ranked
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert rows[0] == {
        "rank": 1,
        "trial": "b",
        "hyperparameters": {"units": 352, "lr": 0.001},
        "score": 0.9,
        "epochs": 3,
        "status": "completed",
    }
    assert [row["trial"] for row in result.top_trials(1)] == ["b"]
    text = result.summary()
    assert "Trial b summary" in text and "Hyperparameters:\nunits: 352\nlr: 0.001\nScore: 0.9000" in text


def test_short_names_keep_clashing_paths_whole():
    assert short_names(["backend.units", "train.lr"]) == {"backend.units": "units", "train.lr": "lr"}
    assert short_names(["backend.units", "miner.units", "lr"]) == {
        "backend.units": "backend.units",
        "miner.units": "miner.units",
        "lr": "lr",
    }


def test_trials_legend_is_ranked_with_distinct_colours(result):
    ax = result.plot(label_best=3).axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == [
        "1st: units=352, lr=0.001 — val_accuracy 0.9000",
        "2nd: units=64, lr=0.001 — val_accuracy 0.8300",
        "3rd: units=16, lr=0.001 — val_accuracy 0.6000",
    ]
    colours = [to_rgb(line.get_color()) for line in ax.get_legend().get_lines()]
    # clearly distinct: every pair differs by at least 0.3 in some RGB channel
    for i, a in enumerate(colours):
        for b in colours[i + 1 :]:
            assert max(abs(x - y) for x, y in zip(a, b, strict=True)) > 0.3
    assert ax.get_legend().get_title().get_text() == "best 3 of 4"


class RetrainsWithScores(Retrains):
    """Retrains with a model size and final scores depending on the units, as a task's trainable does."""

    def run(self, params, epochs, report=None, *, evaluate_test=False, progress=False):
        units = params["backend.units"]
        for epoch in range(1, epochs + 1):
            report({"epoch": epoch, "train_accuracy": 0.5, "val_accuracy": 0.4})
        return {
            "epoch": float(epochs),
            "train_accuracy": units / 1000,
            "val_accuracy": units / 2000,
            "epoch_time_s": 0.1,
            "n_params": float(units * 10),
        }

    def default_params(self, names):
        return {"backend.units": 512, "train.lr": 0.01}


def test_retrain_rows_one_per_model(result):
    result.trainable = RetrainsWithScores()
    result.baseline = {"backend.units": 512}
    retrained = result.retrain_best(epochs=2, progress=False)
    assert retrained.models() == [
        {
            "model": "best",
            "hyperparameters": {"units": 352, "lr": 0.001},
            "n_params": 3520,
            "train_accuracy": 0.352,
            "val_accuracy": 0.176,
        },
        {
            "model": "baseline",
            "hyperparameters": {"units": 512, "lr": 0.01},
            "n_params": 5120,
            "train_accuracy": 0.512,
            "val_accuracy": 0.256,
        },
    ]
    fig = retrained.plot(metrics=("accuracy",))
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["best train", "best val", "baseline train", "baseline val"]  # both curves in one panel


def test_experiment_analysis_refuses_a_folder_without_a_ray_experiment(result, tmp_path):
    with pytest.raises(InputError, match="holds no Ray Tune experiment") as info:
        result.experiment_analysis()
    assert str(tmp_path) in str(info.value) and "\n" not in str(info.value)
    memory = TuneResult(result.trials, metric="val_accuracy", mode="max", max_epochs=3)
    with pytest.raises(InputError, match="no Ray Tune folder"):
        memory.experiment_analysis()


def test_load_keeps_the_tuners_folder(result, tmp_path):
    result.experiment_path = tmp_path / "ray-experiment"
    loaded = TuneResult.load(result.save(tmp_path / "copy"))
    assert loaded.storage_path == tmp_path / "copy"
    assert loaded.experiment_path == tmp_path / "ray-experiment"
