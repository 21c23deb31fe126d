"""Training throughput of the seed CNN with batch-hard mining: embedlab's trainer vs a plain loop.

Both sides train the same network (the seed study's CNN on 28×28 images) with the same
batch-hard miner and triplet loss, with Adam. The plain loop draws batches from a
``torch.utils.data.DataLoader`` over a ``TensorDataset`` (per-sample indexing and collation),
as most PyTorch code does; embedlab's trainer keeps the data on the device, gathers each
batch with one index tensor, lays convolutions out channels-last, runs the passes in
cache-sized micro-batches on the CPU and steps a fused optimizer. Reported: images per second
in the fastest of ``--epochs`` epochs after a warm-up epoch (the best of several, as timeit
does, because a shared machine's noise only ever slows a run down), for the trainer in
float32 (``amp=False``) and with mixed precision (``amp=True``: bfloat16 autocast on a CPU
with native bfloat16, autocast on CUDA), against the plain float32 loop.

Run: ``python benchmarks/train_throughput.py [--device cpu|cuda] [--images N] [--batch-sizes ...]``
"""

from __future__ import annotations

import argparse
import time

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


def embedlab_rate(
    X: torch.Tensor, y: torch.Tensor, batch_size: int, device: str, amp: bool, epochs: int
) -> float:
    from embedlab.learn.trainer import Trainer

    model, loss, miner = build(device)
    trainer = Trainer(model, loss, miner, epochs=1 + epochs, batch_size=batch_size, sampler="random",
                      device=device, progress=False, amp=amp)
    history = trainer.fit(X, y)  # the first epoch warms up
    return len(X) / min(record["seconds"] for record in history[1:])


def plain_rate(X: torch.Tensor, y: torch.Tensor, batch_size: int, device: str, epochs: int) -> float:
    from torch.utils.data import DataLoader, TensorDataset

    model, loss, miner = build(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    seconds = []
    for _epoch in range(1 + epochs):  # the first epoch warms up
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
        seconds.append(time.perf_counter() - began)
    return len(X) / min(seconds[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--images", type=int, default=None, help="training images (default 8192 CPU, 60000 GPU)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 512, 2048])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per run; the fastest counts")
    args = parser.parse_args()
    n = args.images or (60000 if args.device.startswith("cuda") else 8192)
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"CPU, {torch.get_num_threads()} threads"
    print(f"seed CNN + batch-hard, 28x28 images, {n} per epoch, on {where}")
    header = f"{'batch':>6}  {'embedlab fp32':>14}  {'embedlab amp':>13}  {'DataLoader':>11}  {'fp32 ratio':>10}  {'amp ratio':>9}"
    print(header + "   (images per second)")
    print("-" * len(header))
    X, y = make_data(n, args.device)
    for batch_size in args.batch_sizes:
        fp32 = embedlab_rate(X, y, batch_size, args.device, amp=False, epochs=args.epochs)
        amp = embedlab_rate(X, y, batch_size, args.device, amp=True, epochs=args.epochs)
        theirs = plain_rate(X, y, batch_size, args.device, epochs=args.epochs)
        print(
            f"{batch_size:>6}  {fp32:>14.0f}  {amp:>13.0f}  {theirs:>11.0f}  {fp32 / theirs:>9.2f}x  {amp / theirs:>8.2f}x",
            flush=True,
        )

if __name__ == "__main__":
    main()
