"""Hyperparameter search: search spaces declared in configs, and tuners."""
