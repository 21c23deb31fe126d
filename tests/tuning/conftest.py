"""Tiny models train fastest on one thread; the machine running the tests is shared."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread(one_thread: None) -> None:
    """Every tuning test trains on one torch thread (see ``one_thread`` in tests/conftest.py)."""
