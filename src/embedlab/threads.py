"""How many CPU threads embedlab's computations use: torch's thread policy and a shared pool.

**Torch's threads.** Every torch computation in the main process (the metric-learning
trainer, the classifier trainer, ``MetricLearner.transform``, retrieval metrics, word-vector
searches) runs inside :func:`torch_threads`, which sets torch's thread count for the block
and restores the previous one afterwards. The count comes from :func:`num_threads`:

1. ``EMBEDLAB_NUM_THREADS``, when set: a whole number >= 1, used as is;
2. else ``OMP_NUM_THREADS``, when set (its first number), as torch itself reads it;
3. else one thread per :data:`WORK_PER_THREAD` multiply-adds in one step of the work (a
   training step, a chunk of a distance matrix), at least 1 and at most the CPUs this process
   may run on (``os.sched_getaffinity``, or a Ray trial's allocation inside :func:`cpu_budget`).

Small steps get one thread: an operation of a few microseconds gains nothing from a second
thread on an idle machine, and when another process keeps a core busy, threads that wait for
each other at every operation's end run many times slower than one thread alone
(``benchmarks/threads.py`` measures it; figures in the docs' performance page). Large steps
use every core.

**The shared pool.** numpy's sorts, partitions and element-wise passes run on one core;
:func:`map_row_blocks` and :func:`on_threads` split rows over a pool of threads, one per CPU.
Work that mixes matrix products with such passes runs its products inside
:func:`blas_in_caller` (and torch's inside :func:`torch_in_caller`), so that each thread
multiplies on its own core.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from embedlab.errors import ConfigError

__all__ = [
    "ENV_THREADS",
    "WORK_PER_THREAD",
    "blas_in_caller",
    "cpu_budget",
    "cpu_threads",
    "map_row_blocks",
    "num_threads",
    "on_threads",
    "torch_in_caller",
    "torch_threads",
]

logger = logging.getLogger(__name__)

#: The environment variable that overrides the thread policy.
ENV_THREADS = "EMBEDLAB_NUM_THREADS"

#: Multiply-adds in one step per torch thread: a step below twice this runs on one thread. It
#: trades a second thread's speed-up on an idle machine against the many-fold slowdown of threads
#: that wait for each other beside a busy process; ``benchmarks/threads.py`` sizes it. Steps on
#: the 8x8 digits (the ``seed-cnn`` or an MLP) are 100x smaller; the ``seed-cnn`` on 28x28 images
#: in slices of 256 gets two threads, a ResNet every core.
WORK_PER_THREAD = 500_000_000

T = TypeVar("T")

_POOL: ThreadPoolExecutor | None = None
_BLAS: Any = None
_BUDGET: ContextVar[int | None] = ContextVar("embedlab_cpu_budget", default=None)
_WARNED: set[str] = set()


def _affinity() -> int:
    """The CPUs the operating system lets this process run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cpu_threads() -> int:
    """The number of CPUs this process may run on, within the :func:`cpu_budget` in force."""
    budget = _BUDGET.get()
    return _affinity() if budget is None else max(1, min(_affinity(), budget))


@contextmanager
def cpu_budget(cpus: int) -> Iterator[None]:
    """Let the block use at most ``cpus`` CPUs (a Ray trial's allocation, say).

    :func:`cpu_threads`, and so the thread policy and the row splits, stay within it; the
    budget is per thread of control (a :class:`contextvars.ContextVar`).
    """
    token = _BUDGET.set(max(1, int(cpus)))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _env_threads() -> int | None:
    """``EMBEDLAB_NUM_THREADS`` as a count, ``None`` when unset.

    Raises
    ------
    ConfigError
        When it is set to anything but a whole number >= 1.
    """
    raw = os.environ.get(ENV_THREADS)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(
            f"{ENV_THREADS}={raw!r} is not a thread count: set it to a whole number >= 1 "
            "(1 on a shared machine), or unset it to let embedlab choose"
        )
    return value


def _omp_threads() -> int | None:
    """The first number of ``OMP_NUM_THREADS`` (it may list one per nesting level), if valid."""
    raw = os.environ.get("OMP_NUM_THREADS", "").strip()
    if not raw:
        return None
    first = raw.split(",")[0].strip()
    if first.isdigit() and int(first) >= 1:
        return int(first)
    if raw not in _WARNED:
        _WARNED.add(raw)
        logger.warning("OMP_NUM_THREADS=%r is not a thread count; embedlab ignores it", raw)
    return None


def num_threads(work: float | None = None) -> int:
    """Decide how many threads torch uses for a computation in this process.

    Parameters
    ----------
    work
        Multiply-adds in one step of the computation (a training step, a chunk of a distance
        matrix). ``None``: as many threads as there are CPUs to use.

    Returns
    -------
    int
        ``EMBEDLAB_NUM_THREADS`` if set, else ``OMP_NUM_THREADS`` if set, else
        ``work // WORK_PER_THREAD`` clipped to ``1..cpu_threads()``.

    Raises
    ------
    ConfigError
        When ``EMBEDLAB_NUM_THREADS`` is not a whole number >= 1.
    """
    chosen = _env_threads() or _omp_threads()
    if chosen is not None:
        return chosen
    cpus = cpu_threads()
    if work is None or not math.isfinite(work):
        return cpus
    return max(1, min(cpus, int(work // WORK_PER_THREAD)))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_affinity(), thread_name_prefix="embedlab")
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
    with torch_threads(threads=1):
        yield


@contextmanager
def torch_threads(work: float | None = None, *, threads: int | None = None) -> Iterator[int]:
    """Run torch's CPU operations on the policy's number of threads while the block runs.

    Parameters
    ----------
    work
        Multiply-adds in one step of the block's work, for :func:`num_threads`.
    threads
        A count decided by the caller instead of the policy.

    Yields
    ------
    int
        The thread count in force. The previous count is restored on exit, also after an
        error. OpenMP keeps the count per thread, so the block should run its torch
        operations on the thread that entered it. Torch is not imported here: when no
        module has imported it yet, the block runs no torch operation and nothing is set.

    Raises
    ------
    ConfigError
        When ``EMBEDLAB_NUM_THREADS`` is not a whole number >= 1.
    """
    count = num_threads(work) if threads is None else max(1, int(threads))
    torch = sys.modules.get("torch")
    if torch is None:  # nothing in torch has run yet; importing it here would cost seconds
        yield count
        return
    before = torch.get_num_threads()
    if count != before:
        torch.set_num_threads(count)
    try:
        yield count
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
