"""MLX backend: multiact's formulas on ``mlx.core`` arrays, with PyTorch's gradients.

MLX implements the array API's ``__array_namespace__``, but ``mlx.core`` falls short of what
the generic kernels call (no ``copysign``; ``clip`` and ``sort`` with other signatures), so
:class:`_MLXNamespace` fills those gaps and is registered as the namespace of MLX arrays;
``mlx.nn``'s activations differ from PyTorch's at signed zeros (``mlx.nn.relu(-0.0)`` is +0.0)
and elsewhere, so the kernels are the generic formulas, except for the few ``mlx.core``
functions that give PyTorch's values (``_OWN``). float16 and bfloat16 are computed in float32
and rounded once, as PyTorch does.

Gradients: MLX's autodiff picks other slopes than PyTorch at kinks (and through the formulas'
selections at NaN and infinities), so every kernel of a floating array is an
``mx.custom_function`` whose ``vjp`` is ``multiact._derivatives`` (PyTorch's backward
formulas): ``mlx.grad``, ``mx.vjp`` and ``mx.value_and_grad`` give PyTorch's gradients, and
``mx.compile`` traces the kernels like any MLX function. One custom function is kept per
activation and parameter values (a bounded number).

``inplace=True`` writes the result into ``x`` (MLX arrays take ``x[...] = y``) and returns it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import mlx.core as mx

from multiact import _checks, _namespace
from multiact._numerics import channel_weight
from multiact._registry import ACTIVATIONS

from . import _formulas, _shim
from ._formulas import Own
from ._shim import Namespace

NAME = "mlx"
#: The dtypes seen to pass the dtype checks (the Backend contract in backends/__init__.py).
FLOATS: set[mx.Dtype] = set()
REALS: set[mx.Dtype] = set()
#: No kernels at the defaults (backends.Backend.AT_DEFAULTS): every call takes the kernels below.
AT_DEFAULTS = None

_HALVES = frozenset({mx.float16, mx.bfloat16})
_FLOAT_DTYPES = (mx.float16, mx.bfloat16, mx.float32, mx.float64)
_FLOAT_SET = frozenset(_FLOAT_DTYPES)
_INT_BY_SIZE = {2: mx.int16, 4: mx.int32, 8: mx.int64}


class _MLXNamespace(Namespace):
    """The array-API calls of multiact's formulas, on MLX arrays."""

    __name__ = "multiact.backends.mlx"
    float16, bfloat16, float32, float64 = _FLOAT_DTYPES
    int8, int16, int32, int64 = mx.int8, mx.int16, mx.int32, mx.int64
    uint8, uint16, uint32, uint64 = mx.uint8, mx.uint16, mx.uint32, mx.uint64
    bool = mx.bool_
    complex64 = mx.complex64

    where = staticmethod(mx.where)
    zeros_like = staticmethod(mx.zeros_like)
    ones_like = staticmethod(mx.ones_like)
    abs = staticmethod(mx.abs)
    exp = staticmethod(mx.exp)
    expm1 = staticmethod(mx.expm1)
    log = staticmethod(mx.log)
    log1p = staticmethod(mx.log1p)
    tanh = staticmethod(mx.tanh)
    sqrt = staticmethod(mx.sqrt)
    sign = staticmethod(mx.sign)
    round = staticmethod(mx.round)
    real = staticmethod(mx.real)
    isinf = staticmethod(mx.isinf)
    isnan = staticmethod(mx.isnan)
    isfinite = staticmethod(mx.isfinite)
    maximum = staticmethod(mx.maximum)
    minimum = staticmethod(mx.minimum)

    def make_complex(self, real: Any, imag: Any) -> Any:
        return real + imag * 1j

    def imag(self, x: Any) -> Any:
        return mx.imag(x)

    def dtype_name(self, dtype: Any) -> str:
        name = str(dtype).rpartition(".")[2]
        return "bool" if name == "bool_" else name

    def signbit(self, x: mx.array) -> mx.array:
        return mx.view(x, _INT_BY_SIZE[x.dtype.size]) < 0

    def fill(self, x: mx.array, value: Any, dtype: Any) -> mx.array:
        if isinstance(value, mx.array):
            return mx.broadcast_to(value.astype(dtype), x.shape)
        return mx.full(x.shape, value, dtype)

    def astype(self, x: mx.array, dtype: Any, copy: bool = True) -> mx.array:
        return x if x.dtype == dtype else x.astype(dtype)

    def asarray(self, obj: Any, dtype: Any = None, copy: bool | None = None, device: Any = None):
        if isinstance(obj, int | float):
            return mx.array(obj) if dtype is None else mx.array(obj, dtype)
        if isinstance(obj, mx.array):
            if dtype is not None and obj.dtype != dtype:
                return obj.astype(dtype)
            return mx.array(obj) if copy else obj
        return mx.array(obj, dtype)

    def sum(self, x: mx.array, axis: Any = None, keepdims: bool = False, dtype: Any = None):
        return mx.sum(x, axis=axis, keepdims=keepdims)

    def max(self, x: mx.array, axis: Any = None, keepdims: bool = False) -> mx.array:
        return mx.max(x, axis=axis, keepdims=keepdims)

    def all(self, x: mx.array, axis: Any = None, keepdims: bool = False) -> mx.array:
        return mx.all(x, axis=axis, keepdims=keepdims)

    def cumulative_sum(self, x: mx.array, axis: int | None = None, **_: Any) -> mx.array:
        return mx.cumsum(x, axis=0 if axis is None else axis)

    def sort(
        self, x: mx.array, axis: int = -1, descending: bool = False, stable: bool = True
    ) -> mx.array:
        # Negation is exact (and keeps the sign of zero): descending is ascending of -x.
        return -mx.sort(-x, axis=axis) if descending else mx.sort(x, axis=axis)

    def concat(self, arrays: Any, axis: int | None = 0) -> mx.array:
        return mx.concatenate(list(arrays), axis=axis)

    def reshape(self, x: mx.array, shape: tuple[int, ...], copy: bool | None = None):
        return mx.reshape(x, shape)


xp = _MLXNamespace()
_namespace.register((mx.array,), xp)


# --- The Backend contract's dtype rules.

_KINDS: dict[mx.Dtype, str] = {
    **dict.fromkeys(_FLOAT_DTYPES, "f"),
    **dict.fromkeys((mx.int8, mx.int16, mx.int32, mx.int64), "i"),
    **dict.fromkeys((mx.uint8, mx.uint16, mx.uint32, mx.uint64), "u"),
    mx.bool_: "b",
    mx.complex64: "c",
}


def dtype_kind(x: mx.array) -> str:
    return _KINDS.get(x.dtype, "?")


_FLOATS_BY_NAME = {xp.dtype_name(d): d for d in _FLOAT_DTYPES}


def _as_float_dtype(dtype: object) -> mx.Dtype | None:
    if dtype is float:  # Python's float is float64, as torch.softmax(dtype=float) takes it
        return mx.float64
    # The table's own object: mlx.core hands out a new Dtype object at each attribute access.
    return _FLOATS_BY_NAME[xp.dtype_name(dtype)] if dtype in _FLOAT_SET else None


def float_dtype(fn: str, dtype: object, x: mx.array) -> mx.Dtype:
    """``dtype=`` as an MLX floating dtype: an ``mlx.core`` dtype or its name."""
    return _checks.dtype_argument(fn, dtype, "MLX", _FLOATS_BY_NAME, _as_float_dtype)


def cast(x: mx.array, dtype: mx.Dtype) -> mx.array:
    """``x`` in ``dtype`` (a complex ``x``: its real part), as PyTorch's ``x.to(dtype)``."""
    if x.dtype == mx.complex64:
        x = mx.real(x)
    return x.astype(dtype)


def promote(x: mx.array) -> mx.array:
    """An integer or bool ``x`` as float32, PyTorch's default float dtype."""
    return x.astype(mx.float32)


# --- Kernels.


def _is_float(x: mx.array) -> bool:
    return x.dtype in _FLOAT_SET


def _widened(kernel: Callable[..., mx.array]) -> Callable[..., mx.array]:
    """``kernel`` computing float16/bfloat16 in float32, rounded once, as PyTorch's kernels."""

    @functools.wraps(kernel)
    def call(x: mx.array, *args: Any) -> mx.array:
        if x.dtype in _HALVES:
            return kernel(x.astype(mx.float32), *args).astype(x.dtype)
        return kernel(x, *args)

    return call


_LN2_HIGH, _LN2_LOW = 0.693145751953125, 1.428606765330187e-06  # ln 2 = high + low
_EXP_MAX = 88.72283172607422  # the largest float32 x whose exp is finite


def _exp(x: mx.array) -> mx.array:
    """exp(x) to within an ULP: mx.exp is up to 32 ULP off in float32 (3.9e-6 relative at
    x = 31; measured on a 2M-point grid of [-87, 88]), beyond PyTorch's tolerance. exp(x) is
    2^k exp(r) with r = x - k ln 2 (Cody and Waite's two-part ln 2): on |r| <= ln 2 / 2 mx.exp
    is within 1e-7, and 2^k, in two halves, neither overflows nor underflows early."""
    # Clipped where exp is inf or 0 anyway (the selections below), so k stays small.
    c = mx.clip(x, -110.0, 90.0)
    k = mx.round(mx.where(mx.isnan(c), 0.0, c) * 1.4426950408889634)
    r = (c - k * _LN2_HIGH) - k * _LN2_LOW
    half = mx.floor(k / 2)
    y = mx.exp(r) * mx.power(2.0, half) * mx.power(2.0, k - half)
    y = mx.where(x > _EXP_MAX, mx.full(x.shape, math.inf, x.dtype), y)
    return mx.where(x == -math.inf, mx.zeros_like(x), y)


#: mlx.core's functions with PyTorch's values, for floating x (through float32 for float16
#: and bfloat16); the generic formula for everything else.
_OWN: dict[str, Own] = {
    "sigmoid": (mx.sigmoid, None),
    "tanh": (mx.tanh, None),
    "exponential": (_exp, None),
}

#: Distinct parameter tuples an activation keeps custom functions for before starting afresh.
MAX_CUSTOM_FUNCTIONS = 64


def _key(args: tuple) -> tuple:
    """``args`` as a cache key that tells -0.0 from 0.0 (equal, and equally hashed)."""
    if 0.0 in args:
        return (args, tuple(isinstance(a, float) and math.copysign(1.0, a) < 0 for a in args))
    return args


def _with_torch_gradient(name: str, forward: Callable[..., mx.array]) -> Callable[..., mx.array]:
    """``forward(x, *args)`` as an ``mx.custom_function`` whose vjp is
    ``_derivatives.NAME``, one per parameter tuple."""
    math_args = _formulas.math_args(name)
    functions: dict[tuple, Any] = {}

    def make(key: tuple, args: tuple) -> Any:
        params = math_args(args)

        @mx.custom_function
        def differentiable(x: mx.array) -> mx.array:
            return forward(x, *args)

        @differentiable.vjp
        def vjp(x: mx.array, g: mx.array, y: mx.array) -> mx.array:
            wide = mx.float32 if x.dtype in _HALVES else x.dtype
            return _formulas.derivative(name, x, y, g, params, xp, wide)

        if len(functions) >= MAX_CUSTOM_FUNCTIONS:
            functions.clear()
        functions[key] = differentiable
        return differentiable

    def call(x: mx.array, *args: Any) -> mx.array:
        if x.dtype not in _FLOAT_SET:
            return forward(x, *args)
        key = _key(args)
        function = functions.get(key)
        if function is None:
            function = make(key, args)
        return function(x)

    return call


def _kernel(name: str, compute: Callable[..., mx.array]) -> Callable[..., mx.array]:
    """The backend's kernel of ``name``: ``inplace`` written into ``x``."""
    inplace_at = next(
        (i for i, p in enumerate(ACTIVATIONS[name].params) if p.name == "inplace"), None
    )

    if inplace_at is None:
        kernel = compute
    else:

        def kernel(x: mx.array, *args: Any) -> mx.array:
            y = compute(x, *args)
            if args[inplace_at]:
                x[...] = y
                return x
            return y

    @functools.wraps(kernel)
    def named(x: mx.array, *args: Any) -> mx.array:
        return kernel(x, *args)

    named.__name__ = named.__qualname__ = name
    named.__signature__ = _formulas.signature(name)  # type: ignore[attr-defined]
    return named


def _forward(name: str) -> Callable[..., mx.array]:
    return _formulas.forward(name, _OWN.get(name), _is_float, _widened)


# --- The activations that are not one formula with one derivative.


@_widened
def _prelu_values(x: mx.array, weight: mx.array) -> mx.array:
    # Differentiated by MLX itself, so that the weight gets its gradient too:
    # where(x > 0, ...) gives PyTorch's convention at 0 (the weight) and at NaN.
    w = channel_weight(weight.astype(x.dtype), x, xp)
    return mx.where(x > 0, x, w * x)


def _prelu(x: mx.array, weight: mx.array) -> mx.array:
    return _prelu_values(x, weight)


def _rrelu_key(generator: object) -> mx.array | None:
    if generator is None or isinstance(generator, mx.array):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        if not 0 <= generator < 2**64:
            raise ValueError(
                "multiact.rrelu: argument 'generator' must be a seed between 0 and 2**64 - 1 "
                f"for an MLX array; got {generator}"
            )
        return mx.random.key(generator)
    raise TypeError(
        "multiact.rrelu: argument 'generator' must be None, an int seed or an MLX PRNG key "
        f"(mlx.core.random.key(seed)) for an MLX array; got {_checks._given(generator)}"
    )


@_widened
def _rrelu_training(x: mx.array, lower: float, upper: float, key: mx.array | None) -> mx.array:
    # PyTorch draws a slope for x <= 0 and leaves x > 0 (and NaN) as they are; differentiated
    # by MLX (the slope drawn, as PyTorch's backward uses it).
    noise = mx.random.uniform(lower, upper, x.shape, x.dtype, key=key)
    return mx.where(x <= 0, x * noise, x)


_leaky_relu = _with_torch_gradient("leaky_relu", _forward("leaky_relu"))


def _rrelu(
    x: mx.array, lower: float, upper: float, training: bool, inplace: bool, generator: object
) -> mx.array:
    key = _rrelu_key(generator)
    if not training:
        return _leaky_relu(x, (lower + upper) / 2, False)
    if dtype_kind(x) != "f":
        raise _checks.dtype_error("rrelu", x, "f")
    return _rrelu_training(x, lower, upper, key)


_SPECIAL: dict[str, Callable[..., mx.array]] = {"prelu": _prelu, "rrelu": _rrelu}

globals().update(
    {
        name: _kernel(name, _SPECIAL.get(name) or _with_torch_gradient(name, _forward(name)))
        for name in ACTIVATIONS
    }
)


_COMPLEX_KERNELS: dict[str, Callable[..., Any]] = {}


def complex_kernel(name: str) -> Callable[..., Any]:
    """The kernel of ``name`` for a complex ``x``: PyTorch's formula, differentiated by the
    library itself."""
    kernel = _COMPLEX_KERNELS.get(name)
    if kernel is None:
        kernel = _COMPLEX_KERNELS[name] = _kernel(name, _shim.complex_kernel(name, xp))
    return kernel
