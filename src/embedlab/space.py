"""The search-space grammar of experiment configs: specs, their parsing and their mapping onto Ray Tune.

A parameter value in a config may be a search-space spec instead of a value:

``{"int": [16, 512], "step": 16}``
    integers from 16 to 512 inclusive, in steps of 16 (``step`` defaults to 1);
``{"choice": [0.01, 0.001]}``
    one of the listed values;
``{"uniform": [0.1, 0.5]}`` / ``{"loguniform": [1e-4, 1e-2]}``
    a float drawn uniformly, or uniformly in log space;
``{"grid": [1, 2, 3]}``
    every listed value, once each.

Specs may appear in any component's ``params``, as a component's ``name`` (a choice of
components) and in the ``train`` block. A search space is the mapping from a dotted path
(``"backend.units"``, ``"train.lr"``) to a parsed :class:`Domain`. Everything here is checked
before any trial starts: empty choices, a lower bound above the upper one and a step that does
not fit the range are refused with a :class:`~embedlab.errors.ConfigError`. Loading a config
validates the values around the specs (:func:`concrete`); a tuner parses the specs.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from embedlab.errors import ConfigError
from embedlab.params import validate_section

if TYPE_CHECKING:
    from embedlab.config import Component, ExperimentConfig

__all__ = [
    "SPACE_KINDS",
    "Choice",
    "Domain",
    "Grid",
    "IntRange",
    "LogUniform",
    "SearchSpace",
    "Uniform",
    "apply_params",
    "concrete",
    "find_spaces",
    "grid_points",
    "is_search_space",
    "parse_space",
    "to_ray",
]

#: The keys that make a mapping a search-space spec.
SPACE_KINDS = frozenset({"int", "choice", "uniform", "loguniform", "grid"})
#: Components whose specs are not searched: the tuner runs the search, and loggers only record it.
_UNSEARCHED = frozenset({"tuner", "loggers"})


def is_search_space(value: Any) -> bool:
    """Return whether ``value`` is a search-space spec rather than a concrete value."""
    if not isinstance(value, dict):
        return False
    keys = set(value)
    return len(keys & SPACE_KINDS) == 1 and keys <= SPACE_KINDS | {"step"}


def concrete(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without its search-space specs, which the tuner checks when it parses them."""
    return {k: v for k, v in params.items() if not is_search_space(v)}


def _looks_like_spec(value: Any) -> bool:
    return isinstance(value, dict) and bool(set(value) & SPACE_KINDS)


@dataclass(frozen=True)
class IntRange:
    """Integers from ``low`` to ``high`` inclusive, in steps of ``step``."""

    low: int
    high: int
    step: int = 1

    def values(self) -> list[int]:
        """Every value in the range."""
        return list(range(self.low, self.high + 1, self.step))

    def extremes(self) -> list[Any]:
        """The values a component's params model must accept."""
        return [self.low, self.high]

    def __str__(self) -> str:
        return f"int[{self.low}..{self.high} step {self.step}]"


@dataclass(frozen=True)
class Choice:
    """One of a list of values, drawn at random."""

    options: tuple[Any, ...]

    def extremes(self) -> list[Any]:
        """The values a component's params model must accept."""
        return list(self.options)

    def __str__(self) -> str:
        return f"choice{list(self.options)}"


@dataclass(frozen=True)
class Grid:
    """Every one of a list of values, once each."""

    options: tuple[Any, ...]

    def extremes(self) -> list[Any]:
        """The values a component's params model must accept."""
        return list(self.options)

    def __str__(self) -> str:
        return f"grid{list(self.options)}"


@dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from ``[low, high]``."""

    low: float
    high: float

    def extremes(self) -> list[Any]:
        """The values a component's params model must accept."""
        return [self.low, self.high]

    def __str__(self) -> str:
        return f"uniform[{self.low}, {self.high}]"


@dataclass(frozen=True)
class LogUniform:
    """A float drawn uniformly in log space from ``[low, high]``, ``0 < low``."""

    low: float
    high: float

    def extremes(self) -> list[Any]:
        """The values a component's params model must accept."""
        return [self.low, self.high]

    def __str__(self) -> str:
        return f"loguniform[{self.low}, {self.high}]"


Domain = IntRange | Choice | Grid | Uniform | LogUniform
#: Dotted parameter path (``"backend.units"``) to its domain.
SearchSpace = dict[str, Domain]


def _number(value: Any, where: str, what: str, integer: bool = False) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if not ok or isinstance(value, bool) or (not integer and not math.isfinite(value)):
        kind = "an integer" if integer else "a finite number"
        raise ConfigError(f"{where}: {what} must be {kind}, got {value!r}")
    return value


def _bounds(spec: dict[str, Any], key: str, where: str, integer: bool) -> tuple[Any, Any]:
    value = spec[key]
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ConfigError(f"{where}: {{{key}: ...}} takes [min, max], got {value!r}")
    low = _number(value[0], where, "min", integer)
    high = _number(value[1], where, "max", integer)
    if low > high:
        raise ConfigError(f"{where}: min {low} > max {high} in {{{key}: {list(value)}}}; swap them")
    return low, high


def _options(spec: dict[str, Any], key: str, where: str) -> tuple[Any, ...]:
    value = spec[key]
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where}: {{{key}: ...}} takes a list of values, got {value!r}")
    if not value:
        raise ConfigError(f"{where}: {{{key}: []}} is empty; list at least one value")
    return tuple(value)


def parse_space(spec: Any, where: str = "value") -> Domain:
    """Parse and validate one search-space spec.

    Parameters
    ----------
    spec
        A mapping such as ``{"int": [16, 512], "step": 16}``.
    where
        The spec's place in the config, used in error messages.

    Raises
    ------
    ConfigError
        For an unknown key, empty choices, min > max, a non-positive step or one that does
        not divide ``max - min``, or a log-uniform range that does not stay above zero.
    """
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: a search space is a mapping like {{choice: [...]}}, got {spec!r}")
    kinds = set(spec) & SPACE_KINDS
    if len(kinds) != 1:
        raise ConfigError(
            f"{where}: a search space names exactly one of {', '.join(sorted(SPACE_KINDS))}; "
            f"got keys {sorted(spec)}"
        )
    kind = kinds.pop()
    unknown = set(spec) - {kind} - ({"step"} if kind == "int" else set())
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)} in a {{{kind}: ...}} search space")
    if kind == "int":
        low, high = _bounds(spec, "int", where, integer=True)
        step = _number(spec.get("step", 1), where, "step", integer=True)
        if step < 1:
            raise ConfigError(f"{where}: step {step} must be a positive integer")
        if (high - low) % step:
            raise ConfigError(
                f"{where}: step {step} does not fit the range [{low}, {high}]: (max - min) = {high - low} "
                f"is not a multiple of {step}; use a max of {high - (high - low) % step}"
            )
        return IntRange(low, high, step)
    if kind == "choice":
        return Choice(_options(spec, kind, where))
    if kind == "grid":
        return Grid(_options(spec, kind, where))
    low, high = _bounds(spec, kind, where, integer=False)
    if low == high:
        raise ConfigError(f"{where}: {{{kind}: [{low}, {high}]}} is a single value; write {low} instead")
    if kind == "loguniform":
        if low <= 0:
            raise ConfigError(f"{where}: loguniform needs 0 < min, got min {low}")
        return LogUniform(float(low), float(high))
    return Uniform(float(low), float(high))


def _searched(config: ExperimentConfig) -> dict[str, Component]:
    """The components whose specs are searched, by key path (``"backend"``, ``"metrics.0"``)."""
    return {path: c for path, c in config.components().items() if path.split(".")[0] not in _UNSEARCHED}


def find_spaces(config: ExperimentConfig) -> SearchSpace:
    """Collect and validate every search-space spec in an experiment config.

    Returns
    -------
    SearchSpace
        ``{"backend.units": IntRange(16, 512, 16), "train.lr": Choice(...), ...}``.

    Raises
    ------
    ConfigError
        For a malformed spec, named by its path.
    """
    components = _searched(config)
    space: SearchSpace = {
        f"{path}.name": parse_space(c.name, where=f"{path}.name")
        for path, c in components.items()
        if not isinstance(c.name, str)
    }
    sections = {path: c.params for path, c in components.items()} | {"train": config.train}
    for prefix, params in sections.items():
        for key, value in params.items():
            if _looks_like_spec(value):
                space[f"{prefix}.{key}"] = parse_space(value, where=f"{prefix}.{key}")
    return space


def apply_params(config: ExperimentConfig, values: dict[str, Any]) -> ExperimentConfig:
    """Return a copy of ``config`` with the given dotted-path values in place of their specs.

    Raises
    ------
    ConfigError
        For a path that names no parameter in the config, or a value the component refuses.
    """
    data = copy.deepcopy(config.model_dump())
    for path, value in values.items():
        prefix, _, key = path.rpartition(".")
        parts = prefix.split(".")
        node: Any = data
        try:
            for part in parts:
                node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ConfigError(f"parameter path {path!r} names nothing in the config") from None
        if node is None:
            raise ConfigError(f"parameter path {path!r}: the config has no {prefix!r}")
        if parts == ["train"]:
            node[key] = value
        elif not (isinstance(node, dict) and isinstance(node.get("params"), dict)):
            raise ConfigError(f"parameter path {path!r} names nothing in the config")
        elif key == "name":
            node["name"] = value  # a choice among components, not one of their params
        else:
            node["params"][key] = value
    return validate_section(type(config), data, f"with {values}")


def grid_points(domain: Domain, where: str = "value") -> list[Any]:
    """Every value of a domain, for grid search.

    Raises
    ------
    ConfigError
        For a continuous domain (uniform, loguniform), which has no finite grid.
    """
    if isinstance(domain, IntRange):
        return domain.values()
    if isinstance(domain, Choice | Grid):
        return list(domain.options)
    raise ConfigError(
        f"{where}: {domain} is continuous and cannot be grid-searched; use a choice or an int range, "
        "or searcher: random"
    )


def to_ray(domain: Domain, grid: bool = False, where: str = "value") -> Any:
    """Map a domain onto a Ray Tune search space.

    ``int`` becomes ``tune.qrandint`` (``tune.randint`` for a step of 1, and a
    ``tune.choice`` of the values when ``min`` is not a multiple of ``step``, since
    ``qrandint`` rounds to multiples of ``step``), ``choice`` becomes ``tune.choice``,
    ``uniform`` ``tune.uniform``, ``loguniform`` ``tune.loguniform`` and ``grid``
    ``tune.grid_search``. With ``grid=True`` every domain becomes a ``tune.grid_search``.
    """
    from ray import tune

    if grid or isinstance(domain, Grid):
        return tune.grid_search(grid_points(domain, where))
    if isinstance(domain, IntRange):
        if domain.step == 1:
            return tune.randint(domain.low, domain.high + 1)  # randint's upper bound is exclusive
        if domain.low % domain.step:
            return tune.choice(domain.values())
        return tune.qrandint(domain.low, domain.high, domain.step)
    if isinstance(domain, Choice):
        return tune.choice(list(domain.options))
    if isinstance(domain, LogUniform):
        return tune.loguniform(domain.low, domain.high)
    return tune.uniform(domain.low, domain.high)
