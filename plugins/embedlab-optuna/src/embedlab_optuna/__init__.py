"""embedlab-optuna: an in-process Optuna tuner for embedlab (registered as tuner ``optuna``)."""
