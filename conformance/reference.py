"""PyTorch's answer for an activation, computed straight from ``torch`` (never via multiact).

The function is found from the registry's ``names.torch`` (``torch.nn.functional.gelu``...), and
multiact's parameter names are mapped to PyTorch's (``axis`` -> ``dim``), so a new registry entry
gets its reference without a line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from multiact._registry import Activation

__all__ = ["TORCH_DTYPES", "as_dtype_values", "torch_reference", "torch_vjp"]

TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _torch() -> Any:
    return importlib.import_module("torch")


def torch_function(activation: Activation) -> Any:
    path = activation.names.torch
    if path is None:
        raise LookupError(f"{activation.name} has no PyTorch function to compare with")
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def as_dtype_values(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` rounded to ``dtype`` (as PyTorch rounds), returned as float64.

    Every backend then receives exactly the same numbers, whatever its own conversion does.
    """
    torch = _torch()
    t = torch.as_tensor(np.asarray(values, dtype=np.float64)).to(getattr(torch, dtype))
    return t.to(torch.float64).numpy()


def _torch_kwargs(activation: Activation, params: Mapping[str, Any] | None) -> dict[str, Any]:
    kwargs = {}
    for param in activation.params:
        if param.name == "inplace":
            continue
        value = (params or {}).get(param.name, param.default)
        kwargs["dim" if param.kind == "axis" else param.name] = value
    return kwargs


def torch_reference(
    activation: Activation,
    values: np.ndarray,
    dtype: str,
    params: Mapping[str, Any] | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """PyTorch's result for ``values`` (already representable in ``dtype``), as float64."""
    torch = _torch()
    x = torch.as_tensor(np.asarray(values, dtype=np.float64)).to(getattr(torch, dtype))
    y = torch_function(activation)(x.to(device), **_torch_kwargs(activation, params))
    return y.detach().to("cpu", torch.float64).numpy()


def torch_vjp(
    activation: Activation,
    values: np.ndarray,
    cotangent: np.ndarray,
    dtype: str,
    params: Mapping[str, Any] | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """PyTorch autograd's gradient of ``sum(cotangent * f(values))``, as float64."""
    torch = _torch()
    torch_dtype = getattr(torch, dtype)
    x = torch.as_tensor(np.asarray(values, dtype=np.float64)).to(device, torch_dtype)
    x.requires_grad_(True)
    g = torch.as_tensor(np.asarray(cotangent, dtype=np.float64)).to(device, torch_dtype)
    y = torch_function(activation)(x, **_torch_kwargs(activation, params))
    (grad,) = torch.autograd.grad(y, x, g)
    return grad.detach().to("cpu", torch.float64).numpy()
