"""``MetricLearner(workers=N)``: data-parallel training on Ray Train, the same updates as one process.

The driver (the process that calls :meth:`~embedlab.learn.MetricLearner.fit`) checks the
request before any worker starts (:func:`check_request`), joins or starts the Ray runtime the
same way a search does (``address`` / ``RAY_ADDRESS``), and runs a Ray Train
``TorchTrainer`` with ``N`` workers: gloo on CPU, nccl when each worker has a GPU.

Each worker (:func:`train_worker`) builds the network, loss and miner from the resolved spec
with the learner's seed, and trains with the ordinary :class:`~embedlab.learn.trainer.Trainer`
given ``world=(rank, N)``: every worker draws the same global batch from the same seeded
sampler, embeds its part, and the gathered global batch is mined and scored on every worker
(:mod:`embedlab.learn.distributed`). After every epoch rank 0 writes the trainer's checkpoint
(``last.pt``, the in-process format) and reports it with ``ray.train.report``; a restarted
worker group (``max_failures``) resumes from ``ray.train.get_checkpoint()``, and since every
epoch is seeded by ``(seed, epoch)`` the resumed run ends with the weights of an
uninterrupted one. The final weights and history come back to the driver in a last checkpoint.

Checkpoints are stored under the run's ``checkpoint_dir`` (``ray-train/``), else in a
temporary folder; ``resume=True`` continues from the latest one, and the final ``last.pt`` is
also copied to ``checkpoint_dir/last.pt``, where an in-process run (``workers=1``) resumes too.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from embedlab.errors import ConfigError, TrainingError
from embedlab.io import atomic_path
from embedlab.learn.checkpoints import CHECKPOINT, read_checkpoint, save_checkpoint
from embedlab.learn.distributed import check_workers
from embedlab.learn.history import EpochRecord
from embedlab.learn.params import TrainerSettings, WorkerResources

__all__ = ["FAULT_ENV", "WorkerRun", "check_cluster", "check_request", "fit_workers", "train_worker"]

logger = logging.getLogger(__name__)

#: Test hook: ``"EPOCH:MARKER"`` makes rank 1 exit abruptly after reporting epoch ``EPOCH``,
#: once (while the file ``MARKER`` does not exist), to test the restart from a checkpoint.
FAULT_ENV = "EMBEDLAB_TEST_WORKER_FAULT"

#: The file of the last checkpoint that carries the final weights and history to the driver.
FINAL = "final.pt"

#: The folder under ``checkpoint_dir`` (or a temporary folder) where Ray Train keeps the run.
RUN_NAME = "ray-train"


@dataclass(frozen=True)
class WorkerRun:
    """How to run the workers: the ``train:`` settings that only matter with ``workers > 1``."""

    workers: int
    resources: WorkerResources
    max_failures: int = 0
    address: str | None = None


def check_request(run: WorkerRun, settings: TrainerSettings, full_batch: int) -> None:
    """Refuse a multi-worker run that cannot work, before any worker starts.

    Parameters
    ----------
    run
        Workers, their resources and the cluster address.
    settings
        The trainer's settings (``batch_size``, ``sampler``, ``device``).
    full_batch
        Samples in one full batch of the sampler (P × M for ``m-per-class``).

    Raises
    ------
    ConfigError
        For ``workers`` < 1, a batch size or sampler batch not divisible by ``workers``, or a
        CUDA device asked for without GPUs per worker.
    """
    check_workers(run.workers, settings.batch_size)
    if full_batch % run.workers:
        raise ConfigError(
            f"sampler {settings.sampler!r} makes batches of {full_batch} samples (not batch_size="
            f"{settings.batch_size}), which {run.workers} workers cannot share evenly; pick batch_size "
            f"and m_per_class so that the classes per batch x m_per_class is a multiple of {run.workers}, "
            "or use sampler 'random'"
        )
    if settings.device.startswith("cuda") and run.resources.gpu <= 0:
        raise ConfigError(
            f"device={settings.device!r} with workers={run.workers}: give each worker a GPU with "
            "resources_per_worker: {gpu: 1}, or use device 'auto' or 'cpu'"
        )


def check_cluster(run: WorkerRun, available: dict[str, float]) -> None:
    """Refuse workers that ask for more CPUs or GPUs than the cluster has (they would wait forever).

    Raises
    ------
    ConfigError
        Naming what the workers ask for, what the cluster has, and the fix.
    """
    for key, per_worker in (("GPU", run.resources.gpu), ("CPU", run.resources.cpu)):
        wanted = per_worker * run.workers
        have = available.get(key, 0.0)
        if wanted > have:
            raise ConfigError(
                f"workers={run.workers} x resources_per_worker.{key.lower()}={per_worker:g} asks for "
                f"{wanted:g} {key}s, but the cluster has {have:g}; lower workers or "
                f"resources_per_worker.{key.lower()}, or join a larger cluster (address / RAY_ADDRESS)"
            )


def _local_resources() -> dict[str, float]:
    """What a local Ray runtime started here would have: this machine's CPUs and CUDA devices."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return {"CPU": float(cpus), "GPU": float(torch.cuda.device_count())}


def _join_cluster(run: WorkerRun) -> None:
    """Check resources, then join or start the Ray runtime (the tuner's address rules and probe)."""
    import ray

    from embedlab.tuning.ray_tuner import ensure_runtime

    local = run.address is None and not os.environ.get("RAY_ADDRESS") and not ray.is_initialized()
    if local:  # refuse before paying for a runtime start
        check_cluster(run, _local_resources())
    ensure_runtime(run.address, source="train.address")
    if not local:
        available = ray.cluster_resources()  # type: ignore[no-untyped-call]  # Ray's has no annotations
        check_cluster(run, {k: float(v) for k, v in available.items()})


@contextmanager
def _storage(settings: TrainerSettings) -> Iterator[Path]:
    """Where Ray Train keeps checkpoints: the run's ``checkpoint_dir``, else a temporary folder.

    Without ``resume=True`` an earlier run's folder is cleared: Ray Train resumes any run it
    finds under the same name.
    """
    if settings.checkpoint_dir is None:
        with tempfile.TemporaryDirectory(prefix="embedlab-workers-") as tmp:
            yield Path(tmp)
        return
    root = Path(settings.checkpoint_dir).expanduser().resolve()
    if settings.resume is not True and (root / RUN_NAME).exists():
        shutil.rmtree(root / RUN_NAME)
    root.mkdir(parents=True, exist_ok=True)
    yield root


def _resume_file(settings: TrainerSettings) -> str | None:
    """A ``last.pt`` to start from when Ray Train has no checkpoint of its own: ``resume=PATH``,
    or with ``resume=True`` the ``checkpoint_dir/last.pt`` an in-process run wrote."""
    if isinstance(settings.resume, Path):
        return str(settings.resume)
    if settings.resume is True and settings.checkpoint_dir is not None:
        path = Path(settings.checkpoint_dir) / CHECKPOINT
        return str(path) if path.is_file() else None
    return None


def train_worker(config: dict[str, Any]) -> None:
    """The per-worker training function Ray Train runs (``train_loop_per_worker``).

    ``config`` holds the resolved component ``spec``, the ``settings`` (a
    :class:`~embedlab.learn.params.TrainerSettings` dump, whose ``seed`` also seeds the
    initial weights), the data as object references, the CPUs per worker, the ``resume`` file, the driver's record
    ``queue`` and the ``fault`` test hook.
    """
    import ray
    import ray.train

    from embedlab.learn.estimator import build_components
    from embedlab.learn.trainer import Trainer
    from embedlab.threads import cpu_budget

    context = ray.train.get_context()
    rank, size = context.get_world_rank(), context.get_world_size()
    X, y = (ray.get(ref) for ref in config["data"][:2])
    X_val, y_val = (None if ref is None else ray.get(ref) for ref in config["data"][2:])
    settings = TrainerSettings.model_validate(config["settings"])
    if config["gpu"]:
        import ray.train.torch

        device = str(ray.train.torch.get_device())
    else:
        device = "cpu"
    with tempfile.TemporaryDirectory(prefix=f"embedlab-rank{rank}-") as tmp:
        resume: str | bool = False
        checkpoint = ray.train.get_checkpoint()
        if checkpoint is not None:
            with checkpoint.as_directory() as folder:
                shutil.copy(Path(folder) / CHECKPOINT, Path(tmp) / "resume.pt")
            resume = str(Path(tmp) / "resume.pt")
        elif config["resume"]:
            resume = config["resume"]
        out = Path(tmp) / "out"
        out.mkdir()
        network, loss, miner = build_components(config["spec"], tuple(X.shape[1:]), settings.seed)

        def report(record: EpochRecord) -> None:
            saved = ray.train.Checkpoint.from_directory(str(out)) if rank == 0 else None
            ray.train.report(dict(record), checkpoint=saved)
            if rank == 0:
                config["queue"].put(dict(record))
            _maybe_fail(config["fault"], rank, record["epoch"])

        trainer = Trainer(
            network,
            loss,
            miner,
            settings.model_copy(
                update={
                    "device": device,
                    "checkpoint_dir": out,
                    "resume": resume,
                    "progress": settings.progress and rank == 0,
                }
            ),
            callbacks=[report],
            world=(rank, size),
        )
        with cpu_budget(config["cpus"]):
            history = trainer.fit(X, y, X_val, y_val)
        final = None
        if rank == 0:
            state = {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}
            save_checkpoint(out / FINAL, {"model": state, "history": history})
            final = ray.train.Checkpoint.from_directory(str(out))
        ray.train.report({"done": 1}, checkpoint=final)


def _maybe_fail(fault: str | None, rank: int, epoch: int) -> None:
    """The :data:`FAULT_ENV` test hook: rank 1 exits without cleanup after the given epoch, once."""
    if not fault or rank != 1:
        return
    after, _, marker = fault.partition(":")
    if epoch == int(after) and not os.path.exists(marker):
        Path(marker).touch()
        logger.warning("%s: rank 1 exits after epoch %d", FAULT_ENV, epoch)
        os._exit(1)


def fit_workers(
    spec: dict[str, Any],
    settings: TrainerSettings,
    run: WorkerRun,
    data: Sequence[Any],
    callbacks: Sequence[Callable[[EpochRecord], None]] = (),
) -> tuple[dict[str, torch.Tensor], list[EpochRecord]]:
    """Train on ``run.workers`` Ray Train workers; return rank 0's final weights and the history.

    Parameters
    ----------
    spec
        The resolved components (:meth:`~embedlab.learn.MetricLearner.resolved`).
    settings
        The trainer's settings; ``seed`` also seeds the network's initial weights.
    run
        Workers, resources, restarts and cluster address (checked by :func:`check_request`).
    data
        ``X, y, X_val, y_val`` as tensors or arrays (``X_val, y_val`` may be ``None``).
    callbacks
        Called in this process with each epoch's record, as rank 0 reports it.

    Raises
    ------
    ConfigError
        If the cluster cannot be reached or lacks the workers' resources.
    TrainingError
        If the workers fail more than ``max_failures`` times (or the loss becomes NaN).
    """
    import ray
    import ray.train
    from ray.train.torch import TorchConfig, TorchTrainer
    from ray.util.queue import Queue

    _join_cluster(run)
    records: Queue = Queue(actor_options={"num_cpus": 0})
    refs = [None if part is None else ray.put(part) for part in data]
    gpu = run.resources.gpu > 0
    config = {
        "spec": spec,
        "settings": settings.model_dump(mode="json"),
        "data": refs,
        "gpu": gpu,
        "cpus": max(1, math.floor(run.resources.cpu)),
        "resume": _resume_file(settings),
        "queue": records,
        "fault": os.environ.get(FAULT_ENV),
    }
    with _storage(settings) as storage:
        trainer = TorchTrainer(
            train_worker,
            train_loop_config=config,
            torch_config=TorchConfig(backend="nccl" if gpu else "gloo"),
            scaling_config=ray.train.ScalingConfig(
                num_workers=run.workers,
                use_gpu=gpu,
                resources_per_worker={"CPU": run.resources.cpu, "GPU": run.resources.gpu},
            ),
            run_config=ray.train.RunConfig(
                name=RUN_NAME,
                storage_path=str(storage),
                failure_config=ray.train.FailureConfig(max_failures=run.max_failures),
                # the latest to resume from, and the one before while the latest is written
                checkpoint_config=ray.train.CheckpointConfig(num_to_keep=2),
            ),
        )
        logger.info("training on %d Ray Train workers (storage %s)", run.workers, storage)
        result = _fit_forwarding(trainer, records, callbacks)
        records.shutdown()
        if result.error is not None or result.checkpoint is None:
            raise TrainingError(
                f"training on {run.workers} workers failed ({result.error}); see the worker logs, raise "
                "max_failures to restart from the last checkpoint, or train with workers=1"
            )
        with result.checkpoint.as_directory() as folder:
            final = read_checkpoint(Path(folder) / FINAL, torch.device("cpu"), ("model", "history"))
            if settings.checkpoint_dir is not None:
                with atomic_path(Path(storage) / CHECKPOINT) as tmp:
                    shutil.copy(Path(folder) / CHECKPOINT, tmp)
    return final["model"], list(final["history"])


def _fit_forwarding(trainer: Any, records: Any, callbacks: Sequence[Callable[[EpochRecord], None]]) -> Any:
    """Run ``trainer.fit()`` while calling ``callbacks`` here with each record the workers report.

    The callbacks run in this thread (a Ray Tune trial reports from its own thread), each epoch
    once even when a restarted worker group trains an epoch again.
    """
    seen = 0

    def forward(record: dict[str, Any]) -> None:
        nonlocal seen
        if record["epoch"] > seen:
            seen = record["epoch"]
            for callback in callbacks:
                callback(record)  # type: ignore[arg-type]

    with ThreadPoolExecutor(1, thread_name_prefix="embedlab-train") as pool:
        future = pool.submit(_fit_quietly, trainer)
        while not future.done():
            try:
                forward(records.get(timeout=0.5))
            except queue.Empty:
                continue
        while not records.empty():
            forward(records.get())
        return future.result()


def _fit_quietly(trainer: Any) -> Any:
    """``trainer.fit()``, with a failure returned in the result rather than raised."""
    from ray.train import TrainingFailedError

    try:
        return trainer.fit()
    except TrainingFailedError as exc:
        return _Failed(exc)


@dataclass
class _Failed:
    """The part of a Ray Train result :func:`fit_workers` reads, for a run that failed."""

    error: BaseException
    checkpoint: None = None
