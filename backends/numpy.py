"""NumPy backend: NumPy ufuncs, writing into ``out=`` buffers rather than chaining temporaries.

Where NumPy has no kernel (erf for the exact GELU), the generic array-API formula runs with
NumPy itself as the namespace. float16 is computed in float32 and rounded once, as PyTorch
does. Every ufunc gets an explicit ``out=``: without it a 0-d array comes back as a NumPy
scalar, and the output must have the input's type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from multiact import _checks, _generic, _special

NAME = "numpy"


def dtype_kind(x: Any) -> str:
    # ml_dtypes' bfloat16 reports kind 'V': NumPy has no bfloat16 of its own, so it gets the
    # dtype error like any other unsupported dtype.
    return x.dtype.kind


def _output(fn: str, x: np.ndarray, inplace: bool) -> np.ndarray:
    if not inplace:
        return np.empty_like(x)
    if not x.flags.writeable:
        raise _checks.read_only_error(fn)
    return x


def _widen(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _as_output(y: Any, x: np.ndarray) -> np.ndarray:
    """``y`` (possibly a NumPy scalar, possibly widened) as an array of ``x``'s dtype."""
    return np.asarray(y).astype(x.dtype, copy=False)


def _per_row(kernel: Any, x: np.ndarray, axis: int) -> np.ndarray | None:
    """The degenerate cases of softmax-like kernels, or None for the general one."""
    if x.ndim == 0:
        return kernel(x.reshape(1), 0).reshape(())
    if x.shape[axis] == 0:
        return np.empty_like(x)
    return None


def relu(x: np.ndarray, inplace: bool) -> np.ndarray:
    # maximum(0, x) returns its second argument on ties, so -0.0 stays -0.0 (as torch.relu).
    return np.maximum(0, x, out=_output("relu", x, inplace))


def leaky_relu(x: np.ndarray, negative_slope: float, inplace: bool) -> np.ndarray:
    out = _output("leaky_relu", x, inplace)
    positive = x > 0
    # NaN is not > 0, so it goes through the multiply and stays NaN, as in PyTorch.
    np.multiply(_widen(x), negative_slope, out=out, where=~positive, casting="same_kind")
    if not inplace:
        np.copyto(out, x, where=positive)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    e = np.empty_like(w)
    r = np.empty_like(w)
    np.abs(w, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e = exp(-|x|), which cannot overflow
    np.add(e, 1.0, out=r)
    np.reciprocal(r, out=r)  # r = sigmoid(|x|)
    np.multiply(e, r, out=e)  # e = sigmoid(-|x|)
    np.copyto(e, r, where=w >= 0)
    return e.astype(x.dtype, copy=False)


def tanh(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    return np.tanh(w, out=np.empty_like(w)).astype(x.dtype, copy=False)


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    degenerate = _per_row(softmax, x, axis)
    if degenerate is not None:
        return degenerate
    s, total, finite = _generic.softmax_parts(_widen(x), axis, np)
    np.exp(s, out=s)
    np.divide(s, total, out=s)
    np.copyto(s, np.nan, where=~finite)
    return s.astype(x.dtype, copy=False)


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    degenerate = _per_row(log_softmax, x, axis)
    if degenerate is not None:
        return degenerate
    s, total, finite = _generic.softmax_parts(_widen(x), axis, np)
    np.log(total, out=total)
    np.subtract(s, total, out=s)
    np.copyto(s, np.nan, where=~finite)
    return s.astype(x.dtype, copy=False)


def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    w = _widen(x)
    y = _generic.gelu_tanh(w, np) if approximate == "tanh" else _special.gelu_exact(w, np)
    return _as_output(y, x)
