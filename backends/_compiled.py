"""The compiled loops (``multiact._ufuncs``, C) in place of some NumPy kernels.

``multiact._ufuncs`` holds NumPy ufuncs for sigmoid, silu, both GELUs, mish and softplus on
float32 and float16 arrays, computed in double and rounded once (correctly rounded but within
about 1e-13 of a tie), with PyTorch's values at the special points, no floating-point
warnings, and the GIL released. :func:`install` puts them in front of the NumPy backend's
kernels for those dtypes; float64, and everything where the extension was not built (no C
compiler at install time), runs the NumPy kernels of ``backends/numpy.py``.

``MULTIACT_NO_COMPILED=1`` in the environment (read at import) leaves the compiled loops out:
the suite runs both ways.
"""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping
from typing import Any

import numpy as np

from multiact import _checks, _numerics

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

#: The activations with compiled loops.
NAMES = ("sigmoid", "silu", "gelu", "mish", "softplus")

_FLOAT32 = np.dtype(np.float32)
_FLOAT16 = np.dtype(np.float16)


#: The NumPy kernels the compiled loops stand in front of, by name (filled by install).
NUMPY_KERNELS: dict[str, Callable[..., Any]] = {}


def available() -> bool:
    """Are the compiled loops in use?"""
    return _ufuncs is not None


def _dtypes() -> frozenset[np.dtype]:
    assert _ufuncs is not None
    return frozenset({_FLOAT32, _FLOAT16} if _ufuncs.HALF else {_FLOAT32})


def _write(fn: str, x: np.ndarray, inplace: bool) -> np.ndarray:
    if not inplace:
        return np.empty_like(x)
    if not x.flags.writeable:
        raise _checks.read_only_error(fn)
    return x


def install(namespace: MutableMapping[str, Any]) -> None:
    """Put the compiled loops in front of the kernels of ``namespace`` (backends/numpy.py's
    globals), for the dtypes they have; the other dtypes call the kernels as before."""
    if _ufuncs is None:
        return
    dtypes = _dtypes()
    u = _ufuncs
    sigmoid_kernel: Callable[..., Any] = namespace["sigmoid"]
    silu_kernel: Callable[..., Any] = namespace["silu"]
    gelu_kernel: Callable[..., Any] = namespace["gelu"]
    mish_kernel: Callable[..., Any] = namespace["mish"]
    softplus_kernel: Callable[..., Any] = namespace["softplus"]

    # out= always: without it a 0-d input would come back as a NumPy scalar.
    def sigmoid(x: np.ndarray) -> np.ndarray:
        if x.dtype in dtypes:
            return u.sigmoid(x, out=np.empty_like(x))
        return sigmoid_kernel(x)

    def silu(x: np.ndarray, inplace: bool) -> np.ndarray:
        if x.dtype in dtypes:
            return u.silu(x, out=_write("silu", x, inplace))
        return silu_kernel(x, inplace)

    def mish(x: np.ndarray, inplace: bool) -> np.ndarray:
        if x.dtype in dtypes:
            return u.mish(x, out=_write("mish", x, inplace))
        return mish_kernel(x, inplace)

    def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
        if x.dtype in dtypes:
            ufunc = u.gelu_tanh if approximate == "tanh" else u.gelu
            return ufunc(x, out=np.empty_like(x))
        return gelu_kernel(x, approximate)

    def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        if x.dtype in dtypes:
            # beta and threshold as the float32 computation sees them (backends/numpy.py's
            # _factor and _bound, rounded to float32): x * beta and its comparison with the
            # threshold are made in float32, as PyTorch makes them.
            params = _softplus_params.get((beta, threshold))
            if params is None:
                if len(_softplus_params) >= 64:  # a sweep over many values must not grow it
                    _softplus_params.clear()
                b = _numerics.as_factor(beta, _FLOAT32, np)
                t = float(np.float32(_numerics.as_param(threshold, _FLOAT32, np)))
                # 0-d arrays: NumPy converts Python floats on every call (about 0.5 us).
                params = _softplus_params[beta, threshold] = (np.array(b), np.array(t))
            return u.softplus(x, *params, out=np.empty_like(x))
        return softplus_kernel(x, beta, threshold)

    _softplus_params: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}

    for kernel in (sigmoid, silu, mish, gelu, softplus):
        original = NUMPY_KERNELS[kernel.__name__] = namespace[kernel.__name__]
        kernel.__wrapped__ = original  # type: ignore[attr-defined]
        namespace[kernel.__name__] = kernel
