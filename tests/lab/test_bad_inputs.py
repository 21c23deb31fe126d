"""Bad inputs to ``embedlab run`` and the run directory: each one a typed error, one line, exit 2.

Hostile names (run names, part names, study keys), resume mistakes, ``--out`` problems and
broken config files are refused before anything is written; hostile figure entries in a
``metrics.json`` on disk are skipped without being read.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
import yaml
from bad_inputs import api_error, typed_cli_error, writes_confined_to

import embedlab
from embedlab.config import as_config
from embedlab.errors import ConfigError, InputError
from embedlab.io import ensure_folder, save_figure
from embedlab.lab import RunDirectory, write_reports

WORDS = ["king", "queen", "man", "woman", "actor", "actress"]


def words_config(vectors: Path, **changes: Any) -> dict[str, Any]:
    """A valid, quick ``task: words`` config reading ``vectors``; ``changes`` override top-level keys."""
    return {
        "name": "w",
        "task": "words",
        "backend": {"name": "gensim", "params": {"source": str(vectors)}},
        "study": {"topn": 2, "evaluate": False, "diagnose": None},
        **changes,
    }


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """A folder holding a tiny word-vector file, and nothing else."""
    rows = [f"{w} {' '.join(str((i * 7 + j) % 5 - 2) for j in range(4))}\n" for i, w in enumerate(WORDS)]
    (tmp_path / "vectors.txt").write_text(f"{len(WORDS)} 4\n" + "".join(rows))
    return tmp_path


def write(cwd: Path, data: Any, name: str = "config.json") -> str:
    """Write ``data`` as a JSON (or YAML, by suffix) config in ``cwd``; return its name."""
    path = cwd / name
    path.write_text(yaml.safe_dump(data) if name.endswith(".yaml") else json.dumps(data))
    return name


HOSTILE_NAMES = {
    "parent-path": ("../../x", "'../../x'"),
    "absolute": ("/abs", "'/abs'"),
    "slash": ("a/b", "'a/b'"),
    "dot-dot": ("..", "'..'"),
    "dot": (".", "'.'"),
    "hidden": (".hidden", "'.hidden'"),
    "empty": ("", "''"),
    "nul-byte": ("a\x00b", "'a\\x00b'"),
    "backslash": ("a\\b", "'a\\\\b'"),
    "newline": ("a\nb", "'a\\nb'"),
    "space": ("a b", "'a b'"),
    "very-long": ("x" * 300, "longer than 100 bytes"),
}


@pytest.mark.parametrize(("name", "named"), HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_hostile_run_name_is_refused(cwd: Path, name: str, named: str) -> None:
    config = write(cwd, words_config(cwd / "vectors.txt", name=name))
    typed_cli_error(ConfigError, ["run", config, "--out", "runs"], cwd, ["name", named])


PART_NAMES = {
    "parent-path": "../x",
    "absolute": "/etc",
    "slash": "a/b",
    "empty": "",
    "dot-dot": "..",
}


@pytest.mark.parametrize("part", PART_NAMES.values(), ids=PART_NAMES.keys())
def test_hostile_part_name_is_refused(cwd: Path, part: str) -> None:
    good = words_config(cwd / "vectors.txt")
    suite = {"name": "suite", "parts": [{**good, "name": "ok"}, {**good, "name": part}]}
    typed_cli_error(
        ConfigError, ["run", write(cwd, suite), "--out", "runs"], cwd, ["parts[1].name", repr(part)]
    )


STUDY_KEYS = {
    "arrows-parent-path": ({"arrows": {"../../x": [["king", "queen"], ["man", "woman"]]}}, "'../../x'"),
    "arrows-absolute": ({"arrows": {"/abs": [["king", "queen"], ["man", "woman"]]}}, "'/abs'"),
    "arrows-slash": ({"arrows": {"a/b": [["king", "queen"], ["man", "woman"]]}}, "'a/b'"),
}


@pytest.mark.parametrize(("study", "named"), STUDY_KEYS.values(), ids=STUDY_KEYS.keys())
def test_hostile_study_key_is_refused(cwd: Path, study: dict[str, Any], named: str) -> None:
    config = words_config(cwd / "vectors.txt")
    config["study"].update(study)
    typed_cli_error(
        ConfigError, ["run", write(cwd, config), "--out", "runs"], cwd, ["arrows", "key " + named]
    )


@pytest.mark.parametrize("split", ["../../x", "/abs"], ids=["parent-path", "absolute"])
def test_hostile_classification_split_is_refused(cwd: Path, split: str) -> None:
    config = {
        "name": "c",
        "task": "classification",
        "dataset": "digits",
        "backend": "linear-probe",
        "train": {"epochs": 1},
        "study": {"splits": [split]},
    }
    typed_cli_error(
        ConfigError, ["run", write(cwd, config), "--out", "runs"], cwd, ["splits", "entry " + repr(split)]
    )


def saved_run(cwd: Path, config: dict[str, Any], folder: str = "runs") -> RunDirectory:
    """A run directory of ``config`` under ``cwd/folder``, as a started run leaves it."""
    run = RunDirectory.create(cwd / folder, config["name"])
    run.save_config(as_config(config))
    return run


def test_resume_of_a_missing_run_is_refused(cwd: Path) -> None:
    config = write(cwd, words_config(cwd / "vectors.txt"))
    typed_cli_error(
        ConfigError,
        ["run", config, "--out", "runs", "--resume"],
        cwd,
        ["no earlier run named 'w'", "--resume"],
    )


def test_resume_never_picks_a_run_of_a_longer_name(cwd: Path) -> None:
    vectors = cwd / "vectors.txt"
    saved_run(cwd, words_config(vectors, name="w-b"))
    config = write(cwd, words_config(vectors))
    typed_cli_error(
        ConfigError, ["run", config, "--out", "runs", "--resume"], cwd, "no earlier run named 'w'"
    )


CHANGES = {
    "top-level": ({"seed": 7}, "seed: 0 -> 7"),
    "added": (
        {"study": {"topn": 2, "evaluate": False, "diagnose": None, "neighbors": ["king"]}},
        'study.neighbors: (unset) -> ["king"]',
    ),
    "nested": ({"study": {"topn": 3, "evaluate": False, "diagnose": None}}, "study.topn: 2 -> 3"),
    "component": ({"backend": "gensim"}, "backend.params.source"),
}


@pytest.mark.parametrize(("change", "named"), CHANGES.values(), ids=CHANGES.keys())
def test_resume_with_a_changed_config_is_refused(cwd: Path, change: dict[str, Any], named: str) -> None:
    vectors = cwd / "vectors.txt"
    run = saved_run(cwd, words_config(vectors, seed=0))
    before = run.config_path.read_bytes()
    config = write(cwd, {**words_config(vectors, seed=0), **change})
    typed_cli_error(ConfigError, ["run", config, "--out", "runs", "--resume"], cwd, [named, "--force-new"])
    assert run.config_path.read_bytes() == before


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("config.json", "{not json"),
        ("config.json", "[1, 2]"),
        ("metrics.json", "{oops"),
        ("metrics.json", "[]"),
    ],
    ids=["config-not-json", "config-not-mapping", "index-not-json", "index-not-mapping"],
)
def test_resume_of_a_damaged_run_is_refused(cwd: Path, file: str, text: str) -> None:
    run = saved_run(cwd, words_config(cwd / "vectors.txt"))
    (run.path / file).write_text(text)
    config = write(cwd, words_config(cwd / "vectors.txt"))
    typed_cli_error(InputError, ["run", config, "--out", "runs", "--resume"], cwd, [file, "without --resume"])


@pytest.mark.parametrize(
    "out", ["taken/runs", "taken/a/b", "taken"], ids=["under-file", "deep-under-file", "is-file"]
)
def test_out_blocked_by_a_file_is_refused(cwd: Path, out: str) -> None:
    (cwd / "taken").write_text("a file, not a folder")
    config = write(cwd, words_config(cwd / "vectors.txt"))
    typed_cli_error(InputError, ["run", config, "--out", out], cwd, ["'taken' is a file", out])


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_out_not_writable_is_refused(cwd: Path) -> None:
    (cwd / "locked").mkdir(mode=0o555)
    config = write(cwd, words_config(cwd / "vectors.txt"))
    typed_cli_error(InputError, ["run", config, "--out", "locked/runs"], cwd, "locked/runs")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file")
def test_unreadable_config_is_refused(cwd: Path) -> None:
    config = write(cwd, words_config(cwd / "vectors.txt"))
    (cwd / config).chmod(0)
    typed_cli_error(ConfigError, ["run", config, "--out", "runs"], cwd, config)


BAD_FILES = {
    "missing": (None, "missing.yaml"),
    "folder": ("folder", "cfg.yaml"),
    "bad-suffix": ("name: w\n", "config.txt"),
    "unparseable-yaml": ("name: [\n", "broken.yaml"),
    "top-level-list": ("- 1\n- 2\n", "list.yaml"),
    "invalid-toml": ("name = \n", "broken.toml"),
}


@pytest.mark.parametrize(("text", "name"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_config_file_is_refused(cwd: Path, text: str | None, name: str) -> None:
    if text == "folder":
        (cwd / name).mkdir()
    elif text is not None:
        (cwd / name).write_text(text)
    typed_cli_error(ConfigError, ["run", name, "--out", "runs"], cwd, name)


def figure() -> plt.Figure:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return fig


@pytest.mark.parametrize(
    ("section", "name", "named"),
    [
        ("../x", "roc", "section '../x'"),
        ("ok", "/etc/x", "figure name '/etc/x'"),
        ("ok", "a/../../b", "'a/../../b'"),
    ],
    ids=["section-parent-path", "figure-absolute", "figure-traversal"],
)
def test_add_figure_refuses_hostile_names(tmp_path: Path, section: str, name: str, named: str) -> None:
    run = RunDirectory(tmp_path / "run")
    api_error(lambda: run.add_figure(section, name, figure()), InputError, named, tmp_path, ["run"])


def test_api_run_into_a_file_is_refused(cwd: Path) -> None:
    (cwd / "taken").write_text("")
    config = words_config(cwd / "vectors.txt")
    api_error(lambda: embedlab.run(config, cwd / "taken" / "runs"), InputError, "taken", cwd)


def test_api_run_into_a_path_with_a_nul_byte_is_refused(cwd: Path) -> None:
    config = words_config(cwd / "vectors.txt")
    api_error(
        lambda: embedlab.run(config, cwd / "ru\x00ns"), InputError, ["ru\\x00ns", "embedded null byte"], cwd
    )


def test_api_run_directory_with_a_hostile_name_is_refused(tmp_path: Path) -> None:
    api_error(lambda: RunDirectory.create(tmp_path, "../escape"), InputError, "'../escape'", tmp_path)


def test_figure_of_an_unknown_format_is_refused(tmp_path: Path) -> None:
    api_error(lambda: save_figure(figure(), tmp_path / "fig.xyz"), InputError, ["fig.xyz", ".png"], tmp_path)


def test_folder_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    api_error(lambda: ensure_folder(tmp_path / "f" / "sub"), InputError, "is a file", tmp_path)


HOSTILE_FIGURES = {
    "system-file": "/etc/hostname",
    "parent-path": "../../secret.png",
    "traversal-inside-name": "figures/../../secret.png",
    "not-a-string": 42,
    "nul-byte": "figures/a\x00.png",
    "link-loop": "figures/loop.png",
    "missing-file": "figures/none.png",
    "symlink-out": "figures/link.png",
}


@pytest.mark.parametrize("entry", HOSTILE_FIGURES.values(), ids=HOSTILE_FIGURES.keys())
def test_metrics_json_figure_outside_the_run_is_never_read(
    tmp_path: Path, entry: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"SECRET-" + string.ascii_letters.encode())
    run = RunDirectory(tmp_path / "a" / "run")
    (run.path / "figures").mkdir()
    (run.path / "figures" / "link.png").symlink_to(secret)
    (run.path / "figures" / "loop.png").symlink_to(run.path / "figures" / "loop.png")
    index = {"metrics": {"s": {"acc": 0.5}}, "figures": {"s": [entry]}, "completed": []}
    run.metrics_path.write_text(json.dumps(index))
    with writes_confined_to(tmp_path, ["a/run"]):
        reopened = RunDirectory(run.path)
        html = write_reports(run.path, "t", reopened.metrics, index["figures"]).read_text()
    assert reopened.figures == {}
    assert "data:image/png" not in html and "U0VDUkVU" not in html  # base64 of "SECRET"
    assert str(entry) not in (run.path / "report.md").read_text()
    assert any("skipped" in r.message for r in caplog.records)
