"""The backends under test: how to build each one's arrays, call it, and read the result.

A target is an array library plus the path multiact takes for it: its native backend
(``numpy``, ``torch``, ``jax``), or the generic array-API backend, either because the library
has no native one (array-api-strict, Dask) or because the generic kernels are forced onto
NumPy, PyTorch or JAX arrays to prove them against PyTorch.
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

__all__ = ["TARGETS", "Target"]


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

    def available(self) -> bool:
        return importlib.util.find_spec(self.library.split(".")[0]) is not None

    @property
    def module(self) -> Any:
        return importlib.import_module(self.library)

    def asarray(self, values: np.ndarray, dtype: str) -> Any:
        """``values`` (exactly representable in ``dtype``) as this library's array of ``dtype``.

        ``dtype`` is a name: ``float32``, ``bfloat16``, ``int64``, ``bool``, ``complex64``...
        """
        lib = self.module
        values = np.asarray(values)
        if self.library == "numpy":
            return values.astype(dtype)
        if self.library == "torch":
            return lib.as_tensor(values).to(getattr(lib, dtype))
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
        y = np.asarray(y)
        return y.astype(np.float64) if y.dtype.kind in "fV" else y

    def call(self, activation: str, x: Any, params: Mapping[str, Any] | None = None) -> Any:
        if self.forced_generic:
            a = lookup(activation)
            return getattr(backend_module("generic"), a.name)(x, *a.kernel_args(params))
        return getattr(multiact, activation)(x, **(params or {}))


_FLOATS = ("float16", "bfloat16", "float32", "float64")
TARGETS: tuple[Target, ...] = (
    Target("numpy", "numpy", "numpy", ("float16", "float32", "float64")),
    Target("torch", "torch", "torch", _FLOATS),
    Target("jax", "jax.numpy", "jax", _FLOATS),
    Target("array-api-strict", "array_api_strict", "generic", ("float32", "float64")),
    Target("dask", "dask.array", "generic", ("float16", "float32", "float64")),
    Target("generic-numpy", "numpy", "generic", ("float16", "float32", "float64"), True),
    Target("generic-torch", "torch", "generic", _FLOATS, True),
    Target("generic-jax", "jax.numpy", "generic", _FLOATS, True),
)
