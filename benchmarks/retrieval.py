"""Retrieval metrics: embedlab vs PyTorch Metric Learning's AccuracyCalculator.

10,000 queries against 60,000 references (MNIST's test and train sizes), 64-d embeddings in
10 clustered classes, reference not including the queries, ``k="max_bin_count"``. Each side
runs in its own subprocess so its wall time and peak resident memory (``ru_maxrss``, the
whole process including the torch import) are measured alone. Run: ``python
benchmarks/retrieval.py`` (add ``--queries/--references`` for other sizes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SPEEDUP = 2.0
TARGET_PEAK_MB = 1024.0


def make_data(path: Path, n_query: int, n_ref: int, dim: int, classes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(classes, dim)).astype(np.float32) * 0.6

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, classes, n)
        return (centers[labels] + rng.normal(size=(n, dim)).astype(np.float32)), labels

    q, ql = draw(n_query)
    r, rl = draw(n_ref)
    np.savez(path, query=q, query_labels=ql, reference=r, reference_labels=rl)


def worker(side: str, data: Path) -> None:
    import torch

    arrays = np.load(data)
    q, ql, r, rl = (arrays[k] for k in ("query", "query_labels", "reference", "reference_labels"))
    start = time.perf_counter()
    if side == "pml":
        from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator

        calc = AccuracyCalculator(
            include=("precision_at_1", "r_precision", "mean_average_precision_at_r"), k="max_bin_count"
        )
        out = calc.get_accuracy(
            torch.from_numpy(q),
            torch.from_numpy(ql),
            torch.from_numpy(r),
            torch.from_numpy(rl),
            ref_includes_query=False,
        )
        values = {
            "precision_at_1": out["precision_at_1"],
            "r_precision": out["r_precision"],
            "map_at_r": out["mean_average_precision_at_r"],
        }
    elif side == "embedlab-faiss":
        from embedlab_faiss.retrieval import faiss_retrieval

        out = faiss_retrieval(q, ql, r, rl)
        values = {key: out[key] for key in ("precision_at_1", "r_precision", "map_at_r")}
    else:
        from embedlab import metrics

        out = metrics.retrieval(q, ql, r, rl, device="cpu")
        values = {key: out[key] for key in ("precision_at_1", "r_precision", "map_at_r")}
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "values": values}))


def run_side(side: str, data: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", side, "--data", str(data)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--references", type=int, default=60_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", choices=["pml", "embedlab", "embedlab-faiss"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "embeddings.npz"
        make_data(data, args.queries, args.references, args.dim, args.classes, args.seed)
        print(
            f"retrieval: {args.queries} queries vs {args.references} references, {args.dim}-d, "
            f"{args.classes} classes, k=max_bin_count, CPU"
        )
        sides = ["pml", "embedlab"]
        if importlib.util.find_spec("embedlab_faiss") is not None:
            sides.append("embedlab-faiss")  # the optional plugin, shown for information
        results = {side: run_side(side, data) for side in sides}
    print(f"{'':16}{'seconds':>10}{'peak MB':>10}{'P@1':>10}{'R-prec':>10}{'MAP@R':>10}")
    for side, res in results.items():
        v = res["values"]
        print(
            f"{side:16}{res['seconds']:10.2f}{res['peak_mb']:10.0f}"
            f"{v['precision_at_1']:10.5f}{v['r_precision']:10.5f}{v['map_at_r']:10.5f}"
        )
    speedup = results["pml"]["seconds"] / results["embedlab"]["seconds"]
    gap = max(
        abs(results["pml"]["values"][k] - results[side]["values"][k])
        for side in sides[1:]
        for k in results["pml"]["values"]
    )
    peak = results["embedlab"]["peak_mb"]
    print(
        f"speedup {speedup:.2f}x (target >= {TARGET_SPEEDUP}x); embedlab peak {peak:.0f} MB "
        f"(target <= {TARGET_PEAK_MB:.0f} MB); largest metric difference {gap:.2e}"
    )
    ok = speedup >= TARGET_SPEEDUP and peak <= TARGET_PEAK_MB and gap <= 1e-6
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
