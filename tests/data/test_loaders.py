"""The real-file loaders, on small files written here in each real format.

idx (``.gz`` and uncompressed, in torchvision's layout under a data root), Keras's ``.npz`` and
MedMNIST's ``.npz``: labels and shapes must match what was written; a missing file, a wrong
file, a wrong shape or a label out of range is a typed one-line error naming the file.
"""

from __future__ import annotations

import gzip
import json
import struct
import sys
import types
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import yaml
from bad_inputs import api_error, typed_cli_error

import embedlab
from embedlab.data.dermamnist import load_dermamnist
from embedlab.data.idx import read_idx
from embedlab.data.root import data_root
from embedlab.errors import ConfigError, InputError

IDX = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` in the idx format (uint8 values)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(file: Path, array: np.ndarray) -> Path:
    """Write ``array`` as an idx file, gzip-compressed when ``file`` ends in ``.gz``."""
    file.parent.mkdir(parents=True, exist_ok=True)
    data = idx_bytes(array)
    file.write_bytes(gzip.compress(data) if file.suffix == ".gz" else data)
    return file


def mnist_arrays(
    n_train: int = 100, n_test: int = 20, seed: int = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Random uint8 images and labels 0..9 (each digit present in every split)."""
    rng = np.random.default_rng(seed)
    return {
        split: (
            rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.permutation(np.arange(n) % 10).astype(np.uint8),
        )
        for split, n in (("train", n_train), ("test", n_test))
    }


def torchvision_root(root: Path, folder: str, arrays: dict, gz: bool) -> Path:
    """Write ``arrays`` as torchvision's four idx files under ``<root>/<folder>/raw``."""
    raw = root / folder / "raw"
    suffix = ".gz" if gz else ""
    for split, (images_name, labels_name) in IDX.items():
        images, labels = arrays[split]
        write_idx(raw / f"{images_name}{suffix}", images)
        write_idx(raw / f"{labels_name}{suffix}", labels)
    return root


def check_matches(ds: embedlab.data.ArrayDataset, arrays: dict, val_size: float) -> None:
    """The dataset holds exactly the images and labels written, scaled by 1/255."""
    images, labels = arrays["test"]
    np.testing.assert_array_equal(ds["test"].y, labels)
    np.testing.assert_allclose(ds["test"].X[:, 0], images / 255.0, rtol=1e-6)
    assert ds["test"].X.shape == (len(labels), 1, 28, 28) and ds["test"].X.dtype == np.float32
    train_images, train_labels = arrays["train"]
    assert len(ds["train"]) + len(ds["val"]) == len(train_labels)
    assert len(ds["val"]) == round(val_size * len(train_labels))
    both = np.concatenate([ds["train"].y, ds["val"].y])
    assert np.bincount(both).tolist() == np.bincount(train_labels).tolist()
    # each training image keeps its own label through the stratified split
    pixels = {img.tobytes(): int(lab) for img, lab in zip(train_images, train_labels, strict=True)}
    for split in ("train", "val"):
        for x, y in zip(ds[split].X[:, 0], ds[split].y, strict=True):
            assert pixels[np.rint(x * 255).astype(np.uint8).tobytes()] == y


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``EMBEDLAB_DATA`` pointed at an empty folder, so no test reads or writes the real data root."""
    home = tmp_path / "data-root"
    monkeypatch.setenv("EMBEDLAB_DATA", str(home))
    return home


@pytest.mark.parametrize("gz", [True, False], ids=["idx-gz", "idx-raw"])
@pytest.mark.parametrize(("name", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_torchvision_layout_gz_or_raw(tmp_path, name, folder, gz):
    arrays = mnist_arrays()
    root = torchvision_root(tmp_path, folder, arrays, gz)
    ds = embedlab.create("dataset", name, root=str(root), val_size=0.2)
    check_matches(ds, arrays, 0.2)
    assert ds.num_classes == 10 and ds.source == f"torchvision's idx files in {root / folder / 'raw'}"
    assert embedlab.create("dataset", name, root=str(root), flatten=True)["test"].X.shape == (20, 784)


def test_gz_and_raw_files_can_be_mixed(tmp_path):
    arrays = mnist_arrays()
    root = torchvision_root(tmp_path, "MNIST", arrays, gz=True)
    raw = root / "MNIST" / "raw"
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    write_idx(raw / "t10k-labels-idx1-ubyte", arrays["test"][1])
    check_matches(embedlab.create("dataset", "mnist", root=str(root), val_size=0.2), arrays, 0.2)


def test_default_root_is_embedlab_data(data_home):
    arrays = mnist_arrays(seed=1)
    torchvision_root(data_home, "FashionMNIST", arrays, gz=True)
    assert data_root() == data_home
    ds = embedlab.create("dataset", "fashion-mnist", val_size=0.2)
    check_matches(ds, arrays, 0.2)
    assert ds.class_names[0] == "T-shirt/top"


def test_default_root_without_embedlab_data_is_the_user_cache(tmp_path, monkeypatch):
    for var in ("EMBEDLAB_DATA", "EMBEDLAB_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_root() == tmp_path / "embedlab" / "data"


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_keras_npz(tmp_path, name):
    arrays = mnist_arrays(seed=2)
    path = tmp_path / "mnist.npz"
    (x_train, y_train), (x_test, y_test) = arrays["train"], arrays["test"]
    np.savez(path, x_train=x_train, y_train=y_train.astype(np.int64), x_test=x_test, y_test=y_test)
    ds = embedlab.create("dataset", name, path=str(path), val_size=0.2)
    check_matches(ds, arrays, 0.2)
    assert ds.source == str(path)


def test_root_and_path_together_are_refused(tmp_path):
    api_error(
        lambda: embedlab.create("dataset", "mnist", root=str(tmp_path), path=str(tmp_path / "x.npz")),
        ConfigError,
        ["root or path, not both"],
    )


def test_missing_files_offline_say_what_where_and_how(data_home, tmp_path):
    error = api_error(lambda: embedlab.create("dataset", "mnist"), ConfigError, [], cwd=tmp_path)
    message = str(error)
    raw = data_home / "MNIST" / "raw"
    for text in (
        "train-images-idx3-ubyte[.gz]",
        "t10k-labels-idx1-ubyte[.gz]",
        repr(str(raw)),
        f"MNIST('{data_home}', download=True)",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "mnist.npz",
    ):
        assert text in message, text
    assert "\n" not in message and "attempted" not in message


def test_missing_files_at_the_command_line_are_one_line(tmp_path):
    config = {
        "name": "m",
        "task": "metric-learning",
        "dataset": {"name": "fashion-mnist", "params": {"root": "data"}},
        "train": {"epochs": 1},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    typed_cli_error(
        ConfigError,
        ["run", "config.yaml", "--out", "runs"],
        tmp_path,
        ["fashion-mnist", "train-images-idx3-ubyte[.gz]", "FashionMNIST('data', download=True)"],
        allowed=["runs"],
    )


def test_failed_download_says_it_was_attempted(tmp_path, monkeypatch):
    def offline(url, *args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", offline)
    error = api_error(
        lambda: embedlab.create("dataset", "mnist", root=str(tmp_path), download=True),
        ConfigError,
        ["download into", "was attempted and failed", "https://ossci-datasets.s3.amazonaws.com/mnist/"],
    )
    assert "pass download" not in str(error) and "\n" not in str(error)


def test_download_fetches_into_the_root(tmp_path, monkeypatch):
    arrays = mnist_arrays()

    def fake_download(url, download_root, filename, md5):
        name = filename.removesuffix(".gz")
        split = "train" if name.startswith("train") else "test"
        write_idx(Path(download_root) / name, arrays[split][0 if "images" in name else 1])

    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", fake_download)
    monkeypatch.setattr(
        "torchvision.datasets.mnist.check_integrity", lambda path, md5=None: Path(path).is_file()
    )
    ds = embedlab.create("dataset", "mnist", root=str(tmp_path), download=True, val_size=0.2)
    check_matches(ds, arrays, 0.2)


# --- wrong files: each a typed error naming the file -------------------------------------------


def test_idx_bad_magic_truncated_and_corrupt(tmp_path):
    arrays = mnist_arrays()
    good = idx_bytes(arrays["test"][0])
    (tmp_path / "magic").write_bytes(b"\x01\x02" + good[2:])
    api_error(
        lambda: read_idx(tmp_path / "magic"),
        InputError,
        ["magic", "not an idx file", str(tmp_path / "magic")],
    )
    (tmp_path / "cut").write_bytes(good[:-100])
    api_error(lambda: read_idx(tmp_path / "cut"), InputError, ["truncated", str(tmp_path / "cut")])
    (tmp_path / "cut.gz").write_bytes(gzip.compress(good)[:-50])
    api_error(lambda: read_idx(tmp_path / "cut.gz"), InputError, ["cannot be read", str(tmp_path / "cut.gz")])
    (tmp_path / "header").write_bytes(good[:9])
    api_error(
        lambda: read_idx(tmp_path / "header"), InputError, ["inside its header", str(tmp_path / "header")]
    )


def test_idx_reader_agrees_with_torchvisions(tmp_path):
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    images, labels = mnist_arrays()["test"]
    for array in (images, labels):
        file = write_idx(tmp_path / f"a{array.ndim}", array)
        np.testing.assert_array_equal(read_idx(file), read_sn3_pascalvincent_tensor(str(file)).numpy())


def test_idx_reads_other_value_types_big_endian(tmp_path):
    values = (np.arange(12).reshape(3, 4) - 6).astype(">i2")
    header = struct.pack(">BBBB", 0, 0, 0x0B, 2) + struct.pack(">2I", 3, 4)
    (tmp_path / "short").write_bytes(header + values.tobytes())
    np.testing.assert_array_equal(read_idx(tmp_path / "short"), values)


def _broken_root(tmp_path: Path, file: str, array: np.ndarray) -> Path:
    root = torchvision_root(tmp_path, "MNIST", mnist_arrays(), gz=True)
    (root / "MNIST" / "raw" / f"{file}.gz").unlink()
    return write_idx(root / "MNIST" / "raw" / file, array)


@pytest.mark.parametrize(
    ("file", "array", "named"),
    [
        ("t10k-images-idx3-ubyte", np.zeros(20, np.uint8), "expected images with 3 dimensions"),
        ("t10k-labels-idx1-ubyte", np.full(20, 10, np.uint8), "label 10, outside 0..9"),
        ("train-labels-idx1-ubyte", np.zeros(99, np.uint8), "99 labels for 100 images"),
    ],
    ids=["labels-as-images", "label-out-of-range", "count-mismatch"],
)
def test_wrong_idx_content_names_the_file(tmp_path, file, array, named):
    bad = _broken_root(tmp_path, file, array)
    api_error(lambda: embedlab.create("dataset", "mnist", root=str(tmp_path)), InputError, [named, str(bad)])


def _keras(path: Path, **changes: np.ndarray) -> Path:
    arrays = mnist_arrays()
    data = {
        "x_train": arrays["train"][0],
        "y_train": arrays["train"][1],
        "x_test": arrays["test"][0],
        "y_test": arrays["test"][1],
    }
    np.savez(path, **{**data, **changes})
    return path


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"x_train": np.zeros((100, 784), np.uint8)}, "x_train has shape (100, 784)"),
        ({"x_test": np.zeros((20, 28, 28), np.float32)}, "x_test holds float32 values"),
        ({"y_test": np.full(20, -1)}, "y_test holds label -1"),
        ({"y_train": np.zeros((100, 2), np.int64)}, "y_train has shape (100, 2)"),
        ({"y_test": np.zeros(3, np.int64)}, "y_test has 3 labels for 20 images"),
    ],
    ids=["flat-images", "float-images", "negative-label", "label-shape", "label-count"],
)
def test_wrong_keras_npz_names_the_file_and_array(tmp_path, changes, named):
    path = _keras(tmp_path / "mnist.npz", **changes)
    api_error(lambda: embedlab.create("dataset", "mnist", path=str(path)), InputError, [named, str(path)])


def test_a_wrong_file_at_the_command_line_is_one_line(tmp_path):
    _keras(tmp_path / "mnist.npz", y_test=np.full(20, 12))
    config = {
        "name": "m",
        "task": "metric-learning",
        "dataset": {"name": "mnist", "params": {"path": "mnist.npz"}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    typed_cli_error(
        InputError,
        ["run", "config.yaml", "--out", "runs"],
        tmp_path,
        ["'mnist.npz': y_test holds label 12, outside 0..9"],
        allowed=["runs"],
    )


def test_not_a_keras_npz(tmp_path):
    np.savez(tmp_path / "other.npz", images=np.zeros(3))
    api_error(
        lambda: embedlab.create("dataset", "mnist", path=str(tmp_path / "other.npz")),
        InputError,
        ["no x_train, y_train, x_test, y_test arrays", "found images", str(tmp_path / "other.npz")],
    )
    (tmp_path / "text.npz").write_text("not a zip")
    api_error(
        lambda: embedlab.create("dataset", "mnist", path=str(tmp_path / "text.npz")),
        InputError,
        ["cannot be read as a Keras-style mnist .npz", str(tmp_path / "text.npz")],
    )
    np.save(tmp_path / "single.npy", np.zeros(3))
    api_error(
        lambda: embedlab.create("dataset", "mnist", path=str(tmp_path / "single.npy")),
        InputError,
        ["not an .npz archive", str(tmp_path / "single.npy")],
    )
    api_error(
        lambda: embedlab.create("dataset", "mnist", path=str(tmp_path / "absent.npz")),
        ConfigError,
        ["does not exist", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"],
    )


# --- DermaMNIST: MedMNIST's .npz ---------------------------------------------------------------

DERMA_SIZES = {"train": 21, "val": 7, "test": 14}


def derma_arrays(side: int = 28, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in DERMA_SIZES.items():
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, side, side, 3), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % 7).reshape(n, 1).astype(np.uint8)
    return arrays


def test_dermamnist_from_a_path(tmp_path):
    arrays = derma_arrays()
    path = tmp_path / "derma.npz"
    np.savez(path, **arrays)
    ds = embedlab.create("dataset", "dermamnist", path=str(path))
    assert ds.num_classes == 7 and ds.input_shape == (3, 28, 28) and ds.source == str(path)
    for split, n in DERMA_SIZES.items():
        assert len(ds[split]) == n
        np.testing.assert_array_equal(ds[split].y, arrays[f"{split}_labels"].ravel())
    assert ds["train"].X[0, 2, 5, 7] == pytest.approx(arrays["train_images"][0, 5, 7, 2] / 255)
    assert load_dermamnist(path, flatten=True).input_shape == (3 * 28 * 28,)


def test_dermamnist_from_the_data_root_by_size(data_home):
    data_home.mkdir()
    np.savez(data_home / "dermamnist.npz", **derma_arrays())
    np.savez(data_home / "dermamnist_64.npz", **derma_arrays(side=64))
    assert embedlab.create("dataset", "dermamnist").source == str(data_home / "dermamnist.npz")
    assert embedlab.create("dataset", "dermamnist", size=64).input_shape == (3, 64, 64)


def test_dermamnist_missing_offline(data_home, tmp_path):
    api_error(
        lambda: embedlab.create("dataset", "dermamnist", size=128),
        ConfigError,
        [
            "no dermamnist_128.npz",
            repr(str(data_home)),
            "https://zenodo.org/records/10519652/files/dermamnist_128.npz?download=1",
            "pip install 'embedlab[medmnist]'",
        ],
        cwd=tmp_path,
    )


def test_dermamnist_download_without_medmnist_names_the_extra(data_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "medmnist", None)  # as if not installed
    api_error(
        lambda: embedlab.create("dataset", "dermamnist", download=True),
        ConfigError,
        ["needs the medmnist package", "pip install 'embedlab[medmnist]'", "dermamnist.npz?download=1"],
    )


def _fake_medmnist(monkeypatch, fetch) -> None:
    module = types.ModuleType("medmnist")

    class DermaMNIST:
        def __init__(self, split, download, root, size):
            assert Path(root).is_dir()  # medmnist refuses a missing root
            fetch(Path(root), size)

    module.DermaMNIST = DermaMNIST
    monkeypatch.setitem(sys.modules, "medmnist", module)


def test_dermamnist_download_through_medmnist(data_home, monkeypatch):
    _fake_medmnist(
        monkeypatch, lambda root, size: np.savez(root / f"dermamnist_{size}.npz", **derma_arrays(side=size))
    )
    ds = embedlab.create("dataset", "dermamnist", download=True, size=64)
    assert ds.source == str(data_home / "dermamnist_64.npz") and len(ds["test"]) == 14


def test_dermamnist_failed_download(data_home, monkeypatch):
    def offline(root, size):
        raise URLError("no network")

    _fake_medmnist(monkeypatch, offline)
    api_error(
        lambda: embedlab.create("dataset", "dermamnist", download=True),
        ConfigError,
        ["dermamnist: download into", "was attempted and failed", "URLError"],
    )


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"val_images": np.zeros((7, 28, 28, 5), np.uint8)}, "val_images has shape (7, 28, 28, 5)"),
        ({"test_images": np.zeros((14, 784), np.uint8)}, "test_images has shape (14, 784)"),
        ({"train_labels": np.full((21, 1), 7)}, "train_labels holds label 7, outside 0..6"),
        ({"val_labels": np.zeros((6, 1), np.int64)}, "val_labels has 6 labels for 7 images"),
    ],
    ids=["channels", "flat", "label-range", "label-count"],
)
def test_wrong_medmnist_npz_names_the_file_and_array(tmp_path, changes, named):
    path = tmp_path / "dermamnist.npz"
    np.savez(path, **{**derma_arrays(), **changes})
    api_error(lambda: load_dermamnist(path), InputError, [named, str(path)])


def test_not_a_medmnist_file(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    api_error(
        lambda: load_dermamnist(tmp_path / "other.npz"), InputError, ["not a MedMNIST file", "other.npz"]
    )
    api_error(
        lambda: load_dermamnist(tmp_path / "missing.npz"), ConfigError, ["does not exist", "missing.npz"]
    )


def test_descriptions_are_json_safe(tmp_path):
    np.savez(tmp_path / "d.npz", **derma_arrays())
    description = load_dermamnist(tmp_path / "d.npz").describe()
    data = json.loads(json.dumps(description.model_dump(mode="json")))
    assert data["sizes"] == DERMA_SIZES and data["class_counts"]["val"] == [1] * 7
