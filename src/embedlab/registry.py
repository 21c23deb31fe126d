"""The plugin registry: pluggy hooks, entry-point discovery, creation and listing.

Every component, built-in or third-party, comes from a plugin module named in the
``embedlab`` entry-point group and registered through the hooks in
:mod:`embedlab.hookspecs`. Plugins are loaded once, lazily, on first use.

Environment variables
---------------------
``EMBEDLAB_DISABLE_PLUGINS``
    Comma-separated distribution names whose entry points are skipped before import.
``EMBEDLAB_STRICT_PLUGINS``
    ``1`` turns a plugin that fails to import or register into a :class:`PluginLoadError`
    instead of a warning.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as md
import os
import re
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

import pluggy
import pydantic

from embedlab import hookspecs
from embedlab.errors import PluginConflictError, PluginLoadError, UnknownPluginError
from embedlab.params import Params, validate_section

if TYPE_CHECKING:
    from embedlab.data.base import ArrayDataset
    from embedlab.protocols import Backend, LoggerProtocol, LossProtocol, MetricProtocol, MinerProtocol
    from embedlab.tasks.base import Task
    from embedlab.tuning.base import Tuner

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "PluginInfo",
    "PluginWarning",
    "create",
    "get",
    "hookimpl",
    "plugins",
    "register_plugin",
    "reload",
]

ENTRY_POINT_GROUP = "embedlab"
#: The plugin kinds, each with its hook in :mod:`embedlab.hookspecs`: the one list of kinds.
KINDS: dict[str, str] = {
    "backend": "embedlab_register_backends",
    "miner": "embedlab_register_miners",
    "loss": "embedlab_register_losses",
    "metric": "embedlab_register_metrics",
    "tuner": "embedlab_register_tuners",
    "dataset": "embedlab_register_datasets",
    "task": "embedlab_register_tasks",
    "logger": "embedlab_register_loggers",
}

hookimpl = pluggy.HookimplMarker("embedlab")

#: What a plugin's import, registration or hook may raise without taking the others down.
#: SystemExit is included (a plugin calling ``sys.exit()`` must not end ``embedlab plugins``);
#: KeyboardInterrupt is not, so Ctrl-C still stops the program.
_PLUGIN_FAILURES = (Exception, SystemExit)


class PluginWarning(UserWarning):
    """A plugin failed to load or register; the others keep working."""


@dataclass(frozen=True)
class PluginInfo:
    """One registered component.

    Attributes
    ----------
    kind, name
        The component's kind (``"loss"``) and name (``"triplet"``).
    distribution, version
        The installed distribution that registered it, and its version.
    summary
        One line describing it.
    params
        The pydantic model that validates its parameters.
    factory
        The callable or ``"module:attr"`` string that builds it.
    entry_point
        The entry point's name within the ``embedlab`` group.
    """

    kind: str
    name: str
    distribution: str
    version: str
    summary: str
    params: type[Params]
    factory: Callable[..., Any] | str = field(repr=False)
    entry_point: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description, including the params JSON schema."""
        return {
            "kind": self.kind,
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "summary": self.summary,
            "entry_point": self.entry_point,
            "params": self.params.model_json_schema(),
        }

    def load_factory(self) -> Callable[..., Any]:
        """Import and return the factory, resolving an import string."""
        if callable(self.factory):
            return self.factory
        module_name, _, attr = self.factory.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split(".") if attr else []:
            obj = getattr(obj, part)
        factory: Callable[..., Any] = obj
        return factory


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class _Registry:
    """Loaded plugins and the components they registered (one per process)."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("embedlab")
        self.pm.add_hookspecs(hookspecs)
        self.components: dict[tuple[str, str], list[PluginInfo]] = {}

    def load_entry_points(self) -> None:
        disabled = {
            _canonical(d.strip())
            for d in os.environ.get("EMBEDLAB_DISABLE_PLUGINS", "").split(",")
            if d.strip()
        }
        seen: set[tuple[str, str]] = set()
        for ep in md.entry_points(group=ENTRY_POINT_GROUP):
            dist_name = ep.dist.name if ep.dist is not None else "unknown"
            version = ep.dist.version if ep.dist is not None else ""
            key = (_canonical(dist_name), ep.name)
            if key in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(key)
            if key[0] in disabled:
                continue
            try:
                plugin = ep.load()
            except _PLUGIN_FAILURES as exc:
                self._fail(dist_name, ep.name, "failed to import", exc)
                continue
            self.add(plugin, dist_name, version, ep.name)

    def add(self, plugin: object, distribution: str, version: str, entry_point: str) -> None:
        plugin_name = f"{distribution}:{entry_point}"
        if self.pm.is_registered(plugin) or self.pm.has_plugin(plugin_name):
            return
        try:
            self.pm.register(plugin, name=plugin_name)
            unknown = [h.name for h in self.pm.get_hookcallers(plugin) or [] if not h.has_spec()]
            if unknown:
                self.pm.unregister(plugin)
                raise pluggy.PluginValidationError(
                    plugin, f"unknown hook(s) {', '.join(unknown)}; known hooks: {', '.join(KINDS.values())}"
                )
        except _PLUGIN_FAILURES as exc:  # a bad hook signature or name
            self._fail(distribution, entry_point, "failed to register", exc)
            return
        for kind, hook_name in KINDS.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                pending: list[PluginInfo] = []

                def register(
                    name: str,
                    factory: Callable[..., Any] | str,
                    *,
                    params: type[Params] | None = None,
                    summary: str = "",
                    _kind: str = kind,
                    _pending: list[PluginInfo] = pending,
                ) -> None:
                    if params is None and not isinstance(factory, str):
                        params = getattr(factory, "params_model", None)  # a class declaring its model
                    if params is not None and not (
                        isinstance(params, type) and issubclass(params, pydantic.BaseModel)
                    ):
                        raise TypeError(f"params for {_kind} {name!r} must be a pydantic model class")
                    _pending.append(
                        PluginInfo(
                            kind=_kind,
                            name=name,
                            distribution=distribution,
                            version=version,
                            summary=summary,
                            params=params or Params,
                            factory=factory,
                            entry_point=entry_point,
                        )
                    )

                try:
                    impl.function(**({"register": register} if "register" in impl.argnames else {}))
                except _PLUGIN_FAILURES as exc:
                    self._fail(distribution, entry_point, f"failed in {hook_name}", exc)
                    continue
                for info in pending:
                    self.components.setdefault((info.kind, info.name), []).append(info)

    @staticmethod
    def _fail(distribution: str, entry_point: str, what: str, exc: BaseException) -> None:
        cause = (
            f"called sys.exit({exc.code!r})"
            if isinstance(exc, SystemExit)
            else f"{type(exc).__name__}: {exc}"
        )
        message = f"embedlab plugin {entry_point!r} from distribution {distribution!r} {what}: {cause}"
        if _env_flag("EMBEDLAB_STRICT_PLUGINS"):
            raise PluginLoadError(message + " (EMBEDLAB_STRICT_PLUGINS is set)") from exc
        warnings.warn(message + " (set EMBEDLAB_DISABLE_PLUGINS to skip it)", PluginWarning, stacklevel=4)


_lock = threading.Lock()
_registry: _Registry | None = None


def _get_registry() -> _Registry:
    global _registry
    with _lock:
        if _registry is None:
            registry = _Registry()
            registry.load_entry_points()
            _registry = registry
        return _registry


def reload() -> None:
    """Forget loaded plugins; the next call rediscovers the entry points.

    Useful after installing a plugin into a running interpreter, and in tests.
    """
    global _registry
    with _lock:
        _registry = None


def register_plugin(plugin: object, distribution: str = "__main__", version: str = "") -> None:
    """Register a plugin object directly, without an entry point.

    Parameters
    ----------
    plugin
        A module or object carrying ``@embedlab.hookimpl`` functions.
    distribution
        The name shown as the component's origin.
    version
        The version shown beside it.
    """
    _get_registry().add(plugin, distribution, version, getattr(plugin, "__name__", type(plugin).__name__))


def _conflict(infos: list[PluginInfo]) -> PluginConflictError:
    first = infos[0]
    origins = " and ".join(
        f"{i.distribution!r} (entry point {i.entry_point!r})"
        for i in sorted(infos, key=lambda i: i.distribution)
    )
    return PluginConflictError(
        f"{first.kind} {first.name!r} is registered by {origins}; "
        f"uninstall one or block it with EMBEDLAB_DISABLE_PLUGINS"
    )


def plugins(kind: str | None = None) -> list[PluginInfo]:
    """List registered components, sorted by kind and name.

    Parameters
    ----------
    kind
        Only this kind (``"loss"``, ``"dataset"``, ...); ``None`` lists every kind.

    Returns
    -------
    list of PluginInfo
        One record per registration. A conflicting name appears once per distribution,
        with a :class:`PluginWarning`.
    """
    if kind is not None:
        _check_kind(kind)
    registry = _get_registry()
    out: list[PluginInfo] = []
    for (k, _), infos in sorted(registry.components.items()):
        if kind is not None and k != kind:
            continue
        if len(infos) > 1:
            warnings.warn(str(_conflict(infos)), PluginWarning, stacklevel=2)
        out.extend(infos)
    return out


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownPluginError(f"unknown plugin kind {kind!r}: choose one of {', '.join(KINDS)}{hint}")


def get(kind: str, name: str) -> PluginInfo:
    """Return the registration of one component.

    Raises
    ------
    UnknownPluginError
        No plugin registers ``(kind, name)``; the message lists what exists and the closest
        matches.
    PluginConflictError
        Two distributions register it.
    """
    _check_kind(kind)
    registry = _get_registry()
    infos = registry.components.get((kind, name))
    if not infos:
        available = sorted(n for k, n in registry.components if k == kind)
        close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        listing = ", ".join(available) if available else "none installed"
        raise UnknownPluginError(f"unknown {kind} {name!r}.{hint} Available: {listing}.")
    if len(infos) > 1:
        raise _conflict(infos)
    return infos[0]


def validate_params(info: PluginInfo, params: dict[str, Any], where: str = "") -> Params:
    """Validate ``params`` against a component's params model.

    Raises
    ------
    ConfigError
        Naming the component, each bad field, the value given and what is allowed.
    """
    prefix = f"{where}: " if where else ""
    return validate_section(info.params, params, f"{prefix}{info.kind} {info.name!r}")


@overload
def create(kind: Literal["miner"], name: str, **params: Any) -> MinerProtocol: ...
@overload
def create(kind: Literal["loss"], name: str, **params: Any) -> LossProtocol: ...
@overload
def create(kind: Literal["metric"], name: str, **params: Any) -> MetricProtocol: ...
@overload
def create(kind: Literal["backend"], name: str, **params: Any) -> Backend: ...
@overload
def create(kind: Literal["dataset"], name: str, **params: Any) -> ArrayDataset: ...
@overload
def create(kind: Literal["tuner"], name: str, **params: Any) -> Tuner: ...
@overload
def create(kind: Literal["task"], name: str, **params: Any) -> Task: ...
@overload
def create(kind: Literal["logger"], name: str, **params: Any) -> LoggerProtocol: ...
@overload
def create(kind: str, name: str, **params: Any) -> Any: ...
def create(kind: str, name: str, **params: Any) -> Any:
    """Build a component by kind and name, validating its parameters.

    Parameters
    ----------
    kind
        One of :data:`KINDS` (``"loss"``, ``"dataset"``, ...).
    name
        The registered name, for example ``"digits"``.
    **params
        Parameters, validated by the component's params model.

    Returns
    -------
    object
        What the component's factory returns. Type checkers see the contract of a literal
        ``kind`` (:mod:`embedlab.protocols`): a
        :class:`~embedlab.protocols.MinerProtocol`, :class:`~embedlab.protocols.LossProtocol`,
        :class:`~embedlab.protocols.MetricProtocol`, a :data:`~embedlab.protocols.Backend`,
        an :class:`~embedlab.data.ArrayDataset`, a :class:`~embedlab.tuning.base.Tuner`, a
        :class:`~embedlab.tasks.Task` or a :class:`~embedlab.protocols.LoggerProtocol`.

    Raises
    ------
    UnknownPluginError, PluginConflictError, ConfigError
    """
    info = get(kind, name)
    validated = validate_params(info, params)
    return info.load_factory()(**validated.as_kwargs())
