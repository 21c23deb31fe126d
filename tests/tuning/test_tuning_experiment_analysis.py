"""Ray's own view of a search: ``TuneResult.experiment_analysis()`` on a real two-trial search."""

from __future__ import annotations

import pytest

import embedlab
from embedlab.tuning.result import TuneResult

pytestmark = pytest.mark.ray

TINY = {
    "name": "tiny",
    "task": "classification",
    "dataset": {"name": "digits", "params": {"flatten": True}},
    "backend": {"name": "mlp-classifier", "params": {"units": {"grid": [16, 32]}}},
    "train": {"lr": 0.01, "batch_size": 128},
    "tune": {"scheduler": "fifo", "searcher": "grid", "max_epochs": 2, "num_samples": 1},
}


def test_experiment_analysis_reads_what_ray_wrote(ray_session, tmp_path):
    from ray.tune import ExperimentAnalysis

    result = embedlab.tune(TINY, storage_path=str(tmp_path / "tune"))
    analysis = result.experiment_analysis()
    assert isinstance(analysis, ExperimentAnalysis)
    assert analysis.default_metric == "val_accuracy" and analysis.default_mode == "max"
    assert sorted(c["backend.units"] for c in analysis.get_all_configs().values()) == [16, 32]
    frames = analysis.trial_dataframes
    assert len(frames) == 2 and all(len(frame) == 2 for frame in frames.values())  # 2 epochs each
    assert analysis.get_best_config()["backend.units"] == result.best_config["backend.units"]
    # a result saved elsewhere and loaded back still finds Ray's folder
    loaded = TuneResult.load(result.save(tmp_path / "copy"))
    assert loaded.experiment_analysis().experiment_path == analysis.experiment_path
