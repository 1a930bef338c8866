"""NumPy backend: NumPy ufuncs, writing into ``out=`` buffers rather than chaining temporaries.

Where NumPy has no kernel (erf for the exact GELU), the generic array-API formula runs with
NumPy itself as the namespace. float16 is computed in float32 and rounded once, as PyTorch
does. Every ufunc gets an explicit ``out=``: without it a 0-d array comes back as a NumPy
scalar, and the output must have the input's type.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from multiact import _checks, _generic, _numerics, _special
from multiact._numerics import channel_weight

from ._blocks import blockwise

NAME = "numpy"
#: The dtypes seen to pass the dtype checks (the Backend contract in backends/__init__.py).
FLOATS: set[np.dtype] = set()
REALS: set[np.dtype] = set()
#: No kernels at the defaults (backends.Backend.AT_DEFAULTS) but the compiled loops' (set by
#: backends/_compiled.py where they are built): every call takes the kernels below.
AT_DEFAULTS = None
#: NumPy scalars (np.float32(1.5)) are computed as 0-d arrays of this and returned as scalars.
asarray_of_scalar = np.asarray


def dtype_kind(x: Any) -> str:
    # ml_dtypes' bfloat16 reports kind 'V': NumPy has no bfloat16 of its own, so it gets the
    # dtype error like any other unsupported dtype.
    return x.dtype.kind


def refuse(fn: str, x: Any) -> None:
    """Refuse the ndarray subclasses whose meaning NumPy's ufuncs would drop (never cached)."""
    import sys

    # numpy.ma costs ~10 ms to import: if nobody has, x is no masked array.
    ma = sys.modules.get("numpy.ma")
    subclasses = (np.matrix,) if ma is None else (ma.MaskedArray, np.matrix)
    if isinstance(x, subclasses):
        raise _checks.unsupported_subclass_error(fn, x)


#: NumPy's floating dtypes by name (NumPy has no bfloat16), for ``dtype=``.
_FLOATS_BY_NAME = {name: np.dtype(name) for name in ("float16", "float32", "float64")}
_FLOATS_BY_DTYPE = {d: d for d in _FLOATS_BY_NAME.values()}


def float_dtype(fn: str, dtype: object, x: Any) -> np.dtype:
    """``dtype=`` as a NumPy floating dtype: a name, or anything ``numpy.dtype`` takes."""
    return _checks.dtype_argument(
        fn, dtype, "NumPy", _FLOATS_BY_NAME, lambda d: _FLOATS_BY_DTYPE[np.dtype(d)]
    )


def cast(x: Any, dtype: np.dtype) -> Any:
    """``x`` in ``dtype`` (a complex ``x``: its real part), as PyTorch's ``x.to(dtype)``."""
    if x.dtype.kind == "c":
        x = x.real
    return x.astype(dtype, copy=False)


def promote(x: Any) -> Any:
    """An integer or bool ``x`` as float32, PyTorch's default float dtype (NumPy's own
    promotion would give float64, or float16 for int8)."""
    return x.astype(np.float32)


def complex_kernel(name: str) -> Any:
    """The kernel for complex ``x``: the generic one (PyTorch's formula), which NumPy arrays
    run as they are; a read-only ``x`` with ``inplace`` gets NumPy's read-only error."""
    kernel = _generic.complex_kernel(name)
    if name not in _generic.COMPLEX_INPLACE:
        return kernel

    def call(x: np.ndarray, inplace: bool) -> np.ndarray:
        _check_writeable(name, x, inplace)
        return kernel(x, inplace)

    return call


_HALF = np.dtype(np.float16)
#: (value, dtype) -> a 0-d array of it: see _constant.
_CONSTANTS: dict[tuple[float, np.dtype], np.ndarray] = {}


def _constant(value: float, dtype: Any) -> np.ndarray:
    """``value`` as a 0-d array of ``dtype``, for the constants of a kernel's ufunc calls.

    The same number as the Python float once NumPy converts it to the dtype, but a
    Python float costs NumPy a conversion on every call: about 450 ns, as much as the ufunc
    on a small array (measured on one float32 element: np.add(x, 1.0) 955 ns, with a 0-d
    array 505 ns).
    """
    key = (value, dtype)
    c = _CONSTANTS.get(key)
    if c is None:
        if len(_CONSTANTS) >= 64:  # parameters (leaky_relu's slope) pass here: a sweep
            _CONSTANTS.clear()  # over many values must not grow this without limit
        c = _CONSTANTS[key] = np.array(value, dtype)
    return c


#: From this many elements np.clip, a vectorised loop behind ~2 us of Python, beats
#: np.maximum/np.minimum against a scalar, a loop three times slower an element (measured on
#: float32: equal near 5 000 elements; 48K: 11 against 24 us).
_CLIP_FROM = 5000


def _max_with(value: float, w: np.ndarray, out: np.ndarray) -> np.ndarray:
    """max(value, w) into ``out``, keeping w on ties (-0.0 against 0.0) and NaN, as np.clip."""
    c = _constant(value, w.dtype)
    if w.size >= _CLIP_FROM:
        return np.clip(w, c, _constant(np.inf, w.dtype), out=out)
    return np.maximum(c, w, out=out)  # on ties NumPy's maximum returns its second argument


def _min_with(value: float, w: np.ndarray, out: np.ndarray) -> np.ndarray:
    """min(value, w) into ``out``, keeping w on ties and NaN, as np.clip."""
    c = _constant(value, w.dtype)
    if w.size >= _CLIP_FROM:
        return np.clip(w, _constant(-np.inf, w.dtype), c, out=out)
    return np.minimum(c, w, out=out)


def _output(fn: str, x: np.ndarray, inplace: bool) -> np.ndarray:
    if not inplace:
        return np.empty_like(x)
    if not x.flags.writeable:
        raise _checks.read_only_error(fn)
    return x


def _widen(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _computed_in(x: np.ndarray) -> Any:
    return np.float32 if x.dtype == np.float16 else x.dtype


def _work(x: np.ndarray) -> np.ndarray:
    """A new array for the result in the computation dtype (float32 for float16)."""
    return np.empty_like(x, dtype=_computed_in(x))


def _bound(value: float, x: np.ndarray) -> float:
    """A Python float compared with values of the computation dtype (see _numerics.as_param)."""
    return _numerics.as_param(value, _computed_in(x), np)


def _factor(value: float, x: np.ndarray) -> float:
    """A Python float multiplied into the computation dtype (see _numerics.as_factor)."""
    return _numerics.as_factor(value, _computed_in(x), np)


def _check_writeable(fn: str, x: np.ndarray, inplace: bool) -> None:
    if inplace and not x.flags.writeable:
        raise _checks.read_only_error(fn)


def _narrow(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``y``, computed in float32 for a float16 ``x``, rounded once to ``x``'s dtype."""
    if y.dtype == x.dtype:
        return y
    with np.errstate(over="ignore"):  # beyond float16's range: inf, as PyTorch rounds it
        return y.astype(x.dtype)


def _store(fn: str, x: np.ndarray, y: np.ndarray, inplace: bool) -> np.ndarray:
    """The result ``y`` in ``x``'s dtype or, with ``inplace``, ``x`` overwritten with it."""
    if not inplace:
        return _narrow(y, x)
    if y is not x:
        with np.errstate(over="ignore"):
            np.copyto(x, y, casting="same_kind")
    return x


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
    if x.dtype.kind == "f":
        # -0.0 and NaN stay as they are, as in torch.relu.
        out = _output("relu", x, inplace)
        if x.dtype is _HALF:  # float16's maximum(0, -0.0) is +0.0; clip keeps -0.0
            return np.clip(x, _constant(0.0, x.dtype), _constant(np.inf, x.dtype), out=out)
        return _max_with(0.0, x, out)
    return np.maximum(0, x, out=_output("relu", x, inplace))  # integers keep their dtype


def _leaky(fn: str, x: np.ndarray, slope: float, inplace: bool) -> np.ndarray:
    computed_in = _computed_in(x)
    slope = _numerics.as_factor(slope, computed_in, np)
    # A slope too small for the computation dtype is 0 there (and -inf * 0 is NaN, as PyTorch
    # gives, without NumPy's warning below). Tested on a scalar: a 0-d array costs a microsecond.
    zero = slope == 0 if computed_in == np.float64 else np.float32(slope) == 0
    if 0 < slope <= 1 and not zero:
        # max(x, slope * x) is x above 0 and slope * x below (zeros and NaN as they are):
        # plain arithmetic, where a masked selection costs NumPy ten times more.
        _check_writeable(fn, x, inplace)
        w = _widen(x)
        out = np.multiply(w, _constant(slope, computed_in), out=_work(x))
        np.maximum(w, out, out=out)
        return _store(fn, x, out, inplace)
    out = _output(fn, x, inplace)
    positive = x > 0
    # NaN is not > 0, so it goes through the multiply and stays NaN, as in PyTorch.
    scaled = ~positive
    if zero:  # -inf * 0 is NaN in PyTorch: set below without computing it
        minus_inf = x == -np.inf
        scaled &= ~minus_inf
    with np.errstate(over="ignore"):  # a slope above 1 overflows to inf, as in PyTorch
        np.multiply(_widen(x), slope, out=out, where=scaled, casting="same_kind")
    if zero:
        np.copyto(out, np.nan, where=minus_inf)
    if not inplace:
        np.copyto(out, x, where=positive)
    return out


@blockwise(arrays=3)
def leaky_relu(x: np.ndarray, negative_slope: float, inplace: bool) -> np.ndarray:
    return _leaky("leaky_relu", x, negative_slope, inplace)


def tanh(x: np.ndarray) -> np.ndarray:
    if x.dtype is _HALF:
        return _tanh_in_float32(x)
    # out= only for 0-d input, whose result would otherwise be a NumPy scalar.
    return np.tanh(x) if x.ndim else np.tanh(x, out=np.empty_like(x))


@blockwise(arrays=3)
def _tanh_in_float32(x: np.ndarray) -> np.ndarray:
    w = x.astype(np.float32)
    return _narrow(np.tanh(w, out=w), x)


# x Phi(x) for float32/float16, evaluated in float64. With a = |x| and h(a) = a Phi(-a),
# x Phi(x) = relu(x) - h(a) for either sign of x (Phi(x) = 1 - Phi(-x)): for x < 0 the tail
# comes out relative-accurate, with no 1 - Phi cancellation. And h(a) = exp(-a^2/2) N(a) / Q(a),
# where N/Q, of degree 9 over 9, approximates a Phi(-a) exp(a^2/2) (smooth: 0 at a = 0, then
# towards 1/sqrt(2 pi)) within a relative 2.0e-16 on [0, 14.5], with these coefficients as
# they are (a Lawson-weighted linearised least-squares fit in mpmath, 50 digits, with
# N'(0) = 1/2 exactly, so that h(a) = a/2 for tiny a, as x/2 erfc(-x/sqrt(2)) gives). All the
# coefficients are positive: Horner's rule on a >= 0 never cancels.
#: N's coefficients of a^1 ... a^9 (N(0) = 0).
_GELU_N = (
    0.5,
    0.6865110247405519,
    0.4676763675189344,
    0.2001073924045858,
    0.05811569636492424,
    0.011677139097896765,
    0.0015861219555941403,
    0.00013387446366465777,
    5.440323846929732e-06,
)
#: Q's coefficients of a^0 ... a^9.
_GELU_Q = (
    1.0,
    2.170906610283989,
    2.1674856023276132,
    1.3101262978038772,
    0.5301957596547591,
    0.14962288408721638,
    0.029605825369158817,
    0.003989454859252001,
    0.00033557351883004043,
    1.3636869550833855e-05,
)
#: N and Q as one complex polynomial, N in the real parts and Q in the imaginary ones: times
#: a + 0j the two parts never mix, so each complex multiply and add advances both. Half the
#: ufunc calls of two real Horner loops, and a call costs about 1 us, most of what small arrays
#: spend. 0-d arrays, as all this kernel's constants (see _constant).
_GELU_NQ = tuple(np.array(complex(n, q)) for n, q in zip((0.0, *_GELU_N), _GELU_Q, strict=True))
#: Where a is clipped: beyond it h(a) < 2**-150 (half float32's smallest subnormal) and the
#: result rounds to x or -0.0 all the same; the clip keeps the polynomials finite.
_GELU_CLIP = 14.5
_MINUS_HALF_F64 = np.array(-0.5)
_ZERO_F64 = np.array(0.0)


# |x|, two complex128 and two float64 arrays, the result: 56 bytes (float16: 58 with its
# float32 copy).
@blockwise(arrays=15)
def _gelu_exact_in_float64(x: np.ndarray) -> np.ndarray:
    """x Phi(x) = x/2 erfc(-x/sqrt(2)) for float32/float16, in float64 and rounded once.

    Computed as relu(x) - h(|x|), h(a) = a Phi(-a) = exp(-a^2/2) N(a) / Q(a) (see _GELU_N).
    a^2 is exact (a has at most 24 bits), so exp's argument carries no rounding, and the
    float64 result is within a relative 5e-15 of x Phi(x) by a worst-case bound (about 40
    roundings, all on positive terms, and the fit's 2e-16). Measured against mpmath: 1.3e-15
    at most, the tail [-14.3, -5] included, far below float32's half ULP (6e-8). So the
    rounded result is correctly rounded unless x Phi(x) lies that close to a tie: 0 ULP on
    2**20 random float32 values, on every float32 in [-14.5, 10] with |x| >= 2**-10 (2.3e8;
    the 57 within 1e-14 of a tie checked with mpmath) and on every float16. Nine complex
    multiply-adds and one float64 exp an element: on large arrays about as fast as
    0.5 x (1 + erf(x / sqrt(2))) with SciPy's float32 erf.
    """
    # float16 in float32 (exact): NumPy's float16 loops are scalar, its float16 -> float32
    # conversion is one vector pass. The result is still rounded once, from float64.
    v = _widen(x)
    # -inf * Phi(-inf) = -inf * 0 is NaN (PyTorch), where the formula below gives -0.0. A
    # reduction is cheaper than the mask; NaN also passes the test (NaN > -inf is false).
    special = v.size and not v.min() > -np.inf
    a = np.abs(v, out=np.empty_like(v))
    np.minimum(a, _constant(_GELU_CLIP, v.dtype), out=a)
    z = a.astype(np.complex128)
    nq = np.multiply(z, _GELU_NQ[-1], out=np.empty(x.shape, np.complex128))
    for c in _GELU_NQ[-2:0:-1]:
        np.add(nq, c, out=nq)
        np.multiply(nq, z, out=nq)
    np.add(nq, _GELU_NQ[0], out=nq)
    h = np.divide(nq.real, nq.imag, out=np.empty(x.shape))
    w = np.multiply(z.real, z.real, out=np.empty(x.shape))
    np.multiply(w, _MINUS_HALF_F64, out=w)
    np.exp(w, out=w)
    np.multiply(h, w, out=h)
    # maximum(-0.0, 0.0) is +0.0 in float32 and float64 (float16's would keep -0.0, v is
    # never float16): gelu(-0.0) = +0.0, as PyTorch. Below -14.5, relu(x) - h(14.5) is a
    # tiny negative: -0.0 once rounded.
    np.maximum(v, _ZERO_F64, out=w, dtype=np.float64)
    np.subtract(w, h, out=w)
    # |result| <= |x|: rounding to x's dtype cannot overflow.
    y = w.astype(x.dtype)
    if special:
        np.copyto(y, np.nan, where=v == -np.inf)
    return y


#: Up to this many elements, _gelu_exact_few: the kernel's 30 NumPy calls cost about 1 us each
#: whatever the size, a Python loop about 1 us an element.
_GELU_FEW = 16
_GELU_NQ_FLOATS = tuple(zip((0.0, *_GELU_N), _GELU_Q, strict=True))


def _gelu_exact_few(x: np.ndarray) -> np.ndarray:
    """_gelu_exact_in_float64's arithmetic in Python floats, operation for operation.

    The same float64 roundings, so the same results wherever math.exp and NumPy's float64
    exp agree: here, both the C library's (NumPy's own AVX-512 exp may differ in the last
    bit, which changes a rounded result only within 1e-16 of a tie).
    """
    n9, q9 = _GELU_NQ_FLOATS[-1]
    coeffs = _GELU_NQ_FLOATS[-2:0:-1]
    ys = []
    for v in x.ravel().tolist():
        a = min(abs(v), _GELU_CLIP)  # NaN stays NaN: min keeps its first argument
        n = a * n9
        q = a * q9
        for cn, cq in coeffs:
            n = (n + cn) * a
            q = (q + cq) * a
        h = n / (q + 1.0) * math.exp(a * a * -0.5)
        ys.append((v if v > 0.0 else 0.0) - h if v != -math.inf else math.nan)
    return np.array(ys, x.dtype).reshape(x.shape)


# --- Piecewise-linear activations. Integer arrays keep their dtype, as in PyTorch.


def relu6(x: np.ndarray, inplace: bool) -> np.ndarray:
    # clip keeps -0.0 and NaN as they are, as PyTorch does.
    return np.clip(x, 0, 6, out=_output("relu6", x, inplace))


def hardtanh(x: np.ndarray, min_val: float, max_val: float, inplace: bool) -> np.ndarray:
    if x.dtype.kind == "f":
        low, high = (
            _numerics.as_param(min_val, x.dtype, np),
            _numerics.as_param(max_val, x.dtype, np),
        )
    else:
        low, high = _numerics.int_bounds(x, np, min_val, max_val)
    return np.clip(x, low, high, out=_output("hardtanh", x, inplace))


def _float16_at_most(value: float) -> np.float16:
    """The largest float16 at or below float32(value): comparing a float16 array with it is
    comparing in float32, as PyTorch does, without widening the array."""
    with np.errstate(over="ignore"):
        v32 = np.float32(value)
        v16 = np.float16(v32)
    return np.nextafter(v16, np.float16(-np.inf)) if v16 > v32 else v16


@blockwise(arrays=2)
def threshold(x: np.ndarray, threshold: float, value: float, inplace: bool) -> np.ndarray:
    if x.dtype.kind == "f":
        fill = _numerics.as_param(value, x.dtype, np)
        if x.dtype == np.float16:
            # PyTorch compares in float32: float16(0.3) = 0.30005 is above 0.3 and stays.
            below = x <= _float16_at_most(threshold)
        else:
            below = x <= _numerics.as_param(threshold, x.dtype, np)
    else:
        fill = _numerics.int_value("threshold", x, np, value, "value")
        cut = _numerics.int_cut(x, np, threshold)
        below = None if cut is None else x <= cut
    out = _output("threshold", x, inplace)
    if below is None:
        np.copyto(out, x)
    elif inplace:
        np.copyto(out, fill, where=below)
    else:
        out = np.where(below, fill, x)  # one pass rather than a copy and a masked copy
    return out


@blockwise(arrays=3)
def hardshrink(x: np.ndarray, lambd: float) -> np.ndarray:
    # Compared in x's own dtype: PyTorch rounds lambd to half precision for half inputs.
    lambd = _numerics.as_param(lambd, x.dtype, np)
    # Nothing is inside [-lambd, lambd]: x as it is, -0.0 included, as PyTorch. Tested in x's
    # dtype, as PyTorch compares: -1e-30 is -0.0 in float16, and then +-0 are inside.
    if lambd < 0 and x.dtype.type(lambd) < 0:
        return np.copy(x)
    if lambd == np.inf:  # everything but NaN is inside (and inf * 0 below would be NaN)
        return np.where(np.isnan(x), x, 0)
    out = np.abs(x, out=np.empty_like(x))
    # x * (|x| > lambd), + 0.0 to make the zeros +0.0 (for -0.0 too, as PyTorch's); NaN
    # stays. A product rather than a masked copy, which is far slower in NumPy.
    outside = np.greater(out, lambd)
    np.multiply(x, outside, out=out)
    np.add(out, 0.0, out=out)
    return out


@blockwise(arrays=3)
def softshrink(x: np.ndarray, lambd: float) -> np.ndarray:
    w = _widen(x)
    lambd = _factor(lambd, x)  # an infinite lambd would give inf - inf
    out = np.clip(w, -lambd, lambd, out=_work(x))
    # x - clip(x) is x - lambd, x + lambd, or x - x = +0.0 in the dead zone, where PyTorch's
    # x * 0 has x's sign: copysign restores it (and keeps NaN).
    np.subtract(w, out, out=out)
    np.copysign(out, w, out=out)
    return _narrow(out, x)


def identity(x: np.ndarray) -> np.ndarray:
    return np.copy(x)


@blockwise(arrays=3)
def sparse_sigmoid(x: np.ndarray) -> np.ndarray:
    out = np.add(_widen(x), 1.0, out=_work(x))
    np.clip(out, 0.0, 2.0, out=out)
    np.multiply(out, 0.5, out=out)
    return _narrow(out, x)


@blockwise(arrays=3)
def sparse_plus(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    # The parabola on x clipped to [-1, 1] is +0.0 below -1 and cannot overflow.
    out = np.clip(w, -1.0, 1.0, out=_work(x))
    np.add(out, 1.0, out=out)
    np.multiply(out, out, out=out)
    np.multiply(out, 0.25, out=out)
    # Above 1 the parabola on the clipped x is 1 <= x; below, (x + 1)^2 / 4 >= x: the max
    # selects without a masked copy (NaN stays).
    np.maximum(out, w, out=out)
    return _narrow(out, x)


@blockwise(arrays=3)
def hardsigmoid(x: np.ndarray, inplace: bool) -> np.ndarray:
    _check_writeable("hardsigmoid", x, inplace)
    w = _widen(x)
    # PyTorch's own formula (clamp, then divide by 6), for its rounding; each step only reads
    # the element it writes, so inplace it can run in x itself.
    out = np.add(w, 3.0, out=x if inplace and w is x else _work(x))
    np.clip(out, 0.0, 6.0, out=out)
    np.divide(out, 6.0, out=out)
    return _store("hardsigmoid", x, out, inplace)


@blockwise(arrays=4)
def hardswish(x: np.ndarray, inplace: bool) -> np.ndarray:
    _check_writeable("hardswish", x, inplace)
    w = _widen(x)
    out = np.add(w, 3.0, out=_work(x))
    np.clip(out, 0.0, 6.0, out=out)
    # PyTorch's (x * c) / 6 overflows to inf where x * 6 does, as here; -inf * 0 is NaN.
    with np.errstate(over="ignore"):
        _times_but_minus_inf(w, out)
    np.divide(out, 6.0, out=out)
    return _store("hardswish", x, out, inplace)


# --- Leaky and parametric ReLUs.


def prelu(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    w = _widen(x)
    a = channel_weight(_widen(weight), x, np)
    if ((a > 0) & (a <= 1)).all():
        # max(x, w_c x) is x above 0 and w_c x below (zeros and NaN as they are): no masked
        # selection, which costs NumPy far more.
        out = np.multiply(w, a, out=_work(x))
        return _narrow(np.maximum(w, out, out=out), x)
    out = _work(x)
    positive = w > 0
    scaled = ~positive
    if not a.all():  # inf * 0 is NaN in PyTorch: set below without computing it
        inf_times_zero = np.isinf(w) & (a == 0)
        scaled &= ~inf_times_zero
        np.copyto(out, np.nan, where=inf_times_zero)
    # The product only where it is kept; a weight above 1 overflows to inf as in PyTorch.
    with np.errstate(over="ignore"):
        np.multiply(w, a, out=out, where=scaled)
    np.copyto(out, w, where=positive)
    return _narrow(out, x)


def rrelu(
    x: np.ndarray,
    lower: float,
    upper: float,
    training: bool,
    inplace: bool,
    generator: object,
) -> np.ndarray:
    rng = _numerics.rrelu_rng(generator, training)
    if not training:
        return _leaky("rrelu", x, (lower + upper) / 2, inplace)
    _check_writeable("rrelu", x, inplace)
    w = _widen(x)
    lower, upper = _factor(lower, x), _factor(upper, x)
    out = _numerics.rrelu_slopes(rng, lower, upper, x.shape).astype(w.dtype, copy=False)
    # PyTorch scales x <= 0 by its slope and leaves x > 0 (and NaN) as they are.
    if 0 < lower <= upper <= 1:  # then that is max(x, slope x): no masked selection
        np.multiply(w, out, out=out)
        return _store("rrelu", x, np.maximum(w, out, out=out), inplace)
    scaled = w <= 0
    kept = ~scaled
    if lower <= 0 <= upper:  # inf * 0 is NaN in PyTorch: set below without computing it
        inf_times_zero = np.isinf(w) & (out == 0)
        scaled &= ~inf_times_zero
        np.copyto(out, np.nan, where=inf_times_zero)
    with np.errstate(over="ignore"):  # a slope above 1 overflows to inf, as in PyTorch
        np.multiply(w, out, out=out, where=scaled)
    np.copyto(out, w, where=kept)
    return _store("rrelu", x, out, inplace)


# --- Exponential linear units. PyTorch returns -0.0 at -0.0 whatever alpha's sign, which
# alpha * expm1(-0.0) would not be for alpha < 0: that path selects on x < 0 rather than
# PyTorch's x <= 0 (the alpha > 0 path takes x's sign instead).


def _elu_blend(
    fn: str, x: np.ndarray, w: np.ndarray, scale: float, negative: np.ndarray, inplace: bool
) -> np.ndarray:
    """scale * max(x, 0) + negative, with ``negative`` the negative part computed on
    min(x, 0) (0 for x >= 0), and x's sign for zeros: the elu for alpha > 0, computed without
    a masked selection, which costs NumPy far more than these passes."""
    out = _max_with(0.0, w, np.empty_like(negative))
    if scale != 1.0:
        with np.errstate(over="ignore"):  # scale * x overflows to inf near the max, as in PyTorch
            np.multiply(out, _constant(scale, w.dtype), out=out)
    np.add(out, negative, out=out)
    # With alpha > 0 the result has x's sign; copysign only fixes the zeros' (max(-0.0, 0)
    # may be +0.0).
    np.copysign(out, w, out=out)
    return _store(fn, x, out, inplace)


def _elu_buffer(fn: str, x: np.ndarray, w: np.ndarray, inplace: bool) -> np.ndarray:
    """Where an elu with alpha <= 0 computes: x itself when inplace in its own dtype (each
    step reads an element before writing it, and leaves x >= 0 as it is), else a copy of x."""
    if inplace and w is x:
        return x
    out = _work(x)
    np.copyto(out, w)
    return out


@blockwise(arrays=4)
def elu(x: np.ndarray, alpha: float, inplace: bool) -> np.ndarray:
    _check_writeable("elu", x, inplace)
    w = _widen(x)
    alpha = _factor(alpha, x)
    if alpha > 0:
        negative = _min_with(0.0, w, _work(x))
        np.expm1(negative, out=negative)
        np.multiply(negative, _constant(alpha, w.dtype), out=negative)
        return _elu_blend("elu", x, w, 1.0, negative, inplace)
    out = _elu_buffer("elu", x, w, inplace)
    below = w < 0
    np.expm1(w, out=out, where=below)
    np.multiply(out, alpha, out=out, where=below)
    return _store("elu", x, out, inplace)


@blockwise(arrays=4)
def celu(x: np.ndarray, alpha: float, inplace: bool) -> np.ndarray:
    _check_writeable("celu", x, inplace)
    w = _widen(x)
    alpha = _factor(alpha, x)
    if alpha > 0:
        negative = _min_with(0.0, w, _work(x))
        with np.errstate(over="ignore"):  # x / alpha -> -inf for a tiny alpha: expm1 is -1
            np.divide(negative, alpha, out=negative)
        np.expm1(negative, out=negative)
        np.multiply(negative, alpha, out=negative)
        return _elu_blend("celu", x, w, 1.0, negative, inplace)
    out = _elu_buffer("celu", x, w, inplace)
    below = w < 0
    # x / alpha -> +inf for a tiny alpha, expm1 -> inf, and the result is -inf, as in PyTorch.
    with np.errstate(over="ignore"):
        np.divide(w, alpha, out=out, where=below)
        np.expm1(out, out=out, where=below)
        np.multiply(out, alpha, out=out, where=below)
    return _store("celu", x, out, inplace)


# --- Smooth activations.


def _times_but_minus_inf(w: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """factor = w * factor, NaN at w = -inf (PyTorch's -inf * 0) without computing it."""
    minus_inf = np.equal(w, _constant(-np.inf, w.dtype))
    if not minus_inf.any():
        return np.multiply(w, factor, out=factor)
    np.multiply(w, factor, out=factor, where=~minus_inf)
    np.copyto(factor, np.nan, where=minus_inf)
    return factor


@blockwise(arrays=3)
def logsigmoid(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    # -softplus(-x) = min(x, 0) - log1p(exp(-|x|)): exp cannot overflow, and nothing cancels.
    out = np.abs(w, out=_work(x))
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    low = _min_with(0.0, w, np.empty_like(out))
    np.subtract(low, out, out=out)  # 0 - 0 = +0.0 at +inf, as PyTorch's
    return _narrow(out, x)


@blockwise(arrays=3)
def softsign(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    out = np.abs(w, out=_work(x))
    np.add(out, 1.0, out=out)
    # +-inf / (1 + inf) is NaN in PyTorch: set without computing inf / inf.
    infinite = np.isinf(w)
    if infinite.any():
        np.divide(w, out, out=out, where=~infinite)
        np.copyto(out, np.nan, where=infinite)
    else:
        np.divide(w, out, out=out)
    return _narrow(out, x)


@blockwise(arrays=4)
def log1mexp(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    out = np.negative(w, out=_work(x))
    # Mächler's switch at log 2; each branch sees only the inputs valid for it.
    near = (w > 0) & (w < _numerics.LN2)
    far = w >= _numerics.LN2
    np.expm1(out, out=out, where=near)
    np.exp(out, out=out, where=far)
    np.negative(out, out=out, where=near | far)
    np.log(out, out=out, where=near)
    np.log1p(out, out=out, where=far)
    # -inf at 0 and undefined (NaN) below, where -x already is NaN or >= 0.
    np.copyto(out, np.nan, where=w < 0)
    np.copyto(out, -np.inf, where=w == 0)
    return _narrow(out, x)


@blockwise(arrays=2)
def exponential(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp overflows to inf, as in PyTorch
        return _narrow(np.exp(_widen(x), out=_work(x)), x)


# --- The activations of model zoos (Transformers, timm).


def _vanishing_at_minus_inf(w: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """factor = w * factor, -0.0 (the limit) at w = -inf without computing -inf * 0."""
    minus_inf = np.equal(w, _constant(-np.inf, w.dtype))
    if not minus_inf.any():
        return np.multiply(w, factor, out=factor)
    np.multiply(w, factor, out=factor, where=~minus_inf)
    np.copyto(factor, -0.0, where=minus_inf)
    return factor


@blockwise(arrays=2)
def relu2(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    # max(x, 0) keeps NaN (and turns -0.0 into +0.0 once squared); beyond the square root of
    # the max the square is +inf, as PyTorch's.
    out = np.maximum(w, _constant(0.0, w.dtype), out=_work(x))
    with np.errstate(over="ignore"):
        np.multiply(out, out, out=out)
    return _narrow(out, x)


@blockwise(arrays=40)
def clipped_gelu(x: np.ndarray, min_val: float, max_val: float) -> np.ndarray:
    w = _widen(x)
    if w.dtype == np.float32:  # the exact GELU to 0 ULP, computed in float64 (see gelu)
        y = (_gelu_exact_few if w.size <= _GELU_FEW else _gelu_exact_in_float64)(w)
    else:
        y = _special.gelu_exact(w, np)
    y = np.asarray(y)
    np.copyto(y, -0.0, where=w == -np.inf)  # the limit, where PyTorch's is -inf * 0
    low, high = _bound(min_val, x), _bound(max_val, x)
    # Clamped with selections, not np.clip, which would not keep -0.0 beside a bound of 0.
    np.copyto(y, low, where=y < low)
    np.copyto(y, high, where=y > high)
    return _narrow(y.astype(w.dtype, copy=False), x)


@blockwise(arrays=3)
def hard_mish(x: np.ndarray) -> np.ndarray:
    w = _widen(x)
    # timm's (0.5 x) clamp(x + 2, 0, 2), for its rounding (clip keeps NaN).
    c = np.add(w, _constant(2.0, w.dtype), out=_work(x))
    np.clip(c, _constant(0.0, w.dtype), _constant(2.0, w.dtype), out=c)
    half = np.multiply(w, _constant(0.5, w.dtype), out=np.empty_like(c))
    # -0.0 at -inf, the limit, where timm's is -inf * 0 = NaN.
    return _narrow(_vanishing_at_minus_inf(half, c), x)


@blockwise(arrays=6)
def sqrtsoftplus(x: np.ndarray) -> np.ndarray:
    return _as_output(_generic._sqrtsoftplus(x, np), x)


# --- Functions of an axis.


def sparsemax(x: np.ndarray, axis: int) -> np.ndarray:
    degenerate = _per_row(sparsemax, x, axis)
    if degenerate is not None:
        return degenerate
    w = _widen(x)
    # A row holding a non-finite value has no projection: NaN, as softmax gives. Such rows are
    # zeroed first, so that no inf - inf is ever computed.
    finite = np.isfinite(w).all(axis=axis, keepdims=True)
    w = _numerics.sparsemax_shifted(np.where(finite, w, 0.0), axis, np)
    z = np.flip(np.sort(w, axis=axis), axis=axis)
    cumulative = np.cumsum(z, axis=axis)
    shape = [1] * w.ndim
    shape[axis] = w.shape[axis]
    k = np.arange(1, w.shape[axis] + 1, dtype=w.dtype).reshape(shape)
    # The support is a prefix of the sorted values: z_k is in it while 1 + k z_k > sum_{j<=k} z_j.
    support = np.multiply(k, z)
    np.add(support, 1.0, out=support)
    support = support > cumulative
    size = np.count_nonzero(support, axis=axis, keepdims=True)
    tau = np.sum(z, axis=axis, keepdims=True, where=support)
    np.subtract(tau, 1.0, out=tau)
    np.divide(tau, size, out=tau)
    np.subtract(w, tau, out=w)
    np.maximum(w, 0.0, out=w)  # maximum(-0.0, 0.0) is 0.0: the zeros are +0.0
    np.copyto(w, np.nan, where=~finite)
    return _narrow(w, x)


# --- The activations the compiled loops take in every float dtype (backends/_compiled.py):
# there, NumPy kernels of their own would be a third implementation beside the loops and the
# generic ones. Without the loops (no C compiler at install time, MULTIACT_NO_COMPILED=1), and
# for the dtypes and parameters they do not take, these run the generic kernels on NumPy
# arrays (the conformance suite's generic-numpy target).


def _generic_kernel(name: str) -> Any:
    generic = getattr(_generic, name)

    def kernel(x: np.ndarray, *args: Any) -> np.ndarray:
        return _as_output(generic(x, *args), x)  # 0-d: a NumPy scalar back to an array

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__wrapped__ = generic  # the signature: (x, *the registry's parameters)
    return kernel


sigmoid = _generic_kernel("sigmoid")
silu = _generic_kernel("silu")
gelu = _generic_kernel("gelu")
mish = _generic_kernel("mish")
softplus = _generic_kernel("softplus")
selu = _generic_kernel("selu")
quick_gelu = _generic_kernel("quick_gelu")
tanhshrink = _generic_kernel("tanhshrink")
squareplus = _generic_kernel("squareplus")
xielu = _generic_kernel("xielu")
laplace = _generic_kernel("laplace")
glu = _generic_kernel("glu")
softmax = _generic_kernel("softmax")
log_softmax = _generic_kernel("log_softmax")
softmin = _generic_kernel("softmin")


# The compiled loops (multiact._ufuncs, where they were built) in front of the kernels above
# for the dtypes they have: see backends/_compiled.py.
from ._compiled import install as _install_compiled  # noqa: E402

_install_compiled(globals())
