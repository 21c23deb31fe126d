"""The training loop: device-resident batches, AMP, validation, early stopping, checkpoints.

When the training set fits on the device it is moved there once as a tensor, and each batch
is gathered there by an index tensor from a :mod:`~embedlab.learn.samplers` sampler: no
per-sample Python, no ``DataLoader``. Every epoch draws from RNGs seeded with
``(seed, epoch)``, so a run is reproducible and a resumed run continues exactly where an
uninterrupted one would be.

Torch runs on the number of threads :func:`embedlab.threads.num_threads` picks for one
step's multiply-adds: one thread for small networks and batches, where more threads gain
nothing on an idle machine and lose several times over on a busy one.

Three choices make a step faster without changing what is learned. Convolutional
networks and their image batches are laid out channels-last (NHWC), which oneDNN and cuDNN
compute faster. On the CPU the forward and backward passes run in micro-batches whose
activations stay in cache, while the miner and the loss still see the whole batch, so the
gradient is the whole batch's. During ``fit``, ReLUs run after the max-pool and flatten layers
that follow them (the same values and gradients), and in place after a layer whose backward
does not need its output.

**Across workers.** Given ``world=(rank, size)`` (a ``torch.distributed`` process group
already joined), the same loop trains data-parallel with global-batch semantics: every worker
draws the same global batch from the same seeded sampler, embeds its part
(:func:`~embedlab.learn.distributed.local_part`), gathers the whole batch with gradient, mines
and scores it, and averages the gradients (:mod:`embedlab.learn.distributed`), so each step is
the single-process step. Validation runs on rank 0 and its values are broadcast, so every
worker records the same history and takes the same early-stopping decision; only rank 0 writes
checkpoints.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn

from embedlab.device import cpu_has_native_bf16, resolve_device
from embedlab.errors import CheckpointError, ConfigError, InputError, TrainingError
from embedlab.learn import distributed
from embedlab.learn._checks import to_long_labels, to_tensor
from embedlab.learn._relus import cheaper_relus
from embedlab.learn.adapters import as_loss, as_miner
from embedlab.learn.checkpoints import (
    CHECKPOINT,
    CHECKPOINT_FIX,
    check_model_state,
    check_optimizer_state,
    checkpoint_to_resume,
    read_checkpoint,
    save_checkpoint,
)
from embedlab.learn.history import EpochRecord
from embedlab.learn.networks import multiply_adds
from embedlab.learn.params import TrainerSettings
from embedlab.learn.samplers import TripletSampler, make_sampler
from embedlab.params import validate_section
from embedlab.threads import torch_threads

__all__ = ["Trainer", "embed", "as_image_tensor"]

logger = logging.getLogger(__name__)

#: Images per forward/backward slice on the CPU when ``micro_batch`` is left to the trainer.
CPU_MICRO_BATCH = 256

#: What a checkpoint written by :class:`Trainer` holds.
CHECKPOINT_KEYS = ("epoch", "model", "optimizer", "scaler", "history", "best", "best_model")


def as_image_tensor(X: Any, who: str = "X") -> torch.Tensor:
    """Turn ``(N, H, W)``, ``(N, C, H, W)`` or ``(N, F)`` data (array or tensor) into a float32 tensor.

    ``(N, H, W)`` gains a channel axis. Integer images (``uint8``) are scaled by 1/255, as in
    the triplet exercise.

    Raises
    ------
    InputError
        For another number of dimensions, an empty array, non-numeric or non-finite values.
    """
    tensor = to_tensor(X, who)
    if tensor.ndim not in (2, 3, 4):
        raise InputError(
            f"{who} must have shape (N, H, W), (N, C, H, W) or (N, features); got {tuple(tensor.shape)}"
        )
    if len(tensor) == 0:
        raise InputError(f"{who} is empty")
    if not tensor.is_floating_point():
        tensor = tensor.float() / 255.0 if tensor.dtype == torch.uint8 else tensor.float()
    tensor = tensor.float()
    if tensor.ndim == 3:
        tensor = tensor.unsqueeze(1)
    if not bool(torch.isfinite(tensor).all()):
        raise InputError(f"{who} contains NaN or infinite values; clean or impute them first")
    return tensor


def embed(model: nn.Module, X: torch.Tensor, device: torch.device, batch_size: int = 1024) -> torch.Tensor:
    """Embed ``X`` in eval mode, in batches, without gradients; returns a float32 tensor on ``device``.

    Torch runs on the threads the thread policy picks for one batch's multiply-adds.
    """
    if len(X) == 0:
        return torch.empty(0, device=device)
    work = multiply_adds(model, X[:1].to(device)) * min(len(X), batch_size)
    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad(), torch_threads(work):
        for start in range(0, len(X), batch_size):
            out.append(model(X[start : start + batch_size].to(device, non_blocking=True)).float())
    model.train(was_training)
    return torch.cat(out)


def _precision_at_1(
    query: torch.Tensor, query_labels: torch.Tensor, ref: torch.Tensor, ref_labels: torch.Tensor
) -> float:
    from embedlab.metrics.retrieval import retrieval

    result = retrieval(query, query_labels, ref, ref_labels, ks=(1,), device=str(query.device))
    return float(result["precision_at_1"])


def _has_batch_statistics(model: nn.Module) -> bool:
    """Whether a module normalises with batch statistics, which depend on how a batch is split."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _call(component: Any, *args: Any) -> Any:
    """Call an embedlab loss or miner without its per-batch checks; any other callable as is."""
    compute = getattr(component, "compute", None)
    return compute(*args) if callable(compute) else component(*args)


class Trainer:
    """Train an embedding network with a loss and an optional miner.

    Parameters
    ----------
    model
        A ``torch.nn.Module`` mapping a batch of inputs to ``(B, d)`` embeddings (lazy layers
        already materialised).
    loss
        ``loss(embeddings, labels, indices)`` -> scalar tensor; a PyTorch Metric Learning loss
        object is adapted (:func:`~embedlab.learn.adapters.as_loss`).
    miner
        ``miner(embeddings, labels)`` -> index tuple, or ``None`` (the loss uses every tuple);
        a PyTorch Metric Learning miner object is adapted (:func:`~embedlab.learn.adapters.as_miner`).
    settings
        A :class:`~embedlab.learn.params.TrainerSettings`: the optimisation, sampler, device,
        mixed precision, seed, early stopping (``patience`` epochs without an improvement of
        ``monitor`` by more than ``min_delta``), checkpoints (``checkpoint_dir``, ``resume``),
        warm-up, channels-last layout and micro-batches. Each field's description says what it
        does; ``None`` uses the defaults.
    callbacks
        Called with each epoch's record after it is checkpointed.
    world
        ``(rank, world_size)`` of this worker in a joined ``torch.distributed`` process group:
        train data-parallel on the global batch (see the module docstring); ``None`` (or a
        world of one) trains in this process alone.
    **overrides
        Settings given as keywords (``Trainer(model, loss, epochs=5)``), validated with
        ``settings`` by the same model.

    Notes
    -----
    ``micro_batch=None`` resolves to 256 on the CPU (slices that stay in cache; sized by
    ``benchmarks/train_throughput.py``, figures in the docs' performance page), off on
    CUDA, and off for networks with batch normalisation, whose statistics would then be per
    slice. ``amp=True`` on a CPU without native bfloat16 warns and trains in float32.

    Raises
    ------
    ConfigError
        For a setting outside :class:`~embedlab.learn.params.TrainerSettings`' bounds, naming it,
        or a loss or miner object that is none (a class, the other kind, not callable).
    """

    def __init__(
        self,
        model: nn.Module,
        loss: Callable[..., torch.Tensor],
        miner: Callable[..., tuple[torch.Tensor, ...]] | None = None,
        settings: TrainerSettings | None = None,
        *,
        callbacks: Sequence[Callable[[EpochRecord], None]] = (),
        world: tuple[int, int] | None = None,
        **overrides: Any,
    ) -> None:
        given = settings.model_dump(exclude_unset=True) if settings is not None else {}
        self.settings = s = validate_section(TrainerSettings, {**given, **overrides}, "Trainer")
        self.device = resolve_device(s.device)
        self.channels_last = s.channels_last and any(isinstance(m, nn.Conv2d) for m in model.modules())
        self.model = model.to(self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        micro_batch = s.micro_batch
        if micro_batch is None:
            micro_batch = 0 if self.device.type != "cpu" or _has_batch_statistics(model) else CPU_MICRO_BATCH
        self.micro_batch = micro_batch
        self.loss = as_loss(loss)
        self.miner = None if miner is None else as_miner(miner)
        to_device = getattr(self.loss, "to", None)
        if distributed.loss_parameters(self.loss) and callable(to_device):
            to_device(self.device)  # a loss's own weights train on the network's device
        self.callbacks = list(callbacks)
        self.world = world if world is not None and world[1] > 1 else None
        if s.sampler == "triplets" and (miner is not None or self.world is not None):
            raise ConfigError(
                "sampler 'triplets' draws its own random triplets, so it takes no miner and trains in "
                "one process; remove the miner (and workers), or choose another sampler"
            )
        # a loss with parameters of its own (a proxy loss's proxies) is trained with the network
        params = [
            *(p for p in self.model.parameters() if p.requires_grad),
            *distributed.loss_parameters(loss),
        ]
        # One fused kernel per step instead of a dozen passes over the weights (10x on a CPU).
        fused = self.device.type in ("cpu", "cuda")
        if s.optimizer == "sgd":
            self.optimizer: torch.optim.Optimizer = torch.optim.SGD(
                params, lr=s.lr, momentum=0.9, weight_decay=s.weight_decay, fused=fused
            )
        else:
            cls = torch.optim.Adam if s.optimizer == "adam" else torch.optim.AdamW
            self.optimizer = cls(params, lr=s.lr, weight_decay=s.weight_decay, fused=fused)
        if self.device.type == "cuda":
            self.use_amp = s.amp is not False
            bf16 = self.use_amp and torch.cuda.is_bf16_supported()
        else:
            self.use_amp = bool(s.amp) and cpu_has_native_bf16()
            bf16 = self.use_amp
            if s.amp and not self.use_amp:
                logger.warning("amp=True: this CPU has no native bfloat16; training in float32")
        self.amp_dtype = torch.bfloat16 if bf16 else torch.float16
        self.scaler = torch.amp.GradScaler(
            "cuda", enabled=self.device.type == "cuda" and self.use_amp and not bf16
        )
        self.history: list[EpochRecord] = []

    # -- data ----------------------------------------------------------------------------
    def _layout(self, X: torch.Tensor) -> torch.Tensor:
        """Images in the network's memory layout (channels-last for a convolutional network)."""
        return X.contiguous(memory_format=torch.channels_last) if self.channels_last and X.ndim == 4 else X

    def _place(self, X: torch.Tensor) -> torch.Tensor:
        """Move the data to the device when it fits; otherwise keep it in host memory."""
        X = self._layout(X)
        if self.device.type == "cpu":
            return X
        try:
            return X.to(self.device)
        except torch.OutOfMemoryError:
            logger.warning("data does not fit on %s; batches are gathered on the host", self.device)
            return X.pin_memory()

    def _autocast(self) -> Any:
        return torch.autocast(self.device.type, dtype=self.amp_dtype) if self.use_amp else nullcontext()

    # -- checkpoints ---------------------------------------------------------------------
    def _checkpoint_path(self) -> Path | None:
        directory = self.settings.checkpoint_dir
        return directory / CHECKPOINT if directory is not None else None

    def _save(self, epoch: int, best: dict[str, Any]) -> None:
        path = self._checkpoint_path()
        if path is None or (self.world is not None and self.world[0] != 0):
            return
        state = {
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "history": self.history,
            "best": {k: v for k, v in best.items() if k != "state"},
            "best_model": best["state"],
        }
        own = distributed.loss_parameters(self.loss)
        if own:
            state["loss_parameters"] = [p.detach() for p in own]
        save_checkpoint(path, state)

    def _load(self, best: dict[str, Any]) -> int:
        path = checkpoint_to_resume(self.settings.checkpoint_dir, self.settings.resume)
        if path is None:
            logger.info("no checkpoint to resume from; starting at epoch 1")
            return 0
        state = read_checkpoint(path, self.device, CHECKPOINT_KEYS)
        check_model_state(path, self.model, state["model"])
        check_optimizer_state(path, self.optimizer, state["optimizer"])
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            self.scaler.load_state_dict(state["scaler"])
        except (ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise CheckpointError(
                f"checkpoint {path} holds the state of another optimizer ({exc}); {CHECKPOINT_FIX}"
            ) from None
        self.model.load_state_dict(state["model"])
        with torch.no_grad():
            saved_own = state.get("loss_parameters", [])
            for p, saved in zip(distributed.loss_parameters(self.loss), saved_own, strict=False):
                p.copy_(saved)
        self.history = list(state["history"])
        best.update(state["best"])
        best["state"] = state["best_model"]
        logger.info("resumed from %s after epoch %d", path, state["epoch"])
        return int(state["epoch"])

    # -- the loop ------------------------------------------------------------------------
    def _step_work(self, X: torch.Tensor) -> int:
        """Multiply-adds of one training step's forward and backward pass (about 3 forwards).

        A micro-batch is the unit the operations see, so it sizes the work when it is on.
        """
        batch_size = self.settings.batch_size
        rows = min(batch_size, self.micro_batch) if self.micro_batch else batch_size
        return 3 * multiply_adds(self.model, X[:1].to(self.device)) * rows

    def _step(
        self, xb: torch.Tensor, yb: torch.Tensor, miner: Any
    ) -> tuple[torch.Tensor, int, tuple[torch.Tensor, int] | None]:
        """One optimiser step: the loss, the tuples mined (-1 without a miner), and the zero-loss count.

        The count, ``(satisfied, scored)`` triplets, comes from a loss that can tell
        (:attr:`~embedlab.learn.losses.TripletLoss.zero_loss_stats`, recorded by the loss call); ``None`` from any other.
        """
        with self._autocast():
            if 0 < self.micro_batch < len(xb):
                embeddings = torch.cat([self.model(part) for part in torch.split(xb, self.micro_batch)])
            else:
                embeddings = self.model(xb)
        embeddings = embeddings.float()
        if self.world is not None:
            embeddings, yb = distributed.gather_batch(embeddings, yb)
        indices = _call(miner, embeddings, yb) if miner is not None else None
        loss = _call(self.loss, embeddings, yb, indices)
        zero = getattr(self.loss, "zero_loss_stats", None)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.world is not None:
            distributed.average_gradients(
                [p for group in self.optimizer.param_groups for p in group["params"]]
            )
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.detach(), len(indices[0]) if indices is not None else -1, zero

    def _val_loss(self, X: torch.Tensor, y: torch.Tensor) -> float:
        """The loss on the validation split, in batches drawn as training draws them.

        With the ``triplets`` sampler that is random triplets of the validation split (the same
        ones every epoch), as the triplet exercise validated; otherwise the split in order.
        """
        s = self.settings
        torch.manual_seed(s.seed)  # the random miner must draw the same validation triplets
        total, batches = 0.0, 0
        miner: Any = self.miner
        order: Iterator[torch.Tensor]
        if s.sampler == "triplets":
            sampler = TripletSampler(y, s.batch_size, s.triplets_per_image)
            order, miner = sampler.epoch(torch.Generator().manual_seed(s.seed)), sampler.triplets
        else:
            order = (torch.arange(i, min(i + s.batch_size, len(X))) for i in range(0, len(X), s.batch_size))
        self.model.eval()
        with torch.no_grad():
            for index in order:
                xb = X[index].to(self.device)
                yb = y[index].to(self.device)
                with self._autocast():
                    embeddings = self.model(xb)
                embeddings = embeddings.float()
                indices = _call(miner, embeddings, yb) if miner is not None else None
                total += float(_call(self.loss, embeddings, yb, indices))
                batches += 1
        self.model.train()
        return total / max(batches, 1)

    def _validate(
        self, val: tuple[torch.Tensor, torch.Tensor], X_dev: torch.Tensor, y_dev: torch.Tensor
    ) -> tuple[float, float]:
        """``val_loss`` and ``val_precision_at_1``: computed on rank 0, the same on every worker."""
        Xv, yv = val
        values = torch.zeros(2, dtype=torch.float64, device=self.device)
        if self.world is None or self.world[0] == 0:
            values[0] = self._val_loss(Xv, yv)
            values[1] = _precision_at_1(
                embed(self.model, Xv, self.device, self.settings.eval_batch_size),
                yv.to(self.device),
                embed(self.model, X_dev, self.device, self.settings.eval_batch_size),
                y_dev,
            )
        if self.world is not None:
            distributed.broadcast_parameters([values])
        return float(values[0]), float(values[1])

    def fit(self, X: Any, y: Any, X_val: Any | None = None, y_val: Any | None = None) -> list[EpochRecord]:
        """Train; return the history, one :class:`~embedlab.learn.history.EpochRecord` per epoch.

        Each record has ``epoch``, ``train_loss``, ``triplets`` (mean mined per batch, -1
        without a miner), ``steps``, ``zero_loss_share`` (with a loss that counts them, such as
        ``triplet``), ``epoch_time_s``, and with validation data ``val_loss`` and
        ``val_precision_at_1`` (validation queries against the training embeddings).

        Raises
        ------
        InputError
            For malformed data.
        TrainingError
            When the loss becomes NaN or infinite; ``last.pt`` still holds the last good epoch.
        CheckpointError
            When resuming from a checkpoint that is empty, truncated, not the trainer's, or
            from another network or optimizer; the network's weights are left untouched.
        """
        from embedlab.progress import progress_bar

        X_all = as_image_tensor(X, "X")
        y_all = to_long_labels(y, torch.device("cpu"), "y")
        if len(X_all) != len(y_all):
            raise InputError(f"X has {len(X_all)} rows but y has {len(y_all)} labels; they must match")
        has_val = X_val is not None
        if has_val:
            if y_val is None:
                raise InputError("X_val was given without y_val")
            Xv = self._layout(as_image_tensor(X_val, "X_val"))
            yv = to_long_labels(y_val, torch.device("cpu"), "y_val")
            if len(Xv) != len(yv):
                raise InputError(f"X_val has {len(Xv)} rows but y_val has {len(yv)} labels")
        s = self.settings
        monitor = s.monitor if (has_val or s.monitor == "train_loss") else "train_loss"
        maximize = monitor == "val_precision_at_1"

        X_dev, y_dev = self._place(X_all), y_all.to(self.device)
        sampler = make_sampler(
            s.sampler, y_all, s.batch_size, m=s.m_per_class, per_anchor=s.triplets_per_image
        )
        best: dict[str, Any] = {"value": None, "epoch": 0, "wait": 0, "state": None}
        start_epoch = self._load(best) if s.resume else 0
        if start_epoch >= s.epochs:
            logger.info("checkpoint already holds %d epochs; nothing to train", start_epoch)
        self.model.train()
        if self.world is not None:  # every worker starts from rank 0's weights
            distributed.broadcast_parameters(
                [*self.model.state_dict().values(), *distributed.loss_parameters(self.loss)]
            )
        work = self._step_work(X_dev)
        bar = progress_bar(
            s.progress and (self.world is None or self.world[0] == 0),
            total=(s.epochs - start_epoch) * len(sampler),
            desc="training",
            unit="batch",
            leave=False,
        )
        # Collapsing embeddings make denormal floats, which are ~100x slower on CPU.
        flushed = torch.set_flush_denormal(True)
        try:
            with cheaper_relus(self.model), torch_threads(work):
                for epoch in range(start_epoch + 1, s.epochs + 1):
                    if self._run_epoch(
                        epoch, sampler, X_dev, y_dev, bar, best, monitor, maximize, (Xv, yv) if has_val else None
                    ):
                        break
        finally:
            bar.close()
            if flushed:
                torch.set_flush_denormal(False)
        if s.restore_best and best["state"] is not None and s.patience is not None:
            self.model.load_state_dict(best["state"])
        return self.history

    def _run_epoch(
        self,
        epoch: int,
        sampler: Any,
        X_dev: torch.Tensor,
        y_dev: torch.Tensor,
        bar: Any,
        best: dict[str, Any],
        monitor: str,
        maximize: bool,
        val: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> bool:
        """Train one epoch, validate, checkpoint; return True to stop early."""
        s = self.settings
        seed = s.seed * 1_000_003 + epoch
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        began = time.perf_counter()
        total = torch.zeros((), device=self.device)
        triplets = 0
        steps = 0
        zeros = torch.zeros((), dtype=torch.long, device=self.device)
        scored = 0
        miner = self.miner if epoch > s.warmup_epochs else None
        if isinstance(sampler, TripletSampler):  # its batches are triplets already
            miner = sampler.triplets
        for index in sampler.epoch(generator):
            if self.world is not None:
                index = distributed.local_part(index, *self.world)
            idx = index.to(X_dev.device, non_blocking=True)
            xb = X_dev[idx].to(self.device, non_blocking=True)
            yb = y_dev[idx.to(self.device)]
            loss, mined, zero = self._step(xb, yb, miner)
            steps += 1
            if not math.isfinite(float(loss)):
                where = f" (last good checkpoint: {self._checkpoint_path()})" if s.checkpoint_dir else ""
                raise TrainingError(
                    f"the loss became {float(loss)} at epoch {epoch}, batch {steps}{where}; "
                    "lower the learning rate or check the inputs for extreme values"
                )
            total += loss
            triplets += mined
            if zero is not None:
                zeros += zero[0]
                scored += zero[1]
            bar.update(1)
        record: EpochRecord = {
            "epoch": epoch,
            "train_loss": float(total) / max(steps, 1),
            "triplets": triplets / max(steps, 1) if miner is not None else -1,
            "steps": steps,
        }
        if scored:
            record["zero_loss_share"] = int(zeros) / scored
        if val is not None:
            record["val_loss"], record["val_precision_at_1"] = self._validate(val, X_dev, y_dev)
        record["epoch_time_s"] = time.perf_counter() - began
        self.history.append(record)
        shown = ("train_loss", "val_precision_at_1")
        bar.set_postfix({k: round(v, 4) for k, v in record.items() if k in shown and isinstance(v, float)})
        logger.info("epoch %d: %s", epoch, record)

        value = record[monitor]  # type: ignore[literal-required]
        improved = best["value"] is None or (
            value > best["value"] + s.min_delta if maximize else value < best["value"] - s.min_delta
        )
        if improved:
            best.update(value=value, epoch=epoch, wait=0)
            if s.patience is not None:
                best["state"] = copy.deepcopy(
                    {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
                )
        else:
            best["wait"] += 1
        self._save(epoch, best)
        for callback in self.callbacks:
            callback(record)
        if s.patience is not None and best["wait"] >= s.patience:
            logger.info(
                "early stop after epoch %d: %s did not improve for %d epochs", epoch, monitor, s.patience
            )
            return True
        return False
