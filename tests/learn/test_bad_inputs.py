"""The learn catalogue: every bad input to losses, miners, networks, trainers and checkpoints.

Each case checks the error type, that the message names the bad input, and that nothing was
written outside the run folder; cases through ``embedlab run`` also check exit code 2 and one
error line (see ``tests/bad_inputs.py``).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from bad_inputs import api_error, cli_error

import embedlab
from embedlab.errors import CheckpointError, ConfigError, InputError, TrainingError
from embedlab.learn._checks import BatchWarning
from embedlab.learn.classifier import linear_probe, mlp_classifier, train_classifier
from embedlab.learn.estimator import MetricLearner
from embedlab.learn.losses import TripletLoss
from embedlab.learn.miners import BatchHardMiner
from embedlab.learn.networks import materialize, mlp, seed_cnn
from embedlab.learn.trainer import Trainer

LOSSES = ["triplet", "contrastive", "multi-similarity", "supcon"]
MINERS = ["random", "batch-all", "batch-hard", "semihard", "distance-weighted"]
COMPONENTS = [("loss", n) for n in LOSSES] + [("miner", n) for n in MINERS]
COMPONENT_IDS = [f"{kind}-{name}" for kind, name in COMPONENTS]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: relative writes would land here and be caught."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- losses and miners ----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "name"), COMPONENTS, ids=COMPONENT_IDS)
def test_length_mismatch(here, kind, name):
    component = embedlab.create(kind, name)
    api_error(
        lambda: component(torch.randn(8, 3), torch.arange(7)), InputError, "8 embeddings but 7 labels", here
    )


@pytest.mark.parametrize(("kind", "name"), COMPONENTS, ids=COMPONENT_IDS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_embeddings(here, kind, name, bad):
    e = torch.randn(8, 3)
    e[2, 1] = bad
    component = embedlab.create(kind, name)
    api_error(lambda: component(e, torch.arange(8) % 2), InputError, ["embeddings", "NaN or infinity"], here)


@pytest.mark.parametrize(
    ("kind", "name", "field"),
    [
        ("loss", "triplet", "margin"),
        ("loss", "contrastive", "neg_margin"),
        ("miner", "semihard", "margin"),
        ("miner", "batch-all", "margin"),
    ],
    ids=["triplet", "contrastive", "semihard", "batch-all"],
)
def test_negative_margin_is_a_config_error(here, kind, name, field):
    api_error(
        lambda: embedlab.create(kind, name, **{field: -0.1}),
        ConfigError,
        [field, "greater than or equal to 0"],
        here,
    )


def test_negative_margin_through_the_class_too(here):
    api_error(lambda: TripletLoss(margin=-1), ConfigError, "loss 'triplet': margin", here)


@pytest.mark.parametrize(
    ("kind", "name"),
    [("loss", "triplet"), ("miner", "batch-hard"), ("miner", "semihard")],
    ids=["triplet", "batch-hard", "semihard"],
)
def test_unknown_distance_is_a_config_error(here, kind, name):
    api_error(
        lambda: embedlab.create(kind, name, distance="manhattan"),
        ConfigError,
        ["distance", "euclidean"],
        here,
    )


@pytest.mark.parametrize(
    ("kind", "name", "field", "value", "bound"),
    [
        ("loss", "triplet", "margin", 1e30, "less than or equal to 100"),
        ("loss", "contrastive", "pos_margin", 1e6, "less than or equal to 100"),
        ("loss", "contrastive", "neg_margin", 1e30, "less than or equal to 100"),
        ("miner", "batch-all", "margin", 1e30, "less than or equal to 100"),
        ("miner", "semihard", "margin", 101.0, "less than or equal to 100"),
        ("loss", "supcon", "temperature", 1e-9, "greater than or equal to 0.001"),
        ("loss", "multi-similarity", "beta", 1e6, "less than or equal to 1000"),
        ("loss", "multi-similarity", "base", 5.0, "less than or equal to 1"),
        ("miner", "random", "triplets_per_anchor", 10**9, "less than or equal to 1024"),
    ],
    ids=[
        "triplet-margin",
        "contrastive-pos-margin",
        "contrastive-neg-margin",
        "batch-all-margin",
        "semihard-margin",
        "supcon-temperature",
        "ms-beta",
        "ms-base",
        "random-triplets-per-anchor",
    ],
)
def test_huge_loss_and_miner_params_are_refused(here, kind, name, field, value, bound):
    api_error(
        lambda: embedlab.create(kind, name, **{field: value}), ConfigError, [f"'{name}'", field, bound], here
    )


BAD_CALLS = {
    "3-d embeddings": ((torch.randn(4, 2, 2), torch.arange(4), None), r"shape (batch, dim)"),
    "float labels": ((torch.randn(4, 2), torch.rand(4), None), "labels must be integers"),
    "index outside the batch": (
        (torch.randn(4, 2), torch.arange(4) % 2, (torch.tensor([0]), torch.tensor([2]), torch.tensor([9]))),
        "outside the batch",
    ),
    "index lengths differ": (
        (
            torch.randn(4, 2),
            torch.arange(4) % 2,
            (torch.tensor([0]), torch.tensor([2, 0]), torch.tensor([1])),
        ),
        "different lengths",
    ),
    "pairs for a triplet loss": (
        (torch.randn(4, 2), torch.arange(4) % 2, (torch.tensor([0]),) * 4),
        "triplets, got 4 pair",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CALLS), ids=[c.replace(" ", "-") for c in BAD_CALLS])
def test_bad_shapes_dtypes_and_indices(here, case):
    (embeddings, labels, indices), message = BAD_CALLS[case]
    loss = embedlab.create("loss", "triplet")
    api_error(lambda: loss(embeddings, labels, indices=indices), InputError, message, here)


@pytest.mark.parametrize("name", LOSSES)
def test_single_class_batch_warns_and_gives_zero_loss_without_gradient(name):
    e = torch.randn(8, 3, requires_grad=True)
    with pytest.warns(BatchWarning, match="every label in the batch is 4"):
        value = embedlab.create("loss", name)(e, torch.full((8,), 4))
    assert float(value.detach()) == 0.0
    value.backward()
    assert torch.equal(e.grad, torch.zeros_like(e))


@pytest.mark.parametrize("name", MINERS)
def test_single_class_batch_warns_and_mines_nothing(name):
    with pytest.warns(BatchWarning):
        a, p, n = embedlab.create("miner", name)(torch.randn(8, 3), torch.zeros(8, dtype=torch.long))
    assert len(a) == len(p) == len(n) == 0


def test_labels_may_be_numpy_or_lists():
    loss = embedlab.create("loss", "triplet")
    e = torch.randn(6, 3)
    assert float(loss(e, [0, 0, 1, 1, 2, 2])) == pytest.approx(
        float(loss(e, torch.tensor([0, 0, 1, 1, 2, 2])))
    )


# -- networks: absurd sizes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("seed-cnn", {"embedding_dim": 10**11}, "embedding_dim"),
        ("seed-cnn", {"in_channels": 10**6}, "in_channels"),
        ("mlp", {"embedding_dim": 10**23}, "embedding_dim"),
        ("mlp", {"hidden": (10**9,)}, "hidden"),
        ("mlp", {"hidden": (8,) * 100}, "hidden"),
        ("resnet18", {"embedding_dim": 10**9}, "embedding_dim"),
        ("mlp-classifier", {"units": 10**12}, "units"),
        ("mlp-classifier", {"num_classes": 10**9}, "num_classes"),
        ("linear-probe", {"in_features": 10**12}, "in_features"),
    ],
    ids=[
        "seed-cnn-dim",
        "seed-cnn-channels",
        "mlp-dim",
        "mlp-width",
        "mlp-depth",
        "resnet18-dim",
        "classifier-units",
        "classifier-classes",
        "probe-features",
    ],
)
def test_absurd_network_sizes_are_refused(here, name, params, field):
    api_error(lambda: embedlab.create("backend", name, **params), ConfigError, [f"'{name}'", field], here)


# -- MetricLearner: bad data and settings ---------------------------------------------------


def images(n: int = 32, size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, size, size), dtype=np.float32), np.arange(n) % 4


def learner(**settings) -> MetricLearner:
    """A tiny MetricLearner: an MLP on 8x8 images, one epoch, on the CPU."""
    base = dict(
        model={"name": "mlp", "params": {"hidden": [8], "embedding_dim": 2}},
        miner=None,
        epochs=1,
        batch_size=16,
        progress=False,
        device="cpu",
    )
    return MetricLearner(**{**base, **settings})


def with_nan(X: np.ndarray) -> np.ndarray:
    X = X.copy()
    X[1, 2, 3] = np.nan
    return X


X8, Y8 = images()
BAD_FITS = {
    "y-too-short": ((X8, Y8[:-1]), {}, ["32 rows", "31 labels"]),
    "y-2d": ((X8, Y8.reshape(-1, 1)), {}, ["y: labels must be 1-D", "(32, 1)"]),
    "y-fractional": ((X8, Y8 + 0.5), {}, ["y: labels must be integers", "float64"]),
    "y-strings": ((X8, Y8.astype(str)), {}, "y: labels must be a numeric array"),
    "x-1d": ((X8[:, 0, 0], Y8), {}, ["X must have shape", "(32,)"]),
    "x-5d": ((X8.reshape(32, 1, 1, 8, 8), Y8), {}, ["X must have shape", "(32, 1, 1, 8, 8)"]),
    "x-empty": ((X8[:0], Y8[:0]), {}, "X is empty"),
    "x-nan": ((with_nan(X8), Y8), {}, ["X contains NaN", "impute"]),
    "x-strings": ((np.full((32, 8), "a"), Y8), {}, "X must be a numeric array"),
    "x-ragged": (([[1.0, 2.0], [3.0]], [0, 1]), {}, "X must be a numeric array"),
    "x-complex": ((X8.astype(np.complex64), Y8), {}, ["X must hold real numbers", "complex64"]),
    "x-val-without-y-val": ((X8, Y8), {"X_val": X8}, "X_val was given without y_val"),
    "x-val-nan": ((X8, Y8), {"X_val": with_nan(X8), "y_val": Y8}, "X_val contains NaN"),
}


@pytest.mark.parametrize("case", list(BAD_FITS))
def test_metric_learner_fit_refuses_bad_data(here, case):
    (X, y), extra, names = BAD_FITS[case]
    api_error(lambda: learner().fit(X, y, **extra), InputError, names, here)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 10**9}, "epochs"),
        ({"batch_size": 10**12}, "batch_size"),
        ({"batch_size": 1}, "batch_size"),
        ({"m_per_class": 10**9}, "m_per_class"),
        ({"warmup_epochs": -1}, "warmup_epochs"),
        ({"patience": 10**9}, "patience"),
        ({"optimizer": "adagrad"}, "optimizer"),
    ],
    ids=[
        "no-epochs",
        "absurd-epochs",
        "absurd-batch",
        "batch-of-one",
        "absurd-m",
        "negative-warmup",
        "absurd-patience",
        "unknown-optimizer",
    ],
)
def test_metric_learner_settings_have_the_config_bounds(here, settings, field):
    api_error(lambda: learner(**settings).fit(X8, Y8), ConfigError, ["MetricLearner", field], here)


@pytest.fixture(scope="module")
def fitted() -> MetricLearner:
    return learner().fit(X8, Y8)


@pytest.mark.parametrize(
    ("X", "names"),
    [
        (images(4, 6)[0], ["(1, 6, 6)", "fitted on (1, 8, 8)"]),
        (with_nan(X8), "X contains NaN"),
        (X8[:, 0, 0], "X must have shape"),
        (np.full((4, 8, 8), "a"), "X must be a numeric array"),
    ],
    ids=["other-item-shape", "nan", "1d", "strings"],
)
def test_metric_learner_transform_refuses_bad_data(here, fitted, X, names):
    api_error(lambda: fitted.transform(X), InputError, names, here)


# -- the classifier: divergence and settings ------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "lr", "names"),
    [(1.0, 1e30, ["train_loss became nan", "lr=1e+30"]), (1e38, 1e-3, ["loss became", "extreme values"])],
    ids=["huge-lr", "extreme-inputs"],
)
def test_a_diverged_classifier_raises_training_error(here, one_thread, scale, lr, names):
    X, y = images(64)
    seen = []
    api_error(
        lambda: train_classifier(
            mlp_classifier(units=16, in_features=64), X * scale, y, epochs=2, lr=lr, callback=seen.append
        ),
        TrainingError,
        names,
        here,
    )
    assert seen == []  # the tuner never hears of the diverged epoch


@pytest.mark.parametrize(
    ("settings", "field"),
    [({"epochs": 0}, "epochs"), ({"batch_size": 10**9}, "batch_size"), ({"lr": -1.0}, "lr")],
    ids=["no-epochs", "absurd-batch", "negative-lr"],
)
def test_classifier_settings_are_bounded(here, settings, field):
    X, y = images(16)
    api_error(
        lambda: train_classifier(linear_probe(in_features=64), X, y, **settings),
        ConfigError,
        ["train_classifier", field],
        here,
    )


# -- checkpoints ----------------------------------------------------------------------------


class Payload:
    """An object a weights-only load must refuse to rebuild."""


def tiny_trainer(
    checkpoint_dir: Path | None = None, hidden: int = 16, optimizer: str = "adam", **kw
) -> Trainer:
    torch.manual_seed(0)
    model = materialize(mlp(hidden=(hidden,), embedding_dim=4), (6,))
    settings = dict(
        epochs=1, batch_size=16, progress=False, optimizer=optimizer, checkpoint_dir=checkpoint_dir
    )
    return Trainer(model, TripletLoss(), BatchHardMiner(), **{**settings, **kw})


def vectors() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(32, 6, generator=g), torch.arange(32) % 4


def good_checkpoint(folder: Path, **kw) -> bytes:
    """Train one epoch into ``folder`` and return the bytes of its ``last.pt``."""
    tiny_trainer(folder, **kw).fit(*vectors())
    return (folder / "last.pt").read_bytes()


def write_fault(path: Path, fault: str, scratch: Path) -> None:
    """Write a checkpoint with ``fault`` to ``path``; good runs it starts from train in ``scratch``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fault == "empty":
        path.write_bytes(b"")
    elif fault == "truncated":
        data = good_checkpoint(scratch)
        path.write_bytes(data[: len(data) // 2])
    elif fault == "text":
        path.write_text("this is not a checkpoint\n")
    elif fault == "foreign-object":
        torch.save({"epoch": 1, "model": Payload()}, path)
    elif fault == "plain-pickle":
        path.write_bytes(pickle.dumps({"epoch": 1, "history": []}, protocol=2))
    elif fault == "partial-dict":
        torch.save({"epoch": 1, "history": []}, path)
    elif fault == "bare-tensor":
        torch.save(torch.zeros(3), path)
    elif fault == "missing-keys":
        good_checkpoint(scratch)
        state = torch.load(scratch / "last.pt", weights_only=True)
        del state["optimizer"], state["best_model"]
        torch.save(state, path)
    elif fault == "other-network":
        path.write_bytes(good_checkpoint(scratch, hidden=32))
    elif fault == "other-optimizer":
        path.write_bytes(good_checkpoint(scratch, optimizer="sgd"))


CHECKPOINT_FAULTS = {
    "empty": "is empty",
    "truncated": "truncated or not a torch checkpoint",
    "text": "truncated or not a torch checkpoint",
    "foreign-object": "weights_only loading refused it",
    "plain-pickle": "truncated or not a torch checkpoint",
    "partial-dict": "lacks model, optimizer, scaler, best, best_model",
    "bare-tensor": "lacks epoch",
    "missing-keys": "lacks optimizer, best_model",
    "other-network": "saved from another network",
    "other-optimizer": "another optimizer than Adam",
}


@pytest.mark.parametrize("fault", list(CHECKPOINT_FAULTS))
def test_a_bad_checkpoint_is_a_checkpoint_error(here, tmp_path_factory, fault):
    path = here / "ckpt" / "last.pt"
    write_fault(path, fault, tmp_path_factory.mktemp("scratch"))
    before = path.read_bytes()
    api_error(
        lambda: tiny_trainer(resume=path).fit(*vectors()),
        CheckpointError,
        [str(path), CHECKPOINT_FAULTS[fault], "delete the file"],
        here,
    )
    assert path.read_bytes() == before  # the faulty file is left for the user to look at


def test_resume_true_reads_the_checkpoint_folder(here, tmp_path_factory):
    write_fault(here / "ckpt" / "last.pt", "other-network", tmp_path_factory.mktemp("scratch"))
    trainer = tiny_trainer(here / "ckpt", resume=True)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    api_error(
        lambda: trainer.fit(*vectors()),
        CheckpointError,
        ["last.pt", "trunk.1.weight is (32, 6), not (16, 6)"],
        here,
    )
    assert all(torch.equal(v, trainer.model.state_dict()[k]) for k, v in before.items())  # nothing loaded


# -- through `embedlab run` -----------------------------------------------------------------

METRIC_LEARNING = {
    "name": "ml",
    "task": "metric-learning",
    "dataset": "digits",
    "backend": {"name": "seed-cnn", "params": {"embedding_dim": 4}},
    "loss": "triplet",
    "miner": "random",
    "train": {"epochs": 1, "batch_size": 64, "progress": False},
    "study": {"projection": "pca"},
}
CLASSIFICATION = {
    "name": "cls",
    "task": "classification",
    "dataset": "digits",
    "backend": {"name": "mlp-classifier", "params": {"units": 16}},
    "train": {"epochs": 2},
}


def write_config(folder: Path, base: dict, edit: dict, text: str | None = None) -> Path:
    """Write ``base`` with ``edit`` merged into its blocks; ``text`` replaces a placeholder raw."""
    config = {**base}
    for key, value in edit.items():
        config[key] = (
            {**config[key], **value}
            if isinstance(value, dict) and isinstance(config.get(key), dict)
            else value
        )
    path = folder / "cfg.yaml"
    body = yaml.safe_dump(config, sort_keys=False)
    path.write_text(body.replace("PLACEHOLDER", text) if text else body)
    return path


CONFIG_CASES = {
    "embedding-dim-1e23": (
        METRIC_LEARNING,
        {"backend": {"name": "seed-cnn", "params": {"embedding_dim": "PLACEHOLDER"}}},
        "1.0e+23",
        "embedding_dim",
    ),
    "embedding-dim-1e11": (
        METRIC_LEARNING,
        {"backend": {"name": "seed-cnn", "params": {"embedding_dim": 10**11}}},
        None,
        "embedding_dim",
    ),
    "mlp-hidden": (
        METRIC_LEARNING,
        {"backend": {"name": "mlp", "params": {"hidden": [10**9]}}},
        None,
        "hidden",
    ),
    "huge-margin": (
        METRIC_LEARNING,
        {"loss": {"name": "triplet", "params": {"margin": "PLACEHOLDER"}}},
        "1.0e+30",
        "margin",
    ),
    "ml-batch": (METRIC_LEARNING, {"train": {"batch_size": 10**12}}, None, "batch_size"),
    "ml-epochs": (METRIC_LEARNING, {"train": {"epochs": 10**9}}, None, "epochs"),
    "classifier-units": (
        CLASSIFICATION,
        {"backend": {"name": "mlp-classifier", "params": {"units": 10**12}}},
        None,
        "units",
    ),
    "classifier-batch": (CLASSIFICATION, {"train": {"batch_size": 10**9}}, None, "batch_size"),
    "classifier-diverges": (
        CLASSIFICATION,
        {"train": {"lr": "PLACEHOLDER"}},
        "1.0e+30",
        "train_loss became nan",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_training_configs_exit_2_at_the_cli(tmp_path, case):
    base, edit, raw, name = CONFIG_CASES[case]
    write_config(tmp_path, base, edit, raw)
    cli_error(["run", "cfg.yaml", "--out", "runs"], tmp_path, name, allowed=["runs"])


@pytest.mark.parametrize("value", ["0", "-3", "abc"], ids=["zero", "negative", "word"])
def test_a_bad_thread_count_exits_2_at_the_cli(tmp_path, value):
    write_config(tmp_path, METRIC_LEARNING, {})
    cli_error(
        ["run", "cfg.yaml", "--out", "runs"],
        tmp_path,
        [f"EMBEDLAB_NUM_THREADS={value!r}", "whole number"],
        allowed=["runs"],
        env={"EMBEDLAB_NUM_THREADS": value},
    )


@pytest.mark.parametrize("value", ["0", "two"])
def test_a_bad_thread_count_is_a_config_error_in_python(here, monkeypatch, value):
    monkeypatch.setenv("EMBEDLAB_NUM_THREADS", value)
    api_error(lambda: learner().fit(X8, Y8), ConfigError, "EMBEDLAB_NUM_THREADS", here)


@pytest.mark.parametrize("fault", ["empty", "truncated", "text", "other-network"])
def test_resuming_from_a_bad_checkpoint_exits_2_at_the_cli(tmp_path, tmp_path_factory, fault):
    from embedlab.lab.rundir import RunDirectory

    config = write_config(tmp_path, METRIC_LEARNING, {})
    run = RunDirectory(tmp_path / "runs" / "ml-20260101-000000")
    run.save_config(embedlab.load_config(config))
    checkpoint = run.checkpoints / "ml" / "last.pt"
    if fault == "other-network":  # the seed CNN with another embedding size, on digits
        torch.manual_seed(0)
        model = materialize(seed_cnn(embedding_dim=8), (1, 8, 8))
        Trainer(
            model,
            TripletLoss(),
            None,
            epochs=1,
            batch_size=16,
            progress=False,
            checkpoint_dir=checkpoint.parent,
        ).fit(torch.rand(32, 1, 8, 8), torch.arange(32) % 4)
    else:
        write_fault(checkpoint, fault, tmp_path_factory.mktemp("scratch"))
    cli_error(
        ["run", "cfg.yaml", "--out", "runs", "--resume"],
        tmp_path,
        ["last.pt", "delete the file"],
        allowed=["runs"],
    )


WORKER_CASES = {
    "no-workers": ({"workers": 0}, ["MetricLearner", "workers"]),
    "fractional-workers": ({"workers": 1.5}, ["MetricLearner", "workers"]),
    "indivisible-batch": ({"workers": 3}, ["batch_size=16 is not divisible by workers=3", "15 or 18"]),
    "m-per-class-batch": (
        {"workers": 2, "sampler": "m-per-class", "m_per_class": 5},  # 3 classes x 5 of 4 classes
        ["sampler 'm-per-class' makes batches of 15", "2 workers"],
    ),
    "gpus-absent": (
        {"workers": 2, "resources_per_worker": {"gpu": 1}},
        ["workers=2 x resources_per_worker.gpu=1", "2 GPUs", "has 0"],
    ),
    "cuda-without-gpus": ({"workers": 2, "device": "cuda"}, ["device='cuda'", "resources_per_worker"]),
    "bad-address": ({"workers": 2, "address": "nowhere"}, ["address", "host:port"]),
    "unreachable-address": ({"workers": 2, "address": "127.0.0.1:1"}, ["127.0.0.1:1", "train.address"]),
}


@pytest.mark.parametrize("case", list(WORKER_CASES))
def test_bad_worker_requests_fail_before_any_worker_starts(here, case):
    import ray

    settings, names = WORKER_CASES[case]
    started = ray.is_initialized()
    api_error(lambda: learner(**settings).fit(X8, Y8), ConfigError, names, here)
    assert ray.is_initialized() == started  # refused before a Ray runtime starts


def test_a_bad_worker_count_exits_2_at_the_cli(tmp_path):
    write_config(tmp_path, METRIC_LEARNING, {"train": {"workers": 5}})
    cli_error(["run", "cfg.yaml", "--out", "runs"], tmp_path, ["batch_size=64", "workers=5"], allowed=["runs"])
