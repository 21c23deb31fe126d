"""Search-space specs: parsing, validation before any trial, and the mapping onto Ray Tune."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import embedlab
from embedlab.errors import ConfigError
from embedlab.space import (
    Choice,
    Grid,
    IntRange,
    LogUniform,
    Uniform,
    apply_params,
    find_spaces,
    grid_points,
    is_search_space,
    parse_space,
    to_ray,
)
from embedlab.tuning.api import check_space, prepare

BASE = {
    "name": "t",
    "task": "classification",
    "dataset": "digits",
    "backend": {"name": "mlp-classifier", "params": {"units": {"int": [16, 512], "step": 16}}},
    "train": {"lr": {"choice": [0.01, 0.001, 0.0001]}, "batch_size": 32},
}


def config(**changes):
    data = {**BASE, **changes}
    return embedlab.ExperimentConfig.model_validate(data)


def test_parse_each_kind():
    assert parse_space({"int": [16, 512], "step": 16}) == IntRange(16, 512, 16)
    assert parse_space({"int": [1, 3]}) == IntRange(1, 3, 1)
    assert parse_space({"choice": [0.1, 0.01]}) == Choice((0.1, 0.01))
    assert parse_space({"grid": ["a", "b"]}) == Grid(("a", "b"))
    assert parse_space({"uniform": [0.1, 0.5]}) == Uniform(0.1, 0.5)
    assert parse_space({"loguniform": [1e-4, 1e-2]}) == LogUniform(1e-4, 1e-2)
    assert IntRange(16, 512, 16).values()[:3] == [16, 32, 48] and IntRange(16, 512, 16).values()[-1] == 512
    assert len(IntRange(16, 512, 16).values()) == 32


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"choice": []}, "is empty"),
        ({"grid": []}, "is empty"),
        ({"int": [512, 16], "step": 16}, "min 512 > max 16"),
        ({"uniform": [0.5, 0.1]}, "min 0.5 > max 0.1"),
        ({"int": [16, 500], "step": 16}, "does not fit the range"),
        ({"int": [1, 10], "step": 0}, "positive integer"),
        ({"int": [1.5, 10]}, "must be an integer"),
        ({"loguniform": [0, 1]}, "0 < min"),
        ({"uniform": [1, 1]}, "single value"),
        ({"int": [1, 10], "stp": 2}, "unknown key"),
        ({"choice": 3}, "list of values"),
        ({"uniform": [1]}, "[min, max]"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_space(spec, where="backend.units")


def test_error_names_the_path():
    with pytest.raises(ConfigError, match=r"^backend\.units: "):
        find_spaces(config(backend={"name": "mlp-classifier", "params": {"units": {"choice": []}}}))


def test_is_search_space():
    assert is_search_space({"int": [1, 2], "step": 1})
    assert not is_search_space({"a": 1})
    assert not is_search_space([1, 2])


def test_find_and_apply():
    cfg = config()
    space = find_spaces(cfg)
    assert space == {"backend.units": IntRange(16, 512, 16), "train.lr": Choice((0.01, 0.001, 0.0001))}
    concrete = apply_params(cfg, {"backend.units": 352, "train.lr": 0.001})
    assert concrete.backend.params["units"] == 352 and concrete.train["lr"] == 0.001
    assert find_spaces(concrete) == {}
    assert cfg.backend.params["units"] == {"int": [16, 512], "step": 16}  # the original is untouched


def test_a_choice_of_metrics_is_searched_and_the_tuner_is_not():
    cfg = config(
        metrics=[{"name": {"choice": ["accuracy", "balanced-accuracy"]}}],
        tuner={"name": "ray", "params": {"num_cpus": {"choice": [1, 2]}}},
    )
    space = find_spaces(cfg)
    assert space["metrics.0.name"] == Choice(("accuracy", "balanced-accuracy"))
    assert not any(path.startswith("tuner.") for path in space)
    assert apply_params(cfg, {"metrics.0.name": "accuracy"}).metrics[0].name == "accuracy"


def test_apply_refuses_unknown_path():
    with pytest.raises(ConfigError, match="names nothing"):
        apply_params(config(), {"metrics.3.k": 0.1})
    with pytest.raises(ConfigError, match="has no .loss."):
        apply_params(config(), {"loss.margin": 0.1})


def test_values_the_component_refuses_are_caught_before_trials():
    cfg = config(backend={"name": "mlp-classifier", "params": {"units": {"int": [0, 512], "step": 16}}})
    with pytest.raises(ConfigError, match=r"backend\.units = 0 is refused"):
        check_space(cfg, find_spaces(cfg))
    cfg = config(train={"lr": {"choice": [0.01, -1.0]}})
    with pytest.raises(ConfigError, match=r"train\.lr = -1.0 is refused"):
        check_space(cfg, find_spaces(cfg))


def test_no_space_is_refused():
    cfg = config(backend="mlp-classifier", train={"lr": 0.01})
    with pytest.raises(ConfigError, match="no search space"):
        check_space(cfg, find_spaces(cfg))


def test_bad_settings_refused(tmp_path):
    with pytest.raises(ConfigError, match="tune: scheduler"):
        prepare(BASE, scheduler="pbt")
    with pytest.raises(ConfigError, match="whole GPUs"):
        prepare(BASE, resources={"cpu": 1, "gpu": 1.5})
    with pytest.raises(ConfigError, match="grace_period 5 exceeds max_epochs 2"):
        prepare(BASE, grace_period=5, max_epochs=2)
    with pytest.raises(ConfigError, match="baseline names"):
        prepare(BASE, baseline={"backend.width": 3})
    with pytest.raises(ConfigError, match="task 'words' cannot be tuned.*classification, metric-learning"):
        prepare({**BASE, "task": "words"})


def test_prepare_fills_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, s, _, trainable = prepare({**BASE, "train": {**BASE["train"], "epochs": 7}})
    assert s.max_epochs == 7 and trainable.max_epochs == 7
    assert s.storage_path == str(tmp_path / "runs" / "t" / "tune")
    assert s.trial_count() == 10


def test_grid_points():
    assert grid_points(IntRange(1, 5, 2)) == [1, 3, 5]
    assert grid_points(Choice((1, 2))) == [1, 2]
    with pytest.raises(ConfigError, match="continuous"):
        grid_points(Uniform(0.0, 1.0), "train.dropout")


def test_to_ray_types():
    from ray.tune.search.sample import Categorical, Float, Integer

    assert isinstance(to_ray(IntRange(16, 512, 16)), Integer)
    assert isinstance(to_ray(Choice((1, 2))), Categorical)
    assert isinstance(to_ray(Uniform(0.1, 0.2)), Float)
    assert isinstance(to_ray(LogUniform(1e-4, 1e-2)), Float)
    assert to_ray(Grid((1, 2))) == {"grid_search": [1, 2]}
    assert to_ray(IntRange(1, 5, 2), grid=True) == {"grid_search": [1, 3, 5]}


def _samples(domain, n=400):
    ray_domain = to_ray(domain)
    return np.asarray(ray_domain.sample(size=n, random_state=np.random.default_rng(0)))


@settings(max_examples=40, deadline=None)
@given(low=st.integers(-50, 50), width=st.integers(0, 20), step=st.integers(1, 9))
def test_int_range_samples_stay_on_the_grid(low, width, step):
    domain = IntRange(low, low + width * step, step)
    values = _samples(domain, 200)
    assert set(values.tolist()) <= set(domain.values())
    if width <= 3:
        assert set(values.tolist()) == set(domain.values())  # both ends are reachable


def test_loguniform_and_uniform_samples_in_range():
    values = _samples(LogUniform(1e-4, 1e-2))
    assert values.min() >= 1e-4 and values.max() <= 1e-2
    assert (values < 1e-3).mean() == pytest.approx(0.5, abs=0.1)  # half the draws per decade
    values = _samples(Uniform(0.1, 0.5))
    assert values.min() >= 0.1 and values.max() <= 0.5
