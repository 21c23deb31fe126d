"""The embedlab command: version, plugin listing, one-line errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

import embedlab
from embedlab.cli import main


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and embedlab.__version__ in result.output


def test_plugins_table_lists_builtins_with_distribution():
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0
    header, rule, *rows = result.output.splitlines()
    assert header.split() == ["kind", "name", "distribution", "version", "summary"]
    digits = next(r for r in rows if r.split()[:2] == ["dataset", "digits"])
    assert digits.split()[2:4] == ["embedlab", embedlab.__version__]


def test_plugins_json_has_every_builtin_with_schema():
    result = CliRunner().invoke(main, ["plugins", "--json"])
    listed = {(p["kind"], p["name"]): p for p in json.loads(result.output)}
    assert {("dataset", "digits"), ("metric", "accuracy")} <= set(listed)
    for info in embedlab.plugins():
        entry = listed[info.kind, info.name]
        assert entry["distribution"] == info.distribution
        assert entry["params"]["type"] == "object"
    assert "val_size" in listed["dataset", "digits"]["params"]["properties"]


def test_plugins_kind_filter():
    result = CliRunner().invoke(main, ["plugins", "--kind", "metric", "--json"])
    assert {p["kind"] for p in json.loads(result.output)} == {"metric"}


def test_user_error_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.setattr(embedlab.cli.embedlab, "plugins", _raise_config_error)
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 2
    assert result.output == "embedlab: error: broken on purpose\n"
    result = CliRunner().invoke(main, ["--debug", "plugins"])
    assert isinstance(result.exception, embedlab.ConfigError)


def _raise_config_error(kind=None):
    raise embedlab.ConfigError("broken on purpose")


def test_os_error_about_a_file_is_one_line_exit_2(monkeypatch):
    def denied(kind=None):
        raise PermissionError(13, "Permission denied", "/data/locked.csv")

    monkeypatch.setattr(embedlab.cli.embedlab, "plugins", denied)
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "embedlab: error: cannot access '/data/locked.csv': Permission denied; check the path and its permissions"
    ]
    assert isinstance(CliRunner().invoke(main, ["--debug", "plugins"]).exception, PermissionError)


def test_os_error_without_a_file_is_a_bug_and_keeps_its_traceback(monkeypatch):
    def broken(kind=None):
        raise OSError("no file involved")

    monkeypatch.setattr(embedlab.cli.embedlab, "plugins", broken)
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 1 and isinstance(result.exception, OSError)


def test_a_multi_line_message_is_printed_as_one_line(monkeypatch):
    def parse_error(kind=None):
        raise embedlab.ConfigError("c.yaml: cannot parse: while parsing\n  in line 2\n\n    ^\n")

    monkeypatch.setattr(embedlab.cli.embedlab, "plugins", parse_error)
    result = CliRunner().invoke(main, ["plugins"])
    assert result.output == "embedlab: error: c.yaml: cannot parse: while parsing in line 2 ^\n"
