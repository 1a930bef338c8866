"""Argument validation shared by every backend, and the errors it raises.

Every message names the function, the argument, what was expected and what was given, so a
bad call is fixed from the message alone. The generated public functions inline the cheap
happy-path test and call these only to normalise or to raise.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "AxisError",
    "DtypeError",
    "PyTorchRefusedError",
    "cast_hint",
    "check_array_param",
    "check_axis",
    "check_choice",
    "check_constraint",
    "check_even_axis",
    "check_fits_dtype",
    "check_flag",
    "check_optional_dim",
    "check_real",
    "check_weight",
    "closest",
    "complex_cast_warning",
    "constraint_error",
    "did_you_mean",
    "dtype_argument",
    "dtype_error",
    "immutable_error",
    "implicit_softmax_dim",
    "is_array",
    "negated_bool_error",
    "not_an_array_error",
    "order_error",
    "read_only_error",
    "refused_by_torch",
    "unsigned_negation_warning",
    "unsupported_subclass_error",
    "warn",
]

_DTYPE_NAMES = {
    "f": "floating-point",
    "i": "signed integer",
    "u": "unsigned integer",
    "b": "bool",
    "c": "complex",
}
#: The floating dtypes an activation computes in, by name; ``dtype=`` takes these names.
FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64")


class AxisError(ValueError, IndexError):
    """An axis outside ``[-ndim, ndim)``.

    Subclasses both ``ValueError`` and ``IndexError``, like ``numpy.exceptions.AxisError``,
    so code written for NumPy's error (``ValueError``) or PyTorch's (``IndexError``) catches it.
    """


class PyTorchRefusedError(ValueError, RuntimeError):
    """PyTorch refused the call: writing in place into a tensor it will not overwrite, or a
    parameter it will not convert to the tensor's dtype.

    A ``ValueError`` (multiact's error for a bad argument) and a ``RuntimeError`` (what PyTorch
    itself raises there), so code written for PyTorch's error still catches it.
    """


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the caller's line: the first frame outside multiact (a
    fixed stacklevel is wrong as soon as the call path changes: a module's ``forward`` called
    directly or through ``__call__``, a function called through ``nn`` or ``vjp``)."""
    import sys

    frame, level = sys._getframe(1), 2  # stacklevel 1 is this function
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "multiact" and not module.startswith("multiact."):
            break
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def closest(name: object, choices: Iterable[str]) -> list[str]:
    """The ``choices`` that ``name`` was probably meant to be, best first (none when no choice
    is close): a typo (``gelux``, ``approximat``) or a spelling from elsewhere (``pytorch``)."""
    import difflib

    if not isinstance(name, str):
        return []
    choices = list(dict.fromkeys(choices))
    folded = {c.lower().replace("_", "-"): c for c in choices}
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, name.lower().replace("_", "-"), key).ratio(), choice)
            for key, choice in folded.items()
        ),
        key=lambda item: -item[0],
    )
    if not scored or scored[0][0] < 0.6:
        return []
    # The best matches only: "gelux" is gelu, not also elu and selu.
    return [choice for score, choice in scored[:3] if score >= max(0.6, scored[0][0] - 0.1)]


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) for :func:`closest`, else ``""``."""
    found = closest(name, choices)
    if not found:
        return ""
    names = [repr(c) for c in found]
    listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    return f"; did you mean {listed}?"


def _given(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"


def not_an_array_error(fn: str, x: object) -> TypeError:
    return TypeError(
        f"multiact.{fn}: argument 'x' must be an array (NumPy, PyTorch, JAX, or any library "
        f"implementing the array API standard); got {_given(x)}. "
        "Convert lists and Python scalars first, e.g. with numpy.asarray."
    )


def unsupported_subclass_error(fn: str, x: object) -> TypeError:
    # Their NumPy semantics (a mask, matrix products) would be silently dropped.
    return TypeError(
        f"multiact.{fn}: argument 'x' must be an array; {type(x).__module__}.{type(x).__name__} "
        "is not supported (its mask or matrix semantics would be lost); pass numpy.asarray(x) "
        "or, for a masked array, x.filled(...)"
    )


class DtypeError(TypeError, NotImplementedError):
    """``x`` has a dtype the function does not take (gelu of integers, relu of bool).

    A ``TypeError`` (what NumPy and JAX raise for a dtype their functions lack) and a
    ``NotImplementedError`` (what PyTorch raises: "not implemented for 'Long'", a
    ``RuntimeError``), so code written for any of them catches it.
    """


def dtype_error(fn: str, x: object, kinds: str, why: str = "") -> DtypeError:
    """x's dtype is not one ``fn`` takes (``why``: the reason, where it is not obvious); the
    message ends with the cast that fixes it, in x's own library."""
    expected = " or ".join(_DTYPE_NAMES[k] for k in kinds if k in _DTYPE_NAMES)
    return DtypeError(
        f"multiact.{fn}: argument 'x' must be a {expected} array; got an array of dtype "
        f"{_dtype_shown(x)}{f' ({why})' if why else ''}{cast_hint(x)}"
    )


def _dtype_shown(x: object) -> object:
    dtype = getattr(x, "dtype", "?")
    # TensorFlow's str() of a dtype is its repr, "<dtype: 'int32'>": its name instead.
    return dtype.name if type(x).__module__.startswith("tensorflow") else dtype


#: How each library spells a cast to float32, and the real part and magnitude of a complex
#: array (by the top-level module of the array's type; anything else: the array API's).
_CASTS = {
    "torch": ("x.float()", "x.real or x.abs()"),
    "numpy": ("x.astype(np.float32)", "x.real or np.abs(x)"),
    "jax": ("x.astype(jnp.float32)", "x.real or jnp.abs(x)"),
    "jaxlib": ("x.astype(jnp.float32)", "x.real or jnp.abs(x)"),
    "dask": ("x.astype(np.float32)", "x.real or abs(x)"),
    "cupy": ("x.astype(cupy.float32)", "x.real or cupy.abs(x)"),
    "tensorflow": ("tf.cast(x, tf.float32)", "tf.math.real(x) or tf.abs(x)"),
    "mlx": ("x.astype(mx.float32)", "mx.real(x) or mx.abs(x)"),
}


def cast_hint(x: object) -> str:
    """The fix for an array of the wrong dtype, in the array's own library: a cast to float32,
    or for a complex array the real part or the magnitude (which one is the caller's choice)."""
    dtype = str(getattr(x, "dtype", "")).rpartition(".")[2]  # torch.int64, array_api_strict.
    if not dtype:
        return ""
    cast, real = _CASTS.get(
        type(x).__module__.partition(".")[0],
        ("xp.astype(x, xp.float32)", "xp.real(x) or xp.abs(x)"),
    )
    if dtype.startswith("complex"):
        return f"; to drop the imaginary part, pass {real}"
    return f"; cast it first, e.g. {cast}"


def dtype_argument(
    fn: str, dtype: object, library: str, floats: dict[str, Any], convert: Callable[[Any], Any]
) -> Any:
    """``dtype=`` (softmax's, as PyTorch's) as one of ``floats``, the floating dtypes of x's
    library by name. It may be given as a name from :data:`FLOAT_NAMES` or as a dtype object
    that ``convert`` maps to one of ``floats``' values (``convert`` raises, or returns
    anything else, for a value that is not one).
    """
    if isinstance(dtype, str):
        found = floats.get(dtype)
    else:
        try:
            found = convert(dtype)
        except (TypeError, ValueError, KeyError, StopIteration):
            found = None
    if found is None or not any(found is f for f in floats.values()):
        names = ", ".join(repr(n) for n in floats)
        raise TypeError(
            f"multiact.{fn}: argument 'dtype' must be a floating-point dtype of {library} or "
            f"its name ({names}); got {_given(dtype)}"
        )
    return found


def complex_cast_warning(fn: str, dtype: object) -> None:
    """PyTorch's cast of a complex ``x`` to a real ``dtype=`` drops the imaginary part, and
    warns; so does multiact, in its own words, on every backend."""
    warn(
        f"multiact.{fn}: casting complex x to dtype {dtype} discards the imaginary part, as "
        "PyTorch does; pass the real part (x.real) to silence this warning"
    )


def negated_bool_error(fn: str, x: object) -> DtypeError:
    """softmin(x, dtype=...) negates x in its own dtype first, as PyTorch, which has no
    negation of bool."""
    why = (
        f"with dtype=, {fn} negates x in its own dtype first, as PyTorch does, and bool has "
        "no negation"
    )
    return dtype_error(fn, x, "fiuc", why)


def unsigned_negation_warning(fn: str, x: object) -> None:
    """softmin(x, dtype=...) of unsigned integers: PyTorch's -x wraps around (-3 is 253 in
    uint8), and so does multiact's, loudly."""
    warn(
        f"multiact.{fn}: with dtype=, {fn} negates x in its own dtype first, as PyTorch does, "
        f"and -x wraps around for unsigned x (dtype {getattr(x, 'dtype', '?')}): the result "
        "is PyTorch's, not the softmin of x's values; cast x to a signed or floating dtype "
        "first"
    )


def immutable_error(fn: str, x: object) -> TypeError:
    return TypeError(
        f"multiact.{fn}: inplace=True needs a mutable array, and {type(x).__module__}."
        f"{type(x).__name__} is immutable; call with inplace=False and use the returned array"
    )


def read_only_error(fn: str) -> ValueError:
    return ValueError(
        f"multiact.{fn}: inplace=True was given a read-only array (its writeable flag is off); "
        "call with inplace=False or pass a writeable array"
    )


def check_real(fn: str, name: str, value: object) -> float:
    """A finite real number (bool is rejected: it is almost always a typo).

    Python ints and floats are returned as given, so a module's ``repr`` shows what the user
    wrote (``Threshold(threshold=0.1, value=20)``, as torch.nn); other real types (NumPy
    scalars) become floats.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"multiact.{fn}: argument '{name}' must be a real number; got {_given(value)}"
        )
    if not math.isfinite(value):
        raise ValueError(f"multiact.{fn}: argument '{name}' must be finite; got {float(value)!r}")
    return value if type(value) in (int, float) else float(value)


def is_array(value: object) -> bool:
    """Whether a real parameter was given as an array (0-d tensor, JAX array or tracer...)
    rather than a number: not a ``numbers.Real`` (NumPy's scalars are), with a shape and a
    dtype. Only asked once the fast test for a Python float has failed."""
    return (
        not isinstance(value, numbers.Real) and hasattr(value, "shape") and hasattr(value, "dtype")
    )


def check_array_param(
    fn: str, name: str, value: Any, x: Any, backend: Any, resolve: Callable[..., object]
) -> None:
    """A real parameter given as an array: 0-d, of x's library, of a real dtype.

    Its value is not checked (finite, in range, ordered): under a JAX transform it is not
    known, as ``jax.nn``'s parameters are not.
    """
    try:
        value_backend = resolve(fn, value)
    except TypeError:
        value_backend = None
    if getattr(value_backend, "NAME", None) != backend.NAME or (
        backend.NAME == "generic" and backend.namespace(value) is not backend.namespace(x)
    ):
        raise TypeError(
            f"multiact.{fn}: argument '{name}' must be a real number or a 0-d array of the same "
            f"library as x ({type(x).__module__}.{type(x).__name__}); got {_given(value)}"
        )
    shape = tuple(value.shape)
    if shape:
        raise ValueError(
            f"multiact.{fn}: argument '{name}' must be a real number or a 0-d array; got an "
            f"array of shape {shape}"
        )
    if backend.dtype_kind(value) not in ("f", "i", "u"):
        raise TypeError(
            f"multiact.{fn}: argument '{name}' must be a real number or a 0-d array of a real "
            f"(integer or floating-point) dtype; got an array of dtype {value.dtype}"
        )


_CONSTRAINTS = {
    "nonnegative": (lambda v: v >= 0, ">= 0"),
    "nonzero": (lambda v: v != 0, "non-zero"),
    "positive": (lambda v: v > 0, "> 0"),
}


def constraint_error(fn: str, name: str, value: object, constraint: str) -> ValueError:
    return ValueError(
        f"multiact.{fn}: argument '{name}' must be {_CONSTRAINTS[constraint][1]}; got {value!r}"
    )


def check_constraint(fn: str, name: str, value: float, constraint: str) -> None:
    if not _CONSTRAINTS[constraint][0](value):
        raise constraint_error(fn, name, value, constraint)


def order_error(fn: str, low: str, low_value: object, high: str, high_value: object) -> ValueError:
    return ValueError(
        f"multiact.{fn}: argument '{low}' must not be greater than '{high}'; "
        f"got {low}={low_value!r}, {high}={high_value!r}"
    )


def check_even_axis(fn: str, x: Any, axis: int) -> None:
    """glu halves an axis: it must exist and have an even size."""
    try:
        shape = tuple(x.shape)
    except ValueError:  # TensorFlow's unknown rank: its backend refuses it, saying so
        return
    if not shape:
        raise ValueError(
            f"multiact.{fn}: argument 'x' must have at least one dimension to halve; "
            "got a 0-d array"
        )
    # None: a size known only when the graph runs (tf.function), where the backend checks it.
    if shape[axis] is not None and shape[axis] % 2:
        raise ValueError(
            f"multiact.{fn}: argument 'x' must have an even size along the axis to halve "
            f"(axis {axis}); got {shape[axis]} (shape {shape})"
        )


def check_weight(
    fn: str, name: str, weight: Any, x: Any, backend: object, resolve: Callable[..., object]
) -> None:
    """prelu's weight: an array of x's library and dtype, one slope or one per channel."""
    try:
        weight_backend = resolve(fn, weight)
    except TypeError:
        weight_backend = None
    if weight_backend is not backend or (
        # Every library without a native backend shares the generic one: Dask and
        # array-api-strict arrays would both pass the test above.
        getattr(backend, "NAME", None) == "generic"
        and backend.namespace(weight) is not backend.namespace(x)
    ):
        raise TypeError(
            f"multiact.{fn}: argument '{name}' must be an array of the same library as x "
            f"({type(x).__module__}.{type(x).__name__}); got {_given(weight)}"
        )
    if weight.dtype != x.dtype:
        raise TypeError(
            f"multiact.{fn}: argument '{name}' must have x's dtype ({x.dtype}); got {weight.dtype}"
        )
    shape = tuple(weight.shape)
    size = math.prod(shape)
    channels = x.shape[1] if x.ndim >= 2 else 1
    if len(shape) > 1 or size not in (1, channels):
        raise ValueError(
            f"multiact.{fn}: argument '{name}' must hold 1 slope or one per channel (axis 1 of "
            f"x, {channels} here); got shape {shape}"
        )


def _iinfo(x: Any) -> Any:
    if type(x).__module__.partition(".")[0] == "torch":
        import torch

        return torch.iinfo(x.dtype)
    import numpy as np

    try:
        return np.iinfo(x.dtype)  # NumPy, JAX and Dask arrays have NumPy dtypes
    except (TypeError, ValueError):  # array-api-strict's, ml_dtypes' int4...
        from ._namespace import namespace

        return namespace(x).iinfo(x.dtype)


def check_fits_dtype(fn: str, x: Any, params: dict[str, float]) -> None:
    """Parameters stored into an integer ``x`` (hardtanh's limits, threshold's value) must fit
    its dtype, as PyTorch requires ("value cannot be converted to type uint8_t without
    overflow"): a cast would wrap them around (-1 becomes 255) and give a wrong answer."""
    info = _iinfo(x)
    for name, value in params.items():
        if not info.min <= value <= info.max:
            raise ValueError(
                f"multiact.{fn}: argument '{name}' must fit x's dtype {x.dtype} (between "
                f"{info.min} and {info.max}); got {value!r}"
            )


def refused_by_torch(fn: str, error: RuntimeError, inplace: bool) -> PyTorchRefusedError:
    """PyTorch's own refusal, with the function and argument named: writing in place into a
    leaf tensor that requires grad, an inference tensor or an expanded view, or a parameter
    beyond the dtype's range."""
    text = str(error).split("\n")[0]
    subject = "inplace=True" if inplace else "the parameters"
    return PyTorchRefusedError(f"multiact.{fn}: PyTorch refused {subject} for this tensor: {text}")


def check_flag(fn: str, name: str, value: object) -> bool:
    if value is True or value is False:
        return value
    raise TypeError(f"multiact.{fn}: argument '{name}' must be True or False; got {_given(value)}")


def check_choice(fn: str, name: str, value: object, choices: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in choices:
        return value
    options = " or ".join(repr(c) for c in choices)
    hint = ""
    if isinstance(value, bool):
        hint = (
            " (jax.nn and Keras take a bool here; in multiact, as in PyTorch, "
            f"write approximate={'tanh' if value else 'none'!r})"
        )
    raise ValueError(f"multiact.{fn}: argument '{name}' must be {options}; got {value!r}{hint}")


def check_axis(fn: str, axis: object, dim: object, ndim: int) -> int:
    """Normalise ``axis`` (or its alias ``dim``) to ``0 <= axis < max(ndim, 1)``.

    A 0-d array accepts axis 0 and -1, as PyTorch does (it treats a scalar as one element).
    """
    if dim is not None:
        if axis != -1 and axis != dim:
            raise TypeError(
                f"multiact.{fn}: got both 'axis'={axis!r} and its alias 'dim'={dim!r}; pass one"
            )
        axis, name = dim, "dim"
    else:
        name = "axis"
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"multiact.{fn}: argument '{name}' must be an integer; got {_given(axis)}")
    size = max(ndim, 1)
    if not -size <= axis < size:
        raise AxisError(
            f"multiact.{fn}: argument '{name}' is out of range for an array of {ndim} "
            f"dimension{'s' if ndim != 1 else ''}: expected {-size} <= {name} < {size}, "
            f"got {axis}"
        )
    return int(axis) % size


def check_optional_dim(module: str, dim: object) -> int | None:
    """A module's ``dim``: an integer or ``None`` (its range is checked when called).
    ``module`` is the class as errors name it after ``multiact.``: ``nn.Softmax``."""
    if dim is None:
        return None
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(
            f"multiact.{module}: argument 'dim' must be an integer or None; got {_given(dim)}"
        )
    return int(dim)


def implicit_softmax_dim(module: str, ndim: int) -> int:
    """PyTorch's legacy axis for ``Softmax(dim=None)``, with PyTorch's deprecation warning
    (pointing at the caller's line). ``module`` is the class as errors name it after
    ``multiact.``: ``nn.Softmax``."""
    warn(
        f"multiact.{module}: implicit dimension choice (dim=None) is deprecated, as in "
        "PyTorch; it picks dim=0 for 0-, 1- and 3-d input and dim=1 otherwise. "
        f"Pass dim explicitly, e.g. {module.rpartition('.')[2]}(dim=-1)."
    )
    return 0 if ndim in (0, 1, 3) else 1
