"""How the ``ray`` tuner turns one Ray Tune result into a TrialRecord (no Ray runtime needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from embedlab.space import parse_space
from embedlab.tuning.ray_tuner import _record


def test_a_trial_paused_by_hyperband_keeps_one_row_per_epoch():
    # HyperBand paused the trial after epoch 1; resumed, it trained again from epoch 1
    frame = pd.DataFrame(
        {
            "epoch": [1, 1, 2, 3],
            "val_accuracy": [0.84, 0.84, 0.92, 0.93],
            "training_iteration": [1, 2, 3, 4],
            "config/backend.units": [64] * 4,
        }
    )
    result = SimpleNamespace(
        metrics_dataframe=frame,
        metrics={"trial_id": "t1", "time_total_s": 2.0},
        config={"backend.units": 64},
        error=None,
        path="/tmp/trial_t1",
    )
    space = {"backend.units": parse_space({"int": [16, 512], "step": 16}, "backend.units")}
    record = _record(result, space, max_epochs=3)
    assert [row["epoch"] for row in record.history] == [1, 2, 3]
    assert [row["val_accuracy"] for row in record.history] == [0.84, 0.92, 0.93]
    assert record.status == "completed" and record.params == {"backend.units": 64}
    assert "training_iteration" not in record.history[0]
