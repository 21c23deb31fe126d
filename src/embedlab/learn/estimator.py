"""``MetricLearner``: a scikit-learn-style estimator that trains an embedding network."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, validate_data

from embedlab.config import Component
from embedlab.device import resolve_device
from embedlab.errors import ConfigError, InputError
from embedlab.learn._checks import to_long_labels
from embedlab.learn.adapters import as_loss, as_miner
from embedlab.learn.history import EpochRecord
from embedlab.learn.networks import materialize
from embedlab.learn.params import (
    RUN_SETTINGS,
    MetricLearnerSettings,
    TrainerSettings,
    TrainingSettings,
    WorkerResources,
)
from embedlab.learn.trainer import Trainer, as_image_tensor, embed
from embedlab.params import did_you_mean, validate_section
from embedlab.registry import create, get

__all__ = ["MetricLearner", "build_components"]

logger = logging.getLogger(__name__)

#: A component: a registered name, a ``{"name", "params"}`` spec, ``None``, or (loss and miner
#: only) an object such as a PyTorch Metric Learning loss or miner.
ComponentSpec = str | dict[str, Any] | Callable[..., Any] | None

#: Every setting :class:`MetricLearner` takes besides its components, with its default: the
#: fields of :class:`MetricLearnerSettings` and the run's own fields of :class:`TrainerSettings`.
_SETTINGS: dict[str, Any] = {
    **{
        name: info.get_default(call_default_factory=True)
        for name, info in MetricLearnerSettings.model_fields.items()
    },
    **{name: TrainerSettings.model_fields[name].default for name in RUN_SETTINGS},
}


def build_components(
    spec: dict[str, Any], input_shape: tuple[int, ...], seed: int
) -> tuple[torch.nn.Module, Any, Any]:
    """The network (its weights seeded with ``seed``, materialised for ``input_shape``), the loss
    and the miner (``None`` when the spec has none) of a resolved spec (:meth:`MetricLearner.resolved`).

    Raises
    ------
    ConfigError
        For bad component params, or a backend that is no embedding network.
    """
    torch.manual_seed(seed)
    model = spec["model"]
    params = dict(model["params"])
    fields = get("backend", model["name"]).params.model_fields
    if "in_channels" in fields and "in_channels" not in params and len(input_shape) == 3:
        params["in_channels"] = input_shape[0]
    network = create("backend", model["name"], **params)
    if not isinstance(network, torch.nn.Module):  # a word-vector backend
        raise ConfigError(
            f"backend {model['name']!r} is no embedding network; name one such as 'seed-cnn' or 'mlp'"
        )
    network = materialize(network, input_shape)
    miner = None if spec["miner"] is None else _build("miner", spec["miner"])
    return network, _build("loss", spec["loss"]), miner


def _build(kind: str, part: dict[str, Any]) -> Any:
    """The loss or miner of one part of a resolved spec: the object given, or one created by name."""
    return part["object"] if "object" in part else create(kind, part["name"], **part["params"])


def _is_object(spec: ComponentSpec) -> bool:
    """Whether a loss or miner is given as an object rather than by name or spec."""
    return spec is not None and not isinstance(spec, str | dict)


def _object_part(obj: Any, what: str) -> dict[str, Any]:
    """The resolved spec of a loss or miner object (checked, so a bad one fails before training)."""
    (as_loss if what == "loss" else as_miner)(obj, what)
    return {"name": type(obj).__name__, "object": obj}


def _component(spec: ComponentSpec, what: str) -> tuple[str, dict[str, Any]] | None:
    """A component spec's name and params; ``None`` for none.

    Raises
    ------
    ConfigError
        For a malformed spec, or a search space of names (which only a search resolves).
    """
    if spec is None:
        return None
    component = validate_section(Component, spec, f"{what} (a name or {{'name': ..., 'params': {{...}}}})")
    if not isinstance(component.name, str):
        raise ConfigError(
            f"{what}: {component.name!r} is a search space of names; give one name, or search with embedlab.tune"
        )
    return component.name, dict(component.params)


def _integral_labels(y: Any) -> Any:
    """Float labels holding whole numbers (as scikit-learn passes them) cast to int64; others unchanged."""
    if isinstance(y, np.ndarray) and y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        return y.astype(np.int64)
    return y


def _own_fit_checks(X: Any, y: Any) -> None:
    """embedlab's own checks of ``fit``'s input (their messages name the fix)."""
    Xt = as_image_tensor(X, "X")
    yt = to_long_labels(_integral_labels(y), torch.device("cpu"), "y")
    if len(Xt) != len(yt):
        raise InputError(f"X has {len(Xt)} rows but y has {len(yt)} labels; they must match")


def _both_messages(err: ValueError, own_checks: Callable[[], object]) -> InputError:
    """scikit-learn's rejection as an InputError, led by embedlab's own message where it has one.

    scikit-learn's estimator checks look for their own phrases; embedlab's name the fix.
    """
    theirs = " ".join(str(err).split())  # one line, as embedlab's errors are
    try:
        own_checks()
    except InputError as own:
        return InputError(f"{own} ({theirs})")
    return InputError(f"MetricLearner: {theirs}")


class MetricLearner(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Learn an embedding where items of one class are close: ``fit(X, y)``, then ``transform(X)``.

    Every component is a registered plugin, given by name (``"batch-hard"``) or as
    ``{"name": ..., "params": {...}}``.

    **Recipes.** A miner carries the setup it needs to learn (its ``recipe``), applied where
    you leave the choice open: ``sampler="auto"`` becomes the miner's sampler (M-per-class for
    ``batch-hard``, ``semihard``, ``batch-all`` and ``distance-weighted``; a plain shuffle for
    ``random``), a loss named without params gets the miner's loss params (non-squared
    Euclidean distance and margin 0.2 for the mining miners, after Hermans et al. 2017), and a
    network named without params gets the miner's network params (L2-normalised output for
    ``distance-weighted``). Params you give always win. ``recipe=False`` turns recipes off.

    Parameters
    ----------
    model
        Backend (network) name or spec; ``in_channels`` is taken from ``X`` when the
        network has that parameter and it is not given.
    loss, miner
        Loss and miner names or specs, or objects: a PyTorch Metric Learning loss or miner
        (``losses.TripletMarginLoss(margin=0.2)``, ``miners.BatchHardMiner()``), an
        embedlab one from :func:`embedlab.create`, or any callable that follows
        :class:`~embedlab.protocols.LossProtocol` or :class:`~embedlab.protocols.MinerProtocol`
        (see :mod:`embedlab.learn.adapters`). An object is used as given: no recipe changes
        it, ``clone`` deep-copies it, and a loss's own weights (a proxy loss's) are trained in
        it. ``miner=None`` lets the loss use every valid triplet.
    **settings
        The fields of :class:`~embedlab.learn.params.MetricLearnerSettings` (``epochs=50``,
        ``batch_size=128``, ``lr=1e-3``, ``optimizer="adam"``, ``sampler="auto"``,
        ``warmup_epochs="auto"``, ``patience``, ``monitor``, ``device``, ``amp``, ``recipe``, ...)
        and ``seed``, ``checkpoint_dir`` and ``resume`` of
        :class:`~embedlab.learn.params.TrainerSettings`, each a keyword parameter of its own
        (``get_params``/``set_params`` and ``sklearn.base.clone`` see them). Checked in
        :meth:`fit`, as scikit-learn estimators do.
    """

    def __init__(
        self,
        model: ComponentSpec = "seed-cnn",
        loss: ComponentSpec = "triplet",
        miner: ComponentSpec = "semihard",
        **settings: Any,
    ) -> None:
        unknown = [name for name in settings if name not in _SETTINGS]
        if unknown:
            raise TypeError(
                f"MetricLearner got an unexpected keyword argument {unknown[0]!r}"
                f"{did_you_mean(unknown[0], _SETTINGS)}"
            )
        self.model = model
        self.loss = loss
        self.miner = miner
        for name, default in _SETTINGS.items():
            setattr(self, name, settings.get(name, default))

    @classmethod
    def from_config(cls, config: Any) -> MetricLearner:
        """Build from an :class:`~embedlab.config.ExperimentConfig` (or a path to one).

        ``backend``, ``loss`` and ``miner`` give the components, ``seed`` the seed, and every
        key of ``train`` (``epochs``, ``batch_size``, ``lr``, ``optimizer``, ``sampler``, ...) the
        keyword argument of the same name.
        """
        from embedlab.config import ExperimentConfig, load_config

        if not isinstance(config, ExperimentConfig):
            config = load_config(config)
        if config.backend is None or config.loss is None:
            raise ConfigError("a metric-learning config needs 'backend' and 'loss'")
        settings = validate_section(MetricLearnerSettings, config.train, "train")

        def spec(component: Component | None) -> dict[str, Any] | None:
            return None if component is None else {"name": component.name, "params": dict(component.params)}

        return cls(
            model=spec(config.backend),
            loss=spec(config.loss),
            miner=spec(config.miner),
            seed=config.seed,
            **settings.model_dump(exclude_unset=True),
        )

    def resolved(self) -> dict[str, Any]:
        """The components and sampler :meth:`fit` will use, with the miner's recipe applied.

        Returns
        -------
        dict
            ``model``, ``loss``, ``miner`` as ``{"name", "params"}`` dicts (``miner`` may be
            ``None``; a loss or miner given as an object is ``{"name": its class name,
            "object": it}``) and ``sampler``.

        Raises
        ------
        ConfigError
            For a malformed spec, or a loss or miner object that is none (naming the parameter).
        """
        model = _component(self.model, "model")
        loss = None if _is_object(self.loss) else _component(self.loss, "loss")
        miner = None if _is_object(self.miner) else _component(self.miner, "miner")
        if model is None or (loss is None and not _is_object(self.loss)):
            raise ConfigError("model and loss are required")
        recipe: dict[str, Any] = {}
        if self.recipe and miner is not None:
            recipe = dict(getattr(get("miner", miner[0]).load_factory(), "recipe", {}) or {})
        elif self.recipe and _is_object(self.miner):  # an embedlab miner object's own recipe
            recipe = dict(getattr(self.miner, "recipe", {}) or {})
        sampler = self.sampler
        if sampler == "auto":
            sampler = recipe.get("sampler", "random")
        model_params = model[1]
        if not model_params:
            fields = get("backend", model[0]).params.model_fields
            model_params = {k: v for k, v in recipe.get("backend", {}).items() if k in fields}
        if loss is None:
            loss_part = _object_part(self.loss, "loss")
        else:
            loss_part = {"name": loss[0], "params": loss[1] or dict(recipe.get("loss", {}).get(loss[0], {}))}
        if miner is None:
            miner_part = None if self.miner is None else _object_part(self.miner, "miner")
        else:
            miner_part = {"name": miner[0], "params": miner[1]}
        return {
            "model": {"name": model[0], "params": model_params},
            "loss": loss_part,
            "miner": miner_part,
            "sampler": sampler,
            "warmup_epochs": (
                self.warmup_epochs
                if self.warmup_epochs != "auto"
                else min(int(recipe.get("warmup_epochs", 0)), self.epochs // 4)
            ),
        }

    def _check_settings(self) -> None:
        """Validate the settings against the bounds a config's ``train:`` block has.

        Raises
        ------
        ConfigError
            Naming each setting out of bounds (``epochs``, ``batch_size``, ...).
        """
        validate_section(
            MetricLearnerSettings,
            {name: getattr(self, name) for name in MetricLearnerSettings.model_fields},
            "MetricLearner",
        )

    def _trainer_settings(self, resolved: dict[str, Any]) -> TrainerSettings:
        """The trainer's settings: this learner's, with the recipe's sampler and warm-up filled in."""
        names = [*TrainingSettings.model_fields, *RUN_SETTINGS]
        given = {name: getattr(self, name) for name in names}
        picked = {"sampler": resolved["sampler"], "warmup_epochs": resolved["warmup_epochs"]}
        return validate_section(TrainerSettings, {**given, **picked}, "MetricLearner")

    def fit(
        self,
        X: Any,
        y: Any,
        X_val: Any | None = None,
        y_val: Any | None = None,
        *,
        callbacks: Sequence[Callable[[EpochRecord], None]] = (),
    ) -> MetricLearner:
        """Train on ``X`` (``(N, H, W)``, ``(N, C, H, W)`` or ``(N, F)``) with integer labels ``y``.

        ``X_val, y_val`` give per-epoch validation loss and precision@1 (against the training
        embeddings), and drive early stopping. ``callbacks`` are called with each epoch's
        record once it is checkpointed. Sets ``model_``, ``history_``, ``components_`` and
        ``n_features_in_``.

        Raises
        ------
        ConfigError
            For settings outside the bounds of a config's ``train:`` block, or bad components.
        InputError
            For malformed ``X`` or ``y`` (shape, length, dtype, NaN, sparse, empty), with
            scikit-learn's own message (``InputError`` is a ``ValueError``).
        TrainingError
            When the loss becomes NaN or infinite.
        CheckpointError
            When resuming from a checkpoint that cannot be used.
        """
        self._check_settings()
        if not isinstance(X, torch.Tensor):  # scikit-learn's checks: sparse, complex, NaN, empty, 1-D
            raw_X, raw_y = X, y
            try:
                X, valid_y = validate_data(self, X, y, allow_nd=True, dtype="numeric")
                check_classification_targets(valid_y)
            except ValueError as err:
                raise _both_messages(err, lambda: _own_fit_checks(raw_X, raw_y)) from err
            # a column y (which scikit-learn ravels with a warning) gets embedlab's error below
            y = raw_y if getattr(raw_y, "ndim", 1) != 1 else valid_y
        _own_fit_checks(X, y)
        Xt = as_image_tensor(X, "X")
        yt = to_long_labels(_integral_labels(y), torch.device("cpu"), "y")
        y_val = _integral_labels(y_val)
        spec = self.resolved()
        logger.info("MetricLearner components: %s", spec)
        settings = self._trainer_settings(spec)
        if self.workers != 1:
            self._fit_workers(spec, settings, (Xt, yt, X_val, y_val), callbacks)
        else:
            network, loss, miner = build_components(spec, tuple(Xt.shape[1:]), self.seed)
            trainer = Trainer(network, loss, miner, settings, callbacks=callbacks)
            self.history_ = trainer.fit(Xt, yt, X_val, y_val)
            self.model_ = trainer.model
            self.device_ = trainer.device
        self.components_ = spec
        self.input_shape_ = tuple(Xt.shape[1:])
        self.n_features_in_ = int(np.prod(self.input_shape_))
        self._n_features_out = int(embed(self.model_, Xt[:1], self.device_).shape[1])
        return self

    def __sklearn_tags__(self) -> Tags:
        """scikit-learn's tags: the network computes in float32, so that is the dtype kept."""
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _fit_workers(
        self,
        spec: dict[str, Any],
        settings: TrainerSettings,
        data: tuple[Any, ...],
        callbacks: Sequence[Callable[[EpochRecord], None]],
    ) -> None:
        """Train on ``workers`` Ray Train workers (:mod:`embedlab.learn.workers`); keep rank 0's weights.

        The request is checked before any worker starts (:func:`~embedlab.learn.workers.check_request`).
        """
        from embedlab.learn.samplers import make_sampler
        from embedlab.learn.workers import WorkerRun, check_request, fit_workers

        run = WorkerRun(
            workers=self.workers,
            resources=validate_section(WorkerResources, self.resources_per_worker or {}, "resources_per_worker"),
            max_failures=self.max_failures,
            address=self.address,
        )
        X, y = data[0], data[1]
        sampler = make_sampler(settings.sampler, y, settings.batch_size, m=settings.m_per_class)
        check_request(run, settings, sampler.full_batch)
        state, self.history_ = fit_workers(spec, settings, run, data, callbacks)
        network = build_components(spec, tuple(X.shape[1:]), self.seed)[0]
        network.load_state_dict(state)
        self.device_ = resolve_device(settings.device)
        self.model_ = network.to(self.device_).eval()

    def transform(self, X: Any) -> np.ndarray:
        """Embed ``X``; returns a float32 numpy array ``(N, embedding_dim)``.

        Torch runs on the threads the thread policy picks (:func:`embedlab.threads.num_threads`).

        Raises
        ------
        InputError
            For ``X`` of another item shape than the fitted one, or with NaN values.
        """
        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this MetricLearner is not fitted yet; call fit(X, y) first")
        if not isinstance(X, torch.Tensor):
            raw = X
            try:
                X = (
                    validate_data(self, X, reset=False, dtype="numeric")
                    if len(self.input_shape_) == 1
                    else check_array(X, allow_nd=True, dtype="numeric")
                )
            except ValueError as err:
                raise _both_messages(err, lambda: as_image_tensor(raw, "X")) from err
        Xt = as_image_tensor(X, "X")
        if tuple(Xt.shape[1:]) != self.input_shape_:
            raise InputError(
                f"X has items of shape {tuple(Xt.shape[1:])}, but the model was fitted on {self.input_shape_}"
            )
        return embed(self.model_, Xt, self.device_).cpu().numpy()


def _signature() -> inspect.Signature:
    """``MetricLearner.__init__``'s signature, one keyword parameter per setting.

    scikit-learn finds an estimator's parameters in this signature (``get_params``, ``clone``),
    and Sphinx documents it; the settings themselves are defined once, in the params models.
    """
    fields = {**MetricLearnerSettings.model_fields, **{n: TrainerSettings.model_fields[n] for n in RUN_SETTINGS}}
    own = list(inspect.signature(MetricLearner.__init__).parameters.values())[:4]
    keywords = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_SETTINGS[name], annotation=info.annotation)
        for name, info in fields.items()
    ]
    return inspect.Signature([*own, *keywords], return_annotation=None)


MetricLearner.__init__.__signature__ = _signature()  # type: ignore[attr-defined]
