"""Distributed semantics without a GPU or a second machine.

Both tests run their Ray driver in a subprocess, so they never touch the session runtime
of the ``ray_session`` fixture.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tune_mlp.yaml"

LOGICAL_GPUS = textwrap.dedent(
    """
    import json, sys, time
    import ray
    ray.init(num_cpus=4, num_gpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    from embedlab.tuning.ray_tuner import RayTuner
    from embedlab.space import Choice

    def trainable(params, report):
        start = time.time()
        time.sleep(3.0)
        report({"epoch": 1, "score": params["x"], "t0": start, "t1": time.time()})

    result = RayTuner().tune(
        trainable, {"x": Choice(tuple(range(8)))}, metric="score", mode="max", scheduler="fifo",
        searcher="grid", max_epochs=1, resources={"cpu": 0.5, "gpu": 0.5}, storage_path=sys.argv[1],
    )
    rows = [
        {"t0": t.history[0]["t0"], "t1": t.history[0]["t1"], "gpu": t.info["cuda_visible_devices"]}
        for t in result.trials
    ]
    print("RESULT" + json.dumps(rows))
    """
)


def _max_overlap(intervals):
    events = sorted([(t0, 1) for t0, _ in intervals] + [(t1, -1) for _, t1 in intervals])
    running = peak = 0
    for _, step in events:  # at equal times an end (-1) sorts before a start (+1)
        running += step
        peak = max(peak, running)
    return peak


def _run(args, env=None, timeout=240):
    proc = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line.removeprefix("RESULT"))


def test_fractional_gpus_pack_four_trials_on_two_logical_gpus(tmp_path):
    script = tmp_path / "logical_gpus.py"
    script.write_text(LOGICAL_GPUS)
    rows = _run([str(script), str(tmp_path / "out")], env={"RAY_AUTH_MODE": "disabled"})
    assert len(rows) == 8
    # cpu=0.5 would allow 8 at once; the GPU bookkeeping (2 GPUs / 0.5) allows 4
    assert _max_overlap([(r["t0"], r["t1"]) for r in rows]) == 4
    assert {r["gpu"] for r in rows} == {"0", "1"}  # each trial sees the one device it was given
    for device in ("0", "1"):
        assert _max_overlap([(r["t0"], r["t1"]) for r in rows if r["gpu"] == device]) == 2


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, proc, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ray start --head exited early"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"the Ray head did not open port {port}")


def _stop_group(proc):
    """Stop the head and everything it started: its own process group, by id."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the GCS can outlive a SIGTERM to `ray start --block`
    except ProcessLookupError:
        pass
    proc.wait(timeout=15)


CLIENT = textwrap.dedent(
    """
    import json, sys
    import embedlab
    r = embedlab.tune(sys.argv[1], address=sys.argv[2], num_samples=2, max_epochs=1, storage_path=sys.argv[3])
    import ray
    nodes = [n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]]
    print("RESULT" + json.dumps({"rows": len(r.table), "status": sorted(r.table["status"]),
                                "best": r.best_metric, "gcs": ray.get_runtime_context().gcs_address,
                                "nodes": nodes}))
    """
)


def test_tune_joins_a_running_cluster(tmp_path):
    port = _free_port()
    temp_dir = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # Ray's socket paths must stay short
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # a throwaway loopback cluster
    head = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ray.scripts.scripts",
            "start",
            "--head",
            f"--port={port}",
            "--num-cpus=2",
            "--num-gpus=0",
            f"--temp-dir={temp_dir}",
            "--include-dashboard=false",
            "--disable-usage-stats",
            "--block",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, head)
        script = tmp_path / "client.py"
        script.write_text(CLIENT)
        out = _run(
            [str(script), str(EXAMPLE), f"127.0.0.1:{port}", str(tmp_path / "out")],
            env={"RAY_AUTH_MODE": "disabled", "RAY_ADDRESS": ""},
        )
    finally:
        _stop_group(head)
    assert out["rows"] == 2
    assert set(out["status"]) <= {"completed", "stopped"}
    assert out["gcs"].endswith(f":{port}")  # it joined the head, not a runtime of its own
    assert out["best"] > 0.5
    assert (tmp_path / "out" / "search" / "trials.csv").is_file()
