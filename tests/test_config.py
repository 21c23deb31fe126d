"""Experiment configs: YAML, JSON and TOML, validated against each plugin's params model."""

from __future__ import annotations

import json

import pytest

import embedlab
from embedlab.config import Component


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
    with pytest.raises(embedlab.ConfigError, match=r"bad\.yaml: dataset: dataset 'digits': val_size.*7"):
        embedlab.load_config(bad)
    bad.write_text("metrics: [accuracy, acuracy]\n")
    with pytest.raises(embedlab.ConfigError, match=r"metrics\[1\]: unknown metric 'acuracy'.*'accuracy'"):
        embedlab.load_config(bad)
    bad.write_text("datasett: digits\n")
    with pytest.raises(embedlab.ConfigError, match=r"datasett: Extra inputs are not permitted"):
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
