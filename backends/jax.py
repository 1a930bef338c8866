"""JAX backend: ``jax.nn`` kernels, compiled once per function and static parameters.

Calling ``jax.nn.relu`` eagerly dispatches op by op (tens of microseconds); each kernel here is
wrapped in ``jax.jit`` instead. Inside a caller's own ``jit``/``grad``/``vmap`` the jitted
kernel simply inlines into the surrounding trace. Where ``jax.nn`` departs from PyTorch's
semantics the kernel is written out with ``jax.numpy`` and the line says why.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from multiact import _checks

NAME = "jax"


def dtype_kind(x: jax.Array) -> str:
    kind = x.dtype.kind
    if kind == "V":  # bfloat16 and the float8 types are ml_dtypes extension dtypes
        return "f" if jnp.issubdtype(x.dtype, jnp.floating) else "?"
    return kind


def _opmath(kernel: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """Compute float16/bfloat16 in float32 and round once, as PyTorch's kernels do.

    XLA evaluates half-precision transcendental functions in half precision on CPU: gelu in
    float16 was then up to ~1900 ULP from PyTorch's result.
    """

    def call(x: jax.Array, *args: object, **kwargs: object) -> jax.Array:
        if x.dtype in (jnp.float16, jnp.bfloat16):
            return kernel(x.astype(jnp.float32), *args, **kwargs).astype(x.dtype)
        return kernel(x, *args, **kwargs)

    return call


@jax.custom_jvp
def _relu(x: jax.Array) -> jax.Array:
    # jax.nn.relu is max(x, 0), which turns -0.0 into +0.0; torch.relu keeps -0.0.
    return jnp.where(x < 0, jnp.zeros_like(x), x)


@_relu.defjvp
def _relu_jvp(primals: tuple[jax.Array], tangents: tuple[jax.Array]) -> tuple[jax.Array, ...]:
    (x,), (t,) = primals, tangents
    # PyTorch's convention (threshold_backward): the derivative is 0 where x <= 0, so 0 at 0,
    # and 1 at NaN; jax.nn.relu's is 0 at NaN.
    return _relu(x), jnp.where(x <= 0, jnp.zeros_like(t), t)


_relu_jit = jax.jit(_relu)


@jax.jit
def _leaky_relu(x: jax.Array, negative_slope: float) -> jax.Array:
    # jax.nn.leaky_relu selects on x >= 0, so its gradient at 0 is 1; PyTorch selects on x > 0
    # and its gradient at 0 is negative_slope. The values agree (0 * slope is 0, -0.0 stays).
    return jnp.where(x > 0, x, x * negative_slope)


_sigmoid = jax.jit(_opmath(jax.nn.sigmoid))
_tanh = jax.jit(_opmath(jnp.tanh))


def _scalar_as_row(kernel: Callable[..., jax.Array]) -> Callable[[jax.Array, int], jax.Array]:
    # jax.nn.softmax has no axis to reduce on a 0-d array; PyTorch treats it as one element.
    def call(x: jax.Array, axis: int) -> jax.Array:
        if x.ndim == 0:
            return kernel(x.reshape(1), axis=0).reshape(())
        if x.shape[axis] == 0:
            return jnp.zeros_like(x)
        return kernel(x, axis=axis)

    return call


_softmax = _scalar_as_row(jax.jit(_opmath(jax.nn.softmax), static_argnames="axis"))
_log_softmax = _scalar_as_row(jax.jit(_opmath(jax.nn.log_softmax), static_argnames="axis"))
_gelu = jax.jit(_opmath(jax.nn.gelu), static_argnames="approximate")


def relu(x: jax.Array, inplace: bool) -> jax.Array:
    if inplace:
        raise _checks.immutable_error("relu", x)
    return _relu_jit(x)


def leaky_relu(x: jax.Array, negative_slope: float, inplace: bool) -> jax.Array:
    if inplace:
        raise _checks.immutable_error("leaky_relu", x)
    return _leaky_relu(x, negative_slope)


def sigmoid(x: jax.Array) -> jax.Array:
    return _sigmoid(x)


def tanh(x: jax.Array) -> jax.Array:
    return _tanh(x)


def softmax(x: jax.Array, axis: int) -> jax.Array:
    return _softmax(x, axis)


def log_softmax(x: jax.Array, axis: int) -> jax.Array:
    return _log_softmax(x, axis)


def gelu(x: jax.Array, approximate: str) -> jax.Array:
    # jax.nn.gelu takes a bool and defaults to the tanh form; PyTorch's 'none' is exact.
    return _gelu(x, approximate=approximate == "tanh")
