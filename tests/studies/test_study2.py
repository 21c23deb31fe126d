"""Study 2 as the exercise set it (examples/studies/study2-triplet.yaml), run in CI on its stand-in."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from embedlab.config import load_config
from embedlab.lab.run import run

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "studies" / "study2-triplet.yaml"
PARTS = ("random-triplets", "batch-hard", "batch-hard-recipe")


def test_the_config_is_the_exercises_training():
    config = load_config(CONFIG)
    assert [part.name for part in config.parts] == list(PARTS)
    for part in config.parts:
        assert part.dataset.name == "mnist" and part.dataset.params["val_size"] == 0
        assert part.backend.name == "seed-cnn"
        assert {k: part.train[k] for k in ("optimizer", "lr", "batch_size", "epochs")} == {
            "optimizer": "adam", "lr": 0.001, "batch_size": 128, "epochs": 5,
        }
        assert part.study["validation"] == "test" and part.study["projection"] == "tsne"
    random_part, mined_part, recipe_part = config.parts
    for part in (random_part, mined_part):  # the exercise's network and loss
        assert part.backend.params == {"embedding_dim": 10}
        assert part.loss.params == {"margin": 0.4, "distance": "squared-euclidean", "reduction": "mean"}
    assert random_part.miner is None
    assert (random_part.train["sampler"], random_part.train["triplets_per_image"]) == ("triplets", 3)
    assert mined_part.miner.name == recipe_part.miner.name == "batch-hard"
    # the third part leaves network and loss to the miner's recipe
    assert recipe_part.backend.params == {} and recipe_part.loss.params == {}


def test_an_mnist_epoch_of_three_random_triplets_per_image_has_1407_steps():
    assert math.ceil(60_000 * 3 / 128) == 1407


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The study on the embedded digits. Training takes seconds, but scikit-learn's t-SNE of
    1,437 training points takes 15-25 s on 2 busy cores, four times: the maps draw at most 300
    points each here; everything else is the config as written."""
    overrides = [f"parts.{i}.study.max_points=300" for i in range(len(PARTS))]
    result = run(load_config(CONFIG, overrides=overrides), tmp_path_factory.mktemp("runs"), stand_in=True)
    return result, (result.path / "report.md").read_text(encoding="utf-8")


def test_each_part_names_its_stand_in_dataset(report):
    result, text = report
    assert text.count("Dataset: digits — embedded stand-in for mnist") == len(PARTS)
    for part in PARTS:
        assert result.metrics[part]["dataset"]["sizes"].keys() == {"train", "test"}


def test_random_triplets_give_three_per_image_in_steps_of_128(report):
    result, text = report
    section = result.metrics["random-triplets"]
    n_train = section["dataset"]["sizes"]["train"]
    assert section["steps per epoch"] == math.ceil(n_train * 3 / 128)
    assert [row["steps"] for row in section["history"]] == [section["steps per epoch"]] * 5
    assert f"| steps per epoch | {section['steps per epoch']} |" in text


def test_every_part_records_the_share_of_zero_loss_triplets_per_epoch(report):
    result, text = report
    for part in PARTS:
        history = result.metrics[part]["history"]
        assert len(history) == 5
        assert all(0.0 <= row["zero_loss_share"] <= 1.0 for row in history)
        assert "zero_loss_share" in text
    # random triplets grow easy as the network learns: the exercise's argument for mining
    shares = [row["zero_loss_share"] for row in result.metrics["random-triplets"]["history"]]
    assert shares[-1] > shares[0]


def test_the_test_set_validates_and_test_precision_at_1_is_reported(report):
    result, text = report
    for part in PARTS:
        section = result.metrics[part]
        assert section["validation split"] == "test"
        assert all("val_precision_at_1" in row for row in section["history"])
        assert 0.0 <= section["retrieval (queries vs train)"]["test"]["precision_at_1"] <= 1.0
        names = {Path(f).name for f in result.figures[part]}
        assert {f"{part}-embeddings.png", f"{part}-history.png"} <= names  # t-SNE of train and test
    assert result.metrics["random-triplets"]["retrieval (queries vs train)"]["test"]["precision_at_1"] > 0.5
    recipe = result.metrics["batch-hard-recipe"]["components"]
    assert recipe["loss"]["params"] == {"distance": "euclidean", "margin": 0.2}
    assert recipe["model"]["params"] == {"normalize": True}


def test_without_the_files_the_run_refuses_before_writing(tmp_path, refusal):
    message = refusal(CONFIG)
    assert str(tmp_path / "empty" / "MNIST" / "raw") in message and "--stand-in" in message
