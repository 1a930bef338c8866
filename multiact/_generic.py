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

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any

from . import _checks, _special
from ._constants import SELU_ALPHA, SELU_SCALE
from ._namespace import namespace
from ._numerics import channel_weight, widen

NAME = "generic"


class _NeverSeen:
    """The dtypes a generic library is known to pass with: none (its dtypes may not even be
    hashable), so that every call asks ``dtype_kind``."""

    def __contains__(self, dtype: object) -> bool:
        return False

    def add(self, dtype: object) -> None:
        pass

    def clear(self) -> None:
        pass


#: The Backend contract's dtype caches (backends/__init__.py): nothing is ever cached here.
FLOATS = REALS = _NeverSeen()

#: (array type, dtype) -> kind letter. Keyed with the type too: array-api-strict warns when
#: its dtypes are compared with NumPy's, as a shared dict lookup would.
_KINDS: dict[tuple[type, Any], str] = {}

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# Beyond |x| = 100 the tanh-GELU's inner polynomial saturates tanh in every dtype; clipping
# there keeps x**3 from overflowing (and NumPy from warning) without changing any result.
_GELU_TANH_CLIP = 100.0

_LN2 = math.log(2.0)
_FLOAT16_MAX = 65504.0
# Half-way between float16's max and the next power of two: float32 values from here on round
# to inf when cast to float16, and NumPy warns about the overflow unless they already are inf.
_FLOAT16_OVERFLOW = 65520.0
#: Bits of the computation dtype -> the largest x whose exp(x) is finite in it.
_EXP_MAX = {32: 88.72283172607422, 64: 709.782712893384}


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


# --- Dtypes beyond the floating ones: promotion, dtype=, complex kernels.

#: Per namespace: (its floating dtypes by name, a converter to them), for ``dtype=``.
_FLOAT_DTYPES: dict[int, tuple[dict[str, Any], Callable[[Any], Any]]] = {}


def _float_dtypes(xp: Any) -> tuple[dict[str, Any], Callable[[Any], Any]]:
    try:
        return _FLOAT_DTYPES[id(xp)]
    except KeyError:
        pass
    import numpy as np

    float32 = getattr(xp, "float32", None)
    if isinstance(float32, type) and issubclass(float32, np.generic):
        # NumPy's dtypes (Dask, CuPy): float16 too, which Dask's namespace does not name.
        floats = {name: np.dtype(name) for name in ("float16", "float32", "float64")}
        by_dtype = {d: d for d in floats.values()}

        def convert(d: Any) -> Any:
            return by_dtype[np.dtype(d)]

    else:
        floats = {n: getattr(xp, n) for n in _checks.FLOAT_NAMES if hasattr(xp, n)}

        def convert(d: Any) -> Any:
            # isdtype refuses another library's dtype (array-api-strict: TypeError) before
            # any comparison with it, which array-api-strict would warn about.
            if not xp.isdtype(d, "real floating"):
                return None
            return next(f for f in floats.values() if f == d)

    _FLOAT_DTYPES[id(xp)] = floats, convert
    return floats, convert


def float_dtype(fn: str, dtype: object, x: Any) -> Any:
    """``dtype=`` as a floating dtype of x's namespace: its name, or the dtype object."""
    floats, convert = _float_dtypes(namespace(x))
    library = type(x).__module__.partition(".")[0]
    return _checks.dtype_argument(fn, dtype, library, floats, convert)


def cast(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype`` (a complex ``x``: its real part), as PyTorch's ``x.to(dtype)``."""
    xp = namespace(x)
    if dtype_kind(x) == "c":
        x = xp.real(x)
    return xp.astype(x, dtype)


def promote(x: Any) -> Any:
    """An integer or bool ``x`` as float32, PyTorch's default float dtype."""
    xp = namespace(x)
    return xp.astype(x, xp.float32)


#: PyTorch's formulas for complex x (its CPU kernels'), with array-API calls: the real
#: kernels' clipping, comparisons and selections have no complex meaning.
COMPLEX_FORMULAS: dict[str, Callable[[Any, Any], Any]] = {
    "sigmoid": lambda x, xp: 1.0 / (1.0 + xp.exp(-x)),
    "tanh": lambda x, xp: xp.tanh(x),
    "silu": lambda x, xp: x / (1.0 + xp.exp(-x)),
    "softsign": lambda x, xp: x / (1.0 + xp.abs(x)),
    "tanhshrink": lambda x, xp: x - xp.tanh(x),
    "exponential": lambda x, xp: xp.exp(x),
    "identity": lambda x, xp: xp.asarray(x, copy=True),
}
#: The complex kernels that take ``inplace``.
COMPLEX_INPLACE = frozenset({"silu"})
_COMPLEX_KERNELS: dict[str, Callable[..., Any]] = {}


def _quietly(formula: Callable[[Any, Any], Any], x: Any, xp: Any) -> Any:
    """``formula(x, xp)`` without NumPy's warnings: complex functions of special values
    (exp(inf j), inf / inf) warn in NumPy, where PyTorch computes them silently. Dask computes
    later, block by block: each block then computes quietly."""
    import numpy as np

    if type(x).__module__.startswith("dask"):
        from array_api_compat import numpy as block_xp

        def block(b: Any) -> Any:
            with np.errstate(all="ignore"):
                return np.asarray(formula(b, block_xp))

        return x.map_blocks(block, dtype=x.dtype)
    with np.errstate(all="ignore"):
        return formula(x, xp)


def complex_kernel(name: str) -> Callable[..., Any]:
    """The kernel of ``name`` for complex arrays (see ``COMPLEX_FORMULAS``)."""
    try:
        return _COMPLEX_KERNELS[name]
    except KeyError:
        pass
    formula = COMPLEX_FORMULAS[name]
    if name in COMPLEX_INPLACE:

        def kernel(x: Any, inplace: bool) -> Any:
            xp = namespace(x)
            return _finish(name, x, _quietly(formula, x, xp), xp, inplace)

    else:

        def kernel(x: Any) -> Any:  # type: ignore[misc]
            xp = namespace(x)
            return _finish(name, x, _quietly(formula, x, xp), xp)

    kernel.__name__ = kernel.__qualname__ = f"complex_{name}"
    _COMPLEX_KERNELS[name] = kernel
    return kernel


def _finish(fn: str, x: Any, y: Any, xp: Any, inplace: bool = False) -> Any:
    """Round ``y`` back to ``x``'s dtype; with ``inplace``, write it into ``x``."""
    if type(y) is not type(x):
        # array-api-compat's NumPy namespace hands 0-d results back as NumPy scalars.
        y = xp.asarray(y)
    if y.dtype != x.dtype:
        if dtype_kind(x) == "f" and xp.finfo(x.dtype).max == _FLOAT16_MAX:
            y = saturate_float16(y, xp)
        y = xp.astype(y, x.dtype)
    if not inplace:
        return y
    try:
        x[...] = y
    except (TypeError, ValueError, NotImplementedError) as error:
        raise _checks.immutable_error(fn, x) from error
    return x


def stable_sigmoid(x: Any, xp: Any) -> Any:
    """1 / (1 + exp(-x)) without overflow: exp only ever sees -|x|, and below 0 the result is
    exp(x) / (1 + exp(x)), one division (correctly rounded from e and 1 + e)."""
    e = xp.exp(-xp.abs(x))
    d = 1.0 + e
    return xp.where(x >= 0, 1.0 / d, e / d)


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
    return leaky("leaky_relu", x, negative_slope, inplace)


def sigmoid(x: Any) -> Any:
    xp = namespace(x)
    return _finish("sigmoid", x, stable_sigmoid(widen(x, xp), xp), xp)


def tanh(x: Any) -> Any:
    xp = namespace(x)
    return _finish("tanh", x, xp.tanh(widen(x, xp)), xp)


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
    m = xp.where(finite, m, xp.zeros_like(m))
    # A row spanning more than the dtype's range ([-max, max]) has x - m below -max: -inf,
    # whose exp is the 0 PyTorch gives, but NumPy warns on the overflow. Those are set to
    # -inf directly (halves cannot overflow), and the subtraction skips them.
    below = x / 2 - m / 2 < -float(xp.finfo(x.dtype).max) / 2
    s = xp.where(below, xp.full_like(x, -math.inf), xp.where(below, m, x) - m)
    s = xp.where(finite, s, xp.zeros_like(x))
    total = xp.sum(xp.exp(s), axis=axis, keepdims=True)
    return s, total, finite


def _rowwise(kernel: Callable[[Any, int], Any]) -> Callable[[Any, int], Any]:
    """``kernel(x, axis)`` over rows along ``axis``, with PyTorch's edge cases: a 0-d ``x`` is
    one row of one element, and an empty ``x`` gives an empty result without reducing (Dask
    cannot reduce empty chunks along a non-empty axis)."""

    @functools.wraps(kernel)
    def call(x: Any, axis: int) -> Any:
        if x.ndim == 0:
            xp = namespace(x)
            return xp.reshape(call(xp.reshape(x, (1,)), 0), ())
        if 0 in x.shape:
            return namespace(x).zeros_like(x)
        return kernel(x, axis)

    return call


def _nan_rows(y: Any, finite: Any, xp: Any) -> Any:
    return xp.where(finite, y, xp.full_like(y, xp.nan))


@_rowwise
def softmax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    s, total, finite = softmax_parts(widen(x, xp), axis, xp)
    return _finish("softmax", x, _nan_rows(xp.exp(s) / total, finite, xp), xp)


@_rowwise
def log_softmax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    s, total, finite = softmax_parts(widen(x, xp), axis, xp)
    return _finish("log_softmax", x, _nan_rows(s - xp.log(total), finite, xp), xp)


def gelu(x: Any, approximate: str) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    y = gelu_tanh(w, xp) if approximate == "tanh" else _special.gelu_exact(w, xp)
    return _finish("gelu", x, y, xp)


# --- Helpers shared by the kernels below (and, with ``np`` as namespace, by the NumPy backend).


def saturate_float16(y: Any, xp: Any) -> Any:
    """float32 ``y`` with the values that overflow float16 already +-inf, so that the cast
    rounds as PyTorch's does (to inf) without NumPy's overflow warning."""
    overflow = xp.abs(y) >= _FLOAT16_OVERFLOW
    return xp.where(overflow, xp.copysign(xp.full_like(y, xp.inf), y), y)


def _bits(w: Any, xp: Any) -> int:
    return xp.finfo(w.dtype).bits


def as_param(value: float, dtype: Any, xp: Any) -> float:
    """A Python float compared with (or stored into) ``dtype``'s values, as a cast rounds it.

    NumPy warns when it converts an out-of-range Python float for an operation on a narrower
    dtype; PyTorch converts the parameter, so beyond the dtype's max it is +-inf (or the max,
    within half a unit of it), and comparisons with it behave as here.
    """
    if -_FLOAT16_MAX <= value <= _FLOAT16_MAX:
        return value
    info = xp.finfo(dtype)
    top = float(info.max)
    if -top <= value <= top:
        return value
    half_unit = float(info.eps) * 2.0 ** (math.frexp(top)[1] - 1) / 2
    return math.copysign(math.inf if abs(value) >= top + half_unit else top, value)


def as_factor(value: float, dtype: Any, xp: Any) -> float:
    """A Python float multiplied into ``dtype``'s values, limited to the largest power of two
    that dtype holds.

    PyTorch would turn a factor beyond the max into inf (and 0 * inf into NaN); such factors
    (1e39 for float32) are clamped here instead, so that no inf * 0 is computed and the
    overflow test of ``times`` has its power of two.
    """
    if -_FLOAT16_MAX <= value <= _FLOAT16_MAX:
        return value
    top = 2.0 ** (math.frexp(float(xp.finfo(dtype).max))[1] - 1)
    return max(-top, min(top, value))


def overflows(a: Any, c: Any, bound: float, xp: Any) -> tuple[Any, Any]:
    """``(where a * c overflows to +-inf, a * c / k)``, found without computing an overflowing
    product; ``c`` is a Python float or an array with ``|c| <= bound``, ``bound > 1``.

    With ``k`` the power of two at or above ``bound``, ``a * (c / k)`` cannot overflow, and its
    rounding times ``k`` is exactly the rounding of ``a * c``: the test is exact, and the scaled
    product has the product's sign.
    """
    k = 2.0 ** math.ceil(math.log2(bound))
    scaled = a * (c / k)
    return xp.abs(scaled) > xp.finfo(a.dtype).max / k, scaled


def times(a: Any, c: Any, xp: Any, bound: float | None = None) -> Any:
    """``a * c`` as PyTorch computes it, without the warnings NumPy gives for it: overflow to
    +-inf, and NaN for inf * 0. ``c`` is a Python float, or an array with ``|c| <= bound``."""
    if bound is None:
        # A c too small for a's dtype is 0 there too (-6.9e-99 in float32).
        zero = c == 0 or (abs(c) < 1e-30 and float(xp.asarray(c, dtype=a.dtype)) == 0)
        inf_times_zero = xp.isinf(a) if zero else None
        bound = abs(c)
    else:
        inf_times_zero = xp.isinf(a) & (c == 0)
    if inf_times_zero is not None:
        a = xp.where(inf_times_zero, xp.zeros_like(a), a)
    if bound <= 1.0:
        y = a * c
    else:
        # Infinities aside: their scaled product inf * (c / k) is inf * 0, with NumPy's
        # warning, where c is so small that c / k underflows; inf * c is +-inf anyway.
        infinite = xp.isinf(a)
        finite_a = xp.where(infinite, xp.zeros_like(a), a)
        over, scaled = overflows(finite_a, c, bound, xp)
        y = xp.where(over, xp.zeros_like(a), finite_a) * c
        y = xp.where(over, xp.copysign(xp.full_like(a, xp.inf), scaled), y)
        # inf * c, where c is not 0 (set aside above): +-inf, or NaN for a NaN c. Not
        # a * sign(c): array_api_compat's torch sign writes through a NaN mask, which reads
        # the tensor back to the host (a GPU sync; an error on the meta device).
        y = xp.where(infinite, xp.where(infinite, a, xp.zeros_like(a)) * c, y)
    if inf_times_zero is None:
        return y
    return xp.where(inf_times_zero, xp.full_like(a, xp.nan), y)


def _exp_capped(t: Any, xp: Any, expm1: bool = False) -> Any:
    """exp(t) (or expm1(t)) with +inf where it overflows, without the overflow warning."""
    cap = _EXP_MAX[_bits(t, xp)]
    e = (xp.expm1 if expm1 else xp.exp)(xp.clip(t, max=cap))
    return xp.where(t > cap, xp.full_like(t, xp.inf), e)


def _clamp(x: Any, low: Any, high: Any, xp: Any) -> Any:
    # where() rather than xp.clip: the standard leaves clip's sign of zero open, and PyTorch
    # keeps -0.0 (and NaN) as they are.
    y = xp.where(x < low, xp.full_like(x, low), x)
    return xp.where(y > high, xp.full_like(x, high), y)


def int_value(fn: str, x: Any, xp: Any, value: float, name: str) -> int:
    """A float parameter that becomes an integer array's element: truncated towards zero as
    PyTorch converts it, and a ValueError where the dtype cannot hold it, as in PyTorch."""
    info = xp.iinfo(x.dtype)
    v = int(value)
    if not info.min <= v <= info.max:
        raise ValueError(
            f"multiact.{fn}: argument '{name}' ({value!r}) cannot be converted to the dtype of x "
            f"({x.dtype}) without overflow"
        )
    return v


def int_bounds(x: Any, xp: Any, low: float, high: float) -> tuple[int, int]:
    """Clamp bounds for an integer array, truncated as PyTorch converts them, then limited to
    the dtype's range (a bound beyond it clamps nothing)."""
    info = xp.iinfo(x.dtype)
    return min(max(int(low), info.min), info.max), min(max(int(high), info.min), info.max)


def int_cut(x: Any, xp: Any, threshold: float) -> int | None:
    """threshold's cut for an integer array (x <= cut is replaced), truncated as PyTorch
    converts it; None when it lies below the dtype's range and so selects nothing."""
    info = xp.iinfo(x.dtype)
    cut = int(threshold)
    return None if cut < info.min else min(cut, info.max)


def _minus_inf_times(x: Any, factor: Any, xp: Any) -> Any:
    """``x * factor`` where ``factor`` vanishes at x = -inf: NaN there, as PyTorch's -inf * 0,
    computed without the 0 * inf that makes NumPy warn."""
    minus_inf = x == -xp.inf
    y = xp.where(minus_inf, xp.zeros_like(x), x) * factor
    return xp.where(minus_inf, xp.full_like(x, xp.nan), y)


# --- Piecewise-linear activations. Integer arrays keep their dtype, as in PyTorch.


def relu6(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    return _finish("relu6", x, _clamp(x, 0, 6, xp), xp, inplace)


def hardtanh(x: Any, min_val: float, max_val: float, inplace: bool) -> Any:
    xp = namespace(x)
    if dtype_kind(x) == "f":
        low, high = as_param(min_val, x.dtype, xp), as_param(max_val, x.dtype, xp)
    else:
        low, high = int_bounds(x, xp, min_val, max_val)
    return _finish("hardtanh", x, _clamp(x, low, high, xp), xp, inplace)


def threshold(x: Any, threshold: float, value: float, inplace: bool) -> Any:
    xp = namespace(x)
    if dtype_kind(x) == "f":
        # Compared in float32 for half precision, as PyTorch does: float16(0.3) = 0.30005 is
        # above threshold 0.3 and stays.
        w = widen(x, xp)
        fill = xp.full_like(w, as_param(value, w.dtype, xp))
        y = xp.where(w <= as_param(threshold, w.dtype, xp), fill, w)
        return _finish("threshold", x, y, xp, inplace)
    fill = int_value("threshold", x, xp, value, "value")
    cut = int_cut(x, xp, threshold)
    y = xp.asarray(x, copy=True) if cut is None else xp.where(x <= cut, xp.full_like(x, fill), x)
    return _finish("threshold", x, y, xp, inplace)


def hardshrink(x: Any, lambd: float) -> Any:
    xp = namespace(x)
    # Compared in x's own dtype: PyTorch rounds lambd to half precision for half inputs.
    lambd = as_param(lambd, x.dtype, xp)
    inside = (x >= -lambd) & (x <= lambd)
    # The zero is +0.0, for -0.0 too, as PyTorch's.
    return _finish("hardshrink", x, xp.where(inside, xp.zeros_like(x), x), xp)


def softshrink(x: Any, lambd: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    lambd = as_factor(lambd, w.dtype, xp)  # an infinite lambd would give inf - inf
    # x - clip(x, -lambd, lambd) is x - lambd, x + lambd or x - x = +0.0 (and NaN); taking x's
    # sign gives the dead zone PyTorch's x * 0, whose zero has the sign of x.
    y = xp.copysign(w - xp.clip(w, -lambd, lambd), w)
    return _finish("softshrink", x, y, xp)


def identity(x: Any) -> Any:
    xp = namespace(x)
    return _finish("identity", x, xp.asarray(x, copy=True), xp)


def sparse_sigmoid(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # JAX's 0.5 * clip(x + 1, 0, 2), written with where() so that autograd through it (PyTorch's
    # backend uses this kernel) gives _derivatives' convention: 1/2 strictly inside (-1, 1), 0
    # at the corners and at NaN (a NaN constant, the only value left for the inner branch).
    inner = xp.where((w > -1.0) & (w < 1.0), 0.5 * (w + 1.0), xp.full_like(w, xp.nan))
    y = xp.where(w >= 1.0, xp.ones_like(w), xp.where(w <= -1.0, xp.zeros_like(w), inner))
    return _finish("sparse_sigmoid", x, y, xp)


def sparse_plus(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # The parabola on x clipped to [-1, 1] is +0.0 below -1 and cannot overflow; above 1 it is
    # 1 <= x, and inside (x + 1)^2 / 4 >= x, so the max selects (NaN stays).
    c = xp.clip(w, -1.0, 1.0) + 1.0
    return _finish("sparse_plus", x, xp.maximum(c * c * 0.25, w), xp)


def hardsigmoid(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    # PyTorch's own formula (clamp, then divide by 6), for its rounding.
    y = _clamp(widen(x, xp) + 3.0, 0.0, 6.0, xp) / 6.0
    return _finish("hardsigmoid", x, y, xp, inplace)


def hardswish(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    c = _clamp(w + 3.0, 0.0, 6.0, xp)
    # PyTorch computes (x * c) / 6, which overflows to inf where x * 6 does (c is 6 there).
    over = overflows(w, 6.0, 6.0, xp)[0] & (w > 0)
    y = _minus_inf_times(xp.where(over, xp.zeros_like(w), w), c, xp) / 6.0
    return _finish("hardswish", x, xp.where(over, xp.full_like(w, xp.inf), y), xp, inplace)


# --- Leaky and parametric ReLUs.


def leaky(fn: str, x: Any, slope: float, inplace: bool) -> Any:
    """x > 0 ? x : slope * x (leaky_relu, and rrelu outside training)."""
    xp = namespace(x)
    w = widen(x, xp)
    # The product only for x <= 0: a slope above 1 must not overflow on values then dropped.
    negative = times(xp.where(w > 0, xp.zeros_like(w), w), as_factor(slope, w.dtype, xp), xp)
    return _finish(fn, x, xp.where(w > 0, w, negative), xp, inplace)


def prelu(x: Any, weight: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    a = channel_weight(widen(weight, xp), x, xp)
    kept = xp.where(w > 0, xp.zeros_like(w), w)
    # The product only for x <= 0, so a weight above 1 cannot overflow on dropped values; the
    # weight's size is not known without reading it, so times() assumes up to 2^64.
    return _finish("prelu", x, xp.where(w > 0, w, times(kept, a, xp, bound=2.0**64)), xp)


def rrelu_rng(generator: object, training: bool) -> Any:
    """The NumPy generator rrelu draws its slopes from (None outside training, where the
    argument is only checked)."""
    import numpy as np

    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None:
        return np.random.default_rng() if training else None
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        if generator < 0:
            raise ValueError(
                f"multiact.rrelu: argument 'generator' must be a non-negative seed; got {generator}"
            )
        return np.random.default_rng(int(generator)) if training else None
    raise TypeError(
        "multiact.rrelu: argument 'generator' must be None, an int seed or a "
        "numpy.random.Generator for NumPy and array-API arrays (a torch.Generator or a JAX key "
        f"only for those libraries' arrays); got {_checks._given(generator)}"
    )


def rrelu_slopes(rng: Any, lower: float, upper: float, shape: tuple[int, ...]) -> Any:
    """One slope per element, uniform in [lower, upper], as a float64 NumPy array: the same
    seed gives the same slopes on the NumPy and generic paths."""
    return rng.uniform(lower, upper, size=shape)


def rrelu(
    x: Any, lower: float, upper: float, training: bool, inplace: bool, generator: object
) -> Any:
    rng = rrelu_rng(generator, training)
    if not training:
        return leaky("rrelu", x, (lower + upper) / 2, inplace)
    from array_api_compat import device

    xp = namespace(x)
    w = widen(x, xp)
    lower, upper = as_factor(lower, w.dtype, xp), as_factor(upper, w.dtype, xp)
    slopes = xp.asarray(
        rrelu_slopes(rng, lower, upper, tuple(x.shape)), dtype=w.dtype, device=device(x)
    )
    # PyTorch scales x <= 0 by its slope and leaves x > 0 (and NaN) as they are.
    kept = xp.where(w > 0, xp.zeros_like(w), w)
    scaled = times(kept, slopes, xp, bound=max(abs(lower), abs(upper)))
    return _finish("rrelu", x, xp.where(w > 0, w, scaled), xp, inplace)


# --- Exponential linear units. Their kernels select on x < 0 rather than PyTorch's x <= 0:
# PyTorch returns -0.0 at -0.0 whatever alpha's sign, which alpha * expm1(-0.0) would not.


def elu(x: Any, alpha: float, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    negative = as_factor(alpha, w.dtype, xp) * xp.expm1(xp.where(w < 0, w, xp.zeros_like(w)))
    return _finish("elu", x, xp.where(w < 0, negative, w), xp, inplace)


def selu(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    negative = xp.expm1(xp.where(w < 0, w, xp.zeros_like(w))) * (SELU_ALPHA * SELU_SCALE)
    # scale * x overflows to inf near the dtype's max, as in PyTorch.
    y = xp.where(w < 0, negative, times(w, SELU_SCALE, xp))
    return _finish("selu", x, y, xp, inplace)


def celu_negative(w: Any, alpha: float, xp: Any) -> Any:
    """alpha * expm1(x / alpha) for x < 0 (other elements: any finite value)."""
    negative = xp.where(w < 0, w, xp.zeros_like(w))
    if alpha > 0:
        # expm1 is -1 below -40 in every dtype; the clip keeps x / alpha from overflowing when
        # alpha is small.
        t = xp.clip(negative, min=as_param(-40.0 * alpha, w.dtype, xp)) / alpha
        return alpha * xp.expm1(t)
    # A negative alpha sends x / alpha towards +inf, and the result to -inf.
    limit = as_param((_EXP_MAX[_bits(w, xp)] + 1.0) * alpha, w.dtype, xp)
    t = xp.clip(negative, min=limit) / alpha
    return times(_exp_capped(t, xp, expm1=True), alpha, xp)


def celu(x: Any, alpha: float, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    y = xp.where(w < 0, celu_negative(w, as_factor(alpha, w.dtype, xp), xp), w)
    return _finish("celu", x, y, xp, inplace)


# --- Smooth activations.


def silu(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    return _finish("silu", x, _minus_inf_times(w, stable_sigmoid(w, xp), xp), xp, inplace)


#: tanh(softplus(x)) rounds to 1 in float64 from here on.
_MISH_CLIP = 20.0


def mish_factor(w: Any, xp: Any) -> Any:
    """tanh(softplus(x)) as n / (n + 2), n = e^x (e^x + 2): one exp instead of exp, log1p and
    tanh, and accurate in the left tail."""
    e = xp.exp(xp.clip(w, max=_MISH_CLIP))
    n = e * (e + 2.0)
    return n / (n + 2.0)


def mish(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    return _finish("mish", x, _minus_inf_times(w, mish_factor(w, xp), xp), xp, inplace)


def logsigmoid(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # -softplus(-x) = min(x, 0) - log1p(exp(-|x|)): exp cannot overflow, and nothing cancels.
    low = xp.where(w < 0, w, xp.zeros_like(w))
    return _finish("logsigmoid", x, low - xp.log1p(xp.exp(-xp.abs(w))), xp)


def softplus(x: Any, beta: float, threshold: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    beta = as_factor(beta, w.dtype, xp)
    # PyTorch's test is x * beta > threshold; where that product overflows, it is +-inf here.
    bx = times(w, beta, xp)
    stable = xp.where(bx > 0, bx, xp.zeros_like(bx)) + xp.log1p(xp.exp(-xp.abs(bx)))
    y = xp.where(bx > as_param(threshold, w.dtype, xp), w, stable / beta)
    return _finish("softplus", x, y, xp)


def softsign(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # +-inf / (1 + inf) is NaN in PyTorch; computed without the inf / inf NumPy warns about.
    infinite = xp.isinf(w)
    f = xp.where(infinite, xp.zeros_like(w), w)
    y = xp.where(infinite, xp.full_like(w, xp.nan), f / (1.0 + xp.abs(f)))
    return _finish("softsign", x, y, xp)


# tanhshrink for |x| <= 1 is x t P(t) / Q(t), t = x^2. Lambert's continued fraction
# tanh x = x / (1 + t / (3 + t / (5 + ...))) gives x - tanh x = x r / (1 + r) with
# r = t / (3 + t / (5 + ...)); truncated, r / (1 + r) is t P(t) / Q(t) with positive
# coefficients, so nothing cancels, where x - tanh(x) loses all its digits as x -> 0.
# Truncated after t / 19 it is exact to 2e-19 at |x| = 1; after t / 11, to 1.4e-9 (float32).
TANHSHRINK_P = {
    64: (218243025.0, 16081065.0, 289575.0, 1430.0, 1.0),
    32: (3465.0, 189.0, 1.0),
}
TANHSHRINK_Q = {
    64: (654729075.0, 310134825.0, 18918900.0, 315315.0, 1485.0, 1.0),
    32: (10395.0, 4725.0, 210.0, 1.0),
}


def horner(t: Any, coefficients: tuple[float, ...]) -> Any:
    """The polynomial with ``coefficients`` (lowest degree first) at ``t``."""
    y = t * coefficients[-1] + coefficients[-2]
    for c in reversed(coefficients[:-2]):
        y = y * t + c
    return y


def tanhshrink(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    bits = _bits(w, xp)
    a = xp.abs(w)
    small = a <= 1.0
    s = xp.where(small, w, xp.zeros_like(w))
    t = s * s
    ratio = horner(t, TANHSHRINK_P[bits]) / horner(t, TANHSHRINK_Q[bits])
    series = s * (t * ratio)
    # Beyond 1, x - tanh x = (x - 1) + 2 e / (1 + e) with e = exp(-2x): two positive terms, the
    # first exact up to 2. The clip keeps -2x from overflowing; from 40 on, e < 1e-34 is far
    # below half a unit of x - 1.
    e = xp.exp(-2.0 * xp.clip(a, max=40.0))
    tail = xp.copysign((a - 1.0) + 2.0 * e / (1.0 + e), w)
    # + 0.0 turns -0.0 into +0.0: PyTorch's x - tanh(x) is +0.0 at both zeros.
    return _finish("tanhshrink", x, xp.where(small, series, tail) + 0.0, xp)


def root_limit(dtype: Any, b: float, xp: Any) -> float | None:
    """The ``L`` for which max(a, sqrt(min(a, L)^2 + b)) is sqrt(a^2 + b) for every a >= 0
    (``b >= 0``), or None when b is too large for one.

    L is a power of two near sqrt(max) / 4, so min(a, L)^2 + b cannot overflow; beyond L,
    b / a^2 < eps / 4, so sqrt(a^2 + b) rounds to a, which the max then picks.
    """
    info = xp.finfo(dtype)
    limit = 2.0 ** (math.frexp(float(info.max))[1] // 2 - 2)
    return limit if b <= limit * limit * float(info.eps) / 4 else None


def squareplus(x: Any, b: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    b = as_factor(b, w.dtype, xp)
    a = xp.abs(w)
    # h = sqrt(x^2 + b) without overflowing x^2: hypot does that, but costs NumPy ten times
    # these cheap passes, which serve every b but huge ones.
    limit = root_limit(w.dtype, b, xp)
    if limit is None:
        h = xp.hypot(a, xp.full_like(a, math.sqrt(b)))
    else:
        c = xp.clip(a, max=limit)
        h = xp.maximum(a, xp.sqrt(c * c + b))
    # (h - |x|) / 2 = b / (2 (h + |x|)) is the value at -|x|, computed without cancellation;
    # the value at x is that plus max(x, 0): a sum of positive terms, no inf - inf at inf, and
    # through autograd (PyTorch's backend uses this kernel) the derivative (1 + x / h) / 2,
    # 1/2 at 0 included. Halves are added so that h + |x| cannot overflow (XLA may factor them
    # back into 0.5 * (h + |x|): that overflows only where the value is below float64's normal
    # range).
    d = 0.5 * h + 0.5 * a
    # d is 0 only where b = x = 0. An array over an array: PyTorch computes a float over a
    # tensor as float * (1 / tensor), 0 * inf = NaN for b = 0 and a subnormal d.
    left = xp.full_like(d, 0.25 * b) / xp.where(d == 0, xp.ones_like(d), d)
    return _finish("squareplus", x, left + xp.maximum(w, xp.zeros_like(w)), xp)


def log1mexp(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # Mächler's switch at log 2; each branch is evaluated only on inputs valid for it.
    near = (w > 0) & (w < _LN2)
    ln2 = xp.full_like(w, _LN2)
    small = xp.where(near, w, ln2)
    large = xp.where(near | (w <= 0), ln2, w)
    y = xp.where(near, xp.log(-xp.expm1(-small)), xp.log1p(-xp.exp(-large)))
    # -inf at 0 and undefined (NaN) below.
    y = xp.where(w == 0, xp.full_like(w, -xp.inf), y)
    return _finish("log1mexp", x, xp.where(w < 0, xp.full_like(w, xp.nan), y), xp)


def exponential(x: Any) -> Any:
    xp = namespace(x)
    return _finish("exponential", x, _exp_capped(widen(x, xp), xp), xp)


# --- The activations of model zoos (Transformers, timm) that the frameworks lack.

#: quick_gelu's argument is clipped to this: beyond it sigmoid(1.702 x) is exactly 0 or 1 in
#: every dtype (exp(-1702) underflows float64), and 1.702 x cannot overflow.
QUICK_GELU_CLIP = 1000.0
#: sqrtsoftplus is sqrt(x) above PyTorch's softplus threshold, and exp(x / 2) below this (where
#: log1p(e^x) = e^x (1 - e^x / 2 ...) to every float64 digit), which keeps its value where
#: softplus itself underflows.
SQRTSOFTPLUS_LINEAR = 20.0
SQRTSOFTPLUS_EXPONENTIAL = -40.0
#: laplace's standardised argument is clipped to +-this: erfc is 0 and 2 beyond it in every
#: dtype, and the division cannot overflow.
LAPLACE_CLIP = 40.0


def _vanishing_at_minus_inf(w: Any, factor: Any, xp: Any) -> Any:
    """``w * factor`` for a factor that vanishes as w -> -inf fast enough that the product
    does: -0.0 at -inf, the limit, where the product would be -inf * 0 = NaN (quick_gelu,
    hard_mish; PyTorch's silu keeps the NaN of its formula)."""
    minus_inf = w == -xp.inf
    y = xp.where(minus_inf, xp.zeros_like(w), w) * factor
    return xp.where(minus_inf, xp.full_like(y, -0.0), y)


def quick_gelu_sigmoid(w: Any, xp: Any) -> Any:
    """sigmoid(1.702 x), with x clipped where it saturates."""
    c = xp.clip(w, -QUICK_GELU_CLIP, QUICK_GELU_CLIP)
    return stable_sigmoid(1.702 * c, xp)


def quick_gelu(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    y = _vanishing_at_minus_inf(w, quick_gelu_sigmoid(w, xp), xp)
    return _finish("quick_gelu", x, y, xp)


def square_limit(dtype: Any, xp: Any) -> float:
    """The power of two from which a square overflows ``dtype`` (2**64 for float32)."""
    return 2.0 ** (math.frexp(float(xp.finfo(dtype).max))[1] // 2)


def relu2(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    r = xp.where(w <= 0, xp.zeros_like(w), w)  # NaN stays; -0.0 becomes +0.0
    big = r >= square_limit(w.dtype, xp)
    r = xp.where(big, xp.zeros_like(r), r)
    return _finish("relu2", x, xp.where(big, xp.full_like(r, xp.inf), r * r), xp)


def laplace(x: Any, mu: float, sigma: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    scale = sigma * math.sqrt(2.0)
    # Phi((x - mu) / sigma) = erfc((mu - x) / (sigma sqrt 2)) / 2: erfc keeps the left tail
    # accurate, where 1 + erf cancels. The difference is clipped before the division, which
    # then cannot overflow; where erfc saturates, the clip changes nothing.
    reach = as_param(LAPLACE_CLIP * scale, w.dtype, xp)
    d = xp.clip(as_param(mu, w.dtype, xp) - w, -reach, reach)
    return _finish("laplace", x, 0.5 * _special.erfc(d / scale, xp), xp)


def clipped_gelu_unclipped(w: Any, xp: Any) -> Any:
    """The exact GELU with its limit, -0.0, at -inf (PyTorch's gelu(-inf) is -inf * 0 = NaN)."""
    y = _special.gelu_exact(w, xp)
    return xp.where(w == -xp.inf, xp.full_like(y, -0.0), y)


def clipped_gelu(x: Any, min_val: float, max_val: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    low, high = as_param(min_val, w.dtype, xp), as_param(max_val, w.dtype, xp)
    y = _clamp(clipped_gelu_unclipped(w, xp), low, high, xp)
    return _finish("clipped_gelu", x, y, xp)


def hard_mish(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # timm's (0.5 x) clamp(x + 2, 0, 2), for its rounding; the clamp keeps NaN.
    c = _clamp(w + 2.0, 0.0, 2.0, xp)
    return _finish("hard_mish", x, _vanishing_at_minus_inf(0.5 * w, c, xp), xp)


def sqrtsoftplus_parts(w: Any, xp: Any) -> tuple[Any, Any, Any, Any]:
    """``(linear, exponential, softplus, x)`` for sqrtsoftplus and its derivative: the masks
    of x above 20 and below -40, log1p(exp(x)) between them (computed there only; NaN stays
    NaN), and x itself in the linear branch (1 elsewhere)."""
    linear = w > SQRTSOFTPLUS_LINEAR
    exponential = w < SQRTSOFTPLUS_EXPONENTIAL
    middle = xp.where(linear | exponential, xp.zeros_like(w), w)
    return linear, exponential, xp.log1p(xp.exp(middle)), xp.where(linear, w, xp.ones_like(w))


def sqrtsoftplus(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    linear, exponential, softplus_, large = sqrtsoftplus_parts(w, xp)
    tail = xp.exp(xp.where(exponential, w, xp.zeros_like(w)) / 2.0)  # 0 at -inf
    y = xp.where(linear, xp.sqrt(large), xp.where(exponential, tail, xp.sqrt(softplus_)))
    return _finish("sqrtsoftplus", x, y, xp)


def _xielu_formula(
    alpha_p: float, alpha_n: float, beta: float, eps: float
) -> Callable[[Any, Any], Any]:
    def formula(w: Any, xp: Any) -> Any:
        # x > 0: x (alpha_p x + beta), which overflows to the infinity of alpha_p x^2 where
        # that dominates (alpha_p x^2 + beta x could be inf - inf).
        if alpha_p != 0:
            positive = w * (alpha_p * w + beta)
        else:
            positive = times(w, beta, xp) if beta != 0 else xp.zeros_like(w)
        # x <= 0: alpha_n (expm1(min(x, eps)) - x) + beta x, written as alpha_n expm1(...) +
        # (beta - alpha_n) x: at -inf that is the limit, where the literal form is inf - inf.
        negative = alpha_n * xp.expm1(xp.where(w < eps, w, xp.full_like(w, eps)))
        if beta != alpha_n:
            negative = negative + (beta - alpha_n) * w
        y = xp.where(w > 0, positive, negative)
        return xp.where(xp.isnan(w), w, y)

    return formula


def xielu(x: Any, alpha_p: float, alpha_n: float, beta: float, eps: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    args = (as_factor(v, w.dtype, xp) for v in (alpha_p, alpha_n, beta))
    formula = _xielu_formula(*args, as_param(eps, w.dtype, xp))
    # Quietly: the unselected branch overflows or is inf - inf at +-inf, and the selected one
    # overflows to the right infinity beyond the dtype's range, which NumPy would warn about.
    return _finish("xielu", x, _quietly(formula, w, xp), xp)


# --- Functions of an axis.


def halves(x: Any, axis: int) -> tuple[Any, Any]:
    """The two halves of ``x`` along ``axis`` (its size even)."""
    axis %= x.ndim
    half = x.shape[axis] // 2
    before = (slice(None),) * axis
    return x[(*before, slice(0, half), ...)], x[(*before, slice(half, None), ...)]


def glu_product(a: Any, s: Any, xp: Any) -> Any:
    """a * sigmoid(b): NaN where an infinite a meets a vanishing sigmoid, as PyTorch's inf * 0,
    without that product."""
    return xp.where(xp.isinf(a) & (s == 0), xp.full_like(a, xp.nan), a) * s


def glu(x: Any, axis: int) -> Any:
    # The conformance suite calls generic kernels directly, past the public function's check.
    _checks.check_even_axis("glu", x, axis)
    xp = namespace(x)
    a, b = halves(widen(x, xp), axis)
    return _finish("glu", x, glu_product(a, stable_sigmoid(b, xp), xp), xp)


def softmin(x: Any, axis: int) -> Any:
    return softmax(-x, axis)


def sparsemax_shifted(w: Any, axis: int, xp: Any) -> Any:
    """x - max(x) along ``axis``, with everything below max - 2 set to -2: the same sparsemax
    (it is shift-invariant, and no value below max - 1 is in the support, its threshold being
    at least max - 1), but with no difference, sum or product that can overflow."""
    m = xp.max(w, axis=axis, keepdims=True)
    # Near the dtype's max, m - 2 rounds to m: then only the values equal to m are near, which
    # is right, as the neighbours of m are more than 2 away.
    near = w >= m - 2.0
    return xp.where(near, xp.where(near, w, m) - m, xp.full_like(w, -2.0))


def _sort_descending(x: Any, axis: int, xp: Any) -> Any:
    """x sorted in descending order along ``axis``: values only, so stability is moot."""
    if xp.__name__ == "array_api_compat.torch":
        # array_api_compat's sort always passes stable=, choosing the aten.sort overload that
        # torch.onnx.export cannot translate; without it, it becomes ONNX's TopK.
        return x.sort(dim=axis, descending=True).values
    return xp.sort(x, axis=axis, descending=True)


@_rowwise
def sparsemax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # A row holding a non-finite value has no projection: NaN, as softmax gives. Such rows are
    # zeroed first, so that no inf - inf is ever computed.
    finite = xp.all(xp.isfinite(w), axis=axis, keepdims=True)
    zeros = xp.zeros_like(w)
    w = xp.where(finite, w, zeros)
    s = sparsemax_shifted(w, axis, xp)
    z = _sort_descending(s, axis, xp)
    cumulative = xp.cumulative_sum(z, axis=axis)
    k = xp.cumulative_sum(xp.ones_like(z), axis=axis)  # 1, 2, ..., n along the axis
    # The support is a prefix of the sorted values: z_k is in it while 1 + k z_k > sum_{j<=k} z_j.
    support = 1.0 + k * z > cumulative
    size = xp.sum(xp.astype(support, w.dtype), axis=axis, keepdims=True)
    tau = (xp.sum(xp.where(support, z, zeros), axis=axis, keepdims=True) - 1.0) / size
    d = s - tau
    y = xp.where(finite, xp.where(d > 0, d, zeros), xp.full_like(w, xp.nan))
    return _finish("sparsemax", x, y, xp)
