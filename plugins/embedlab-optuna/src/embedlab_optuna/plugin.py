"""Registers the ``optuna`` tuner through the ``embedlab`` entry point (no optuna import here)."""

from __future__ import annotations

from pydantic import Field

import embedlab
from embedlab.hookspecs import Register


class OptunaTunerParams(embedlab.Params):
    """Parameters of the ``optuna`` tuner (the search itself is set in the ``tune:`` block)."""

    progress: bool = Field(False, description="Show Optuna's progress bar over trials.")


@embedlab.hookimpl
def embedlab_register_tuners(register: Register) -> None:
    """Register the ``optuna`` tuner."""
    register(
        "optuna",
        "embedlab_optuna.tuner:OptunaTuner",
        params=OptunaTunerParams,
        summary="Optuna in this process (TPE/random/grid, ASHA/HyperBand pruning), no Ray",
    )
