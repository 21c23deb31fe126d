"""Params models of every metric-learning component (light: pydantic only, no torch).

The plugin module imports these to register components without importing torch; the
components themselves validate their keyword arguments through the same models, so
``TripletLoss(margin=-1)`` and ``embedlab.create("loss", "triplet", margin=-1)`` fail alike.

Every size has an upper bound, far above any real use, so that a typo such as
``embedding_dim: 1e23`` is a :class:`~embedlab.errors.ConfigError` naming the field instead
of an attempt to allocate the memory: widths and embedding sizes up to :data:`MAX_WIDTH`,
batches up to :data:`MAX_BATCH`, epochs up to :data:`MAX_EPOCHS`. Margins are distances
between embeddings, at most :data:`MAX_MARGIN`; a larger one keeps every triplet active and
only scales the loss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from embedlab.params import Params

__all__ = [
    "MAX_BATCH",
    "MAX_CHANNELS",
    "MAX_CLASSES",
    "MAX_EPOCHS",
    "MAX_FEATURES",
    "MAX_LAYERS",
    "MAX_MARGIN",
    "MAX_TRIPLETS_PER_ANCHOR",
    "MAX_WIDTH",
    "DistanceName",
    "TripletLossParams",
    "ContrastiveLossParams",
    "MultiSimilarityLossParams",
    "SupConLossParams",
    "RandomMinerParams",
    "BatchAllMinerParams",
    "BatchHardMinerParams",
    "SemihardMinerParams",
    "DistanceWeightedMinerParams",
    "SeedCNNParams",
    "MLPParams",
    "TorchvisionParams",
    "Monitor",
    "SamplerName",
    "RUN_SETTINGS",
    "TrainingSettings",
    "TrainerSettings",
    "MetricLearnerSettings",
    "WorkerResources",
]

#: Largest embedding size, layer width or hidden units.
MAX_WIDTH = 65_536
#: Largest number of hidden layers of the ``mlp`` backend.
MAX_LAYERS = 64
#: Largest number of input channels.
MAX_CHANNELS = 4_096
#: Largest number of classes of a classifier.
MAX_CLASSES = 1_000_000
#: Largest number of input features after flattening (a 4096 x 4096 RGB image).
MAX_FEATURES = 3 * 4_096 * 4_096
#: Largest batch (a miner compares every pair of a batch: 65,536² distances are 17 GB).
MAX_BATCH = 65_536
#: Largest number of epochs (and of epochs of patience or warm-up).
MAX_EPOCHS = 100_000
#: Largest margin. Distances between L2-normalised embeddings are at most 2 (4 squared).
MAX_MARGIN = 100.0
#: Largest number of random triplets per anchor.
MAX_TRIPLETS_PER_ANCHOR = 1_024

#: The distances losses and miners accept by name (see :mod:`embedlab.learn.distances`).
DistanceName = Literal["euclidean", "squared-euclidean", "cosine"]

_DISTANCE = "Distance between embeddings: 'euclidean', 'squared-euclidean' or 'cosine' (1 - cos)."


class TripletLossParams(Params):
    """Parameters of the ``triplet`` loss, ``max(d(a,p) − d(a,n) + margin, 0)``.

    The defaults are the triplet exercise's: margin 0.4, squared Euclidean distance, mean over triplets.
    """

    margin: float = Field(
        0.4, ge=0, le=MAX_MARGIN, description="Margin α between positive and negative distances."
    )
    distance: DistanceName = Field("squared-euclidean", description=_DISTANCE)
    reduction: Literal["mean", "mean-nonzero", "sum"] = Field(
        "mean",
        description="'mean' over all triplets (the triplet exercise's), 'mean-nonzero' over triplets with a "
        "positive loss (PyTorch Metric Learning's default), or 'sum'.",
    )
    soft: bool = Field(
        False,
        description="Use softplus(d(a,p) − d(a,n) + margin) instead of the hinge; with margin=0 this "
        "is the soft margin of Hermans et al. 2017.",
    )


class ContrastiveLossParams(Params):
    """Parameters of the ``contrastive`` loss: ``relu(d⁺ − pos_margin)`` and ``relu(neg_margin − d⁻)``."""

    pos_margin: float = Field(
        0.0, ge=0, le=MAX_MARGIN, description="Positive pairs closer than this cost nothing."
    )
    neg_margin: float = Field(
        1.0, ge=0, le=MAX_MARGIN, description="Negative pairs farther than this cost nothing."
    )
    distance: DistanceName = Field("euclidean", description=_DISTANCE)
    reduction: Literal["mean", "mean-nonzero"] = Field(
        "mean-nonzero",
        description="How positive and negative pair losses are each averaged before they are added.",
    )


class MultiSimilarityLossParams(Params):
    """Parameters of the ``multi-similarity`` loss (Wang et al. 2019), on cosine similarity."""

    alpha: float = Field(2.0, gt=0, le=1_000, description="Exponential weight of positive pairs.")
    beta: float = Field(50.0, gt=0, le=1_000, description="Exponential weight of negative pairs.")
    base: float = Field(
        0.5, ge=-1, le=1, description="Similarity shift λ applied to both kinds of pairs (a cosine)."
    )


class SupConLossParams(Params):
    """Parameters of the ``supcon`` loss (supervised contrastive, Khosla et al. 2020)."""

    temperature: float = Field(
        0.1,
        ge=1e-3,
        le=100,
        description="Softmax temperature applied to cosine similarities (0.001..100: below, the "
        "scaled similarities overflow float16).",
    )


class RandomMinerParams(Params):
    """Parameters of the ``random`` miner: the triplet exercise's random valid triplets."""

    triplets_per_anchor: int = Field(
        1, ge=1, le=MAX_TRIPLETS_PER_ANCHOR, description="Random triplets drawn for each anchor."
    )


class BatchAllMinerParams(Params):
    """Parameters of the ``batch-all`` miner: every valid triplet in the batch."""

    margin: float = Field(
        0.2, ge=0, le=MAX_MARGIN, description="Margin used to decide which triplets have a non-zero loss."
    )
    distance: DistanceName = Field("euclidean", description=_DISTANCE)
    nonzero_only: bool = Field(False, description="Keep only triplets with d(a,p) − d(a,n) + margin > 0.")


class BatchHardMinerParams(Params):
    """Parameters of the ``batch-hard`` miner: per anchor, the farthest positive and closest negative."""

    distance: DistanceName = Field(
        "euclidean",
        description=_DISTANCE + " Non-squared by default, as Hermans et al. 2017 recommend.",
    )


class SemihardMinerParams(Params):
    """Parameters of the ``semihard`` miner: ``d(a,p) < d(a,n) <= d(a,p) + margin``."""

    margin: float = Field(0.2, ge=0, le=MAX_MARGIN, description="Width of the semi-hard band beyond d(a,p).")
    distance: DistanceName = Field("euclidean", description=_DISTANCE)
    mode: Literal["all", "facenet"] = Field(
        "all",
        description="'all': every semi-hard triplet, as PyTorch Metric Learning's "
        "TripletMarginMiner('semihard'); 'facenet': per anchor-positive pair, the closest semi-hard "
        "negative (Schroff et al. 2015).",
    )


class DistanceWeightedMinerParams(Params):
    """Parameters of the ``distance-weighted`` miner (Wu et al. 2017), on L2-normalised embeddings."""

    cutoff: float = Field(0.5, gt=0, lt=2, description="Distances below this are clamped to it.")
    nonzero_loss_cutoff: float = Field(
        1.4, gt=0, le=2, description="Negatives at least this far are never sampled."
    )


class SeedCNNParams(Params):
    """Parameters of the ``seed-cnn`` backend: the triplet exercise's network, input size inferred."""

    embedding_dim: int = Field(
        10, ge=1, le=MAX_WIDTH, description="Size of the embedding (the triplet exercise's is 10)."
    )
    in_channels: int = Field(1, ge=1, le=MAX_CHANNELS, description="Input channels.")
    normalize: bool = Field(False, description="L2-normalise the output embeddings.")


class MLPParams(Params):
    """Parameters of the ``mlp`` backend: flatten, hidden ReLU layers, a linear embedding."""

    hidden: tuple[Annotated[int, Field(ge=1, le=MAX_WIDTH)], ...] = Field(
        (256,), max_length=MAX_LAYERS, description="Width of each hidden layer."
    )
    embedding_dim: int = Field(64, ge=1, le=MAX_WIDTH, description="Size of the embedding.")
    normalize: bool = Field(False, description="L2-normalise the output embeddings.")


class TorchvisionParams(Params):
    """Parameters of the torchvision backbones (``resnet18``, ``mobilenet_v2``), trained from scratch."""

    embedding_dim: int = Field(128, ge=1, le=MAX_WIDTH, description="Size of the embedding.")
    in_channels: int = Field(
        1, ge=1, le=MAX_CHANNELS, description="Input channels; the first convolution is adapted."
    )
    normalize: bool = Field(False, description="L2-normalise the output embeddings.")


#: What early stopping can watch (keys of :class:`~embedlab.learn.history.EpochRecord`).
Monitor = Literal["val_precision_at_1", "val_loss", "train_loss"]
#: How batches are drawn (see :mod:`embedlab.learn.samplers`).
SamplerName = Literal["random", "m-per-class", "class-balanced", "triplets"]


class TrainingSettings(Params):
    """The settings :class:`TrainerSettings` and :class:`MetricLearnerSettings` share, defined once."""

    epochs: int = Field(50, ge=1, le=MAX_EPOCHS, description="Passes over the training split.")
    batch_size: int = Field(
        128, ge=2, le=MAX_BATCH, description="Items per batch (at least 2: a pair to compare)."
    )
    lr: float = Field(1e-3, gt=0, description="Learning rate.")
    weight_decay: float = Field(0.0, ge=0, description="L2 weight decay.")
    optimizer: Literal["adam", "adamw", "sgd"] = Field(
        "adam", description="'adam' (the exercises'), 'adamw' or 'sgd' (momentum 0.9)."
    )
    m_per_class: int = Field(4, ge=1, le=MAX_BATCH, description="Items per class in an M-per-class batch.")
    triplets_per_image: int = Field(
        3,
        ge=1,
        le=MAX_TRIPLETS_PER_ANCHOR,
        description="With sampler 'triplets': random (anchor, positive, negative) triplets drawn per "
        "training item each epoch, batch_size triplets a step (the triplet exercise's 3: 60,000 images "
        "give 1,407 steps of 128).",
    )
    device: str = Field("auto", description="'auto' (CUDA when present), 'cpu' or 'cuda[:N]'.")
    amp: bool | None = Field(
        None,
        description="Mixed precision. None: on for CUDA (bfloat16 where supported, else float16 with a "
        "grad scaler), off on CPU. True: also on CPU as bfloat16 where the CPU computes it natively. "
        "False: float32 everywhere.",
    )
    patience: int | None = Field(
        None, ge=1, le=MAX_EPOCHS, description="Early stopping patience in epochs; None never stops."
    )
    monitor: Monitor = Field("val_precision_at_1", description="What early stopping watches.")
    min_delta: float = Field(0.0, ge=0, description="Smallest change of monitor that counts as an improvement.")
    restore_best: bool = Field(
        True, description="With patience: reload the best epoch's weights at the end."
    )
    progress: bool = Field(True, description="Show a progress bar.")
    eval_batch_size: int = Field(1024, ge=1, le=MAX_BATCH, description="Items per batch when embedding.")
    channels_last: bool = Field(
        True, description="Lay out a convolutional network and its image batches channels-last (NHWC)."
    )
    micro_batch: int | None = Field(
        None,
        ge=0,
        le=MAX_BATCH,
        description="Forward/backward slice size (the loss still sees the whole batch). None: 256 on the "
        "CPU, off on CUDA and for networks with batch normalisation; 0: off.",
    )

    @field_validator("device", mode="before")
    @classmethod
    def _device_name(cls, value: Any) -> Any:
        """Accept a ``torch.device`` as its name."""
        return str(value) if hasattr(value, "type") and hasattr(value, "index") else value


class TrainerSettings(TrainingSettings):
    """Every setting of :class:`~embedlab.learn.trainer.Trainer`: the shared ones and the run's own."""

    sampler: SamplerName = Field("random", description="How batches are drawn.")
    warmup_epochs: int = Field(
        0, ge=0, le=MAX_EPOCHS, description="Epochs at the start trained without the miner."
    )
    seed: int = Field(0, description="Seeds every epoch's sampler and global RNGs as (seed, epoch).")
    checkpoint_dir: Path | None = Field(
        None, description="Where last.pt is written atomically after every epoch; None writes nothing."
    )
    resume: bool | Path = Field(
        False,
        description="True: continue from checkpoint_dir/last.pt when it exists; a path: from that file.",
    )

    @model_validator(mode="after")
    def _resume_needs_a_checkpoint(self) -> TrainerSettings:
        if self.resume is True and self.checkpoint_dir is None:
            raise ValueError("resume=True needs checkpoint_dir (or pass the checkpoint path as resume=)")
        return self


#: The :class:`TrainerSettings` a :class:`~embedlab.learn.MetricLearner` takes as they are
#: (a config gives them outside its ``train:`` block: ``seed`` at the top, the run directory's
#: checkpoints).
RUN_SETTINGS = ("seed", "checkpoint_dir", "resume")


class WorkerResources(Params):
    """What each training worker reserves on the Ray cluster (``train.resources_per_worker``)."""

    cpu: float = Field(1.0, ge=0, description="CPUs per worker; torch runs on as many threads.")
    gpu: float = Field(
        0.0, ge=0, description="GPUs per worker: 1 trains each worker on its own GPU (nccl); 0 on CPU (gloo)."
    )


class MetricLearnerSettings(TrainingSettings):
    """The ``train:`` block of a metric-learning experiment: :class:`~embedlab.learn.MetricLearner`'s settings.

    The shared settings of :class:`TrainingSettings`, with ``sampler`` and ``warmup_epochs``
    also accepting ``"auto"`` (the miner's recipe), and ``recipe``.
    """

    sampler: SamplerName | Literal["auto"] = Field(
        "auto", description="Batch sampler; 'auto' follows the miner's recipe."
    )
    warmup_epochs: Annotated[int, Field(ge=0, le=MAX_EPOCHS)] | Literal["auto"] = Field(
        "auto", description="Epochs trained without the miner; 'auto' follows the miner's recipe."
    )
    recipe: bool = Field(True, description="Apply the miner's recipe where choices are left open.")
    workers: int = Field(
        1,
        ge=1,
        le=MAX_BATCH,
        description="Data-parallel workers on Ray Train, each taking batch_size / workers of every "
        "global batch; the updates are those of one process on the global batch. 1: train in this "
        "process, without Ray.",
    )
    resources_per_worker: WorkerResources | None = Field(
        None, description="With workers > 1: what each worker reserves; None: one CPU and no GPU."
    )
    max_failures: int = Field(
        0,
        ge=0,
        description="With workers > 1: restarts of the workers from the last checkpoint after a failure.",
    )
    address: str | None = Field(
        None,
        description="With workers > 1: the Ray cluster to join ('host:port', 'ray://host:port', 'auto' "
        "or 'local'), as tune.address; None: RAY_ADDRESS, else a local runtime.",
    )

    @field_validator("address")
    @classmethod
    def _address_form(cls, address: str | None) -> str | None:
        if address is not None:
            from embedlab.tuning.settings import split_address

            split_address(address)
        return address
