"""embedlab's built-in metrics, registered through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab.metrics.accuracy import AccuracyParams
from embedlab.registry import Register, hookimpl


@hookimpl
def embedlab_register_metrics(register: Register) -> None:
    """Register the built-in metrics."""
    register(
        "accuracy",
        "embedlab.metrics.accuracy:Accuracy",
        params=AccuracyParams,
        summary="fraction of correct predictions (scikit-learn accuracy_score)",
    )
