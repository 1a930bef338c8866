"""The backends under test: how to build each one's arrays, call it, and read the result.

A target is an array library plus the path multiact takes for it: its native backend
(``numpy``, ``torch``, ``jax``), or the generic array-API backend, either because the library
has no native one (array-api-strict, Dask) or because the generic kernels are forced onto
NumPy, PyTorch or JAX arrays to prove them against PyTorch.

Devices: every target has the ``devices`` it can place arrays on. ``cpu`` for all but CuPy;
``cuda`` for PyTorch and JAX (``tensor.to("cuda")``, ``jax.device_put`` on the first GPU) and
CuPy, whose arrays always live on the GPU. ``asarray(values, dtype, device)`` places the input,
``device_of(y)`` says where a result lives, so the suite can check that it stayed there.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import multiact
from multiact._dispatch import backend_module
from multiact._registry import lookup

__all__ = ["CUPY", "DEVICES", "TARGETS", "Target", "gpu_status"]

DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class Target:
    name: str
    #: The array library, as imported.
    library: str
    #: The backend multiact must choose for these arrays: numpy, torch, jax or generic.
    backend: str
    dtypes: tuple[str, ...]
    #: Call the generic kernels directly instead of the public (dispatching) functions.
    forced_generic: bool = False
    #: Where this library's arrays can live (``cpu``, ``cuda``).
    devices: tuple[str, ...] = ("cpu",)

    def available(self) -> bool:
        return importlib.util.find_spec(self.library.split(".")[0]) is not None

    @property
    def module(self) -> Any:
        return importlib.import_module(self.library)

    def asarray(self, values: np.ndarray, dtype: str, device: str | None = None) -> Any:
        """``values`` (exactly representable in ``dtype``) as this library's array of ``dtype``.

        ``dtype`` is a name: ``float32``, ``bfloat16``, ``int64``, ``bool``, ``complex64``...
        ``device`` is ``cpu`` or ``cuda`` (one of ``self.devices``); ``None`` leaves the array
        where the library puts it by default.
        """
        if device is not None and device not in self.devices:
            raise ValueError(
                f"{self.name} arrays cannot live on {device!r}; its devices are {self.devices}"
            )
        lib = self.module
        values = np.asarray(values)
        if self.library == "numpy":
            return values.astype(dtype)
        if self.library == "torch":
            return lib.as_tensor(values).to(device=device or "cpu", dtype=getattr(lib, dtype))
        if self.library == "jax.numpy" and device is not None:
            import jax

            return jax.device_put(lib.asarray(values, dtype=getattr(lib, dtype)), _jax(device))
        if self.library == "dask.array":
            # About four chunks per axis, so reductions along an axis cross chunk boundaries
            # (and a long elementwise input is not thousands of tiny tasks).
            chunks = tuple(max(3, -(-size // 4)) for size in values.shape)
            return lib.from_array(values.astype(dtype), chunks=chunks)
        return lib.asarray(values, dtype=getattr(lib, dtype))

    def to_numpy(self, y: Any) -> np.ndarray:
        """A result as a float64 (or integer) NumPy array."""
        if self.library == "torch":
            y = y.detach().cpu()
            return (y.double() if y.is_floating_point() else y).numpy()
        if self.library == "dask.array":
            y = y.compute()
        if self.library == "array_api_strict":
            y = np.from_dlpack(y)
        if self.library == "cupy":
            y = y.get()
        y = np.asarray(y)
        return y.astype(np.float64) if y.dtype.kind in "fV" else y

    def device_of(self, y: Any) -> str:
        """Where the array ``y`` lives: ``cpu`` or ``cuda``."""
        if self.library == "torch":
            return "cuda" if y.device.type == "cuda" else y.device.type
        if self.library == "jax.numpy":
            platforms = {d.platform for d in y.devices()}
            return "cuda" if platforms & {"gpu", "cuda", "rocm"} else "cpu"
        if self.library == "cupy":
            return "cuda"
        return "cpu"

    def array_params(self, activation: str, params: Mapping[str, Any] | None, like: Any) -> dict:
        """``params`` with array-valued parameters (prelu's weight, given as tuples of floats)
        made arrays of this library in ``like``'s dtype and on its device."""
        a = lookup(activation)
        params = dict(params or {})
        for p in a.params:
            if p.kind == "array" and p.name in params and isinstance(params[p.name], tuple):
                dtype = str(like.dtype).rpartition(".")[2]
                values = np.asarray(params[p.name], np.float64)
                try:
                    device = self.device_of(like)
                except Exception:  # a JAX tracer has no device: the default one
                    device = None
                params[p.name] = self.asarray(values, dtype, device)
        return params

    def call(self, activation: str, x: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Call ``activation`` on ``x``; array-valued parameters (prelu's weight, given as
        tuples of floats) become arrays of this library in ``x``'s dtype."""
        a = lookup(activation)
        params = self.array_params(activation, params, x)
        if self.forced_generic:
            return getattr(backend_module("generic"), a.name)(x, *a.kernel_args(params))
        return getattr(multiact, activation)(x, **params)


def _jax(device: str) -> Any:
    import jax

    if device == "cpu":
        return jax.devices("cpu")[0]
    try:
        return jax.devices("gpu")[0]
    except RuntimeError as error:
        raise RuntimeError(f"JAX has no GPU device: {error}") from None


def gpu_status() -> dict[str, str | None]:
    """For each GPU-capable library: ``None`` if it can use a GPU here, else why not.

    Only libraries that are installed are imported (PyTorch, JAX); CuPy is only looked for.
    """
    status: dict[str, str | None] = {}
    if importlib.util.find_spec("torch") is None:
        status["torch"] = "not installed"
    else:
        import torch

        available = torch.cuda.is_available()
        status["torch"] = None if available else "torch.cuda.is_available() is False"
    if importlib.util.find_spec("jax") is None:
        status["jax"] = "not installed"
    else:
        import jax

        try:
            jax.devices("gpu")
            status["jax"] = None
        except RuntimeError:
            status["jax"] = "JAX finds no GPU device"
    if importlib.util.find_spec("cupy") is None:
        status["cupy"] = "not installed"
    else:
        try:
            import cupy

            status["cupy"] = None if cupy.cuda.runtime.getDeviceCount() > 0 else "no GPU"
        except Exception as error:  # CUDA driver missing, etc.
            status["cupy"] = f"{type(error).__name__}: {error}"
    return status


_FLOATS = ("float16", "bfloat16", "float32", "float64")
_GPU = ("cpu", "cuda")
CUPY = Target("cupy", "cupy", "generic", ("float16", "float32", "float64"), devices=("cuda",))
TARGETS: tuple[Target, ...] = (
    Target("numpy", "numpy", "numpy", ("float16", "float32", "float64")),
    Target("torch", "torch", "torch", _FLOATS, devices=_GPU),
    Target("jax", "jax.numpy", "jax", _FLOATS, devices=_GPU),
    Target("array-api-strict", "array_api_strict", "generic", ("float32", "float64")),
    Target("dask", "dask.array", "generic", ("float16", "float32", "float64")),
    Target("generic-numpy", "numpy", "generic", ("float16", "float32", "float64"), True),
    Target("generic-torch", "torch", "generic", _FLOATS, True, devices=_GPU),
    Target("generic-jax", "jax.numpy", "generic", _FLOATS, True, devices=_GPU),
    # CuPy has no native backend: its arrays take the generic path, and live on the GPU. It is
    # a target where it is installed (elsewhere every test would carry a "cupy missing" skip).
    *(() if importlib.util.find_spec("cupy") is None else (CUPY,)),
)
