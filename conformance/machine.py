"""What a run's numbers depend on besides the code: the CPU's SIMD level, and the one that
PyTorch's and NumPy's kernels were dispatched to (``ATEN_CPU_CAPABILITY`` and
``NPY_DISABLE_CPU_FEATURES`` can lower them), recorded with every report and benchmark."""

from __future__ import annotations

import importlib.util
import os
import platform
from pathlib import Path

__all__ = ["cpu_features", "cpu_name", "environment", "numpy_dispatch", "torch_capability"]

#: The environment variables that lower PyTorch's and NumPy's SIMD level.
_VARIABLES = ("ATEN_CPU_CAPABILITY", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES")


def environment() -> dict[str, str]:
    """Those of ``_VARIABLES`` that are set."""
    return {k: os.environ[k] for k in _VARIABLES if k in os.environ}


#: The SIMD extensions that change PyTorch's and NumPy's kernels (and some of their answers).
_SIMD = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "neon",
    "asimd",
    "sve",
)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_features() -> list[str]:
    """The CPU's SIMD extensions among those that matter here (Linux; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags.update(line.split(":", 1)[1].split())
            break
    return [f for f in _SIMD if f in flags]


def torch_capability() -> str | None:
    """The SIMD level PyTorch's CPU kernels run at (None where PyTorch is not installed)."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except Exception:  # an old PyTorch without the query
        return None


def numpy_dispatch() -> list[str]:
    """The CPU dispatch targets NumPy's kernels may use in this process."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return []
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
