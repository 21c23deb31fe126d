"""The classifier baselines, registered as ``backend`` components through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab.hookspecs import Register
from embedlab.learn.classifier import LinearProbeParams, MLPClassifierParams, SmallCNNClassifierParams
from embedlab.registry import hookimpl


@hookimpl
def embedlab_register_backends(register: Register) -> None:
    """Register ``mlp-classifier``, ``small-cnn-classifier`` and ``linear-probe``."""
    register(
        "mlp-classifier",
        "embedlab.learn.classifier:mlp_classifier",
        params=MLPClassifierParams,
        summary="a one-hidden-layer MLP classifier: Flatten -> Dense(units, relu) -> Dense(num_classes)",
    )
    register(
        "small-cnn-classifier",
        "embedlab.learn.small_cnn:small_cnn_classifier",
        params=SmallCNNClassifierParams,
        summary="a small CNN classifier: conv blocks (3x3, batch norm, ReLU, max-pool), "
        "global average pooling, Dense(units, relu), Dense(num_classes)",
    )
    register(
        "linear-probe",
        "embedlab.learn.classifier:linear_probe",
        params=LinearProbeParams,
        summary="a linear classifier: Flatten -> Dense(num_classes)",
    )
