"""Hyperparameter search: search spaces declared in configs, the tuner interface, and results.

Importing this package is cheap; Ray is imported only by the ``ray`` tuner when it runs.
"""

from __future__ import annotations

from typing import Any

from embedlab.space import SearchSpace, find_spaces, is_search_space, parse_space
from embedlab.tuning.base import Report, Trainable, TrialRecord, Tuner
from embedlab.tuning.settings import Resources, TuneSettings

__all__ = [
    "Report",
    "Resources",
    "RetrainReport",
    "SearchSpace",
    "Trainable",
    "TrialRecord",
    "TuneResult",
    "TuneSettings",
    "Tuner",
    "find_spaces",
    "is_search_space",
    "parse_space",
    "tune",
]


def __getattr__(name: str) -> Any:
    # pandas (TuneResult) and the trainable tasks load on first use
    if name in {"TuneResult", "RetrainReport"}:
        from embedlab.tuning import result

        return getattr(result, name)
    if name == "tune":
        from embedlab.tuning.api import tune

        return tune
    raise AttributeError(f"module 'embedlab.tuning' has no attribute {name!r}")
