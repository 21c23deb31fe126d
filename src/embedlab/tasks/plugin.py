"""embedlab's built-in tasks, registered through the ``embedlab`` entry point like any third-party task.

Each task's params model is :func:`~embedlab.tasks.base.blocks_model`: its ``train:`` and
``study:`` blocks. The task modules import torch and the plotting libraries only when a task runs.
"""

from __future__ import annotations

from embedlab.hookspecs import Register
from embedlab.registry import hookimpl
from embedlab.tasks.base import blocks_model
from embedlab.tasks.classification import ClassificationTask
from embedlab.tasks.metric_learning import MetricLearningTask
from embedlab.tasks.words import WordsTask


@hookimpl
def embedlab_register_tasks(register: Register) -> None:
    """Register ``metric-learning``, ``classification`` and ``words``."""
    register(
        "metric-learning",
        MetricLearningTask,
        params=blocks_model(MetricLearningTask),
        summary="metric learning: train an embedding network with a loss and a miner; retrieval metrics, embedding maps",
    )
    register(
        "classification",
        ClassificationTask,
        params=blocks_model(ClassificationTask),
        summary="classification: train a classifier; per-split metrics, ROC curves, confusion matrices, recall bars",
    )
    register(
        "words",
        WordsTask,
        params=blocks_model(WordsTask),
        summary="word-vector exploration: neighbours, analogies, arrows, diagnosis, benchmark scores (not tunable)",
    )
