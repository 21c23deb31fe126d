import json
from pathlib import Path

import pytest

import embedlab
from embedlab.plots.embeddings import plot_history
from embedlab.tasks.metric_learning import MetricLearningStudy, MetricLearningTask


def test_metric_learning_job_writes_metrics_checkpoint_and_figures(tmp_path, one_thread):
    from embedlab.lab.rundir import RunDirectory

    config = embedlab.load_config(
        Path(__file__).resolve().parents[2] / "examples" / "triplet.yaml"
    ).model_copy(update={"train": {"epochs": 2, "sampler": "random", "warmup_epochs": 0, "progress": False}})
    run = RunDirectory.create(tmp_path, "triplet")
    task = MetricLearningTask(
        MetricLearningTask.from_config(config).train, MetricLearningStudy(projection="pca")
    )
    task.run_section(config, run, "main", False)
    metrics = json.loads(run.metrics_path.read_text())
    section = json.dumps(metrics)
    assert "precision_at_1" in section and "val_precision_at_1" in section
    assert (run.checkpoints / "main" / "last.pt").is_file()
    figures = sorted(p.name for p in (run.path / "figures").iterdir())
    assert figures == ["main-embeddings.png", "main-history.png"]


def test_plot_history_needs_records():
    fig = plot_history([{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}])
    assert len(fig.axes) == 1
    with pytest.raises(embedlab.InputError):
        plot_history([])
