"""Analytic vector-Jacobian products, one per activation, with PyTorch's conventions.

``NAME(x, y, g, xp, *params)`` returns the gradient with respect to ``x`` of
``sum(g * activation(x))``, given the forward result ``y``. Each follows the formula of
PyTorch's own backward kernel (``tools/autograd/derivatives.yaml`` and the CPU kernels), so
the value at kinks, thresholds and special points is PyTorch's: relu's derivative is 0 at 0,
leaky_relu's is ``negative_slope`` at 0, and so on.

They are written with array-API calls only, so one implementation serves every backend:
``multiact.vjp`` for NumPy users without a framework, and the JAX backend's custom JVPs.
Parameters arrive validated and positional, in registry order (``inplace`` included, unused).
"""

from __future__ import annotations

import math
from typing import Any

from . import _special

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715
_GELU_TANH_CLIP = 100.0  # tanh(inner) is +-1 in every dtype beyond it


def relu(x: Any, y: Any, g: Any, xp: Any, inplace: bool) -> Any:
    # threshold_backward(g, x, 0) zeroes x <= 0: the derivative is 0 at 0, and NaN passes g.
    return xp.where(x <= 0, xp.zeros_like(g), g)


def leaky_relu(x: Any, y: Any, g: Any, xp: Any, negative_slope: float, inplace: bool) -> Any:
    return xp.where(x > 0, g, g * negative_slope)


def sigmoid(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return g * (1.0 - y) * y


def tanh(x: Any, y: Any, g: Any, xp: Any) -> Any:
    return g * (1.0 - y * y)


def softmax(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
    return y * (g - xp.sum(g * y, axis=axis, keepdims=True))


def log_softmax(x: Any, y: Any, g: Any, xp: Any, axis: int) -> Any:
    return g - xp.exp(y) * xp.sum(g, axis=axis, keepdims=True)


def gelu(x: Any, y: Any, g: Any, xp: Any, approximate: str) -> Any:
    if approximate != "tanh":
        d = _special.gelu_exact_grad(x, xp)
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
    return xp.where(xp.isinf(x), xp.full_like(d, xp.nan), g * d)
