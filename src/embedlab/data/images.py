"""MNIST and Fashion-MNIST from the files people have: torchvision's idx files or a Keras ``.npz``.

- ``root`` (default: the data root, see :mod:`embedlab.data.root`) in torchvision's layout,
  ``<root>/MNIST/raw/`` or ``<root>/FashionMNIST/raw/`` holding ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each
  ``.gz`` or uncompressed (read with :func:`~embedlab.data.idx.read_idx`, not torchvision);
- ``path``: one ``.npz`` as Keras's ``mnist.npz``, with ``x_train``, ``y_train``, ``x_test``
  and ``y_test`` (uint8 images ``(N, 28, 28)``, labels ``(N,)``).

Both return float32 images scaled by 1/255, channels first, in an
:class:`~embedlab.data.base.ArrayDataset` with ``train`` (less ``val_size``), ``val`` and
``test`` splits. Nothing is downloaded unless ``download`` is set; then torchvision's
downloader fetches the idx files into ``root``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from embedlab.data.base import ArrayDataset, Split, stratified_splits
from embedlab.data.checks import checked_images, checked_labels, read_npz, scaled_images
from embedlab.data.download import attempt_download
from embedlab.data.idx import read_idx
from embedlab.data.params import MNISTParams
from embedlab.data.root import resolve_root
from embedlab.errors import ConfigError
from embedlab.params import validate_section

__all__ = ["FASHION_MNIST", "IDX_FILES", "MNIST", "ImageFiles", "load_fashion_mnist", "load_mnist"]

#: The idx files of each split, as torchvision and the original sites name them (without ``.gz``).
IDX_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_KERAS_KEYS = {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")}


@dataclass(frozen=True)
class ImageFiles:
    """What tells MNIST and Fashion-MNIST apart: names, class names and where to get the files.

    Attributes
    ----------
    name
        The dataset's registered name.
    folder
        torchvision's class, and the folder under the root (``<root>/<folder>/raw``).
    class_names
        One name per label, as torchvision gives them.
    url
        Where the four ``.gz`` idx files can be downloaded by hand.
    keras_url
        Keras's ``.npz`` of the same data, when Keras ships one.
    """

    name: str
    folder: str
    class_names: tuple[str, ...]
    url: str
    keras_url: str | None = None

    def raw_folder(self, root: Path) -> Path:
        """``<root>/<folder>/raw``, where the idx files go."""
        return root / self.folder / "raw"

    def how_to_fetch(self, root: Path) -> str:
        """The command, and the URL, that put the files where :meth:`raw_folder` looks."""
        command = f"python -c \"from torchvision.datasets import {self.folder}; {self.folder}('{root}', download=True)\""
        keras = (
            f", or pass path: Keras's {self.keras_url.rsplit('/', 1)[-1]} ({self.keras_url})"
            if self.keras_url
            else ""
        )
        return (
            f"fetch them with: {command} (or download the four .gz files from {self.url} into "
            f"{self.raw_folder(root)}; or set download: true){keras}"
        )


#: MNIST: 70,000 handwritten digits, 28x28 grey.
MNIST = ImageFiles(
    name="mnist",
    folder="MNIST",
    class_names=(
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ),
    url="https://ossci-datasets.s3.amazonaws.com/mnist/",
    keras_url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
)

#: Fashion-MNIST: 70,000 Zalando clothing images, 28x28 grey.
FASHION_MNIST = ImageFiles(
    name="fashion-mnist",
    folder="FashionMNIST",
    class_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)


def _locate(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Each idx file found in ``folder`` (uncompressed preferred, else ``.gz``), and those missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in (n for pair in IDX_FILES.values() for n in pair):
        candidates = [folder / name, folder / f"{name}.gz"]
        file = next((c for c in candidates if c.is_file()), None)
        if file is None:
            missing.append(f"{name}[.gz]")
        else:
            found[name] = file
    return found, missing


def _download(spec: ImageFiles, root: Path) -> None:
    """Fetch the idx files into ``root`` with torchvision's downloader."""
    from torchvision import datasets

    torchvision_class = getattr(datasets, spec.folder)
    attempt_download(
        spec.name,
        spec.raw_folder(root),
        lambda: torchvision_class(root=str(root), train=True, download=True),
        spec.how_to_fetch(root),
    )


def _read_idx_folder(spec: ImageFiles, root: Path, download: bool) -> tuple[dict[str, Split], str]:
    folder = spec.raw_folder(root)
    found, missing = _locate(folder)
    if missing and download:
        _download(spec, root)
        found, missing = _locate(folder)
    if missing:
        tried = "download was attempted but " if download else ""
        raise ConfigError(
            f"{spec.name}: {tried}no {', '.join(missing)} in {str(folder)!r} (data root {str(root)!r}); "
            f"{spec.how_to_fetch(root)}"
        )
    splits = {}
    for split, (images_name, labels_name) in IDX_FILES.items():
        images_file, labels_file = found[images_name], found[labels_name]
        images = checked_images(read_idx(images_file), repr(str(images_file)), ndims=(3,))
        labels = read_idx(labels_file)
        splits[split] = Split(
            images, checked_labels(labels, repr(str(labels_file)), len(spec.class_names), len(images))
        )
    return splits, f"torchvision's idx files in {folder}"


def _read_keras_npz(spec: ImageFiles, path: Path) -> tuple[dict[str, Split], str]:
    if not path.is_file():
        hint = f"; download it from {spec.keras_url}" if spec.keras_url else ""
        raise ConfigError(f"{spec.name}: path {str(path)!r} does not exist{hint}, or use root: instead")
    keys = [k for pair in _KERAS_KEYS.values() for k in pair]
    arrays = read_npz(path, keys, f"a Keras-style {spec.name} .npz ({', '.join(keys)})")
    splits = {}
    for split, (x_key, y_key) in _KERAS_KEYS.items():
        images = checked_images(arrays[x_key], f"{str(path)!r}: {x_key}", ndims=(3,))
        labels = checked_labels(arrays[y_key], f"{str(path)!r}: {y_key}", len(spec.class_names), len(images))
        splits[split] = Split(images, labels)
    return splits, str(path)


def _load(spec: ImageFiles, **given: object) -> ArrayDataset:
    params = validate_section(MNISTParams, given, f"dataset {spec.name!r}")
    if params.path is not None:
        raw, source = _read_keras_npz(spec, params.path)
    else:
        raw, source = _read_idx_folder(spec, resolve_root(params.root), params.download)
    train, test = raw["train"], raw["test"]
    splits = stratified_splits(
        scaled_images(train.X, params.flatten), train.y, params.val_size, 0.0, params.seed
    )
    splits["test"] = Split(scaled_images(test.X, params.flatten), test.y)
    return ArrayDataset(name=spec.name, splits=splits, class_names=spec.class_names, source=source)


def load_mnist(
    root: str | None = None,
    path: str | Path | None = None,
    val_size: float = 0.1,
    seed: int = 0,
    download: bool = False,
    flatten: bool = False,
) -> ArrayDataset:
    """Load MNIST: 60k training images (less ``val_size``, held out stratified) and 10k test images.

    Parameters
    ----------
    root
        Data root in torchvision's layout (``<root>/MNIST/raw/``); default
        :func:`~embedlab.data.root.data_root`.
    path
        A Keras-style ``.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``) instead of ``root``.
    val_size
        Fraction of the training images held out as ``val``.
    seed
        Seed of that split.
    download
        Fetch missing idx files into ``root`` with torchvision's downloader.
    flatten
        Return ``(N, 784)`` rows rather than ``(N, 1, 28, 28)`` images.

    Raises
    ------
    ConfigError
        Both ``root`` and ``path`` given; the files are missing (the message says what was looked
        for, where, and the command or URL that fetches it); a download failed.
    InputError
        A file is not in its format (magic number, truncated, shape, labels outside 0..9); the
        message names the file.
    """
    return _load(
        MNIST, root=root, path=path, val_size=val_size, seed=seed, download=download, flatten=flatten
    )


def load_fashion_mnist(
    root: str | None = None,
    path: str | Path | None = None,
    val_size: float = 0.1,
    seed: int = 0,
    download: bool = False,
    flatten: bool = False,
) -> ArrayDataset:
    """Load Fashion-MNIST: 60k training images (less ``val_size``) and 10k test images.

    The parameters and errors are those of :func:`load_mnist`; the folder under ``root`` is
    ``FashionMNIST/raw``.
    """
    return _load(
        FASHION_MNIST, root=root, path=path, val_size=val_size, seed=seed, download=download, flatten=flatten
    )
