"""Experiment configuration: pydantic models and YAML / JSON / TOML loading.

A component is written either as a bare name or as ``{name: ..., params: {...}}``::

    name: triplet-digits
    seed: 0
    dataset: digits
    backend: {name: seed-cnn, params: {embedding_dim: 10}}
    loss: {name: triplet, params: {margin: 0.4, distance: squared-euclidean}}
    miner: random
    metrics: [accuracy]

Each component's params are validated against that plugin's params model when the
configuration is loaded, so a typo fails before any work starts.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pydantic
from pydantic import ConfigDict, Field, model_validator

from embedlab.errors import ConfigError, EmbedlabError
from embedlab.params import describe_validation_error

__all__ = ["Component", "ExperimentConfig", "as_config", "load_config", "COMPONENT_KINDS"]

#: Which plugin kind each component field of :class:`ExperimentConfig` names.
COMPONENT_KINDS: dict[str, str] = {
    "dataset": "dataset",
    "backend": "backend",
    "loss": "loss",
    "miner": "miner",
    "metrics": "metric",
    "tuner": "tuner",
}


class Component(pydantic.BaseModel):
    """A plugin reference: its registered name and its parameters."""

    model_config = ConfigDict(extra="forbid")

    name: str | dict[str, Any] = Field(
        description="The registered component name, or a search-space choice of names ({choice: [...]})."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters for its factory.")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    def create(self, kind: str) -> Any:
        """Build the component through :func:`embedlab.create`."""
        from embedlab.registry import create

        if not isinstance(self.name, str):
            raise ConfigError(
                f"{kind} name {self.name!r} is a search space; a tuner picks one name per trial"
            )
        return create(kind, self.name, **self.params)


class ExperimentConfig(pydantic.BaseModel):
    """One experiment: its components and the settings of the job that runs them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("experiment", description="Names the run directory.")
    task: str | None = Field(None, description="Which job runs the components.")
    seed: int = Field(0, description="Seed for every random number generator.")
    dataset: Component | None = None
    backend: Component | None = None
    loss: Component | None = None
    miner: Component | None = None
    metrics: list[Component] = Field(default_factory=list)
    tuner: Component | None = None
    train: dict[str, Any] = Field(default_factory=dict, description="Training settings.")
    tune: dict[str, Any] = Field(default_factory=dict, description="Search settings.")
    study: dict[str, Any] = Field(
        default_factory=dict, description="Options of the job that runs the task (what to plot, which words)."
    )
    parts: list[ExperimentConfig] = Field(
        default_factory=list, description="Experiments run one after another as sections of one run."
    )

    @model_validator(mode="after")
    def _validate_components(self) -> ExperimentConfig:
        from embedlab.registry import get, validate_params

        for field, kind in COMPONENT_KINDS.items():
            value = getattr(self, field)
            items = value if isinstance(value, list) else [value]
            for index, component in enumerate(items):
                if component is None:
                    continue
                where = f"{field}[{index}]" if isinstance(value, list) else field
                names = _names(component.name, where)
                try:
                    for name in names:
                        validate_params(get(kind, name), _concrete(component.params), where)
                except EmbedlabError as exc:
                    raise ValueError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None
        return self


def _names(name: str | dict[str, Any], where: str) -> list[str]:
    """The component names a config allows: one name, or every option of a choice of names."""
    if isinstance(name, str):
        return [name]
    options = name.get("choice", name.get("grid")) if set(name) in ({"choice"}, {"grid"}) else None
    if not isinstance(options, list) or not options or not all(isinstance(o, str) for o in options):
        raise ValueError(
            f"{where}.name: a component name is a string or {{choice: [name, ...]}}; got {name!r}"
        )
    return options


def _concrete(params: dict[str, Any]) -> dict[str, Any]:
    """Drop search-space specs, which the tuner validates when it samples them."""
    from embedlab.tuning.space import is_search_space

    return {k: v for k, v in params.items() if not is_search_space(v)}


def _read(path: Path) -> Any:
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    if suffix in {".yaml", ".yml"}:
        import yaml

        return yaml.safe_load(text)
    if suffix == ".json":
        return json.loads(text)
    if suffix == ".toml":
        return tomllib.loads(text)
    raise ConfigError(f"{path}: unsupported config format {suffix!r}; use .yaml, .yml, .json or .toml")


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment configuration.

    Parameters
    ----------
    path
        A ``.yaml``/``.yml`` (read with ``yaml.safe_load``), ``.json`` or ``.toml`` file.

    Returns
    -------
    ExperimentConfig

    Raises
    ------
    ConfigError
        Naming the file, the key path and the reason.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = _read(path)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - every parser has its own error type
        raise ConfigError(f"{path}: cannot parse: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
    try:
        return ExperimentConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc, ExperimentConfig)}") from None


def as_config(config_or_path: ExperimentConfig | dict[str, Any] | str | Path) -> ExperimentConfig:
    """Return an :class:`ExperimentConfig` from a config, a dict, or a file path.

    Raises
    ------
    ConfigError
        If a dict or file does not validate.
    """
    if isinstance(config_or_path, ExperimentConfig):
        return config_or_path
    if isinstance(config_or_path, dict):
        try:
            return ExperimentConfig.model_validate(config_or_path)
        except pydantic.ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, ExperimentConfig)) from None
    return load_config(config_or_path)
