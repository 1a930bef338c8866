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
from collections.abc import Callable
from typing import Any

from . import _checks, _special
from ._constants import SELU_ALPHA, SELU_SCALE
from ._namespace import namespace
from ._numerics import (
    LAPLACE_CLIP,
    LN2,
    TANHSHRINK_P,
    TANHSHRINK_Q,
    as_factor,
    as_param,
    celu_negative,
    channel_weight,
    clamp,
    clipped_gelu_unclipped,
    dtype_kind,
    exp_capped,
    finish,
    float_bits,
    gelu_tanh,
    glu_product,
    halves,
    horner,
    int_bounds,
    int_cut,
    int_value,
    leaky,
    minus_inf_times,
    mish_factor,
    nan_rows,
    overflows,
    quick_gelu_sigmoid,
    root_limit,
    rowwise,
    rrelu_rng,
    rrelu_scaled,
    rrelu_slopes,
    softmax_parts,
    sort_descending,
    sparsemax_shifted,
    sqrtsoftplus_parts,
    square_limit,
    stable_sigmoid,
    times,
    vanishing_at_minus_inf,
    widen,
)

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
#: No kernels at the defaults (backends.Backend.AT_DEFAULTS).
AT_DEFAULTS = None


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
    if type(x).__module__.startswith("torch"):
        # PyTorch computes silently, and torch.compile cannot trace np.errstate.
        return formula(x, xp)
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
            return finish(name, x, _quietly(formula, x, xp), xp, inplace)

    else:

        def kernel(x: Any) -> Any:  # type: ignore[misc]
            xp = namespace(x)
            return finish(name, x, _quietly(formula, x, xp), xp)

    kernel.__name__ = kernel.__qualname__ = f"complex_{name}"
    _COMPLEX_KERNELS[name] = kernel
    return kernel


def relu(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    # x < 0 (not x <= 0) keeps -0.0 and NaN as they are, as torch.relu does.
    return finish("relu", x, xp.where(x < 0, xp.zeros_like(x), x), xp, inplace)


def leaky_relu(x: Any, negative_slope: float, inplace: bool) -> Any:
    return leaky("leaky_relu", x, negative_slope, inplace)


def sigmoid(x: Any) -> Any:
    xp = namespace(x)
    return finish("sigmoid", x, stable_sigmoid(widen(x, xp), xp), xp)


def tanh(x: Any) -> Any:
    xp = namespace(x)
    return finish("tanh", x, xp.tanh(widen(x, xp)), xp)


@rowwise
def softmax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    s, total, finite = softmax_parts(widen(x, xp), axis, xp)
    return finish("softmax", x, nan_rows(xp.exp(s) / total, finite, xp), xp)


@rowwise
def log_softmax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    s, total, finite = softmax_parts(widen(x, xp), axis, xp)
    return finish("log_softmax", x, nan_rows(s - xp.log(total), finite, xp), xp)


def gelu(x: Any, approximate: str) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    y = gelu_tanh(w, xp) if approximate == "tanh" else _special.gelu_exact(w, xp)
    return finish("gelu", x, y, xp)


# --- Helpers shared by the kernels below (and, with ``np`` as namespace, by the NumPy backend).


# --- Piecewise-linear activations. Integer arrays keep their dtype, as in PyTorch.


def relu6(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    return finish("relu6", x, clamp(x, 0, 6, xp), xp, inplace)


def hardtanh(x: Any, min_val: float, max_val: float, inplace: bool) -> Any:
    xp = namespace(x)
    if dtype_kind(x) == "f":
        low, high = as_param(min_val, x.dtype, xp), as_param(max_val, x.dtype, xp)
    else:
        low, high = int_bounds(x, xp, min_val, max_val)
    return finish("hardtanh", x, clamp(x, low, high, xp), xp, inplace)


def threshold(x: Any, threshold: float, value: float, inplace: bool) -> Any:
    xp = namespace(x)
    if dtype_kind(x) == "f":
        # Compared in float32 for half precision, as PyTorch does: float16(0.3) = 0.30005 is
        # above threshold 0.3 and stays.
        w = widen(x, xp)
        fill = xp.full_like(w, as_param(value, w.dtype, xp))
        y = xp.where(w <= as_param(threshold, w.dtype, xp), fill, w)
        return finish("threshold", x, y, xp, inplace)
    fill = int_value("threshold", x, xp, value, "value")
    cut = int_cut(x, xp, threshold)
    y = xp.asarray(x, copy=True) if cut is None else xp.where(x <= cut, xp.full_like(x, fill), x)
    return finish("threshold", x, y, xp, inplace)


def hardshrink(x: Any, lambd: float) -> Any:
    xp = namespace(x)
    # Compared in x's own dtype: PyTorch rounds lambd to half precision for half inputs.
    lambd = as_param(lambd, x.dtype, xp)
    inside = (x >= -lambd) & (x <= lambd)
    # The zero is +0.0, for -0.0 too, as PyTorch's.
    return finish("hardshrink", x, xp.where(inside, xp.zeros_like(x), x), xp)


def softshrink(x: Any, lambd: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    lambd = as_factor(lambd, w.dtype, xp)  # an infinite lambd would give inf - inf
    # x - clip(x, -lambd, lambd) is x - lambd, x + lambd or x - x = +0.0 (and NaN); taking x's
    # sign gives the dead zone PyTorch's x * 0, whose zero has the sign of x.
    y = xp.copysign(w - xp.clip(w, -lambd, lambd), w)
    return finish("softshrink", x, y, xp)


def identity(x: Any) -> Any:
    xp = namespace(x)
    return finish("identity", x, xp.asarray(x, copy=True), xp)


def sparse_sigmoid(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # JAX's 0.5 * clip(x + 1, 0, 2), written with where() so that autograd through it (PyTorch's
    # backend uses this kernel) gives _derivatives' convention: 1/2 strictly inside (-1, 1), 0
    # at the corners and at NaN (a NaN constant, the only value left for the inner branch).
    inner = xp.where((w > -1.0) & (w < 1.0), 0.5 * (w + 1.0), xp.full_like(w, xp.nan))
    y = xp.where(w >= 1.0, xp.ones_like(w), xp.where(w <= -1.0, xp.zeros_like(w), inner))
    return finish("sparse_sigmoid", x, y, xp)


def sparse_plus(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # The parabola on x clipped to [-1, 1] is +0.0 below -1 and cannot overflow; above 1 it is
    # 1 <= x, and inside (x + 1)^2 / 4 >= x, so the max selects (NaN stays).
    c = xp.clip(w, -1.0, 1.0) + 1.0
    return finish("sparse_plus", x, xp.maximum(c * c * 0.25, w), xp)


def hardsigmoid(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    # PyTorch's own formula (clamp, then divide by 6), for its rounding.
    y = clamp(widen(x, xp) + 3.0, 0.0, 6.0, xp) / 6.0
    return finish("hardsigmoid", x, y, xp, inplace)


def hardswish(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    c = clamp(w + 3.0, 0.0, 6.0, xp)
    # PyTorch computes (x * c) / 6, which overflows to inf where x * 6 does (c is 6 there).
    over = overflows(w, 6.0, 6.0, xp)[0] & (w > 0)
    y = minus_inf_times(xp.where(over, xp.zeros_like(w), w), c, xp) / 6.0
    return finish("hardswish", x, xp.where(over, xp.full_like(w, xp.inf), y), xp, inplace)


# --- Leaky and parametric ReLUs.


def prelu(x: Any, weight: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    a = channel_weight(widen(weight, xp), x, xp)
    kept = xp.where(w > 0, xp.zeros_like(w), w)
    # The product only for x <= 0, so a weight above 1 cannot overflow on dropped values; the
    # weight's size is not known without reading it, so times() assumes up to 2^64.
    return finish("prelu", x, xp.where(w > 0, w, times(kept, a, xp, bound=2.0**64)), xp)


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
    return rrelu_scaled(x, slopes, max(abs(lower), abs(upper)), inplace)


# --- Exponential linear units. Their kernels select on x < 0 rather than PyTorch's x <= 0:
# PyTorch returns -0.0 at -0.0 whatever alpha's sign, which alpha * expm1(-0.0) would not.


def elu(x: Any, alpha: float, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    negative = as_factor(alpha, w.dtype, xp) * xp.expm1(xp.where(w < 0, w, xp.zeros_like(w)))
    return finish("elu", x, xp.where(w < 0, negative, w), xp, inplace)


def selu(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    negative = xp.expm1(xp.where(w < 0, w, xp.zeros_like(w))) * (SELU_ALPHA * SELU_SCALE)
    # scale * x overflows to inf near the dtype's max, as in PyTorch.
    y = xp.where(w < 0, negative, times(w, SELU_SCALE, xp))
    return finish("selu", x, y, xp, inplace)


def celu(x: Any, alpha: float, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    y = xp.where(w < 0, celu_negative(w, as_factor(alpha, w.dtype, xp), xp), w)
    return finish("celu", x, y, xp, inplace)


# --- Smooth activations.


def silu(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    return finish("silu", x, minus_inf_times(w, stable_sigmoid(w, xp), xp), xp, inplace)


def mish(x: Any, inplace: bool) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    return finish("mish", x, minus_inf_times(w, mish_factor(w, xp), xp), xp, inplace)


def logsigmoid(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # -softplus(-x) = min(x, 0) - log1p(exp(-|x|)): exp cannot overflow, and nothing cancels.
    low = xp.where(w < 0, w, xp.zeros_like(w))
    return finish("logsigmoid", x, low - xp.log1p(xp.exp(-xp.abs(w))), xp)


def softplus(x: Any, beta: float, threshold: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    beta = as_factor(beta, w.dtype, xp)
    # PyTorch's test is x * beta > threshold; where that product overflows, it is +-inf here.
    bx = times(w, beta, xp)
    stable = xp.where(bx > 0, bx, xp.zeros_like(bx)) + xp.log1p(xp.exp(-xp.abs(bx)))
    y = xp.where(bx > as_param(threshold, w.dtype, xp), w, stable / beta)
    return finish("softplus", x, y, xp)


def softsign(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # +-inf / (1 + inf) is NaN in PyTorch; computed without the inf / inf NumPy warns about.
    infinite = xp.isinf(w)
    f = xp.where(infinite, xp.zeros_like(w), w)
    y = xp.where(infinite, xp.full_like(w, xp.nan), f / (1.0 + xp.abs(f)))
    return finish("softsign", x, y, xp)


def tanhshrink(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    bits = float_bits(w, xp)
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
    return finish("tanhshrink", x, xp.where(small, series, tail) + 0.0, xp)


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
    return finish("squareplus", x, left + xp.maximum(w, xp.zeros_like(w)), xp)


def log1mexp(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # Mächler's switch at log 2; each branch is evaluated only on inputs valid for it.
    near = (w > 0) & (w < LN2)
    ln2 = xp.full_like(w, LN2)
    small = xp.where(near, w, ln2)
    large = xp.where(near | (w <= 0), ln2, w)
    y = xp.where(near, xp.log(-xp.expm1(-small)), xp.log1p(-xp.exp(-large)))
    # -inf at 0 and undefined (NaN) below.
    y = xp.where(w == 0, xp.full_like(w, -xp.inf), y)
    return finish("log1mexp", x, xp.where(w < 0, xp.full_like(w, xp.nan), y), xp)


def exponential(x: Any) -> Any:
    xp = namespace(x)
    return finish("exponential", x, exp_capped(widen(x, xp), xp), xp)


# --- The activations of model zoos (Transformers, timm) that the frameworks lack.


def quick_gelu(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    y = vanishing_at_minus_inf(w, quick_gelu_sigmoid(w, xp), xp)
    return finish("quick_gelu", x, y, xp)


def relu2(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    r = xp.where(w <= 0, xp.zeros_like(w), w)  # NaN stays; -0.0 becomes +0.0
    big = r >= square_limit(w.dtype, xp)
    r = xp.where(big, xp.zeros_like(r), r)
    return finish("relu2", x, xp.where(big, xp.full_like(r, xp.inf), r * r), xp)


def laplace(x: Any, mu: float, sigma: float) -> Any:
    return _laplace(x, mu, sigma, namespace(x))


def _laplace(x: Any, mu: float, sigma: float, xp: Any) -> Any:
    w = widen(x, xp)
    scale = sigma * math.sqrt(2.0)
    # Phi((x - mu) / sigma) = erfc((mu - x) / (sigma sqrt 2)) / 2: erfc keeps the left tail
    # accurate, where 1 + erf cancels. The difference is clipped before the division, which
    # then cannot overflow; where erfc saturates, the clip changes nothing.
    reach = as_param(LAPLACE_CLIP * scale, w.dtype, xp)
    d = xp.clip(as_param(mu, w.dtype, xp) - w, -reach, reach)
    return finish("laplace", x, 0.5 * _special.erfc(d / scale, xp), xp)


def clipped_gelu(x: Any, min_val: float, max_val: float) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    low, high = as_param(min_val, w.dtype, xp), as_param(max_val, w.dtype, xp)
    y = clamp(clipped_gelu_unclipped(w, xp), low, high, xp)
    return finish("clipped_gelu", x, y, xp)


def hard_mish(x: Any) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # timm's (0.5 x) clamp(x + 2, 0, 2), for its rounding; the clamp keeps NaN.
    c = clamp(w + 2.0, 0.0, 2.0, xp)
    return finish("hard_mish", x, vanishing_at_minus_inf(0.5 * w, c, xp), xp)


def sqrtsoftplus(x: Any) -> Any:
    return _sqrtsoftplus(x, namespace(x))


def _sqrtsoftplus(x: Any, xp: Any) -> Any:
    w = widen(x, xp)
    linear, exponential, softplus_, large = sqrtsoftplus_parts(w, xp)
    tail = xp.exp(xp.where(exponential, w, xp.zeros_like(w)) / 2.0)  # 0 at -inf
    y = xp.where(linear, xp.sqrt(large), xp.where(exponential, tail, xp.sqrt(softplus_)))
    return finish("sqrtsoftplus", x, y, xp)


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
    return _xielu(x, alpha_p, alpha_n, beta, eps, namespace(x))


def _xielu(x: Any, alpha_p: float, alpha_n: float, beta: float, eps: float, xp: Any) -> Any:
    w = widen(x, xp)
    args = (as_factor(v, w.dtype, xp) for v in (alpha_p, alpha_n, beta))
    formula = _xielu_formula(*args, as_param(eps, w.dtype, xp))
    # Quietly: the unselected branch overflows or is inf - inf at +-inf, and the selected one
    # overflows to the right infinity beyond the dtype's range, which NumPy would warn about.
    return finish("xielu", x, _quietly(formula, w, xp), xp)


# --- Functions of an axis.


def glu(x: Any, axis: int) -> Any:
    # The conformance suite calls generic kernels directly, past the public function's check.
    _checks.check_even_axis("glu", x, axis)
    xp = namespace(x)
    a, b = halves(widen(x, xp), axis)
    return finish("glu", x, glu_product(a, stable_sigmoid(b, xp), xp), xp)


def softmin(x: Any, axis: int) -> Any:
    return softmax(-x, axis)


@rowwise
def sparsemax(x: Any, axis: int) -> Any:
    xp = namespace(x)
    w = widen(x, xp)
    # A row holding a non-finite value has no projection: NaN, as softmax gives. Such rows are
    # zeroed first, so that no inf - inf is ever computed.
    finite = xp.all(xp.isfinite(w), axis=axis, keepdims=True)
    zeros = xp.zeros_like(w)
    w = xp.where(finite, w, zeros)
    s = sparsemax_shifted(w, axis, xp)
    z = sort_descending(s, axis, xp)
    cumulative = xp.cumulative_sum(z, axis=axis)
    k = xp.cumulative_sum(xp.ones_like(z), axis=axis)  # 1, 2, ..., n along the axis
    # The support is a prefix of the sorted values: z_k is in it while 1 + k z_k > sum_{j<=k} z_j.
    support = 1.0 + k * z > cumulative
    size = xp.sum(xp.astype(support, w.dtype), axis=axis, keepdims=True)
    tau = (xp.sum(xp.where(support, z, zeros), axis=axis, keepdims=True) - 1.0) / size
    d = s - tau
    y = xp.where(finite, xp.where(d > 0, d, zeros), xp.full_like(w, xp.nan))
    return finish("sparsemax", x, y, xp)
