"""Backend-agnostic complementary error function and exact GELU.

Why this module exists
----------------------
The exact GELU, ``x * Phi(x) = 0.5 * x * erfc(-x / sqrt(2))``, needs an error
function, but

* NumPy has no ``erf``/``erfc`` (only SciPy does, and only for NumPy arrays);
* the Python array API standard defines no error function at all, so code
  written against a generic namespace ``xp`` cannot call one;
* PyTorch's float32 GELU evaluates ``0.5 * x * (1 + erf(x / sqrt(2)))``, which
  cancels catastrophically in the left tail: ``gelu(-5.0)`` gives
  ``-1.49e-06`` instead of ``-1.4333e-06``, and every ``x < -5.55`` gives 0.

So ``erfc`` is implemented here with nothing but standard array API calls
(``abs``, ``exp``, ``where``, ``clip``, ``round``, arithmetic) and runs
unchanged on NumPy, PyTorch (through ``array_api_compat``), JAX,
``array_api_strict`` and Dask, computing in the input's own float32 or float64
precision.  It never mutates its input, has no Python loops over elements, and
evaluates every branch on a clipped copy of the input, so NumPy emits no
overflow/invalid/divide warnings for any input, ``inf`` and ``nan`` included.

The algorithm and its coefficients are those of fdlibm's ``s_erf.c`` (as
shipped in FreeBSD's ``lib/msun/src/s_erf.c``), which carries this notice::

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.

    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.

Departures from fdlibm, all to survive without its bit manipulation or to
gain accuracy:

* fdlibm's "clear the low word of x" becomes rounding to a grid of
  ``1/2**20`` (float64) or ``1/2**8`` (float32), which keeps ``z*z`` exact;
  the small second exponent is split on the same grid so that a single
  ``exp`` call with an exactly represented argument is needed.
* Products and quotients in the tail are carried to about twice working
  precision with Dekker's error-free transformations (only ``+ - *``), so
  the remaining error is essentially the backend's ``exp`` plus one rounding.
* Very small results are scaled so that no subnormal intermediate is ever
  multiplied by a factor above one.

``erfc(z)`` is ill-conditioned for large ``z`` (its relative error is about
``2 z**2`` times the relative error of ``z``), so ``gelu_exact`` recovers the
rounding error of ``-x / sqrt(2)`` with an error-free product and feeds it
back through a first-order Taylor term.  ``gelu_exact_grad`` does the same and,
where ``Phi(x)`` and ``x * phi(x)`` cancel (around its zero at ``x = -0.7518``),
switches to Taylor expansions in ``x`` itself.

Accuracy depends on the backend's ``exp``.  Measured maxima against mpmath:
float64 below 2 ULP for all three functions (2.3 on JAX, whose float64 ``exp``
is off by up to 1.4 ULP); float32 up to 2.2 ULP for ``erfc`` and 2.6 for the
GELU on PyTorch and JAX (fdlibm's rational ``R/S`` evaluated in float32
dominates), and up to 3.8 ULP on NumPy, whose float32 ``exp`` alone is off by
up to 2.1 ULP.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

__all__ = ["erfc", "gelu_exact", "gelu_exact_grad"]

Array = Any

# fdlibm s_erf.c coefficients.  As Python floats they take the dtype of the
# array they meet, so float32 inputs see the float32-rounded values that
# fdlibm's own s_erff.c uses.

# |x| < 0.84375: erf(x) = x + x * R(x**2) / S(x**2).
_PP = (
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
)
_QQ = (
    1.0,
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
)
# 0.84375 <= |x| < 1.25: erf(1 + s) = erx + P(s) / Q(s).
_ERX = 8.45062911510467529297e-01  # 24 significant bits: exact in float32 too
_PA = (
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
)
_QA = (
    1.0,
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
)
# 1.25 <= x < 1/0.35: erfc(x) = exp(-x**2 - 0.5625 + R(s) / S(s)) / x, s = 1/x**2.
_RA = (
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e01,
    -6.23753324503260060396e01,
    -1.62396669462573470355e02,
    -1.84605092906711035994e02,
    -8.12874355063065934246e01,
    -9.81432934416914548592e00,
)
_SA = (
    1.0,
    1.96512716674392571292e01,
    1.37657754143519042600e02,
    4.34565877475229228821e02,
    6.45387271733267880336e02,
    4.29008140027567833386e02,
    1.08635005541779435134e02,
    6.57024977031928170135e00,
    -6.04244152148580987438e-02,
)
# 1/0.35 <= x < 28: same form, different fit.
_RB = (
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e01,
    -1.60636384855821916062e02,
    -6.37566443368389627722e02,
    -1.02509513161107724954e03,
    -4.83519191608651397019e02,
)
_SB = (
    1.0,
    3.03380607434824582924e01,
    3.25792512996573918826e02,
    1.53672958608443695994e03,
    3.19985821950859553908e03,
    2.55305040643316442583e03,
    4.74528541206955367215e02,
    -2.24409524465858183362e01,
)
_SMALL = 0.84375
_MID = 1.25
_FAR = 1.0 / 0.35

# GELU derivative g(x) = Phi(x) + x*phi(x) on [-1.77, -0.3535], where Phi(x) and
# x*phi(x) cancel.  Taylor coefficients g^(n)(c)/n! (mpmath, 60 digits) about
# the zero of g, x0 = -0.75179..., and about x1 = -sqrt(2), where g' = 0.
# Degree 20 reaches 2**-57 relative over the pieces used below.
_G_ZERO_SPLIT = -1.08  # x0's piece is [-1.08, -0.3535), x1's is [-1.77, -1.08)
_G_SMALL_SPLIT = -0.3535  # above: p = -x/sqrt(2) < 0.25, no cancellation left
_G_AT_ZERO = (
    0.0,
    0.4314939923140469,
    0.388284982990552,
    -0.018199676398671087,
    -0.1140082332972217,
    -0.014771522148244337,
    0.019421679838189067,
    0.004539228379125415,
    -0.002239538068073497,
    -0.0007448268386746817,
    0.00018633974623233514,
    8.615947861116571e-05,
    -1.121438018842664e-05,
    -7.74846130700372e-06,
    4.3284506257392273e-07,
    5.702764979242107e-07,
    -1.6044265494246427e-09,
    -3.5459866461783865e-08,
    -1.396942086426202e-09,
    1.90319840501314e-09,
    1.4506418938779426e-10,
)
_G_AT_ROOT2 = (
    -0.12890414518515478,  # rest in _G_X1
    0.0,
    0.20755374871029736,
    0.1467626631737399,
    0.0,
    -0.03424462140720597,
    -0.008648072862929056,
    0.0036690665793434976,
    0.0018737491203012955,
    -0.00014559788013267848,
    -0.0002254676139263647,
    -1.5184829417877831e-05,
    1.8417192208089658e-05,
    3.2810431379549395e-06,
    -1.0680966213283692e-06,
    -3.3407661741269493e-07,
    4.0906245956598324e-08,
    2.4171477474728276e-08,
    -4.805934828765306e-10,
    -1.3717742726658603e-09,
    -7.233836739814047e-11,
)

# First terms of the derivatives of those series, for the low parts of the centres.
_G_AT_ZERO_DERIV = tuple(n * c for n, c in enumerate(_G_AT_ZERO[1:6], 1))
_G_AT_ROOT2_DERIV = tuple(n * c for n, c in enumerate(_G_AT_ROOT2[1:7], 1))

# Double-double constants (hi, lo), from mpmath.
_SQRT1_2 = (0.7071067811865476, -4.833646656726457e-17)  # 1/sqrt(2)
_TWO_OVER_SQRT_PI = (1.1283791670955126, 1.533545961316588e-17)
_X0 = (-0.7517915246935645, 1.4956759177009883e-17)  # zero of g
_X1 = (-1.4142135623730951, 9.667293313452913e-17)  # -sqrt(2)
_G_X1 = (-0.12890414518515478, -8.188108074412492e-18)  # g(-sqrt(2))
_C2 = _TWO_OVER_SQRT_PI[0]


def _to_float32(v: float) -> float:
    return struct.unpack("f", struct.pack("f", v))[0]


def _dd32(dd: tuple[float, float]) -> tuple[float, float]:
    """Re-split a double-double so that its high part is a float32."""
    hi = _to_float32(dd[0])
    return hi, (dd[0] - hi) + dd[1]


class _Params(NamedTuple):
    """Precision-dependent constants for one floating dtype."""

    single: bool  # float32 (Python floats are rounded when they meet the array)

    # z = round(t * scale) / scale has so few bits that z*z, -z*z - 0.5625 and
    # sums with multiples of 1/scale**2 are exact for t <= xmax; this is what
    # fdlibm's "clear the low word of x" achieves.
    scale: float
    # Upper clip for the tail branch; erfc underflows to zero well before it.
    xmax: float
    # gelu(x) == x above glim and underflows to -0 below -glim.
    glim: float
    # 1/grid on which (1 - erx) - r is exact for |r| < 1/8.
    mid_grid: float
    # Veltkamp splitter 2**ceil(p/2) + 1 for error-free products, and the
    # number of bits in the high half of a split.
    splitter: float
    half_bits: int
    # Double-doubles whose high part is exact in the dtype.
    sqrt1_2: tuple[float, float]
    c2: tuple[float, float]
    x0: tuple[float, float]
    x1: tuple[float, float]
    # exp(a) for a < rescale_below is taken as exp(a + rescale) * exp(-rescale)
    # so that exp's result stays normal and no subnormal intermediate is ever
    # multiplied by a factor above one (which would magnify its rounding error).
    rescale_below: float
    rescale: float
    # exp(-rescale) = rescale_hi * (1 + rescale_rel)
    rescale_hi: float
    rescale_rel: float
    # Below this the final product is rounded in two steps, see _scale_out.
    exact_above: float


_F64 = _Params(
    single=False,
    scale=2.0**20,  # z < 32 has <= 25 significant bits: z*z has <= 50
    xmax=28.5,  # erfc(27.3) < 2**-1075; 28.5 > glim / sqrt(2)
    glim=40.0,  # |gelu(-40)| < 2**-1075 and Phi(40) rounds to 1
    mid_grid=2.0**55,
    splitter=2.0**27 + 1.0,
    half_bits=26,
    sqrt1_2=_SQRT1_2,
    c2=_TWO_OVER_SQRT_PI,
    x0=_X0,
    x1=_X1,
    rescale_below=-600.0,
    rescale=300.0,
    rescale_hi=5.148200222412013e-131,  # exp(-300)
    rescale_rel=5.754198060278741e-17,
    exact_above=2.0 ** (-1022 + 57),
)
_F32 = _Params(
    single=True,
    scale=2.0**8,  # z < 16 has <= 12 significant bits: z*z has <= 24
    xmax=11.5,  # erfcf(10.1) < 2**-150; 11.5 > glim / sqrt(2)
    glim=16.0,  # |gelu(-16)| < 2**-150 and Phi(16) rounds to 1
    mid_grid=2.0**26,
    splitter=2.0**12 + 1.0,
    half_bits=12,
    sqrt1_2=_dd32(_SQRT1_2),
    c2=_dd32(_TWO_OVER_SQRT_PI),
    x0=_dd32(_X0),
    x1=_dd32(_X1),
    # The rescaled exp result and the low half of exp(-70) stay normal, which
    # matters on backends that flush subnormals to zero (XLA:CPU).
    rescale_below=-50.0,
    rescale=70.0,
    rescale_hi=_to_float32(3.975449954226706e-31),  # exp(-70)
    rescale_rel=-5.491656585641319e-08,
    exact_above=2.0 ** (-126 + 28),
)


def _prepare(x: Array, xp: ModuleType) -> tuple[Array, _Params, Callable[[Array], Array]]:
    """Return x as float32/float64, its constants, and a cast back to its dtype."""
    if not hasattr(x, "dtype"):
        # Only what is not yet an array: torch.asarray of a tensor that requires grad (inside
        # an autograd.Function's forward) warns that the result now requires grad too.
        x = xp.asarray(x)
    dtype = x.dtype
    if dtype == xp.float64:
        return x, _F64, lambda r: r
    if dtype == xp.float32:
        return x, _F32, lambda r: r
    if xp.isdtype(dtype, "real floating"):
        # float16/bfloat16 (torch, NumPy, JAX extensions): float32 is ample.
        return xp.astype(x, xp.float32), _F32, lambda r: xp.astype(r, dtype)
    raise TypeError(f"expected a real floating-point array, got dtype {dtype}")


def _poly(t: Array, coeffs: tuple[float, ...]) -> Array:
    acc = coeffs[-1]
    for c in coeffs[-2::-1]:
        acc = c + t * acc
    return acc


# ---------------------------------------------------------------------------
# Error-free transformations (Dekker 1971, Knuth).  Only + - * so that they
# work on every backend; they stay exact if a compiler fuses a*b+c into an FMA.


def _split(a: Array, prm: _Params) -> tuple[Array, Array]:
    t = prm.splitter * a
    hi = t - (t - a)
    return hi, a - hi


def _split_const(v: float, prm: _Params) -> tuple[float, float]:
    # Python does this arithmetic in float64; split to the array's precision.
    m, e = math.frexp(v)
    hi = math.ldexp(round(math.ldexp(m, prm.half_bits)), e - prm.half_bits)
    return hi, v - hi


def _two_prod(a: Array, b: Array | float, prm: _Params) -> tuple[Array, Array]:
    """(p, e) with p = fl(a*b) and p + e == a*b exactly (barring underflow)."""
    p = a * b
    a_hi, a_lo = _split(a, prm)
    b_hi, b_lo = _split_const(b, prm) if isinstance(b, float) else _split(b, prm)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


def _two_prod_dd(a: Array, c: tuple[float, float], prm: _Params) -> tuple[Array, Array]:
    """(p, e) with p + e == a * (c_hi + c_lo) to about twice working precision."""
    p, e = _two_prod(a, c[0], prm)
    return p, e + a * c[1]


def _two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """(s, e) with s = fl(a+b) and s + e == a + b exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _div_rel(num: Array, den: Array, prm: _Params) -> tuple[Array, Array]:
    """(q, d) with num / den = q * (1 + d) to about twice working precision.

    num must be nonzero: the remainder is exact, the relative form divides by num.
    """
    q = num / den
    p, e = _two_prod(q, den, prm)
    return q, ((num - p) - e) / num


def _scaled_arg(xc: Array, prm: _Params) -> tuple[Array, Array]:
    """(p, dz) with p + dz == -xc / sqrt(2) to about twice working precision."""
    hi, lo = _two_prod_dd(xc, prm.sqrt1_2, prm)
    return -hi, -lo


# ---------------------------------------------------------------------------
# fdlibm building blocks.


def _erf_ratio_small(x: Array) -> Array:
    """y with erf(x) = x + x*y, for |x| <= 0.84375."""
    z = x * x
    return _poly(z, _PP) / _poly(z, _QQ)


def _erfc_small(x: Array, prm: _Params, xp: ModuleType) -> Array:
    """erfc(x) for |x| <= 0.84375."""
    y = _erf_ratio_small(x)
    # From 1/4 on, fdlibm's 0.5 - ((x - 0.5) + x*y) has exact (x - 0.5) but
    # cancels by up to 2.2x; carrying the rest in double-word form keeps the
    # error near 1 ULP instead of fdlibm's 2.2.
    t, t_lo = _two_prod(x, y, prm)
    u, u_lo = _two_sum(x - 0.5, t)
    far = (0.5 - u) - (u_lo + t_lo)
    return xp.where(x < 0.25, 1.0 - (x + x * y), far)


def _horner_dw(x: Array, coeffs: tuple[float, ...], prm: _Params) -> tuple[Array, Array]:
    """(hi, lo) of sum(coeffs[i] * x**i) for |x| < 1/2, to about twice precision.

    The last three Horner steps, which carry almost all of the rounding error
    for small |x|, are compensated (Graillat, Langlois & Louvet 2005), and in
    float32 the coefficients' rounding to float32 is compensated as well.
    """
    n_plain = 3
    hi = _poly(x, coeffs[n_plain:])
    lo = None
    for c in coeffs[n_plain - 1 :: -1]:
        p, p_lo = _two_prod(hi, x, prm)
        hi, s_lo = _two_sum(p, c)
        err = (p_lo + s_lo) + _coeff_lo(c, prm)
        lo = err if lo is None else lo * x + err
    return hi, lo


def _coeff_lo(c: float, prm: _Params) -> float:
    """What rounding the Python float c to the working dtype loses."""
    return c - _to_float32(c) if prm.single else 0.0


def _erfc_mid(x: Array, prm: _Params, xp: ModuleType) -> Array:
    """erfc(x) for 0.84375 <= |x| <= 1.25."""
    s = xp.abs(x) - 1.0
    # P/Q and, for x > 0, the final subtraction (which cancels by up to 3x) in
    # double-word form: max error 0.7 ULP instead of fdlibm's 2.2.
    p, p_lo = _horner_dw(s, _PA, prm)
    q, q_lo = _horner_dw(s, _QA, prm)
    r = p / q
    m, m_lo = _two_prod(r, q, prm)
    r_lo = (((p - m) - m_lo) + (p_lo - r * q_lo)) / q
    # (1 - erx) has 22 bits, so subtracting r rounded to a fine enough grid is
    # exact; unlike a TwoSum with a constant operand, this survives compilers
    # (XLA) that reassociate chains of constant additions.
    r_hi = xp.round(r * prm.mid_grid) / prm.mid_grid
    pos = ((1.0 - _ERX) - r_hi) - ((r - r_hi) + r_lo)
    neg = 1.0 + (_ERX + (r + r_lo))
    return xp.where(x > 0, pos, neg)


class _Tail(NamedTuple):
    """erfc(t) * t == e * (1 + delta) * exp(-rescale if low else 0), t >= 1.25."""

    e: Array  # exp of an exactly represented argument; never subnormal
    delta: Array  # small relative correction
    low: Array  # where e was rescaled by exp(rescale)
    rs: Array  # fdlibm's R/S: erfc(t) = exp(-t*t - 0.5625 + rs) / t
    z: Array  # t on the 1/scale grid


def _erfc_tail(t: Array, prm: _Params, xp: ModuleType) -> _Tail:
    s = 1.0 / (t * t)
    rs = xp.where(
        t < _FAR,
        _poly(s, _RA) / _poly(s, _SA),
        _poly(s, _RB) / _poly(s, _SB),
    )
    # fdlibm: exp(-t*t - 0.5625 + rs) = exp(-z*z - 0.5625) * exp((z-t)*(z+t) + rs).
    # One step further, the small exponent b is split into a part on the
    # 1/scale**2 grid, which adds exactly to -z*z - 0.5625, and a tiny rest whose
    # exp is 1 + rest to working precision: one exp call, argument exact.
    z = xp.round(t * prm.scale) / prm.scale
    b = (z - t) * (z + t) + rs
    b_hi = _on_grid(b, prm, xp)
    a = (-(z * z) - 0.5625) + b_hi
    low = a < prm.rescale_below
    e = xp.exp(xp.where(low, a + prm.rescale, a))
    return _Tail(e, b - b_hi, low, rs, z)


def _on_grid(v: Array, prm: _Params, xp: ModuleType) -> Array:
    grid = prm.scale * prm.scale
    return xp.round(v * grid) / grid


def _scale_out(r: Array, c: Array, low: Array, prm: _Params, xp: ModuleType) -> Array:
    """(r + c) * exp(-rescale if low else 0) with a single final rounding.

    r + c is a double-word value (|c| << |r|) in the normal range.
    """
    one = xp.ones_like(r)
    scale = xp.where(low, prm.rescale_hi, one)
    c = c + r * xp.where(low, prm.rescale_rel, 0.0 * one)
    q, q_lo = _two_prod(r, scale, prm)
    # Near and below the subnormal range q_lo and c * scale are inexact (or
    # flushed to zero on backends that flush subnormals, like XLA:CPU), so
    # there r + c is rounded first, at a harmless magnitude, then scaled.
    return xp.where(xp.abs(q) < prm.exact_above, (r + c) * scale, q + (q_lo + c * scale))


# ---------------------------------------------------------------------------
# Public functions.


def erfc(x: Array, xp: ModuleType) -> Array:
    """Complementary error function, elementwise, in x's precision.

    erfc(+inf) = 0, erfc(-inf) = 2, erfc(nan) = nan.  Error: the backend's exp
    error plus up to about 1.5 ULP (see the module docstring).
    """
    x, prm, cast = _prepare(x, xp)
    nan = xp.isnan(x)
    # NaN-free working copy: comparisons and clips on it raise no FP flags.
    xs = xp.where(nan, 0.0, x)
    ax = xp.abs(xs)

    small = _erfc_small(xp.clip(xs, -_SMALL, _SMALL), prm, xp)
    mid = _erfc_mid(xp.clip(xs, -_MID, _MID), prm, xp)
    # Beyond xmax the tail underflows to 0, so +-inf need no special case.
    t = xp.clip(ax, _MID, prm.xmax)
    tl = _erfc_tail(t, prm, xp)
    inv_t, d_div = _div_rel(1.0, t, prm)
    r, r_lo = _two_prod(tl.e, inv_t, prm)
    pos = _scale_out(r, r_lo + r * (tl.delta + d_div), tl.low, prm, xp)
    tail = xp.where(xs > 0, pos, 2.0 - pos)

    res = xp.where(ax < _SMALL, small, xp.where(ax < _MID, mid, tail))
    return cast(xp.where(nan, x, res))


def gelu_exact(x: Array, xp: ModuleType) -> Array:
    """Exact GELU, x * Phi(x) = 0.5 * x * erfc(-x / sqrt(2)), in x's precision.

    Accurate to a few ULP everywhere, the left tail included (see the module
    docstring).  Special values follow PyTorch: gelu(+inf) = +inf,
    gelu(-inf) = nan, gelu(nan) = nan, gelu(+-0) = +0, and results that
    underflow are -0.
    """
    x, prm, cast = _prepare(x, xp)
    nan = xp.isnan(x)
    xs = xp.where(nan, 0.0, x)
    xc = xp.clip(xs, -prm.glim, prm.glim)
    half_x = 0.5 * xc
    p, dz = _scaled_arg(xc, prm)
    ap = xp.abs(p)

    # |p| < 1.25: erfc(p + dz) ~= erfc(p) - 2/sqrt(pi) * exp(-p**2) * dz.
    pm = xp.clip(p, -_MID, _MID)
    e_near = xp.where(
        ap < _SMALL,
        _erfc_small(xp.clip(p, -_SMALL, _SMALL), prm, xp),
        _erfc_mid(pm, prm, xp),
    )
    near = half_x * (e_near - _C2 * xp.exp(-(pm * pm)) * dz)

    # |p| >= 1.25: since exp(-p**2) = erfc(|p|) * |p| * exp(0.5625 - rs), the
    # Taylor term becomes the relative correction -+2/sqrt(pi)*|p|*exp(...)*dz.
    t = xp.clip(ap, _MID, prm.xmax)
    tl = _erfc_tail(t, prm, xp)
    num = xp.where(ap < _MID, -1.0, half_x)  # keeps unused lanes nonzero
    f, d_div = _div_rel(num, t, prm)
    corr = _C2 * t * xp.exp(0.5625 - tl.rs) * dz
    delta = tl.delta + d_div + xp.where(p > 0, -corr, corr)
    # v = x/2 * erfc(|p|) (corrected): gelu(x) for x < 0, x - gelu(x) for x > 0.
    r, r_lo = _two_prod(tl.e, f, prm)
    v = _scale_out(r, r_lo + r * delta, tl.low, prm, xp)
    far = xp.where(p > 0, v, xc - v)

    res = xp.where(ap < _MID, near, far)
    res = xp.where(xs > prm.glim, xs, res)
    res = xp.where(xs < -prm.glim, -0.0, res)
    # PyTorch returns +0 for -0, and nan for -inf (where x * Phi(x) is -inf * 0).
    res = xp.where(xs == 0, 0.0, res)
    res = xp.where(xs == -float("inf"), float("nan"), res)
    return cast(xp.where(nan, x, res))


def gelu_exact_grad(x: Array, xp: ModuleType) -> Array:
    """Derivative of the exact GELU, g(x) = Phi(x) + x * phi(x), in x's precision.

    Relative error of a few ULP everywhere, also near g's zero at
    x0 = -0.75179... (Taylor expansions about x0 and -sqrt(2) cover the
    stretch where Phi(x) and x * phi(x) cancel).  Special values follow
    PyTorch's autograd: nan at +-inf and nan, 0.5 at +-0; results that
    underflow are -0.
    """
    x, prm, cast = _prepare(x, xp)
    nan = xp.isnan(x)
    xs = xp.where(nan, 0.0, x)
    xc = xp.clip(xs, -prm.glim, prm.glim)
    p, dz = _scaled_arg(xc, prm)
    ap = xp.abs(p)

    # With u = -x/sqrt(2): g = h(u)/2, h(u) = erfc(u) - c2*u*exp(-u**2),
    # c2 = 2/sqrt(pi), and h'(u) = 2*c2*exp(-u**2)*(u**2 - 1) carries dz.

    # p < 0.25 (x > -0.3535): erfc(p) is well above c2*p*exp(-p**2).
    pm = xp.clip(p, -_MID, 0.25)
    c2e2 = _C2 * xp.exp(-(pm * pm))
    dh = 2.0 * c2e2 * (pm * pm - 1.0) * dz
    ps = xp.clip(p, -_SMALL, 0.25)
    # erfc(p) - c2*p*exp(-p**2) = 1 - (p + p*k), k = y + c2*exp(-p**2).  Up to
    # p = 0.25 this still cancels by 2.2x, so p*k and the sum are carried in
    # double-word form (3 ULP -> 1.5 ULP).
    ce, ce_lo = _two_prod_dd(xp.exp(-(ps * ps)), prm.c2, prm)
    k, k_lo = _two_sum(ce, _erf_ratio_small(ps))
    w, w_lo = _two_prod(ps, k, prm)
    u, u_lo = _two_sum(ps, w)
    h_small = (1.0 - u) - (u_lo + (w_lo + ps * (k_lo + ce_lo)))
    h_mid = _erfc_mid(pm, prm, xp) - pm * c2e2
    near = 0.5 * (xp.where(ap < _SMALL, h_small, h_mid) + dh)

    # -1.77 < x < -0.3535: Taylor series in x about x0 and x1 = -sqrt(2).
    # d = x - c_hi is exact there (Sterbenz), and c_lo enters through the
    # derivative; the only cancellation left is g's own zero, where the
    # relative accuracy of d carries over.  (Writing (x - c_hi) - c_lo instead
    # would let XLA fold c_hi + c_lo, losing c_lo.)
    xz = xp.clip(xs, _G_ZERO_SPLIT, _G_SMALL_SPLIT)
    d0 = xz - prm.x0[0]
    g0, g0_lo = _horner_dw(d0, _G_AT_ZERO, prm)
    g_zero = g0 + (g0_lo - prm.x0[1] * _poly(d0, _G_AT_ZERO_DERIV))
    xr = xp.clip(xs, -1.77, _G_ZERO_SPLIT)
    d1 = xr - prm.x1[0]
    g1, g1_lo = _horner_dw(d1, _G_AT_ROOT2, prm)
    # g(x1)'s low part rides on the correction term for the same reason (its
    # float32 rounding is already compensated inside _horner_dw).
    g_root2 = g1 + (g1_lo + prm.x1[1] * (_G_X1[1] / prm.x1[1] - _poly(d1, _G_AT_ROOT2_DERIV)))

    # |p| >= 1.25: h = erfc(t) - c2*t*exp(-t*t), t = |p|, with both exps taken
    # at exact arguments and everything else carried in double-word form; the
    # subtraction then loses at most a factor 1.7 (at t = 1.25).
    t = xp.clip(ap, _MID, prm.xmax)
    tl = _erfc_tail(t, prm, xp)
    dd = (tl.z - t) * (tl.z + t)
    dd_hi = _on_grid(dd, prm, xp)
    a2 = -(tl.z * tl.z) + dd_hi
    e2 = xp.exp(xp.where(tl.low, a2 + prm.rescale, a2))  # exp(-t*t)/(1 + dd - dd_hi)
    inv_t, d_div = _div_rel(1.0, t, prm)
    r1, r1_lo = _two_prod(tl.e, inv_t, prm)
    ct, ct_lo = _two_prod_dd(t, prm.c2, prm)
    r2, r2_lo = _two_prod(e2, ct, prm)
    s, s_lo = _two_sum(r1, -r2)
    sdz = xp.where(p > 0, dz, -dz)
    lo = (
        s_lo
        + (r1_lo + r1 * (tl.delta + d_div))
        - (r2_lo + r2 * ((dd - dd_hi) + ct_lo / ct))
        + 2.0 * r2 * (t - 1.0 / t) * sdz
    )
    # v = h(|p|)/2 (corrected): g(x) for x < 0, 1 - g(x) for x > 0.
    v = _scale_out(0.5 * s, 0.5 * lo, tl.low, prm, xp)
    far = xp.where(p > 0, v, 1.0 - v)

    taylor = xp.where(xs >= _G_ZERO_SPLIT, g_zero, g_root2)
    res = xp.where(ap >= _MID, far, xp.where(xs >= _G_SMALL_SPLIT, near, taylor))
    res = xp.where(xs > prm.glim, 1.0, res)
    res = xp.where(xs < -prm.glim, -0.0, res)
    # PyTorch's autograd gives nan at +-inf (x * phi(x) there is inf * 0).
    res = xp.where(xp.isinf(xs), float("nan"), res)
    return cast(xp.where(nan, x, res))
