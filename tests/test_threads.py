"""The thread policy: EMBEDLAB_NUM_THREADS, OMP_NUM_THREADS, affinity, the work-size rule, restoring."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest
import torch

import embedlab.threads as threads
from embedlab.errors import ConfigError
from embedlab.threads import WORK_PER_THREAD, cpu_budget, cpu_threads, num_threads, torch_threads


@pytest.fixture
def eight_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight CPUs in this process's affinity mask, and neither thread variable set."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.delenv("EMBEDLAB_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


@pytest.fixture
def keep_torch_threads():
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("work", "expected"),
    [
        (0, 1),
        (WORK_PER_THREAD, 1),
        (2 * WORK_PER_THREAD - 1, 1),
        (2 * WORK_PER_THREAD, 2),
        (5.5 * WORK_PER_THREAD, 5),
        (1000 * WORK_PER_THREAD, 8),
        (None, 8),
        (float("inf"), 8),
    ],
    ids=["none", "one-unit", "just-under-two", "two-units", "five-and-a-half", "huge", "unknown", "infinite"],
)
def test_work_size_rule_between_one_and_the_cpus(eight_cpus, work, expected):
    assert num_threads(work) == expected


def test_the_seed_studys_steps_get_one_thread(eight_cpus):
    from embedlab.learn.classifier import mlp_classifier
    from embedlab.learn.networks import materialize, multiply_adds, seed_cnn

    cnn = materialize(seed_cnn(), (1, 8, 8))
    assert num_threads(3 * multiply_adds(cnn, torch.zeros(1, 1, 8, 8)) * 128) == 1
    assert num_threads(3 * multiply_adds(mlp_classifier(), torch.zeros(1, 64)) * 32) == 1


def test_affinity_bounds_the_default(monkeypatch, eight_cpus):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 5, 7}, raising=False)
    assert cpu_threads() == 3
    assert num_threads(1e15) == 3
    assert num_threads() == 3


def test_environment_variable_overrides_everything(monkeypatch, eight_cpus):
    monkeypatch.setenv("EMBEDLAB_NUM_THREADS", "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "6")
    assert num_threads(0) == num_threads(1e15) == num_threads() == 3
    monkeypatch.setenv("EMBEDLAB_NUM_THREADS", " 12 ")  # more than the CPUs: the user's choice
    assert num_threads(0) == 12


def test_empty_environment_variable_counts_as_unset(monkeypatch, eight_cpus):
    monkeypatch.setenv("EMBEDLAB_NUM_THREADS", "")
    assert num_threads(0) == 1


@pytest.mark.parametrize(
    ("omp", "expected"), [("2", 2), ("4,2", 4), ("16", 16)], ids=["plain", "nested", "above-cpus"]
)
def test_omp_num_threads_is_respected(monkeypatch, eight_cpus, omp, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert num_threads(0) == num_threads(1e15) == expected


@pytest.mark.parametrize("omp", ["0", "abc", "-1"])
def test_an_invalid_omp_num_threads_is_ignored_with_a_warning(monkeypatch, eight_cpus, caplog, omp):
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    monkeypatch.setattr(threads, "_WARNED", set())
    with caplog.at_level("WARNING", logger="embedlab.threads"):
        assert num_threads(0) == 1
        assert num_threads(1e15) == 8
    assert sum("OMP_NUM_THREADS" in r.getMessage() for r in caplog.records) == 1  # warned once


@pytest.mark.parametrize("value", ["0", "-2", "abc", "1.5", "2 threads"])
def test_an_invalid_environment_variable_is_a_config_error(
    monkeypatch, eight_cpus, keep_torch_threads, value
):
    monkeypatch.setenv("EMBEDLAB_NUM_THREADS", value)
    with pytest.raises(ConfigError, match=r"EMBEDLAB_NUM_THREADS=.*whole number >= 1"):
        num_threads(0)
    with pytest.raises(ConfigError, match="EMBEDLAB_NUM_THREADS"), torch_threads(0):
        pass
    assert torch.get_num_threads() == keep_torch_threads


def test_torch_threads_applies_the_policy_and_restores(monkeypatch, eight_cpus, keep_torch_threads):
    torch.set_num_threads(2)
    with torch_threads(0) as count:
        assert count == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == 2
    monkeypatch.setenv("EMBEDLAB_NUM_THREADS", "3")
    with torch_threads(0) as count:
        assert count == 3 == torch.get_num_threads()
        with torch_threads(threads=1):  # nested blocks restore their own setting
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 3
    assert torch.get_num_threads() == 2


def test_torch_threads_restores_after_an_error(eight_cpus, keep_torch_threads):
    torch.set_num_threads(2)
    with pytest.raises(RuntimeError, match="boom"), torch_threads(threads=1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


def test_cpu_budget_caps_the_policy_and_is_undone(eight_cpus):
    with cpu_budget(2):
        assert cpu_threads() == 2
        assert num_threads(1e15) == 2
        with cpu_budget(64):  # never more than the affinity mask
            assert cpu_threads() == 8
        assert cpu_threads() == 2
    assert cpu_threads() == 8
    with cpu_budget(0):
        assert cpu_threads() == 1


def test_torch_is_not_imported_when_nothing_uses_it():
    code = (
        "import sys\n"
        "from embedlab.threads import torch_threads\n"
        "with torch_threads(1) as n:\n"
        "    assert n >= 1\n"
        "assert 'torch' not in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("EMBEDLAB_NUM_THREADS", "OMP_NUM_THREADS")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _threads_seen(params, report):
    report({"epoch": 1, "threads": torch.get_num_threads(), "cpus": cpu_threads()})


@pytest.mark.filterwarnings("ignore:`get_trial_resources` is meant:UserWarning")
def test_a_trial_outside_ray_gets_one_cpu(eight_cpus, keep_torch_threads):
    from embedlab.tuning.ray_tuner import _run_trial

    seen = {}

    def experiment(params, report):
        seen.update(threads=torch.get_num_threads(), cpus=cpu_threads())

    _run_trial({}, experiment)
    assert seen == {"threads": 1, "cpus": 1}
    assert cpu_threads() == 8


def test_a_trial_keeps_one_thread_per_cpu_it_was_given(monkeypatch, eight_cpus, keep_torch_threads):
    from ray import tune
    from ray.tune import PlacementGroupFactory

    from embedlab.tuning.ray_tuner import _run_trial

    class Context:
        def get_trial_resources(self):
            return PlacementGroupFactory([{"CPU": 3}])

    monkeypatch.setattr(tune, "get_context", Context)
    monkeypatch.setattr(tune, "report", lambda metrics: seen.update(metrics))
    seen: dict = {}
    _run_trial({}, _threads_seen)
    assert (seen["threads"], seen["cpus"]) == (3, 3)


@pytest.mark.ray
def test_ray_trials_run_torch_on_their_cpus(ray_session, tmp_path):
    from embedlab.space import Choice
    from embedlab.tuning.ray_tuner import RayTuner

    def trainable(params, report):  # defined here so that Ray ships it by value
        report({"epoch": 1, "threads": torch.get_num_threads(), "cpus": cpu_threads()})

    result = RayTuner().tune(
        trainable,
        {"x": Choice((1,))},
        metric="threads",
        mode="max",
        scheduler="fifo",
        searcher="grid",
        max_epochs=1,
        resources={"cpu": 2},
        storage_path=str(tmp_path),
    )
    (trial,) = result.trials
    omp = os.environ.get("OMP_NUM_THREADS")  # the raylet's; Ray sets the trial's CPUs when unset
    assert trial.history[0]["cpus"] == 2
    assert trial.history[0]["threads"] == (int(omp) if omp else 2)


def test_multiply_adds_counts_linear_and_convolution_layers():
    from embedlab.learn.networks import materialize, multiply_adds, seed_cnn

    cnn = materialize(seed_cnn(), (1, 8, 8))
    # conv 8x8x8 outputs x 9, conv 6x6x16 x 72, conv 1x1x32 x 144, dense 32->128, dense 128->10
    assert multiply_adds(cnn, torch.zeros(1, 1, 8, 8)) == 4608 + 41472 + 4608 + 4096 + 1280
    assert multiply_adds(cnn, torch.zeros(3, 1, 8, 8)) == 3 * 56064
    up = torch.nn.ConvTranspose2d(2, 4, 3)  # each of 2x5x5 inputs spreads over 4x3x3 outputs
    assert multiply_adds(up, torch.zeros(1, 2, 5, 5)) == 2 * 5 * 5 * 4 * 9
    assert cnn.training  # the count runs in eval mode and gives the mode back


class Recorder(torch.nn.Module):
    """A linear layer that records torch's thread count at every forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(6, 4)
        self.seen: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(torch.get_num_threads())
        return self.linear(x.flatten(1))


def test_trainers_transform_and_retrieval_run_under_the_policy(monkeypatch, eight_cpus, keep_torch_threads):
    from embedlab.learn.classifier import train_classifier
    from embedlab.learn.losses import TripletLoss
    from embedlab.learn.trainer import Trainer, embed

    retrieval_module = importlib.import_module("embedlab.metrics.retrieval")

    monkeypatch.setenv("EMBEDLAB_NUM_THREADS", "3")
    torch.set_num_threads(1)
    X, y = torch.randn(32, 6), torch.arange(32) % 4

    trainer_net = Recorder()
    Trainer(trainer_net, TripletLoss(), None, epochs=1, batch_size=16, progress=False, device="cpu").fit(X, y)
    classifier_net = Recorder()
    train_classifier(classifier_net, X.numpy(), y.numpy(), epochs=1, batch_size=16, device="cpu")
    embed_net = Recorder()
    embed(embed_net, X, torch.device("cpu"))
    seen_by_retrieval = []
    add = retrieval_module.RetrievalScores.add
    monkeypatch.setattr(
        retrieval_module.RetrievalScores,
        "add",
        lambda self, rows, hits: seen_by_retrieval.append(torch.get_num_threads()) or add(self, rows, hits),
    )
    retrieval_module.retrieval(X, y, device="cpu")

    for seen in (trainer_net.seen, classifier_net.seen, embed_net.seen, seen_by_retrieval):
        assert seen[-1] == 3  # earlier forward passes size the work, before the policy applies
    assert torch.get_num_threads() == 1
