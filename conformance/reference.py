"""PyTorch's answer for an activation, computed straight from ``torch`` (never via multiact).

The function is found from the registry's ``names.torch`` (``torch.nn.functional.gelu``...), and
multiact's parameter names are mapped to PyTorch's (``axis`` -> ``dim``), so a new registry entry
gets its reference without a line here.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from multiact._registry import Activation

from .tolerances import reference_dtype

__all__ = [
    "LAYOUTS",
    "TORCH_DTYPES",
    "as_dtype_values",
    "available",
    "layouts_for",
    "torch_computed_in",
    "torch_paths",
    "torch_reference",
    "torch_vjp",
]

TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _torch() -> Any:
    return importlib.import_module("torch")


def available(activation: Activation) -> bool:
    """Does PyTorch have ``activation``, and is it installed here?"""
    return activation.names.torch is not None and importlib.util.find_spec("torch") is not None


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


#: The memory layouts a reference can be computed in. PyTorch's CPU kernels run a vectorised
#: loop over contiguous memory (its scalar loop only for the tail that does not fill two
#: vectors) and the scalar loop over strided memory, and the two do not always agree
#: (gelu(+inf) is NaN in the vectorised loop, inf in the scalar one). ``contiguous`` is the
#: values as they are; ``vectorised`` the same followed by ``_PAD`` more elements, so that
#: every value falls in the vectorised loop (elementwise functions only); ``strided`` every
#: other element of a larger tensor, so that every value takes the scalar loop.
LAYOUTS = ("contiguous", "vectorised", "strided")
#: More than the tail of PyTorch's widest vectorised loop (two 64-byte vectors of float16).
_PAD = 128


def layouts_for(activation: Activation, params: Mapping[str, Any] | None = None) -> tuple:
    """The layouts beyond ``contiguous`` that compute the same function of each value."""
    channels = any(
        p.kind == "array" and np.size((params or {}).get(p.name, p.default)) > 1
        for p in activation.params
    )
    if activation.reduces or getattr(activation, "halves_axis", False) or channels:
        return ("strided",)  # rows stay rows; a per-channel weight needs the shape
    return ("vectorised", "strided")


def _tensor(values: np.ndarray, torch_dtype: Any, device: str, layout: str) -> tuple[Any, Any]:
    """(the input tensor in ``layout``, the leaf tensor it is a view of)."""
    torch = _torch()
    v = np.asarray(values, dtype=np.float64)
    if layout == "contiguous" or v.ndim == 0:
        leaf = torch.as_tensor(v).to(device, torch_dtype)
        return leaf, leaf
    base = np.full((*v.shape[:-1], 2 * v.shape[-1]), np.nan)
    base[..., ::2] = v
    leaf = torch.as_tensor(base).to(device, torch_dtype)
    return leaf[..., ::2], leaf


def torch_reference(
    activation: Activation,
    values: np.ndarray,
    dtype: str,
    params: Mapping[str, Any] | None = None,
    device: str = "cpu",
    widen: bool = True,
    layout: str = "contiguous",
) -> np.ndarray:
    """PyTorch's result for ``values`` (already representable in ``dtype``), as float64.

    Computed in ``reference_dtype(activation, "forward", dtype)`` (float32 for the few
    composite activations whose half-precision PyTorch result is no reference; see
    ``tolerances.WIDENED_REFERENCES``) and rounded to ``dtype``; ``widen=False`` when the
    result to compare is PyTorch's own half-precision kernel. ``layout`` is one of
    ``LAYOUTS``.
    """
    torch = _torch()
    compute = reference_dtype(activation.name, "forward", dtype) if widen else dtype
    if compute != dtype:
        wide = torch_reference(activation, values, compute, params, device, layout=layout)
        return as_dtype_values(wide, dtype)
    if layout == "vectorised":
        shape, padded = np.shape(values), _padded(values)
        y = torch_reference(activation, padded, dtype, params, device, widen)
        return y[: math.prod(shape)].reshape(shape)
    x, _ = _tensor(values, getattr(torch, dtype), device, layout)
    y = torch_function(activation)(x, **_torch_kwargs(activation, params, x))
    return y.detach().to("cpu", torch.float64).numpy()


def _padded(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.ravel(values), np.ones(_PAD)])


def torch_vjp(
    activation: Activation,
    values: np.ndarray,
    cotangent: np.ndarray,
    dtype: str,
    params: Mapping[str, Any] | None = None,
    device: str = "cpu",
    widen: bool = True,
    layout: str = "contiguous",
) -> np.ndarray:
    """PyTorch autograd's gradient of ``sum(cotangent * f(values))``, as float64 (computed in
    ``reference_dtype(activation, "gradient", dtype)``, as ``torch_reference``; ``widen=False``
    for PyTorch's own half-precision backward; ``layout`` one of ``LAYOUTS``)."""
    torch = _torch()
    compute = reference_dtype(activation.name, "gradient", dtype) if widen else dtype
    if compute != dtype:
        wide = torch_vjp(activation, values, cotangent, compute, params, device, layout=layout)
        return as_dtype_values(wide, dtype)
    if layout == "vectorised":
        shape = np.shape(values)
        g = _padded(cotangent)
        y = torch_vjp(activation, _padded(values), g, dtype, params, device, widen)
        return y[: math.prod(shape)].reshape(shape)
    torch_dtype = getattr(torch, dtype)
    x, leaf = _tensor(values, torch_dtype, device, layout)
    leaf.requires_grad_(True)
    if x is not leaf:  # the view again, now part of the graph
        x = leaf[..., ::2]
    g = torch.as_tensor(np.asarray(cotangent, dtype=np.float64)).to(device, torch_dtype)
    y = torch_function(activation)(x, **_torch_kwargs(activation, params, x))
    (grad,) = torch.autograd.grad(y, x, g)
    return grad.detach().to("cpu", torch.float64).numpy()


def torch_paths(
    activation: Activation,
    values: np.ndarray,
    dtype: str,
    params: Mapping[str, Any] | None = None,
    device: str = "cpu",
    widen: bool = True,
    cotangent: np.ndarray | None = None,
) -> list[np.ndarray]:
    """PyTorch's result (its gradient, given a ``cotangent``) by its other code paths: the
    layouts of :func:`layouts_for`, for ``tolerances.judge``'s ``other_paths``."""
    if cotangent is None:
        return [
            torch_reference(activation, values, dtype, params, device, widen, layout)
            for layout in layouts_for(activation, params)
        ]
    return [
        torch_vjp(activation, values, cotangent, dtype, params, device, widen, layout)
        for layout in layouts_for(activation, params)
    ]


def torch_computed_in(
    compute: str,
    activation: Activation,
    params: Mapping[str, Any] | None,
    kind: str,
    dtype: str,
    values: np.ndarray,
    cotangent: np.ndarray | None,
) -> np.ndarray:
    """PyTorch's own result on the CPU (its gradient for ``kind == "gradient"``), computed in
    ``compute`` and rounded to ``dtype``: what a known difference with ``expected_dtype`` or
    ``expected_on_cpu`` holds a backend to (``tolerances.judge``'s ``pytorch_on_cpu``)."""
    if kind == "forward":
        wide = torch_reference(activation, values, compute, params, widen=False)
    else:
        wide = torch_vjp(activation, values, cotangent, compute, params, widen=False)
    return as_dtype_values(wide, dtype)
