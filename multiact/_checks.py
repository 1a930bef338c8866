"""Argument validation shared by every backend, and the errors it raises.

Every message names the function, the argument, what was expected and what was given, so a
bad call is fixed from the message alone. The generated public functions inline the cheap
happy-path test and call these only to normalise or to raise.
"""

from __future__ import annotations

import math
import numbers
import warnings

__all__ = [
    "AxisError",
    "check_axis",
    "check_choice",
    "check_flag",
    "check_optional_dim",
    "check_real",
    "dtype_error",
    "immutable_error",
    "implicit_softmax_dim",
    "not_an_array_error",
    "read_only_error",
]

_DTYPE_NAMES = {"f": "floating-point", "i": "signed integer", "u": "unsigned integer"}


class AxisError(ValueError, IndexError):
    """An axis outside ``[-ndim, ndim)``.

    Subclasses both ``ValueError`` and ``IndexError``, like ``numpy.exceptions.AxisError``,
    so code written for NumPy's error (``ValueError``) or PyTorch's (``IndexError``) catches it.
    """


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


def dtype_error(fn: str, x: object, kinds: str) -> TypeError:
    expected = " or ".join(_DTYPE_NAMES[k] for k in kinds if k in _DTYPE_NAMES)
    return TypeError(
        f"multiact.{fn}: argument 'x' must be a {expected} array; got an array of dtype "
        f"{getattr(x, 'dtype', '?')}"
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
    """A finite real number, as a Python float (bool is rejected: it is almost always a typo)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"multiact.{fn}: argument '{name}' must be a real number; got {_given(value)}"
        )
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"multiact.{fn}: argument '{name}' must be finite; got {result!r}")
    return result


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
    """A module's ``dim``: an integer or ``None`` (its range is checked when called)."""
    if dim is None:
        return None
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(
            f"multiact.nn.{module}: argument 'dim' must be an integer or None; got {_given(dim)}"
        )
    return int(dim)


def implicit_softmax_dim(module: str, ndim: int, stacklevel: int = 3) -> int:
    """PyTorch's legacy axis for ``Softmax(dim=None)``, with PyTorch's deprecation warning."""
    warnings.warn(
        f"multiact.nn.{module}: implicit dimension choice (dim=None) is deprecated, as in "
        "PyTorch; it picks dim=0 for 0-, 1- and 3-d input and dim=1 otherwise. "
        f"Pass dim explicitly, e.g. {module}(dim=-1).",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1
