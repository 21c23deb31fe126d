"""Checking class labels the way scikit-learn's ``type_of_target`` reads them.

Labels are integers, whole-number floats (``1.0``: read from a CSV, say), booleans or strings.
Floats that are not whole numbers are *continuous* targets, not classes, and are refused
rather than truncated; so are NaN, complex values, 2-D arrays and arrays that mix strings
with numbers (or hold ``None``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from embedlab.errors import InputError

__all__ = ["check_labels", "check_same_label_type"]


def _type_name(kind: type) -> str:
    if issubclass(kind, str | np.str_ | bytes):
        return "str"
    if issubclass(kind, bool | np.bool_ | numbers.Integral):
        return "int"
    if issubclass(kind, numbers.Real):
        return "float"
    return kind.__name__


def _from_objects(values: np.ndarray, name: str) -> np.ndarray:
    """A typed array from an object array (or a list numpy turned into strings), refusing mixes."""
    kinds = {_type_name(k) for k in set(map(type, values.ravel().tolist()))}
    if kinds <= {"str"}:
        return values.astype(str)
    if kinds <= {"int"}:
        return values.astype(np.int64)
    if kinds <= {"int", "float"}:
        return values.astype(np.float64)
    raise InputError(
        f"{name} mixes label types ({', '.join(sorted(kinds))}); class labels must all be integers "
        "or all be strings (scikit-learn refuses a mix too): convert them to one type"
    )


def check_labels(values: Any, name: str, *, strings: bool = True) -> np.ndarray:
    """Return 1-D class labels as an int64 array, or a str array for string labels.

    Parameters
    ----------
    values
        A list, numpy array, pandas Series or torch tensor of labels.
    name
        The argument's name, for error messages.
    strings
        Whether string labels are accepted.

    Raises
    ------
    InputError
        Naming ``name``, for labels that are not 1-D, hold NaN or infinite values, floats that
        are not whole numbers, complex values, mixed types, or strings where numbers are needed.
    """
    if hasattr(values, "detach"):  # a torch tensor, without importing torch
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.dtype.kind in "USO" and not isinstance(values, np.ndarray | str):
        array = np.asarray(values, dtype=object)  # numpy would turn [0, "a"] into ["0", "a"]
    if array.ndim != 1:
        raise InputError(
            f"{name} must be a 1-D array of class labels, one per sample; got shape {array.shape}"
        )
    if array.dtype.kind == "O":
        array = _from_objects(array, name)
    if array.dtype.kind in "US":
        if not strings:
            raise InputError(
                f"{name} holds strings ({str(array[0])!r}, ...) but integer class labels are needed; "
                f"encode them, e.g. np.unique({name}, return_inverse=True)[1]"
            )
        return array.astype(str)
    if array.dtype.kind in "biu":
        return array.astype(np.int64)
    if array.dtype.kind != "f":
        raise InputError(f"{name} must hold integer class labels; got values of dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise InputError(f"{name} holds NaN or infinite values; class labels must be integers")
    fractional = array[array != np.round(array)]
    if fractional.size:
        raise InputError(
            f"{name} holds floats that are not whole numbers (e.g. {fractional[0]:g}), which scikit-learn "
            "reads as a continuous target, not classes; give integer class labels (1.0 and 2.0 are fine)"
        )
    return array.astype(np.int64)


def check_same_label_type(first: np.ndarray, first_name: str, second: np.ndarray, second_name: str) -> None:
    """Refuse string labels in one array and numbers in the other (``"1"`` never equals ``1``).

    Raises
    ------
    InputError
        Naming both arguments.
    """
    if (first.dtype.kind == "U") != (second.dtype.kind == "U"):
        kinds = {
            n: "strings" if a.dtype.kind == "U" else "numbers"
            for n, a in ((first_name, first), (second_name, second))
        }
        raise InputError(
            f"{first_name} holds {kinds[first_name]} but {second_name} holds {kinds[second_name]}; "
            "give both the same kind of class label"
        )
