"""Bad experiment configs: every one is refused whole, before anything is written.

Each case writes one config file and checks three ways in: ``embedlab.run`` (and
``embedlab.load_config`` where loading alone must refuse it) raise a :class:`ConfigError`
whose message starts with the file and names the key path; ``embedlab run CFG --out runs``
exits 2 with that one line; and neither writes anything, not even ``runs/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from bad_inputs import api_error, cli_error
from click.testing import CliRunner

import embedlab
from embedlab.cli import main
from embedlab.config import MAX_YAML_NODES
from embedlab.errors import ConfigError
from embedlab.lab.check import check_config

#: A config that runs: every case below breaks it in one or more places.
BASE = "name: c\ntask: classification\ndataset: digits\nbackend: linear-probe\ntrain: {epochs: 1}\n"
BASE_JSON = {"name": "c", "task": "classification", "dataset": "digits", "backend": "linear-probe"}
SEARCH = (
    "name: s\ntask: classification\ndataset: digits\n"
    "backend: {name: mlp-classifier, params: {units: {int: [16, 32], step: 16}}}\n"
)


def _bomb(levels: int) -> str:
    rows = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class Case:
    """One bad config file and what its error must name."""

    file: str
    text: str | bytes | None
    names: tuple[str, ...]
    on_load: bool = True  # load_config alone refuses it; otherwise only run's whole-config check does


CASES: dict[str, Case] = {
    # keys and values of the config itself
    "unknown-top-key": Case("c.yaml", BASE + "datasett: digits\n", ("datasett", "did you mean 'dataset'?")),
    "unknown-train-key": Case(
        "c.yaml",
        BASE.replace("{epochs: 1}", "{epochs: 1, lrate: 0.1}"),
        ("train.lrate", "did you mean 'lr'?"),
        False,
    ),
    "unknown-task": Case(
        "c.yaml",
        BASE.replace("classification", "metric-learnin"),
        ("task: unknown task 'metric-learnin'", "did you mean 'metric-learning'?"),
        False,
    ),
    "missing-task": Case("c.yaml", BASE.replace("task: classification\n", ""), ("task: missing",), False),
    "task-not-a-name": Case(
        "c.yaml", BASE.replace("task: classification", "task: [a]"), ("task: Input should be",)
    ),
    "unknown-backend": Case(
        "c.yaml",
        BASE.replace("linear-probe", "linear-prob"),
        ("backend: unknown backend 'linear-prob'", "linear-probe"),
    ),
    "unknown-dataset": Case(
        "c.yaml", BASE.replace("digits", "digts"), ("dataset: unknown dataset 'digts'", "digits")
    ),
    "unknown-metric-in-list": Case(
        "c.yaml", BASE + "metrics: [accuracy, acuracy]\n", ("metrics[1]: unknown metric 'acuracy'",)
    ),
    "bad-component-param": Case(
        "c.yaml",
        BASE.replace("linear-probe", "{name: mlp-classifier, params: {units: 0}}"),
        ("backend.params.units", "(got 0)"),
    ),
    "unknown-component-param": Case(
        "c.yaml",
        BASE.replace("linear-probe", "{name: mlp-classifier, params: {unit: 8}}"),
        ("backend.params.unit", "did you mean 'units'?"),
    ),
    "huge-component-param": Case(
        "c.yaml",
        BASE.replace("linear-probe", "{name: mlp-classifier, params: {units: 100000000000000000000000}}"),
        ("backend.params.units",),
    ),
    "component-name-not-a-name": Case(
        "c.yaml",
        BASE.replace("linear-probe", "{name: {choice: [1, 2]}}"),
        ("backend.name", "{choice: [name, ...]}"),
    ),
    "component-unknown-key": Case(
        "c.yaml",
        BASE.replace("linear-probe", "{nmae: linear-probe}"),
        ("backend.nmae", "did you mean 'name'?"),
    ),
    "several-at-once": Case(
        "c.yaml",
        "name: c\nseed: -1\ntask: classification\ndatasett: digits\nbackend: linear-prob\n"
        "train: {lrate: 0.1}\nstudy: {recal_target: 0.5}\n",
        (
            "5 problems",
            "seed: Input should be greater than or equal to 0",
            "datasett: Extra inputs",
            "backend: unknown backend 'linear-prob'",
            "train.lrate: Extra inputs",
            "study.recal_target: Extra inputs",
        ),
        False,
    ),
    # seeds and numbers that numpy and torch cannot take
    "seed-1e23-yaml": Case("c.yaml", BASE + "seed: 1e23\n", ("seed: Input should be a valid integer",)),
    "seed-1e23-json": Case("c.json", json.dumps({**BASE_JSON, "seed": 1e23}), ("seed", "too large")),
    "seed-10**23-int": Case("c.yaml", BASE + "seed: 100000000000000000000000\n", ("seed", "4294967295")),
    "seed-2**32": Case(
        "c.yaml", BASE + "seed: 4294967296\n", ("seed: Input should be less than or equal to",)
    ),
    "seed-negative": Case(
        "c.yaml", BASE + "seed: -1\n", ("seed: Input should be greater than or equal to 0",)
    ),
    "seed-fraction": Case("c.toml", 'seed = 1.5\nname = "c"\n', ("seed", "fractional part")),
    "epochs-1e23-json": Case(
        "c.json", json.dumps({**BASE_JSON, "train": {"epochs": 1e23}}), ("train.epochs", "too large"), False
    ),
    "lr-nan": Case(
        "c.yaml", BASE.replace("{epochs: 1}", "{epochs: 1, lr: .nan}"), ("train.lr", "finite"), False
    ),
    # wrong types
    "name-not-a-string": Case(
        "c.yaml", BASE.replace("name: c", "name: [1, 2]"), ("name: Input should be a valid string",)
    ),
    "train-not-a-mapping": Case(
        "c.yaml", BASE.replace("{epochs: 1}", "3"), ("train: Input should be a valid dictionary",)
    ),
    "metrics-not-a-list": Case(
        "c.yaml", BASE + "metrics: {a: 1}\n", ("metrics: Input should be a valid list",)
    ),
    # the file itself
    "empty-yaml": Case("c.yaml", "", ("the file is empty",)),
    "empty-json": Case("c.json", "", ("cannot parse",)),
    "empty-toml-has-no-task": Case("c.toml", "", ("task: missing",), False),
    "top-level-list": Case("c.yaml", "- 1\n- 2\n", ("top level must be a mapping", "got list")),
    "top-level-string": Case("c.json", '"hello"', ("top level must be a mapping", "got str")),
    "bad-suffix": Case("c.ini", BASE, ("unsupported config format '.ini'", ".yaml")),
    "missing-file": Case("missing.yaml", None, ("no such config file",)),
    "a-folder": Case("folder.yaml", b"", ("no such config file", "folder")),
    "yaml-syntax": Case("c.yaml", "name: [unclosed\n", ("cannot parse", "line 2")),
    "json-syntax": Case("c.json", '{"name": "c",}', ("cannot parse", "line 1")),
    "toml-syntax": Case("c.toml", 'name = "c\n', ("cannot parse", "line 1")),
    "not-utf8": Case("c.yaml", b"name: \xff\xfe\n", ("not UTF-8 text", "save it as UTF-8")),
    "unsafe-yaml-tag": Case(
        "c.yaml", "name: !!python/object/apply:os.system ['echo hacked']\n", ("cannot parse",)
    ),
    "duplicate-key-yaml": Case(
        "c.yaml", BASE + "seed: 1\nseed: 2\n", ("line 7: duplicate key 'seed' (first on line 6)",)
    ),
    "duplicate-nested-key-yaml": Case(
        "c.yaml", BASE.replace("{epochs: 1}", "{epochs: 1, epochs: 2}"), ("line 5: duplicate key 'epochs'",)
    ),
    "duplicate-key-json": Case("c.json", '{"name": "c", "seed": 1, "seed": 2}', ("duplicate key 'seed'",)),
    "duplicate-key-toml": Case("c.toml", 'name = "c"\nname = "d"\n', ("line 2", "given twice")),
    "alias-bomb": Case("c.yaml", _bomb(9), (f"more than {MAX_YAML_NODES:,} values through aliases",)),
    "recursive-alias": Case(
        "c.yaml", BASE + "study: &s {again: *s}\n", ("line 6: an alias refers to the value",)
    ),
    "huge-key": Case(
        "c.json", json.dumps({**BASE_JSON, "k" * 100_000: 1}), ("kkk...: Extra inputs are not permitted",)
    ),
    # study, parts, search spaces and tune
    "unknown-study-key": Case(
        "c.yaml",
        BASE + "study: {recal_target: 0.5}\n",
        ("study.recal_target", "did you mean 'recall_target'?"),
        False,
    ),
    "bad-study-value": Case(
        "c.yaml", BASE + "study: {recall_target: 2}\n", ("study.recall_target", "(got 2)"), False
    ),
    "words-study-value": Case(
        "c.yaml",
        "name: w\ntask: words\nbackend: gensim\nstudy: {topn: 0}\n",
        ("study.topn", "(got 0)"),
        False,
    ),
    "duplicate-part-names": Case(
        "c.yaml",
        "name: s\nparts:\n  - {name: a, task: words}\n  - {name: a, task: words}\n",
        ("parts: parts must have distinct names; repeated: a",),
    ),
    "nested-part-errors": Case(
        "c.yaml",
        "name: s\nparts:\n  - {name: a, task: words}\n"
        "  - {name: b, task: classification, dataset: digits, backend: linear-probe, train: {epochs: -1}}\n"
        "  - {name: c, task: dance}\n",
        (
            "2 problems",
            "parts[1].train.epochs: Input should be greater than or equal to 1",
            "parts[2].task: unknown task 'dance'",
        ),
        False,
    ),
    "nested-part-key": Case(
        "c.yaml",
        "name: s\nparts:\n  - {name: a, task: words, sed: 1}\n",
        ("parts[0].sed", "did you mean 'seed'?"),
    ),
    "parts-in-a-part": Case(
        "c.yaml",
        "name: s\nparts:\n  - {name: a, parts: [{name: b, task: words}]}\n",
        ("parts[0].parts: a part cannot have parts",),
        False,
    ),
    "space-min-above-max": Case(
        "c.yaml",
        SEARCH.replace("[16, 32]", "[32, 16]"),
        ("backend.units: min 32 > max 16", "swap them"),
        False,
    ),
    "space-empty-choice": Case(
        "c.yaml", SEARCH + "train: {lr: {choice: []}}\n", ("train.lr: {choice: []} is empty",), False
    ),
    "space-step-does-not-fit": Case(
        "c.yaml", SEARCH.replace("step: 16", "step: 10"), ("backend.units: step 10 does not fit",), False
    ),
    "search-unknown-tune-key": Case(
        "c.yaml",
        SEARCH + "tune: {num_sample: 2}\n",
        ("tune.num_sample", "did you mean 'num_samples'?"),
        False,
    ),
    "search-bad-study": Case("c.yaml", SEARCH + "study: {top: 0}\n", ("study.top", "(got 0)"), False),
    "search-a-task-that-cannot-train": Case(
        "c.yaml", SEARCH.replace("classification", "words"), ("task: 'words' cannot be tuned",), False
    ),
}


def _write(tmp_path: Path, case: Case) -> Path:
    path = tmp_path / case.file
    if case.file.startswith("folder"):
        path.mkdir()
    elif isinstance(case.text, bytes):
        path.write_bytes(case.text)
    elif case.text is not None:
        path.write_text(case.text)
    return path


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_config_is_refused_whole_before_anything_is_written(tmp_path: Path, case: Case) -> None:
    path = _write(tmp_path, case)
    names = (case.file, *case.names)
    error = api_error(lambda: embedlab.run(path, tmp_path / "runs"), ConfigError, names, cwd=tmp_path)
    assert str(error).startswith(f"{path}: ")
    assert len(str(error)) < 20_000 and "\n" not in str(error)
    if case.on_load:
        api_error(lambda: embedlab.load_config(path), ConfigError, names, cwd=tmp_path)
    cli_error(["run", case.file, "--out", "runs"], tmp_path, names)


def test_the_configs_the_cases_break_are_valid(tmp_path: Path, one_thread: None) -> None:
    (tmp_path / "c.yaml").write_text(BASE)
    result = CliRunner().invoke(main, ["run", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "runs").glob("c-*/report.html"))) == 1
    (tmp_path / "s.yaml").write_text(SEARCH)
    assert check_config(tmp_path / "s.yaml").backend.params["units"] == {"int": [16, 32], "step": 16}


TUNE_CASES: dict[str, Case] = {
    "tune-unknown-train-key": Case(
        "s.yaml", SEARCH + "train: {lrate: 0.1}\n", ("train.lrate", "did you mean 'lr'?")
    ),
    "tune-unknown-task": Case(
        "s.yaml",
        SEARCH.replace("classification", "clasification"),
        ("task: 'clasification' cannot be tuned", "did you mean 'classification'?"),
    ),
    "tune-several-at-once": Case(
        "s.yaml",
        SEARCH + "seed: -1\ndatasett: digits\ntrain: {epochs: 0, optimiser: adam}\n",
        ("4 problems", "seed", "datasett", "train.epochs", "train.optimiser"),
    ),
    "tune-duplicate-key": Case("s.yaml", SEARCH + "seed: 1\nseed: 2\n", ("line 6: duplicate key 'seed'",)),
}


@pytest.mark.parametrize("case", TUNE_CASES.values(), ids=TUNE_CASES.keys())
def test_tune_lists_every_problem_of_the_file_before_any_search(tmp_path: Path, case: Case) -> None:
    path = _write(tmp_path, case)
    names = (case.file, *case.names)
    store = tmp_path / "store"
    error = api_error(lambda: embedlab.tune(path, storage_path=str(store)), ConfigError, names, cwd=tmp_path)
    assert str(error).startswith(f"{path}: ")
    cli_error(["tune", case.file, "--storage-path", "store"], tmp_path, names)
