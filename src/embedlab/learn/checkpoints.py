"""Trainer checkpoints: atomic writes, safe loading, and checks that a file fits the run it resumes.

Both :class:`~embedlab.learn.trainer.Trainer` and
:func:`~embedlab.learn.classifier.train_classifier` write ``last.pt`` after every epoch through
:func:`save_checkpoint` (a temp file, then a rename) and resume through :func:`read_checkpoint`,
which loads with ``weights_only=True`` and turns every kind of bad file into a
:class:`~embedlab.errors.CheckpointError` naming the file and the fix.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from embedlab.errors import CheckpointError, ConfigError
from embedlab.io import atomic_path

__all__ = [
    "CHECKPOINT",
    "CHECKPOINT_FIX",
    "check_model_state",
    "check_optimizer_state",
    "checkpoint_to_resume",
    "read_checkpoint",
    "save_checkpoint",
]

#: The file name of the checkpoint a trainer writes into its ``checkpoint_dir``.
CHECKPOINT = "last.pt"

CHECKPOINT_FIX = "delete the file to start from epoch 1, or run without resuming (no --resume, resume=False)"


def read_checkpoint(path: Path, device: torch.device, keys: Sequence[str]) -> dict[str, Any]:
    """Load a trainer's checkpoint with ``weights_only=True``.

    Parameters
    ----------
    path
        The checkpoint file.
    device
        Where its tensors are loaded.
    keys
        The keys the trainer writes; a file without one of them is refused.

    Raises
    ------
    CheckpointError
        For an empty or truncated file, one that is not a torch checkpoint, one holding
        objects other than tensors and plain containers, or one missing the trainer's keys.
    """
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (an interrupted copy?); {CHECKPOINT_FIX}")
    try:
        with warnings.catch_warnings():  # torch warns about a pickle protocol before refusing it
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        detail = str(exc).partition("WeightsUnpickler error:")[2].partition("Check the documentation")[0]
        raise CheckpointError(
            f"checkpoint {path} is not one embedlab can load safely: weights_only loading refused it "
            f"({' '.join(detail.split()) or str(exc).splitlines()[0]}); {CHECKPOINT_FIX}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - on garbage, torch's unpickler raises anything (IndexError...)
        detail = str(exc).split(". ")[0] if isinstance(exc, RuntimeError | OSError) else type(exc).__name__
        raise CheckpointError(
            f"checkpoint {path} is truncated or not a torch checkpoint ({detail}); {CHECKPOINT_FIX}"
        ) from None
    missing = [k for k in keys if not isinstance(state, dict) or k not in state]
    if missing or not isinstance(state, dict):
        raise CheckpointError(
            f"checkpoint {path} lacks {', '.join(missing)}: it was not written by embedlab's trainer; "
            f"{CHECKPOINT_FIX}"
        )
    return state


def check_model_state(path: Path, model: nn.Module, saved: Any) -> None:
    """Check that ``saved`` has exactly ``model``'s parameter names and shapes.

    Raises
    ------
    CheckpointError
        Naming the missing, unexpected or differently shaped entries, before any weight is
        overwritten.
    """
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if not isinstance(saved, dict) or not all(isinstance(v, torch.Tensor) for v in saved.values()):
        raise CheckpointError(f"checkpoint {path} holds no model weights; {CHECKPOINT_FIX}")
    got = {k: tuple(v.shape) for k, v in saved.items()}
    problems = [
        *(f"missing {k}" for k in expected if k not in got),
        *(f"unexpected {k}" for k in got if k not in expected),
        *(f"{k} is {got[k]}, not {expected[k]}" for k in expected if k in got and got[k] != expected[k]),
    ]
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise CheckpointError(
            f"checkpoint {path} was saved from another network ({shown}); {CHECKPOINT_FIX}, "
            "or resume with the network it was trained with"
        )


def check_optimizer_state(path: Path, optimizer: torch.optim.Optimizer, saved: Any) -> None:
    """Check that ``saved`` is the state of this kind of optimizer.

    Settings a newer torch added are allowed to be absent (torch fills them in); settings
    this optimizer does not have mean another optimizer (SGD's ``momentum`` in Adam).

    Raises
    ------
    CheckpointError
        Naming the settings that do not belong.
    """
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise CheckpointError(f"checkpoint {path} holds no optimizer state; {CHECKPOINT_FIX}")
    known = set(optimizer.param_groups[0])
    foreign = sorted({key for group in groups for key in group} - known)
    if foreign:
        raise CheckpointError(
            f"checkpoint {path} was saved with another optimizer than {type(optimizer).__name__} "
            f"(it has {', '.join(foreign)}); {CHECKPOINT_FIX}, or resume with the optimizer it used"
        )


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` with ``torch.save``, atomically: a reader sees the old file or the new."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def checkpoint_to_resume(checkpoint_dir: Path | None, resume: bool | str | Path) -> Path | None:
    """The checkpoint file a run resumes from, or ``None`` to start at epoch 1.

    ``resume`` a path: that file, which must exist. ``resume=True``: ``checkpoint_dir/last.pt``
    when it exists. ``False``: none.

    Raises
    ------
    ConfigError
        When ``resume`` names a file that does not exist.
    """
    if isinstance(resume, str | Path) and not isinstance(resume, bool):
        path = Path(resume)
        if not path.is_file():
            raise ConfigError(f"resume: no checkpoint at {path}; pass an existing last.pt or resume=False")
        return path
    if not resume or checkpoint_dir is None:
        return None
    path = Path(checkpoint_dir) / CHECKPOINT
    return path if path.is_file() else None
