"""Experiment configuration: pydantic models and YAML / JSON / TOML loading.

A component is written either as a bare name or as ``{name: ..., params: {...}}``::

    name: triplet-digits
    seed: 0
    dataset: digits
    backend: {name: seed-cnn, params: {embedding_dim: 10}}
    loss: {name: triplet, params: {margin: 0.4, distance: squared-euclidean}}
    miner: random
    metrics: [{name: retrieval, params: {ks: [1, 5]}}]   # computed on each split by embedlab.run
    loggers: [tensorboard]                                # experiment trackers (embedlab.tracking)

Each component's params are validated against that plugin's params model when the
configuration is loaded, so a typo fails before any work starts. Every problem of a file is
reported at once, in one :class:`~embedlab.errors.ConfigError` that starts with the file and
lists one ``key.path: problem`` item per problem, with the closest known names for an unknown
key or component. :func:`embedlab.run` and :func:`embedlab.tune` add the checks of the
``task``, ``train:``, ``study:`` and ``tune:`` blocks to the same list (see ``check``).

Files are read defensively: a key given twice in one mapping is an error (YAML and JSON
parsers silently keep the last one), YAML is read with a safe loader that also refuses a
document that expands to more than :data:`MAX_YAML_NODES` values through aliases (a
"billion laughs" alias bomb) or that refers to itself, and error messages are bounded.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pydantic
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from embedlab.errors import ConfigError, EmbedlabError
from embedlab.params import (
    Problem,
    Problems,
    clip,
    describe_problems,
    model_in,
    section_problems,
    short_repr,
    validation_problems,
)
from embedlab.registry import KINDS, create, get
from embedlab.space import concrete

__all__ = [
    "COMPONENT_KINDS",
    "MAX_YAML_NODES",
    "Check",
    "Component",
    "ExperimentConfig",
    "apply_overrides",
    "as_config",
    "load_config",
    "validate_config",
]

#: Most values (mappings, lists and scalars, counting every alias as a copy) a YAML config may hold.
MAX_YAML_NODES = 100_000
#: A further check of a config's raw data: its problems as ``(key path, message)`` pairs.
Check = Callable[[dict[str, Any]], list[Problem]]


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
    seed: int = Field(
        0, ge=0, le=2**32 - 1, description="Seed for every random number generator (0 to 2**32 - 1)."
    )
    dataset: Component | None = None
    backend: Component | None = None
    loss: Component | None = None
    miner: Component | None = None
    metrics: list[Component] = Field(default_factory=list)
    tuner: Component | None = None
    loggers: list[Component] = Field(
        default_factory=list,
        description="Experiment trackers that embedlab run also logs to ([tensorboard], [mlflow]); "
        "a part without its own list uses the top level's.",
    )
    train: dict[str, Any] = Field(default_factory=dict, description="Training settings.")
    tune: dict[str, Any] = Field(default_factory=dict, description="Search settings.")
    study: dict[str, Any] = Field(
        default_factory=dict, description="Options of the job that runs the task (what to plot, which words)."
    )
    parts: list[ExperimentConfig] = Field(
        default_factory=list, description="Experiments run one after another as sections of one run."
    )

    @field_validator("*")
    @classmethod
    def _known_components(cls, value: Any, info: ValidationInfo) -> Any:
        kind = COMPONENT_KINDS.get(str(info.field_name))
        if kind is None or value is None:
            return value
        if isinstance(value, list):
            _raise([((i, *loc), msg) for i, c in enumerate(value) for loc, msg in _component_problems(c, kind)])
        else:
            _raise(_component_problems(value, kind))
        return value

    @field_validator("parts")
    @classmethod
    def _distinct_part_names(cls, parts: list[ExperimentConfig]) -> list[ExperimentConfig]:
        names = [part.name for part in parts]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            _raise([((), f"parts must have distinct names; repeated: {', '.join(repeated)}")])
        return parts

    @model_validator(mode="after")
    def _parts_inherit_loggers(self) -> ExperimentConfig:
        for part in self.parts:
            if "loggers" not in part.model_fields_set:
                part.loggers = list(self.loggers)
        return self

    def components(self) -> dict[str, Component]:
        """Every component, by its key path: ``"backend"``, ``"metrics.0"``, in field order."""
        out: dict[str, Component] = {}
        for field in COMPONENT_KINDS:
            value = getattr(self, field)
            items = enumerate(value) if isinstance(value, list) else [(None, value)]
            out |= {field if i is None else f"{field}.{i}": c for i, c in items if c is not None}
        return out


#: Which plugin kind each component field of :class:`ExperimentConfig` names: a field is named
#: after its kind (``loss``), or after the plural for a list of them (``metrics``).
COMPONENT_KINDS: dict[str, str] = {
    field: kind
    for field, info in ExperimentConfig.model_fields.items()
    if model_in(info.annotation) is Component
    for kind in KINDS
    if field in (kind, f"{kind}s")
}


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise Problems(problems)


def _names(name: str | dict[str, Any]) -> list[str] | None:
    """The component names a config allows: one name, or every option of a choice of names.

    ``None`` when ``name`` is neither.
    """
    if isinstance(name, str):
        return [name]
    options = name.get("choice", name.get("grid")) if set(name) in ({"choice"}, {"grid"}) else None
    if not isinstance(options, list) or not options or not all(isinstance(o, str) for o in options):
        return None
    return options


def _component_problems(component: Component, kind: str) -> list[Problem]:
    """Check a component against the registry: known names, and params its params model accepts.

    Returns
    -------
    list of Problem
        Relative to the component: ``()`` for an unknown name (with the closest registered
        names), ``("params", key, ...)`` for a bad parameter. Search-space specs in
        ``params`` are left for the tuner.
    """
    names = _names(component.name)
    if names is None:
        got = short_repr(component.name)
        return [(("name",), f"a component name is a string or {{choice: [name, ...]}}; got {got}")]
    params = concrete(component.params)
    problems: list[Problem] = []
    for name in names:
        try:
            model = get(kind, name).params
        except EmbedlabError as exc:
            problems.append(((), str(exc)))
            continue
        which = f" ({kind} {name!r})" if len(names) > 1 else ""
        problems += [(loc, msg + which) for loc, msg in section_problems(model, params, ("params",))]
    return problems


def validate_config(data: Any, source: str | None = None, check: Check | None = None) -> ExperimentConfig:
    """Validate raw config data, collecting every problem before raising.

    Parameters
    ----------
    data
        The parsed file: a mapping of keys to values.
    source
        The file it came from, which starts every error message.
    check
        Further checks of the raw data (a job's blocks, say), whose problems join the list.

    Raises
    ------
    ConfigError
        One error listing every problem, each under its key path.
    """
    if not isinstance(data, dict):
        got = "the file is empty" if data is None else f"got {type(data).__name__} {short_repr(data)}"
        raise ConfigError(
            describe_problems([((), f"the top level must be a mapping of keys to values; {got}")], source)
        )
    problems: list[Problem] = []
    config = None
    try:
        config = ExperimentConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        problems += validation_problems(exc, ExperimentConfig)
    if check is not None:
        problems += check(data)
    if problems or config is None:
        raise ConfigError(describe_problems(problems, source))
    return config


@functools.cache
def _yaml_loader() -> type:
    """A safe YAML loader that refuses duplicate keys, self-references and alias bombs."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            lines: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *base` overrides on purpose
                key = self.construct_object(key_node, deep=True)
                try:
                    first = lines.get(key)
                except TypeError:
                    continue  # an unhashable key: the base class explains it
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise ConfigError(
                        f"line {line}: duplicate key {short_repr(key)} (first on line {first}); keep one"
                    )
                lines[key] = line
            return super().construct_mapping(node, deep=deep)

        def get_single_data(self) -> Any:
            node = self.get_single_node()
            if node is None:
                return None
            _check_expansion(node)
            return self.construct_document(node)

    return StrictLoader


def _check_expansion(root: Any) -> None:
    """Refuse a YAML graph that aliases expand beyond :data:`MAX_YAML_NODES` values, or a cycle."""

    def children(node: Any) -> list[Any]:
        if isinstance(node.value, list):
            return [c for item in node.value for c in (item if isinstance(item, tuple) else (item,))]
        return []

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(MAX_YAML_NODES + 1, 1 + sum(sizes[id(c)] for c in children(node)))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise ConfigError(f"line {node.start_mark.line + 1}: an alias refers to the value that holds it")
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children(node) if id(c) not in sizes)
    if sizes[id(root)] > MAX_YAML_NODES:
        raise ConfigError(
            f"the document expands to more than {MAX_YAML_NODES:,} values through aliases "
            "(an alias bomb?); write the values out or use fewer aliases (*name)"
        )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads` that refuses a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigError(f"duplicate key {short_repr(key)} in one object; keep one")
        out[key] = value
    return out


def _parse(text: str, suffix: str) -> Any:
    if suffix in {".yaml", ".yml"}:
        import yaml

        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    if suffix == ".json":
        return json.loads(text, object_pairs_hook=_unique_keys)
    return tomllib.loads(text)


def _read(path: Path) -> Any:
    """Parse a config file; every failure is a :class:`ConfigError` naming the file."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file" + (" (it is a folder)" if path.is_dir() else ""))
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".json", ".toml"}:
        raise ConfigError(f"{path}: unsupported config format {suffix!r}; use .yaml, .yml, .json or .toml")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        return _parse(text, suffix)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - every parser has its own error type
        twice = " (a key or table given twice: keep one)" if "Cannot overwrite" in str(exc) else ""
        raise ConfigError(f"{path}: cannot parse: {clip(str(exc))}{twice}") from None


def apply_overrides(data: Any, overrides: Iterable[str]) -> Any:
    """Set ``KEY=VALUE`` overrides into raw config data, before it is validated.

    Parameters
    ----------
    data
        The parsed config file (a mapping); changed in place.
    overrides
        ``dotted.key=value`` items (``train.epochs=5``, ``parts.0.seed=3``); each value is read
        as a YAML scalar or flow collection (``[1, 2]``, ``{units: 32}``).

    Returns
    -------
    Any
        ``data``, with the overrides set. Unknown keys are left for validation to report, with
        the closest known names.

    Raises
    ------
    ConfigError
        For an item without ``=``, a value that is not YAML, or a key under a value that is
        not a mapping or list.
    """
    import yaml

    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r}: write KEY=VALUE, such as train.epochs=5")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(f"override {item!r}: the value is not YAML; quote it") from None
        *parents, last = key.strip().split(".")
        node = data
        for depth, part in enumerate([*parents, last]):
            where = ".".join([*parents, last][:depth]) or "the config"
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                index: str | int = int(part)
            elif isinstance(node, dict):
                index = part
            else:
                raise ConfigError(
                    f"override {item!r}: {where} is {short_repr(node)}, which has no key {part!r}; "
                    f"set {where} itself or give it as a mapping in the file"
                )
            if depth == len(parents):
                node[index] = value
            elif isinstance(node, dict):
                node = node.setdefault(index, {})
            else:
                node = node[index]
    return data


def load_config(
    path: str | Path, check: Check | None = None, overrides: Iterable[str] = ()
) -> ExperimentConfig:
    """Read and validate an experiment configuration.

    Parameters
    ----------
    path
        A ``.yaml``/``.yml`` (read with a safe loader), ``.json`` or ``.toml`` file.
    check
        Further checks whose problems are reported with the file's own (see
        :func:`validate_config`).
    overrides
        ``KEY=VALUE`` items set into the file's data before validation (see
        :func:`apply_overrides`).

    Returns
    -------
    ExperimentConfig

    Raises
    ------
    ConfigError
        Naming the file, then every problem: its key path and the reason.
    """
    path = Path(path)
    return validate_config(apply_overrides(_read(path), overrides), str(path), check)


def as_config(
    config_or_path: ExperimentConfig | dict[str, Any] | str | Path, check: Check | None = None
) -> ExperimentConfig:
    """Return an :class:`ExperimentConfig` from a config, a dict, or a file path.

    Parameters
    ----------
    config_or_path
        What to validate. A config is returned as it is once ``check`` passes.
    check
        Further checks of the raw data (see :func:`validate_config`).

    Raises
    ------
    ConfigError
        If a dict or file does not validate, or ``check`` finds a problem.
    """
    if isinstance(config_or_path, ExperimentConfig):
        problems = check(config_or_path.model_dump()) if check is not None else []
        if problems:
            raise ConfigError(describe_problems(problems))
        return config_or_path
    if isinstance(config_or_path, dict):
        return validate_config(config_or_path, None, check)
    return load_config(config_or_path, check)
