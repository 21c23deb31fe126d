"""The ``tune:`` block of an experiment config, validated (pydantic only, no Ray)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from embedlab.errors import ConfigError
from embedlab.params import Params

__all__ = ["RayTunerParams", "Resources", "TuneSettings", "address_form", "split_address"]


def split_address(address: str) -> tuple[str, int] | None:
    """The ``(host, port)`` of a Ray address, or ``None`` for ``auto`` and ``local``.

    Accepts ``host:port`` (a GCS address), ``ray://host:port`` (a Ray Client server) and
    ``[ipv6]:port``.

    Raises
    ------
    ConfigError
        Naming the address when it is none of these.
    """
    if address in {"auto", "local"}:
        return None
    hint = "give host:port of the head node's GCS (e.g. 10.0.0.5:6379), ray://host:port, auto or local"
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or "/" in host:
        raise ConfigError(f"Ray address {address!r} is not host:port; {hint}")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"Ray address {address!r} has port {port!r}, not a number in 1..65535; {hint}")
    return host, int(port)


def address_form(address: str | None) -> str | None:
    """Validator of a settings model's Ray ``address`` field: ``None``, or one :func:`split_address` accepts.

    Raises
    ------
    ConfigError
        Naming the address when it is malformed.
    """
    if address is not None:
        split_address(address)
    return address


class Resources(Params):
    """What one trial reserves. Fractional GPUs are bookkeeping: trials share a device."""

    cpu: float = Field(1.0, ge=0, description="CPUs per trial.")
    gpu: float = Field(0.0, ge=0, description="GPUs per trial; 0.5 packs two trials onto one GPU.")

    @model_validator(mode="after")
    def _whole_or_fraction(self) -> Resources:
        if self.gpu > 1 and self.gpu != int(self.gpu):
            raise ValueError(
                f"resources.gpu {self.gpu}: above 1 a trial must ask for whole GPUs (2, not {self.gpu})"
            )
        return self


class TuneSettings(Params):
    """Settings of a hyperparameter search: the ``tune:`` block of an experiment config.

    Every field may also be given as an override to :func:`embedlab.tune`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(
        "val_accuracy",
        description="The metric to optimise: one the task reports each epoch (checked before any trial).",
    )
    mode: Literal["min", "max"] = Field("max", description="Whether a larger or smaller metric is better.")
    scheduler: Literal["asha", "hyperband", "fifo"] = Field(
        "asha", description="Early stopping: asynchronous successive halving, HyperBand, or none (fifo)."
    )
    searcher: Literal["random", "grid", "optuna"] = Field(
        "random", description="How configurations are proposed: random draws, the full grid, or Optuna's TPE."
    )
    num_samples: int | None = Field(
        None,
        ge=1,
        description="Trials to run; with searcher grid, how many times the whole grid runs. "
        "Default: 10, or 1 for grid.",
    )
    max_epochs: int | None = Field(
        None, ge=1, description="Most epochs a trial may train. Default: train.epochs, else 10."
    )
    grace_period: int = Field(1, ge=1, description="Epochs every trial trains before it may be stopped.")
    reduction_factor: float = Field(3.0, gt=1, description="ASHA / HyperBand keep 1 trial in this many.")
    resources: Resources = Field(default_factory=Resources, description="Resources reserved per trial.")
    max_concurrent: int | None = Field(None, ge=1, description="Most trials running at once; None: no limit.")
    storage_path: str | None = Field(
        None, description="Where results are written. Default: runs/<config name>/tune, made absolute."
    )
    name: str = Field("search", min_length=1, description="The experiment folder inside storage_path.")
    max_failures: int = Field(0, ge=0, description="Retries of a failed trial before it counts as failed.")
    resume: bool = Field(False, description="Resume an interrupted search found in storage_path/name.")
    address: str | None = Field(
        None,
        description="Ray cluster to join ('host:port', 'ray://host:port', 'auto' or 'local'); "
        "None: RAY_ADDRESS, else local. An unreachable address fails within seconds.",
    )
    seed: int | None = Field(
        None, ge=0, le=2**32 - 1, description="Seed of the searcher; None: the config's seed."
    )
    baseline: dict[str, Any] = Field(
        default_factory=dict,
        description="Parameter values of the untuned baseline that retrain_best compares against "
        "(dotted paths, e.g. backend.units); parameters left out take the component's default.",
    )
    verbose: int = Field(0, ge=0, le=3, description="Ray Tune's own console output (0: none).")

    @field_validator("name")
    @classmethod
    def _one_folder(cls, name: str) -> str:
        if name in {".", ".."} or any(sep in name for sep in "/\\"):
            raise ValueError(
                f"tune.name {name!r} must be one folder name inside storage_path (no '/', '\\', "
                "'.' or '..'); set storage_path to choose where results go"
            )
        return name

    _address_form = field_validator("address")(address_form)

    def epoch_limit(self) -> int:
        """``max_epochs`` with its default filled in (:func:`embedlab.tune` fills it from ``train.epochs``)."""
        return self.max_epochs or 10

    def trial_count(self) -> int:
        """``num_samples`` with its default filled in."""
        if self.num_samples is not None:
            return self.num_samples
        return 1 if self.searcher == "grid" else 10


class RayTunerParams(Params):
    """Parameters of the ``ray`` tuner (the search itself is set in the ``tune:`` block)."""

    num_cpus: int | None = Field(
        None, ge=1, description="CPUs of a local runtime the tuner starts; None: all. Unused on a cluster."
    )
    num_gpus: int | None = Field(
        None, ge=0, description="GPUs of a local runtime the tuner starts; None: all. Unused on a cluster."
    )
    progress: bool = Field(False, description="Show a tqdm bar over trials.")
