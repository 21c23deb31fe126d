"""The ``optuna`` tuner: every trial runs in this process, one after another."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from pathlib import Path
from typing import Any

import optuna

from embedlab.errors import ConfigError
from embedlab.io import write_json
from embedlab.space import (
    Domain,
    Grid,
    IntRange,
    LogUniform,
    SearchSpace,
    Uniform,
    grid_points,
)
from embedlab.tuning.base import Trainable, TrialRecord, describe_error, trial_status
from embedlab.tuning.result import TuneResult, best_value
from embedlab.tuning.settings import TuneSettings

__all__ = ["OptunaTuner"]

logger = logging.getLogger(__name__)
_SCALARS = (type(None), bool, int, float, str)


def _suggest(trial: optuna.Trial, path: str, domain: Domain) -> Any:
    if isinstance(domain, IntRange):
        return trial.suggest_int(path, domain.low, domain.high, step=domain.step)
    if isinstance(domain, Uniform):
        return trial.suggest_float(path, domain.low, domain.high)
    if isinstance(domain, LogUniform):
        return trial.suggest_float(path, domain.low, domain.high, log=True)
    options = list(domain.options)
    if all(isinstance(o, _SCALARS) for o in options):
        return trial.suggest_categorical(path, options)
    return options[trial.suggest_categorical(path, list(range(len(options))))]  # lists, dicts: by index


def _grid_space(space: SearchSpace) -> dict[str, list[Any]]:
    out = {}
    for path, domain in space.items():
        values = grid_points(domain, path)
        scalar = all(isinstance(v, _SCALARS) for v in values)
        out[path] = values if scalar or isinstance(domain, IntRange) else list(range(len(values)))
    return out


def _sampler(settings: TuneSettings, space: SearchSpace, seed: int) -> optuna.samplers.BaseSampler:
    if settings.searcher == "grid":
        return optuna.samplers.GridSampler(_grid_space(space), seed=seed)
    grids = [path for path, domain in space.items() if isinstance(domain, Grid)]
    if grids:
        raise ConfigError(
            f"the optuna tuner runs grid specs ({', '.join(grids)}) only with tune.searcher grid; "
            "use choice instead"
        )
    if settings.searcher == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _pruner(settings: TuneSettings, max_epochs: int) -> optuna.pruners.BasePruner:
    factor = max(2, round(settings.reduction_factor))
    if settings.scheduler == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=settings.grace_period, reduction_factor=factor
        )
    if settings.scheduler == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=settings.grace_period, max_resource=max_epochs, reduction_factor=factor
        )
    return optuna.pruners.NopPruner()


class OptunaTuner:
    """Runs a search with Optuna in this process; see :class:`embedlab.tuning.base.Tuner`.

    Parameters
    ----------
    progress
        Show Optuna's progress bar.
    """

    def __init__(self, progress: bool = False) -> None:
        self.progress = progress

    def tune(self, trainable: Trainable, space: SearchSpace, **settings: Any) -> TuneResult:
        """Run the search and return every trial, failed and pruned ones included.

        Raises
        ------
        ConfigError
            For Ray-only settings (``address``, GPUs per trial) and grid specs without
            ``searcher: grid``, before any trial starts.
        """
        s = TuneSettings.model_validate(settings)
        if s.address:
            raise ConfigError(
                f"the optuna tuner runs in this process and cannot join a cluster (address={s.address!r}); "
                "use tuner: ray"
            )
        if s.resources.gpu:
            raise ConfigError("the optuna tuner does not reserve GPUs per trial; drop tune.resources.gpu")
        max_epochs = s.epoch_limit()
        seed = s.seed if s.seed is not None else getattr(getattr(trainable, "config", None), "seed", 0)
        sampler = _sampler(s, space, seed)
        n_trials = s.trial_count()
        if s.searcher == "grid":
            n_trials *= math.prod(len(v) for v in _grid_space(space).values())
        folder = Path(s.storage_path or Path("runs") / "tune").expanduser().resolve() / s.name
        folder.mkdir(parents=True, exist_ok=True)
        storage = f"sqlite:///{folder / 'optuna.db'}"
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        if not s.resume:
            with contextlib.suppress(KeyError):  # no earlier study of that name
                optuna.delete_study(study_name=s.name, storage=storage)
        study = optuna.create_study(
            study_name=s.name,
            storage=storage,
            direction="maximize" if s.mode == "max" else "minimize",
            sampler=sampler,
            pruner=_pruner(s, max_epochs),
            load_if_exists=True,
        )
        done = sum(t.state.is_finished() for t in study.trials)
        for stale in (t for t in study.trials if not t.state.is_finished()):
            logger.info("trial %d was interrupted; it is recorded as pending", stale.number)

        def objective(trial: optuna.Trial) -> float:
            params = {path: _suggest(trial, path, domain) for path, domain in space.items()}
            trial.set_user_attr("params", params)
            history: list[dict[str, Any]] = []
            start = time.perf_counter()

            def report(metrics: dict[str, Any]) -> None:
                history.append(dict(metrics))
                trial.set_user_attr("history", history)
                value = metrics.get(s.metric)
                if isinstance(value, int | float) and math.isfinite(value):
                    trial.report(float(value), step=int(metrics.get("epoch", len(history))))
                    if trial.should_prune():
                        raise optuna.TrialPruned()

            for attempt in range(s.max_failures + 1):
                history.clear()
                try:
                    trainable(params, report)
                    break
                except optuna.TrialPruned:
                    raise
                except Exception as exc:  # noqa: BLE001 - a failed trial is recorded, the search goes on
                    trial.set_user_attr("error", describe_error(exc))
                    if attempt == s.max_failures:
                        raise
                finally:
                    trial.set_user_attr("time_s", time.perf_counter() - start)
            trial.set_user_attr("error", None)
            values = [float(row[s.metric]) for row in history if s.metric in row]
            if not values:
                raise ConfigError(f"the trainable never reported metric {s.metric!r}")
            return best_value(values, s.mode)

        wall = time.perf_counter()
        study.optimize(
            objective,
            n_trials=max(0, n_trials - done),
            catch=(Exception,),
            show_progress_bar=self.progress,
        )
        wall = time.perf_counter() - wall
        records = [self._record(t, space, max_epochs) for t in study.trials]
        result = TuneResult.of_search(records, s, trainable, folder, wall)
        write_json(folder / "study.json", {"study_name": s.name, "storage": storage, "trials": len(records)})
        return result

    @staticmethod
    def _record(trial: optuna.trial.FrozenTrial, space: SearchSpace, max_epochs: int) -> TrialRecord:
        history = list(trial.user_attrs.get("history", []))
        params = trial.user_attrs.get("params") or {p: trial.params.get(p) for p in space}
        state = trial.state
        failed = state == optuna.trial.TrialState.FAIL
        status = (
            "stopped"
            if state == optuna.trial.TrialState.PRUNED
            else trial_status(len(history), max_epochs, failed)
        )
        if not state.is_finished():
            status = "pending"
        return TrialRecord(
            trial_id=f"{trial.number:04d}",
            params=params,
            status=status,
            history=history,
            error=trial.user_attrs.get("error") if failed else None,
            time_s=float(trial.user_attrs.get("time_s", math.nan)),
        )
