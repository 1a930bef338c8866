"""The compiled loops (``multiact._ufuncs``, C) in place of some NumPy kernels.

``multiact._ufuncs`` holds NumPy ufuncs for the smooth elementwise activations (sigmoid, silu,
both GELUs, mish, softplus, the elu family, logsigmoid, quick_gelu, exponential, sparse_plus,
softsign, laplace and glu's product) on float32 and float16 arrays, computed in double and
rounded once (correctly rounded but within about 1e-13 of a tie); relu and leaky_relu in
every float dtype (exact); and generalised ufuncs for softmax, log_softmax and softmin along
any axis, in double for float16, float32 and float64 (see DTYPES). All give PyTorch's values
at the special points, raise no floating-point warnings, release the GIL and, on large
contiguous float32 (and float64 rows) arrays, split the work over threads.
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
from typing import Any

import numpy as np

from multiact import _checks, _numerics
from multiact._constants import SELU_ALPHA, SELU_SCALE

try:
    if os.environ.get("MULTIACT_NO_COMPILED"):
        raise ImportError("MULTIACT_NO_COMPILED is set")
    from multiact import _ufuncs
except ImportError as error:
    _ufuncs = None
    #: Why the compiled loops are not in use ("" where they are).
    UNAVAILABLE = str(error) or type(error).__name__
else:
    UNAVAILABLE = ""

_FLOAT64 = np.dtype(np.float64)
_FLOAT32 = np.dtype(np.float32)
_FLOAT16 = np.dtype(np.float16)

#: The activations with compiled loops, and the dtypes they have them for (float16 where the
#: C compiler has _Float16; see available_dtypes()).
DTYPES: dict[str, tuple[str, ...]] = {
    "relu": ("float16", "float32", "float64"),
    "leaky_relu": ("float16", "float32", "float64"),
    "sigmoid": ("float16", "float32"),
    "silu": ("float16", "float32"),
    "gelu": ("float16", "float32"),
    "mish": ("float16", "float32"),
    "softplus": ("float16", "float32"),
    "elu": ("float16", "float32"),
    "selu": ("float16", "float32"),
    "celu": ("float16", "float32"),
    "logsigmoid": ("float16", "float32"),
    "quick_gelu": ("float16", "float32"),
    "exponential": ("float16", "float32"),
    "sparse_plus": ("float16", "float32"),
    "softsign": ("float16", "float32"),
    "laplace": ("float16", "float32"),
    "glu": ("float16", "float32"),
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


def _write(fn: str, x: np.ndarray, inplace: bool) -> np.ndarray | None:
    """The out= of an elementwise loop: x itself when inplace; for a 0-d x a new array (a
    ufunc would return a NumPy scalar); otherwise None, letting the ufunc allocate (cheaper
    than np.empty_like and out=: about 0.35 us a call)."""
    if inplace:
        if not x.flags.writeable:
            raise _checks.read_only_error(fn)
        return x
    return None if x.ndim else np.empty_like(x)


class _Parameters:
    """0-d float64 arrays of a loop's parameters, by the parameters' values: NumPy converts a
    Python float on every call (about 0.5 us); bounded, as a sweep over values may be long."""

    def __init__(self, build: Callable[..., tuple[float, ...]]) -> None:
        self._build = build
        self._arrays: dict[tuple[Any, ...], tuple[np.ndarray, ...]] = {}

    def __call__(self, *key: Any) -> tuple[np.ndarray, ...]:
        arrays = self._arrays.get(key)
        if arrays is None:
            if len(self._arrays) >= 64:
                self._arrays.clear()
            arrays = self._arrays[key] = tuple(np.array(v) for v in self._build(*key))
        return arrays


def _as_float32(value: float) -> float:
    """A factor as a float32 computation rounds it (backends/numpy.py's _factor, _constant)."""
    return float(np.float32(_numerics.as_factor(value, _FLOAT32, np)))


def install(namespace: MutableMapping[str, Any]) -> None:
    """Put the compiled loops in front of the kernels of ``namespace`` (backends/numpy.py's
    globals), for the dtypes they have; the other dtypes call the kernels as before."""
    if _ufuncs is None:
        return
    u = _ufuncs
    half = (_FLOAT16,) if u.HALF else ()
    smooth = frozenset((_FLOAT32, *half))  # computed in double, rounded once
    exact = frozenset((_FLOAT64, _FLOAT32, *half))
    kernels = {name: namespace[name] for name in NAMES}

    def relu(x: np.ndarray, inplace: bool) -> np.ndarray:
        if x.dtype in exact:
            return u.relu(x, out=_write("relu", x, inplace))
        return kernels["relu"](x, inplace)

    # PyTorch multiplies by the slope rounded to the dtype computed in (float32 for float16).
    slopes = _Parameters(
        lambda slope, dtype: (
            _numerics.as_factor(slope, _FLOAT64, np) if dtype is _FLOAT64 else _as_float32(slope),
        )
    )

    def leaky_relu(x: np.ndarray, negative_slope: float, inplace: bool) -> np.ndarray:
        dtype = x.dtype
        if dtype in exact:
            (slope,) = slopes(negative_slope, _FLOAT64 if dtype == _FLOAT64 else _FLOAT32)
            return u.leaky_relu(x, slope, out=_write("leaky_relu", x, inplace))
        return kernels["leaky_relu"](x, negative_slope, inplace)

    def sigmoid(x: np.ndarray) -> np.ndarray:
        if x.dtype in smooth:
            return u.sigmoid(x, out=_write("sigmoid", x, False))
        return kernels["sigmoid"](x)

    def silu(x: np.ndarray, inplace: bool) -> np.ndarray:
        if x.dtype in smooth:
            return u.silu(x, out=_write("silu", x, inplace))
        return kernels["silu"](x, inplace)

    def mish(x: np.ndarray, inplace: bool) -> np.ndarray:
        if x.dtype in smooth:
            return u.mish(x, out=_write("mish", x, inplace))
        return kernels["mish"](x, inplace)

    def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
        if x.dtype in smooth:
            ufunc = u.gelu_tanh if approximate == "tanh" else u.gelu
            return ufunc(x, out=_write("gelu", x, False))
        return kernels["gelu"](x, approximate)

    # beta and threshold as the float32 computation sees them (backends/numpy.py's _factor and
    # _bound, rounded to float32): x * beta and its comparison with the threshold are made in
    # float32, as PyTorch makes them.
    softplus_parameters = _Parameters(
        lambda beta, threshold: (
            _numerics.as_factor(beta, _FLOAT32, np),
            float(np.float32(_numerics.as_param(threshold, _FLOAT32, np))),
        )
    )

    def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        if x.dtype in smooth:
            return u.softplus(
                x, *softplus_parameters(beta, threshold), out=_write("softplus", x, False)
            )
        return kernels["softplus"](x, beta, threshold)

    # PyTorch's elu kernel: poscoef * x above 0, negcoef * expm1(x * input_scale) below, with
    # the coefficients rounded to float32 as backends/numpy.py rounds them.
    elu_parameters = _Parameters(lambda alpha: (_as_float32(alpha), 1.0, 1.0))
    celu_parameters = _Parameters(lambda alpha: (_as_float32(alpha), 1.0, 1.0 / _as_float32(alpha)))
    selu_parameters = (
        np.array(float(np.float32(SELU_ALPHA * SELU_SCALE))),
        np.array(float(np.float32(SELU_SCALE))),
        np.array(1.0),
    )

    def elu(x: np.ndarray, alpha: float, inplace: bool) -> np.ndarray:
        # alpha <= 0 (and a float32 alpha of 0) is the NumPy kernel's: the loop's expm1 side
        # is for x <= 0 with a positive factor only.
        if x.dtype in smooth and alpha > 0 and _as_float32(alpha) > 0:
            return u.elu(x, *elu_parameters(alpha), out=_write("elu", x, inplace))
        return kernels["elu"](x, alpha, inplace)

    def selu(x: np.ndarray, inplace: bool) -> np.ndarray:
        if x.dtype in smooth:
            return u.elu(x, *selu_parameters, out=_write("selu", x, inplace))
        return kernels["selu"](x, inplace)

    def celu(x: np.ndarray, alpha: float, inplace: bool) -> np.ndarray:
        if x.dtype in smooth and alpha > 0 and _as_float32(alpha) > 0:
            return u.elu(x, *celu_parameters(alpha), out=_write("celu", x, inplace))
        return kernels["celu"](x, alpha, inplace)

    def _unary(ufunc: Any, name: str) -> Callable[[np.ndarray], np.ndarray]:
        def kernel(x: np.ndarray) -> np.ndarray:
            if x.dtype in smooth:
                return ufunc(x, out=_write(name, x, False))
            return kernels[name](x)

        kernel.__name__ = name
        kernel.__qualname__ = f"install.<locals>.{name}"
        return kernel

    laplace_parameters = _Parameters(lambda mu, sigma: (mu, 1.0 / sigma))

    def laplace(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
        # sigma > 0 is the public function's check; mu and 1 / sigma as the exact value has
        # them (float64), where the NumPy kernel rounds mu to float32 in float32.
        if x.dtype in smooth and sigma > 0:
            return u.laplace(x, *laplace_parameters(mu, sigma), out=_write("laplace", x, False))
        return kernels["laplace"](x, mu, sigma)

    def glu(x: np.ndarray, axis: int) -> np.ndarray:
        if x.dtype in smooth:
            return u.glu(*_numerics.halves(x, axis))
        return kernels["glu"](x, axis)

    def _rows(ufunc: Any, name: str) -> Callable[[np.ndarray, int], np.ndarray]:
        def kernel(x: np.ndarray, axis: int) -> np.ndarray:
            if x.dtype in exact and x.ndim:
                if axis == -1 or axis == x.ndim - 1:
                    return ufunc(x)
                return ufunc(x, axes=[(axis,), (axis,)])
            return kernels[name](x, axis)  # 0-d: the kernel reshapes and comes back here

        kernel.__name__ = name
        kernel.__qualname__ = f"install.<locals>.{name}"
        return kernel

    compiled = {
        "relu": relu,
        "leaky_relu": leaky_relu,
        "sigmoid": sigmoid,
        "silu": silu,
        "mish": mish,
        "gelu": gelu,
        "softplus": softplus,
        "elu": elu,
        "selu": selu,
        "celu": celu,
        **{
            name: _unary(getattr(u, name), name)
            for name in ("logsigmoid", "quick_gelu", "exponential", "sparse_plus", "softsign")
        },
        "laplace": laplace,
        "glu": glu,
        **{name: _rows(getattr(u, name), name) for name in ("softmax", "log_softmax", "softmin")},
    }
    for name, kernel in compiled.items():
        original = NUMPY_KERNELS[name] = kernels[name]
        kernel.__wrapped__ = original  # type: ignore[attr-defined]
        namespace[name] = kernel
