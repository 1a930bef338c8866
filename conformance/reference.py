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


def _torch_kwargs(
    activation: Activation, params: Mapping[str, Any] | None, like: Any
) -> dict[str, Any]:
    """PyTorch's keyword arguments for multiact's ``params``; ``like`` is the input tensor."""
    kwargs = {}
    for param in activation.params:
        if param.name == "inplace" or param.kind == "generator":
            continue
        value = (params or {}).get(param.name, param.default)
        if param.kind == "array":  # given as a tuple of floats
            value = _torch().tensor(value, dtype=like.dtype, device=like.device)
        kwargs["dim" if param.kind == "axis" else param.name] = value
    return kwargs


def torch_reference(
    activation: Activation,
    values: np.ndarray,
    dtype: str,
    params: Mapping[str, Any] | None = None,
    device: str = "cpu",
    widen: bool = True,
) -> np.ndarray:
    """PyTorch's result for ``values`` (already representable in ``dtype``), as float64.

    Computed in ``reference_dtype(activation, "forward", dtype)`` (float32 for the few
    composite activations whose half-precision PyTorch result is no reference; see
    ``tolerances.WIDENED_REFERENCES``) and rounded to ``dtype``; ``widen=False`` when the
    result to compare is PyTorch's own half-precision kernel.
    """
    from .tolerances import reference_dtype

    torch = _torch()
    compute = reference_dtype(activation.name, "forward", dtype) if widen else dtype
    if compute != dtype:
        wide = torch_reference(activation, values, compute, params, device)
        return as_dtype_values(wide, dtype)
    x = torch.as_tensor(np.asarray(values, dtype=np.float64)).to(getattr(torch, dtype))
    x = x.to(device)
    y = torch_function(activation)(x, **_torch_kwargs(activation, params, x))
    return y.detach().to("cpu", torch.float64).numpy()


def torch_vjp(
    activation: Activation,
    values: np.ndarray,
    cotangent: np.ndarray,
    dtype: str,
    params: Mapping[str, Any] | None = None,
    device: str = "cpu",
    widen: bool = True,
) -> np.ndarray:
    """PyTorch autograd's gradient of ``sum(cotangent * f(values))``, as float64 (computed in
    ``reference_dtype(activation, "gradient", dtype)``, as ``torch_reference``; ``widen=False``
    for PyTorch's own half-precision backward)."""
    from .tolerances import reference_dtype

    torch = _torch()
    compute = reference_dtype(activation.name, "gradient", dtype) if widen else dtype
    if compute != dtype:
        wide = torch_vjp(activation, values, cotangent, compute, params, device)
        return as_dtype_values(wide, dtype)
    torch_dtype = getattr(torch, dtype)
    x = torch.as_tensor(np.asarray(values, dtype=np.float64)).to(device, torch_dtype)
    x.requires_grad_(True)
    g = torch.as_tensor(np.asarray(cotangent, dtype=np.float64)).to(device, torch_dtype)
    y = torch_function(activation)(x, **_torch_kwargs(activation, params, x))
    (grad,) = torch.autograd.grad(y, x, g)
    return grad.detach().to("cpu", torch.float64).numpy()
