"""Shared fixtures: one Ray runtime per test session, GPU tests skipped without CUDA."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``gpu`` when no CUDA device is present."""
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device; none is available here")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """One local Ray runtime (2 CPUs) shared by every test that asks for it (each start costs ~5 s)."""
    import ray

    # Ray Train's controller takes each worker's report when it polls, every 2 s by default:
    # for the tests' epochs of a few milliseconds that is most of a run (set before ray.init, so
    # trials that run Ray Train see it too).
    os.environ.setdefault("RAY_TRAIN_HEALTH_CHECK_INTERVAL_S", "0.2")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Train small models on one torch thread: on a shared 2-core machine, two threads spin and crawl."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh folder on sys.path for fake plugin distributions (tests/plugin_factory.py);
    the plugin registry is reloaded before and after the test."""
    import sys

    from embedlab import registry

    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    monkeypatch.delenv("EMBEDLAB_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("EMBEDLAB_DISABLE_PLUGINS", raising=False)
    registry.reload()
    yield path
    for name in [m for m in sys.modules if m.startswith("fake_")]:
        del sys.modules[name]
    registry.reload()
