"""PyTorch Metric Learning's losses and miners, registered in embedlab as ``pml-<name>``."""

from embedlab_pml.plugin import LOSSES, MINERS, PMLParams, pml_name

__all__ = ["LOSSES", "MINERS", "PMLParams", "pml_name"]
