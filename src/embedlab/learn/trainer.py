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
"""

from __future__ import annotations

import copy
import logging
import math
import pickle
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from embedlab.device import cpu_has_native_bf16, resolve_device
from embedlab.errors import CheckpointError, ConfigError, InputError, TrainingError
from embedlab.io import atomic_path
from embedlab.learn._checks import to_long_labels, to_tensor
from embedlab.learn._relus import cheaper_relus
from embedlab.learn.networks import multiply_adds
from embedlab.learn.samplers import make_sampler
from embedlab.threads import torch_threads

__all__ = ["Trainer", "embed", "as_image_tensor"]

logger = logging.getLogger(__name__)

CHECKPOINT = "last.pt"

#: Images per forward/backward slice on the CPU when ``micro_batch`` is left to the trainer.
CPU_MICRO_BATCH = 256

#: What a checkpoint written by :class:`Trainer` holds.
CHECKPOINT_KEYS = ("epoch", "model", "optimizer", "scaler", "history", "best", "best_model")


def as_image_tensor(X: Any, who: str = "X") -> torch.Tensor:
    """Turn ``(N, H, W)``, ``(N, C, H, W)`` or ``(N, F)`` data (array or tensor) into a float32 tensor.

    ``(N, H, W)`` gains a channel axis. Integer images (``uint8``) are scaled by 1/255, as in
    the seed study.

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


_CHECKPOINT_FIX = "delete the file to start from epoch 1, or run without resuming (no --resume, resume=False)"


def _read_checkpoint(path: Path, device: torch.device) -> dict[str, Any]:
    """Load a :class:`Trainer` checkpoint with ``weights_only=True``.

    Raises
    ------
    CheckpointError
        For an empty or truncated file, one that is not a torch checkpoint, one holding
        objects other than tensors and plain containers, or one missing the trainer's keys.
    """
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (an interrupted copy?); {_CHECKPOINT_FIX}")
    try:
        with warnings.catch_warnings():  # torch warns about a pickle protocol before refusing it
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        detail = str(exc).partition("WeightsUnpickler error:")[2].partition("Check the documentation")[0]
        raise CheckpointError(
            f"checkpoint {path} is not one embedlab can load safely: weights_only loading refused it "
            f"({' '.join(detail.split()) or str(exc).splitlines()[0]}); {_CHECKPOINT_FIX}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - on garbage, torch's unpickler raises anything (IndexError...)
        detail = str(exc).split(". ")[0] if isinstance(exc, RuntimeError | OSError) else type(exc).__name__
        raise CheckpointError(
            f"checkpoint {path} is truncated or not a torch checkpoint ({detail}); {_CHECKPOINT_FIX}"
        ) from None
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise CheckpointError(
            f"checkpoint {path} lacks {', '.join(missing)}: it was not written by embedlab's trainer; "
            f"{_CHECKPOINT_FIX}"
        )
    return state


def _check_model_state(path: Path, model: nn.Module, saved: Any) -> None:
    """Check that ``saved`` has exactly ``model``'s parameter names and shapes.

    Raises
    ------
    CheckpointError
        Naming the missing, unexpected or differently shaped entries, before any weight is
        overwritten.
    """
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if not isinstance(saved, dict) or not all(isinstance(v, torch.Tensor) for v in saved.values()):
        raise CheckpointError(f"checkpoint {path} holds no model weights; {_CHECKPOINT_FIX}")
    got = {k: tuple(v.shape) for k, v in saved.items()}
    problems = [
        *(f"missing {k}" for k in expected if k not in got),
        *(f"unexpected {k}" for k in got if k not in expected),
        *(f"{k} is {got[k]}, not {expected[k]}" for k in expected if k in got and got[k] != expected[k]),
    ]
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise CheckpointError(
            f"checkpoint {path} was saved from another network ({shown}); {_CHECKPOINT_FIX}, "
            "or resume with the network it was trained with"
        )


def _check_optimizer_state(path: Path, optimizer: torch.optim.Optimizer, saved: Any) -> None:
    """Check that ``saved`` is the state of this kind of optimizer.

    Settings a newer torch added are allowed to be absent (torch fills them in); settings
    this optimizer does not have mean another optimizer (SGD's ``momentum`` in Adam).

    Raises
    ------
    CheckpointError
        Naming the settings that do not belong.
    """
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise CheckpointError(f"checkpoint {path} holds no optimizer state; {_CHECKPOINT_FIX}")
    known = set(optimizer.param_groups[0])
    foreign = sorted({key for group in groups for key in group} - known)
    if foreign:
        raise CheckpointError(
            f"checkpoint {path} was saved with another optimizer than {type(optimizer).__name__} "
            f"(it has {', '.join(foreign)}); {_CHECKPOINT_FIX}, or resume with the optimizer it used"
        )


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
        ``loss(embeddings, labels, indices)`` -> scalar tensor.
    miner
        ``miner(embeddings, labels)`` -> index tuple, or ``None`` (the loss uses every tuple).
    epochs, batch_size, lr, weight_decay
        The optimisation.
    optimizer
        ``"adam"`` (the seed's), ``"adamw"`` or ``"sgd"`` (momentum 0.9).
    sampler, m_per_class
        How batches are drawn: ``"random"``, ``"m-per-class"`` (P×K, K = ``m_per_class``) or
        ``"class-balanced"``.
    device
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``.
    amp
        Mixed precision. ``None`` (default): on CUDA (bfloat16 where supported, else float16
        with a grad scaler), off on CPU. ``True``: also on CPU, as bfloat16 autocast, where the
        CPU computes bfloat16 natively (AVX512-BF16 or AMX; about 1.6x faster for the seed CNN),
        else a warning and float32. ``False``: float32 everywhere. Losses and miners always
        work in float32.
    seed
        Seeds every epoch's sampler and global RNGs as ``(seed, epoch)``.
    patience, monitor, min_delta, restore_best
        Early stopping: stop after ``patience`` epochs without an improvement of ``monitor``
        (``"val_precision_at_1"``, ``"val_loss"`` or ``"loss"``) by more than ``min_delta``;
        ``restore_best`` reloads the best epoch's weights at the end. ``patience=None`` never
        stops early.
    checkpoint_dir
        Where ``last.pt`` is written atomically after every epoch (with the optimizer state and
        history). ``None`` writes nothing.
    resume
        ``True`` continues from ``checkpoint_dir/last.pt`` when it exists; a path continues from
        that file.
    progress
        Show a tqdm progress bar.
    warmup_epochs
        Epochs at the start trained without the miner (the loss sees every valid triplet), so
        a hard miner starts from a spread-out embedding instead of collapsing it.
    callbacks
        Called with each epoch's record after it is checkpointed.
    channels_last
        Lay out a network with 2-D convolutions, and its image batches, channels-last (NHWC):
        1.2–1.6x faster for the seed CNN on a CPU. The results are the same up to float
        rounding.
    micro_batch
        Run the forward and backward passes in slices of this many samples, so their
        activations stay in cache; the miner and the loss still see the whole batch. ``None``
        (default): 256 on the CPU (up to 1.5x faster at batch 2048), off on CUDA, and off for
        networks with batch normalisation, whose statistics would then be per slice. ``0``: off.
    """

    def __init__(
        self,
        model: nn.Module,
        loss: Callable[..., torch.Tensor],
        miner: Callable[..., tuple[torch.Tensor, ...]] | None = None,
        *,
        epochs: int = 5,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        optimizer: Literal["adam", "adamw", "sgd"] = "adam",
        sampler: str = "random",
        m_per_class: int = 4,
        device: str | torch.device = "auto",
        amp: bool | None = None,
        seed: int = 0,
        patience: int | None = None,
        monitor: str = "val_precision_at_1",
        min_delta: float = 0.0,
        restore_best: bool = True,
        checkpoint_dir: str | Path | None = None,
        resume: bool | str | Path = False,
        progress: bool = True,
        warmup_epochs: int = 0,
        eval_batch_size: int = 1024,
        callbacks: Sequence[Callable[[dict[str, Any]], None]] = (),
        channels_last: bool = True,
        micro_batch: int | None = None,
    ) -> None:
        if epochs < 1 or batch_size < 1 or lr <= 0:
            raise ConfigError(
                f"epochs ({epochs}) and batch_size ({batch_size}) must be >= 1 and lr ({lr}) > 0"
            )
        if monitor not in {"val_precision_at_1", "val_loss", "loss"}:
            raise ConfigError(f"monitor {monitor!r}: choose 'val_precision_at_1', 'val_loss' or 'loss'")
        if optimizer not in {"adam", "adamw", "sgd"}:
            raise ConfigError(f"optimizer {optimizer!r}: choose 'adam', 'adamw' or 'sgd'")
        if micro_batch is not None and micro_batch < 0:
            raise ConfigError(f"micro_batch must be >= 0 (0 turns it off) or None, got {micro_batch}")
        if patience is not None and patience < 1:
            raise ConfigError(f"patience must be >= 1 or None, got {patience}")
        if resume and checkpoint_dir is None and not isinstance(resume, str | Path):
            raise ConfigError("resume=True needs checkpoint_dir (or pass the checkpoint path as resume=)")
        self.device = resolve_device(device)
        self.channels_last = channels_last and any(isinstance(m, nn.Conv2d) for m in model.modules())
        self.model = model.to(self.device, memory_format=torch.channels_last if self.channels_last else None)
        if micro_batch is None:
            micro_batch = 0 if self.device.type != "cpu" or _has_batch_statistics(model) else CPU_MICRO_BATCH
        self.micro_batch = micro_batch
        self.loss = loss
        self.miner = miner
        self.epochs = epochs
        self.batch_size = batch_size
        self.sampler = sampler
        self.m_per_class = m_per_class
        self.seed = seed
        self.patience = patience
        self.monitor = monitor
        self.min_delta = min_delta
        self.restore_best = restore_best
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.resume = resume
        self.progress = progress
        self.eval_batch_size = eval_batch_size
        self.warmup_epochs = warmup_epochs
        self.callbacks = list(callbacks)
        params = [p for p in self.model.parameters() if p.requires_grad]
        # One fused kernel per step instead of a dozen passes over the weights (10x on a CPU).
        fused = self.device.type in ("cpu", "cuda")
        if optimizer == "sgd":
            self.optimizer: torch.optim.Optimizer = torch.optim.SGD(
                params, lr=lr, momentum=0.9, weight_decay=weight_decay, fused=fused
            )
        else:
            cls = torch.optim.Adam if optimizer == "adam" else torch.optim.AdamW
            self.optimizer = cls(params, lr=lr, weight_decay=weight_decay, fused=fused)
        if self.device.type == "cuda":
            self.use_amp = amp is not False
            bf16 = self.use_amp and torch.cuda.is_bf16_supported()
        else:
            self.use_amp = bool(amp) and cpu_has_native_bf16()
            bf16 = self.use_amp
            if amp and not self.use_amp:
                logger.warning("amp=True: this CPU has no native bfloat16; training in float32")
        self.amp_dtype = torch.bfloat16 if bf16 else torch.float16
        self.scaler = torch.amp.GradScaler(
            "cuda", enabled=self.device.type == "cuda" and self.use_amp and not bf16
        )
        self.history: list[dict[str, Any]] = []

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
        return self.checkpoint_dir / CHECKPOINT if self.checkpoint_dir is not None else None

    def _save(self, epoch: int, best: dict[str, Any]) -> None:
        path = self._checkpoint_path()
        if path is None:
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
        with atomic_path(path) as tmp:
            torch.save(state, tmp)

    def _load(self, best: dict[str, Any]) -> int:
        if isinstance(self.resume, str | Path):
            path: Path | None = Path(self.resume)
            if not path.is_file():
                raise ConfigError(f"resume: no checkpoint at {path}")
        else:
            path = self._checkpoint_path()
            if path is None or not path.is_file():
                logger.info("no checkpoint to resume from; starting at epoch 1")
                return 0
        state = _read_checkpoint(path, self.device)
        _check_model_state(path, self.model, state["model"])
        _check_optimizer_state(path, self.optimizer, state["optimizer"])
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            self.scaler.load_state_dict(state["scaler"])
        except (ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise CheckpointError(
                f"checkpoint {path} holds the state of another optimizer ({exc}); {_CHECKPOINT_FIX}"
            ) from None
        self.model.load_state_dict(state["model"])
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
        rows = min(self.batch_size, self.micro_batch) if self.micro_batch else self.batch_size
        return 3 * multiply_adds(self.model, X[:1].to(self.device)) * rows

    def _step(self, xb: torch.Tensor, yb: torch.Tensor, miner: Any) -> tuple[torch.Tensor, int]:
        with self._autocast():
            if 0 < self.micro_batch < len(xb):
                embeddings = torch.cat([self.model(part) for part in xb.split(self.micro_batch)])
            else:
                embeddings = self.model(xb)
        embeddings = embeddings.float()
        indices = _call(miner, embeddings, yb) if miner is not None else None
        loss = _call(self.loss, embeddings, yb, indices)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.detach(), len(indices[0]) if indices is not None else -1

    def _val_loss(self, X: torch.Tensor, y: torch.Tensor) -> float:
        torch.manual_seed(self.seed)  # the random miner must draw the same validation triplets
        total, batches = 0.0, 0
        self.model.eval()
        with torch.no_grad():
            for start in range(0, len(X), self.batch_size):
                xb = X[start : start + self.batch_size].to(self.device)
                yb = y[start : start + self.batch_size].to(self.device)
                with self._autocast():
                    embeddings = self.model(xb)
                embeddings = embeddings.float()
                indices = _call(self.miner, embeddings, yb) if self.miner is not None else None
                total += float(_call(self.loss, embeddings, yb, indices))
                batches += 1
        self.model.train()
        return total / max(batches, 1)

    def fit(self, X: Any, y: Any, X_val: Any | None = None, y_val: Any | None = None) -> list[dict[str, Any]]:
        """Train; return the history, one record per epoch.

        Each record has ``epoch``, ``loss`` (mean training loss), ``triplets`` (mean mined per
        batch, -1 without a miner), ``seconds``, and with validation data ``val_loss`` and
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
        from tqdm.auto import tqdm

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
        monitor = self.monitor if (has_val or self.monitor == "loss") else "loss"
        maximize = monitor == "val_precision_at_1"

        X_dev, y_dev = self._place(X_all), y_all.to(self.device)
        sampler = make_sampler(self.sampler, y_all, self.batch_size, m=self.m_per_class)
        best: dict[str, Any] = {"value": None, "epoch": 0, "wait": 0, "state": None}
        start_epoch = self._load(best) if self.resume else 0
        if start_epoch >= self.epochs:
            logger.info("checkpoint already holds %d epochs; nothing to train", start_epoch)
        self.model.train()
        work = self._step_work(X_dev)
        bar = tqdm(
            total=(self.epochs - start_epoch) * len(sampler),
            disable=not self.progress,
            desc="training",
            unit="batch",
            leave=False,
        )
        # Collapsing embeddings make denormal floats, which are ~100x slower on CPU.
        flushed = torch.set_flush_denormal(True)
        try:
            with cheaper_relus(self.model), torch_threads(work):
                for epoch in range(start_epoch + 1, self.epochs + 1):
                    if self._run_epoch(
                        epoch, sampler, X_dev, y_dev, bar, best, monitor, maximize, (Xv, yv) if has_val else None
                    ):
                        break
        finally:
            bar.close()
            if flushed:
                torch.set_flush_denormal(False)
        if self.restore_best and best["state"] is not None and self.patience is not None:
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
        seed = self.seed * 1_000_003 + epoch
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        began = time.perf_counter()
        total = torch.zeros((), device=self.device)
        triplets = 0
        steps = 0
        miner = self.miner if epoch > self.warmup_epochs else None
        for index in sampler.epoch(generator):
            idx = index.to(X_dev.device, non_blocking=True)
            xb = X_dev[idx].to(self.device, non_blocking=True)
            yb = y_dev[idx.to(self.device)]
            loss, mined = self._step(xb, yb, miner)
            steps += 1
            if not math.isfinite(float(loss)):
                where = f" (last good checkpoint: {self._checkpoint_path()})" if self.checkpoint_dir else ""
                raise TrainingError(
                    f"the loss became {float(loss)} at epoch {epoch}, batch {steps}{where}; "
                    "lower the learning rate or check the inputs for extreme values"
                )
            total += loss
            triplets += mined
            bar.update(1)
        record: dict[str, Any] = {
            "epoch": epoch,
            "loss": float(total) / max(steps, 1),
            "triplets": triplets / max(steps, 1) if miner is not None else -1,
        }
        if val is not None:
            Xv, yv = val
            record["val_loss"] = self._val_loss(Xv, yv)
            record["val_precision_at_1"] = _precision_at_1(
                embed(self.model, Xv, self.device, self.eval_batch_size),
                yv.to(self.device),
                embed(self.model, X_dev, self.device, self.eval_batch_size),
                y_dev,
            )
        record["seconds"] = time.perf_counter() - began
        self.history.append(record)
        bar.set_postfix({k: round(v, 4) for k, v in record.items() if k in ("loss", "val_precision_at_1")})
        logger.info("epoch %d: %s", epoch, record)

        value = record[monitor]
        improved = best["value"] is None or (
            value > best["value"] + self.min_delta if maximize else value < best["value"] - self.min_delta
        )
        if improved:
            best.update(value=value, epoch=epoch, wait=0)
            if self.patience is not None:
                best["state"] = copy.deepcopy(
                    {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
                )
        else:
            best["wait"] += 1
        self._save(epoch, best)
        for callback in self.callbacks:
            callback(record)
        if self.patience is not None and best["wait"] >= self.patience:
            logger.info(
                "early stop after epoch %d: %s did not improve for %d epochs", epoch, monitor, self.patience
            )
            return True
        return False
