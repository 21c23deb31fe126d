"""SIGINT during `embedlab run` training, then --resume: same final metrics, no stray temp files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

CONFIG = {
    "name": "interrupt",
    "task": "metric-learning",
    "seed": 0,
    "dataset": "digits",
    "backend": {"name": "mlp", "params": {"embedding_dim": 16}},
    "loss": "triplet",
    "miner": "batch-hard",
    "train": {"epochs": 60, "batch_size": 128},
    "study": {"projection": "pca", "max_points": 200},
}


def embedlab_run(config, out, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "embedlab", "run", str(config), "--out", str(out), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip


def final_metrics(out):
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    return run, json.loads((run / "metrics.json").read_text())["metrics"]["interrupt"]


def test_sigint_then_resume_matches_an_uninterrupted_run(tmp_path):
    config = tmp_path / "interrupt.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    whole = embedlab_run(config, tmp_path / "whole")
    assert whole.wait(timeout=300) == 0, whole.stdout.read()

    out = tmp_path / "cut"
    proc = embedlab_run(config, out)
    checkpoint = None
    deadline = time.monotonic() + 120
    while checkpoint is None and time.monotonic() < deadline and proc.poll() is None:
        found = list(out.glob("*/checkpoints/interrupt/last.pt"))
        checkpoint = found[0] if found else None
        time.sleep(0.05)
    assert checkpoint is not None, "training never wrote a checkpoint"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) != 0, "the run finished before the interrupt; give it more epochs"
    run_dir = checkpoint.parents[2]
    assert not (run_dir / "report.html").exists()
    assert not list(out.rglob("*.tmp"))

    resumed = embedlab_run(config, out, "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stdout.read()
    _, expected = final_metrics(tmp_path / "whole")
    resumed_dir, got = final_metrics(out)
    assert resumed_dir == run_dir
    assert got["retrieval (queries vs train)"] == expected["retrieval (queries vs train)"]
    assert got["history"][-1]["train_loss"] == expected["history"][-1]["train_loss"]
    assert (run_dir / "report.html").is_file()
    assert not list(out.rglob("*.tmp"))
