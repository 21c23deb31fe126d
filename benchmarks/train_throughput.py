"""Training throughput of the seed CNN with batch-hard mining: embedlab's trainer vs a plain loop.

Both sides train the same network (the seed study's CNN on 28×28 images) with the same
batch-hard miner and triplet loss, with Adam. The plain loop draws batches from a
``torch.utils.data.DataLoader`` over a ``TensorDataset`` (per-sample indexing and collation),
as most PyTorch code does; embedlab's trainer keeps the data on the device, gathers each
batch with one index tensor, lays convolutions out channels-last, runs the passes in
cache-sized micro-batches on the CPU and steps a fused optimizer. Each side runs in its own
process, as a user's script would, and the sides take turns (``--rounds``), so a slow spell
of the shared machine falls on all of them. Reported: images per second in the fastest
epoch after a warm-up epoch (the best of several, as timeit does, because noise only ever
slows a run down), for the trainer in float32 (``amp=False``) and with mixed precision
(``amp=True``: bfloat16 autocast on a CPU with native bfloat16, autocast on CUDA), against the
plain float32 loop, and the page faults per step of the float32 sides (glibc's malloc hands
large freed blocks back to the system, and how often depends on the order of allocations).

Run: ``python benchmarks/train_throughput.py [--device cpu|cuda] [--images N] [--batch-sizes ...]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import torch


def make_data(n: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 10, (n,), generator=g)
    X = torch.rand(n, 1, 28, 28, generator=g) * 0.3 + y.view(-1, 1, 1, 1) / 10.0
    return X, y


def build(device: str) -> tuple[torch.nn.Module, object, object]:
    from embedlab.learn.losses import TripletLoss
    from embedlab.learn.miners import BatchHardMiner
    from embedlab.learn.networks import materialize, seed_cnn

    torch.manual_seed(0)
    model = materialize(seed_cnn(), (1, 28, 28), device)
    return model, TripletLoss(distance="euclidean", margin=0.2), BatchHardMiner()


def trainer_epoch(X: torch.Tensor, y: torch.Tensor, batch_size: int, device: str, amp: bool) -> Callable[[], float]:
    """A function that trains embedlab's trainer for one epoch and returns the epoch's seconds."""
    from embedlab.learn.trainer import Trainer

    model, loss, miner = build(device)
    trainer = Trainer(model, loss, miner, epochs=1, batch_size=batch_size, sampler="random",
                      device=device, progress=False, amp=amp)
    return lambda: trainer.fit(X, y)[-1]["epoch_time_s"]


def plain_epoch(X: torch.Tensor, y: torch.Tensor, batch_size: int, device: str) -> Callable[[], float]:
    """A function that trains one epoch of a plain DataLoader loop and returns its seconds."""
    from torch.utils.data import DataLoader, TensorDataset

    model, loss, miner = build(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)

    def epoch() -> float:
        began = time.perf_counter()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            embeddings = model(xb)
            value = loss(embeddings, yb, miner(embeddings, yb))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            value.item()  # the loop reads its loss, as the trainer does
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - began

    return epoch


SIDES = ("fp32", "amp", "plain")


def one(side: str, batch_size: int, device: str, images: int, epochs: int) -> dict[str, float]:
    """Run one side in this process: a warm-up epoch, then ``epochs`` timed ones."""
    X, y = make_data(images, device)
    if side == "plain":
        epoch = plain_epoch(X, y, batch_size, device)
    else:
        epoch = trainer_epoch(X, y, batch_size, device, amp=side == "amp")
    epoch()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    best = min(epoch() for _ in range(epochs))
    steps = epochs * -(-images // batch_size)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    return {"images_per_second": images / best, "page_faults_per_step": faults / steps}


def rates(batch_size: int, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Each side's best run over ``--rounds`` fresh processes, the sides taking turns."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for side in SIDES:
            cmd = [sys.executable, __file__, "--one", side, str(batch_size), "--device", args.device,
                   "--images", str(args.images), "--epochs", str(args.epochs)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            got = json.loads(done.stdout.strip().splitlines()[-1])
            if side not in best or got["images_per_second"] > best[side]["images_per_second"]:
                best[side] = got
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--images", type=int, default=None, help="training images (default 8192 CPU, 60000 GPU)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 512, 2048])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per process; the fastest counts")
    parser.add_argument("--rounds", type=int, default=2, help="processes per side, taking turns")
    parser.add_argument("--one", nargs=2, metavar=("SIDE", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.images = args.images or (60000 if args.device.startswith("cuda") else 8192)
    if args.one:
        side, batch_size = args.one
        print(json.dumps(one(side, int(batch_size), args.device, args.images, args.epochs)))
        return
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"CPU, {torch.get_num_threads()} threads"
    print(f"seed CNN + batch-hard, 28x28 images, {args.images} per epoch, on {where}")
    header = (
        f"{'batch':>6}  {'embedlab fp32':>14}  {'embedlab amp':>13}  {'DataLoader':>11}  {'fp32 ratio':>10}  "
        f"{'amp ratio':>9}  {'page faults/step fp32, plain':>28}"
    )
    print(header + "   (images per second)")
    print("-" * len(header))
    for batch_size in args.batch_sizes:
        measured = rates(batch_size, args)
        fp32, amp, theirs = (measured[side]["images_per_second"] for side in SIDES)
        faults = f"{measured['fp32']['page_faults_per_step']:.0f}, {measured['plain']['page_faults_per_step']:.0f}"
        print(
            f"{batch_size:>6}  {fp32:>14.0f}  {amp:>13.0f}  {theirs:>11.0f}  {fp32 / theirs:>9.2f}x  "
            f"{amp / theirs:>8.2f}x  {faults:>28}",
            flush=True,
        )


if __name__ == "__main__":
    main()
