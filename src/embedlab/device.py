"""Choosing the torch device: ``device="auto"`` picks CUDA when present."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embedlab.errors import ConfigError

if TYPE_CHECKING:
    import torch

__all__ = ["resolve_device"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return a ``torch.device``; ``"auto"`` is CUDA when available, else CPU.

    Raises
    ------
    ConfigError
        For a device string torch does not understand, or CUDA asked for without one.
    """
    import torch

    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(
            f"device {device!r} is not valid ({exc}); use 'auto', 'cpu' or 'cuda[:N]'"
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asks for CUDA, but none is available; use 'auto' or 'cpu'")
    return resolved
