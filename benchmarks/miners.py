"""Mining + triplet loss, forward and backward: embedlab against PyTorch Metric Learning (PML).

For B in {256, 1024, 4096} and d = 128, each case runs in its own subprocess and reports the
median time of miner + loss + backward (over at least 5 runs and 1 s; PML's semi-hard at
B ≥ 1024, at least 3 runs) and the peak memory above the process's baseline (resident set size
on CPU, ``torch.cuda.max_memory_allocated`` on CUDA). Labels form P×K
batches with K = 4, as a mining sampler draws them, so the number of mined triplets is O(B²).

PML's semi-hard miner builds a B×B×B mask; at B = 4096 that is 69e9 elements, so that case is
skipped (it cannot fit in memory), and reported as such. ``--classes 10`` draws uniform labels
over 10 classes instead: then about 6 million triplets at B = 1024 are semi-hard, and returning
them all (PML's semantics) dominates both sides.

Run: ``python benchmarks/miners.py [--device cpu|cuda] [--sizes 256 1024 4096]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

DIM = 128
K = 4
MARGIN = 0.2
#: Each case repeats at least this long (and at least ``--repeats`` times); the median counts.
MIN_SECONDS = 1.0
# PML cases whose B×B×B tensors cannot fit: (miner, B).
PML_TOO_BIG = {("semihard", 4096)}


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def one(impl: str, miner_name: str, size: int, device: str, repeats: int, classes: int) -> dict:
    """Time one case in this process; return seconds (median), peak MB and triplets."""
    import torch

    torch.manual_seed(0)
    emb = torch.randn(size, DIM, device=device)
    if classes:
        labels = torch.randint(0, classes, (size,), device=device)
    else:
        labels = (torch.arange(size, device=device) // K)[torch.randperm(size, device=device)]
    if impl == "embedlab":
        import embedlab

        miner = embedlab.create("miner", miner_name, margin=MARGIN, distance="euclidean") if miner_name == "semihard" \
            else embedlab.create("miner", miner_name, distance="euclidean")
        loss = embedlab.create("loss", "triplet", margin=MARGIN, distance="euclidean", reduction="mean-nonzero")
    else:
        from pytorch_metric_learning import distances, losses, miners

        dist = distances.LpDistance(normalize_embeddings=False)
        miner = miners.TripletMarginMiner(margin=MARGIN, type_of_triplets="semihard", distance=dist) \
            if miner_name == "semihard" else miners.BatchHardMiner(distance=dist)
        loss = losses.TripletMarginLoss(margin=MARGIN, distance=dist)

    def step() -> int:
        e = emb.clone().requires_grad_()
        indices = miner(e, labels)
        value = loss(e, labels, indices)
        value.backward()
        if device == "cuda":
            torch.cuda.synchronize()
        return len(indices[0])

    step()  # warm-up
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = _rss_mb()
    times: list[float] = []
    triplets = 0
    while len(times) < repeats or sum(times) < MIN_SECONDS:  # as timeit's autorange: fast cases repeat more
        began = time.perf_counter()
        triplets = step()
        times.append(time.perf_counter() - began)
    if device == "cuda":
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    return {"seconds": statistics.median(times), "peak_mb": max(peak, 0.0), "triplets": triplets}


def run_case(impl: str, miner: str, size: int, device: str, classes: int) -> dict | None:
    repeats = 3 if (impl == "pml" and miner == "semihard" and size >= 1024) else 5
    cmd = [sys.executable, __file__, "--one", impl, miner, str(size), "--device", device, "--repeats", str(repeats),
           "--classes", str(classes)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": tail[:80]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--miners", nargs="+", default=["semihard", "batch-hard"])
    parser.add_argument("--one", nargs=3, metavar=("IMPL", "MINER", "B"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--classes", type=int, default=0,
        help="uniform random labels over this many classes; 0 (default) draws P×K batches with K=4",
    )
    args = parser.parse_args()
    if args.one:
        impl, miner, size = args.one
        print(json.dumps(one(impl, miner, int(size), args.device, args.repeats, args.classes)))
        return

    import torch

    where = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    labels = f"{args.classes} random classes" if args.classes else f"P×K batches, K={K}"
    print(f"miner + triplet loss, forward + backward, d={DIM}, {labels}, on {where}")
    header = f"{'miner':<11}{'B':>6}  {'embedlab s':>11}{'PML s':>10}{'speed-up':>10}  {'embedlab MB':>12}{'PML MB':>9}  triplets"
    print(header)
    print("-" * len(header))
    for miner in args.miners:
        for size in args.sizes:
            ours = run_case("embedlab", miner, size, args.device, args.classes)
            if (miner, size) in PML_TOO_BIG:
                theirs: dict | None = {"skipped": f"B^3 = {size**3:.1e} mask"}
            else:
                theirs = run_case("pml", miner, size, args.device, args.classes)
            def cell(r: dict | None, key: str, fmt: str) -> str:
                if r is None or key not in r:
                    return "skip" if r and "skipped" in r else "error"
                return format(r[key], fmt)
            ratio = (
                f"{theirs['seconds'] / ours['seconds']:.1f}x"
                if theirs and "seconds" in theirs and "seconds" in ours
                else "-"
            )
            note = theirs.get("skipped", theirs.get("error", "")) if theirs else ""
            print(
                f"{miner:<11}{size:>6}  {cell(ours, 'seconds', '11.4f')}{cell(theirs, 'seconds', '10.4f')}"
                f"{ratio:>10}  {cell(ours, 'peak_mb', '12.1f')}{cell(theirs, 'peak_mb', '9.1f')}  "
                f"{ours.get('triplets', '-')}  {note}",
                flush=True,
            )


if __name__ == "__main__":
    main()
