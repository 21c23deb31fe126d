"""Search-space specs as written in experiment configs.

A parameter value in a config may be a search-space spec instead of a value:

``{"int": [16, 512], "step": 16}``
    integers from 16 to 512 inclusive, in steps of 16;
``{"choice": [0.01, 0.001]}``
    one of the listed values;
``{"uniform": [0.1, 0.5]}`` / ``{"loguniform": [1e-4, 1e-2]}``
    a float drawn uniformly, or uniformly in log space;
``{"grid": [1, 2, 3]}``
    every listed value, once each.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SPACE_KINDS", "is_search_space"]

SPACE_KINDS = frozenset({"int", "choice", "uniform", "loguniform", "grid"})


def is_search_space(value: Any) -> bool:
    """Return whether ``value`` is a search-space spec rather than a concrete value."""
    if not isinstance(value, dict):
        return False
    keys = set(value)
    return len(keys & SPACE_KINDS) == 1 and keys <= SPACE_KINDS | {"step"}
