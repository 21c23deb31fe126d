"""The idx file format of MNIST and Fashion-MNIST, read with numpy (``.gz`` or uncompressed).

An idx file is a big-endian header, then the data: two zero bytes, a type code (``0x08``
unsigned byte, ``0x09`` signed byte, ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32,
``0x0E`` float64), the number of dimensions, one uint32 per dimension, then the values in
C order. MNIST's images are ``idx3`` (magic 2051: count, rows, columns) and its labels
``idx1`` (magic 2049: count).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from embedlab.errors import InputError

__all__ = ["read_idx"]

_DTYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(file: Path) -> bytes:
    try:
        if file.suffix == ".gz":
            with gzip.open(file, "rb") as fh:
                return fh.read()
        return file.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"idx file {str(file)!r} cannot be read ({type(exc).__name__}: {exc}); download it again"
        ) from None


def read_idx(path: str | Path) -> np.ndarray:
    """Read one idx file (gzip-compressed when its name ends in ``.gz``) into an array.

    Parameters
    ----------
    path
        The file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        The values, with the shape the header gives, in native byte order.

    Raises
    ------
    InputError
        Naming the file: it cannot be read or decompressed, its magic number is not an idx one,
        or it holds fewer or more values than its header says (a truncated download).
    """
    file = Path(path)
    raw = _read_bytes(file)
    if len(raw) < 4 or raw[0] or raw[1] or raw[2] not in _DTYPES or not raw[3]:
        raise InputError(
            f"{str(file)!r} is not an idx file: its magic number is {raw[:4].hex() or 'missing'}, "
            "expected 0000 then a type code and a dimension count (00000803 for images, 00000801 for "
            "labels); check the file name and download it again"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(
            f"idx file {str(file)!r} is truncated inside its header ({len(raw)} bytes); download it again"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise InputError(
            f"idx file {str(file)!r} holds {len(raw) - header} bytes of data but its header "
            f"(shape {tuple(dims)}) says {expected}: it is truncated or corrupt; download it again"
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return values.astype(dtype.newbyteorder("="))
