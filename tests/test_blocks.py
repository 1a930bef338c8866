"""Blocked evaluation gives bit for bit what the kernel gives on the whole array.

The NumPy backend runs large contiguous arrays in cache-sized blocks (backends/_blocks.py);
the reference and contract tests use small arrays, which go to the kernels whole. Here the
arrays are large enough to be blocked, and hold every special value at block boundaries.
"""

from __future__ import annotations

import numpy as np
import pytest
from multiact.backends import numpy as numpy_backend

BLOCKED = {
    "leaky_relu": [(0.01, False), (-2.0, False), (0.0, False)],
    "sigmoid": [()],
    "gelu": [("none",), ("tanh",)],
    "silu": [(False,)],
    "softplus": [(1.0, 20.0), (-0.5, 3.0)],
    "elu": [(1.0, False), (-0.5, False)],
    "selu": [(False,)],
    "celu": [(1.5, False)],
    "mish": [(False,)],
    "logsigmoid": [()],
    "hardsigmoid": [(False,)],
    "hardswish": [(False,)],
    "hardshrink": [(0.5,)],
    "softshrink": [(0.5,)],
    "softsign": [()],
    "tanhshrink": [()],
    "squareplus": [(4.0,)],
    "sparse_plus": [()],
    "sparse_sigmoid": [()],
    "log1mexp": [()],
    "exponential": [()],
    "threshold": [(0.1, 20.0, False)],
    "tanh": [()],
}
CASES = [(name, params) for name, variants in BLOCKED.items() for params in variants]


def _whole(name, x, params):
    """The kernel applied to the whole array at once, bypassing the blocks."""
    if name == "gelu":
        if params[0] == "tanh":
            kernel = numpy_backend._gelu_tanh
        elif x.dtype == np.float64:
            kernel = numpy_backend._gelu_exact
        else:
            kernel = numpy_backend._gelu_exact_in_float64
        return kernel.__wrapped__(x)
    if name == "tanh":
        return numpy_backend._tanh_in_float32.__wrapped__(x) if x.dtype == np.float16 else None
    return getattr(numpy_backend, name).__wrapped__(x, *params)


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
    _assert_identical(getattr(numpy_backend, name)(x, *params), expected)


@pytest.mark.parametrize("name", ["silu", "elu", "leaky_relu", "hardswish", "threshold"])
def test_blocked_inplace_equals_whole(name):
    params = BLOCKED[name][0]
    x = _special_input(np.float32)
    expected = _whole(name, x, params)
    y = getattr(numpy_backend, name)(x, *params[:-1], True)
    assert y is x
    _assert_identical(x, expected)


def test_fortran_order_keeps_its_layout():
    x = np.asfortranarray(_special_input(np.float32, 600 * 701).reshape(600, 701))
    y = numpy_backend.silu(x, False)
    assert y.flags.f_contiguous
    _assert_identical(y, numpy_backend.silu.__wrapped__(x, False))


def test_strided_input_is_computed_whole():
    x = _special_input(np.float32, 600_002)[::2]
    _assert_identical(numpy_backend.sigmoid(x), numpy_backend.sigmoid.__wrapped__(x))


def test_read_only_input_refused_before_any_write():
    x = _special_input(np.float32)
    before = x.copy()
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numpy_backend.silu(x, True)
    _assert_identical(x, before)
