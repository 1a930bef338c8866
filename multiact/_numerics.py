"""Numeric helpers shared by the generic kernels (``_generic.py``), the derivatives and the
native backends: no kernels here, only the pieces they are built from, written with array-API
calls on ``xp``, the namespace of the arrays given."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any

from . import _checks, _special
from ._namespace import namespace

__all__ = [
    "EXP_MAX",
    "FLOAT16_MAX",
    "FLOAT16_OVERFLOW",
    "GELU_TANH_CLIP",
    "LAPLACE_CLIP",
    "LN2",
    "MISH_CLIP",
    "QUICK_GELU_CLIP",
    "SQRTSOFTPLUS_EXPONENTIAL",
    "SQRTSOFTPLUS_LINEAR",
    "SQRT_2_OVER_PI",
    "TANHSHRINK_P",
    "TANHSHRINK_Q",
    "as_factor",
    "as_param",
    "celu_negative",
    "channel_weight",
    "clamp",
    "clipped_gelu_unclipped",
    "dtype_kind",
    "exp_capped",
    "finish",
    "float_bits",
    "gelu_tanh",
    "glu_product",
    "halves",
    "horner",
    "int_bounds",
    "int_cut",
    "int_value",
    "leaky",
    "minus_inf_times",
    "mish_factor",
    "nan_rows",
    "overflows",
    "quick_gelu_sigmoid",
    "root_limit",
    "rowwise",
    "rrelu_rng",
    "rrelu_scaled",
    "rrelu_slopes",
    "saturate_float16",
    "softmax_parts",
    "sort_descending",
    "sparsemax_shifted",
    "sqrtsoftplus_parts",
    "square_limit",
    "stable_sigmoid",
    "times",
    "vanishing_at_minus_inf",
    "widen",
]


def widen(x: Any, xp: Any) -> Any:
    """float16/bfloat16 in float32 for the computation, as PyTorch's kernels compute them;
    other dtypes unchanged."""
    if xp.finfo(x.dtype).bits < 32:
        return xp.astype(x, xp.float32)
    return x


def channel_weight(weight: Any, x: Any, xp: Any) -> Any:
    """prelu's weight shaped to broadcast along axis 1 of ``x`` (or a single slope)."""
    if math.prod(weight.shape) == 1 or x.ndim < 2:  # a 0-d weight has no shape[0]
        return xp.reshape(weight, ())
    return xp.reshape(weight, (weight.shape[0],) + (1,) * (x.ndim - 2))


#: (array type, dtype) -> kind letter. Keyed with the type too: array-api-strict warns when
#: its dtypes are compared with NumPy's, as a shared dict lookup would.
_KINDS: dict[tuple[type, Any], str] = {}


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


SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# Beyond |x| = 100 the tanh-GELU's inner polynomial saturates tanh in every dtype; clipping
# there keeps x**3 from overflowing (and NumPy from warning) without changing any result.
GELU_TANH_CLIP = 100.0


LN2 = math.log(2.0)


FLOAT16_MAX = 65504.0


# Half-way between float16's max and the next power of two: float32 values from here on round
# to inf when cast to float16, and NumPy warns about the overflow unless they already are inf.
FLOAT16_OVERFLOW = 65520.0


#: Bits of the computation dtype -> the largest x whose exp(x) is finite in it.
EXP_MAX = {32: 88.72283172607422, 64: 709.782712893384}


def finish(fn: str, x: Any, y: Any, xp: Any, inplace: bool = False) -> Any:
    """Round ``y`` back to ``x``'s dtype; with ``inplace``, write it into ``x``."""
    if type(y) is not type(x):
        # array-api-compat's NumPy namespace hands 0-d results back as NumPy scalars.
        y = xp.asarray(y)
    if y.dtype != x.dtype:
        if dtype_kind(x) == "f" and xp.finfo(x.dtype).max == FLOAT16_MAX:
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
    c = xp.clip(x, -GELU_TANH_CLIP, GELU_TANH_CLIP)
    u2 = (2.0 * SQRT_2_OVER_PI) * (c + 0.044715 * (c * c * c))
    # -inf * sigmoid(-inf) is -inf * 0: NaN, as PyTorch gives, but computed without the
    # 0 * inf that makes NumPy warn.
    minus_inf = x == -xp.inf
    y = xp.where(minus_inf, xp.zeros_like(x), x) * stable_sigmoid(u2, xp)
    return xp.where(minus_inf, xp.full_like(x, xp.nan), y)


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


def rowwise(kernel: Callable[[Any, int], Any]) -> Callable[[Any, int], Any]:
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


def nan_rows(y: Any, finite: Any, xp: Any) -> Any:
    return xp.where(finite, y, xp.full_like(y, xp.nan))


def saturate_float16(y: Any, xp: Any) -> Any:
    """float32 ``y`` with the values that overflow float16 already +-inf, so that the cast
    rounds as PyTorch's does (to inf) without NumPy's overflow warning."""
    overflow = xp.abs(y) >= FLOAT16_OVERFLOW
    return xp.where(overflow, xp.copysign(xp.full_like(y, xp.inf), y), y)


def float_bits(w: Any, xp: Any) -> int:
    return xp.finfo(w.dtype).bits


def as_param(value: float, dtype: Any, xp: Any) -> float:
    """A Python float compared with (or stored into) ``dtype``'s values, as a cast rounds it.

    NumPy warns when it converts an out-of-range Python float for an operation on a narrower
    dtype; PyTorch converts the parameter, so beyond the dtype's max it is +-inf (or the max,
    within half a unit of it), and comparisons with it behave as here.
    """
    if -FLOAT16_MAX <= value <= FLOAT16_MAX:
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
    if -FLOAT16_MAX <= value <= FLOAT16_MAX:
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


def exp_capped(t: Any, xp: Any, expm1: bool = False) -> Any:
    """exp(t) (or expm1(t)) with +inf where it overflows, without the overflow warning."""
    cap = EXP_MAX[float_bits(t, xp)]
    e = (xp.expm1 if expm1 else xp.exp)(xp.clip(t, max=cap))
    return xp.where(t > cap, xp.full_like(t, xp.inf), e)


def clamp(x: Any, low: Any, high: Any, xp: Any) -> Any:
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


def minus_inf_times(x: Any, factor: Any, xp: Any) -> Any:
    """``x * factor`` where ``factor`` vanishes at x = -inf: NaN there, as PyTorch's -inf * 0,
    computed without the 0 * inf that makes NumPy warn."""
    minus_inf = x == -xp.inf
    y = xp.where(minus_inf, xp.zeros_like(x), x) * factor
    return xp.where(minus_inf, xp.full_like(x, xp.nan), y)


def leaky(fn: str, x: Any, slope: float, inplace: bool) -> Any:
    """x > 0 ? x : slope * x (leaky_relu, and rrelu outside training)."""
    xp = namespace(x)
    w = widen(x, xp)
    # The product only for x <= 0: a slope above 1 must not overflow on values then dropped.
    negative = times(xp.where(w > 0, xp.zeros_like(w), w), as_factor(slope, w.dtype, xp), xp)
    return finish(fn, x, xp.where(w > 0, w, negative), xp, inplace)


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


def rrelu_scaled(x: Any, slopes: Any, bound: float, inplace: bool) -> Any:
    """rrelu in training mode given its slopes (an array of x's computation dtype and shape,
    each at most ``bound`` in magnitude): drawn by the caller, so that the Dask backend can
    hand each chunk its own piece of the one draw."""
    xp = namespace(x)
    w = widen(x, xp)
    # PyTorch scales x <= 0 by its slope and leaves x > 0 (and NaN) as they are.
    kept = xp.where(w > 0, xp.zeros_like(w), w)
    scaled = times(kept, slopes, xp, bound=bound)
    return finish("rrelu", x, xp.where(w > 0, w, scaled), xp, inplace)


def celu_negative(w: Any, alpha: float, xp: Any) -> Any:
    """alpha * expm1(x / alpha) for x < 0 (other elements: any finite value)."""
    negative = xp.where(w < 0, w, xp.zeros_like(w))
    if alpha > 0:
        # expm1 is -1 below -40 in every dtype; the clip keeps x / alpha from overflowing when
        # alpha is small.
        t = xp.clip(negative, min=as_param(-40.0 * alpha, w.dtype, xp)) / alpha
        return alpha * xp.expm1(t)
    # A negative alpha sends x / alpha towards +inf, and the result to -inf.
    limit = as_param((EXP_MAX[float_bits(w, xp)] + 1.0) * alpha, w.dtype, xp)
    t = xp.clip(negative, min=limit) / alpha
    return times(exp_capped(t, xp, expm1=True), alpha, xp)


#: tanh(softplus(x)) rounds to 1 in float64 from here on.
MISH_CLIP = 20.0


def mish_factor(w: Any, xp: Any) -> Any:
    """tanh(softplus(x)) as n / (n + 2), n = e^x (e^x + 2): one exp instead of exp, log1p and
    tanh, and accurate in the left tail."""
    e = xp.exp(xp.clip(w, max=MISH_CLIP))
    n = e * (e + 2.0)
    return n / (n + 2.0)


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


def root_limit(dtype: Any, b: float, xp: Any) -> float | None:
    """The ``L`` for which max(a, sqrt(min(a, L)^2 + b)) is sqrt(a^2 + b) for every a >= 0
    (``b >= 0``), or None when b is too large for one.

    L is a power of two near sqrt(max) / 4, so min(a, L)^2 + b cannot overflow; beyond L,
    b / a^2 < eps / 4, so sqrt(a^2 + b) rounds to a, which the max then picks.
    """
    info = xp.finfo(dtype)
    limit = 2.0 ** (math.frexp(float(info.max))[1] // 2 - 2)
    return limit if b <= limit * limit * float(info.eps) / 4 else None


def halves(x: Any, axis: int) -> tuple[Any, Any]:
    """The two halves of ``x`` along ``axis`` (its size even)."""
    axis %= x.ndim
    size = x.shape[axis]
    if size is None:  # known when the graph runs only (a tf.function input): split there
        return namespace(x).split_halves(x, axis)
    half = size // 2
    before = (slice(None),) * axis
    return x[(*before, slice(0, half), ...)], x[(*before, slice(half, None), ...)]


def glu_product(a: Any, s: Any, xp: Any) -> Any:
    """a * sigmoid(b): NaN where an infinite a meets a vanishing sigmoid, as PyTorch's inf * 0,
    without that product."""
    return xp.where(xp.isinf(a) & (s == 0), xp.full_like(a, xp.nan), a) * s


def sparsemax_shifted(w: Any, axis: int, xp: Any) -> Any:
    """x - max(x) along ``axis``, with everything below max - 2 set to -2: the same sparsemax
    (it is shift-invariant, and no value below max - 1 is in the support, its threshold being
    at least max - 1), but with no difference, sum or product that can overflow."""
    m = xp.max(w, axis=axis, keepdims=True)
    # Near the dtype's max, m - 2 rounds to m: then only the values equal to m are near, which
    # is right, as the neighbours of m are more than 2 away.
    near = w >= m - 2.0
    return xp.where(near, xp.where(near, w, m) - m, xp.full_like(w, -2.0))


def sort_descending(x: Any, axis: int, xp: Any) -> Any:
    """x sorted in descending order along ``axis``: values only, so stability is moot."""
    if xp.__name__ == "array_api_compat.torch":
        # array_api_compat's sort always passes stable=, choosing the aten.sort overload that
        # torch.onnx.export cannot translate; without it, it becomes ONNX's TopK.
        return x.sort(dim=axis, descending=True).values
    return xp.sort(x, axis=axis, descending=True)


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


def vanishing_at_minus_inf(w: Any, factor: Any, xp: Any) -> Any:
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


def square_limit(dtype: Any, xp: Any) -> float:
    """The power of two from which a square overflows ``dtype`` (2**64 for float32)."""
    return 2.0 ** (math.frexp(float(xp.finfo(dtype).max))[1] // 2)


def clipped_gelu_unclipped(w: Any, xp: Any) -> Any:
    """The exact GELU with its limit, -0.0, at -inf (PyTorch's gelu(-inf) is -inf * 0 = NaN)."""
    y = _special.gelu_exact(w, xp)
    return xp.where(w == -xp.inf, xp.full_like(y, -0.0), y)


def sqrtsoftplus_parts(w: Any, xp: Any) -> tuple[Any, Any, Any, Any]:
    """``(linear, exponential, softplus, x)`` for sqrtsoftplus and its derivative: the masks
    of x above 20 and below -40, log1p(exp(x)) between them (computed there only; NaN stays
    NaN), and x itself in the linear branch (1 elsewhere)."""
    linear = w > SQRTSOFTPLUS_LINEAR
    exponential = w < SQRTSOFTPLUS_EXPONENTIAL
    middle = xp.where(linear | exponential, xp.zeros_like(w), w)
    return linear, exponential, xp.log1p(xp.exp(middle)), xp.where(linear, w, xp.ones_like(w))
