"""device="auto" picks CUDA when present; bad device strings are typed errors."""

from __future__ import annotations

import pytest
import torch

from embedlab import ConfigError
from embedlab.device import resolve_device


def test_auto_matches_cuda_availability():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


def test_bad_device_is_a_config_error():
    with pytest.raises(ConfigError, match="'gpu0' is not valid"):
        resolve_device("gpu0")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised on a machine without CUDA")
def test_cuda_without_a_gpu_is_refused():
    with pytest.raises(ConfigError, match="no.*CUDA|none is available"):
        resolve_device("cuda")


@pytest.mark.parametrize(("avx512_bf16", "amx", "expected"), [(False, False, False), (True, False, True), (False, True, True)])
def test_native_bf16_reads_both_cpu_probes(monkeypatch: pytest.MonkeyPatch, avx512_bf16: bool, amx: bool, expected: bool):
    from embedlab.device import cpu_has_native_bf16

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    assert cpu_has_native_bf16() is expected
