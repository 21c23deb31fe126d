"""Data-parallel metric learning: 1 and 2 workers on the digits, by the step and on Ray Train.

**Steps** (``--device cpu``: gloo; ``--device cuda``: nccl, one worker per GPU). Each
configuration trains the seed CNN (8x8 digits, semi-hard mining, triplet loss) with
:func:`embedlab.learn.distributed.distributed_step` on global batches of ``--batch-size``
images, each worker taking its slice, one torch thread per worker. Reported per worker count:
the median time of one step (after warm-up steps), images per second of the global batch, and
the gather alone (:func:`~embedlab.learn.distributed.gather_batch` forward and backward on a
slice of embeddings the step's size), in milliseconds and as a share of the step. With one
worker the collectives are no-ops over a group of one, so that row is the single-process
baseline.

**Ray Train** (``--ray``, CPU): ``MetricLearner(workers=N)`` for ``--epochs`` epochs of the
digits, N = 1 (in process, no Ray) and 2 (two Ray Train workers of one CPU each). Reported:
the time per step and images per second inside the epochs (the trainer's ``epoch_time_s``,
which includes each epoch's validation), and the whole ``fit`` wall time, whose difference is
Ray's start of the workers and the per-epoch checkpoint reports.

Run: ``python benchmarks/distributed.py [--steps 30] [--batch-size 128] [--device cuda] [--ray]``
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch


def _bench(rank: int, workers: int, batch_size: int, steps: int, warmup: int, device: str) -> dict[str, float]:
    from embedlab.data import load_digits
    from embedlab.learn.distributed import broadcast_parameters, distributed_step, gather_batch, global_slice
    from embedlab.learn.losses import TripletLoss
    from embedlab.learn.miners import SemihardMiner
    from embedlab.learn.networks import materialize, seed_cnn

    where = torch.device(f"cuda:{rank}" if device == "cuda" else "cpu")
    train = load_digits()["train"]
    X, y = torch.from_numpy(train.X).to(where), torch.from_numpy(train.y).to(where)
    part = global_slice(batch_size, rank, workers)
    torch.manual_seed(0)
    model = materialize(seed_cnn(), (1, 8, 8)).to(where)
    broadcast_parameters(model.parameters())
    loss, miner = TripletLoss(), SemihardMiner()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    step_times, gather_times = [], []

    def sync() -> None:
        if where.type == "cuda":
            torch.cuda.synchronize(where)

    for step in range(warmup + steps):
        idx = torch.randperm(len(X), generator=g)[:batch_size].to(where)
        sync()
        start = time.perf_counter()
        distributed_step(model, loss, miner, optimizer, X[idx][part], y[idx][part])
        sync()
        step_time = time.perf_counter() - start
        with torch.no_grad():
            z = model(X[idx][part])
        z.requires_grad_(True)
        sync()
        start = time.perf_counter()
        embeddings, _ = gather_batch(z, y[idx][part])
        embeddings.sum().backward()
        sync()
        gather_time = time.perf_counter() - start
        if step >= warmup:
            step_times.append(step_time)
            gather_times.append(gather_time)
    return {"step_s": statistics.median(step_times), "gather_s": statistics.median(gather_times)}


def steps(args: argparse.Namespace) -> None:
    """Time one step on 1 and 2 workers (up to the GPUs with cuda) and print a table."""
    from embedlab.learn.distributed import check_workers, run_local

    backend = "nccl" if args.device == "cuda" else "gloo"
    counts = [n for n in (1, 2) if args.device != "cuda" or n <= torch.cuda.device_count()]
    print(
        f"digits, seed CNN, semi-hard + triplet, global batch {args.batch_size}, {backend} on {args.device}, "
        "1 thread/worker"
    )
    print(f"{'workers':>7} | {'step ms':>8} | {'images/s':>9} | {'gather ms':>9} | {'gather %':>8}")
    for workers in counts:
        check_workers(workers, args.batch_size)
        result = run_local(
            _bench, workers, args=(args.batch_size, args.steps, args.warmup, args.device), backend=backend
        )[0]
        step, gather = result["step_s"], result["gather_s"]
        print(
            f"{workers:>7} | {step * 1e3:>8.2f} | {args.batch_size / step:>9.0f} | "
            f"{gather * 1e3:>9.3f} | {100 * gather / step:>7.1f}%"
        )


def ray_train(args: argparse.Namespace) -> None:
    """Time ``MetricLearner(workers=1)`` in process and ``workers=2`` on Ray Train, and print a table."""
    import ray

    from embedlab.data import load_digits
    from embedlab.learn import MetricLearner

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    torch.set_num_threads(1)
    data = load_digits()
    train, val = data["train"], data["val"]
    print(f"digits, MetricLearner defaults (seed CNN, semi-hard, M-per-class batches), {args.epochs} epochs, CPU")
    print(f"{'workers':>7} | {'step ms':>8} | {'images/s':>9} | {'fit s':>7} | {'outside epochs s':>16}")
    for workers in (1, 2):
        learner = MetricLearner(workers=workers, epochs=args.epochs, progress=False, seed=0)
        start = time.perf_counter()
        learner.fit(train.X, train.y, val.X, val.y)
        wall = time.perf_counter() - start
        inside = sum(record["epoch_time_s"] for record in learner.history_)
        steps_done = args.epochs * math.ceil(len(train.y) / learner.batch_size)
        print(
            f"{workers:>7} | {inside / steps_done * 1e3:>8.2f} | {len(train.y) * args.epochs / inside:>9.0f} | "
            f"{wall:>7.1f} | {wall - inside:>16.1f}"
        )
    ray.shutdown()


def main() -> None:
    """Parse the options and run the step benchmark, or the Ray Train one with ``--ray``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--batch-size", type=int, default=128, help="global batch size")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="gloo on cpu, nccl on cuda")
    parser.add_argument("--ray", action="store_true", help="time MetricLearner(workers=N) on Ray Train (CPU)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of each --ray fit")
    args = parser.parse_args()
    if args.ray:
        ray_train(args)
    else:
        steps(args)


if __name__ == "__main__":
    main()
