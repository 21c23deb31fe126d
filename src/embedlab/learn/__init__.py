"""Metric learning and classifier baselines: networks, losses, miners, trainers."""
