"""The data root: the one folder where dataset files are looked for and downloaded to.

``$EMBEDLAB_DATA`` when set, else ``data`` in embedlab's cache folder
(``$EMBEDLAB_CACHE_DIR``, ``$XDG_CACHE_HOME/embedlab`` or ``~/.cache/embedlab``). Its layout is
the one torchvision and MedMNIST use, so files they downloaded can be reused as they are::

    <root>/MNIST/raw/train-images-idx3-ubyte.gz         (and the three other idx files, .gz or not)
    <root>/FashionMNIST/raw/train-images-idx3-ubyte.gz
    <root>/dermamnist.npz                               (dermamnist_64.npz, _128, _224 for larger sizes)
"""

from __future__ import annotations

import os
from pathlib import Path

from embedlab.io import cache_dir

__all__ = ["DATA_ROOT_VARIABLE", "data_root", "resolve_root"]

#: The environment variable that names the data root.
DATA_ROOT_VARIABLE = "EMBEDLAB_DATA"


def data_root() -> Path:
    """The default data root: ``$EMBEDLAB_DATA``, else ``<embedlab's cache folder>/data``.

    The folder is not created here; a loader creates it only when it downloads into it.
    """
    env = os.environ.get(DATA_ROOT_VARIABLE)
    return Path(env).expanduser() if env else cache_dir() / "data"


def resolve_root(root: str | Path | None) -> Path:
    """``root`` as a path, or :func:`data_root` when it is None."""
    return data_root() if root is None else Path(root).expanduser()
