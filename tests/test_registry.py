"""The plugin registry, exercised through real entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from plugin_factory import GOOD_MODULE, pip_install_package, write_dist

import embedlab
from embedlab import registry


def names(kind=None):
    return {(i.kind, i.name) for i in embedlab.plugins(kind)}


def test_builtins_come_through_the_entry_point_group():
    infos = {(i.kind, i.name): i for i in embedlab.plugins()}
    assert infos["dataset", "digits"].distribution == "embedlab"
    assert infos["metric", "accuracy"].distribution == "embedlab"
    assert infos["dataset", "digits"].version == embedlab.__version__
    assert "val_size" in infos["dataset", "digits"].params.model_fields


def test_good_plugin_appears_and_creates(site):
    write_dist(site, "fake-good", "fake_good", GOOD_MODULE.format(name="scale"))
    info = embedlab.registry.get("metric", "scale")
    assert (info.distribution, info.version, info.summary) == ("fake-good", "1.0", "a test metric")
    metric = embedlab.create("metric", "scale", factor=3)
    assert metric([1, 2], [1, 2]) == 6


def test_broken_import_warns_and_the_rest_keep_working(site):
    write_dist(site, "fake-broken", "fake_broken", "raise RuntimeError('boom at import')\n")
    write_dist(site, "fake-good", "fake_good", GOOD_MODULE.format(name="scale"))
    with pytest.warns(registry.PluginWarning, match=r"fake_broken.*fake-broken.*boom at import"):
        found = names()
    assert ("metric", "scale") in found and ("dataset", "digits") in found


def test_broken_registration_warns(site):
    source = """
    import embedlab

    @embedlab.hookimpl
    def embedlab_register_losses(register):
        raise ValueError("cannot register")
    """
    write_dist(site, "fake-badhook", "fake_badhook", source)
    with pytest.warns(
        registry.PluginWarning, match=r"fake-badhook.*embedlab_register_losses.*cannot register"
    ):
        assert ("dataset", "digits") in names()


def test_misspelled_hook_is_reported(site):
    source = """
    import embedlab

    @embedlab.hookimpl
    def embedlab_register_lossez(register):
        pass
    """
    write_dist(site, "fake-typo", "fake_typo", source)
    with pytest.warns(registry.PluginWarning, match=r"fake-typo.*failed to register.*lossez"):
        names()


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("import sys\nsys.exit(3)\n", "failed to import: called sys.exit(3)"),
        ("raise SystemExit('bye')\n", "failed to import: called sys.exit('bye')"),
        (
            "import sys, embedlab\n\n@embedlab.hookimpl\ndef embedlab_register_losses(register):\n"
            "    sys.exit()\n",
            "failed in embedlab_register_losses: called sys.exit(None)",
        ),
    ],
    ids=["exit-on-import", "raise-systemexit", "exit-in-hook"],
)
def test_plugin_calling_sys_exit_warns_and_the_rest_keep_working(site, source, named):
    write_dist(site, "fake-exit", "fake_exit", source)
    write_dist(site, "fake-good", "fake_good", GOOD_MODULE.format(name="scale"))
    with pytest.warns(registry.PluginWarning, match=r"fake-exit") as caught:
        found = names()
    assert ("metric", "scale") in found and ("dataset", "digits") in found
    assert any(named in str(w.message) for w in caught)


def test_plugin_calling_sys_exit_is_refused_in_strict_mode(site, monkeypatch):
    write_dist(site, "fake-exit", "fake_exit", "import sys\nsys.exit(3)\n")
    monkeypatch.setenv("EMBEDLAB_STRICT_PLUGINS", "1")
    with pytest.raises(embedlab.PluginLoadError, match=r"fake-exit.*sys\.exit\(3\).*STRICT"):
        embedlab.plugins()


def test_keyboard_interrupt_in_a_plugin_still_stops_the_program(site):
    write_dist(site, "fake-interrupt", "fake_interrupt", "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        embedlab.plugins()


def test_cli_lists_plugins_despite_one_calling_sys_exit(tmp_path):
    site = tmp_path / "site"
    write_dist(site, "fake-exit", "fake_exit", "import sys\nsys.exit(3)\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("EMBEDLAB_STRICT_PLUGINS", None)
    out = subprocess.run(
        [sys.executable, "-m", "embedlab", "plugins", "--kind", "dataset"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "digits" in out.stdout
    assert "fake-exit" in out.stderr and "sys.exit(3)" in out.stderr


def test_strict_mode_refuses_a_broken_plugin(site, monkeypatch):
    write_dist(site, "fake-broken", "fake_broken", "raise RuntimeError('boom at import')\n")
    monkeypatch.setenv("EMBEDLAB_STRICT_PLUGINS", "1")
    with pytest.raises(embedlab.PluginLoadError, match=r"fake-broken.*boom at import.*STRICT"):
        embedlab.plugins()


def test_conflict_names_both_distributions(site):
    write_dist(site, "fake-one", "fake_one", GOOD_MODULE.format(name="twin"))
    write_dist(site, "fake-two", "fake_two", GOOD_MODULE.format(name="twin"))
    with pytest.raises(embedlab.PluginConflictError, match=r"metric 'twin'.*'fake-one'.*'fake-two'"):
        embedlab.create("metric", "twin")
    with pytest.warns(registry.PluginWarning, match="twin"):
        listed = [i for i in embedlab.plugins("metric") if i.name == "twin"]
    assert {i.distribution for i in listed} == {"fake-one", "fake-two"}


def test_conflict_with_a_builtin_is_named(site):
    write_dist(site, "fake-shadow", "fake_shadow", GOOD_MODULE.format(name="accuracy"))
    with pytest.raises(
        embedlab.PluginConflictError, match=r"'embedlab'.*'fake-shadow'|'fake-shadow'.*'embedlab'"
    ):
        embedlab.create("metric", "accuracy")


def test_disabled_distribution_is_never_imported(site, monkeypatch):
    write_dist(site, "fake-broken", "fake_broken", "raise RuntimeError('must not be imported')\n")
    write_dist(site, "fake-good", "fake_good", GOOD_MODULE.format(name="scale"))
    monkeypatch.setenv("EMBEDLAB_DISABLE_PLUGINS", "fake_broken, Fake-Good")
    assert ("metric", "scale") not in names()
    assert "fake_broken" not in sys.modules


def test_unknown_name_suggests_close_matches():
    with pytest.raises(embedlab.UnknownPluginError) as err:
        embedlab.create("dataset", "digit")
    message = str(err.value)
    assert "unknown dataset 'digit'" in message and "Did you mean 'digits'" in message
    assert "Available:" in message and "digits" in message
    with pytest.raises(embedlab.UnknownPluginError, match=r"unknown plugin kind 'losses'.*'loss'"):
        embedlab.create("losses", "triplet")


def test_params_validation_errors_read_well():
    with pytest.raises(embedlab.ConfigError) as err:
        embedlab.create("dataset", "digits", val_size=2)
    message = str(err.value)
    assert "dataset 'digits'" in message and "val_size" in message and "2" in message and "< 1" in message
    with pytest.raises(
        embedlab.ConfigError, match=r"vals_size.*Extra inputs are not permitted.*known fields: val_size"
    ):
        embedlab.create("dataset", "digits", vals_size=0.1)
    with pytest.raises(embedlab.ConfigError, match="leaves no training data"):
        embedlab.create("dataset", "digits", val_size=0.5, test_size=0.5)


def test_register_plugin_without_entry_point(site):
    class Plugin:
        @embedlab.hookimpl
        def embedlab_register_metrics(self, register):
            register("inline", lambda: lambda y, s: 1.0, summary="inline")

    registry.register_plugin(Plugin(), distribution="notebook")
    assert embedlab.registry.get("metric", "inline").distribution == "notebook"
    assert embedlab.create("metric", "inline")([0], [0]) == 1.0


def test_a_class_factory_declares_its_params_model_once(site):
    class Params(embedlab.Params):
        factor: int = 2

    class Scaled:
        params_model = Params

        def __init__(self, factor: int) -> None:
            self.factor = factor

    class Plugin:
        @embedlab.hookimpl
        def embedlab_register_metrics(self, register):
            register("scaled", Scaled, summary="scaled")

    registry.register_plugin(Plugin(), distribution="notebook")
    assert registry.get("metric", "scaled").params is Params
    assert embedlab.create("metric", "scaled", factor=3).factor == 3
    with pytest.raises(embedlab.ConfigError, match="factor"):
        embedlab.create("metric", "scaled", factor="x")


def test_pip_installed_plugin_appears_in_cli(tmp_path):
    target = tmp_path / "target"
    pip_install_package(
        tmp_path / "src", target, "fake-pipmetric", "fake_pipmetric", GOOD_MODULE.format(name="piped")
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-m", "embedlab", "plugins", "--kind", "metric", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    piped = [p for p in json.loads(out) if p["name"] == "piped"]
    assert piped and piped[0]["distribution"] == "fake-pipmetric" and piped[0]["version"] == "0.3.0"
    assert piped[0]["params"]["properties"]["factor"]["exclusiveMinimum"] == 0


def test_create_is_overloaded_for_every_kind_and_behaves_the_same():
    import re
    import typing

    # Annotations are strings (the return types are imported for type checkers only).
    annotations = [f.__annotations__["kind"] for f in typing.get_overloads(registry.create)]
    kinds = [m.group(1) for a in annotations if (m := re.fullmatch(r"Literal\[['\"]([a-z]+)['\"]\]", a))]
    assert sorted(kinds) == sorted(registry.KINDS)
    assert annotations[-1] == "str"  # any other kind string: the registry's own error
    assert embedlab.create is registry.create
    assert type(embedlab.create("dataset", "digits")).__name__ == "ArrayDataset"
    with pytest.raises(embedlab.UnknownPluginError, match="unknown plugin kind 'losses'"):
        embedlab.create("losses", "triplet")
