"""``KEY=VALUE`` overrides on ``embedlab run`` and ``embedlab tune``, validated like the file."""

from __future__ import annotations

import pytest
from bad_inputs import typed_cli_error
from click.testing import CliRunner

from embedlab.cli import main
from embedlab.config import apply_overrides
from embedlab.errors import ConfigError

CONFIG = "name: c\ntask: classification\ndataset: digits\nbackend: linear-probe\ntrain: {epochs: 1}\n"


def test_overrides_set_dotted_keys_with_yaml_values():
    data = {"train": {"epochs": 1}, "parts": [{"seed": 0}], "backend": {"name": "mlp"}}
    apply_overrides(
        data, ["train.epochs=5", "parts.0.seed=3", "backend.params.units=[16, 32]", "study.top=2"]
    )
    assert data == {
        "train": {"epochs": 5},
        "parts": [{"seed": 3}],
        "backend": {"name": "mlp", "params": {"units": [16, 32]}},
        "study": {"top": 2},
    }


@pytest.mark.parametrize(
    ("item", "named"),
    [("train.epochs", "KEY=VALUE"), ("backend.params.units=3", "no key 'params'"), ("seed=[1", "not YAML")],
)
def test_malformed_overrides_are_config_errors(item, named):
    with pytest.raises(ConfigError, match=named):
        apply_overrides({"backend": "linear-probe", "train": {}}, [item])


def test_run_applies_overrides(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    result = CliRunner().invoke(main, ["run", str(config), "train.epochs=2", "name=d", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (run,) = tmp_path.glob("d-*")
    assert "epochs: 2" in (run / "config.yaml").read_text()


@pytest.mark.parametrize(
    ("override", "named"), [("trian.epochs=2", "did you mean 'train'"), ("train.epohcs=2", "did you mean")]
)
def test_a_bad_override_key_is_one_line_with_a_did_you_mean(tmp_path, override, named):
    (tmp_path / "c.yaml").write_text(CONFIG)
    typed_cli_error(ConfigError, ["run", "c.yaml", override], tmp_path, named)
    typed_cli_error(ConfigError, ["tune", "c.yaml", override], tmp_path, named)
