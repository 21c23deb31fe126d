"""Classifier baselines (the tuning exercise's MLP and a linear probe) and a small trainer for them.

The networks are plain ``torch.nn.Sequential`` stacks, the PyTorch form of the exercise's Keras
``Sequential([Flatten(), Dense(units, relu), Dense(10)])``. The trainer keeps the whole
dataset on the device as tensors and slices batches from it, so an epoch on a small
dataset costs a few milliseconds. Torch is imported only inside functions, so the params
models here stay cheap to import for the plugin registry.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import numpy as np
from pydantic import Field, model_validator

from embedlab.data.augment import AugmentSettings
from embedlab.data.rebalance import oversample_indices
from embedlab.errors import CheckpointError, ConfigError, InputError, TrainingError
from embedlab.learn.history import EpochRecord
from embedlab.learn.params import (
    MAX_BATCH,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_EPOCHS,
    MAX_FEATURES,
    MAX_WIDTH,
)
from embedlab.params import Params, validate_section

if TYPE_CHECKING:
    import torch

__all__ = [
    "CLASSIFIER_CHECKPOINT_KEYS",
    "REBALANCE_STRATEGIES",
    "ClassifierTrainSettings",
    "LinearProbeParams",
    "MLPClassifierParams",
    "Rebalance",
    "SmallCNNClassifierParams",
    "count_parameters",
    "linear_probe",
    "mlp_classifier",
    "predict_proba",
    "rebalance_plan",
    "train_classifier",
]

logger = logging.getLogger(__name__)

EpochCallback = Callable[[EpochRecord], Any]

#: What a checkpoint written by :func:`train_classifier` holds (``generator``: the batch order's RNG).
CLASSIFIER_CHECKPOINT_KEYS = ("epoch", "model", "optimizer", "generator", "history")


class MLPClassifierParams(Params):
    """Parameters of ``mlp-classifier``: Flatten, Dense(units, relu), Dense(num_classes)."""

    units: int = Field(
        512,
        ge=1,
        le=MAX_WIDTH,
        description="Width of the hidden layer (the tuning exercise searched 16..512).",
    )
    num_classes: int = Field(10, ge=2, le=MAX_CLASSES, description="Number of output logits.")
    in_features: int | None = Field(
        None,
        ge=1,
        le=MAX_FEATURES,
        description="Inputs per example after flattening; None: inferred from the first batch.",
    )


class LinearProbeParams(Params):
    """Parameters of ``linear-probe``: Flatten, Dense(num_classes)."""

    num_classes: int = Field(10, ge=2, le=MAX_CLASSES, description="Number of output logits.")
    in_features: int | None = Field(
        None,
        ge=1,
        le=MAX_FEATURES,
        description="Inputs per example after flattening; None: inferred from the first batch.",
    )


class SmallCNNClassifierParams(Params):
    """Parameters of ``small-cnn-classifier``: conv blocks, global average pooling, a dense head."""

    num_classes: int = Field(10, ge=2, le=MAX_CLASSES, description="Number of output logits.")
    in_channels: int | None = Field(
        None,
        ge=1,
        le=MAX_CHANNELS,
        description="Channels of the input images (1 for digits, 3 for DermaMNIST); None: inferred from the first batch.",
    )
    channels: tuple[Annotated[int, Field(ge=1, le=MAX_CHANNELS)], ...] = Field(
        (32, 64),
        min_length=1,
        max_length=8,
        description="Output channels of each block: 3x3 convolution, batch norm, ReLU, 2x2 max-pool.",
    )
    units: int = Field(128, ge=1, le=MAX_WIDTH, description="Width of the dense head's hidden layer.")
    dropout: float = Field(0.2, ge=0, lt=1, description="Dropout before the output layer.")


#: How a classification run corrects class imbalance (``train.rebalance``).
Rebalance = Literal["none", "class-weights", "oversample", "oversample-augment"]

#: The values of :data:`Rebalance`, in order.
REBALANCE_STRATEGIES: tuple[Rebalance, ...] = get_args(Rebalance)


class ClassifierTrainSettings(Params):
    """The ``train:`` block of a classification experiment.

    ``rebalance`` picks the correction for class imbalance: ``class-weights`` weights the loss
    (by ``class_weights``, ``balanced`` when not given), ``oversample`` copies minority-class
    samples every epoch until each class is as large as the largest, and ``oversample-augment``
    also augments each copy afresh (``augment``: small rotations and shifts, flips optional,
    batched on the device). Left out, it is ``class-weights`` when ``class_weights`` is given
    and ``none`` otherwise.
    """

    lr: float = Field(1e-3, gt=0, description="Adam's learning rate.")
    batch_size: int = Field(32, ge=1, le=MAX_BATCH, description="Examples per step (Keras' default is 32).")
    epochs: int = Field(10, ge=1, le=MAX_EPOCHS, description="Passes over the training split.")
    weight_decay: float = Field(0.0, ge=0, description="Adam's L2 weight decay.")
    class_weights: Literal["balanced"] | list[float] | None = Field(
        None, description="Loss weight per class; 'balanced' weights by inverse class frequency."
    )
    rebalance: Rebalance | None = Field(
        None,
        description="'none', 'class-weights', 'oversample' or 'oversample-augment'; "
        "None: 'class-weights' when class_weights is given, else 'none'.",
    )
    augment: AugmentSettings = Field(
        default_factory=AugmentSettings, description="The augmentation of rebalance: oversample-augment."
    )
    device: str = Field("auto", description="'auto' (CUDA when present), 'cpu' or 'cuda[:N]'.")

    @model_validator(mode="after")
    def _one_correction(self) -> ClassifierTrainSettings:
        rebalance_plan(self.rebalance, self.class_weights, ValueError)
        return self

    @property
    def strategy(self) -> Rebalance:
        """The rebalancing in effect, with ``rebalance`` left out resolved."""
        return self.rebalance or ("none" if self.class_weights is None else "class-weights")

    def with_strategy(self, strategy: Rebalance) -> ClassifierTrainSettings:
        """These settings with ``rebalance`` set to ``strategy`` (``class_weights`` kept only for ``class-weights``)."""
        weights = self.class_weights if strategy == "class-weights" else None
        return self.model_copy(update={"rebalance": strategy, "class_weights": weights})


def rebalance_plan(
    rebalance: Rebalance | None,
    class_weights: Literal["balanced"] | Sequence[float] | None,
    error: type[Exception] = ConfigError,
) -> tuple[Literal["balanced"] | Sequence[float] | None, bool, bool]:
    """What a rebalancing strategy does: ``(loss class weights, oversample, augment the copies)``.

    ``rebalance=None`` means ``class-weights`` when ``class_weights`` is given, else ``none``.

    Raises
    ------
    ConfigError
        (or ``error``) When ``class_weights`` is given with a strategy other than ``class-weights``.
    """
    if rebalance is None:
        rebalance = "none" if class_weights is None else "class-weights"
    if rebalance not in REBALANCE_STRATEGIES:
        raise error(f"rebalance {rebalance!r} is unknown; use one of {', '.join(REBALANCE_STRATEGIES)}")
    if class_weights is not None and rebalance != "class-weights":
        raise error(
            f"class_weights is given but rebalance is {rebalance!r}; class weights apply only with "
            "rebalance: class-weights, so remove class_weights or set rebalance: class-weights"
        )
    if rebalance == "class-weights":
        return class_weights or "balanced", False, False
    return None, rebalance.startswith("oversample"), rebalance == "oversample-augment"


def _first_linear(in_features: int | None, out_features: int) -> torch.nn.Module:
    import torch

    if in_features is None:
        return torch.nn.LazyLinear(out_features)
    return torch.nn.Linear(in_features, out_features)


def mlp_classifier(
    units: int = 512, num_classes: int = 10, in_features: int | None = None
) -> torch.nn.Module:
    """Build the tuning exercise's MLP: ``Flatten -> Linear(units) -> ReLU -> Linear(num_classes)``.

    Parameters
    ----------
    units
        Width of the hidden layer.
    num_classes
        Number of output logits.
    in_features
        Inputs per example after flattening (64 for digits, 784 for Fashion-MNIST);
        ``None`` infers it from the first batch.
    """
    import torch

    return torch.nn.Sequential(
        torch.nn.Flatten(),
        _first_linear(in_features, units),
        torch.nn.ReLU(),
        torch.nn.Linear(units, num_classes),
    )


def linear_probe(num_classes: int = 10, in_features: int | None = None) -> torch.nn.Module:
    """Build a linear classifier: ``Flatten -> Linear(num_classes)``.

    Parameters
    ----------
    num_classes
        Number of output logits.
    in_features
        Inputs per example after flattening; ``None`` infers it from the first batch.
    """
    import torch

    return torch.nn.Sequential(torch.nn.Flatten(), _first_linear(in_features, num_classes))


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable parameters (the tuning exercise's best MLP on 28x28 inputs had 279,850)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def predict_proba(model: torch.nn.Module, X: Any, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities ``(N, C)`` of ``model``'s logits, computed in batches on its device.

    Parameters
    ----------
    model
        Maps a batch of inputs to logits; it is put in eval mode.
    X
        Inputs ``(N, ...)``, numpy or torch.
    batch_size
        Inputs per forward pass (bounds the memory a convolutional network needs).
    """
    import torch

    device = next(model.parameters()).device
    inputs = torch.as_tensor(np.asarray(X, dtype=np.float32))
    model.eval()
    parts = []
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            logits = model(inputs[start : start + batch_size].to(device))
            parts.append(torch.softmax(logits, dim=1).cpu().numpy())
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def _class_weights(
    spec: Literal["balanced"] | Sequence[float] | None, y: np.ndarray, num_classes: int
) -> np.ndarray | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        counts = np.bincount(y, minlength=num_classes).astype(np.float64)
        counts[counts == 0] = 1.0
        return len(y) / (num_classes * counts)  # scikit-learn's "balanced"
    weights = np.asarray(spec, dtype=np.float64)
    if weights.shape != (num_classes,) or np.any(weights < 0):
        raise InputError(
            f"class_weights has {weights.size} values but there are {num_classes} classes; "
            "give one non-negative weight per class or 'balanced'"
        )
    return weights


def _as_arrays(X: Any, y: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    X_arr = np.asarray(X, dtype=np.float32)
    y_arr = np.asarray(y)
    if y_arr.ndim != 1 or len(X_arr) != len(y_arr):
        raise InputError(
            f"{name}: X has {len(X_arr)} rows and y shape {y_arr.shape}; y must be 1-D, one label per row"
        )
    if not np.issubdtype(y_arr.dtype, np.integer):
        raise InputError(f"{name}: labels must be integers, got dtype {y_arr.dtype}")
    if not np.isfinite(X_arr).all():
        raise InputError(f"{name}: X holds NaN or infinite values; clean or impute them first")
    return X_arr, y_arr.astype(np.int64)


def _evaluate(
    model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn: torch.nn.Module, batch_size: int
) -> tuple[float, float]:
    import torch

    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(y), max(batch_size, 1024)):
            logits = model(X[start : start + max(batch_size, 1024)])
            target = y[start : start + len(logits)]
            total_loss += float(loss_fn(logits, target)) * len(target)
            correct += int((logits.argmax(dim=1) == target).sum())
    return total_loss / len(y), correct / len(y)


def _train_epoch(
    model: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    loss_fn: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    order: torch.Tensor,
    batch_size: int,
    augment: _CopyAugmentation | None = None,
) -> tuple[float, float]:
    """One pass over the samples ``order`` indexes; returns the mean loss and the accuracy.

    With ``augment``, the items of ``order`` it marks as oversampled copies are augmented.
    """
    import torch

    from embedlab.data.augment import augment_batch

    model.train()
    loss_sum = torch.zeros((), device=X.device)
    correct = torch.zeros((), device=X.device, dtype=torch.long)
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        inputs, target = X[index], y[index]
        if augment is not None:
            copies = augment.is_copy[start : start + batch_size]
            inputs[copies] = augment_batch(inputs[copies], augment.generator, augment.settings)
        logits = model(inputs)
        loss = loss_fn(logits, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(index)
        correct += (logits.detach().argmax(dim=1) == target).sum()
    return float(loss_sum) / len(order), float(correct) / len(order)


@dataclass(frozen=True)
class _CopyAugmentation:
    """Which items of an epoch's order are oversampled copies, and how to augment them."""

    is_copy: torch.Tensor
    generator: torch.Generator
    settings: AugmentSettings


def _epoch_order(
    num: int, copies: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random order of the ``num`` samples and the oversampled ``copies`` (sample indices), and
    which of its items are copies.

    Without copies it is ``randperm(num)``, the order of a run without oversampling.
    """
    import torch

    positions = torch.randperm(num + len(copies), generator=generator)
    order = torch.cat([torch.arange(num), copies])[positions]
    return order, positions >= num


def _check_finite(row: EpochRecord, epoch: int, lr: float) -> None:
    """Raise :class:`TrainingError` when a loss of the epoch is NaN or infinite.

    A NaN in any step makes the epoch's sum NaN, so one check per epoch catches every step
    without a host synchronisation per step.
    """
    for name, value in (("train_loss", row.get("train_loss")), ("val_loss", row.get("val_loss"))):
        if value is not None and not math.isfinite(value):
            raise TrainingError(
                f"the classifier's {name} became {value} in epoch {epoch}: training diverged; "
                f"lower the learning rate (lr={lr}) or check the inputs for extreme values"
            )


def train_classifier(
    model: torch.nn.Module,
    X_train: Any,
    y_train: Any,
    X_val: Any = None,
    y_val: Any = None,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    class_weights: Literal["balanced"] | Sequence[float] | None = None,
    rebalance: Rebalance | None = None,
    augment: AugmentSettings | None = None,
    device: str | torch.device = "auto",
    seed: int = 0,
    callback: EpochCallback | None = None,
    progress: bool = False,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
) -> list[EpochRecord]:
    """Train a classifier with Adam and cross-entropy on in-memory data held on the device.

    Torch runs on the number of threads :func:`embedlab.threads.num_threads` picks for one
    step's multiply-adds (one thread for the tuning exercise's small MLP).

    Parameters
    ----------
    model
        Maps a batch of inputs to logits, one column per class.
    X_train, y_train
        Training inputs ``(N, ...)`` and integer labels ``(N,)``.
    X_val, y_val
        Optional validation split, scored after every epoch.
    epochs, batch_size, lr, weight_decay
        The optimisation settings, within the bounds of :class:`ClassifierTrainSettings`.
    class_weights
        ``None``, ``"balanced"`` or one weight per class, for the loss.
    rebalance
        ``"none"``, ``"class-weights"`` (``class_weights``, ``"balanced"`` when not given),
        ``"oversample"`` (every epoch, minority-class samples are copied until each class is as
        large as the largest) or ``"oversample-augment"`` (the copies are also augmented afresh,
        see :func:`~embedlab.data.augment.augment_batch`); ``None``: ``"class-weights"`` when
        ``class_weights`` is given, else ``"none"``.
    augment
        The augmentation of ``"oversample-augment"``; its defaults when None.
    device
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda[:N]"`` or a ``torch.device``.
    seed
        Seeds the batch order and any lazily built layer; seed the model's construction
        yourself (``torch.manual_seed``) for repeatable initial weights.
    callback
        Called after each epoch with that epoch's metrics; raising from it stops training
        (a tuner's early stopping does this).
    progress
        Show a tqdm bar over epochs.
    checkpoint_dir
        Where ``last.pt`` (weights, optimizer, batch-order RNG, history) is written atomically
        after every epoch; ``None`` writes nothing.
    resume
        Continue from ``checkpoint_dir/last.pt`` when it exists, to the same weights as an
        uninterrupted run with the same seed; ``callback`` sees only the epochs trained now.

    Returns
    -------
    list of EpochRecord
        One :class:`~embedlab.learn.history.EpochRecord` per epoch: ``epoch``, ``train_loss``,
        ``train_accuracy``, and ``val_loss`` / ``val_accuracy`` when a validation split is
        given, plus ``epoch_time_s``.

    Raises
    ------
    ConfigError
        For settings outside :class:`ClassifierTrainSettings`' bounds, ``resume`` without
        ``checkpoint_dir``, or ``class_weights`` with a ``rebalance`` other than ``"class-weights"``.
    CheckpointError
        When resuming from a checkpoint that is empty, truncated, not this trainer's, or from
        another network; the network's weights are left untouched.
    InputError
        For mismatched lengths, non-integer labels, NaN inputs, labels outside the
        model's classes, or ``"oversample-augment"`` on input that is not images.
    TrainingError
        When the training or validation loss becomes NaN or infinite (before ``callback``
        sees the epoch, so a tuner records a failed trial, not a score).
    """
    import torch

    from embedlab.device import resolve_device
    from embedlab.learn.checkpoints import CHECKPOINT, save_checkpoint
    from embedlab.learn.networks import multiply_adds
    from embedlab.progress import progress_bar
    from embedlab.threads import torch_threads

    settings = dict(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay)
    validate_section(ClassifierTrainSettings, settings, "train_classifier")
    if resume and checkpoint_dir is None:
        raise ConfigError("train_classifier: resume=True needs checkpoint_dir; pass both or neither")
    Xtr, ytr = _as_arrays(X_train, y_train, "training data")
    if len(ytr) == 0:
        raise InputError("training data is empty")
    has_val = X_val is not None and y_val is not None
    dev = resolve_device(device)
    torch.manual_seed(seed)
    model = model.to(dev)
    X_t = torch.as_tensor(Xtr, device=dev)
    y_t = torch.as_tensor(ytr, device=dev)
    model.eval()  # a one-sample probe must not touch batch-norm statistics (nor fail on a 1x1 map)
    with torch.no_grad():  # materialise lazy layers before the optimiser sees the parameters
        num_classes = int(model(X_t[:1]).shape[1])
    if ytr.min() < 0 or ytr.max() >= num_classes:
        raise InputError(f"labels run {ytr.min()}..{ytr.max()} but the model has {num_classes} outputs")
    if has_val:
        Xv, yv = _as_arrays(X_val, y_val, "validation data")
        Xv_t, yv_t = torch.as_tensor(Xv, device=dev), torch.as_tensor(yv, device=dev)
    loss_weights, oversampling, augmenting = rebalance_plan(rebalance, class_weights)
    if augmenting and X_t.ndim not in (3, 4):
        raise InputError(
            f"rebalance: oversample-augment needs images (N, C, H, W) or (N, H, W); the training data "
            f"has shape {tuple(X_t.shape)}: load the dataset as images (flatten: false) or use rebalance: oversample"
        )
    weights = _class_weights(loss_weights, ytr, num_classes)
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=None if weights is None else torch.as_tensor(weights, dtype=torch.float32, device=dev)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    copies = torch.as_tensor(
        oversample_indices(ytr, seed=seed) if oversampling else np.zeros(0, dtype=np.int64)
    )
    if oversampling:
        logger.info("oversampling: %d copies of minority-class samples per epoch", len(copies))
    step_work = 3 * multiply_adds(model, X_t[:1]) * min(batch_size, len(ytr))  # forward and backward
    path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT
    history: list[EpochRecord] = []
    if resume:
        history = _resume(path, model, optimizer, generator, dev)
    with torch_threads(step_work):
        for epoch in progress_bar(progress, iterable=range(len(history) + 1, epochs + 1), desc="epochs"):
            start = time.perf_counter()
            order, is_copy = _epoch_order(len(ytr), copies, generator)
            augmentation = (
                _CopyAugmentation(is_copy.to(dev), generator, augment or AugmentSettings())
                if augmenting
                else None
            )
            train_loss, train_accuracy = _train_epoch(
                model, X_t, y_t, loss_fn, optimizer, order.to(dev), batch_size, augmentation
            )
            row: EpochRecord = {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy}
            if has_val:
                row["val_loss"], row["val_accuracy"] = _evaluate(model, Xv_t, yv_t, loss_fn, batch_size)
            row["epoch_time_s"] = time.perf_counter() - start
            _check_finite(row, epoch, lr)
            history.append(row)
            logger.debug("epoch %d: %s", epoch, row)
            if path is not None:
                state = {"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict()}
                save_checkpoint(path, {**state, "generator": generator.get_state(), "history": history})
            if callback is not None:
                callback(EpochRecord(**row))
    return history


def _resume(
    path: Path | None,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    device: torch.device,
) -> list[EpochRecord]:
    """Load ``path`` into the model, optimizer and batch-order RNG; return the history it holds.

    Returns an empty history when there is no checkpoint yet.

    Raises
    ------
    CheckpointError
        For a file that cannot be loaded safely, or one from another network or optimizer.
    """
    if path is None or not path.is_file():
        logger.info("no checkpoint to resume from; starting at epoch 1")
        return []
    from embedlab.learn.checkpoints import (
        CHECKPOINT_FIX,
        check_model_state,
        check_optimizer_state,
        read_checkpoint,
    )

    state = read_checkpoint(path, device, CLASSIFIER_CHECKPOINT_KEYS)
    check_model_state(path, model, state["model"])
    check_optimizer_state(path, optimizer, state["optimizer"])
    try:
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"].cpu())
    except (ValueError, KeyError, TypeError, RuntimeError, AttributeError) as exc:
        raise CheckpointError(
            f"checkpoint {path} holds another optimizer or RNG state ({exc}); {CHECKPOINT_FIX}"
        ) from None
    model.load_state_dict(state["model"])
    logger.info("resumed from %s after epoch %d", path, state["epoch"])
    return list(state["history"])
