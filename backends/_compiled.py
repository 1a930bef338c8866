"""The compiled loops (``multiact._ufuncs``, C) in place of some NumPy kernels.

``multiact._ufuncs`` holds NumPy ufuncs for the smooth elementwise activations (sigmoid, silu,
both GELUs, mish, softplus, the elu family, logsigmoid, quick_gelu, exponential, sparse_plus,
softsign, laplace, tanhshrink, squareplus, xielu, log1mexp and glu's product) on float32 and
float16 arrays, computed in double and rounded once (correctly rounded but within about 1e-13
(relative) of a tie); for most of them float64 loops computed in double-word arithmetic and
rounded once (within 1 ULP of the exact value, nearly always correctly rounded:
``multiact/_ufuncs_dd.h``); relu and leaky_relu in every float dtype (exact); and generalised
ufuncs for softmax, log_softmax and softmin along any axis, in double for float16, float32 and
float64 (see DTYPES). All give PyTorch's values at the special points, raise no floating-point
warnings, release the GIL and, on large contiguous arrays, split the work over threads.
:func:`install` puts them in front of the NumPy backend's kernels for those dtypes; other
dtypes, parameters the loops do not take (an elu with ``alpha <= 0``) and everything where the
extension was not built (no C compiler at install time) run the NumPy kernels of
``backends/numpy.py``.

``MULTIACT_NO_COMPILED=1`` in the environment (read at import) leaves the compiled loops out:
the suite runs both ways. ``MULTIACT_NUM_THREADS`` (read at import) or
:func:`set_num_threads` limit the threads a call uses (default: the CPUs this process may run
on, as PyTorch's default); 1 turns threading off.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, MutableMapping
from types import ModuleType
from typing import Any

import numpy as np

from multiact import _checks, _extensions, _numerics
from multiact._constants import SELU_ALPHA, SELU_SCALE
from multiact._registry import ACTIVATIONS

#: The loops, and why they are not in use ("" where they are).
_ufuncs, UNAVAILABLE = _extensions.load("_ufuncs")

_FLOAT64 = np.dtype(np.float64)
_FLOAT32 = np.dtype(np.float32)
_FLOAT16 = np.dtype(np.float16)

#: The activations with compiled loops, and the dtypes they have them for (float16 where the
#: C compiler has _Float16; see available_dtypes()).
DTYPES: dict[str, tuple[str, ...]] = {
    "relu": ("float16", "float32", "float64"),
    "leaky_relu": ("float16", "float32", "float64"),
    "sigmoid": ("float16", "float32", "float64"),
    "silu": ("float16", "float32", "float64"),
    "gelu": ("float16", "float32", "float64"),
    "mish": ("float16", "float32", "float64"),
    "softplus": ("float16", "float32", "float64"),
    "elu": ("float16", "float32"),
    "selu": ("float16", "float32", "float64"),
    "celu": ("float16", "float32"),
    "logsigmoid": ("float16", "float32"),
    "quick_gelu": ("float16", "float32", "float64"),
    "exponential": ("float16", "float32"),
    "sparse_plus": ("float16", "float32"),
    "softsign": ("float16", "float32"),
    "laplace": ("float16", "float32", "float64"),
    "tanhshrink": ("float16", "float32", "float64"),
    "squareplus": ("float16", "float32", "float64"),
    "xielu": ("float16", "float32", "float64"),
    "log1mexp": ("float16", "float32"),
    "glu": ("float16", "float32", "float64"),
    # In double for float64 too: as accurate as PyTorch's float64 or more (log_softmax's
    # log1p), where NumPy's float64 kernels were up to 4 times less.
    "softmax": ("float16", "float32", "float64"),
    "log_softmax": ("float16", "float32", "float64"),
    "softmin": ("float16", "float32", "float64"),
}
NAMES = tuple(DTYPES)

#: The NumPy kernels the compiled loops stand in front of, by name (filled by install).
NUMPY_KERNELS: dict[str, Callable[..., Any]] = {}


def available() -> bool:
    """Are the compiled loops in use?"""
    return _ufuncs is not None


def available_dtypes(name: str) -> tuple[str, ...]:
    """The dtypes ``name`` has compiled loops for here (none where the loops are not in use)."""
    if _ufuncs is None:
        return ()
    return tuple(d for d in DTYPES.get(name, ()) if d != "float16" or _ufuncs.HALF)


def _default_threads() -> int:
    requested = os.environ.get("MULTIACT_NUM_THREADS", "").strip()
    if requested:
        if requested.isdigit() and int(requested) >= 1:
            return int(requested)
        # As OpenMP treats a bad OMP_NUM_THREADS: a warning, and the default.
        warnings.warn(
            f"multiact: MULTIACT_NUM_THREADS must be a positive integer, got {requested!r}; "
            "using the number of CPUs",
            RuntimeWarning,
            stacklevel=2,
        )
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def set_num_threads(n: int) -> None:
    """Let the compiled loops split a large array over at most ``n`` threads (1: none)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"multiact.set_num_threads: n must be an integer >= 1, got {n!r}")
    if _ufuncs is not None:
        _ufuncs.set_num_threads(n)


def get_num_threads() -> int:
    """The most threads a call of the compiled loops uses (1 where they are not in use)."""
    return _ufuncs.get_num_threads() if _ufuncs is not None else 1


if _ufuncs is not None:
    _ufuncs.set_num_threads(_default_threads())


def _writeable(fn: str, x: np.ndarray) -> np.ndarray:
    """x as the out= of an inplace call, or multiact's error for a read-only x."""
    if not x.flags.writeable:
        raise _checks.read_only_error(fn)
    return x


class _Parameters(dict[tuple[Any, ...], tuple[np.ndarray, ...]]):
    """0-d float64 arrays of a loop's parameters, by the parameters' values (``params[a, b]``,
    a dict lookup): NumPy converts a Python float on every call (about 0.5 us). Bounded, as a
    sweep over values may be long."""

    def __init__(self, build: Callable[..., tuple[float, ...]]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, key: tuple[Any, ...]) -> tuple[np.ndarray, ...] | None:
        if len(self) >= 64:
            self.clear()
        values = self._build(*key)  # None: parameters the loop does not take
        arrays = self[key] = None if values is None else tuple(np.array(v) for v in values)
        return arrays


def _as_float32(value: float) -> float:
    """A factor as a float32 computation rounds it (backends/numpy.py's _factor, _constant)."""
    return float(np.float32(_numerics.as_factor(value, _FLOAT32, np)))


# The kernels below call a ufunc without out= where they can: NumPy then allocates the output
# itself, 0.35 us cheaper than np.empty_like and out= (and out=None costs a keyword's parsing).
# A 0-d x needs out=, or the ufunc returns a NumPy scalar.


def _unary(ufunc: Any, fallback: Callable[..., Any], dtypes: frozenset[np.dtype]) -> Any:
    """kernel(x): the ufunc for ``dtypes``, ``fallback`` (the NumPy kernel) for the others."""

    def kernel(x: np.ndarray) -> np.ndarray:
        if x.dtype in dtypes:
            return ufunc(x) if x.ndim else ufunc(x, out=np.empty_like(x))
        return fallback(x)

    return kernel


def _unary_inplace(
    name: str, ufunc: Any, fallback: Callable[..., Any], dtypes: frozenset[np.dtype]
) -> Any:
    """kernel(x, inplace), as :func:`_unary`."""

    def kernel(x: np.ndarray, inplace: bool) -> np.ndarray:
        if x.dtype in dtypes:
            if inplace:
                return ufunc(x, out=_writeable(name, x))
            return ufunc(x) if x.ndim else ufunc(x, out=np.empty_like(x))
        return fallback(x, inplace)

    return kernel


def _with_parameters(
    name: str,
    ufunc: Any,
    fallback: Callable[..., Any],
    dtypes: frozenset[np.dtype],
    parameters: _Parameters,
) -> Any:
    """kernel(x, *params[, inplace]): the ufunc with ``parameters[params]`` as its other
    inputs (where those are None, parameters the loop does not take: ``fallback``)."""
    has_inplace = ACTIVATIONS[name].supports_inplace

    def kernel(x: np.ndarray, *args: Any) -> np.ndarray:
        if (
            x.dtype in dtypes
            and (inputs := parameters[args[:-1] if has_inplace else args]) is not None
        ):
            if has_inplace and args[-1]:
                return ufunc(x, *inputs, out=_writeable(name, x))
            return ufunc(x, *inputs) if x.ndim else ufunc(x, *inputs, out=np.empty_like(x))
        return fallback(x, *args)

    return kernel


def _at_defaults(
    compiled: dict[str, Callable[..., Any]],
    ufuncs: dict[str, tuple[Any, frozenset[np.dtype]]],
    complex_kernel: Callable[[str], Callable[..., Any]],
) -> ModuleType:
    """The NumPy backend's kernels at the defaults (``Backend.AT_DEFAULTS``): ``ufunc(x)`` for
    the dtypes the loop takes (a 0-d array gives a 0-d array, not a scalar), the compiled
    kernel with every parameter at its default for the others. The public functions'
    Dispatchers call them for ``x`` alone, without the function's frame and checks."""

    def at_defaults(name: str, ufunc: Any, dtypes: frozenset[np.dtype]) -> Callable[..., Any]:
        full = compiled[name]
        defaults = tuple(p.default for p in ACTIVATIONS[name].params)

        def kernel(x: np.ndarray) -> np.ndarray:
            if x.dtype in dtypes and x.ndim:
                return ufunc(x)
            if x.dtype.kind == "c":  # past silu's check: PyTorch's complex formula
                return complex_kernel(name)(x, *defaults)
            return full(x, *defaults)

        kernel.__name__ = kernel.__qualname__ = name
        return kernel

    module = ModuleType(f"{__name__}.AT_DEFAULTS")
    module.__dict__.update(
        dict.fromkeys(ACTIVATIONS)
        | {name: at_defaults(name, *entry) for name, entry in ufuncs.items()}
    )
    return module


def install(namespace: MutableMapping[str, Any]) -> None:
    """Put the compiled loops in front of the kernels of ``namespace`` (backends/numpy.py's
    globals), for the dtypes they have; the other dtypes call the kernels as before."""
    if _ufuncs is None:
        return
    u = _ufuncs
    half = (_FLOAT16,) if u.HALF else ()
    smooth = frozenset((_FLOAT32, *half))  # computed in double, rounded once
    # relu's and leaky_relu's loops are exact in every dtype; the smooth ones with float64
    # loops compute those in double words (_ufuncs_dd.h).
    exact = floats = frozenset((_FLOAT64, _FLOAT32, *half))
    float64 = frozenset((_FLOAT64,))
    kernels = {name: namespace[name] for name in NAMES}

    # PyTorch multiplies by the slope rounded to the dtype computed in (float32 for float16).
    slopes64 = _Parameters(lambda slope: (_numerics.as_factor(slope, _FLOAT64, np),))
    slopes32 = _Parameters(lambda slope: (_as_float32(slope),))
    leaky_fallback = kernels["leaky_relu"]

    def leaky_relu(x: np.ndarray, negative_slope: float, inplace: bool) -> np.ndarray:
        dtype = x.dtype
        if dtype in exact:
            (slope,) = (slopes64 if dtype == _FLOAT64 else slopes32)[(negative_slope,)]
            if inplace:
                return u.leaky_relu(x, slope, out=_writeable("leaky_relu", x))
            return u.leaky_relu(x, slope) if x.ndim else u.leaky_relu(x, slope, out=x.copy())
        return leaky_fallback(x, negative_slope, inplace)

    gelu_fallback = kernels["gelu"]

    def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
        if x.dtype in floats:
            ufunc = u.gelu_tanh if approximate == "tanh" else u.gelu
            return ufunc(x) if x.ndim else ufunc(x, out=np.empty_like(x))
        return gelu_fallback(x, approximate)

    # beta and threshold as the float32 computation sees them (backends/numpy.py's _factor and
    # _bound, rounded to float32): x * beta and its comparison with the threshold are made in
    # float32, as PyTorch makes them.
    softplus_parameters = _Parameters(
        lambda beta, threshold: (
            _numerics.as_factor(beta, _FLOAT32, np),
            float(np.float32(_numerics.as_param(threshold, _FLOAT32, np))),
        )
    )

    # float64: x * beta and the threshold in float64, as PyTorch; beta = 0 is the kernel's.
    softplus64_parameters = _Parameters(
        lambda beta, threshold: (
            (_numerics.as_factor(beta, _FLOAT64, np), _numerics.as_param(threshold, _FLOAT64, np))
            if beta != 0
            else None
        )
    )
    softplus64 = _with_parameters(
        "softplus", u.softplus, kernels["softplus"], float64, softplus64_parameters
    )
    softplus_other = _with_parameters(
        "softplus", u.softplus, softplus64, smooth, softplus_parameters
    )
    softplus_default = u.softplus_default

    def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        if beta == 1.0 and threshold == 20.0 and x.dtype in floats:  # a one-input ufunc
            return softplus_default(x) if x.ndim else softplus_default(x, out=np.empty_like(x))
        return softplus_other(x, beta, threshold)

    # PyTorch's elu kernel: poscoef * x above 0, negcoef * expm1(x * input_scale) below, with
    # the coefficients rounded to float32 as backends/numpy.py rounds them. alpha <= 0 (and a
    # float32 alpha of 0) is the NumPy kernel's: the loop's expm1 side takes a positive factor.
    def positive(alpha: float) -> bool:
        return alpha > 0 and _as_float32(alpha) > 0

    elu_parameters = _Parameters(
        lambda alpha: (_as_float32(alpha), 1.0, 1.0) if positive(alpha) else None
    )
    celu_parameters = _Parameters(
        lambda alpha: (
            (_as_float32(alpha), 1.0, 1.0 / _as_float32(alpha)) if positive(alpha) else None
        )
    )
    selu_parameters = _Parameters(
        lambda: (float(np.float32(SELU_ALPHA * SELU_SCALE)), float(np.float32(SELU_SCALE)), 1.0)
    )
    # sigma > 0 is the public function's check; mu and 1 / sigma as the exact value has them
    # (float64), where the NumPy kernel rounds mu to float32 in float32.
    laplace_parameters = _Parameters(lambda mu, sigma: (mu, 1.0 / sigma) if sigma > 0 else None)
    # float64 (u.laplace64): sigma itself, (x - mu) / sigma a double word.
    laplace64_parameters = _Parameters(lambda mu, sigma: (mu, sigma) if sigma > 0 else None)
    glu_fallback = kernels["glu"]
    # squareplus and xielu take their parameters as the exact value has them (float64).
    squareplus_parameters = _Parameters(lambda b: (b,) if b >= 0 else None)
    xielu_parameters = _Parameters(lambda *coefficients: coefficients)

    def glu(x: np.ndarray, axis: int) -> np.ndarray:
        if x.dtype in floats:
            return u.glu(*_numerics.halves(x, axis))
        return glu_fallback(x, axis)

    def _rows(ufunc: Any, name: str) -> Callable[[np.ndarray, int], np.ndarray]:
        fallback = kernels[name]

        def kernel(x: np.ndarray, axis: int) -> np.ndarray:
            if x.dtype in exact and x.ndim:
                if axis == -1 or axis == x.ndim - 1:
                    return ufunc(x)
                return ufunc(x, axes=[(axis,), (axis,)])
            return fallback(x, axis)  # 0-d: the kernel reshapes and comes back here

        return kernel

    compiled = {
        "relu": _unary_inplace("relu", u.relu, kernels["relu"], exact),
        "leaky_relu": leaky_relu,
        "sigmoid": _unary(u.sigmoid, kernels["sigmoid"], floats),
        "silu": _unary_inplace("silu", u.silu, kernels["silu"], floats),
        "mish": _unary_inplace("mish", u.mish, kernels["mish"], floats),
        "gelu": gelu,
        "softplus": softplus,
        "elu": _with_parameters("elu", u.elu, kernels["elu"], smooth, elu_parameters),
        "selu": _unary_inplace(
            "selu",
            u.selu,  # float64: the constants' digits as double words
            _with_parameters("selu", u.elu, kernels["selu"], smooth, selu_parameters),
            float64,
        ),
        "celu": _with_parameters("celu", u.elu, kernels["celu"], smooth, celu_parameters),
        **{
            name: _unary(getattr(u, name), kernels[name], smooth)
            for name in ("logsigmoid", "exponential", "sparse_plus", "softsign", "log1mexp")
        },
        "quick_gelu": _unary(u.quick_gelu, kernels["quick_gelu"], floats),
        "tanhshrink": _unary(u.tanhshrink, kernels["tanhshrink"], floats),
        "squareplus": _with_parameters(
            "squareplus", u.squareplus, kernels["squareplus"], floats, squareplus_parameters
        ),
        "xielu": _with_parameters("xielu", u.xielu, kernels["xielu"], floats, xielu_parameters),
        "laplace": _with_parameters(
            "laplace",
            u.laplace,
            _with_parameters(
                "laplace", u.laplace64, kernels["laplace"], float64, laplace64_parameters
            ),
            smooth,
            laplace_parameters,
        ),
        "glu": glu,
        **{name: _rows(getattr(u, name), name) for name in ("softmax", "log_softmax", "softmin")},
    }
    # multiact.vjp (backends.Backend.vjp): g times the derivative in one loop, where the
    # generic formulas take a dozen passes (the exact GELU's: double-word arithmetic, 26 times
    # the hand-written derivative's time).
    gradients = {"gelu": u.gelu_vjp, "silu": u.silu_vjp}

    def vjp(name: str, x: np.ndarray, y: np.ndarray, g: np.ndarray, params: dict[str, Any]) -> Any:
        ufunc = gradients.get(name)
        if (
            ufunc is None
            or x.dtype not in smooth
            or g.dtype != x.dtype
            or params.get("approximate", "none") != "none"
        ):
            return NotImplemented
        return ufunc(x, g) if x.ndim else ufunc(x, g, out=np.empty_like(x))

    namespace["vjp"] = vjp
    namespace["AT_DEFAULTS"] = _at_defaults(
        compiled,
        {
            "relu": (u.relu, exact),
            "silu": (u.silu, floats),
            "mish": (u.mish, floats),
            "gelu": (u.gelu, floats),
            "softplus": (u.softplus_default, floats),
            "softmax": (u.softmax, exact),
            "log_softmax": (u.log_softmax, exact),
            "softmin": (u.softmin, exact),
        },
        namespace["complex_kernel"],
    )
    for name, kernel in compiled.items():
        original = NUMPY_KERNELS[name] = kernels[name]
        kernel.__name__ = name
        kernel.__qualname__ = f"install.<locals>.{name}"
        kernel.__wrapped__ = original
        namespace[name] = kernel
