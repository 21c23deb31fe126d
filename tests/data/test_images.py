import struct

import numpy as np
import pytest

import embedlab
from embedlab.errors import ConfigError


def write_idx(folder, prefix, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    n, h, w = images.shape
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 2051, n, h, w) + images.tobytes()
    )
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())


def fake_torchvision_root(tmp_path, folder_name, n_train=200, n_test=50):
    rng = np.random.default_rng(0)
    raw = tmp_path / folder_name / "raw"
    write_idx(
        raw,
        "train",
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        (np.arange(n_train) % 10).astype(np.uint8),
    )
    write_idx(
        raw,
        "t10k",
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        (np.arange(n_test) % 10).astype(np.uint8),
    )
    return tmp_path


@pytest.mark.parametrize(("name", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_torchvision_loaders_read_local_files_scaled_by_255(tmp_path, name, folder):
    root = fake_torchvision_root(tmp_path, folder)
    ds = embedlab.create("dataset", name, root=str(root), val_size=0.2)
    assert set(ds.splits) == {"train", "val", "test"}
    assert len(ds["train"]) == 160 and len(ds["val"]) == 40 and len(ds["test"]) == 50
    X = ds["train"].X
    assert X.shape[1:] == (1, 28, 28) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0 and X.max() > 0.9
    raw = np.frombuffer((root / folder / "raw" / "t10k-images-idx3-ubyte").read_bytes()[16:], dtype=np.uint8)
    assert np.allclose(ds["test"].X.reshape(-1), raw / 255.0)
    assert ds.num_classes == 10
    assert np.bincount(ds["val"].y).tolist() == [4] * 10  # stratified


def test_flatten(tmp_path):
    root = fake_torchvision_root(tmp_path, "MNIST")
    assert embedlab.create("dataset", "mnist", root=str(root), flatten=True)["test"].X.shape == (50, 784)


def test_missing_files_do_not_download_and_say_how_to_fix(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr("torchvision.datasets.utils.download_and_extract_archive", no_network)
    with pytest.raises(ConfigError, match="download=True"):
        embedlab.create("dataset", "mnist", root=str(tmp_path))
    assert not (tmp_path / "MNIST").exists() or not any((tmp_path / "MNIST").rglob("*ubyte*"))


def test_registered_with_digits():
    names = {p.name for p in embedlab.plugins("dataset")}
    assert {"digits", "mnist", "fashion-mnist", "dermamnist"} <= names
