"""embedlab's built-in tuner, registered through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab.hookspecs import Register
from embedlab.registry import hookimpl
from embedlab.tuning.settings import RayTunerParams


@hookimpl
def embedlab_register_tuners(register: Register) -> None:
    """Register the ``ray`` tuner."""
    register(
        "ray",
        "embedlab.tuning.ray_tuner:RayTuner",
        params=RayTunerParams,
        summary="Ray Tune: ASHA/HyperBand/FIFO, random/grid/Optuna search, local or on a Ray cluster",
    )
