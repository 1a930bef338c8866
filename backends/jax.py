"""JAX backend: ``jax.nn`` kernels, compiled once per function and static parameters.

Calling ``jax.nn.relu`` eagerly dispatches op by op (tens of microseconds); each kernel here is
wrapped in ``jax.jit`` instead. Inside a caller's own ``jit``/``grad``/``vmap`` the jitted
kernel simply inlines into the surrounding trace.

Where ``jax.nn`` departs from PyTorch's semantics the kernel is written out with
``jax.numpy`` and the line says why. Every elementwise activation carries a custom JVP whose
derivative is ``multiact._derivatives`` (PyTorch's backward formulas), so ``jax.grad`` agrees
with ``torch.autograd`` at kinks, thresholds, NaN and infinities: jax.nn's own derivatives
differ at hardtanh(+-1), leaky_relu(0), relu(NaN), hardswish(+-3)...
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

from multiact import _checks, _derivatives, _generic
from multiact._constants import SELU_ALPHA, SELU_SCALE
from multiact._numerics import channel_weight
from multiact._registry import ACTIVATIONS

NAME = "jax"
#: None: the float-only kernels check the dtype while tracing, once per dtype and shape
#: (reading x.dtype on a JAX array before every call costs 0.3-0.5 us of a 7 us call); the
#: others' dtypes seen to pass, as on every backend (backends/__init__.py's Backend).
FLOATS = None
REALS: set[Any] = set()


def dtype_kind(x: jax.Array) -> str:
    kind = x.dtype.kind
    if kind == "V":  # bfloat16 and the float8 types are ml_dtypes extension dtypes
        # float8 and the like are not supported: XLA has no erf or exp for them.
        return "f" if x.dtype == jnp.bfloat16 else "?"
    return kind


def _opmath(kernel: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """Compute float16/bfloat16 in float32 and round once, as PyTorch's kernels do.

    XLA evaluates half-precision transcendental functions in half precision on CPU: gelu in
    float16 was then up to ~1900 ULP from PyTorch's result.
    """

    @functools.wraps(kernel)  # its signature, which the backend's kernels are checked for
    def call(x: jax.Array, *args: object, **kwargs: object) -> jax.Array:
        if x.dtype in (jnp.float16, jnp.bfloat16):
            return kernel(x.astype(jnp.float32), *args, **kwargs).astype(x.dtype)
        return kernel(x, *args, **kwargs)

    return call


#: The activations whose dtype rules the compiled kernel applies (all but those that compute
#: integers in their own dtype). On JAX arrays their public functions leave the dtype check
#: to the kernel, which makes it while tracing: once per dtype and shape, where reading
#: ``x.dtype`` before every call would cost 0.3 to 0.5 us of a 7 us call.
_TRACE_CHECKED = frozenset(a.name for a in ACTIVATIONS.values() if a.integers != "keep")


def _require_float(name: str, x: jax.Array) -> None:
    """multiact's dtype error for ``name`` unless ``x`` is floating (called while tracing)."""
    if dtype_kind(x) != "f":
        raise _checks.dtype_error(name, x, "f")


def _dtype_rules(name: str, kernel: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """``kernel`` with the registry's dtype rules for ``name``, applied while tracing: a
    floating ``x`` as it is, an integer or bool one promoted to float32 where PyTorch promotes
    it, a complex one through PyTorch's complex formula where PyTorch takes it, and
    multiact's dtype error for the rest."""
    activation = ACTIVATIONS[name]
    kinds, promoted = activation.dtype_kinds, activation.promoted_kinds
    formula = _COMPLEX_FORMULAS.get(name) or _generic.COMPLEX_FORMULAS.get(name)

    @functools.wraps(kernel)
    def call(x: jax.Array, *args: object, **kwargs: object) -> jax.Array:
        kind = dtype_kind(x)
        if kind == "f":
            return kernel(x, *args, **kwargs)
        if kind not in kinds:
            raise _checks.dtype_error(name, x, kinds)
        if kind in promoted:
            return kernel(x.astype(jnp.float32), *args, **kwargs)
        return formula(x, jnp)  # complex: differentiated by JAX itself

    return call


def _c99_exp(z: jax.Array) -> jax.Array:
    """exp(z) with C99's value at Re z = -inf, which PyTorch's and NumPy's give: 0 for every
    imaginary part, infinite and NaN ones included (XLA's is NaN there)."""
    e = jnp.exp(z)
    return jnp.where(jnp.real(z) == -jnp.inf, jnp.zeros_like(e), e)


def _smith_divide(n: jax.Array, d: jax.Array) -> jax.Array:
    """n / d by Smith's algorithm, PyTorch's complex division (and NumPy's): where d has
    overflowed to inf +- inf j the quotient is NaN, as PyTorch gives, where XLA's division
    gives 0 (sigmoid(-1000 + 0.5j))."""
    a, b, c, e = jnp.real(n), jnp.imag(n), jnp.real(d), jnp.imag(d)
    by_real = jnp.abs(c) >= jnp.abs(e)
    ratio = jnp.where(by_real, e / c, c / e)
    scale = 1.0 / jnp.where(by_real, c + e * ratio, e + c * ratio)
    real = jnp.where(by_real, (a + b * ratio) * scale, (a * ratio + b) * scale)
    imag = jnp.where(by_real, (b - a * ratio) * scale, (b * ratio - a) * scale)
    zero = (c == 0) & (e == 0)  # a complex infinity or NaN, as PyTorch divides by zero
    real = jnp.where(zero, a / jnp.abs(c), real)
    imag = jnp.where(zero, b / jnp.abs(e), imag)
    return jax.lax.complex(real, imag)


#: PyTorch's complex formulas where XLA's exp and division differ from PyTorch's at overflow
#: and infinities (the other complex activations use ``_generic.COMPLEX_FORMULAS``).
_COMPLEX_FORMULAS: dict[str, Callable[..., jax.Array]] = {
    "sigmoid": lambda z, xp: _smith_divide(jnp.ones_like(z), 1.0 + _c99_exp(-z)),
    "silu": lambda z, xp: _smith_divide(z, 1.0 + _c99_exp(-z)),
    "exponential": lambda z, xp: _c99_exp(z),
}


_FLOATS_BY_NAME = {name: jnp.dtype(name) for name in _checks.FLOAT_NAMES}
_FLOATS_BY_DTYPE = {d: d for d in _FLOATS_BY_NAME.values()}


def float_dtype(fn: str, dtype: object, x: jax.Array) -> Any:
    """``dtype=`` as a JAX floating dtype: a name, or anything ``jax.numpy.dtype`` takes."""
    return _checks.dtype_argument(
        fn, dtype, "JAX", _FLOATS_BY_NAME, lambda d: _FLOATS_BY_DTYPE[jnp.dtype(d)]
    )


def cast(x: jax.Array, dtype: Any) -> jax.Array:
    """``x`` in ``dtype`` (a complex ``x``: its real part), as PyTorch's ``x.to(dtype)``."""
    if jnp.iscomplexobj(x):
        x = jnp.real(x)
    return x.astype(dtype)


def promote(x: jax.Array) -> jax.Array:
    """An integer or bool ``x`` as float32, PyTorch's default float dtype (also with x64)."""
    return x.astype(jnp.float32)


def complex_kernel(name: str) -> Callable[..., jax.Array]:
    """The kernels apply the dtype rules themselves, complex ``x`` included."""
    return globals()[name]


#: Kernels that only compare and select, exact in any dtype, run in x's own dtype rather than
#: float32: PyTorch compares hardshrink's lambd rounded to x's dtype (-1e-30 is -0.0 in
#: float16, and then both zeros are inside [-lambd, lambd]).
_OWN_DTYPE = frozenset({"hardshrink"})


# --- Derivatives at XLA's cost. ``multiact._derivatives`` serves every backend with array-API
# calls; in float32 under jit(grad) its formulas cost more than XLA's own derivative of the
# jax.nn function (the exact GELU's, accurate everywhere through double-word arithmetic, 6-20x).
# These give the same values at PyTorch's special points (0.5 at +-0, NaN at NaN and +-inf,
# -0.0 where the derivative underflows from below) with fewer operations than jax.nn's: each is
# one loop over memory, and the CPU's instructions per element are what the time is made of.
# Their polynomials are near-minimax fits of the relative error (Lawson's reweighted least
# squares on Chebyshev nodes, exact values from mpmath), each coefficient rounded to float32
# in turn and the others refitted.

#: exp(r) = 1 + r + r^2 (c2 + ... + c6 r^4) for |r| <= ln(2) / 2: relative error 3.1e-9.
_EXP_P = (
    1.0,
    1.0,
    0.4999999403953552,
    0.1666652113199234,
    0.04166827350854874,
    0.008368685841560364,
    0.001382013550028205,
)
_LOG2E = 1.4426950408889634
#: ln 2 in two parts: the first has 15 significant bits, so n * _LN2_HI is exact for the
#: |n| <= 191 used here (Cody and Waite's reduction).
_LN2_HI = 0.693145751953125
_LN2_LO = math.log(2.0) - _LN2_HI
#: Added to an integer-valued float k in [0, 2^22), 1.5 * 2^23 leaves k in the low bits of the
#: sum's representation, which a shift by 23 moves into the exponent field.
_TWO_POW_BIAS = 1.5 * 2.0**23


def _power_of_two(n: jax.Array, bias: int) -> jax.Array:
    """2^(n - 127 + bias) for integer-valued float32 n with 0 <= n + bias <= 255, built in its
    exponent field (XLA's exp2 would cost more than the rest of the exponential); exactly +0.0
    at n + bias = 0. Not differentiated (n is a rounded value)."""
    bits = lax.bitcast_convert_type(n + (_TWO_POW_BIAS + bias), jnp.int32)
    return lax.bitcast_convert_type(lax.shift_left(bits, jnp.int32(23)), jnp.float32)


#: The positive zero s0 of K(s) = s - M(s), M the Mills ratio sqrt(pi/2) erfcx(s/sqrt(2)):
#: the exact GELU's derivative is 0 at -s0. Its float32 part and the rest.
_GELU_S0 = 0.7517915246935644574579
_GELU_S0_HI = 0.7517915368080139
_GELU_S0_LO = _GELU_S0 - _GELU_S0_HI
#: The scale of everything multiplied by the Gaussian factor: 2^-64, undone by the exponential's
#: 2^(n + 64), so that exp(-s^2/2) stays normal up to s = 16.27 (alone it becomes subnormal,
#: flushed to 0 by XLA, at s = 13.2, where the derivative, s times larger, is still normal).
_GELU_SCALE = 2.0**-64
_INV_SQRT_2PI = 0.3989422804014327
#: K(s) / (s - s0) / sqrt(2 pi) on 0 <= s <= 3, a polynomial in d = s - s0 (relative error
#: 4.3e-9), times _GELU_SCALE.
_GELU_Q = tuple(
    c * _GELU_SCALE
    for c in (
        0.5724061727523804,
        -0.08475636690855026,
        0.036581676453351974,
        -0.014313745312392712,
        0.005163559690117836,
        -0.001737758400849998,
        0.000551972771063447,
        -0.0001676947867963463,
        4.795173663296737e-05,
        -1.1609683497226797e-05,
        1.932778559421422e-06,
        -1.5376056694549334e-07,
    )
)
#: s M(s) / sqrt(2 pi) for s >= 3 as a polynomial in w = 1 / s^2 (relative error of K 1.2e-8),
#: times _GELU_SCALE.
_GELU_G = tuple(
    c * _GELU_SCALE
    for c in (
        0.3989393711090088,
        -0.3983723819255829,
        1.158375859260559,
        -4.7013936042785645,
        16.628028869628906,
        -30.715970993041992,
    )
)
_GELU_SPLIT = 3.0
#: Where the exponent n of exp(-s^2/2) = 2^n e^r reaches -191: 2^(n + 64) is then +0.0 (the
#: derivative is 1 or -0.0 in float32 from s = 13.6 on), and so from here to +-inf, where
#: +0.0 times the tail's s = inf is the NaN that PyTorch gives.
_GELU_CLIP = 16.27


def _horner(t: jax.Array, coefficients: tuple[float, ...]) -> jax.Array:
    acc = coefficients[-1]
    for c in coefficients[-2::-1]:
        acc = c + t * acc
    return acc


def _gelu_exact_slope_f32(x: jax.Array) -> jax.Array:
    """The exact GELU's derivative Phi(x) + x phi(x) in float32, within 3 ULP of the exact value
    (every 7th float32 up to 17, both signs: at most 3.36 ULP before rounding).

    With s = |x|: Phi(-s) = phi(s) M(s), so the derivative is 1 + phi(s) K(s) for x >= 0 and
    -phi(s) K(s) for x < 0, K(s) = s - M(s); K is a polynomial times (s - s0) up to 3 (its
    zero is the derivative's, so the relative error holds there) and s - M(s) beyond.
    exp(-s^2 / 2) is computed here rather than by XLA's exp: s^2 = hi + lo exactly (hi rounded,
    lo from Dekker's product with s split by masking its low 12 bits), both enter the reduced
    argument r, and the 2^-64 scale is folded into the power of two. No select guards a special
    value: NaN propagates, +-inf gives +0.0 * inf.
    """
    a = jnp.abs(x)
    s = jnp.minimum(a, _GELU_CLIP)
    hi = s * s
    bits = lax.bitcast_convert_type(s, jnp.uint32) & jnp.uint32(0xFFFFF000)
    s_hi = lax.stop_gradient(lax.bitcast_convert_type(bits, jnp.float32))
    # s_hi^2 is exact (12 bits squared) and within a factor 2 of hi, so s_hi^2 - hi is exact.
    lo = (s - s_hi) * (s + s_hi) + (s_hi * s_hi - hi)
    n = lax.stop_gradient(jnp.round(hi * (-0.5 * _LOG2E)))
    r = n * -_LN2_HI - 0.5 * hi
    r = n * -_LN2_LO + r
    r = lo * -0.5 + r
    e = _horner(r, _EXP_P) * _power_of_two(n, 191)  # exp(-s^2 / 2) * 2^64
    d = s - _GELU_S0_HI  # exact near s0 (Sterbenz)
    # The low part of s0 enters as a constant term: (s - hi) - lo would be folded by XLA
    # into s - (hi + lo), which is s - hi in float32.
    near = d * _horner(d, _GELU_Q) + (-_GELU_S0_LO * _GELU_Q[0])
    inside = s < _GELU_SPLIT
    # where() rather than maximum(): its derivative at s = 3 is 1, where maximum's is 1/2.
    z = 1.0 / jnp.where(inside, _GELU_SPLIT, s)
    tail = (_INV_SQRT_2PI * _GELU_SCALE) * a - z * _horner(z * z, _GELU_G)
    k = e * jnp.where(inside, near, tail)
    return jnp.where(x < 0, -k, 1.0 + k)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


def _gelu_tanh_slope_f32(x: jax.Array) -> jax.Array:
    """PyTorch's tanh-GELU derivative 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2), t the tanh,
    without the clip and isinf select of multiact._derivatives': float32's tanh is exactly +-1
    once its argument passes 9 (7.9 for XLA's), |x| > 4.9, so the second term is 0 there; x^2 is
    capped where it would overflow (0 * inf), so that only x = +-inf gives inf * 0 = NaN."""
    x2 = x * x
    t = jnp.tanh(x * (_SQRT_2_OVER_PI + (_SQRT_2_OVER_PI * _GELU_KAPPA) * x2))
    right = ((0.5 * _SQRT_2_OVER_PI) * x) * (1.0 - t * t)
    right = right * (1.0 + (3.0 * _GELU_KAPPA) * jnp.minimum(x2, 1e30))
    return (0.5 * t + 0.5) + right


def _gelu_derivative(x: jax.Array, y: jax.Array, g: jax.Array, xp: Any, approximate: str) -> Any:
    if x.dtype != jnp.float32:
        # float64 keeps the double-word formula: these polynomials are float32's.
        return _derivatives.gelu(x, y, g, xp, approximate)
    if approximate == "tanh":
        return g * _gelu_tanh_slope_f32(x)
    return g * _gelu_exact_slope_f32(x)


#: exp(-v) = _EXP_P at -v.
_EXP_NEG_P = tuple(c * (-1.0) ** i for i, c in enumerate(_EXP_P))
#: round(88 log2(e)) = 127: exp(-a) is +0.0 from a = 88 up (and for a NaN, NaN).
_SILU_CLIP = 88.0


def _silu_derivative(x: jax.Array, y: jax.Array, g: jax.Array, xp: Any) -> Any:
    # silu_backward: g * s * (1 + x * (1 - s)), with s and 1 - s from e = exp(-|x|) and one
    # division (neither cancels). At +-inf it is inf * 0, NaN, as PyTorch gives; below -88 it
    # is 0 * (1 + x), -0.0 as PyTorch's.
    positive = x >= 0
    if x.dtype != jnp.float32:
        e = jnp.exp(-jnp.abs(x))
        r = 1.0 / (1.0 + e)
        s = jnp.where(positive, r, e * r)
        return g * (s * (1.0 + x * jnp.where(positive, e * r, r)))
    # In float32 the exponential is computed here: it costs less than XLA's, which clamps its
    # argument and its exponent for every input. e = p * 2^-m is kept in its two factors: as one
    # array used twice, XLA's CPU fusion computes it in a loop of its own (a second pass over
    # memory, slower than jax.nn's derivative).
    a = jnp.minimum(jnp.abs(x), _SILU_CLIP)
    m = lax.stop_gradient(jnp.round(a * _LOG2E))
    v = m * -_LN2_HI + a
    v = m * -_LN2_LO + v
    p = _horner(v, _EXP_NEG_P)
    two = _power_of_two(-m, 127)  # 2^-m
    r = 1.0 / (1.0 + p * two)
    q = (p * r) * two  # e / (1 + e) = 1 - r
    s = jnp.where(positive, r, q)
    return g * (s * (1.0 + x * jnp.where(positive, q, r)))


#: Derivatives that replace ``multiact._derivatives``'s on JAX (the same values at the special
#: points; conformance compares both with PyTorch's).
_FAST_DERIVATIVES: dict[str, Callable[..., Any]] = {
    "gelu": _gelu_derivative,
    "silu": _silu_derivative,
}


def _torch_convention(name: str, forward: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """``forward`` compiled, with PyTorch's derivative (``_derivatives.NAME``) as its JVP.

    The parameters after ``x`` are static (nondifferentiable, compiled in): for an elementwise
    function the VJP with ``g`` equals the JVP with tangent ``g``, so the one formula serves.
    """
    n_params = forward.__code__.co_argcount - 1
    make = functools.partial(_with_torch_jvp, name, forward)
    if not n_params:
        return jax.jit(make())
    return _bounded(make, n_params)


def _with_torch_jvp(name: str, forward: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """``forward`` (not compiled) with PyTorch's derivative as its JVP, computed in float32
    for half precision and with the registry's dtype rules: ``_torch_convention``'s kernel."""
    derivative = _FAST_DERIVATIVES.get(name) or getattr(_derivatives, name)
    static = tuple(range(1, forward.__code__.co_argcount))
    with_jvp = jax.custom_jvp(forward, nondiff_argnums=static)

    def jvp(*args: Any) -> tuple[jax.Array, jax.Array]:
        *params, (x,), (t,) = args
        y = with_jvp(x, *params)
        return y, derivative(x, y, t, jnp, *params)

    with_jvp.defjvp(jvp)
    in_float32 = with_jvp if name in _OWN_DTYPE else _opmath(with_jvp)
    return _dtype_rules(name, in_float32) if name in _TRACE_CHECKED else in_float32


#: Distinct static parameter tuples a kernel keeps compiled before its cache is cleared. Each
#: compiled variant holds about 1.5 MiB (measured: 1 000 values of leaky_relu's slope grew the
#: process by 1.5 GiB), so a loop over parameter values (a sweep of alpha, rrelu's bounds)
#: would grow without limit; past this many, the kernel starts afresh.
MAX_COMPILED_VARIANTS = 32


#: What a static parameter is tested against for a zero: -0.0 and 0.0 are both in it.
_ZERO = frozenset({0.0})


def _in_range(lambd: float, x: jax.Array) -> float:
    """A shrink's lambd clamped to x's finite range: beyond it, its conversion to x's dtype
    overflows (NumPy warns at trace time), and the largest finite value selects the same
    elements (every finite x is inside the zone, +-inf outside)."""
    largest = float(jnp.finfo(x.dtype).max)
    return min(max(lambd, -largest), largest)


def _hardshrink(x: jax.Array, lambd: float) -> jax.Array:
    return jnp.where((x >= -lambd) & (x <= lambd), jnp.zeros_like(x), x)


def _softshrink(x: jax.Array, lambd: float) -> jax.Array:
    return jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, x * 0))


def _bounded(
    make: Callable[[], Callable[..., jax.Array]], n_static: int, n_arrays: int = 0
) -> Callable[..., jax.Array]:
    """The kernel ``make()`` builds, jitted with the ``n_static`` arguments after ``x``
    static (and ``n_arrays`` array arguments after those), keeping at most
    ``MAX_COMPILED_VARIANTS`` tuples of them compiled at a time.

    JAX's caches (jit's, custom_jvp's) compare static arguments with ``==``, for which -0.0
    is 0.0: a slope of -0.0 would reuse what was traced for 0.0, and the signs of the zeros
    it gives. Each pattern of negative zeros among the parameters gets a kernel of its own.
    """
    if not n_static:
        # Nothing to bound and no zeros to tell apart: the jitted kernel itself, without a
        # Python call in front of it (a tenth of a one-element call).
        return jax.jit(make())
    static_argnums = tuple(range(1, 1 + n_static))
    kernel = make()
    compiled = jax.jit(kernel, static_argnums=static_argnums)
    by_negative_zeros: dict[tuple[bool, ...], Callable[..., jax.Array]] = {}
    seen: set[tuple[object, ...]] = set()

    def remember(static: tuple[object, ...]) -> None:
        if len(seen) >= MAX_COMPILED_VARIANTS:
            compiled.clear_cache()
            by_negative_zeros.clear()
            seen.clear()
        seen.add(static)

    def with_zeros(x: jax.Array, args: tuple[object, ...]) -> jax.Array:
        static = args[:n_static]
        signs = tuple(a == 0 and math.copysign(1.0, a) < 0 for a in static)  # type: ignore[arg-type]
        if not any(signs):
            chosen = compiled
        else:
            chosen = by_negative_zeros.get(signs)
            if chosen is None:
                chosen = by_negative_zeros[signs] = jax.jit(make(), static_argnums=static_argnums)
        if (*static, signs) not in seen:
            remember((*static, signs))
        return chosen(x, *args)

    # The hot path: a parameter tuple seen before, without a zero (whose sign JAX's caches,
    # comparing with ==, would not tell apart; a set test hashes, and compares only on a
    # matching hash: cheap for strings too). Written out for one and two parameters, the
    # common cases: passing *args on to the jitted function costs a tenth of a one-element
    # call. Arguments past the static ones (rrelu's key) are arrays: the general form.
    if n_static == 1 and not n_arrays:

        def call(x: jax.Array, a: object) -> jax.Array:
            if a in _ZERO:
                return with_zeros(x, (a,))
            if (a,) not in seen:
                remember((a,))
            return compiled(x, a)

    elif n_static == 2 and not n_arrays:

        def call(x: jax.Array, a: object, b: object) -> jax.Array:  # type: ignore[misc]
            if a in _ZERO or b in _ZERO:
                return with_zeros(x, (a, b))
            if (a, b) not in seen:
                remember((a, b))
            return compiled(x, a, b)

    else:

        def call(x: jax.Array, *args: object) -> jax.Array:  # type: ignore[misc]
            static = args[:n_static]
            if any(a in _ZERO for a in static):
                return with_zeros(x, args)
            if static not in seen:
                remember(static)
            return compiled(x, *args)

    call = functools.wraps(kernel)(call)
    call.compiled = compiled  # type: ignore[attr-defined]  # tests read its cache size
    return call


def _as_dtype_of(x: jax.Array, value: float) -> jax.Array:
    # Python floats would promote integer arrays to float; PyTorch keeps the integer dtype.
    return jnp.asarray(value).astype(x.dtype)


def _clamp(x: jax.Array, low: float, high: float) -> jax.Array:
    # where() rather than jnp.clip: clip's max(-0.0, 0.0) returns +0.0, PyTorch keeps -0.0,
    # and NaN must pass through.
    lo, hi = _as_dtype_of(x, low), _as_dtype_of(x, high)
    return jnp.where(x < lo, lo, jnp.where(x > hi, hi, x))


def _elu_like(x: jax.Array, alpha: float, scale: float, input_scale: float) -> jax.Array:
    negative = alpha * jnp.expm1(jnp.where(x > 0, 0.0, x) * input_scale)
    return scale * jnp.where(x > 0, x, negative)


_kernels: dict[str, Callable[..., jax.Array]] = {
    # jax.nn.relu is max(x, 0), which turns -0.0 into +0.0; torch.relu keeps -0.0.
    "relu": lambda x: jnp.where(x < 0, jnp.zeros_like(x), x),
    "relu6": lambda x: _clamp(x, 0.0, 6.0),
    "hardtanh": lambda x, min_val, max_val: _clamp(x, min_val, max_val),
    # jax.nn.leaky_relu selects on x >= 0; PyTorch on x > 0 (the values agree, -0.0 stays).
    "leaky_relu": lambda x, negative_slope: jnp.where(x > 0, x, x * negative_slope),
    "elu": lambda x, alpha: _elu_like(x, alpha, 1.0, 1.0),
    "selu": lambda x: _elu_like(x, SELU_ALPHA, SELU_SCALE, 1.0),
    # jax.nn.celu is max(x, 0) + ..., which loses -0.0; PyTorch's celu is an elu.
    "celu": lambda x, alpha: _elu_like(x, alpha, 1.0, 1.0 / alpha),
    "gelu": lambda x, approximate: jax.nn.gelu(x, approximate=approximate == "tanh"),
    "silu": lambda x: jax.nn.silu(x),
    "mish": lambda x: jax.nn.mish(x),
    "sigmoid": lambda x: jax.nn.sigmoid(x),
    "logsigmoid": lambda x: jax.nn.log_sigmoid(x),
    # PyTorch's formulas, for its rounding: (x + 3) clamped, then divided by 6.
    "hardsigmoid": lambda x: jnp.minimum(jnp.maximum(x + 3.0, 0.0), 6.0) / 6.0,
    "hardswish": lambda x: x * jnp.minimum(jnp.maximum(x + 3.0, 0.0), 6.0) / 6.0,
    "hardshrink": lambda x, lambd: _hardshrink(x, _in_range(lambd, x)),
    # x * 0 inside the dead zone keeps the sign of zero, as PyTorch's kernel does.
    "softshrink": lambda x, lambd: _softshrink(x, _in_range(lambd, x)),
    "tanhshrink": lambda x: x - jnp.tanh(x),
    "tanh": lambda x: jnp.tanh(x),
    "softsign": lambda x: jax.nn.soft_sign(x),
    # jax.nn.softplus has no beta or threshold; this is PyTorch's definition, computed stably.
    "softplus": lambda x, beta, threshold: jnp.where(
        x * beta > threshold, x, jnp.logaddexp(x * beta, 0.0) / beta
    ),
    # PyTorch converts the threshold to x's dtype first: truncated toward 0 for integers
    # (x = -1 is at or below -1.85 there), where a Python float would promote x to float.
    "threshold": lambda x, threshold, value: jnp.where(
        x <= _as_dtype_of(x, threshold), _as_dtype_of(x, value), x
    ),
    "squareplus": lambda x, b: _generic.squareplus(x, b),
    "sparse_plus": lambda x: _generic.sparse_plus(x),
    "sparse_sigmoid": lambda x: _generic.sparse_sigmoid(x),
    "log1mexp": lambda x: _generic.log1mexp(x),
    "exponential": lambda x: jnp.exp(x),
    "quick_gelu": lambda x: _generic.quick_gelu(x),
    "relu2": lambda x: _generic.relu2(x),
    "laplace": lambda x, mu, sigma: _generic.laplace(x, mu, sigma),
    "clipped_gelu": lambda x, min_val, max_val: _generic.clipped_gelu(x, min_val, max_val),
    "hard_mish": lambda x: _generic.hard_mish(x),
    "sqrtsoftplus": lambda x: _generic.sqrtsoftplus(x),
    "xielu": lambda x, alpha_p, alpha_n, beta, eps: _generic.xielu(x, alpha_p, alpha_n, beta, eps),
}
_compiled = {name: _torch_convention(name, kernel) for name, kernel in _kernels.items()}


def _refusing_inplace(name: str, compiled: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """The kernel of an activation with ``inplace`` (always its last parameter): JAX arrays
    are immutable, so ``inplace=True`` is refused, and otherwise the compiled kernel runs.

    Written out per number of parameters, with the refusal inline: forwarding ``*args`` to the
    compiled kernel, or a helper call, would cost a tenth of a one-element call.
    """
    a = ACTIVATIONS[name]
    assert a.params[-1].name == "inplace", name
    arity = len(a.params) - 1
    if arity == 0:

        def kernel(x: jax.Array, inplace: bool) -> jax.Array:
            if inplace:
                raise _checks.immutable_error(name, x)
            return compiled(x)

    elif arity == 1:

        def kernel(x: jax.Array, p: object, inplace: bool) -> jax.Array:  # type: ignore[misc]
            if inplace:
                raise _checks.immutable_error(name, x)
            return compiled(x, p)

    elif arity == 2:

        def kernel(x: jax.Array, p: object, q: object, inplace: bool) -> jax.Array:  # type: ignore[misc]
            if inplace:
                raise _checks.immutable_error(name, x)
            return compiled(x, p, q)

    else:
        raise NotImplementedError(f"{name}: {arity} parameters besides inplace")
    kernel.__name__ = kernel.__qualname__ = name
    kernel.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("x", *a.defaults)]
    )
    return kernel


# Every kernel of _kernels becomes this module's function of the activation's name (the
# Backend contract): the compiled kernel itself, with no Python frame in front, or behind the
# in-place refusal. One place per activation: its entry in _kernels.
globals().update(
    {
        name: _refusing_inplace(name, compiled) if ACTIVATIONS[name].supports_inplace else compiled
        for name, compiled in _compiled.items()
    }
)


def _reducing(name: str, kernel: Callable[..., jax.Array]) -> Callable[[jax.Array, int], jax.Array]:
    """A softmax-like kernel with PyTorch's 0-d and empty cases, to be compiled per axis.

    The cases are decided while tracing, where shapes are static: the compiled function is
    the whole kernel, with no Python call in front reading ``x.shape`` (a few hundred ns on
    a JAX array) on every call.
    """
    in_float32 = _opmath(kernel)

    @functools.wraps(kernel)
    def cases(x: jax.Array, axis: int) -> jax.Array:
        # The public function leaves the dtype and an int axis to this, while tracing.
        _require_float(name, x)
        axis = _checks.check_axis(name, axis, None, x.ndim)
        if not x.shape:  # jax.nn.softmax has no axis to reduce; PyTorch treats it as 1 element
            return in_float32(x.reshape(1), 0).reshape(())
        if x.shape[axis] == 0:
            return jnp.zeros_like(x)
        return in_float32(x, axis)

    return cases


_REDUCING = {
    "softmax": _reducing("softmax", lambda x, axis: jax.nn.softmax(x, axis=axis)),
    "log_softmax": _reducing("log_softmax", lambda x, axis: jax.nn.log_softmax(x, axis=axis)),
    "softmin": _reducing("softmin", lambda x, axis: jax.nn.softmax(-x, axis=axis)),
    "sparsemax": _reducing("sparsemax", lambda x, axis: _generic.sparsemax(x, axis)),
}
_softmax, _log_softmax, _softmin, _sparsemax = (
    jax.jit(_REDUCING[name], static_argnums=1)
    for name in ("softmax", "log_softmax", "softmin", "sparsemax")
)


def _glu_forward(x: jax.Array, axis: int) -> jax.Array:
    return jax.nn.glu(x, axis=axis)


_glu_with_jvp = jax.custom_jvp(_glu_forward, nondiff_argnums=(1,))


def _glu_jvp(axis: int, primals: tuple, tangents: tuple) -> tuple[jax.Array, jax.Array]:
    # jax.nn.glu's own derivative multiplies the cotangent by the first half before the gate's
    # slope, overflowing where the first half is near the dtype's max; PyTorch (and this rule)
    # multiply by the slope first. inf * a saturated slope is NaN, as in PyTorch.
    (x,), (t,) = primals, tangents
    a, b = jnp.split(x, 2, axis=axis)
    ta, tb = jnp.split(t, 2, axis=axis)
    s = jax.nn.sigmoid(b)
    slope = s * (1.0 - s)
    undefined = jnp.isinf(a) & (slope == 0)
    coefficient = jnp.where(undefined, jnp.nan, jnp.where(undefined, 0.0, a) * slope)
    return a * s, ta * s + tb * coefficient


_glu_with_jvp.defjvp(_glu_jvp)
_glu = jax.jit(_dtype_rules("glu", _opmath(_glu_with_jvp)), static_argnums=1)


@jax.jit
def _prelu(x: jax.Array, weight: jax.Array) -> jax.Array:
    # Differentiated by JAX itself: the gradient with respect to the weight comes for free,
    # and where(x > 0, ...) gives PyTorch's convention at 0 (the weight).
    _require_float("prelu", x)  # while tracing: see _TRACE_CHECKED
    w = channel_weight(weight, x, jnp)
    return jnp.where(x > 0, x, w * x)


@_opmath
def _rrelu_training(x: jax.Array, lower: float, upper: float, key: jax.Array) -> jax.Array:
    noise = jax.random.uniform(key, x.shape, x.dtype, minval=lower, maxval=upper)
    # PyTorch draws a slope for x <= 0 and leaves x > 0 (and NaN) unchanged.
    return jnp.where(x <= 0, x * noise, x)


_rrelu_training_jit = _bounded(lambda: _rrelu_training, 2, n_arrays=1)


def _seed_error(seed: int) -> ValueError:
    return ValueError(
        "multiact.rrelu: argument 'generator' must be a seed between -2**63 and 2**63 - 1; "
        f"got {seed}"
    )


def _key(generator: object) -> jax.Array:
    if isinstance(generator, int) and not isinstance(generator, bool):
        if not -(2**63) <= generator < 2**63:
            raise _seed_error(generator)
        return jax.random.key(generator)
    if isinstance(generator, jax.Array):
        return generator
    raise TypeError(
        "multiact.rrelu: argument 'generator' must be a JAX PRNG key (jax.random.key(seed)) or "
        f"an int seed for a JAX array in training mode; got {_checks._given(generator)}"
    )


def prelu(x: jax.Array, weight: jax.Array) -> jax.Array:
    return _prelu(x, weight)


def rrelu(
    x: jax.Array, lower: float, upper: float, training: bool, inplace: bool, generator: object
) -> jax.Array:
    if inplace:
        raise _checks.immutable_error("rrelu", x)
    _require_float("rrelu", x)  # here: its kernels are leaky_relu's and one of its own
    if not training:
        return _compiled["leaky_relu"](x, (lower + upper) / 2)
    return _rrelu_training_jit(x, lower, upper, _key(generator))


def glu(x: jax.Array, axis: int) -> jax.Array:
    return _glu(x, axis)


softmax = _softmax


log_softmax = _log_softmax


softmin = _softmin


def sparsemax(x: jax.Array, axis: int) -> jax.Array:
    return _sparsemax(x, axis)


def identity(x: jax.Array) -> jax.Array:
    return jnp.copy(x)


def _at_defaults(name: str) -> Callable[[jax.Array], jax.Array] | None:
    """``name``'s kernel with every parameter at its registry default, compiled for ``x``
    alone: the same computation as the kernel above at those values (the same custom JVP and
    dtype rules), without its Python call in front or its static arguments to hash."""
    activation = ACTIVATIONS[name]
    params = [p.name for p in activation.params if p.name != "inplace"]
    if any(p not in activation.defaults for p in params):
        return None
    defaults = tuple(activation.defaults[p] for p in params)
    if name in _kernels:
        if not defaults:
            return _compiled[name]
        kernel = _with_torch_jvp(name, _kernels[name])
    elif name in _REDUCING and params == ["axis"]:
        kernel = _REDUCING[name]
    else:
        return None
    return _compiled_with(name, kernel, defaults)


#: (name, arguments) -> the kernel compiled with them (``kernel_at``), at most
#: MAX_COMPILED_VARIANTS of them: each holds its compiled code.
_KERNELS_AT: dict[tuple[str, tuple[Any, ...]], Callable[[jax.Array], jax.Array]] = {}


def kernel_at(name: str, arguments: tuple[Any, ...]) -> Callable[[jax.Array], jax.Array] | None:
    """``name``'s kernel compiled with these parameters in it, for ``x`` alone
    (``Backend.kernel_at``): the same computation as the kernel above with them, without its
    Python call and static arguments (a tenth of a one-element call). None past
    MAX_COMPILED_VARIANTS kernels, in place, and for the kernels that are not elementwise."""
    key = (name, arguments)
    kernel = _KERNELS_AT.get(key)
    if kernel is not None or name not in _kernels or len(_KERNELS_AT) >= MAX_COMPILED_VARIANTS:
        return kernel
    if ACTIVATIONS[name].supports_inplace:
        if arguments[-1] is not False:
            return None
        arguments = arguments[:-1]
    # JAX's caches compare static values with ==, for which -0.0 is 0.0: not with a zero.
    if any(a in _ZERO for a in arguments):
        return None
    kernel = _compiled_with(name, _with_torch_jvp(name, _kernels[name]), arguments)
    _KERNELS_AT[key] = kernel
    return kernel


def _compiled_with(
    name: str, kernel: Callable[..., jax.Array], arguments: tuple[Any, ...]
) -> Callable[[jax.Array], jax.Array]:
    def with_arguments(x: jax.Array) -> jax.Array:
        return kernel(x, *arguments)

    with_arguments.__name__ = with_arguments.__qualname__ = name  # as jaxprs name its call
    return jax.jit(with_arguments)


#: The kernels at the defaults (``Backend.AT_DEFAULTS``). The public functions leave the dtype
#: rules to the kernels, which apply them while tracing: each gives what the function gives for
#: every dtype, and a Dispatcher calls it for every dtype the function has taken.
AT_DEFAULTS = ModuleType(f"{__name__}.AT_DEFAULTS")
# A module: its attributes are read at a module's speed (a namespace object's: 3x slower).
AT_DEFAULTS.__dict__.update({name: _at_defaults(name) for name in ACTIVATIONS})


# --- Real parameters given as arrays (multiact._traced): JAX arrays and tracers, so that
# jax.jit traces them, jax.grad differentiates with respect to them and jax.vmap maps over
# them. Python numbers never come here: they keep the compiled kernels above, one per value.


def _traced_formula(name: str) -> Callable[..., jax.Array]:
    """multiact._traced's formula for ``name`` as a custom JVP: the derivative with respect
    to x is PyTorch's (as with numbers), with respect to a parameter its partial derivative.

    Symbolic zeros: a tangent that is not being differentiated (x's, when only a parameter
    is; a parameter that is merely traced) adds nothing, where a zero array times a partial
    that is infinite or NaN at some x would put NaN into the other gradient.
    """
    from multiact._traced import FORMULAS

    formula = FORMULAS[name]

    @jax.custom_jvp
    def value(x: jax.Array, *params: jax.Array) -> jax.Array:
        return formula.value(x, jnp, *params)

    def jvp(primals: tuple, tangents: tuple) -> tuple[jax.Array, jax.Array]:
        x, *params = primals
        tx, *tps = tangents
        y = value(x, *params)
        dy = None
        if not isinstance(tx, SymbolicZero):
            dy = formula.derivative(x, y, tx, jnp, *params)
        live = [i for i, t in enumerate(tps) if not isinstance(t, SymbolicZero)]
        if live:
            partials = formula.partials(x, y, jnp, *params)
            for i in live:
                term = partials[i] * tps[i]
                dy = term if dy is None else dy + term
        return y, jnp.zeros_like(y) if dy is None else dy

    value.defjvp(jvp, symbolic_zeros=True)

    def kernel(x: jax.Array, *params: object) -> jax.Array:
        kind = dtype_kind(x)
        if kind != "f":
            if ACTIVATIONS[name].integers != "keep" or kind not in "iu":
                raise _checks.dtype_error(name, x, "f")
            # Converted to x's integer dtype, truncated, as PyTorch converts a number; no
            # derivative through integers.
            return formula.value(x, jnp, *(jnp.asarray(p).astype(x.dtype) for p in params))
        wide = jnp.float32 if x.dtype in (jnp.float16, jnp.bfloat16) else x.dtype
        wide_params = (jnp.asarray(p).astype(wide) for p in params)
        return value(x.astype(wide), *wide_params).astype(x.dtype)

    return jax.jit(kernel)


@jax.jit
@_opmath
def _rrelu_training_traced(
    x: jax.Array, lower: jax.Array, upper: jax.Array, key: jax.Array
) -> jax.Array:
    # The same draws as with numbers (uniform between the bounds); differentiated by JAX.
    low, high = jnp.asarray(lower).astype(x.dtype), jnp.asarray(upper).astype(x.dtype)
    noise = jax.random.uniform(key, x.shape, x.dtype, minval=low, maxval=high)
    return jnp.where(x <= 0, x * noise, x)


_traced_kernels: dict[str, Callable[..., jax.Array]] = {}


def with_array_params(name: str, x: jax.Array, *args: object) -> jax.Array:
    """``name`` with some real parameters as JAX arrays or tracers (``multiact._traced``);
    ``args`` are all its parameters, checked, in registry order."""
    from multiact._traced import SIGNATURES

    signature = SIGNATURES[name]
    values = dict(zip(signature.names, args, strict=True))
    if values.get("inplace"):
        raise _checks.immutable_error(name, x)
    if name == "rrelu" and values["training"]:
        _require_float(name, x)
        return _rrelu_training_traced(
            x, values["lower"], values["upper"], _key(values["generator"])
        )
    kernel = _traced_kernels.get(name)
    if kernel is None:
        kernel = _traced_kernels[name] = _traced_formula(name)
    return kernel(x, *(values[n] for n in signature.reals))
