"""``embedlab evaluate FILE``: a classification report and its figures from saved labels and scores.

Light at import (click only); the work is done by :func:`evaluate_file`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from embedlab.errors import InputError
from embedlab.io import safe_name
from embedlab.progress import quiet_option

if TYPE_CHECKING:
    import numpy as np

    from embedlab.metrics.classification import ClassificationReport, ScoreKind, SplitReports

__all__ = ["evaluate_command", "evaluate_file", "read_predictions"]

_LABEL_KEYS = ("y_true", "labels", "label", "target")
_SCORE_KEYS = ("y_score", "scores", "probabilities", "logits", "y_pred", "predictions")


def _array(arrays: Any, key: str, path: Path) -> Any:
    """One array of an open ``.npz``; object arrays are refused, as loading them would unpickle."""
    try:
        return arrays[key]
    except ValueError:
        raise InputError(
            f"array {key!r} of {path} holds Python objects, which embedlab does not load (that would "
            "unpickle); save it as numbers or strings, e.g. np.asarray(values, dtype=str)"
        ) from None


def _read_npz(path: Path, label_key: str | None, split_key: str) -> tuple[Any, Any, Any, list[str] | None]:
    import zipfile

    import numpy as np

    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not an archive of arrays"
        raise InputError(f"cannot read {path} as .npz: {reason}; save it with numpy.savez") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise InputError(
            f"{path} holds one array, not an .npz archive; save it with numpy.savez(labels=..., scores=...)"
        )
    with archive as arrays:
        files = set(arrays.files)
        label = label_key or next((k for k in _LABEL_KEYS if k in files), None)
        score = next((k for k in _SCORE_KEYS if k in files), None)
        if label is None or label not in files or score is None:
            raise InputError(
                f"{path} needs a labels array ({' / '.join(_LABEL_KEYS)}) and a scores array "
                f"({' / '.join(_SCORE_KEYS)}); it has {sorted(files)}"
            )
        split = _array(arrays, split_key, path).astype(str) if split_key in files else None
        names = [str(n) for n in _array(arrays, "class_names", path)] if "class_names" in files else None
        y_true, y_score = _array(arrays, label, path), _array(arrays, score, path)
        _same_kind(path, (label, y_true), (score, y_score))
        return y_true, y_score, split, names


def _cli_spelling(message: str) -> str:
    """A hint written for Python (``scores='logits'``, ``class_names``) in the CLI's spelling.

    >>> _cli_spelling("pass scores='probabilities' or 'logits', or fix class_names")
    'pass --scores probabilities or --scores logits, or fix --class-names'
    >>> _cli_spelling("array 'class_names' holds Python objects")
    "array 'class_names' holds Python objects"
    """
    message = re.sub(r"scores='(\w+)' or '(\w+)'", r"--scores \1 or --scores \2", message)
    message = re.sub(r"scores='(\w+)'", r"--scores \1", message)
    return re.sub(r"(?<!')\bclass_names\b(?!')", "--class-names", message)  # 'class_names' names an array


def _labels(path: Path, column: str, values: Any) -> Any:
    """A CSV column of labels as one kind: numbers, or text with no empty cell."""
    if values.dtype != object:
        return values
    empty = [i for i, v in enumerate(values) if not isinstance(v, str)]
    if empty:
        raise InputError(
            f"column {column!r} of {path} holds text with empty cells (rows {empty[:5]}); fill every cell"
        )
    return values.astype(str)


def _same_kind(path: Path, labels: tuple[str, Any], predictions: tuple[str, Any]) -> None:
    """Refuse labels and hard predictions of different kinds (class names against class indices).

    One column of float scores (binary probabilities) is left to the report, which names the fix.
    """
    import numpy as np

    (label_name, y_true), (score_name, y_score) = labels, predictions
    kinds = [np.asarray(v).dtype.kind for v in (y_true, y_score)]
    if np.ndim(y_score) != 1 or kinds[1] == "f":
        return
    text = [kind in "USO" for kind in kinds]
    if text[0] != text[1]:
        said = ["text" if t else "numbers" for t in text]
        raise InputError(
            f"{path}: labels {label_name!r} are {said[0]} but predictions {score_name!r} are {said[1]}; "
            "give both as class indices or both as class names"
        )


def _read_csv(path: Path, label_key: str | None, split_key: str) -> tuple[Any, Any, Any, list[str] | None]:
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else " ".join(str(exc).split())
        raise InputError(f"cannot read {path} as CSV: {reason}") from None
    label = label_key or next((k for k in _LABEL_KEYS if k in frame.columns), None)
    if label is None or label not in frame.columns:
        raise InputError(
            f"{path} needs a label column ({label_key or ' / '.join(_LABEL_KEYS)}); "
            f"its columns are {list(frame.columns)}"
        )
    if frame.empty:
        raise InputError(f"{path} has a header but no rows; add one row per sample")
    split = frame[split_key].astype(str).to_numpy() if split_key in frame.columns else None
    score_columns = [c for c in frame.columns if c not in (label, split_key)]
    if not score_columns:
        raise InputError(f"{path} has no score columns besides {label!r}; add y_pred or one column per class")
    non_numeric = [c for c in score_columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric and len(score_columns) > 1:
        raise InputError(f"score columns {non_numeric} of {path} are not numeric")
    y_true = _labels(path, label, frame[label].to_numpy())
    if len(score_columns) == 1:
        y_score = _labels(path, score_columns[0], frame[score_columns[0]].to_numpy())
        _same_kind(path, (label, y_true), (score_columns[0], y_score))
        return y_true, y_score, split, None
    return y_true, frame[score_columns].to_numpy(dtype=float), split, list(score_columns)


def read_predictions(
    path: str | Path, label_key: str | None = None, split_key: str = "split"
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str] | None]:
    """Read ``(y_true, y_score, split, class_names)`` from a ``.csv`` or ``.npz`` file.

    CSV: a label column (``y_true``, ``labels``, ``label`` or ``target``), an optional ``split``
    column, and either one column of predictions or one numeric score column per class (its
    header is the class name). NPZ: arrays ``y_true`` (or ``labels``...), ``y_score`` (or
    ``scores``, ``probabilities``, ``logits``, ``y_pred``), optional ``split`` and ``class_names``.

    Raises
    ------
    InputError
        Naming the file (and the column or array) when it cannot be read, lacks a column, holds
        object arrays or no rows, mixes class names with class indices, or has columns of
        different lengths.
    """
    import numpy as np

    file = Path(path)
    if file.is_dir():
        raise InputError(f"{str(file)!r} is a folder; give a .csv or .npz file of labels and scores")
    if not file.is_file():
        raise InputError(f"{str(file)!r} does not exist; give a .csv or .npz of labels and scores")
    readers = {".npz": _read_npz, ".csv": _read_csv}
    suffix = file.suffix.lower()
    if suffix not in readers:
        raise InputError(f"{file.name}: unknown format {suffix!r}; use a .csv or .npz file")
    y_true, y_score, split, names = readers[suffix](file, label_key, split_key)
    arrays = {"labels": y_true, "score rows": y_score, **({} if split is None else {"split values": split})}
    sizes = {what: len(np.atleast_1d(values)) for what, values in arrays.items()}
    if len(set(sizes.values())) > 1:
        counts = ", ".join(f"{n} {what}" for what, n in sizes.items())
        raise InputError(f"{file.name}: {counts}; every sample needs one of each")
    return y_true, y_score, split, names


_SPLIT_ORDER = {"train": 0, "val": 1, "validation": 1, "valid": 1, "test": 2}


def evaluate_file(
    path: str | Path,
    out: str | Path,
    *,
    scores: ScoreKind = "auto",
    class_names: list[str] | None = None,
    recall_target: float = 0.8,
    label_key: str | None = None,
    split_key: str = "split",
    formats: tuple[str, ...] = ("md", "json"),
    figures: bool = True,
) -> tuple[SplitReports, list[Path]]:
    """Evaluate a file of labels and scores; write the report and figures into ``out``.

    Rows are grouped by the split column when there is one (``train``, ``val``, ``test`` first),
    otherwise they form one split named ``all``. Split names become file names, so each must
    pass :func:`embedlab.io.safe_name`. Writes ``report.md`` and/or ``report.json``,
    and per split ``<split>-roc.png``, ``<split>-pr.png`` (when scores were given) and
    ``<split>-confusion.png``, plus ``recall.png`` for all splits.

    Returns
    -------
    tuple
        The :class:`~embedlab.metrics.classification.SplitReports` and the paths written.

    Raises
    ------
    InputError
        For a file that cannot be read, holds object arrays, no rows, labels and predictions
        of different kinds, or an unsafe split name; or an ``out`` that cannot be written.
    """
    import numpy as np

    from embedlab.metrics.classification import SplitReports, classification_report
    from embedlab.metrics.export import save_reports

    y_true, y_score, split, file_names = read_predictions(path, label_key, split_key)
    names = class_names or file_names
    if split is None:
        groups = {"all": np.arange(len(y_true))}
    else:
        ordered = sorted(np.unique(split), key=lambda s: (_SPLIT_ORDER.get(s, 3), s))
        for name in ordered:
            safe_name(str(name), f"{Path(path).name}: {split_key}")
        groups = {s: np.flatnonzero(split == s) for s in ordered}
    if names is None and np.asarray(y_score).ndim == 1:
        # hard labels in several splits: name classes from all rows so every split shares them
        classes = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_score)]))
        if np.issubdtype(classes.dtype, np.integer) and classes.min() >= 0:
            names = [str(c) for c in range(int(classes.max()) + 1)]
        elif classes.dtype.kind in "USO":  # class names as labels
            names = [str(c) for c in classes]
    by_split: dict[str, ClassificationReport] = {}
    for s, idx in groups.items():
        try:
            by_split[s] = classification_report(
                np.asarray(y_true)[idx],
                np.asarray(y_score)[idx],
                names,
                scores=scores,
                recall_target=recall_target,
            )
        except InputError as exc:  # name the file and split: the report only knows arrays
            where = Path(path).name + ("" if split is None else f", {split_key} {s!r}")
            raise InputError(f"{where}: {exc}") from None
    reports = SplitReports(by_split)
    written = save_reports(
        reports, out, title=f"Classification report: {Path(path).name}", formats=formats, figures=figures
    )
    return reports, written


@click.command("evaluate", short_help="Score a classifier from saved labels/scores.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: <FILE stem>-report beside FILE).",
)
@click.option(
    "--scores",
    type=click.Choice(["auto", "probabilities", "logits", "labels"]),
    default="auto",
    show_default=True,
    help="How to read the scores; 'logits' applies a softmax.",
)
@click.option("--class-names", help="Comma-separated class names, in label order.")
@click.option(
    "--recall-target",
    type=click.FloatRange(0, 1),
    default=0.8,
    show_default=True,
    help="Classes with recall below it are flagged.",
)
@click.option(
    "--label-column", help="Name of the labels column/array (default: y_true, labels, label, target)."
)
@click.option(
    "--split-column", default="split", show_default=True, help="Column/array naming each row's split."
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["md", "json"]),
    multiple=True,
    default=("md", "json"),
    show_default=True,
    help="Report formats (repeatable).",
)
@click.option("--no-figures", is_flag=True, help="Write only the report.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@quiet_option
def evaluate_command(
    file: Path,
    out: Path | None,
    scores: ScoreKind,
    class_names: str | None,
    recall_target: float,
    label_column: str | None,
    split_column: str,
    formats: tuple[str, ...],
    no_figures: bool,
    as_json: bool,
) -> None:
    """Evaluate a classifier from a .csv/.npz of labels and scores.

    Writes a classification report (per-class precision, recall, F1, ROC AUC, confusion
    matrix, classes below the recall target) as markdown/JSON, and ROC, PR, confusion-matrix
    and recall figures, per split when the file has a split column.
    """
    names = [n.strip() for n in class_names.split(",")] if class_names else None
    if names is not None and not all(names):
        raise InputError(
            f"--class-names {class_names!r} has an empty name; give one name per class, comma-separated"
        )
    target = out or file.with_name(f"{file.stem}-report")
    try:
        reports, written = evaluate_file(
            file,
            target,
            scores=scores,
            class_names=names,
            recall_target=recall_target,
            label_key=label_column,
            split_key=split_column,
            formats=formats,
            figures=not no_figures,
        )
    except InputError as exc:
        raise InputError(_cli_spelling(str(exc))) from None
    summary = reports.summary()[
        ["accuracy", "balanced_accuracy", "macro_f1", "roc_auc_macro", "below_target"]
    ]
    if as_json:
        click.echo(summary.to_json(orient="index", indent=2))
        return
    click.echo(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    click.echo(f"wrote {len(written)} files to {target}")
