"""Data-parallel metric learning with global-batch semantics, on ``torch.distributed``.

One step across ``N`` workers is the same training as one process on the global batch:

1. every worker builds the global batch of ``B`` samples that one process would build (the same
   sampler and seed); worker ``r`` takes its slice of ``B / N`` samples, :func:`global_slice`
   ``(B, r, N)`` (:func:`local_part` also cuts a last partial batch, one row more for the first
   ``B % N`` workers);
2. each worker embeds its slice, then :func:`gather_batch` gathers embeddings (with gradient)
   and labels from every worker, in rank order, so every worker holds the same ``(B, dim)``
   global embeddings;
3. the miner and the loss run on the whole global batch on every worker: every worker computes
   the same loss ``L`` (a mean over the global triplet set, not a mean of per-worker means);
4. backward, then the gradients of the model and of the loss's own parameters (a proxy loss's
   proxies) are averaged over the workers (DDP's mean), and the optimizer steps.

**Why the gradient is exact.** Write ``g_i = ∂L/∂z_i`` for the global embedding ``z_i`` of
sample ``i`` and ``J_i = ∂z_i/∂θ``. One process gets ``∂L/∂θ = Σ_i g_i J_i``. On ``N`` workers
every worker computes the same ``L`` from the same gathered batch, so each holds the full
``g``. The backward of :func:`all_gather_with_grad` sums the incoming gradient over the workers
(``N g``, since all are equal) and returns this worker's slice, so worker ``r`` gets
``N Σ_{i ∈ S_r} g_i J_i`` on the model's parameters. Averaging over workers, as DDP does, gives
``(1/N) Σ_r N Σ_{i ∈ S_r} g_i J_i = Σ_i g_i J_i``: the single-process gradient. The loss's own
parameters see the full loss on every worker, so each holds ``∂L/∂φ`` already and the same
average leaves it unchanged. Summing in the gather's backward (rather than returning the local
slice as is) is what keeps a model wrapped in ``DistributedDataParallel`` exact: DDP's mean and
the gather's sum cancel, and a gather without that sum (the one of lightly #1977) silently scales
every gradient by ``1/N``.

Deterministic miners give the same triplets on every worker, since they see identical inputs.
A random miner draws the same triplets only when every worker seeds torch the same way and
calls it in the same order. :func:`run_local` starts workers on one machine (gloo on CPU) for
tests and benchmarks.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from embedlab.errors import ConfigError

__all__ = [
    "all_gather_with_grad",
    "average_gradients",
    "broadcast_parameters",
    "check_workers",
    "distributed_step",
    "gather_batch",
    "global_slice",
    "local_part",
    "loss_parameters",
    "run_local",
]

logger = logging.getLogger(__name__)


def check_workers(workers: int, batch_size: int) -> None:
    """Check a worker count against the global batch size, before any worker starts.

    Raises
    ------
    ConfigError
        ``workers`` is not a whole number >= 1, or ``batch_size`` is not a multiple of it.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers={workers!r}: must be a whole number >= 1; use workers=1 for one process")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size={batch_size!r}: must be a whole number >= 1")
    if batch_size % workers:
        lower = batch_size - batch_size % workers
        raise ConfigError(
            f"batch_size={batch_size} is not divisible by workers={workers}: each worker takes "
            f"batch_size / workers samples of the global batch; use a multiple of {workers} "
            f"such as {lower or workers} or {lower + workers}"
        )


def global_slice(batch_size: int, rank: int, world_size: int) -> slice:
    """The slice of a global batch of ``batch_size`` samples that worker ``rank`` takes.

    Raises
    ------
    ConfigError
        Bad ``world_size`` or ``batch_size`` (see :func:`check_workers`), or ``rank`` outside
        ``0 .. world_size - 1``.
    """
    check_workers(world_size, batch_size)
    if not 0 <= rank < world_size:
        raise ConfigError(f"rank={rank}: must be in 0..{world_size - 1} for world_size={world_size}")
    size = batch_size // world_size
    return slice(rank * size, (rank + 1) * size)


def local_part(batch: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Worker ``rank``'s rows of a global batch, cut in rank order as ``torch.tensor_split`` cuts.

    Equal to ``batch[global_slice(len(batch), rank, world_size)]`` when the batch divides
    evenly; otherwise (a last partial batch) the first ``len(batch) % world_size`` workers take
    one row more, and :func:`gather_batch` still rebuilds the whole batch in order.
    """
    return torch.tensor_split(batch, world_size)[rank]


def _gather_rows(tensor: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """All-gather ``tensor`` along dim 0 in rank order, whatever each rank's row count; and the counts."""
    world = dist.get_world_size()
    count = torch.tensor([len(tensor)], device=tensor.device)
    counts = [torch.empty_like(count) for _ in range(world)]
    dist.all_gather(counts, count)
    sizes = [int(c) for c in counts]
    longest = max(sizes)
    # gloo and nccl gather equal shapes only: pad each part to the longest, then trim
    padded = tensor.new_zeros((longest, *tensor.shape[1:]))
    padded[: len(tensor)] = tensor
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded.contiguous())
    return torch.cat([part[:n] for part, n in zip(parts, sizes, strict=True)]), sizes


class _AllGather(torch.autograd.Function):
    """All-gather along dim 0 in rank order; backward: this rank's rows of the summed gradient."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor) -> torch.Tensor:
        gathered, sizes = _gather_rows(tensor)
        rank = dist.get_rank()
        ctx.start, ctx.stop = sum(sizes[:rank]), sum(sizes[: rank + 1])
        return gathered

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.start : ctx.stop]


def all_gather_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every worker along dim 0, in rank order, with gradient.

    Workers may pass different numbers of rows (a last partial batch cut by
    :func:`local_part`); every other dimension must match. The backward pass sums the
    gradient over the workers and returns this worker's rows: with every worker computing the
    same loss, that is ``world_size`` times this worker's share of the single-process
    gradient, which DDP's (or :func:`average_gradients`') mean over workers turns back into
    the single-process gradient (derived in the module docstring).
    """
    gathered: torch.Tensor = _AllGather.apply(tensor)
    return gathered


def gather_batch(embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The global batch: embeddings (with gradient) and labels of every worker, in rank order."""
    return all_gather_with_grad(embeddings), _gather_rows(labels)[0]


def loss_parameters(loss: Any) -> list[nn.Parameter]:
    """The trainable parameters a loss keeps itself (a proxy loss's proxies); ``[]`` for most losses."""
    parameters = getattr(loss, "parameters", None)
    return [p for p in parameters() if p.requires_grad] if callable(parameters) else []


def broadcast_parameters(parameters: Iterable[torch.Tensor], src: int = 0) -> None:
    """Copy the values of ``parameters`` (and buffers, if passed) from worker ``src`` to every worker."""
    with torch.no_grad():
        for tensor in parameters:
            dist.broadcast(tensor.data, src=src)


def average_gradients(parameters: Iterable[nn.Parameter]) -> None:
    """Average the gradients of ``parameters`` over the workers, in one all-reduce.

    A parameter without a gradient counts as a zero gradient, so every worker makes the same
    collective call whatever its backward pass reached.
    """
    params = list(parameters)
    if not params:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat /= dist.get_world_size()
    offset = 0
    for p in params:
        n = p.numel()
        # in the parameter's memory layout (channels-last): fused optimizers step on raw memory
        p.grad = torch.empty_like(p).copy_(flat[offset : offset + n].view_as(p))
        offset += n


def distributed_step(
    model: nn.Module,
    loss: Callable[..., torch.Tensor],
    miner: Callable[..., tuple[torch.Tensor, ...]] | None,
    optimizer: torch.optim.Optimizer,
    x_slice: torch.Tensor,
    y_slice: torch.Tensor,
) -> torch.Tensor:
    """One optimizer step on the global batch, from this worker's slice of it.

    Embeds ``x_slice``, gathers the global batch (:func:`gather_batch`), mines and scores it on
    every worker, backpropagates, averages the gradients of the model and of the loss's own
    parameters over the workers, and steps ``optimizer`` (which must hold both). A model wrapped
    in ``DistributedDataParallel`` averages its own gradients; then only the loss's are averaged
    here. Call :func:`broadcast_parameters` once before the first step so every worker starts
    from the same weights.

    Parameters
    ----------
    model
        The embedding network.
    loss
        Called as ``loss(embeddings, labels, indices=...)``.
    miner
        Called as ``miner(embeddings, labels)``; ``None`` lets the loss use every valid tuple.
    optimizer
        Optimizer over the model's and the loss's parameters.
    x_slice, y_slice
        This worker's slice of the global batch (:func:`global_slice`).

    Returns
    -------
    torch.Tensor
        The detached loss of the global batch (the same on every worker).
    """
    optimizer.zero_grad(set_to_none=True)
    embeddings, labels = gather_batch(model(x_slice), y_slice)
    indices = miner(embeddings, labels) if miner is not None else None
    value = loss(embeddings, labels, indices=indices)
    torch.autograd.backward(value)
    own = loss_parameters(loss)
    if isinstance(model, nn.parallel.DistributedDataParallel):
        average_gradients(own)
    else:
        average_gradients([*(p for p in model.parameters() if p.requires_grad), *own])
    optimizer.step()
    return value.detach()


def _worker(
    rank: int,
    fn: Callable[..., Any],
    workers: int,
    init_file: str,
    out_dir: str,
    threads: int,
    args: tuple[Any, ...],
    backend: str,
) -> None:
    torch.set_num_threads(threads)
    if backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(backend, init_method=f"file://{init_file}", rank=rank, world_size=workers)
    try:
        result = fn(rank, workers, *args)
        dist.barrier()
    finally:
        dist.destroy_process_group()
    torch.save(result, os.path.join(out_dir, f"rank{rank}.pt"))


def run_local(
    fn: Callable[..., Any],
    workers: int,
    args: tuple[Any, ...] = (),
    threads: int = 1,
    backend: str = "gloo",
) -> list[Any]:
    """Run ``fn(rank, workers, *args)`` in ``workers`` new processes joined by a process group.

    ``fn`` must be importable by name (a module-level function) and return what
    ``torch.load(weights_only=True)`` reads back: tensors, numbers, strings, and lists, tuples
    and dicts of them. Each process runs torch on ``threads`` threads. ``backend="nccl"`` joins
    the processes over CUDA, rank ``r`` on GPU ``r`` (one worker per GPU); ``"gloo"`` on the CPU.

    Returns
    -------
    list
        ``fn``'s result on each rank, in rank order.

    Raises
    ------
    ConfigError
        ``workers`` is not a whole number >= 1, or more than the GPUs for ``backend="nccl"``.
    """
    check_workers(workers, workers)
    if backend == "nccl" and workers > torch.cuda.device_count():
        raise ConfigError(
            f"workers={workers} with nccl needs one GPU each, but {torch.cuda.device_count()} are visible; "
            "use fewer workers or backend='gloo'"
        )
    from torch.multiprocessing.spawn import spawn

    with tempfile.TemporaryDirectory(prefix="embedlab-dist-") as tmp:
        init_file = os.path.join(tmp, "rendezvous")
        logger.debug("starting %d %s workers (rendezvous %s)", workers, backend, init_file)
        spawn(  # type: ignore[no-untyped-call]  # torch's spawn has no annotations
            _worker, args=(fn, workers, init_file, tmp, threads, args, backend), nprocs=workers, join=True
        )
        paths = [os.path.join(tmp, f"rank{r}.pt") for r in range(workers)]
        return [torch.load(path, map_location="cpu", weights_only=True) for path in paths]
