"""Benchmark: what Ray costs a search, and what ASHA saves over FIFO.

Runs the Study 4 search (examples/tune_mlp.yaml, digits) twice on one local Ray runtime,
with the same seed and therefore the same sampled trials:

1. ASHA, then FIFO. It prints each search's wall time next to the sum of its trials' own
   training time (the epochs alone), and the ratio: what Ray's scheduling, actor start-up and
   result bookkeeping cost on this machine.
2. The total trial-epochs each scheduler trained, and the ratio ASHA / FIFO: ASHA must stop
   poor trials early and train far fewer epochs, while finding as good a best trial.

With embedlab-optuna installed it also runs the same search in-process with Optuna (no Ray)
for a third wall time.

    python benchmarks/tuning.py [--num-samples 12] [--max-epochs 10] [--cpus 2] [--gpu 0.5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tune_mlp.yaml"


def _row(label, result, parallel):
    table = result.table
    train = float(table["train_time_s"].sum())
    trial = float(table["time_s"].sum())
    return {
        "search": label,
        "trials": len(table),
        "trial_epochs": int(table["epochs"].sum()),
        "wall_s": result.wall_time_s,
        "sum_trial_s": trial,
        "sum_train_s": train,
        "wall/ideal": result.wall_time_s / (train / parallel) if train else float("nan"),
        "best": result.best_metric,
        "configs": sorted(map(tuple, table[result.param_names].astype(str).values.tolist())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-samples", type=int, default=12)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray runtime")
    parser.add_argument("--gpu", type=float, default=0.0, help="GPUs per trial, e.g. 0.5 (needs CUDA)")
    args = parser.parse_args()

    import ray

    import embedlab

    start = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    init_s = time.perf_counter() - start
    rows = []
    with tempfile.TemporaryDirectory(prefix="embedlab-bench-tuning-") as tmp:
        common = {"num_samples": args.num_samples, "max_epochs": args.max_epochs}
        if args.gpu:
            common["resources"] = {"cpu": 1, "gpu": args.gpu}
        for scheduler in ("asha", "fifo"):
            result = embedlab.tune(
                EXAMPLE, scheduler=scheduler, storage_path=os.path.join(tmp, scheduler), **common
            )
            rows.append(_row(f"ray {scheduler}", result, args.cpus))
        ray.shutdown()
        if not args.gpu and any(p.name == "optuna" for p in embedlab.plugins("tuner")):
            import torch
            import yaml

            torch.set_num_threads(1)
            data = yaml.safe_load(EXAMPLE.read_text())
            data["tuner"] = "optuna"
            result = embedlab.tune(
                data, scheduler="fifo", searcher="random", storage_path=os.path.join(tmp, "optuna"), **common
            )
            rows.append(_row("optuna fifo, in-process (1 trial at a time)", result, 1))

    if args.gpu:
        import torch

        card = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
        print(f"GPU: {card}, {args.gpu} GPU per trial")
    print(f"Study 4 search on digits: {args.num_samples} trials, at most {args.max_epochs} epochs each, "
          f"{args.cpus} Ray CPUs (ray.init took {init_s:.1f} s, not counted below)")
    header = f"{'search':<45}{'trials':>7}{'epochs':>8}{'wall s':>9}{'sum trial s':>13}{'sum train s':>13}"
    print(header + f"{'wall/ideal':>12}{'best':>8}")
    for r in rows:
        print(f"{r['search']:<45}{r['trials']:>7}{r['trial_epochs']:>8}{r['wall_s']:>9.1f}{r['sum_trial_s']:>13.1f}"
              f"{r['sum_train_s']:>13.2f}{r['wall/ideal']:>12.1f}{r['best']:>8.4f}")
    print("wall/ideal = wall time / (sum of training time / parallel trials): 1.0 would be no overhead")
    asha, fifo = rows[0], rows[1]
    same = asha["configs"] == fifo["configs"]
    print(f"\nASHA vs FIFO on {'the same' if same else 'DIFFERENT'} {asha['trials']} sampled configurations:")
    print(f"  trial-epochs: ASHA {asha['trial_epochs']}  FIFO {fifo['trial_epochs']}  "
          f"ratio ASHA/FIFO {asha['trial_epochs'] / fifo['trial_epochs']:.2f}")
    print(f"  best val_accuracy: ASHA {asha['best']:.4f}  FIFO {fifo['best']:.4f}")
    print(f"  wall time: ASHA {asha['wall_s']:.1f} s  FIFO {fifo['wall_s']:.1f} s  "
          f"ratio {asha['wall_s'] / fifo['wall_s']:.2f}")


if __name__ == "__main__":
    main()
