"""TensorFlow backend: ``tf.nn``'s kernels where they have PyTorch's semantics, multiact's
formulas where they do not, and PyTorch's gradients through ``tf.GradientTape``.

Tensors and variables: a ``tf.Tensor`` (eager or symbolic, inside ``tf.function``, also with
``jit_compile=True``) gives a ``tf.Tensor`` of its dtype, computed where it lives. A
``tf.Variable`` is read, and gives a ``tf.Tensor`` too: that is what ``tf.nn``'s functions
return for variables, and what PyTorch returns for an ``nn.Parameter`` (a plain tensor, not
a parameter), and the gradient flows back to the variable. ``inplace=True`` writes the result
into a variable (``assign``) and returns the variable, PyTorch's in-place semantics; a
``tf.Tensor`` is immutable and gets multiact's error, as JAX arrays do.

Kernels: ``_OWN`` lists the ``tf.nn`` kernels that give PyTorch's values (checked by the
conformance suite, special values included); every other activation, and every case those
kernels get wrong (``tf.nn.softmax`` of a row holding +inf, ``tf.nn.elu`` has no ``alpha``),
runs multiact's generic formula on tensors, with :class:`_TensorFlowNamespace` as its array-API
namespace. float16 and bfloat16 are computed in float32 and rounded once, as PyTorch does.

Gradients: every kernel of a floating tensor has a ``tf.custom_gradient`` whose gradient is
``multiact._derivatives`` (PyTorch's backward formulas), so ``tape.gradient`` gives PyTorch's
values at kinks, NaN and infinities: TensorFlow's own ReluGrad gives 0 at NaN where PyTorch
passes the gradient, for one. ``tf.custom_gradient`` costs about 100 us an eager call, so an
eager call with no tape (nor forward accumulator) recording runs the kernel alone; while
tracing a ``tf.function`` the gradient is always attached (the graph may be differentiated).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.python.eager import record
from tensorflow.python.framework.ops import EagerTensor, SymbolicTensor

from multiact import _checks, _namespace
from multiact._numerics import channel_weight, glu_product, rowwise, stable_sigmoid
from multiact._registry import ACTIVATIONS

from . import _formulas, _shim
from ._formulas import Own
from ._shim import Namespace

NAME = "tensorflow"
#: The dtypes seen to pass the dtype checks (the Backend contract in backends/__init__.py).
FLOATS: set[tf.DType] = set()
REALS: set[tf.DType] = set()
#: No kernels at the defaults (backends.Backend.AT_DEFAULTS): every call takes the kernels below.
AT_DEFAULTS = None

_HALVES = frozenset({tf.float16, tf.bfloat16})
_FLOAT_DTYPES = (tf.float16, tf.bfloat16, tf.float32, tf.float64)
_FLOAT_SET = frozenset(_FLOAT_DTYPES)


class _TensorFlowNamespace(Namespace):
    """The array-API calls of multiact's formulas, on TensorFlow tensors."""

    __name__ = "multiact.backends.tensorflow"
    float16, bfloat16, float32, float64 = _FLOAT_DTYPES
    int8, int16, int32, int64 = tf.int8, tf.int16, tf.int32, tf.int64
    uint8, uint16, uint32, uint64 = tf.uint8, tf.uint16, tf.uint32, tf.uint64
    bool = tf.bool
    complex64, complex128 = tf.complex64, tf.complex128

    where = staticmethod(tf.where)
    zeros_like = staticmethod(tf.zeros_like)
    ones_like = staticmethod(tf.ones_like)
    abs = staticmethod(tf.abs)
    exp = staticmethod(tf.exp)
    expm1 = staticmethod(tf.math.expm1)
    log = staticmethod(tf.math.log)
    log1p = staticmethod(tf.math.log1p)
    tanh = staticmethod(tf.tanh)
    sqrt = staticmethod(tf.sqrt)
    sign = staticmethod(tf.sign)
    round = staticmethod(tf.round)
    real = staticmethod(tf.math.real)
    isinf = staticmethod(tf.math.is_inf)
    isnan = staticmethod(tf.math.is_nan)
    isfinite = staticmethod(tf.math.is_finite)
    maximum = staticmethod(tf.maximum)
    minimum = staticmethod(tf.minimum)

    def make_complex(self, real: Any, imag: Any) -> Any:
        return tf.complex(real, imag)

    def split_halves(self, x: Any, axis: int) -> tuple[Any, Any]:
        """glu's halves where the axis's size is known only when the graph runs."""
        a, b = tf.split(x, 2, axis=axis)
        return a, b

    def imag(self, x: Any) -> Any:
        return tf.math.imag(x)

    def dtype_name(self, dtype: Any) -> str:
        return tf.as_dtype(dtype).name

    def signbit(self, x: tf.Tensor) -> tf.Tensor:
        bits = {2: tf.int16, 4: tf.int32, 8: tf.int64}[x.dtype.size]
        return tf.bitcast(x, bits) < 0

    def fill(self, x: tf.Tensor, value: Any, dtype: Any) -> tf.Tensor:
        if isinstance(value, tf.Tensor | tf.Variable):
            return tf.broadcast_to(tf.cast(value, dtype), tf.shape(x))
        # Through NumPy: a Python float beyond the dtype's range rounds to inf there, as
        # PyTorch converts it (TensorFlow's own conversion refuses it).
        with np.errstate(over="ignore"):
            value = np.asarray(value, dtype=tf.as_dtype(dtype).as_numpy_dtype)
        return tf.fill(tf.shape(x), value)

    def astype(self, x: tf.Tensor, dtype: Any, copy: bool = True) -> tf.Tensor:
        return x if x.dtype == dtype else tf.cast(x, dtype)

    def asarray(self, obj: Any, dtype: Any = None, copy: bool | None = None, device: Any = None):
        if isinstance(obj, int | float):
            # A Python number is only ever made an array to read back its rounding
            # (multiact._numerics.times): NumPy's, which works while tracing a tf.function.
            np_dtype = None if dtype is None else tf.as_dtype(dtype).as_numpy_dtype
            with np.errstate(over="ignore", under="ignore"):
                return np.asarray(obj, dtype=np_dtype)
        if isinstance(obj, tf.Tensor | tf.Variable):
            y = tf.convert_to_tensor(obj)
            if dtype is not None and y.dtype != dtype:
                return tf.cast(y, dtype)
            return tf.identity(y) if copy else y
        return tf.constant(obj, dtype=dtype)

    def sum(self, x: tf.Tensor, axis: Any = None, keepdims: bool = False, dtype: Any = None):
        return tf.reduce_sum(x, axis=axis, keepdims=keepdims)

    def max(self, x: tf.Tensor, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
        return tf.reduce_max(x, axis=axis, keepdims=keepdims)

    def all(self, x: tf.Tensor, axis: Any = None, keepdims: bool = False) -> tf.Tensor:
        return tf.reduce_all(x, axis=axis, keepdims=keepdims)

    def cumulative_sum(self, x: tf.Tensor, axis: int | None = None, **_: Any) -> tf.Tensor:
        return tf.cumsum(x, axis=0 if axis is None else axis)

    def sort(
        self, x: tf.Tensor, axis: int = -1, descending: bool = False, stable: bool = True
    ) -> tf.Tensor:
        return tf.sort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING")

    def concat(self, arrays: Any, axis: int | None = 0) -> tf.Tensor:
        return tf.concat(list(arrays), axis=axis)

    def reshape(self, x: tf.Tensor, shape: tuple[int, ...], copy: bool | None = None):
        return tf.reshape(x, shape)


xp = _TensorFlowNamespace()
_namespace.register((tf.Tensor, tf.Variable), xp)


# --- The Backend contract's dtype rules.

_KINDS: dict[tf.DType, str] = {
    **dict.fromkeys(_FLOAT_DTYPES, "f"),
    **dict.fromkeys((tf.int8, tf.int16, tf.int32, tf.int64), "i"),
    **dict.fromkeys((tf.uint8, tf.uint16, tf.uint32, tf.uint64), "u"),
    tf.bool: "b",
    tf.complex64: "c",
    tf.complex128: "c",
}


def dtype_kind(x: tf.Tensor) -> str:
    # float8 types, quantized and string tensors are not supported: '?'.
    return _KINDS.get(x.dtype, "?")


_FLOATS_BY_NAME = {d.name: d for d in _FLOAT_DTYPES}


def _as_float_dtype(dtype: object) -> tf.DType | None:
    if dtype is float:  # Python's float is float64, as torch.softmax(dtype=float) takes it
        return tf.float64
    d = tf.as_dtype(dtype)
    return d if d in _FLOAT_DTYPES else None


def float_dtype(fn: str, dtype: object, x: tf.Tensor) -> tf.DType:
    """``dtype=`` as a TensorFlow floating dtype: a ``tf.DType``, its name, or anything
    ``tf.as_dtype`` takes (``numpy.float32``)."""
    return _checks.dtype_argument(fn, dtype, "TensorFlow", _FLOATS_BY_NAME, _as_float_dtype)


def cast(x: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    """``x`` in ``dtype`` (a complex ``x``: its real part), as PyTorch's ``x.to(dtype)``."""
    x = tf.convert_to_tensor(x)
    if x.dtype.is_complex:
        x = tf.math.real(x)
    return tf.cast(x, dtype)


def negate(x: tf.Tensor) -> tf.Tensor:
    """-x, wrapping around for unsigned integers as PyTorch's does (TensorFlow has no
    negation of them)."""
    x = tf.convert_to_tensor(x)
    return tf.zeros_like(x) - x if x.dtype.is_unsigned else -x


def promote(x: tf.Tensor) -> tf.Tensor:
    """An integer or bool ``x`` as float32, PyTorch's default float dtype."""
    return tf.cast(x, tf.float32)


# --- Kernels.

#: Tensor classes used as they are; anything else (a tf.Variable, Keras's variables on its
#: TensorFlow backend) is read into a tensor first.
_PLAIN = frozenset({EagerTensor, SymbolicTensor})
_could_record = record.could_possibly_record
_executing_eagerly = tf.executing_eagerly


def _tensor(x: Any) -> tf.Tensor:
    return x if type(x) in _PLAIN else tf.convert_to_tensor(x)


def _plain_call(x: tf.Tensor) -> bool:
    """No gradient can be asked of this call: eager, and no tape or accumulator recording."""
    return type(x) is EagerTensor and not _could_record() and _executing_eagerly()


def _widened(kernel: Callable[..., tf.Tensor]) -> Callable[..., tf.Tensor]:
    """``kernel`` computing float16/bfloat16 in float32, rounded once, as PyTorch's kernels."""

    @functools.wraps(kernel)
    def call(x: tf.Tensor, *args: Any) -> tf.Tensor:
        if x.dtype in _HALVES:
            return tf.cast(kernel(tf.cast(x, tf.float32), *args), x.dtype)
        return kernel(x, *args)

    return call


def _nan_rows(x: tf.Tensor, y: tf.Tensor, axis: int) -> tf.Tensor:
    # A row holding +inf or NaN, or all -inf, has no softmax: NaN in PyTorch, where
    # tf.nn.softmax gives 0 and NaN for +inf, and NaN only at a NaN.
    undefined = tf.logical_not(tf.math.is_finite(tf.reduce_max(x, axis=axis, keepdims=True)))
    undefined |= tf.reduce_any(tf.math.is_nan(x), axis=axis, keepdims=True)
    return tf.where(undefined, tf.fill(tf.shape(y), tf.constant(math.nan, y.dtype)), y)


@rowwise  # PyTorch's 0-d (one row of one element) and empty cases
def _softmax(x: tf.Tensor, axis: int) -> tf.Tensor:
    return _nan_rows(x, tf.nn.softmax(x, axis=axis), axis)


@rowwise
def _log_softmax(x: tf.Tensor, axis: int) -> tf.Tensor:
    return _nan_rows(x, tf.nn.log_softmax(x, axis=axis), axis)


def _glu(x: tf.Tensor, axis: int) -> tf.Tensor:
    # tf.split rather than slicing by the static size, which a tf.function input may leave
    # unknown (None) until the graph runs; then the even size is checked there.
    size = tf.shape(x)[axis]
    with tf.control_dependencies(
        [
            tf.debugging.assert_equal(
                size % 2,
                0,
                message=f"multiact.glu: argument 'x' must have an even size along the axis to "
                f"halve (axis {axis})",
            )
        ]
    ):
        a, b = tf.split(x, 2, axis=axis)
    return glu_product(a, stable_sigmoid(b, xp), xp)


def _own(kernel: Callable[..., tf.Tensor], when: Callable[..., bool] | None = None) -> Own:
    return kernel, when


#: TensorFlow's kernels with PyTorch's values, for floating x (float16 and bfloat16 through
#: float32), optionally only for some parameters (``when``); the generic formula otherwise.
#: The arguments are the kernel's (x, then the parameters; ``inplace`` left out).
_OWN: dict[str, Own] = {
    # tf.nn.relu keeps -0.0 and NaN, as torch.relu; so does relu6.
    "relu": _own(lambda x: tf.nn.relu(x)),
    "relu6": _own(lambda x: tf.nn.relu6(x)),
    # x > 0 ? x : alpha * x, as PyTorch's (TensorFlow refuses alpha > 1: then the formula).
    "leaky_relu": _own(lambda x, slope: tf.nn.leaky_relu(x, slope), lambda slope: slope <= 1),
    "elu": _own(lambda x, alpha: tf.nn.elu(x), lambda alpha: alpha == 1),
    "selu": _own(lambda x: tf.nn.selu(x)),
    "sigmoid": _own(lambda x: tf.sigmoid(x)),
    "tanh": _own(lambda x: tf.tanh(x)),
    "softsign": _own(lambda x: tf.nn.softsign(x)),
    "logsigmoid": _own(lambda x: tf.math.log_sigmoid(x)),
    "exponential": _own(lambda x: tf.exp(x)),
    "softmax": _own(_softmax),
    "log_softmax": _own(_log_softmax),
    "softmin": _own(lambda x, axis: _softmax(-x, axis)),
    "glu": _own(_glu),
}


def _with_torch_gradient(name: str, forward: Callable[..., tf.Tensor]):
    """``forward(x, *args)`` with ``_derivatives.NAME`` as its gradient (``tf.custom_gradient``)
    where a gradient can be asked; the kernel alone where it cannot."""
    math_args = _formulas.math_args(name)

    def call(x: tf.Tensor, *args: Any) -> tf.Tensor:
        if _plain_call(x) or not x.dtype.is_floating:
            return forward(x, *args)
        params = math_args(args)

        @tf.custom_gradient
        def differentiable(x: tf.Tensor) -> tuple[tf.Tensor, Callable[..., tf.Tensor]]:
            y = forward(x, *args)

            def gradient(g: tf.Tensor) -> tf.Tensor:
                wide = tf.float32 if x.dtype in _HALVES else x.dtype
                return _formulas.derivative(name, x, y, g, params, xp, wide)

            return y, gradient

        return differentiable(x)

    return call


def _is_float(x: tf.Tensor) -> bool:
    return x.dtype in _FLOAT_SET


def _forward(name: str) -> Callable[..., tf.Tensor]:
    own = _OWN.get(name)
    # relu and relu6 only compare and select: exact in any dtype, no float32 round trip.
    widened = (lambda k: k) if name in ("relu", "relu6") else _widened
    return _formulas.forward(name, own, _is_float, widened)


_device_scoped = bool(tf.config.list_logical_devices("GPU"))


def _kernel(name: str, compute: Callable[..., tf.Tensor]) -> Callable[..., tf.Tensor]:
    """The backend's kernel of ``name``: the input read as a tensor, computed on its device,
    ``inplace`` assigned into a variable."""
    a = ACTIVATIONS[name]
    inplace_at = next((i for i, p in enumerate(a.params) if p.name == "inplace"), None)
    reduces = a.reduces

    def kernel(x: Any, *args: Any) -> tf.Tensor:
        if reduces and x.shape.rank is None:
            raise _unknown_rank(name)
        if inplace_at is not None and args[inplace_at]:
            return _assign(name, x, compute(_tensor(x), *args))
        t = _tensor(x)
        if _device_scoped and t.device:
            with tf.device(t.device):
                return compute(t, *args)
        return compute(t, *args)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__signature__ = _formulas.signature(name)  # type: ignore[attr-defined]
    return kernel


def _unknown_rank(name: str) -> ValueError:
    # The axis was normalised against ndim, which TensorFlow gives as -1 for a tensor of unknown
    # rank (a tf.function traced with TensorSpec(shape=None), or relaxed by reduce_retracing).
    return ValueError(
        f"multiact.{name}: argument 'x' must have a known number of dimensions, to reduce "
        "along an axis; got a tensor of unknown rank (a tf.function traced with "
        "TensorSpec(shape=None)? give the input_signature a shape such as [None, None])"
    )


def _assign(name: str, x: Any, y: tf.Tensor) -> Any:
    """``inplace=True``: a variable takes the result; a tensor is immutable."""
    if not isinstance(x, tf.Variable):
        raise _checks.immutable_error(name, x)
    x.assign(y)
    return x


# --- The activations that are not one formula with one derivative.


def _prelu(x: tf.Tensor, weight: Any) -> tf.Tensor:
    # Differentiated by TensorFlow itself, so that the weight gets its gradient too:
    # where(x > 0, ...) gives PyTorch's convention at 0 (the weight) and at NaN.
    w = channel_weight(_tensor(weight), x, xp)
    return tf.where(x > 0, x, w * x)


def _seed(generator: object) -> int | None:
    """An int seed checked (as uint64), or None for another generator."""
    if isinstance(generator, int) and not isinstance(generator, bool):
        if not 0 <= generator < 2**64:
            raise ValueError(
                "multiact.rrelu: argument 'generator' must be a seed between 0 and 2**64 - 1 "
                f"for a TensorFlow tensor; got {generator}"
            )
        return generator
    if generator is None or isinstance(generator, tf.random.Generator):
        return None
    raise TypeError(
        "multiact.rrelu: argument 'generator' must be None, an int seed or a "
        f"tf.random.Generator for a TensorFlow tensor; got {_checks._given(generator)}"
    )


def _rrelu_noise(x: tf.Tensor, lower: float, upper: float, generator: object) -> tf.Tensor:
    seed = _seed(generator)
    low, high = tf.constant(lower, x.dtype), tf.constant(upper, x.dtype)
    if seed is not None:
        # tf.random.Generator.from_seed(seed)'s draws (its Philox state is the counter
        # [seed, 0] and the key 0), without the variable a generator is: the same slopes at
        # every call, inside tf.function too.
        counter = tf.constant([seed, 0], tf.uint64)
        key = tf.constant([0], tf.uint64)
        u = tf.raw_ops.StatelessRandomUniformV2(
            shape=tf.shape(x), key=key, counter=counter, alg=1, dtype=x.dtype
        )
        return u * (high - low) + low
    if generator is None:
        return tf.random.uniform(tf.shape(x), low, high, dtype=x.dtype)
    return generator.uniform(tf.shape(x), low, high, dtype=x.dtype)


@_widened
def _rrelu_training(x: tf.Tensor, lower: float, upper: float, generator: object) -> tf.Tensor:
    # PyTorch draws a slope for x <= 0 and leaves x > 0 (and NaN) as they are; differentiated
    # by TensorFlow (the slope drawn, as PyTorch's backward uses it).
    noise = _rrelu_noise(x, lower, upper, generator)
    return tf.where(x <= 0, x * noise, x)


_leaky_relu = _with_torch_gradient("leaky_relu", _forward("leaky_relu"))


def _rrelu(
    x: tf.Tensor, lower: float, upper: float, training: bool, inplace: bool, generator: object
) -> tf.Tensor:
    if training:
        if dtype_kind(x) != "f":
            raise _checks.dtype_error("rrelu", x, "f")
        return _rrelu_training(x, lower, upper, generator)
    _seed(generator)  # checked, as in training
    return _leaky_relu(x, (lower + upper) / 2, False)


_SPECIAL: dict[str, Callable[..., tf.Tensor]] = {"prelu": _prelu, "rrelu": _rrelu}

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
