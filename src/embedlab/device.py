"""Choosing the torch device: ``device="auto"`` picks CUDA when present."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embedlab.errors import ConfigError

if TYPE_CHECKING:
    import torch

__all__ = ["cpu_has_native_bf16", "resolve_device"]


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


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX).

    Without it, bfloat16 arithmetic on the CPU is emulated, and slower than float32.
    """
    import torch

    probes = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(probe is not None and probe() for probe in probes)
