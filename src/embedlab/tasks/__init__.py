"""Tasks: one plugin per kind of experiment (``metric-learning``, ``classification``, ``words``).

``embedlab run`` and ``embedlab tune`` find a config's ``task`` in the plugin registry
(kind ``task``) and hand the experiment to it; see :mod:`embedlab.tasks.base` for the contract
a third-party task implements.
"""

from __future__ import annotations

from embedlab.tasks.base import MetricOutputs, Task, TaskTrainable, blocks_model, file_name_keys

__all__ = ["MetricOutputs", "Task", "TaskTrainable", "blocks_model", "file_name_keys"]
