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


def _commands(command=main, ctx=None, path=("embedlab",)):
    """Every command of the ``embedlab`` tree, with its context and its path of names."""
    import click

    ctx = ctx or click.Context(command, info_name=path[-1])
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            yield from _commands(sub, click.Context(sub, parent=ctx, info_name=name), (*path, name))


def test_the_tree_is_walked_to_the_leaves():
    paths = {" ".join(path) for path, _, _ in _commands()}
    assert {"embedlab plugins", "embedlab words neighbors", "embedlab evaluate", "embedlab run"} <= paths


def test_every_option_has_help_and_shows_its_default():
    import click

    for path, command, _ctx in _commands():
        for option in command.params:
            if not isinstance(option, click.Option) or option.hidden or option.name == "help":
                continue
            where = f"{' '.join(path)} {option.opts[0]}"
            assert option.help, f"{where} has no help text"
            default = option.to_info_dict()["default"]  # None where the option has no default
            if not option.is_flag and default not in (None, ()):
                assert option.show_default, f"{where} does not show its default {default!r}"


def test_command_summaries_are_not_cut_off():
    for path, command, _ in _commands():
        summary = command.get_short_help_str(limit=45)  # the width click cuts a first sentence at
        assert summary and not summary.endswith("..."), f"{' '.join(path)}: summary cut to {summary!r}"


def test_help_pages_show_no_rst_markup():
    for path, command, ctx in _commands():
        page = command.get_help(ctx)
        for markup in ("``", ":class:", ":func:", ":meth:", ":mod:"):
            assert markup not in page, f"{' '.join(path)} --help shows {markup!r}"


def test_hints_use_the_cli_spelling(tmp_path):
    import numpy as np

    np.savez(tmp_path / "p.npz", y_true=np.array([0, 1, 1]), y_score=np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]]))
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "p.npz"), "--scores", "labels"])
    assert result.exit_code == 2
    assert "--scores labels needs 1-D" in result.output
    assert "--scores probabilities or --scores logits" in result.output and "scores='" not in result.output
    result = CliRunner().invoke(
        main, ["evaluate", str(tmp_path / "p.npz"), "--class-names", "a,b,c", "--no-figures"]
    )
    assert result.exit_code == 2 and "--class-names has 3 names" in result.output
