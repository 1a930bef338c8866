"""Blocked evaluation gives bit for bit what the kernel gives on the whole array.

The NumPy backend runs large contiguous arrays in cache-sized blocks (backends/_blocks.py);
the reference and contract tests use small arrays, which go to the kernels whole. Here the
arrays are large enough to be blocked, and hold every special value at block boundaries.
"""

from __future__ import annotations

import numpy as np
import pytest
from multiact.backends import _compiled
from multiact.backends import numpy as numpy_backend

from multiact import ACTIVATIONS

#: Elementwise NumPy kernels that are not blocked, and why. Every other elementwise activation
#: of the registry must be (the first test says which is neither).
UNBLOCKED = {
    "relu": "one ufunc call (np.clip or np.maximum) with out=",
    "relu6": "one np.clip call with out=",
    "hardtanh": "one np.clip call with out=",
    "identity": "a copy",
    "prelu": "a per-channel weight broadcast along axis 1: blocks of the flat array would cut it",
    "rrelu": "random slopes drawn for the whole array at once (blocks would change the draws)",
    **dict.fromkeys(
        (
            *("sigmoid", "silu", "gelu", "mish", "softplus", "selu", "quick_gelu"),
            *("tanhshrink", "squareplus", "xielu", "laplace"),
        ),
        "the compiled loops take every float dtype: without them, the generic kernel",
    ),
}
#: Kernels that pick a blocked kernel by dtype or parameter (see _whole).
DISPATCHERS = ("tanh",)
#: Parameterisations tested beyond the registry's own (negative and zero slopes, a negative beta).
EXTRA = {
    "leaky_relu": [{"negative_slope": -2.0}, {"negative_slope": 0.0}],
    "softplus": [{"beta": -0.5, "threshold": 3.0}],
    "elu": [{"alpha": -0.5}],
    "celu": [{"alpha": 1.5}],
}
ELEMENTWISE = [a for a in ACTIVATIONS.values() if not a.reduces]
CASES = [
    pytest.param(a.name, a.kernel_args(params), id=a.variant_label(params))
    for a in ELEMENTWISE
    if a.name not in UNBLOCKED
    for params in (*a.parameterisations, *EXTRA.get(a.name, ()))
]


def _kernel(name):
    """The backend's NumPy kernel for ``name``: behind the compiled loops where they are in
    use (backends/_compiled.py; these are whole-array ufuncs, never blocked)."""
    return _compiled.NUMPY_KERNELS.get(name) or getattr(numpy_backend, name)


def test_every_elementwise_kernel_is_blocked_or_says_why():
    for a in ELEMENTWISE:
        blocked = hasattr(getattr(numpy_backend, a.name), "__wrapped__")
        assert blocked or a.name in UNBLOCKED or a.name in DISPATCHERS, (
            f"{a.name}: the NumPy kernel is not blocked; block it (backends/_blocks.py) or "
            "say why in UNBLOCKED"
        )


def _whole(name, x, params):
    """The kernel applied to the whole array at once, bypassing the blocks."""
    if name == "tanh":
        return numpy_backend._tanh_in_float32.__wrapped__(x) if x.dtype == np.float16 else None
    return _kernel(name).__wrapped__(x, *params)


def _special_input(dtype, size=300_001):
    """Random values with special ones spread over the array, block boundaries included."""
    x = np.random.default_rng(1).standard_normal(size) * 8
    info = np.finfo(dtype)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, info.max, -info.max, info.smallest_subnormal]
    for i, value in enumerate(special):
        x[i * 65_535 % size] = value
        x[(i * 65_536 + 1) % size] = value
        x[-1 - i] = value
    return x.astype(dtype)


def _assert_identical(actual, expected):
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(np.signbit(actual), np.signbit(expected))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize(("name", "params"), CASES)
def test_blocked_equals_whole(name, params, dtype):
    x = _special_input(dtype)
    expected = _whole(name, x, params)
    if expected is None:
        pytest.skip("float32/float64 tanh is one ufunc call, not blocked")
    _assert_identical(_kernel(name)(x, *params), expected)


@pytest.mark.parametrize("name", ["celu", "elu", "leaky_relu", "hardswish", "threshold"])
def test_blocked_inplace_equals_whole(name):
    params = ACTIVATIONS[name].kernel_args(ACTIVATIONS[name].parameterisations[0])
    x = _special_input(np.float32)
    expected = _whole(name, x, params)
    y = _kernel(name)(x, *params[:-1], True)
    assert y is x
    _assert_identical(x, expected)


def test_fortran_order_keeps_its_layout():
    x = np.asfortranarray(_special_input(np.float32, 600 * 701).reshape(600, 701))
    y = _kernel("elu")(x, 1.0, False)
    assert y.flags.f_contiguous
    _assert_identical(y, _kernel("elu").__wrapped__(x, 1.0, False))


def test_strided_input_is_computed_whole():
    x = _special_input(np.float32, 600_002)[::2]
    _assert_identical(_kernel("logsigmoid")(x), _kernel("logsigmoid").__wrapped__(x))


def test_read_only_input_refused_before_any_write():
    x = _special_input(np.float32)
    before = x.copy()
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numpy_backend.elu(x, 1.0, True)
    _assert_identical(x, before)
