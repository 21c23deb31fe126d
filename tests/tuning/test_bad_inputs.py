"""Bad-input catalogue for tuning and the plugin registry.

Every case checks the typed error, that the message names the bad input, that nothing was
written outside the storage folder and, at the command line, exit code 2 with one line.
The metrics label cases are in tests/metrics/test_bad_inputs_api.py.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from bad_inputs import api_error, cli_error
from plugin_factory import GOOD_MODULE, write_dist

import embedlab
from embedlab.errors import ConfigError, PluginConflictError, PluginLoadError, UnknownPluginError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune_mlp.yaml"
BASE: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())


def closed_port() -> int:
    """A localhost port nothing listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def changed(**sections: Any) -> dict[str, Any]:
    """The example config with some top-level sections replaced, or merged into for ``tune``/``train``."""
    config = {**BASE}
    for key, value in sections.items():
        config[key] = {**BASE[key], **value} if key in {"tune", "train"} and value is not None else value
    return config


def write_config(folder: Path, config: dict[str, Any]) -> str:
    path = folder / "search.yaml"
    path.write_text(yaml.safe_dump(config))
    return path.name


# (config, extra CLI arguments, text the message must name)
CLI_CASES = {
    "metric-typo": (
        changed(tune={"metric": "vall_acc"}),
        [],
        ["'vall_acc'", "classification", "val_accuracy"],
    ),
    "metric-other-task": (changed(tune={"metric": "val_precision_at_1"}), [], ["val_precision_at_1"]),
    "num-samples-0": (BASE, ["--num-samples", "0"], ["num_samples", "got 0"]),
    "num-samples-negative": (BASE, ["--num-samples", "-3"], ["num_samples", "got -3"]),
    "max-epochs-0": (BASE, ["--max-epochs", "0"], ["max_epochs", "got 0"]),
    "max-epochs-negative": (BASE, ["--max-epochs", "-1"], ["max_epochs", "got -1"]),
    "address-no-port": (BASE, ["--address", "nohost"], ["'nohost'", "host:port"]),
    "address-bad-port": (BASE, ["--address", "host:notaport"], ["'host:notaport'", "notaport"]),
    "address-port-range": (BASE, ["--address", "host:70000"], ["'host:70000'", "1..65535"]),
    "unknown-tuner": (changed(tuner="rey"), [], ["'rey'", "Did you mean 'ray'"]),
    "tuner-params": (changed(tuner={"name": "ray", "params": {"num_cpus": 0}}), [], ["num_cpus", "got 0"]),
    "unknown-scheduler": (changed(tune={"scheduler": "pbt"}), [], ["scheduler", "'pbt'"]),
    "unknown-searcher": (changed(tune={"searcher": "bayes"}), [], ["searcher", "'bayes'"]),
    "unknown-mode": (changed(tune={"mode": "maximum"}), [], ["mode", "'maximum'"]),
    "misspelled-setting": (changed(tune={"num_sample": 3}), [], ["num_sample", "known fields"]),
    "grace-over-max-epochs": (changed(tune={"grace_period": 20}), [], ["grace_period 20", "max_epochs 10"]),
    "reduction-factor-1": (changed(tune={"reduction_factor": 1}), [], ["reduction_factor", "got 1"]),
    "negative-cpu": (changed(tune={"resources": {"cpu": -1}}), [], ["resources.cpu", "got -1"]),
    "fractional-gpus-above-1": (changed(tune={"resources": {"gpu": 1.5}}), [], ["resources.gpu 1.5"]),
    "untunable-task": (changed(task="words"), [], ["'words'", "classification"]),
    "no-backend": (changed(backend=None), [], ["'backend'", "classification"]),
    "empty-choice": (changed(train={"lr": {"choice": []}}), [], ["train.lr", "is empty"]),
    "refused-range": (
        changed(backend={"name": "mlp-classifier", "params": {"units": {"int": [0, 64]}}}),
        [],
        ["backend.units = 0"],
    ),
    "baseline-not-searched": (changed(tune={"baseline": {"backend.width": 3}}), [], ["backend.width"]),
    "top-negative": (BASE, ["--top", "-1"], ["--top"]),
    "name-escapes-storage": (changed(tune={"name": "../escaped"}), [], ["tune.name '../escaped'"]),
    "negative-seed": (changed(tune={"seed": -1}), [], ["seed", "got -1"]),
    "metrics-in-search": (changed(metrics=["accuracy"]), [], ["metrics", "computes no metrics:"]),
}


@pytest.mark.parametrize(("config", "args", "names"), CLI_CASES.values(), ids=CLI_CASES.keys())
def test_cli_refuses_before_any_trial(tmp_path, config, args, names):
    name = write_config(tmp_path, config)
    cli_error(["tune", name, "--storage-path", "out", *args], tmp_path, names, allowed=["out"])


@pytest.mark.parametrize("scheme", ["", "ray://"], ids=["gcs", "ray-client"])
def test_cli_unreachable_address(tmp_path, scheme):
    name = write_config(tmp_path, BASE)
    address = f"{scheme}127.0.0.1:{closed_port()}"
    cli_error(
        ["tune", name, "--storage-path", "out", "--address", address],
        tmp_path,
        [address, "cannot reach"],
        allowed=["out"],
    )


@pytest.mark.parametrize("storage", ["a-file", "a-file/search"], ids=["is-a-file", "inside-a-file"])
def test_cli_storage_path_under_a_file(tmp_path, storage):
    (tmp_path / "a-file").write_text("not a folder")
    name = write_config(tmp_path, BASE)
    cli_error(["tune", name, "--storage-path", storage], tmp_path, ["storage_path", "a-file", "is a file"])


API_CASES = {
    "metric-typo": (dict(metric="val_acuracy"), ["'val_acuracy'", "did you mean 'val_accuracy'"]),
    "num-samples-0": (dict(num_samples=0), ["num_samples"]),
    "max-epochs-0": (dict(max_epochs=0), ["max_epochs"]),
    "unknown-override": (dict(num_sample=4), ["num_sample"]),
    "address-malformed": (dict(address="head-node"), ["'head-node'"]),
    "unknown-scheduler": (dict(scheduler="median"), ["scheduler", "'median'"]),
    "metric-learning-metric": (
        dict(metric="val_precision_at_1"),
        ["'val_precision_at_1'", "'classification'"],
    ),
}


@pytest.mark.parametrize(("overrides", "names"), API_CASES.values(), ids=API_CASES.keys())
def test_api_refuses_before_any_trial(tmp_path, overrides, names):
    api_error(
        lambda: embedlab.tune(EXAMPLE, storage_path=str(tmp_path / "out"), **overrides),
        ConfigError,
        names,
        cwd=tmp_path,
        allowed=["out"],
    )


@pytest.mark.parametrize(
    ("metrics", "names"),
    [
        (["accuracy"], ["metrics:", "tune.metric and computes no metrics:"]),
        ([{"name": "retrieval", "params": {"ks": {"choice": [[1], [5]]}}}], ["metrics:", "is not searched"]),
    ],
    ids=["listed", "searched"],
)
def test_api_refuses_metrics_as_run_does(tmp_path, metrics, names):
    """``embedlab.tune`` refuses ``metrics:`` in a search with the message ``embedlab.run`` gives."""
    config = changed(metrics=metrics)
    tune_error = api_error(
        lambda: embedlab.tune(config, storage_path=str(tmp_path / "out")),
        ConfigError,
        names,
        cwd=tmp_path,
        allowed=["out"],
    )
    run_error = api_error(lambda: embedlab.run(config, tmp_path / "run"), ConfigError, names, cwd=tmp_path)
    assert str(tune_error).splitlines()[-1] in str(run_error)


def test_api_unreachable_address(tmp_path):
    address = f"127.0.0.1:{closed_port()}"
    api_error(
        lambda: embedlab.tune(EXAMPLE, storage_path=str(tmp_path / "out"), address=address),
        ConfigError,
        [address, "cannot reach"],
        cwd=tmp_path,
        allowed=["out"],
    )


@pytest.mark.ray
@pytest.mark.parametrize(
    ("resources", "names"),
    [({"cpu": 64}, "cpu=64"), ({"cpu": 1, "gpu": 1}, "gpu=1")],
    ids=["too-many-cpus", "gpu-on-cpu-cluster"],
)
def test_cli_resources_no_node_has(ray_session, tmp_path, resources, names):
    name = write_config(tmp_path, changed(tune={"resources": resources}))
    cli_error(["tune", name, "--storage-path", "out"], tmp_path, ["tune.resources", names], allowed=["out"])


# Registry ----------------------------------------------------------------------------------------

REGISTRY_CASES = {
    "unknown-kind": (
        lambda: embedlab.create("losses", "triplet"),
        UnknownPluginError,
        ["'losses'", "'loss'"],
    ),
    "unknown-kind-listing": (lambda: embedlab.plugins("tuners"), UnknownPluginError, ["'tuners'", "'tuner'"]),
    "unknown-name": (
        lambda: embedlab.create("dataset", "digit"),
        UnknownPluginError,
        ["'digit'", "'digits'"],
    ),
    "unknown-tuner": (lambda: embedlab.create("tuner", "optina"), UnknownPluginError, ["'optina'", "optuna"]),
    "param-out-of-range": (
        lambda: embedlab.create("dataset", "digits", val_size=2),
        ConfigError,
        ["dataset 'digits'", "val_size"],
    ),
    "param-misspelled": (
        lambda: embedlab.create("dataset", "digits", vals_size=0.1),
        ConfigError,
        ["vals_size", "known fields: val_size"],
    ),
    "tuner-param": (
        lambda: embedlab.create("tuner", "ray", num_gpus=-1),
        ConfigError,
        ["tuner 'ray'", "num_gpus"],
    ),
}


@pytest.mark.parametrize(("call", "error", "names"), REGISTRY_CASES.values(), ids=REGISTRY_CASES.keys())
def test_registry_refuses(tmp_path, call, error, names):
    api_error(call, error, names, cwd=tmp_path)


def test_registry_conflicting_plugins(site, tmp_path):
    write_dist(site, "fake-one", "fake_one", GOOD_MODULE.format(name="twin"))
    write_dist(site, "fake-two", "fake_two", GOOD_MODULE.format(name="twin"))
    api_error(
        lambda: embedlab.create("metric", "twin"),
        PluginConflictError,
        ["'fake-one'", "'fake-two'"],
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    "source",
    ["import sys\nsys.exit(3)\n", "raise RuntimeError('boom at import')\n"],
    ids=["sys-exit", "import-error"],
)
def test_registry_strict_mode_names_the_distribution(site, tmp_path, monkeypatch, source):
    write_dist(site, "fake-bad", "fake_bad", source)
    monkeypatch.setenv("EMBEDLAB_STRICT_PLUGINS", "1")
    api_error(embedlab.plugins, PluginLoadError, ["'fake-bad'", "EMBEDLAB_STRICT_PLUGINS"], cwd=tmp_path)


def test_cli_strict_mode_plugin_calling_sys_exit(site, tmp_path):
    write_dist(site, "fake-bad", "fake_bad", "import sys\nsys.exit(3)\n")
    work = tmp_path / "work"
    work.mkdir()
    cli_error(["plugins"], work, ["'fake-bad'", "sys.exit(3)"], env={"EMBEDLAB_STRICT_PLUGINS": "1"})


def test_cli_unknown_kind(tmp_path):
    cli_error(["plugins", "--kind", "losses"], tmp_path, ["--kind", "'losses'"])
