"""One shared pool of CPU threads for numpy passes that release the GIL.

numpy's sorts, partitions and element-wise passes run on one core; splitting rows over these
threads uses every core the process may run on. Work that mixes matrix products with such
passes runs its products inside :func:`blas_in_caller` (and torch's inside
:func:`torch_in_caller`), so that each thread multiplies on its own core.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["blas_in_caller", "cpu_threads", "map_row_blocks", "on_threads", "torch_in_caller"]

T = TypeVar("T")

_POOL: ThreadPoolExecutor | None = None
_BLAS: Any = None


def cpu_threads() -> int:
    """The number of CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=cpu_threads(), thread_name_prefix="embedlab")
    return _POOL


def map_row_blocks(fn: Callable[[int, int], T], n: int, min_rows: int = 1) -> list[T]:
    """Call ``fn(start, stop)`` on contiguous blocks covering ``range(n)``, one per CPU thread.

    Parameters
    ----------
    fn
        Works on rows ``start:stop``; it should spend its time in GIL-free numpy calls.
    n
        Rows in all.
    min_rows
        Fewer rows than this per thread run in the calling thread alone.

    Returns
    -------
    list
        The blocks' results, in row order.
    """
    threads = min(cpu_threads(), n // max(min_rows, 1))
    if threads < 2:
        return [fn(0, n)]
    bounds = [n * i // threads for i in range(threads + 1)]
    jobs = [_pool().submit(fn, a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return [job.result() for job in jobs]


def on_threads(fn: Callable[[], T], threads: int) -> list[T]:
    """Call ``fn()`` on ``threads`` threads of the shared pool at once.

    Parameters
    ----------
    fn
        The work of one thread; the threads usually share a queue of tasks.
    threads
        How many calls; beyond the pool's size the extra calls wait for a free thread.

    Returns
    -------
    list
        The calls' results, in submission order.
    """
    jobs = [_pool().submit(fn) for _ in range(threads)]
    return [job.result() for job in jobs]


@contextmanager
def blas_in_caller() -> Iterator[None]:
    """Run BLAS products on the calling thread alone while the block runs.

    BLAS libraries run a product on their own threads, which then spin for a while waiting
    for the next one, so a numpy pass right after a product shares the cores with them. When
    the caller spreads products over the pool's threads itself (:func:`on_threads`,
    :func:`map_row_blocks`), one BLAS thread per call avoids that. The limit is process-wide
    while it lasts, as in scikit-learn's ``KMeans``.
    """
    global _BLAS
    from threadpoolctl import ThreadpoolController

    if _BLAS is None:
        _BLAS = ThreadpoolController()
    with _BLAS.limit(limits=1, user_api="blas"):
        yield


@contextmanager
def torch_in_caller(active: bool = True) -> Iterator[None]:
    """Run torch's CPU operations on the calling thread alone while the block runs.

    The torch counterpart of :func:`blas_in_caller`: several threads of the pool each calling
    torch would otherwise each start a team of torch's own threads. Process-wide while it
    lasts; ``active=False`` makes it a no-op (and torch is not imported).
    """
    if not active:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
