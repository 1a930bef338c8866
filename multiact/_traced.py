"""Real parameters given as arrays: 0-d tensors, JAX arrays and JAX tracers.

A Python number takes the generated functions' fast path (one ``type(...) is float`` test).
Anything else that is not a number but has a ``shape`` and a ``dtype`` leaves that path for
:func:`call`, which checks every parameter (an array must be 0-d, of ``x``'s library, of a real
dtype) and hands the call to the backend's ``with_array_params`` (PyTorch, JAX), where the
parameter stays an array: ``jax.jit(multiact.leaky_relu)(x, 0.2)`` traces the slope,
``jax.grad`` and torch autograd differentiate with respect to it, and ``jax.vmap`` maps over
its values. NumPy and the generic backend have no autodiff to keep: their 0-d arrays are read
as numbers and the call goes through the fast path.

The formulas are written once, with array-API calls, here: the value, and the partial
derivative of the value with respect to each real parameter (``partials``). The derivative
with respect to ``x`` is :mod:`multiact._derivatives`', PyTorch's backward formula, the same
as with a Python number, kinks included. The backends wrap them in their own autodiff (a
``jax.custom_jvp``, a ``torch.autograd.Function``), so gradients with respect to a parameter
are the same formula on both, and equal to the value's derivative away from its kinks (the
tests compare them with finite differences and between PyTorch and JAX). At a kink the
partial takes the side PyTorch's ``torch.clamp`` takes for a tensor bound (0 at the bound).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _checks, _derivatives, _special
from ._registry import ACTIVATIONS

__all__ = ["FORMULAS", "Formula", "call", "real_params"]


@dataclass(frozen=True)
class Formula:
    """An activation with its real parameters as arrays (or numbers), in array-API calls.

    ``value(x, xp, *params)``; ``partials(x, y, xp, *params)``: one array of ``x``'s shape per
    parameter, d(value)/d(parameter) elementwise; ``derivative(x, y, g, xp, *params)``: the
    vector-Jacobian product with respect to ``x``. ``params`` are the activation's real
    parameters in registry order, in the dtype the value is computed in.
    """

    value: Callable[..., Any]
    partials: Callable[..., tuple[Any, ...]]
    derivative: Callable[..., Any]


@dataclass(frozen=True)
class _Signature:
    """What ``call`` reads of an activation's declaration, in plain tuples: torch.compile
    traces ``call``, and its tracer refuses the registry's mapping proxies."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    constraints: tuple[str | None, ...]
    ordered: tuple[tuple[str, str], ...]
    reals: tuple[str, ...]


SIGNATURES: dict[str, _Signature] = {
    a.name: _Signature(
        tuple(p.name for p in a.params),
        tuple(p.kind for p in a.params),
        tuple(p.constraint for p in a.params),
        tuple(a.ordered),
        tuple(p.name for p in a.params if p.kind == "real"),
    )
    for a in ACTIVATIONS.values()
}


def real_params(name: str) -> tuple[str, ...]:
    """The names of the real parameters of activation ``name``, in registry order."""
    return SIGNATURES[name].reals


def _zero(x: Any, xp: Any) -> Any:
    return xp.zeros_like(x)


def _indicator(condition: Any, x: Any, xp: Any) -> Any:
    return xp.where(condition, xp.ones_like(x), xp.zeros_like(x))


def _nonpositive(x: Any, xp: Any) -> Any:
    """min(x, 0) with NaN kept: where x > 0 is false for NaN."""
    return xp.where(x > 0, xp.zeros_like(x), x)


# --- leaky_relu and rrelu (in evaluation mode, the mean slope).


def _leaky(x: Any, slope: Any, xp: Any) -> Any:
    return xp.where(x > 0, x, x * slope)


def _leaky_partial(x: Any, xp: Any) -> Any:
    # d(slope * x)/d(slope) = x on the negative side (0 at x = 0 either way).
    return xp.where(x > 0, xp.zeros_like(x), x)


def _rrelu_value(x: Any, xp: Any, lower: Any, upper: Any) -> Any:
    return _leaky(x, (lower + upper) / 2, xp)


def _rrelu_partials(x: Any, y: Any, xp: Any, lower: Any, upper: Any) -> tuple[Any, Any]:
    half = _leaky_partial(x, xp) / 2
    return half, half


def _rrelu_derivative(x: Any, y: Any, g: Any, xp: Any, lower: Any, upper: Any) -> Any:
    return _derivatives.leaky_relu(x, y, g, xp, (lower + upper) / 2)


# --- The ELU family.


def _elu_value(x: Any, xp: Any, alpha: Any) -> Any:
    return xp.where(x > 0, x, alpha * xp.expm1(_nonpositive(x, xp)))


def _elu_partials(x: Any, y: Any, xp: Any, alpha: Any) -> tuple[Any]:
    return (xp.where(x > 0, xp.zeros_like(x), xp.expm1(_nonpositive(x, xp))),)


def _celu_value(x: Any, xp: Any, alpha: Any) -> Any:
    return xp.where(x > 0, x, alpha * xp.expm1(_nonpositive(x, xp) / alpha))


def _celu_partials(x: Any, y: Any, xp: Any, alpha: Any) -> tuple[Any]:
    # d/d(alpha) of alpha (e^t - 1), t = x / alpha: (e^t - 1) - t e^t. At x = -inf (t = -inf
    # for a positive alpha) t e^t is -inf * 0; its limit is 0, taken there.
    t = _nonpositive(x, xp) / alpha
    finite_t = xp.where(xp.isinf(t), xp.zeros_like(t), t)
    d = xp.expm1(t) - finite_t * xp.exp(finite_t)
    return (xp.where(x > 0, xp.zeros_like(x), d),)


# --- Clipping and shrinking.


def _hardtanh_value(x: Any, xp: Any, min_val: Any, max_val: Any) -> Any:
    # where(), not clip: -0.0 and NaN stay as they are (as the kernels with numbers keep them).
    low = xp.zeros_like(x) + min_val
    high = xp.zeros_like(x) + max_val
    return xp.where(x < min_val, low, xp.where(x > max_val, high, x))


def _hardtanh_partials(x: Any, y: Any, xp: Any, min_val: Any, max_val: Any) -> tuple[Any, Any]:
    # torch.clamp's gradients with respect to tensor bounds: where x is strictly beyond them.
    return _indicator(x < min_val, x, xp), _indicator(x > max_val, x, xp)


def _hardshrink_value(x: Any, xp: Any, lambd: Any) -> Any:
    inside = (x >= -lambd) & (x <= lambd)
    return xp.where(inside, xp.zeros_like(x), x)


def _hardshrink_partials(x: Any, y: Any, xp: Any, lambd: Any) -> tuple[Any]:
    return (_zero(x, xp),)  # the value moves only by jumping: 0 everywhere else


def _softshrink_value(x: Any, xp: Any, lambd: Any) -> Any:
    # x * 0 in the dead zone keeps the sign of x's zero, as PyTorch's kernel does.
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, x * 0))


def _softshrink_partials(x: Any, y: Any, xp: Any, lambd: Any) -> tuple[Any]:
    ones = xp.ones_like(x)
    return (xp.where(x > lambd, -ones, xp.where(x < -lambd, ones, xp.zeros_like(x))),)


def _threshold_value(x: Any, xp: Any, threshold: Any, value: Any) -> Any:
    return xp.where(x <= threshold, xp.zeros_like(x) + value, x)


def _threshold_partials(x: Any, y: Any, xp: Any, threshold: Any, value: Any) -> tuple[Any, Any]:
    return _zero(x, xp), _indicator(x <= threshold, x, xp)


# --- Smooth ones.


def _softplus_value(x: Any, xp: Any, beta: Any, threshold: Any) -> Any:
    bx = x * beta
    return xp.where(bx > threshold, x, xp.logaddexp(bx, xp.zeros_like(bx)) / beta)


def _softplus_derivative(x: Any, y: Any, g: Any, xp: Any, beta: Any, threshold: Any) -> Any:
    # _derivatives.softplus's formula (PyTorch's softplus_backward), with array-valued clip
    # bounds: g past the threshold, g * sigmoid(beta x) before it (at it included).
    from ._numerics import stable_sigmoid

    limit = 800.0 / xp.abs(beta)
    bx = xp.clip(x, -limit, limit) * beta
    return xp.where(bx > threshold, g, g * stable_sigmoid(bx, xp))


def _softplus_partials(x: Any, y: Any, xp: Any, beta: Any, threshold: Any) -> tuple[Any, Any]:
    # y = log(1 + e^(beta x)) / beta: dy/dbeta = (x sigmoid(beta x) - y) / beta; the linear
    # branch past the threshold does not depend on beta, and nothing depends on the threshold
    # except where the branch jumps.
    bx = x * beta
    finite_x = xp.where(xp.isinf(x), xp.zeros_like(x), x)
    from ._numerics import stable_sigmoid

    d = (finite_x * stable_sigmoid(finite_x * beta, xp) - y) / beta
    d = xp.where(xp.isinf(x), xp.zeros_like(x), d)  # the limits: 0 at -inf, linear at +inf
    return xp.where(bx > threshold, xp.zeros_like(x), d), _zero(x, xp)


def _root(x: Any, xp: Any, b: Any) -> Any:
    """sqrt(x^2 + b) without overflowing x^2: |x| sqrt(1 + b / x^2) beyond |x| = 1."""
    a = xp.abs(x)
    big = a > 1
    safe = xp.where(big, a, xp.ones_like(a))
    scaled = a * xp.sqrt(1 + (b / safe) / safe)
    return xp.where(big, scaled, xp.sqrt(a * a + b))


def _squareplus_value(x: Any, xp: Any, b: Any) -> Any:
    # (x + r) / 2, with the left side as b / (2 (r - x)) so that it does not cancel.
    r = _root(x, xp, b)
    d = 0.5 * r + 0.5 * xp.abs(x)  # halves: r + |x| overflows at the dtype's max
    left = (b / 4) / xp.where(d == 0, xp.ones_like(d), d)
    return left + xp.where(x > 0, x, xp.zeros_like(x))


def _squareplus_derivative(x: Any, y: Any, g: Any, xp: Any, b: Any) -> Any:
    # (1 + x / sqrt(x^2 + b)) / 2: 0 and 1 at -inf and +inf, 1/2 at x = b = 0 (as
    # _derivatives.squareplus).
    r = _root(x, xp, b)
    ones = xp.ones_like(x)
    finite_x = xp.where(xp.isinf(x), xp.zeros_like(x), x)
    ratio = finite_x / xp.where(r == 0, ones, r)
    ratio = xp.where(xp.isinf(x), xp.where(x > 0, ones, -ones), ratio)
    return g * (0.5 * (1.0 + ratio))


def _squareplus_partials(x: Any, y: Any, xp: Any, b: Any) -> tuple[Any]:
    r = _root(x, xp, b)
    return (1 / (4 * r),)


# --- The activations of model zoos (Transformers' laplace, gelu_10 and xIELU).


def _laplace_reach(sigma: Any) -> Any:
    from ._numerics import LAPLACE_CLIP

    return LAPLACE_CLIP * (sigma * math.sqrt(2.0))


def _laplace_value(x: Any, xp: Any, mu: Any, sigma: Any) -> Any:
    # As the kernel: erfc((mu - x) / (sigma sqrt 2)) / 2, the difference clipped where erfc
    # saturates (selections, so that NaN stays NaN).
    reach = _laplace_reach(sigma)
    zero = xp.zeros_like(x)
    d = mu - x
    d = xp.where(d < -reach, zero - reach, xp.where(d > reach, zero + reach, d))
    return 0.5 * _special.erfc(d / (sigma * math.sqrt(2.0)), xp)


def _laplace_derivative(x: Any, y: Any, g: Any, xp: Any, mu: Any, sigma: Any) -> Any:
    return g * _derivatives.laplace_slope(x - mu, sigma, _laplace_reach(sigma), xp)


def _laplace_partials(x: Any, y: Any, xp: Any, mu: Any, sigma: Any) -> tuple[Any, Any]:
    # y = Phi(z), z = (x - mu) / sigma: dy/dmu = -phi(z) / sigma, dy/dsigma = -z phi(z) / sigma
    # (0 where z is clipped far out: phi is 0 there, and z finite).
    slope = _derivatives.laplace_slope(x - mu, sigma, _laplace_reach(sigma), xp)
    reach = _laplace_reach(sigma)
    zero = xp.zeros_like(x)
    d = x - mu
    d = xp.where(d < -reach, zero - reach, xp.where(d > reach, zero + reach, d))
    return -slope, -slope * (d / sigma)


def _clipped_gelu_value(x: Any, xp: Any, min_val: Any, max_val: Any) -> Any:
    from ._numerics import clipped_gelu_unclipped

    return _hardtanh_value(clipped_gelu_unclipped(x, xp), xp, min_val, max_val)


def _clipped_gelu_partials(x: Any, y: Any, xp: Any, min_val: Any, max_val: Any) -> tuple[Any, Any]:
    from ._numerics import clipped_gelu_unclipped

    return _hardtanh_partials(clipped_gelu_unclipped(x, xp), y, xp, min_val, max_val)


def _clipped_gelu_derivative(x: Any, y: Any, g: Any, xp: Any, min_val: Any, max_val: Any) -> Any:
    return _derivatives.clipped_gelu_between(x, g, xp, min_val, max_val)


def _xielu_min(x: Any, xp: Any, eps: Any) -> tuple[Any, Any]:
    """(min(x, eps), where x < eps) on the negative side."""
    below = x < eps
    return xp.where(below, x, xp.zeros_like(x) + eps), below


def _xielu_linear(x: Any, xp: Any, alpha_n: Any, beta: Any) -> Any:
    """(beta - alpha_n) x, 0 where that factor is 0 (at -inf too: the kernel's limit)."""
    c = beta - alpha_n
    return xp.where(c == 0, xp.zeros_like(x), xp.where(c == 0, xp.zeros_like(x), x) * c)


def _xielu_value(x: Any, xp: Any, alpha_p: Any, alpha_n: Any, beta: Any, eps: Any) -> Any:
    m, _ = _xielu_min(x, xp, eps)
    negative = alpha_n * xp.expm1(m) + _xielu_linear(x, xp, alpha_n, beta)
    positive = x * (alpha_p * xp.where(x > 0, x, xp.zeros_like(x)) + beta)
    y = xp.where(x > 0, positive, negative)
    return xp.where(xp.isnan(x), x, y)


def _xielu_derivative(
    x: Any, y: Any, g: Any, xp: Any, alpha_p: Any, alpha_n: Any, beta: Any, eps: Any
) -> Any:
    # _derivatives.xielu's slopes, with the parameters as arrays.
    m, below = _xielu_min(x, xp, eps)
    e = xp.exp(m)
    e = xp.where(below, e, xp.where(x == eps, 0.5 * e, xp.zeros_like(e)))
    negative = alpha_n * (e - 1.0) + beta
    positive = 2.0 * alpha_p * xp.where(x > 0, x, xp.zeros_like(x)) + beta
    slope = xp.where(x > 0, positive, negative)
    return g * xp.where(xp.isnan(x), xp.full_like(x, xp.nan), slope)


def _xielu_partials(
    x: Any, y: Any, xp: Any, alpha_p: Any, alpha_n: Any, beta: Any, eps: Any
) -> tuple[Any, Any, Any, Any]:
    # x > 0: y = alpha_p x^2 + beta x; x <= 0: alpha_n (expm1(min(x, eps)) - x) + beta x, with
    # torch.minimum's convention at the tie x = eps (half to each side).
    zero = xp.zeros_like(x)
    m, below = _xielu_min(x, xp, eps)
    positive = x > 0
    d_alpha_p = xp.where(positive, x * x, zero)
    d_alpha_n = xp.where(positive, zero, xp.expm1(m) - x)
    d_beta = x
    e = alpha_n * xp.exp(m)
    d_eps = xp.where(below | positive, zero, xp.where(x == eps, 0.5 * e, e))
    return d_alpha_p, d_alpha_n, d_beta, d_eps


FORMULAS: dict[str, Formula] = {
    "leaky_relu": Formula(
        lambda x, xp, slope: _leaky(x, slope, xp),
        lambda x, y, xp, slope: (_leaky_partial(x, xp),),
        _derivatives.leaky_relu,
    ),
    "rrelu": Formula(_rrelu_value, _rrelu_partials, _rrelu_derivative),
    "elu": Formula(_elu_value, _elu_partials, _derivatives.elu),
    "celu": Formula(_celu_value, _celu_partials, _derivatives.celu),
    "hardtanh": Formula(_hardtanh_value, _hardtanh_partials, _derivatives.hardtanh),
    "hardshrink": Formula(_hardshrink_value, _hardshrink_partials, _derivatives.hardshrink),
    "softshrink": Formula(_softshrink_value, _softshrink_partials, _derivatives.softshrink),
    "threshold": Formula(_threshold_value, _threshold_partials, _derivatives.threshold),
    "softplus": Formula(_softplus_value, _softplus_partials, _softplus_derivative),
    "squareplus": Formula(_squareplus_value, _squareplus_partials, _squareplus_derivative),
    "laplace": Formula(_laplace_value, _laplace_partials, _laplace_derivative),
    "clipped_gelu": Formula(_clipped_gelu_value, _clipped_gelu_partials, _clipped_gelu_derivative),
    "xielu": Formula(_xielu_value, _xielu_partials, _xielu_derivative),
}


def call(
    function: Callable[..., Any], resolve: Callable[..., Any], x: Any, backend: Any, *args: Any
) -> Any:
    """``function(x, *args)`` (a public function) where a real parameter is not a number.

    ``args`` are every parameter of the activation in registry order (as the generated
    function received them); ``resolve`` is dispatch's, for the parameters' library. Each is
    checked here, numbers as on the fast path; then NumPy and generic arrays are read as
    numbers and ``function`` is called again with them, and a backend with
    ``with_array_params`` (PyTorch's, JAX's) computes with the arrays.
    """
    name = function.__name__
    signature = SIGNATURES[name]
    values = dict(zip(signature.names, args, strict=True))
    arrays = []
    for param, kind, constraint in zip(
        signature.names, signature.kinds, signature.constraints, strict=True
    ):
        v = values[param]
        if kind == "real":
            if _checks.is_array(v):
                _checks.check_array_param(name, param, v, x, backend, resolve)
                arrays.append(param)
            else:
                v = values[param] = _checks.check_real(name, param, v)
                if constraint:
                    _checks.check_constraint(name, param, v, constraint)
        elif kind == "flag":
            _checks.check_flag(name, param, v)
    kernel = getattr(backend, "with_array_params", None)
    if kernel is None:
        # No autodiff to keep: the 0-d array's value is the parameter. (float() of a 0-d
        # integer array is exact; of a Dask array it computes it.)
        return function(x, **{**values, **{n: float(values[n]) for n in arrays}})
    for low, high in signature.ordered:
        # Only between numbers: an array's value may be traced (JAX), or on a device.
        if low not in arrays and high not in arrays and values[low] > values[high]:
            raise _checks.order_error(name, low, values[low], high, values[high])
    numbers = {n: values[n] for n in signature.reals if n not in arrays}
    if numbers and backend.dtype_kind(x) in "iu":
        _checks.check_fits_dtype(name, x, numbers)
    return kernel(name, x, *values.values())
