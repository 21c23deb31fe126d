"""Experiment tracking: loggers: in a config, TensorBoard event files, MLflow runs, bad input."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

import embedlab
from embedlab.cli import main
from embedlab.config import ExperimentConfig, validate_config
from embedlab.protocols import LoggerProtocol
from embedlab.tracking import TrackedRun, flat_params, log_section, track

# MLflow's SQLite store still uses a loader option SQLAlchemy 2.1 deprecates; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")

TRIPLET = {
    "name": "tracked",
    "task": "metric-learning",
    "seed": 0,
    "dataset": "digits",
    "backend": {"name": "seed-cnn", "params": {"embedding_dim": 8}},
    "loss": {"name": "triplet", "params": {"margin": 0.4}},
    "miner": "random",
    "train": {"epochs": 2, "batch_size": 128, "sampler": "random", "warmup_epochs": 0, "progress": False},
    "study": {"projection": "pca", "max_points": 100},
}


class Recorder:
    """A logger that keeps what it was sent."""

    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on
        self.calls: list[tuple[str, object]] = []

    def start(self, run, params):
        if self.fail_on == "start":
            raise embedlab.ConfigError("cannot start")
        self.calls.append(("start", (run, dict(params))))

    def log_metrics(self, step, metrics):
        if self.fail_on == "log":
            raise OSError("disk full")
        self.calls.append(("log", (step, dict(metrics))))

    def finish(self, status):
        self.calls.append(("finish", status))


def _scalars(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    """One tiny metric-learning run (digits, 2 epochs) logged to TensorBoard and, where installed, MLflow."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    loggers = ["tensorboard"]
    try:
        import mlflow  # noqa: F401

        loggers.append("mlflow")
    except ImportError:
        pass
    try:
        yield embedlab.run({**TRIPLET, "loggers": loggers}, tmp_path_factory.mktemp("runs"))
    finally:
        torch.set_num_threads(before)


def test_tensorboard_event_files_hold_the_epoch_losses(tracked_run):
    pytest.importorskip("tensorboard")
    history = tracked_run.metrics["tracked"]["history"]
    scalars = _scalars(tracked_run.path / "tensorboard" / "tracked")
    assert scalars["train_loss"] == [(r["epoch"], pytest.approx(r["train_loss"])) for r in history]
    assert [step for step, _ in scalars["val_precision_at_1"]] == [1, 2]
    # the final numbers, at the last epoch
    final = tracked_run.metrics["tracked"]["retrieval (queries vs train)"]["test"]["precision_at_1"]
    assert scalars["retrieval (queries vs train)/test/precision_at_1"] == [(2, pytest.approx(final))]


def test_mlflow_run_holds_params_and_metrics(tracked_run):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tracked_run.path.parent / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("tracked")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == tracked_run.path.name and run.info.status == "FINISHED"
    assert run.data.params["train.epochs"] == "2"
    assert run.data.params["loss.params.margin"] == "0.4"
    assert run.data.tags["embedlab.section"] == "tracked"
    history = tracked_run.metrics["tracked"]["history"]
    losses = client.get_metric_history(run.info.run_id, "train_loss")
    assert [(m.step, m.value) for m in losses] == [
        (r["epoch"], pytest.approx(r["train_loss"])) for r in history
    ]
    # MLflow refuses parentheses in names: they are dropped
    assert "retrieval queries vs train/test/precision_at_1" in run.data.metrics
    assert not list(tracked_run.path.parent.glob("mlruns"))


def test_parts_inherit_the_top_level_loggers_unless_they_list_their_own():
    config = ExperimentConfig.model_validate(
        {
            "name": "suite",
            "loggers": ["tensorboard"],
            "parts": [{**TRIPLET, "name": "a"}, {**TRIPLET, "name": "b", "loggers": []}],
        }
    )
    assert [c.name for c in config.parts[0].loggers] == ["tensorboard"]
    assert config.parts[1].loggers == []
    again = ExperimentConfig.model_validate(config.model_dump(mode="json"))
    assert again == config  # the saved config.json reads back the same


def test_logger_specs_are_validated_like_other_components():
    with pytest.raises(
        embedlab.ConfigError, match=r"loggers\[0\]: unknown logger 'tensorbord'.*Did you mean 'tensorboard'"
    ):
        validate_config({**TRIPLET, "loggers": ["tensorbord"]})
    with pytest.raises(embedlab.ConfigError, match=r"loggers\[0\]\.params\.log_dri"):
        validate_config({**TRIPLET, "loggers": [{"name": "tensorboard", "params": {"log_dri": "x"}}]})
    config = validate_config(
        {**TRIPLET, "loggers": [{"name": "mlflow", "params": {"tracking_uri": "sqlite:///x.db"}}]}
    )
    assert config.loggers[0].params == {"tracking_uri": "sqlite:///x.db"}


@pytest.mark.parametrize(("name", "package"), [("tensorboard", "tensorboard"), ("mlflow", "mlflow")])
def test_a_logger_that_is_not_installed_stops_the_run_before_any_work(tmp_path, monkeypatch, name, package):
    monkeypatch.setitem(sys.modules, package, None)  # `import <package>` now fails as if absent
    out = tmp_path / "runs"
    with pytest.raises(embedlab.ConfigError) as caught:
        embedlab.run({**TRIPLET, "loggers": [name]}, out)
    message = str(caught.value)
    assert f"logger {name!r} needs the {package} package" in message
    assert f"pip install 'embedlab[{name}]'" in message and "\n" not in message
    assert not out.exists()  # nothing was written, nothing trained
    (tmp_path / "cfg.yaml").write_text(
        f"{{name: t, task: metric-learning, dataset: digits, loggers: [{name}]}}"
    )
    result = CliRunner().invoke(main, ["run", str(tmp_path / "cfg.yaml"), "--out", str(out)])
    assert result.exit_code == 2
    assert f"pip install 'embedlab[{name}]'" in result.output and "Traceback" not in result.output


def test_track_reports_each_outcome_and_log_section_sends_histories_then_final_numbers(tmp_path):
    info = TrackedRun(name="r", experiment="e", section="s", directory=tmp_path)
    recorder = Recorder()
    assert isinstance(recorder, LoggerProtocol)
    with track([recorder], info, {"train.epochs": 2}):
        log_section(
            [recorder],
            {
                "history": [
                    {"epoch": 1, "train_loss": 2.0},
                    {"epoch": 2, "train_loss": 1.0, "val_loss": float("nan")},
                ],
                "retrained": [{"epoch": 1, "loss": 3.0}],
                "dataset": {"sizes": {"train": 10}},
                "scores": {"val": {"accuracy": 0.5, "below_target": ["a"]}, "flag": True},
                "words": [["king", 0.9]],
            },
        )
    assert recorder.calls == [
        ("start", (info, {"train.epochs": 2})),
        ("log", (1, {"train_loss": 2.0})),
        ("log", (2, {"train_loss": 1.0})),  # NaN is not a number a tracker can plot
        ("log", (1, {"retrained/loss": 3.0})),
        ("log", (2, {"scores/val/accuracy": 0.5})),
        ("finish", "FINISHED"),
    ]
    failed = Recorder()
    with pytest.raises(ValueError, match="boom"), track([failed], info, {}):
        raise ValueError("boom")
    assert failed.calls[-1] == ("finish", "FAILED")
    interrupted = Recorder()
    with pytest.raises(KeyboardInterrupt), track([interrupted], info, {}):
        raise KeyboardInterrupt
    assert interrupted.calls[-1] == ("finish", "KILLED")


def test_a_logger_that_cannot_start_finishes_the_others_and_one_that_cannot_log_only_warns(tmp_path, caplog):
    info = TrackedRun(name="r", experiment="e", section="s", directory=tmp_path)
    first, broken = Recorder(), Recorder(fail_on="start")
    with pytest.raises(embedlab.ConfigError, match="cannot start"), track([first, broken], info, {}):
        pytest.fail("the block must not run")
    assert first.calls[-1] == ("finish", "FAILED")
    flaky = Recorder(fail_on="log")
    with track([flaky], info, {}):
        log_section([flaky], {"history": [{"epoch": 1, "train_loss": 1.0}]})
    assert flaky.calls[-1] == ("finish", "FINISHED")
    assert "logger Recorder failed to log metrics: OSError: disk full" in caplog.text


def test_flat_params_spell_nested_config_keys_with_dots():
    config = ExperimentConfig.model_validate({**TRIPLET, "metrics": [{"name": "retrieval"}]})
    flat = flat_params(config.model_dump(mode="json"))
    assert flat["dataset.name"] == "digits"
    assert flat["backend.params.embedding_dim"] == 8
    assert flat["metrics.0.name"] == "retrieval"
    assert flat["tuner"] is None and "parts" not in flat
    assert all(isinstance(v, str | int | float | bool | type(None)) for v in flat.values())


@pytest.mark.parametrize("name", [i.name for i in embedlab.plugins("logger") if i.distribution == "embedlab"])
def test_every_builtin_logger_keeps_the_logger_contract(name):
    pytest.importorskip(name)
    logger = embedlab.create("logger", name)
    assert isinstance(logger, LoggerProtocol)
    assert repr(logger).startswith(type(logger).__name__ + "(")


def test_a_part_is_tracked_as_its_own_run_named_after_the_run_folder_and_the_part(tmp_path):
    from embedlab.lab.jobs import tracked_job
    from embedlab.lab.rundir import RunDirectory

    config = validate_config({"name": "suite", "parts": [{**TRIPLET, "name": "a"}]})
    run = RunDirectory.create(tmp_path, "suite")
    run.save_config(config)
    recorder = Recorder()

    def job(run, section, resume):
        run.log_metrics(section, {"history": [{"epoch": 1, "train_loss": 0.5}], "n_params": 10})

    tracked_job(config.parts[0], [recorder], job)(run, "a", False)
    (kind, (info, params)), *logged, finished = recorder.calls
    assert kind == "start"
    assert info == TrackedRun(name=f"{run.path.name}/a", experiment="suite", section="a", directory=run.path)
    assert params["name"] == "a" and params["train.epochs"] == 2
    assert logged == [("log", (1, {"train_loss": 0.5})), ("log", (1, {"n_params": 10.0}))]
    assert finished == ("finish", "FINISHED")


def test_epochs_reach_the_loggers_as_they_end_and_are_not_sent_again(tmp_path):
    from embedlab.lab.jobs import tracked_job
    from embedlab.lab.rundir import RunDirectory

    config = validate_config(TRIPLET)
    run = RunDirectory.create(tmp_path, "tracked")
    run.save_config(config)
    recorder = Recorder()
    history = [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.4}]

    def job(run, section, resume):
        for record in history:
            run.log_epoch(section, record)
            assert recorder.calls[-1] == ("log", (record["epoch"], {"train_loss": record["train_loss"]}))
        run.log_epoch("another-section", {"epoch": 9, "train_loss": 1.0})  # not this tracker's
        run.log_metrics(section, {"history": history, "n_params": 10})

    tracked_job(config, [recorder], job)(run, "tracked", False)
    _, *logged, finished = recorder.calls
    assert logged == [
        ("log", (1, {"train_loss": 0.5})),
        ("log", (2, {"train_loss": 0.4})),
        ("log", (2, {"n_params": 10.0})),  # the final numbers at the last live epoch; no history twice
    ]
    assert finished == ("finish", "FINISHED") and run.epoch_listeners == []
