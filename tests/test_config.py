"""Experiment configs: YAML, JSON and TOML, validated against each plugin's params model."""

from __future__ import annotations

import json
import re

import pytest

import embedlab
from embedlab.config import COMPONENT_KINDS, MAX_YAML_NODES, Component, ExperimentConfig, as_config
from embedlab.params import MAX_PROBLEMS, Params, did_you_mean, model_in, validate_section
from embedlab.registry import KINDS


def test_yaml_json_toml_give_the_same_config(tmp_path):
    data = {
        "name": "demo",
        "seed": 3,
        "dataset": {"name": "digits", "params": {"val_size": 0.1}},
        "metrics": ["accuracy"],
    }
    (tmp_path / "c.json").write_text(json.dumps(data))
    (tmp_path / "c.yaml").write_text(
        "name: demo\nseed: 3\ndataset: {name: digits, params: {val_size: 0.1}}\nmetrics: [accuracy]\n"
    )
    (tmp_path / "c.toml").write_text(
        'name = "demo"\nseed = 3\nmetrics = ["accuracy"]\n[dataset]\nname = "digits"\nparams = {val_size = 0.1}\n'
    )
    configs = [embedlab.load_config(tmp_path / f"c.{ext}") for ext in ("json", "yaml", "toml")]
    assert configs[0] == configs[1] == configs[2]
    config = configs[0]
    assert config.dataset == Component(name="digits", params={"val_size": 0.1})
    assert config.metrics == [Component(name="accuracy")]
    assert config.dataset.create("dataset")["val"].X.shape[1:] == (1, 8, 8)


def test_errors_name_file_key_path_and_reason(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: {name: digits, params: {val_size: 7}}\n")
    with pytest.raises(embedlab.ConfigError, match=r"bad\.yaml: dataset\.params\.val_size: .*\(got 7\)"):
        embedlab.load_config(bad)
    bad.write_text("metrics: [accuracy, acuracy]\n")
    with pytest.raises(embedlab.ConfigError, match=r"metrics\[1\]: unknown metric 'acuracy'.*'accuracy'"):
        embedlab.load_config(bad)
    bad.write_text("datasett: digits\n")
    with pytest.raises(embedlab.ConfigError, match=r"datasett: Extra inputs .*did you mean 'dataset'\?"):
        embedlab.load_config(bad)
    bad.write_text("dataset: [unclosed\n")
    with pytest.raises(embedlab.ConfigError, match=r"bad\.yaml: cannot parse"):
        embedlab.load_config(bad)
    with pytest.raises(embedlab.ConfigError, match="no such config file"):
        embedlab.load_config(tmp_path / "missing.yaml")
    (tmp_path / "c.ini").write_text("x=1")
    with pytest.raises(embedlab.ConfigError, match=r"unsupported config format '\.ini'"):
        embedlab.load_config(tmp_path / "c.ini")


def test_search_space_params_are_left_for_the_tuner(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("dataset: {name: digits, params: {val_size: {choice: [0.1, 0.2]}, seed: 1}}\n")
    assert embedlab.load_config(path).dataset.params["val_size"] == {"choice": [0.1, 0.2]}


def test_yaml_is_read_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(embedlab.ConfigError, match="cannot parse"):
        embedlab.load_config(path)


def test_every_problem_is_listed_at_once_with_its_key_path(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(
        "seed: -1\n"
        "datasett: digits\n"
        "loss: tripelt\n"
        "dataset: {name: digits, params: {val_size: 7, sed: 1}}\n"
        "metrics: [accuracy, acuracy]\n"
        "parts: [{name: a, seed: 1.5}, {name: b, train: 3}]\n"
    )
    with pytest.raises(embedlab.ConfigError) as info:
        embedlab.load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: 8 problems: ")
    for item in (
        "seed: Input should be greater than or equal to 0 (got -1)",
        "datasett: Extra inputs are not permitted; did you mean 'dataset'?",
        "loss: unknown loss 'tripelt'. Did you mean 'triplet'?",
        "dataset.params.val_size: Input should be less than 1 (got 7)",
        "dataset.params.sed: Extra inputs are not permitted; did you mean 'seed'?",
        "metrics[1]: unknown metric 'acuracy'",
        "parts[0].seed: Input should be a valid integer",
        "parts[1].train: Input should be a valid dictionary (got 3)",
    ):
        assert item in message
    assert "\n" not in message


def test_repeated_part_names_are_refused():
    with pytest.raises(embedlab.ConfigError, match="parts: parts must have distinct names; repeated: a"):
        as_config({"parts": [{"name": "a"}, {"name": "a"}, {"name": "b"}]})


def test_duplicate_keys_are_refused_with_their_line(tmp_path):
    (tmp_path / "c.yaml").write_text("name: x\ntrain:\n  lr: 0.1\n  lr: 0.2\n")
    with pytest.raises(
        embedlab.ConfigError, match=r"c\.yaml: line 4: duplicate key 'lr' \(first on line 3\)"
    ):
        embedlab.load_config(tmp_path / "c.yaml")
    (tmp_path / "c.json").write_text('{"train": {"lr": 0.1, "lr": 0.2}}')
    with pytest.raises(embedlab.ConfigError, match=r"c\.json: duplicate key 'lr'"):
        embedlab.load_config(tmp_path / "c.json")
    (tmp_path / "c.toml").write_text('name = "x"\nname = "y"\n')
    with pytest.raises(embedlab.ConfigError, match=r"c\.toml: cannot parse: .*line 2.*given twice"):
        embedlab.load_config(tmp_path / "c.toml")


def test_yaml_anchors_and_merge_keys_still_work(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train: &t {lr: 0.1, epochs: 2}\nstudy:\n  <<: *t\n  lr: 0.5\ntune: *t\n")
    config = embedlab.load_config(path)
    assert config.study == {"lr": 0.5, "epochs": 2}
    assert config.tune == config.train == {"lr": 0.1, "epochs": 2}


def test_alias_expansion_is_bounded(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in zip("abcd", "bcde", strict=True)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n")  # 10**5 strings once expanded
    with pytest.raises(
        embedlab.ConfigError, match=f"bomb.yaml: the document expands to more than {MAX_YAML_NODES:,}"
    ):
        embedlab.load_config(path)
    path.write_text("\n".join(levels[:3]) + "\n")  # 1,111 values: fine, only the keys are wrong
    with pytest.raises(embedlab.ConfigError, match="a: Extra inputs"):
        embedlab.load_config(path)
    path.write_text("train: &t {again: *t}\n")
    with pytest.raises(embedlab.ConfigError, match="line 1: an alias refers to the value that holds it"):
        embedlab.load_config(path)


def test_messages_stay_short_whatever_the_input(tmp_path):
    path = tmp_path / "long.json"
    data = {"name": ["x"] * 10_000, **{f"{'k' * 5000}{i}": 1 for i in range(50)}}
    path.write_text(json.dumps(data))
    with pytest.raises(embedlab.ConfigError) as info:
        embedlab.load_config(path)
    message = str(info.value)
    assert len(message) < (MAX_PROBLEMS + 2) * 700
    assert message.startswith(f"{path}: 51 problems: name: Input should be a valid string")
    assert message.endswith(f"and {51 - MAX_PROBLEMS} more")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (2**32, "less than or equal to 4294967295"),
        (10**23, "<an integer of 77 bits>"),
        (1e23, "too large for an integer"),
        (0.5, "fractional part"),
        ("1e23", "valid integer"),
    ],
    ids=["2**32", "10**23", "float-1e23", "fraction", "yaml-1e23-is-a-string"],
)
def test_seed_is_what_numpy_and_torch_accept(value, problem):
    with pytest.raises(embedlab.ConfigError, match=r"^seed: .*" + re.escape(problem)):
        as_config({"seed": value})
    assert as_config({"seed": 2**32 - 1}).seed == 2**32 - 1


class _Sizes(Params):
    n: int = 1
    ratio: float = 0.5
    shape: list[int] = []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"n": 2**63}, "n: 9223372036854775808 does not fit in a 64-bit integer"),
        ({"shape": [1, -(2**70)]}, "shape: <an integer of 71 bits> does not fit in a 64-bit integer"),
        ({"ratio": float("nan")}, "ratio: Input should be a finite number"),
        ({"ratio": float("inf")}, "ratio: Input should be a finite number"),
    ],
    ids=["int-2**63", "int-in-list", "nan", "inf"],
)
def test_params_refuse_numbers_numpy_and_torch_cannot_hold(data, problem):
    with pytest.raises(embedlab.ConfigError, match=re.escape(problem)):
        validate_section(_Sizes, data, "block")
    assert validate_section(_Sizes, {"n": 2**63 - 1, "shape": [-(2**63)]}, "block").n == 2**63 - 1


def test_did_you_mean():
    assert did_you_mean("lrate", ["lr", "epochs", "batch_size"]) == "; did you mean 'lr'?"
    assert did_you_mean("metric-learnin", ["classification", "metric-learning"]) == (
        "; did you mean 'metric-learning'?"
    )
    assert did_you_mean("zzz", ["lr", "epochs"]) == ""


def test_a_config_object_passes_through_the_extra_check_unchanged():
    config = as_config({"name": "x", "train": {"lr": 0.1}})
    assert as_config(config, check=lambda data: []) is config
    seen = []

    def check(data):
        seen.append(data["train"])
        return [(("train", "lr"), "too high")]

    with pytest.raises(embedlab.ConfigError, match=r"^train\.lr: too high$"):
        as_config(config, check=check)
    assert seen == [{"lr": 0.1}]


def test_component_fields_name_the_kinds_of_the_registry():
    components = {
        name for name, info in ExperimentConfig.model_fields.items() if model_in(info.annotation) is Component
    }
    assert set(COMPONENT_KINDS) == components
    assert set(COMPONENT_KINDS.values()) <= set(KINDS)
    assert COMPONENT_KINDS["metrics"] == "metric"
