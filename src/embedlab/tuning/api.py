"""``embedlab.tune``: validate an experiment's search, hand it to a tuner, return a TuneResult."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedlab.config import ExperimentConfig, as_config
from embedlab.errors import ConfigError, EmbedlabError
from embedlab.params import validate_section
from embedlab.tuning.settings import TuneSettings
from embedlab.tuning.space import SearchSpace, apply_params, find_spaces
from embedlab.tuning.tasks import ExperimentTrainable, check_task, get_task, train_problems, validate_train

if TYPE_CHECKING:
    from embedlab.tuning.result import TuneResult

__all__ = ["check_space", "check_storage", "prepare", "resolve_settings", "tune"]


def check_storage(storage: Path) -> None:
    """Refuse a storage path that cannot become a writable folder, before anything is written.

    Raises
    ------
    ConfigError
        When the path, or a folder it would be created in, is a file, or is not writable.
    """
    existing = next(p for p in (storage, *storage.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(
            f"tune.storage_path {str(storage)!r} cannot be created: {str(existing)!r} is a file, "
            "not a folder; choose another storage_path"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"tune.storage_path {str(storage)!r} is not writable ({str(existing)!r} refuses new files); "
            "choose a folder you can write to"
        )


def resolve_settings(config: ExperimentConfig, overrides: dict[str, Any]) -> TuneSettings:
    """Merge the config's ``tune:`` block with overrides (``None`` overrides are ignored).

    Fills ``max_epochs`` from ``train.epochs`` and ``storage_path`` with
    ``runs/<config name>/tune``, made absolute.

    Raises
    ------
    ConfigError
        Naming each bad field of ``tune``.
    """
    data = {**config.tune, **{k: v for k, v in overrides.items() if v is not None}}
    settings = validate_section(TuneSettings, data, "tune")
    epochs = config.train.get("epochs")
    max_epochs = settings.max_epochs or (epochs if isinstance(epochs, int) and epochs > 0 else 10)
    storage = Path(settings.storage_path or Path("runs") / config.name / "tune").expanduser().resolve()
    if settings.grace_period > max_epochs:
        raise ConfigError(
            f"tune.grace_period {settings.grace_period} exceeds max_epochs {max_epochs}; lower it"
        )
    check_storage(storage)
    return settings.model_copy(update={"max_epochs": max_epochs, "storage_path": str(storage)})


def check_space(config: ExperimentConfig, space: SearchSpace) -> None:
    """Check that every value a spec can produce is accepted, before any trial starts.

    Each domain's extremes (the bounds of a range, every listed choice) are put into the
    config, one at a time, and validated by the component's params model or the task's
    ``train:`` settings model.

    Raises
    ------
    ConfigError
        Naming the parameter path, the value and why it is refused.
    """
    if not space:
        raise ConfigError(
            "the config declares no search space; write a spec such as "
            "units: {int: [16, 512], step: 16} in a component's params or in train"
        )
    settings_model = get_task(config.task).settings_model()
    first = {path: domain.extremes()[0] for path, domain in space.items()}
    for path, domain in space.items():
        for value in domain.extremes():
            values = {**first, path: value}
            try:
                concrete = apply_params(config, values)
                train = {**concrete.train}
                validate_train(settings_model, train)
            except EmbedlabError as exc:
                raise ConfigError(f"search space {path} = {value!r} is refused: {exc}") from None


def prepare(
    config_or_path: ExperimentConfig | dict[str, Any] | str | Path, **overrides: Any
) -> tuple[ExperimentConfig, TuneSettings, SearchSpace, ExperimentTrainable]:
    """Load and validate everything a search needs, without starting it.

    Returns
    -------
    tuple
        The config, the resolved settings, the search space and the trainable.
    """
    config = as_config(config_or_path)
    settings = resolve_settings(config, overrides)
    check_task(config, settings.metric)
    space = find_spaces(config)
    check_space(config, space)
    if settings.searcher == "grid":
        from embedlab.tuning.space import grid_points

        combos = list(
            itertools.islice(itertools.product(*(grid_points(d, p) for p, d in space.items())), 100_001)
        )
        if len(combos) > 100_000:
            raise ConfigError("searcher grid: the grid has over 100,000 points; use searcher random")
    bad_baseline = set(settings.baseline) - set(space)
    if bad_baseline:
        raise ConfigError(
            f"tune.baseline names {sorted(bad_baseline)}, which are not searched; "
            f"searched parameters: {', '.join(space)}"
        )
    assert settings.max_epochs is not None  # filled by resolve_settings
    return config, settings, space, ExperimentTrainable(config, settings.max_epochs)


def tune(config_or_path: ExperimentConfig | dict[str, Any] | str | Path, **overrides: Any) -> TuneResult:
    """Run a hyperparameter search over an experiment config.

    Parameters
    ----------
    config_or_path
        An :class:`~embedlab.config.ExperimentConfig`, a dict, or a YAML/JSON/TOML path. Its
        search-space specs define the space, its ``tune:`` block the search
        (:class:`~embedlab.tuning.settings.TuneSettings`) and its ``tuner`` component the
        tuner (default ``ray``).
    **overrides
        Any :class:`~embedlab.tuning.settings.TuneSettings` field, notably ``num_samples``,
        ``max_epochs``, ``storage_path`` and ``address``; ``None`` values are ignored.

    Returns
    -------
    TuneResult
        ``.table``, ``.best_config``, ``.best_metric``, ``.summary(n)``, ``.plot()``,
        ``.retrain_best(epochs=...)``.

    Raises
    ------
    ConfigError
        For a bad space (empty choices, min > max, a step that does not fit), bad settings,
        a metric the task does not report, a storage path that cannot be a folder, an
        unreachable cluster address, or resources no node of the cluster has, all before any
        trial starts.
    """
    from embedlab.registry import create

    config_or_path = as_config(config_or_path, check=train_problems)  # every problem of the file at once
    config, settings, space, trainable = prepare(config_or_path, **overrides)
    if config.tuner is None:
        tuner = create("tuner", "ray")
    else:
        tuner = config.tuner.create("tuner")
    result: TuneResult = tuner.tune(trainable, space, **settings.model_dump())
    return result
