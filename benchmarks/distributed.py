"""Data-parallel metric learning on CPU: 1 and 2 gloo workers on the digits.

Each configuration trains the seed CNN (8x8 digits, semi-hard mining, triplet loss) with
:func:`embedlab.learn.distributed.distributed_step` on global batches of ``--batch-size``
images, each worker taking its slice, one torch thread per worker. Reported per worker count:
the median time of one step (after warm-up steps), images per second of the global batch, and
the gather alone (:func:`~embedlab.learn.distributed.gather_batch` forward and backward on a
slice of embeddings the step's size), in milliseconds and as a share of the step. With one
worker the collectives are no-ops over a group of one, so that row is the single-process
baseline.

Run: ``python benchmarks/distributed.py [--steps 30] [--batch-size 128]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch


def _bench(rank: int, workers: int, batch_size: int, steps: int, warmup: int) -> dict[str, float]:
    from embedlab.data import load_digits
    from embedlab.learn.distributed import broadcast_parameters, distributed_step, gather_batch, global_slice
    from embedlab.learn.losses import TripletLoss
    from embedlab.learn.miners import SemihardMiner
    from embedlab.learn.networks import materialize, seed_cnn

    train = load_digits()["train"]
    X, y = torch.from_numpy(train.X), torch.from_numpy(train.y)
    part = global_slice(batch_size, rank, workers)
    torch.manual_seed(0)
    model = materialize(seed_cnn(), (1, 8, 8))
    broadcast_parameters(model.parameters())
    loss, miner = TripletLoss(), SemihardMiner()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    step_times, gather_times = [], []
    for step in range(warmup + steps):
        idx = torch.randperm(len(X), generator=g)[:batch_size]
        start = time.perf_counter()
        distributed_step(model, loss, miner, optimizer, X[idx][part], y[idx][part])
        step_time = time.perf_counter() - start
        with torch.no_grad():
            z = model(X[idx][part])
        z.requires_grad_(True)
        start = time.perf_counter()
        embeddings, _ = gather_batch(z, y[idx][part])
        embeddings.sum().backward()
        gather_time = time.perf_counter() - start
        if step >= warmup:
            step_times.append(step_time)
            gather_times.append(gather_time)
    return {"step_s": statistics.median(step_times), "gather_s": statistics.median(gather_times)}


def main() -> None:
    """Time 1 and 2 workers and print a table."""
    from embedlab.learn.distributed import check_workers, run_local

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--batch-size", type=int, default=128, help="global batch size")
    args = parser.parse_args()
    print(
        f"digits, seed CNN, semi-hard + triplet, global batch {args.batch_size}, gloo on CPU, 1 thread/worker"
    )
    print(f"{'workers':>7} | {'step ms':>8} | {'images/s':>9} | {'gather ms':>9} | {'gather %':>8}")
    for workers in (1, 2):
        check_workers(workers, args.batch_size)
        result = run_local(_bench, workers, args=(args.batch_size, args.steps, args.warmup))[0]
        step, gather = result["step_s"], result["gather_s"]
        print(
            f"{workers:>7} | {step * 1e3:>8.2f} | {args.batch_size / step:>9.0f} | "
            f"{gather * 1e3:>9.3f} | {100 * gather / step:>7.1f}%"
        )


if __name__ == "__main__":
    main()
