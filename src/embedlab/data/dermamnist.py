"""DermaMNIST (HAM10000 skin lesions, 7 imbalanced classes) from MedMNIST's ``.npz``.

The file is read from ``path``, or from the data root (:mod:`embedlab.data.root`) as MedMNIST
names it: ``dermamnist.npz`` for 28x28 images, ``dermamnist_<size>.npz`` for 64, 128 and 224.
It holds ``train_images``, ``train_labels``, ``val_images``, ``val_labels``, ``test_images``
and ``test_labels``: uint8 images ``(N, H, W, 3)``, labels ``(N, 1)``; the official splits
have 7,007, 1,003 and 2,005 images. ``download`` fetches the file through the ``medmnist``
package, an optional extra: ``pip install 'embedlab[medmnist]'``.
"""

from __future__ import annotations

from pathlib import Path

from embedlab.data.base import ArrayDataset, Split
from embedlab.data.checks import checked_images, checked_labels, read_npz, scaled_images
from embedlab.data.download import attempt_download
from embedlab.data.params import DermaMNISTParams
from embedlab.data.root import resolve_root
from embedlab.errors import ConfigError, InputError
from embedlab.params import validate_section

__all__ = ["DERMAMNIST_CLASSES", "DERMAMNIST_SPLITS", "dermamnist_file", "dermamnist_url", "load_dermamnist"]

#: DermaMNIST (HAM10000) classes, by label: short code and name.
DERMAMNIST_CLASSES: tuple[str, ...] = (
    "akiec (actinic keratoses)",
    "bcc (basal cell carcinoma)",
    "bkl (benign keratosis-like lesions)",
    "df (dermatofibroma)",
    "mel (melanoma)",
    "nv (melanocytic nevi)",
    "vasc (vascular lesions)",
)

#: The splits of MedMNIST's file, in order.
DERMAMNIST_SPLITS: tuple[str, ...] = ("train", "val", "test")

_INSTALL = "pip install 'embedlab[medmnist]'"


def dermamnist_file(size: int = 28) -> str:
    """MedMNIST's file name for images of side ``size``: ``dermamnist.npz`` or ``dermamnist_<size>.npz``."""
    return "dermamnist.npz" if size == 28 else f"dermamnist_{size}.npz"


def dermamnist_url(size: int = 28) -> str:
    """Where MedMNIST publishes :func:`dermamnist_file` (Zenodo record 10519652)."""
    return f"https://zenodo.org/records/10519652/files/{dermamnist_file(size)}?download=1"


def _download(root: Path, size: int) -> None:
    """Fetch the file into ``root`` through the optional ``medmnist`` package."""
    how = f"download {dermamnist_url(size)} into {str(root)!r}"
    try:
        import medmnist
    except ImportError:
        raise ConfigError(
            f"dermamnist: download: true needs the medmnist package, which is not installed; "
            f"run {_INSTALL}, or {how}"
        ) from None
    root.mkdir(parents=True, exist_ok=True)  # medmnist refuses a root that does not exist
    attempt_download(
        "dermamnist",
        root,
        lambda: medmnist.DermaMNIST(split="train", download=True, root=str(root), size=size),
        how,
    )


def _file(params: DermaMNISTParams) -> Path:
    """The file to read, downloaded first when asked; a clear error when it is missing."""
    size = params.size
    if params.path is not None:
        if not params.path.is_file():
            raise ConfigError(
                f"dermamnist: path {str(params.path)!r} does not exist; download {dermamnist_url(size)} "
                "and pass its path, or use root: (the data root) with download: true"
            )
        return params.path
    root = resolve_root(params.root)
    file = root / dermamnist_file(size)
    if not file.is_file() and params.download:
        _download(root, size)
    if not file.is_file():
        tried = "download was attempted but " if params.download else ""
        raise ConfigError(
            f"dermamnist: {tried}no {dermamnist_file(size)} in data root {str(root)!r}; download "
            f"{dermamnist_url(size)} into it, or set download: true (needs {_INSTALL})"
        )
    return file


def load_dermamnist(
    path: str | Path | None = None,
    root: str | None = None,
    size: int = 28,
    download: bool = False,
    flatten: bool = False,
) -> ArrayDataset:
    """Read DermaMNIST from MedMNIST's ``.npz``, with its official train / val / test splits.

    Images are returned as float32 ``(N, 3, H, W)`` scaled to [0, 1].

    Parameters
    ----------
    path
        The ``.npz``; default ``<root>/dermamnist.npz`` (``dermamnist_<size>.npz``).
    root
        Data root; default :func:`~embedlab.data.root.data_root`.
    size
        Image side: 28, 64, 128 or 224.
    download
        Fetch the file into ``root`` through the ``medmnist`` package when it is missing.
    flatten
        Return ``(N, C*H*W)`` rows rather than images.

    Raises
    ------
    ConfigError
        Both ``path`` and ``root``; the file is missing (the message says where it was looked
        for and the URL that fetches it); ``medmnist`` is not installed for ``download``; a
        download failed.
    InputError
        The file is not MedMNIST's: missing arrays, wrong shapes, labels outside 0..6; the
        message names the file.
    """
    params = validate_section(
        DermaMNISTParams,
        {"path": path, "root": root, "size": size, "download": download, "flatten": flatten},
        "dataset 'dermamnist'",
    )
    file = _file(params)
    keys = [f"{split}_{kind}" for split in DERMAMNIST_SPLITS for kind in ("images", "labels")]
    arrays = read_npz(file, keys, "a MedMNIST file (" + ", ".join(keys) + ")")
    splits: dict[str, Split] = {}
    for split in DERMAMNIST_SPLITS:
        where = f"{str(file)!r}: {split}_images"
        images = checked_images(arrays[f"{split}_images"], where, ndims=(3, 4))
        if images.ndim == 4 and images.shape[-1] not in (1, 3):
            raise InputError(
                f"{where} has shape {images.shape}; expected (N, H, W, 3) colour or (N, H, W) grey images"
            )
        labels = checked_labels(
            arrays[f"{split}_labels"], f"{str(file)!r}: {split}_labels", len(DERMAMNIST_CLASSES), len(images)
        )
        splits[split] = Split(scaled_images(images, params.flatten), labels)
    return ArrayDataset(name="dermamnist", splits=splits, class_names=DERMAMNIST_CLASSES, source=str(file))
