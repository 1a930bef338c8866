"""Analytic vector-Jacobian products, one per activation, with PyTorch's conventions.

``NAME(x, y, g, xp, *params)`` returns the gradient with respect to ``x`` of
``sum(g * activation(x))``, given the forward result ``y``; ``params`` are the activation's
``math_params`` (every parameter but ``inplace`` and ``generator``), positional, validated.
Each follows the formula of PyTorch's own backward kernel (``tools/autograd/derivatives.yaml``
and the CPU kernels), so the value at kinks, thresholds, NaN and infinities is PyTorch's:
relu's derivative is 0 at 0 and passes the gradient at NaN, leaky_relu's is
``negative_slope`` at 0, hardtanh's is 0 at its corners, and so on. The activations PyTorch
lacks follow its clipping convention (0 at a clipped corner); each comment says which side
of a kink wins.

Written with array-API calls only, so one implementation serves every backend:
``multiact.vjp`` (NumPy users need no framework) and the JAX backend's custom JVPs (for an
elementwise activation the VJP with ``g`` is the JVP with tangent ``g``).
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable
from typing import Any

from . import _numerics, _special
from ._constants import SELU_ALPHA, SELU_SCALE
from ._numerics import channel_weight, stable_sigmoid

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715
_GELU_TANH_CLIP = 100.0  # tanh(inner) is +-1 in every dtype beyond it


def _zeros(g: Any, xp: Any) -> Any:
    return xp.zeros_like(g)


def _nan_at_inf(x: Any, d: Any, xp: Any) -> Any:
    """The derivative ``d`` with NaN at +-inf, where PyTorch's backward formulas for smooth
    activations multiply x by a vanishing term (inf * 0); computed without the inf * 0.

    Applied to the derivative, before it multiplies g: JAX transposes a where() by sending the
    cotangent through the g-dependent branch only, so a NaN selected after multiplying g would
    become 0 under jax.grad (where multiact.vjp gives NaN).
    """
    return xp.where(xp.isinf(x), xp.full_like(d, xp.nan), d)


def _finite(x: Any, xp: Any) -> Any:
    """x with infinities replaced by 0, for formulas whose result is then masked."""
    return xp.where(xp.isinf(x), xp.zeros_like(x), x)


def relu(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # threshold_backward(g, x, 0) zeroes x <= 0: the derivative is 0 at 0, and NaN passes g.
    return xp.where(x <= 0, _zeros(g, xp), g)


def relu6(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return hardtanh(x, y, g, xp, 0.0, 6.0)


def hardtanh(x: Any, y: Any, g: Any, xp: Any, min_val: float, max_val: float) -> Any:
    # hardtanh_backward passes g strictly inside (min_val, max_val): 0 at both corners and at
    # NaN.
    return xp.where((x > min_val) & (x < max_val), g, _zeros(g, xp))


def leaky_relu(x: Any, y: Any, g: Any, xp: Any, negative_slope: float) -> Any:
    # x > 0 ? g : g * slope: the slope at 0 and at NaN.
    return xp.where(x > 0, g, g * negative_slope)


def prelu(x: Any, y: Any, g: Any, xp: Any, weight: Any) -> Any:
    w = channel_weight(weight, x, xp)
    return xp.where(x > 0, g, g * w)


def rrelu(x: Any, y: Any, g: Any, xp: Any, lower: float, upper: float, training: bool) -> Any:
    if training:
        raise ValueError(
            "multiact.vjp(rrelu): training=True draws random slopes that the gradient needs; "
            "differentiate with your framework's autograd instead (torch, jax.grad)"
        )
    return leaky_relu(x, y, g, xp, (lower + upper) / 2)


def _elu_like(x: Any, g: Any, xp: Any, alpha: float, scale: float, input_scale: float) -> Any:
    # elu_backward: x <= 0 ? g * input_scale * scale * alpha * exp(x * input_scale) : g * scale
    # (alpha at 0). At NaN PyTorch disagrees with itself: its vectorised loop gives NaN, its
    # scalar loop (short or strided tensors) g * scale. NaN, the value for NaN, is multiact's:
    # exp(NaN) reaches the slope through the negative branch. x is held constant at 0 (x >= 0,
    # not x > 0: the same value) so that the slope's own derivative there, the second
    # derivative under JAX, is 0 as in PyTorch's elu_double_backward (which masks x < 0).
    negative = xp.exp(xp.where(x >= 0, xp.zeros_like(x), x) * input_scale)
    slope = xp.where(x > 0, xp.full_like(x, scale), (input_scale * scale * alpha) * negative)
    return g * slope


def elu(x: Any, y: Any, g: Any, xp: Any, alpha: float) -> Any:
    return _elu_like(x, g, xp, alpha, 1.0, 1.0)


def selu(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return _elu_like(x, g, xp, SELU_ALPHA, SELU_SCALE, 1.0)


def celu(x: Any, y: Any, g: Any, xp: Any, alpha: float) -> Any:
    return _elu_like(x, g, xp, alpha, 1.0, 1.0 / alpha)


def sigmoid(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return g * (1.0 - y) * y


def tanh(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return g * (1.0 - y * y)


def silu(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # silu_backward: g * s * (1 + x * (1 - s)), s = sigmoid(x); NaN at +-inf, as PyTorch.
    xf = _finite(x, xp)
    # 1 - s as sigmoid(-x), without the cancellation: a last-bit error in s (TensorFlow's
    # graphs compute 1 / d with an approximate reciprocal: 1 / 1 is 1 - 2**-24 in float32)
    # would otherwise be multiplied by x, up to the largest float.
    e = xp.exp(-xp.abs(xf))
    d = 1.0 + e
    positive = xf >= 0
    s = xp.where(positive, 1.0 / d, e / d)
    rest = xp.where(positive, e / d, 1.0 / d)
    return g * _nan_at_inf(x, s * (1.0 + xf * rest), xp)


def _softplus(x: Any, xp: Any) -> Any:
    # max(x, 0) as a where() choosing x at 0: differentiated (mish's second derivative under
    # JAX), it must take the side that JAX's derivative of abs takes at 0 (+1); jnp.maximum
    # splits the tie, and the derivative at 0 came out 0 instead of sigmoid(0) = 1/2.
    return xp.where(x >= 0, x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def _magnitude(x: Any, xp: Any) -> Any:
    """|x| as max(x, -x): the same value, and a derivative of 0 at 0 under JAX (which splits a
    tie), where jnp.abs's is 1. PyTorch's autograd takes sign(0) = 0, so second derivatives
    through |x| (softsign's) are then PyTorch's at 0."""
    return xp.maximum(x, -x)


def mish(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # mish_backward: g * (tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2)); NaN at +-inf.
    xf = _finite(x, xp)
    t = xp.tanh(_softplus(xf, xp))
    return g * _nan_at_inf(x, t + xf * stable_sigmoid(xf, xp) * (1.0 - t * t), xp)


def logsigmoid(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # 1 - sigmoid(x) = sigmoid(-x), without cancellation: 1 at -inf, 0 at +inf.
    return g * stable_sigmoid(-x, xp)


def hardsigmoid(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # hardsigmoid_backward: g / 6 strictly inside (-3, 3), else 0 (and 0 at NaN).
    return xp.where((x > -3.0) & (x < 3.0), g / 6.0, _zeros(g, xp))


def hardswish(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # hardswish_backward: 0 for x <= -3, g * (x / 3 + 1/2) for -3 < x < 3, g from 3 up (so 0
    # at -3 and g at 3, the outer pieces' values). At NaN PyTorch disagrees with itself: its
    # vectorised loop gives NaN, its scalar loop g (the last branch); multiact gives NaN.
    # The slope is selected before it multiplies g, and clipped so that the unselected branch
    # stays finite: JAX transposes a where() over g-dependent branches by multiplying both, and
    # inf * 0 would make the gradient NaN (seen on CUDA).
    inside = xp.where(x < 3.0, xp.clip(x, -3.0, 3.0) / 3.0 + 0.5, xp.ones_like(x))
    slope = xp.where(x <= -3.0, xp.zeros_like(x), inside)  # 0, not -0.5 * 0: +0.0 as before
    slope = xp.where(xp.isnan(x), xp.full_like(x, xp.nan), slope)
    return xp.where(x <= -3.0, _zeros(g, xp), g * slope)


def _shrink(x: Any, g: Any, xp: Any, lambd: float) -> Any:
    # hardshrink/softshrink_backward pass g only where x < -lambd or x > lambd: 0 on
    # [-lambd, lambd] and at NaN.
    return xp.where((x < -lambd) | (x > lambd), g, _zeros(g, xp))


def hardshrink(x: Any, y: Any, g: Any, xp: Any, lambd: float) -> Any:
    return _shrink(x, g, xp, lambd)


def softshrink(x: Any, y: Any, g: Any, xp: Any, lambd: float) -> Any:
    return _shrink(x, g, xp, lambd)


def tanhshrink(x: Any, y: Any, g: Any, xp: Any) -> Any:
    t = xp.tanh(x)
    return g * (t * t)


def softsign(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # d/dx x / (1 + |x|) = 1 / (1 + |x|)^2, squared as a reciprocal so it cannot overflow;
    # PyTorch's autograd of its composite formula gives NaN at +-inf (inf / inf).
    r = 1.0 / (1.0 + _magnitude(_finite(x, xp), xp))
    return g * _nan_at_inf(x, r * r, xp)


def softplus(x: Any, y: Any, g: Any, xp: Any, beta: float, threshold: float) -> Any:
    # softplus_backward: g where beta * x > threshold, else g * sigmoid(beta * x). beta * x
    # is clipped to +-800, where sigmoid is exactly 0 or 1 in every dtype, so it cannot
    # overflow (the linear branch is then chosen by the same clipped value).
    # At beta * x == threshold the sigmoid branch is taken; its argument is held constant there
    # (the same value), so the second derivative under JAX is 0, as PyTorch's
    # softplus_double_backward (which masks beta * x < threshold) gives.
    limit = 800.0 / abs(beta)
    bx = xp.clip(x, -limit, limit) * beta
    bx = xp.where(bx == threshold, xp.full_like(bx, threshold), bx)
    return xp.where(bx > threshold, g, g * stable_sigmoid(bx, xp))


def threshold(x: Any, y: Any, g: Any, xp: Any, threshold: float, value: float) -> Any:
    # threshold_backward: 0 where x <= threshold (NaN passes g).
    return xp.where(x <= threshold, _zeros(g, xp), g)


def gelu(x: Any, y: Any, g: Any, xp: Any, approximate: str) -> Any:
    if approximate != "tanh":
        d = _special.gelu_exact_grad(x, xp)
        # gelu_exact_grad returns x itself at NaN, whose derivative is 1: a second derivative
        # (JAX differentiating this) of g at NaN. Times x, the value stays NaN and so does its
        # derivative.
        d = xp.where(xp.isnan(x), d * x, d)
    else:
        # PyTorch's GeluBackward for the tanh form, term for term, except that x is clipped
        # where tanh has saturated: PyTorch squares x and gets inf * 0 = NaN for |x| > 1.8e19
        # in float32, where the derivative is exactly 1 or 0 (a documented known difference).
        c = xp.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
        c_sq = c * c
        t = xp.tanh(_SQRT_2_OVER_PI * (c + _GELU_KAPPA * c_sq * c))
        right = 0.5 * c * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_KAPPA * c_sq)
        d = 0.5 * (1.0 + t) + right
    # At +-inf PyTorch's backward gives NaN (inf * 0) in both forms; so does multiact.
    return g * _nan_at_inf(x, d, xp)


def _summing(formula: Callable[..., Any]) -> Callable[..., Any]:
    """``formula``, which sums along ``axis``, with the empty gradient of an empty ``x``
    computed without the sum, as the forward kernels skip it (``_numerics.rowwise``): MLX
    0.32's CPU sum over an empty array sometimes never returns (its stream thread spins in
    nd_loop; 2 runs in 10 of a gradient of log_softmax on shape (0,))."""

    @functools.wraps(formula)
    def call(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
        if 0 in tuple(x.shape):
            return xp.zeros_like(x)
        return formula(x, y, g, xp, axis)

    return call


@_summing
def softmax(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
    return y * (g - xp.sum(g * y, axis=axis, keepdims=True))


@_summing
def log_softmax(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
    return g - xp.exp(y) * xp.sum(g, axis=axis, keepdims=True)


def softmin(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
    # softmin(x) = softmax(-x): the chain rule flips the sign.
    return -softmax(x, y, g, xp, axis)


def glu(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
    # Slices, not take(): an index array would be made on the default device, which for a
    # CUDA tensor is the CPU (found by the GPU run: PyTorch refuses the mix).
    a, b = _numerics.halves(x, axis)
    s = stable_sigmoid(b, xp)
    slope = s * (1.0 - s)
    # An infinite a against a saturated gate is inf * 0: NaN in PyTorch, and here, without
    # computing it (NumPy would warn).
    undefined = xp.isinf(a) & (slope == 0)
    # a * slope first: slope <= 1/4 keeps a product with a near the dtype's max finite,
    # as PyTorch's order does; g * a first would overflow there.
    gate = (xp.where(undefined, xp.zeros_like(a), a) * slope) * g
    gate = xp.where(undefined, xp.full_like(gate, xp.nan), gate)
    return xp.concat([g * s, gate], axis=axis)


def squareplus(x: Any, y: Any, g: Any, xp: Any, b: float) -> Any:
    # (1 + x / sqrt(x^2 + b)) / 2, with x and sqrt(b) scaled by the larger of them so that
    # nothing overflows: not hypot, which overflows at float64's max on CUDA (PyTorch and
    # CuPy; found by the GPU run). 0 and 1 at -inf and +inf (the ratio is -1, 1 there).
    xf = _finite(x, xp)
    root = math.sqrt(b)
    q = xp.full_like(xf, root)
    scale = xp.maximum(xp.abs(xf), q)
    scale = xp.where(scale == 0, xp.ones_like(scale), scale)  # x = b = 0: ratio 0 / 1
    # Array over array: PyTorch computes a float over a tensor as float * (1 / tensor), which
    # is 0 * inf = NaN for a subnormal scale.
    r, q = xf / scale, q / scale
    ratio = r / xp.sqrt(r * r + q * q)
    # Not xp.sign: array_api_compat's for torch writes NaN through a boolean mask, which
    # torch.func.vmap cannot batch.
    ones = xp.ones_like(ratio)
    ratio = xp.where(xp.isinf(x), xp.where(x > 0, ones, -ones), ratio)
    return g * (0.5 * (1.0 + ratio))


def sparse_plus(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # 0 for x <= -1, (x + 1) / 2 inside, 1 for x >= 1: continuous, so no side to choose.
    # (Clipped so the unselected branch is finite at +-inf; see hardswish.)
    inner = g * (xp.clip(x, -1.0, 1.0) + 1.0) / 2.0
    return xp.where(x <= -1.0, _zeros(g, xp), xp.where(x >= 1.0, g, inner))


def sparse_sigmoid(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # 1/2 strictly inside (-1, 1), else 0, as PyTorch's hardsigmoid at its corners.
    return xp.where((x > -1.0) & (x < 1.0), g * 0.5, _zeros(g, xp))


@_summing
def sparsemax(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
    # On the support S (y > 0): g - mean(g over S); 0 elsewhere.
    support = y > 0
    zeros = _zeros(g, xp)
    count = xp.sum(xp.astype(support, g.dtype), axis=axis, keepdims=True)
    mean = xp.sum(xp.where(support, g, zeros), axis=axis, keepdims=True) / xp.where(
        count > 0, count, xp.ones_like(count)
    )
    return xp.where(support, g - mean, zeros)


def log1mexp(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # d/dx log(1 - e^-x) = 1 / expm1(x) = e^-x / (1 - e^-x), the latter so that large x
    # cannot overflow: +inf at 0, 0 at +inf, NaN below 0 (undefined there).
    # Below 1 / max the derivative (about 1/x) is beyond the dtype's range: +inf, as at 0.
    # (x == 0 separately: 1 / max is subnormal in float64, and XLA flushes it to 0.)
    overflows = (x < 1.0 / float(xp.finfo(x.dtype).max)) | (x == 0)
    safe = xp.where((x > 0) & ~overflows, x, xp.ones_like(x))
    d = xp.exp(-safe) / -xp.expm1(-safe)
    d = xp.where(overflows, xp.full_like(d, xp.inf), d)
    # Negative or NaN, spelled without ~(x >= 0): TensorFlow's graph optimizer rewrites
    # logical_not(x >= 0) as x < 0, which is false at NaN (inside tf.function).
    return g * xp.where((x < 0) | xp.isnan(x), xp.full_like(d, xp.nan), d)


def identity(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return xp.asarray(g, copy=True)  # never the cotangent object itself


def exponential(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return g * y


# --- The activations of model zoos. PyTorch has no kernel of its own for these: each follows
# PyTorch's autograd through the formula its library writes (Transformers', timm's), except
# where that formula's gradient is NaN where the derivative has a limit (+-inf, underflow):
# there, the limit.


def _sigmoid_without_abs(x: Any, xp: Any) -> Any:
    """stable_sigmoid's value, written without |x|: differentiated again (a second
    derivative), autograd takes |x|'s derivative at 0 as 0 (PyTorch) or 1 (JAX), and
    stable_sigmoid's derivative at 0 came out 0 on one backend and 1/4 on the other."""
    above = xp.where(x >= 0, x, xp.zeros_like(x))
    below = xp.where(x >= 0, xp.zeros_like(x), x)  # NaN stays NaN
    e = xp.exp(below)
    return xp.where(x >= 0, 1.0 / (1.0 + xp.exp(-above)), e / (1.0 + e))


def _sigmoid_and_complement_without_abs(x: Any, xp: Any) -> tuple[Any, Any]:
    """sigmoid(x) and 1 - sigmoid(x) = sigmoid(-x), each from its own side, without |x|.

    1 - s computed as a difference cancels: a last-bit error in s (TensorFlow's graphs divide
    with an approximate reciprocal, 1 / 1 being 1 - 2**-24 in float32) becomes a relative
    error of up to 1e-4 in 1 - s where s is near 1."""
    above = xp.where(x >= 0, x, xp.zeros_like(x))
    below = xp.where(x >= 0, xp.zeros_like(x), x)  # NaN stays NaN
    e_above, e_below = xp.exp(-above), xp.exp(below)
    positive = x >= 0
    s = xp.where(positive, 1.0 / (1.0 + e_above), e_below / (1.0 + e_below))
    rest = xp.where(positive, e_above / (1.0 + e_above), 1.0 / (1.0 + e_below))
    return s, rest


def quick_gelu(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # s + 1.702 x s (1 - s), s = sigmoid(1.702 x); x clipped where s saturates, which gives
    # the limits 0 and 1 at -inf and +inf (autograd through x * sigmoid(1.702 x): NaN there).
    limit = _numerics.QUICK_GELU_CLIP
    c = xp.where(x < -limit, xp.full_like(x, -limit), xp.where(x > limit, limit, x))
    s, rest = _sigmoid_and_complement_without_abs(1.702 * c, xp)
    return g * (s + (1.702 * c) * (s * rest))


def relu2(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # 2 relu(x): 0 at and below 0, NaN at NaN (which is not <= 0), +inf beyond half the max.
    # The slope is selected before it multiplies g (JAX transposes a where() over g-dependent
    # branches by multiplying both: -inf * 0 would be NaN).
    # g (2 x), as PyTorch's autograd of torch.square(relu(x)) (Transformers' relu2): +-inf
    # from x = max / 2 even where the exact g 2 x is finite (a known difference of the
    # conformance suite). The slope is selected before it multiplies g (JAX transposes a
    # where() over g-dependent branches by multiplying both: -inf * 0 would be NaN).
    kept = xp.where(x <= 0, xp.zeros_like(x), x)
    return g * xp.where(x <= 0, xp.zeros_like(x), _numerics.times(kept, 2.0, xp))


def laplace(x: Any, y: Any, g: Any, xp: Any, mu: float, sigma: float) -> Any:
    # phi(z) / sigma, z = (x - mu) / sigma, clipped where exp(-z^2 / 2) is 0 in every dtype.
    # Times 1 / sigma rather than over sigma: XLA makes that rewrite itself, and exp(-z^2 / 2)
    # turns z's last bit into up to 2 z^2 ULP (170 at z = 13), so every backend must round z
    # alike for jax.grad, torch autograd and multiact.vjp to agree.
    # Clipped by selections, which NaN passes, so that its second derivative is NaN at NaN
    # on every backend (torch.clamp's derivative is 0 there).
    reach = _numerics.as_param(_numerics.LAPLACE_CLIP * sigma, x.dtype, xp)
    return g * laplace_slope(x - _numerics.as_param(mu, x.dtype, xp), sigma, reach, xp)


def laplace_slope(d: Any, sigma: Any, reach: Any, xp: Any) -> Any:
    """phi(z) / sigma for d = x - mu, clipped to +-reach (``reach`` and ``sigma`` numbers or
    0-d arrays: multiact._traced's parameters)."""
    zero = xp.zeros_like(d)
    d = xp.where(d < -reach, zero - reach, xp.where(d > reach, zero + reach, d))
    z = d * (1.0 / sigma)
    return xp.exp(-0.5 * (z * z)) / (sigma * math.sqrt(2.0 * math.pi))


def clipped_gelu(x: Any, y: Any, g: Any, xp: Any, min_val: float, max_val: float) -> Any:
    # torch.clip's backward passes the gradient where min_val <= gelu(x) <= max_val, both ends
    # included (hardtanh's excludes them), and 0 elsewhere; GELU's backward then makes it NaN
    # at NaN. +-inf are clipped or GELU's limit, 0: the derivative's limit there is 0, where
    # PyTorch's gelu backward gives NaN (inf * 0).
    low = _numerics.as_param(min_val, x.dtype, xp)
    high = _numerics.as_param(max_val, x.dtype, xp)
    return clipped_gelu_between(x, g, xp, low, high)


def clipped_gelu_between(x: Any, g: Any, xp: Any, low: Any, high: Any) -> Any:
    """clipped_gelu's vector-Jacobian product with the bounds as they compare with x's values
    (numbers, or multiact._traced's 0-d arrays)."""
    unclipped = _numerics.clipped_gelu_unclipped(x, xp)
    inside = (unclipped >= low) & (unclipped <= high) & xp.isfinite(x)
    slope = xp.where(inside, _special.gelu_exact_grad(_finite(x, xp), xp), xp.zeros_like(x))
    return g * xp.where(xp.isnan(x), xp.full_like(x, xp.nan), slope)


def hard_mish(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # timm's backward: 0 below -2, x + 1 on [-2, 0] (so -1 at -2, PyTorch's clamp convention),
    # 1 above; NaN at NaN (timm's gives 0 there). The slope is selected before it multiplies
    # g (see hardswish).
    # Selections, not a clip, so that the slope's own derivative (the second derivative) is 1
    # at -2 and 0 on every backend: JAX's clip gives 1/2 at its ends.
    inner = xp.where(x >= -2.0, x + 1.0, xp.zeros_like(x))
    slope = xp.where(x > 0, xp.ones_like(x), inner)
    return g * xp.where(xp.isnan(x), xp.full_like(x, xp.nan), slope)


def sqrtsoftplus(x: Any, y: Any, g: Any, xp: Any) -> Any:
    # PyTorch's autograd of sqrt(softplus(x)): sigmoid(x) / (2 sqrt(softplus(x))), and
    # 1 / (2 sqrt(x)) where softplus is x (above 20; at 20 the first). Below -40 it is
    # exp(x / 2) / 2 to every digit: 0 at -inf and finite where softplus underflows, where
    # PyTorch's is inf * 0 = NaN.
    linear, exponential, softplus_, large = _numerics.sqrtsoftplus_parts(x, xp)
    middle = xp.where(linear | exponential, xp.zeros_like(x), x)
    inner = _sigmoid_without_abs(middle, xp) / (2.0 * xp.sqrt(softplus_))
    tail = 0.5 * xp.exp(xp.where(exponential, x, xp.zeros_like(x)) / 2.0)
    slope = xp.where(linear, 0.5 / xp.sqrt(large), xp.where(exponential, tail, inner))
    return g * slope


def _rounded(value: float, x: Any, xp: Any) -> float:
    """``value`` rounded to x's dtype (float32 or float64 here: the derivatives see x widened)."""
    if _numerics.float_bits(x, xp) == 64:
        return value
    return struct.unpack("f", struct.pack("f", value))[0] if abs(value) < 3.4e38 else value


def xielu(
    x: Any, y: Any, g: Any, xp: Any, alpha_p: float, alpha_n: float, beta: float, eps: float
) -> Any:
    # x > 0: 2 alpha_p x + beta. x <= 0: alpha_n (d/dx expm1(min(x, eps)) - 1) + beta, where
    # d/dx min(x, eps) is PyTorch's for torch.min: 1 below eps, 0 above, 1/2 at the tie. At
    # -inf beta - alpha_n (PyTorch's autograd: NaN, from the unselected branch's 0 * -inf).
    # The branch is x < eps for eps as given: where eps is not a value of x's dtype, no x
    # ties with it, and x equal to eps rounded is on the side the rounding went.
    rounded = _rounded(eps, x, xp)
    eps = _numerics.as_param(eps, x.dtype, xp)
    below = (x <= rounded) if rounded < eps else (x < rounded)
    e = xp.exp(xp.where(below, x, xp.full_like(x, rounded)))
    tie = x == rounded if rounded == eps else xp.zeros_like(below)
    e = xp.where(below, e, xp.where(tie, 0.5 * e, xp.zeros_like(e)))
    negative = alpha_n * (e - 1.0) + beta
    positive = _numerics.times(xp.where(x > 0, x, xp.zeros_like(x)), 2.0 * alpha_p, xp) + beta
    slope = xp.where(x > 0, positive, negative)
    return g * xp.where(xp.isnan(x), xp.full_like(x, xp.nan), slope)
