"""The built-in ``ray`` tuner: trials run as Ray Tune trials, on this machine or on a Ray cluster.

Only ``ray.tune`` is used for the search itself (``tune.Tuner``, ``tune.report``,
``tune.RunConfig``, ``tune.FailureConfig``); ``ray.init`` and ``ray.nodes`` join or start
the runtime and check that a trial's resources fit on some node before anything runs.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ray
from ray import tune

from embedlab.errors import ConfigError
from embedlab.progress import console_verbosity, progress_bar
from embedlab.space import Grid, SearchSpace, grid_points, to_ray
from embedlab.tuning.base import Trainable, TrialRecord, describe_error, trial_status
from embedlab.tuning.result import TuneResult
from embedlab.tuning.settings import RayTunerParams, TuneSettings, split_address

if TYPE_CHECKING:
    from ray.tune.schedulers import TrialScheduler

__all__ = ["RayTuner", "RayTunerParams", "ensure_runtime", "probe_address"]

logger = logging.getLogger(__name__)

#: Metrics Ray adds to every result; kept out of the per-epoch history.
_RAY_KEYS = {
    "timestamp",
    "checkpoint_dir_name",
    "should_checkpoint",
    "done",
    "training_iteration",
    "trial_id",
    "date",
    "time_this_iter_s",
    "time_total_s",
    "pid",
    "hostname",
    "node_ip",
    "config",
    "time_since_restore",
    "iterations_since_restore",
    "experiment_tag",
    "started_at",
    "cuda_visible_devices",
}


#: Seconds a TCP connection to a Ray address may take before the address counts as unreachable
#: (``ray.init`` itself retries a dead address for minutes).
CONNECT_TIMEOUT_S = 5.0


def _auto_address() -> str | None:
    """The ``host:port`` Ray's ``address="auto"`` resolves to (the latest ``ray start`` cluster),
    or ``None`` when it cannot be told.

    Raises
    ------
    ConfigError
        If no running cluster is found.
    """
    try:  # a private helper: if Ray moves it, ray.init resolves "auto" unprobed
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:
        return None
    try:
        return canonicalize_bootstrap_address("auto")
    except ConnectionError:
        raise ConfigError(
            "Ray address 'auto' found no running Ray cluster on this machine; start one with "
            "ray start --head, or give the head node's host:port"
        ) from None


def probe_address(address: str, source: str = "tune.address / --address") -> None:
    """Refuse a Ray address that is malformed or has nothing listening, within a few seconds.

    Parameters
    ----------
    address
        ``host:port``, ``ray://host:port``, ``auto`` or ``local``.
    source
        Where the address came from, for the message.

    Raises
    ------
    ConfigError
        Naming the address, its source and the fix.
    """
    try:
        target = split_address(address)
        if target is None and address == "auto":
            resolved = _auto_address()
            target = None if resolved is None else split_address(resolved)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (from {source})") from None
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ConfigError(
            f"cannot reach the Ray cluster at {address!r} ({source}): connecting to "
            f"{target[0]}:{target[1]} failed ({reason}); check that the head node runs (ray start --head), "
            "that host and port are its GCS address (or ray://host:10001 for Ray Client) and that no "
            "firewall blocks it, or leave the address unset to run locally"
        ) from None


def ensure_runtime(
    address: str | None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    source: str = "tune.address / --address",
) -> None:
    """Join the Ray cluster at ``address`` (or ``RAY_ADDRESS``), or start a local runtime.

    A runtime already started in this process is reused when it is the one asked for.
    ``source`` names where ``address`` came from, in messages.
    Before joining, the address is checked with a TCP connection (:func:`probe_address`), so
    an unreachable cluster fails in seconds rather than after ``ray.init``'s minutes of retries.

    Raises
    ------
    ConfigError
        If the cluster cannot be reached, or this process is already connected elsewhere.
    """
    source = source if address else "the RAY_ADDRESS environment variable"
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address and not (ray.is_initialized() and address in {"auto", "local"}):
        probe_address(address, source)
    if ray.is_initialized():
        if address and address not in {"auto", "local"}:
            current = ray.get_runtime_context().gcs_address
            if current != address.removeprefix("ray://"):
                raise ConfigError(
                    f"this process is already connected to Ray at {current}, not {address}; "
                    "call ray.shutdown() first, or leave address unset to use the running one"
                )
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "configure_logging": False, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus, num_gpus=num_gpus, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(
            f"cannot start or join Ray (address={address!r}): {exc}; check that the head node runs "
            "(ray start --head) and that the address is host:port of its GCS"
        ) from None


def check_resources(resources: dict[str, float]) -> None:
    """Refuse per-trial resources that no live node has, which would leave trials PENDING forever.

    Raises
    ------
    ConfigError
        Naming what was asked and the largest node.
    """
    live = ray.nodes()  # type: ignore[no-untyped-call]  # Ray leaves nodes() unannotated
    nodes = [node.get("Resources", {}) for node in live if node.get("Alive")]
    wanted = {"CPU": resources.get("cpu", 0.0), "GPU": resources.get("gpu", 0.0)}
    if any(all(node.get(k, 0.0) >= v for k, v in wanted.items()) for node in nodes):
        return
    largest = (
        ", ".join(f"{{CPU: {n.get('CPU', 0):g}, GPU: {n.get('GPU', 0):g}}}" for n in nodes) or "no live nodes"
    )
    raise ConfigError(
        f"tune.resources asks for cpu={wanted['CPU']:g}, gpu={wanted['GPU']:g} per trial, but no node of the "
        f"Ray cluster has that much (nodes: {largest}); lower tune.resources or add a larger node"
    )


def _run_trial(config: dict[str, Any], experiment: Trainable) -> None:
    """The Ray function trainable: forwards each epoch's metrics to ``tune.report``.

    The trial keeps to the CPUs it was given: :func:`embedlab.threads.cpu_budget` caps the
    thread policy at the trial's CPU allocation (1 when Ray does not say), and torch runs on
    the policy's threads (``OMP_NUM_THREADS``, which Ray sets to the allocation, or one per
    CPU), as do the trainers inside it.
    """
    from embedlab.threads import cpu_budget, torch_threads

    extra = {
        "started_at": time.time(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
    }

    def report(metrics: dict[str, Any]) -> None:
        tune.report({**metrics, **extra})

    try:
        cpus = float(tune.get_context().get_trial_resources().required_resources.get("CPU", 1))
    except (AttributeError, RuntimeError):  # outside a Ray Tune session
        cpus = 1.0
    with cpu_budget(max(1, math.floor(cpus))), torch_threads():
        experiment(dict(config), report)


class _Progress(tune.Callback):
    """A tqdm bar over trials, with the best score so far."""

    def __init__(self, total: int, metric: str, mode: str) -> None:
        self.total, self.metric, self.mode = total, metric, mode
        self.best = math.nan
        self._bar: Any = None

    def __getstate__(self) -> dict[str, Any]:  # Ray pickles callbacks with the experiment state
        return {**self.__dict__, "_bar": None}

    def _tick(self, status: str) -> None:
        if self._bar is None:
            self._bar = progress_bar(total=self.total, desc="trials", unit="trial")
        self._bar.update(1)
        self._bar.set_postfix_str(f"best {self.metric}={self.best:.4f} (last: {status})")
        if self._bar.n >= self.total:
            self._bar.close()

    def on_trial_result(
        self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any
    ) -> None:
        value = result.get(self.metric)
        if isinstance(value, int | float) and math.isfinite(value):
            better = value > self.best if self.mode == "max" else value < self.best
            if math.isnan(self.best) or better:
                self.best = float(value)

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._tick("done")

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._tick("failed")


def _scheduler(settings: TuneSettings) -> TrialScheduler | None:
    """The settings' early-stopping scheduler; ``None`` for ``fifo``, Ray's default."""
    from ray.tune.schedulers import ASHAScheduler, HyperBandScheduler

    if settings.scheduler == "asha":
        return ASHAScheduler(
            max_t=settings.epoch_limit(),
            grace_period=settings.grace_period,
            reduction_factor=settings.reduction_factor,
        )
    if settings.scheduler == "hyperband":
        return HyperBandScheduler(max_t=settings.epoch_limit(), reduction_factor=settings.reduction_factor)
    return None


def _searcher(settings: TuneSettings, space: SearchSpace, seed: int) -> Any:
    from ray.tune.search.basic_variant import BasicVariantGenerator

    if settings.searcher == "optuna":
        try:
            from ray.tune.search.optuna import OptunaSearch
        except ImportError:
            raise ConfigError("tune.searcher optuna needs optuna: pip install optuna") from None
        grids = [path for path, domain in space.items() if isinstance(domain, Grid)]
        if grids:
            raise ConfigError(
                f"tune.searcher optuna cannot search grid specs ({', '.join(grids)}); use choice"
            )
        import optuna

        return OptunaSearch(sampler=optuna.samplers.TPESampler(seed=seed))
    return BasicVariantGenerator(random_state=seed)


def _trial_dirname(trial: Any) -> str:
    return f"trial_{trial.trial_id}"


def _trial_id(result: Any) -> str:
    if result.metrics and result.metrics.get("trial_id"):
        return str(result.metrics["trial_id"])
    return Path(result.path or "unknown").name.removeprefix("trial_")  # see _trial_dirname


def _record(result: Any, space: SearchSpace, max_epochs: int) -> TrialRecord:
    history: list[dict[str, Any]] = []
    frame = result.metrics_dataframe
    if frame is not None and len(frame):
        if "epoch" in frame:
            # HyperBand pauses trials at its milestones, and a paused trial resumes from epoch 1
            # (trials keep no checkpoint): the repeated epochs, seeded alike, are reported again
            frame = frame.drop_duplicates("epoch", keep="last")
        keep = [c for c in frame.columns if c not in _RAY_KEYS and not c.startswith("config/")]
        history = frame[keep].to_dict("records")
    metrics = result.metrics or {}
    params = {path: (result.config or {}).get(path) for path in space}
    info = {
        "node": metrics.get("hostname"),
        "cuda_visible_devices": metrics.get("cuda_visible_devices"),
        "started_at": metrics.get("started_at"),
        "ended_at": metrics.get("timestamp"),
    }
    return TrialRecord(
        trial_id=_trial_id(result),
        params=params,
        status=trial_status(len(history), max_epochs, result.error is not None),
        history=history,
        error=describe_error(result.error),
        time_s=float(metrics.get("time_total_s", math.nan)),
        info=info,
    )


class RayTuner:
    """Runs a search with Ray Tune: locally, or on a cluster given ``address`` / ``RAY_ADDRESS``.

    Parameters
    ----------
    num_cpus, num_gpus
        Size of a local runtime this tuner starts (``None``: the whole machine).
    progress
        Show a tqdm bar over trials.
    """

    def __init__(
        self, num_cpus: int | None = None, num_gpus: int | None = None, progress: bool = False
    ) -> None:
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.progress = progress

    def tune(self, trainable: Trainable, space: SearchSpace, **settings: Any) -> TuneResult:
        """Run the search; see :class:`~embedlab.tuning.base.Tuner`.

        Raises
        ------
        ConfigError
            For settings Ray cannot run (grid over a continuous range, resources larger than
            every node, an unreachable cluster), before any trial starts.
        """
        s = TuneSettings.model_validate(settings)
        max_epochs = s.epoch_limit()
        storage = str(Path(s.storage_path or Path("runs") / "tune").expanduser().resolve())
        seed = s.seed if s.seed is not None else getattr(getattr(trainable, "config", None), "seed", 0)
        grid = s.searcher == "grid"
        param_space = {path: to_ray(domain, grid=grid, where=path) for path, domain in space.items()}
        searcher = _searcher(s, space, seed)
        ensure_runtime(s.address, self.num_cpus, self.num_gpus)
        resources = {"cpu": s.resources.cpu, "gpu": s.resources.gpu}
        train = getattr(getattr(trainable, "config", None), "train", None) or {}
        if int(train.get("workers", 1)) > 1:
            # each trial only drives a Ray Train run, whose workers reserve train.resources_per_worker;
            # one byte of memory, as Ray refuses a trial that asks for nothing
            resources = {"cpu": 0.0, "gpu": 0.0, "memory": 1.0}
        check_resources(resources)
        trial_fn = tune.with_resources(tune.with_parameters(_run_trial, experiment=trainable), resources)
        total = s.trial_count()  # Ray runs the grid (grid specs, or every spec with searcher grid) per sample
        for path, domain in space.items():
            if grid or isinstance(domain, Grid):
                total *= len(grid_points(domain, path))
        callbacks: list[tune.Callback] = [_Progress(total, s.metric, s.mode)] if self.progress else []
        verbose = console_verbosity(s.verbose)
        run_config = tune.RunConfig(
            name=s.name,
            storage_path=storage,
            failure_config=tune.FailureConfig(max_failures=s.max_failures),
            verbose=verbose,
            callbacks=callbacks,
        )
        experiment = os.path.join(storage, s.name)
        start = time.perf_counter()
        if s.resume and tune.Tuner.can_restore(experiment):
            logger.info("resuming the search in %s", experiment)
            # finished trials are kept, unfinished ones run again, failed ones stay failed
            tuner = tune.Tuner.restore(experiment, trainable=trial_fn, resume_unfinished=True)
        else:
            tuner = tune.Tuner(
                trial_fn,
                param_space=param_space,
                tune_config=tune.TuneConfig(
                    metric=s.metric,
                    mode=s.mode,
                    scheduler=_scheduler(s),
                    search_alg=searcher,
                    num_samples=s.trial_count(),
                    max_concurrent_trials=s.max_concurrent,
                    reuse_actors=True,  # a new actor per trial would re-import torch every time
                    trial_dirname_creator=_trial_dirname,
                ),
                run_config=run_config,
            )
        with contextlib.redirect_stdout(io.StringIO()) if verbose == 0 else contextlib.nullcontext():
            grid_result = tuner.fit()  # Ray prints a header box even at verbose=0
        wall = time.perf_counter() - start
        trials = [_record(grid_result[i], space, max_epochs) for i in range(len(grid_result))]
        return TuneResult.of_search(trials, s, trainable, experiment, wall)
