"""Bad inputs to ``embedlab evaluate``: each one a typed error, one line, exit 2, nothing written.

Each case writes one input file into an empty folder and runs ``embedlab evaluate`` there;
the message must name the file (or the column, array or split) and no report may appear.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bad_inputs import api_error, cli_error, typed_cli_error

from embedlab.errors import InputError
from embedlab.metrics.cli import evaluate_file


def csv(**columns: list[object]) -> Callable[[Path], None]:
    """A writer of a CSV file with these columns."""
    return lambda path: pd.DataFrame(columns).to_csv(path, index=False)


def npz(**arrays: np.ndarray) -> Callable[[Path], None]:
    """A writer of an ``.npz`` file with these arrays."""
    return lambda path: np.savez(path, **arrays)


def text(content: str) -> Callable[[Path], None]:
    """A writer of a file holding ``content``."""
    return lambda path: path.write_text(content)


Y = [0, 1, 0, 1]

CASES: dict[str, tuple[str, Callable[[Path], None] | None, list[str], list[str]]] = {
    # id: (file name, writer, extra CLI arguments, text the message must name)
    "missing-file": ("missing.csv", None, [], ["missing.csv", "does not exist"]),
    "unknown-suffix": ("preds.txt", text("1,2\n"), [], ["preds.txt", "'.txt'"]),
    "header-only-csv": ("header.csv", text("y_true,y_pred\n"), [], ["header.csv", "no rows"]),
    "empty-csv": ("empty.csv", text(""), [], ["empty.csv"]),
    "no-label-column": ("nolabel.csv", csv(a=Y, b=Y), [], ["nolabel.csv", "label column"]),
    "unknown-label-column": ("p.csv", csv(y_true=Y, y_pred=Y), ["--label-column", "gold"], ["p.csv", "gold"]),
    "no-score-column": ("noscore.csv", csv(y_true=Y), [], ["noscore.csv", "score columns"]),
    "text-labels-number-predictions": (
        "mixed.csv",
        csv(y_true=["a", "b", "a", "b"], y_pred=Y),
        [],
        ["mixed.csv", "'y_true' are text", "'y_pred' are numbers"],
    ),
    "number-labels-text-predictions": (
        "mixed2.csv",
        csv(y_true=Y, y_pred=["a", "b", "a", "b"]),
        [],
        ["mixed2.csv", "'y_true' are numbers", "'y_pred' are text"],
    ),
    "mixed-cells-in-label-column": (
        "cells.csv",
        csv(y_true=[0, "a", 1, 1], y_pred=Y),
        [],
        ["cells.csv", "'y_true' are text"],
    ),
    "text-labels-with-empty-cells": (
        "holes.csv",
        csv(y_true=["a", None, "b", "a"], y_pred=["a", "b", "b", "a"]),
        [],
        ["holes.csv", "'y_true'", "empty cells"],
    ),
    "non-numeric-score-columns": (
        "scores.csv",
        csv(y_true=Y, a=[0.1, 0.2, 0.3, 0.4], b=["x", "y", "z", "w"]),
        [],
        ["scores.csv", "['b']"],
    ),
    "nan-scores": ("nan.csv", csv(y_true=Y, y_pred=[0.1, np.nan, 0.9, 0.8]), [], ["nan.csv", "NaN"]),
    "npz-object-labels": (
        "object.npz",
        npz(y_true=np.array([0, 1, "a"], dtype=object), y_score=np.array([0, 1, 1])),
        [],
        ["object.npz", "'y_true'", "Python objects"],
    ),
    "npz-object-class-names": (
        "names.npz",
        npz(y_true=np.array(Y), y_score=np.array(Y), class_names=np.array(["a", 1], dtype=object)),
        [],
        ["names.npz", "'class_names'"],
    ),
    "npz-text-labels-number-predictions": (
        "kinds.npz",
        npz(y_true=np.array(["a", "b", "a", "b"]), y_score=np.array(Y)),
        [],
        ["kinds.npz", "'y_true' are text"],
    ),
    "npz-not-an-archive": ("junk.npz", text("not a zip file"), [], ["junk.npz", "numpy.savez"]),
    "npz-no-labels": ("bare.npz", npz(something=np.zeros(3)), [], ["bare.npz", "labels array"]),
    "npz-lengths-differ": (
        "lengths.npz",
        npz(y_true=np.zeros(3, int), y_score=np.zeros(4)),
        [],
        ["lengths.npz", "3 labels", "4 score rows"],
    ),
    "npz-2d-labels": (
        "twod.npz",
        npz(y_true=np.zeros((2, 2)), y_score=np.zeros((2, 2))),
        [],
        ["twod.npz", "1-D"],
    ),
    "split-parent-path": (
        "split1.csv",
        csv(y_true=Y, y_pred=Y, split=["train", "../../evil", "train", "train"]),
        [],
        ["split1.csv", "split '../../evil'"],
    ),
    "split-absolute": (
        "split2.csv",
        csv(y_true=Y, y_pred=Y, split=["/abs", "train", "train", "train"]),
        [],
        ["split2.csv", "split '/abs'"],
    ),
    "split-slash": (
        "split3.csv",
        csv(y_true=Y, y_pred=Y, split=["a/b", "train", "train", "train"]),
        [],
        ["split3.csv", "split 'a/b'"],
    ),
    "split-dot-dot": (
        "split4.csv",
        csv(y_true=Y, y_pred=Y, part=["..", "..", "test", "test"]),
        ["--split-column", "part"],
        ["split4.csv", "part '..'"],
    ),
    "empty-class-name": (
        "p.csv",
        csv(y_true=Y, y_pred=Y),
        ["--class-names", "a,,b"],
        ["--class-names", "'a,,b'"],
    ),
    "out-under-a-file": ("p.csv", csv(y_true=Y, y_pred=Y), ["--out", "taken/report"], ["'taken' is a file"]),
}


def prepare(folder: Path, name: str, writer: Callable[[Path], None] | str | None) -> None:
    """Write the input file (or make a folder of that name), and a file ``taken`` in the way of outputs."""
    if writer == "folder":
        (folder / name).mkdir()
    elif writer is not None:
        writer(folder / name)
    (folder / "taken").write_text("a file, not a folder")


@pytest.mark.parametrize(("name", "writer", "extra", "named"), CASES.values(), ids=CASES.keys())
def test_bad_evaluate_input(
    tmp_path: Path,
    name: str,
    writer: Callable[[Path], None] | None,
    extra: list[str],
    named: list[str],
) -> None:
    prepare(tmp_path, name, writer)
    typed_cli_error(InputError, ["evaluate", name, *extra], tmp_path, named)


CLICK_CASES = {
    "file-is-a-folder": ("folder.csv", "folder", [], ["folder.csv", "directory"]),
    "out-is-a-file": ("p.csv", csv(y_true=Y, y_pred=Y), ["--out", "taken"], ["taken", "is a file"]),
}


@pytest.mark.parametrize(("name", "writer", "extra", "named"), CLICK_CASES.values(), ids=CLICK_CASES.keys())
def test_bad_evaluate_path_is_a_usage_error(
    tmp_path: Path, name: str, writer: Callable[[Path], None] | str, extra: list[str], named: list[str]
) -> None:
    """Paths that click's own checks refuse, before embedlab runs: one ``Error:`` line, exit 2."""
    prepare(tmp_path, name, writer)
    cli_error(["evaluate", name, *extra], tmp_path, named)


def test_evaluate_file_api_raises_the_same_typed_error(tmp_path: Path) -> None:
    csv(y_true=Y, y_pred=Y, split=["../../evil", "train", "train", "train"])(tmp_path / "p.csv")
    api_error(
        lambda: evaluate_file(tmp_path / "p.csv", tmp_path / "out"), InputError, "'../../evil'", tmp_path
    )
