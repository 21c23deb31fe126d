from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def digits():
    from embedlab.data import load_digits

    return load_digits()
