"""One settings model and one history schema for every trainer; the classifier's checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone

from embedlab.errors import CheckpointError, ConfigError
from embedlab.learn.classifier import linear_probe, mlp_classifier, train_classifier
from embedlab.learn.estimator import MetricLearner
from embedlab.learn.history import CLASSIFIER_KEYS, COMMON_KEYS, METRIC_LEARNING_KEYS, EpochRecord
from embedlab.learn.losses import TripletLoss
from embedlab.learn.miners import BatchHardMiner
from embedlab.learn.networks import materialize, mlp
from embedlab.learn.params import MetricLearnerSettings, TrainerSettings
from embedlab.learn.trainer import Trainer
from embedlab.plots.embeddings import plot_history


def blobs(n: int = 96, classes: int = 4, dim: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    return (rng.normal(size=(classes, dim)) * 3)[y].astype(np.float32) + rng.normal(size=(n, dim)).astype(
        np.float32
    ), y


def net() -> torch.nn.Module:
    torch.manual_seed(0)
    return materialize(mlp(hidden=(16,), embedding_dim=4), (6,))


def metric_trainer(**settings: object) -> Trainer:
    return Trainer(net(), TripletLoss(), BatchHardMiner(), **settings)


def test_trainer_takes_a_settings_model_and_keywords_alike():
    settings = TrainerSettings(epochs=2, batch_size=32, progress=False, device="cpu")
    X, y = blobs()
    by_model = Trainer(net(), TripletLoss(), BatchHardMiner(), settings)
    assert by_model.settings == metric_trainer(**settings.model_dump()).settings
    assert len(by_model.fit(X, y)) == 2
    overridden = Trainer(net(), TripletLoss(), None, settings, epochs=1)
    assert overridden.settings.epochs == 1 and overridden.settings.batch_size == 32
    with pytest.raises(ConfigError, match=r"Trainer: epochs.*greater than or equal to 1"):
        metric_trainer(epochs=0)
    with pytest.raises(ConfigError, match="lrate.*did you mean 'lr'"):
        metric_trainer(lrate=0.1)


def test_metric_learner_settings_extend_the_shared_trainer_fields():
    shared = set(TrainerSettings.model_fields) & set(MetricLearnerSettings.model_fields)
    assert {"epochs", "batch_size", "lr", "optimizer", "patience", "monitor", "micro_batch"} <= shared
    assert MetricLearnerSettings().sampler == "auto" and TrainerSettings().sampler == "random"


def test_metric_learner_stays_a_scikit_learn_estimator():
    learner = MetricLearner(miner="batch-hard", epochs=3, min_delta=0.01, seed=2)
    params = learner.get_params()
    assert params["epochs"] == 3 and params["min_delta"] == 0.01 and params["seed"] == 2
    assert params["batch_size"] == 128 and params["sampler"] == "auto" and params["checkpoint_dir"] is None
    assert set(params) == {"model", "loss", "miner", *MetricLearnerSettings.model_fields, "seed", "checkpoint_dir",
                           "resume"}
    copy = clone(learner)
    assert copy.get_params() == params
    assert copy.set_params(lr=0.5).lr == 0.5 and learner.lr == 1e-3
    with pytest.raises(TypeError, match="'epoch'.*did you mean 'epochs'"):
        MetricLearner(epoch=3)


def test_metric_learner_checks_its_settings_in_fit():
    X, y = blobs()
    with pytest.raises(ConfigError, match="MetricLearner: monitor"):
        MetricLearner(model="mlp", monitor="loss", progress=False).fit(X, y)


def test_both_trainers_write_one_history_schema():
    X, y = blobs()
    Xv, yv = blobs(40, seed=1)
    learned = metric_trainer(epochs=2, batch_size=32, progress=False).fit(X, y, Xv, yv)
    classified = train_classifier(linear_probe(num_classes=4, in_features=6), X, y, Xv, yv, epochs=2)
    for history, keys in ((learned, METRIC_LEARNING_KEYS), (classified, CLASSIFIER_KEYS)):
        assert [row["epoch"] for row in history] == [1, 2]
        assert all(isinstance(row["epoch"], int) for row in history)
        assert set(COMMON_KEYS) <= set(history[0]) and set(history[0]) <= set(keys)
        assert set(history[0]) <= set(EpochRecord.__annotations__)
    assert len(plot_history(classified).axes) == 2
    assert len(plot_history(learned).axes) == 2


def test_plot_history_refuses_records_of_another_schema():
    from embedlab.errors import InputError

    with pytest.raises(InputError, match="lack train_loss.*EpochRecord"):
        plot_history([{"epoch": 1, "loss": 0.5}])


def classifier_run(tmp_path, epochs: int, resume: bool = False) -> tuple[torch.nn.Module, list]:
    X, y = blobs()
    Xv, yv = blobs(40, seed=1)
    torch.manual_seed(0)
    model = mlp_classifier(units=8, num_classes=4, in_features=6)
    history = train_classifier(
        model, X, y, Xv, yv, epochs=epochs, batch_size=16, seed=3, device="cpu",
        checkpoint_dir=tmp_path, resume=resume,
    )
    return model, history


def test_classifier_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    whole, whole_history = classifier_run(tmp_path / "whole", epochs=4)
    classifier_run(tmp_path / "split", epochs=2)
    seen: list[int] = []
    X, y = blobs()
    torch.manual_seed(1)  # other initial weights: the checkpoint must replace them
    resumed = mlp_classifier(units=8, num_classes=4, in_features=6)
    history = train_classifier(
        resumed, X, y, *blobs(40, seed=1), epochs=4, batch_size=16, seed=3, device="cpu",
        checkpoint_dir=tmp_path / "split", resume=True, callback=lambda row: seen.append(row["epoch"]),
    )
    assert seen == [3, 4] and [row["epoch"] for row in history] == [1, 2, 3, 4]
    for key, value in whole.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=0, atol=0)
    assert [row["train_loss"] for row in history] == [row["train_loss"] for row in whole_history]
    state = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    assert state["epoch"] == 4 and not list((tmp_path / "split").glob("*.tmp"))


def test_classifier_resume_without_a_checkpoint_starts_at_epoch_one(tmp_path):
    _, history = classifier_run(tmp_path, epochs=1, resume=True)
    assert [row["epoch"] for row in history] == [1]


def test_classifier_refuses_bad_checkpoints(tmp_path):
    X, y = blobs()
    with pytest.raises(ConfigError, match="resume=True needs checkpoint_dir"):
        train_classifier(linear_probe(num_classes=4, in_features=6), X, y, resume=True)
    (tmp_path / "last.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        classifier_run(tmp_path, epochs=2, resume=True)
    (tmp_path / "last.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="delete the file"):
        classifier_run(tmp_path, epochs=2, resume=True)
    classifier_run(tmp_path / "other", epochs=1)
    probe = linear_probe(num_classes=4, in_features=6)
    before = {k: v.clone() for k, v in probe.state_dict().items()}
    with pytest.raises(CheckpointError, match="another network"):
        train_classifier(probe, X, y, epochs=2, checkpoint_dir=tmp_path / "other", resume=True)
    assert all(torch.equal(before[k], v) for k, v in probe.state_dict().items())
    metric_trainer(epochs=1, batch_size=32, progress=False, checkpoint_dir=tmp_path / "metric").fit(X, y)
    with pytest.raises(CheckpointError, match="lacks generator"):
        classifier_run(tmp_path / "metric", epochs=2, resume=True)


def test_records_count_steps_and_zero_loss_triplets():
    X, y = blobs()
    history = metric_trainer(epochs=1, batch_size=32, progress=False, device="cpu").fit(X, y)
    assert history[0]["steps"] == 3
    assert 0.0 <= history[0]["zero_loss_share"] <= 1.0


def test_random_triplets_train_without_a_miner_and_count_their_easy_ones():
    X, y = blobs()
    far_apart = TripletLoss(margin=0.0)  # blobs 3 sd apart: most random triplets already satisfied
    trainer = Trainer(net(), far_apart, None, epochs=2, batch_size=32, sampler="triplets",
                      triplets_per_image=3, progress=False, device="cpu")
    Xv, yv = blobs(40, seed=1)
    history = trainer.fit(X, y, Xv, yv)
    assert [row["steps"] for row in history] == [9, 9]  # ceil(96 * 3 / 32)
    assert history[0]["triplets"] == 32
    assert history[-1]["zero_loss_share"] > 0.5
    # validated on random triplets of the validation split, the same ones each time
    Xt, yt = torch.as_tensor(Xv), torch.as_tensor(yv)
    assert trainer._val_loss(Xt, yt) == trainer._val_loss(Xt, yt) == history[-1]["val_loss"]
    with pytest.raises(ConfigError, match="sampler 'triplets'.*no miner"):
        Trainer(net(), TripletLoss(), BatchHardMiner(), sampler="triplets")


@pytest.mark.parametrize("soft", [False, True])
def test_the_loss_counts_the_triplets_it_leaves_at_zero(soft):
    """Every path of TripletLoss.compute (all triplets, a few, many) records (satisfied, scored)."""
    loss = TripletLoss(margin=0.4, soft=soft)
    embeddings = torch.tensor([[0.0], [0.1], [3.0], [3.2]])
    labels = torch.tensor([0, 0, 1, 1])
    loss.compute(embeddings, labels, None)
    zero, total = loss.zero_loss_stats
    assert total == 8 and int(zero) == 8
    a, p, n = torch.tensor([0, 0]), torch.tensor([1, 1]), torch.tensor([2, 1])  # the second one is violated
    for repeat, expected in ((1, (1, 2)), (3, (3, 6))):  # 6 triplets > 4 samples: the many-triplets path
        loss.compute(embeddings, labels, (a.repeat(repeat), p.repeat(repeat), n.repeat(repeat)))
        zero, total = loss.zero_loss_stats
        assert (int(zero), total) == expected
