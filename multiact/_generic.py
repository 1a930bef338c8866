"""The generic backend: every activation written with array-API standard calls (``xp.*``) only.

This is the path for every array library without a native backend (CuPy, Dask,
array-api-strict, ...). The conformance suite also runs it on NumPy, PyTorch and JAX arrays
to prove it against PyTorch. Its functions have the same names and signatures as the native
backends' (``multiact/backends/*.py``); arguments arrive validated and with defaults filled.

float16 and bfloat16 inputs are computed in float32 and rounded once at the end, as PyTorch's
CPU kernels do (its "opmath" type), so the generic path agrees with PyTorch to the last bit in
most places rather than accumulating half-precision rounding.
"""

from __future__ import annotations

import math
from typing import Any

from . import _checks, _special

NAME = "generic"

#: type(x) -> its array-API namespace; array_namespace costs about 1 us a call.
_NAMESPACES: dict[type, Any] = {}
#: (array type, dtype) -> kind letter. Keyed with the type too: array-api-strict warns when
#: its dtypes are compared with NumPy's, as a shared dict lookup would.
_KINDS: dict[tuple[type, Any], str] = {}

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# Beyond |x| = 100 the tanh-GELU's inner polynomial saturates tanh in every dtype; clipping
# there keeps x**3 from overflowing (and NumPy from warning) without changing any result.
_GELU_TANH_CLIP = 100.0


def namespace(x: Any) -> Any:
    """The array-API namespace of ``x``; raises ``TypeError`` for non-arrays."""
    try:
        return _NAMESPACES[type(x)]
    except KeyError:
        pass
    from array_api_compat import array_namespace

    xp = array_namespace(x)
    _NAMESPACES[type(x)] = xp
    return xp


_CATEGORIES = (
    ("f", "real floating"),
    ("i", "signed integer"),
    ("u", "unsigned integer"),
    ("b", "bool"),
    ("c", "complex floating"),
)


def dtype_kind(x: Any) -> str:
    """``'f'``, ``'i'``, ``'u'``, ``'b'``, ``'c'`` (NumPy's dtype kinds) or ``'?'``."""
    dtype = x.dtype
    key = (type(x), dtype)
    try:
        return _KINDS[key]
    except KeyError:
        pass
    xp = namespace(x)
    kind = next((k for k, category in _CATEGORIES if xp.isdtype(dtype, category)), "?")
    _KINDS[key] = kind
    return kind


def _widen(x: Any, xp: Any) -> Any:
    """float16/bfloat16 -> float32 for the computation; other dtypes unchanged."""
    if xp.finfo(x.dtype).bits < 32:
        return xp.astype(x, xp.float32)
    return x


def _finish(fn: str, x: Any, y: Any, xp: Any, inplace: bool = False) -> Any:
    """Round ``y`` back to ``x``'s dtype; with ``inplace``, write it into ``x``."""
    if type(y) is not type(x):
        # array-api-compat's NumPy namespace hands 0-d results back as NumPy scalars.
        y = xp.asarray(y)
    if y.dtype != x.dtype:
        y = xp.astype(y, x.dtype)
    if not inplace:
        return y
    try:
        x[...] = y
    except (TypeError, ValueError, NotImplementedError) as error:
        raise _checks.immutable_error(fn, x) from error
    return x


def stable_sigmoid(x: Any, xp: Any) -> Any:
    """1 / (1 + exp(-x)) without overflow: exp only ever sees -|x|."""
    e = xp.exp(-xp.abs(x))
    r = 1.0 / (1.0 + e)
    return xp.where(x >= 0, r, e * r)


def gelu_tanh(x: Any, xp: Any) -> Any:
    """The tanh-approximated GELU, written as x * sigmoid(2u) rather than x/2 * (1 + tanh(u)).

    The two are equal in exact arithmetic; the sigmoid form keeps full relative precision in
    the left tail, where ``1 + tanh(u)`` cancels to nothing.
    """
    c = xp.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    u2 = (2.0 * _SQRT_2_OVER_PI) * (c + 0.044715 * (c * c * c))
    # -inf * sigmoid(-inf) is -inf * 0: NaN, as PyTorch gives, but computed without the
    # 0 * inf that makes NumPy warn.
    minus_inf = x == -xp.inf
    y = xp.where(minus_inf, xp.zeros_like(x), x) * stable_sigmoid(u2, xp)
    return xp.where(minus_inf, xp.full_like(x, xp.nan), y)


def relu(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    # x < 0 (not x <= 0) keeps -0.0 and NaN as they are, as torch.relu does.
    return _finish("relu", x, xp.where(x < 0, xp.zeros_like(x), x), xp, inplace)


def leaky_relu(x: Any, negative_slope: float, inplace: bool) -> Any:
    xp = namespace(x)
    w = _widen(x, xp)
    return _finish("leaky_relu", x, xp.where(w > 0, w, w * negative_slope), xp, inplace)


def sigmoid(x: Any) -> Any:
    xp = namespace(x)
    return _finish("sigmoid", x, stable_sigmoid(_widen(x, xp), xp), xp)


def tanh(x: Any) -> Any:
    xp = namespace(x)
    return _finish("tanh", x, xp.tanh(_widen(x, xp)), xp)


def softmax_parts(x: Any, axis: int, xp: Any) -> tuple[Any, Any, Any]:
    """``(s, total, finite)`` for softmax-like functions along ``axis``.

    ``s = x - max(x)``, so the largest exponent is 0 and exp cannot overflow; ``total`` is
    ``sum(exp(s))``. A row whose max is not finite (all -inf, or holding +inf or NaN) has no
    defined softmax: PyTorch gives NaN for the whole row, and so do callers, via ``finite``.
    Such rows are zeroed here rather than computed, so no inf - inf, overflow or 0/0 ever
    happens (NumPy, and the libraries built on it, would warn).
    """
    m = xp.max(x, axis=axis, keepdims=True)
    finite = xp.isfinite(m)
    s = xp.where(finite, x - xp.where(finite, m, xp.zeros_like(m)), xp.zeros_like(x))
    total = xp.sum(xp.exp(s), axis=axis, keepdims=True)
    return s, total, finite


def _nan_rows(y: Any, finite: Any, xp: Any) -> Any:
    return xp.where(finite, y, xp.full_like(y, xp.nan))


def softmax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    if x.ndim == 0:
        return xp.reshape(softmax(xp.reshape(x, (1,)), 0), ())
    if x.shape[axis] == 0:
        return xp.zeros_like(x)
    s, total, finite = softmax_parts(_widen(x, xp), axis, xp)
    return _finish("softmax", x, _nan_rows(xp.exp(s) / total, finite, xp), xp)


def log_softmax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    if x.ndim == 0:
        return xp.reshape(log_softmax(xp.reshape(x, (1,)), 0), ())
    if x.shape[axis] == 0:
        return xp.zeros_like(x)
    s, total, finite = softmax_parts(_widen(x, xp), axis, xp)
    return _finish("log_softmax", x, _nan_rows(s - xp.log(total), finite, xp), xp)


def gelu(x: Any, approximate: str) -> Any:
    xp = namespace(x)
    w = _widen(x, xp)
    y = gelu_tanh(w, xp) if approximate == "tanh" else _special.gelu_exact(w, xp)
    return _finish("gelu", x, y, xp)
