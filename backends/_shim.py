"""The array-API calls multiact's formulas use, for libraries whose own namespace lacks them.

TensorFlow has no array-API namespace at all (``tf.experimental.numpy`` is NumPy's API, not
the standard's); MLX has one (``mlx.core``) that falls short of what the generic kernels, the
derivatives and ``multiact.vjp`` call: no ``copysign``, ``clip`` with positional bounds,
``sort`` without ``descending``. :class:`Namespace` writes those calls once, from the few
primitives a subclass binds to its library (``backends/tensorflow.py``, ``backends/mlx.py``);
the backend registers it (``multiact._namespace.register``) as the namespace of its arrays.

Only the calls multiact's formulas make are here (``tests/test_shims.py`` checks each against
NumPy), with the standard's semantics, NaN and signed zeros included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["COMPLEX_FORMULAS", "FloatInfo", "Namespace", "complex_kernel", "float_info"]


@dataclass(frozen=True)
class FloatInfo:
    """``finfo``'s answer: what the formulas read of a floating dtype."""

    bits: int
    max: float
    min: float
    eps: float
    smallest_normal: float

    @property
    def tiny(self) -> float:
        return self.smallest_normal


#: The floating dtypes by name: NumPy's finfo, and bfloat16's written out (MLX does not
#: depend on ml_dtypes, and NumPy has no bfloat16).
_FLOAT_INFO = {
    name: FloatInfo(
        int(np.finfo(name).bits),
        float(np.finfo(name).max),
        float(np.finfo(name).min),
        float(np.finfo(name).eps),
        float(np.finfo(name).smallest_normal),
    )
    for name in ("float16", "float32", "float64")
} | {"bfloat16": FloatInfo(16, 3.3895313892515355e38, -3.3895313892515355e38, 2.0**-7, 2.0**-126)}


def float_info(name: str) -> FloatInfo:
    """``finfo`` of the floating dtype called ``name``."""
    return _FLOAT_INFO[name]


class Namespace:
    """The array-API calls of multiact's formulas, from a library's primitives.

    A subclass binds the primitives (``where``, ``maximum``, ``minimum``, ``abs``, ``signbit``,
    the elementwise functions, the reductions, ``astype``, ``fill``...) and ``dtype_name``;
    this class derives the rest.
    """

    __name__ = "multiact.backends._shim"
    nan = math.nan
    inf = math.inf
    e = math.e
    pi = math.pi

    # --- Bound by the subclass.

    def dtype_name(self, dtype: Any) -> str:
        """The dtype's name: ``float32``, ``int8``, ``bool``, ``complex64``..."""
        raise NotImplementedError

    def signbit(self, x: Any) -> Any:
        raise NotImplementedError

    def fill(self, x: Any, value: Any, dtype: Any) -> Any:
        """An array of x's shape (and device) filled with ``value`` in ``dtype``."""
        raise NotImplementedError

    def finfo(self, dtype: Any) -> FloatInfo:
        return float_info(self.dtype_name(dtype))

    def iinfo(self, dtype: Any) -> np.iinfo:
        return np.iinfo(self.dtype_name(dtype))

    def isdtype(self, dtype: Any, kind: str | tuple[str, ...]) -> bool:
        if isinstance(kind, tuple):
            return any(self.isdtype(dtype, k) for k in kind)
        name = self.dtype_name(dtype)
        if kind == "real floating":
            return name in _FLOAT_INFO
        if kind == "complex floating":
            return name.startswith("complex")
        if kind == "signed integer":
            return name.startswith("int")
        if kind == "unsigned integer":
            return name.startswith("uint")
        if kind == "integral":
            return name.startswith(("int", "uint"))
        if kind == "bool":
            return name == "bool"
        if kind == "numeric":
            return name != "bool"
        raise ValueError(f"unknown dtype kind {kind!r}")

    def make_complex(self, real: Any, imag: Any) -> Any:
        raise NotImplementedError

    def imag(self, x: Any) -> Any:
        raise NotImplementedError

    # --- Derived.

    def c99_exp(self, z: Any) -> Any:
        """exp(z) with C99's value at Re z = -inf, which PyTorch's and NumPy's give: 0 for
        every imaginary part, infinite and NaN ones included."""
        e = self.exp(z)
        return self.where(self.real(z) == -math.inf, self.zeros_like(e), e)

    def smith_divide(self, n: Any, d: Any) -> Any:
        """n / d by Smith's algorithm, PyTorch's complex division (and NumPy's): where d has
        overflowed to inf +- inf j the quotient is NaN, as PyTorch gives (sigmoid(-1000 + 0.5j)),
        and 1 / (inf + 0j) is 0 (sigmoid(-1000)), where TensorFlow's and MLX's divisions differ."""
        a, b, c, e = self.real(n), self.imag(n), self.real(d), self.imag(d)
        by_real = self.abs(c) >= self.abs(e)
        ratio = self.where(by_real, e / c, c / e)
        scale = 1.0 / self.where(by_real, c + e * ratio, e + c * ratio)
        real = self.where(by_real, (a + b * ratio) * scale, (a * ratio + b) * scale)
        imag = self.where(by_real, (b - a * ratio) * scale, (b * ratio - a) * scale)
        zero = (c == 0) & (e == 0)  # a complex infinity or NaN, as PyTorch divides by zero
        real = self.where(zero, a / self.abs(c), real)
        imag = self.where(zero, b / self.abs(e), imag)
        return self.make_complex(real, imag)

    def full_like(self, x: Any, fill_value: Any, dtype: Any = None, device: Any = None) -> Any:
        return self.fill(x, fill_value, x.dtype if dtype is None else dtype)

    def clip(self, x: Any, min: Any = None, max: Any = None) -> Any:
        # maximum(x, bound) keeps x where x equals the bound (its sign of zero) and NaN.
        if min is not None:
            x = self.where(x < min, self.full_like(x, min) if _is_number(min) else min, x)
        if max is not None:
            x = self.where(x > max, self.full_like(x, max) if _is_number(max) else max, x)
        return x

    def copysign(self, x1: Any, x2: Any) -> Any:
        magnitude = self.abs(x1)
        return self.where(self.signbit(x2), -magnitude, magnitude)

    def logaddexp(self, x1: Any, x2: Any) -> Any:
        big = self.maximum(x1, x2)
        # Where both are the same infinity, x1 - x2 is NaN and the answer is that infinity.
        same = x1 == x2
        d = self.where(same, self.zeros_like(x1), x1 - x2)
        return self.where(same, x1 + math.log(2.0), big + self.log1p(self.exp(-self.abs(d))))

    def hypot(self, x1: Any, x2: Any) -> Any:
        a, b = self.abs(x1), self.abs(x2)
        big, small = self.maximum(a, b), self.minimum(a, b)
        zero = big == 0
        ratio = small / self.where(zero, self.ones_like(big), big)
        y = big * self.sqrt(1.0 + ratio * ratio)
        y = self.where(zero, self.zeros_like(big), y)
        infinite = self.isinf(a) | self.isinf(b)
        return self.where(infinite, self.full_like(big, math.inf), y)


#: PyTorch's complex formulas where TensorFlow's and MLX's exp and division differ from
#: PyTorch's at overflow and infinities (the other complex activations use
#: ``multiact._generic.COMPLEX_FORMULAS``), as the JAX backend's for XLA.
COMPLEX_FORMULAS = {
    "sigmoid": lambda z, xp: xp.smith_divide(xp.ones_like(z), 1.0 + xp.c99_exp(-z)),
    "silu": lambda z, xp: xp.smith_divide(z, 1.0 + xp.c99_exp(-z)),
    "exponential": lambda z, xp: xp.c99_exp(z),
    # x / (1 + |x|) divides by a real array, which TensorFlow refuses for a complex x and
    # PyTorch promotes to complex before dividing (Smith's algorithm, imaginary part 0).
    "softsign": lambda z, xp: xp.smith_divide(
        z, xp.make_complex(1.0 + xp.abs(z), xp.zeros_like(xp.real(z)))
    ),
}


def complex_kernel(name: str, xp: Namespace) -> Any:
    """The kernel of activation ``name`` for a complex ``x``: PyTorch's formula, computed with
    ``xp``; ``inplace`` (silu's) left to the caller."""
    from multiact import _generic

    formula = COMPLEX_FORMULAS.get(name)
    if formula is None:
        generic = _generic.complex_kernel(name)
        if name not in _generic.COMPLEX_INPLACE:
            return generic
        return lambda x, inplace: generic(x, False)
    if name in _generic.COMPLEX_INPLACE:
        return lambda x, inplace: formula(x, xp)
    return lambda x: formula(x, xp)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float)
