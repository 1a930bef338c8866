"""Bad input gets a clear error naming the function, the argument and what was expected."""

from __future__ import annotations

import numpy as np
import pytest
from cases import DEFAULTS, REDUCING

import multiact
import multiact.nn as nn
from conftest import DISPATCHED_TARGETS
from multiact import ACTIVATIONS

FLOAT_ONLY = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if not a.integer_inputs]
INTEGER_OK = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if a.integer_inputs]
NOT_ARRAYS = [[1.0, -2.0], (1.0,), 1.0, 3, True, "relu", None, {"x": 1}]


@pytest.mark.parametrize("x", NOT_ARRAYS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("activation", DEFAULTS)
def test_non_arrays_are_a_type_error(activation, x):
    pattern = (
        rf"multiact\.{activation.name}: argument 'x' must be an array.*got .*{type(x).__name__}"
    )
    with pytest.raises(TypeError, match=pattern):
        getattr(multiact, activation.name)(x)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "complex64"])
@pytest.mark.parametrize("activation", FLOAT_ONLY)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_non_float_arrays_are_a_type_error(target, activation, dtype):
    x = target.asarray(np.array([1, 0, 1]), dtype)
    pattern = rf"multiact\.{activation.name}: argument 'x' must be a floating-point array"
    with pytest.raises(TypeError, match=pattern):
        getattr(multiact, activation.name)(x)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
@pytest.mark.parametrize("activation", INTEGER_OK)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_integer_arrays_where_pytorch_takes_them(target, activation, dtype):
    torch = pytest.importorskip("torch")
    values = [3, -2, 0, 7] if dtype != "uint8" else [3, 200, 0, 7]
    y = getattr(multiact, activation.name)(target.asarray(np.array(values), dtype))
    expected = getattr(torch, activation.name)(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert str(y.dtype).endswith(dtype)
    np.testing.assert_array_equal(target.to_numpy(y), expected.numpy())


@pytest.mark.parametrize("activation", INTEGER_OK)
def test_bool_and_complex_arrays_are_a_type_error(activation):
    for x in (np.array([True, False]), np.array([1 + 1j])):
        with pytest.raises(TypeError, match=rf"multiact\.{activation.name}: argument 'x'"):
            getattr(multiact, activation.name)(x)


@pytest.mark.parametrize("axis", [2, -3, 10])
@pytest.mark.parametrize("activation", REDUCING)
def test_axis_out_of_range(activation, axis):
    fn = getattr(multiact, activation.name)
    pattern = rf"multiact\.{activation.name}: argument 'axis' is out of range .*-2 <= axis < 2"
    with pytest.raises(multiact.AxisError, match=pattern):
        fn(np.ones((2, 3)), axis=axis)
    # Catchable as NumPy users (ValueError) and PyTorch users (IndexError) expect.
    with pytest.raises(ValueError, match="out of range"):
        fn(np.ones((2, 3)), axis=axis)
    with pytest.raises(IndexError, match="argument 'dim' is out of range"):
        fn(np.ones((2, 3)), dim=axis)


@pytest.mark.parametrize("activation", REDUCING)
def test_zero_d_takes_axis_0_and_minus_1_only(activation):
    fn = getattr(multiact, activation.name)
    assert fn(np.array(2.0), axis=0).shape == ()
    assert fn(np.array(2.0), axis=-1).shape == ()
    with pytest.raises(multiact.AxisError, match="expected -1 <= axis < 1, got 1"):
        fn(np.array(2.0), axis=1)


@pytest.mark.parametrize("bad", [1.5, "0", None, True, np.array(0)])
@pytest.mark.parametrize("activation", REDUCING)
def test_axis_must_be_an_integer(activation, bad):
    with pytest.raises(
        TypeError, match=rf"multiact\.{activation.name}: argument 'axis' must be an integer"
    ):
        getattr(multiact, activation.name)(np.ones(3), axis=bad)


@pytest.mark.parametrize("activation", REDUCING)
def test_dim_alias(activation):
    fn = getattr(multiact, activation.name)
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(fn(x, dim=0), fn(x, axis=0))
    np.testing.assert_array_equal(fn(x, axis=0, dim=0), fn(x, axis=0))
    with pytest.raises(TypeError, match="got both 'axis'=1 and its alias 'dim'=0"):
        fn(x, axis=1, dim=0)


@pytest.mark.parametrize("bad", [True, False, "exact", "NONE", None, 1])
def test_gelu_approximate_must_be_none_or_tanh(bad):
    pattern = r"multiact\.gelu: argument 'approximate' must be 'none' or 'tanh'; got"
    with pytest.raises(ValueError, match=pattern):
        multiact.gelu(np.ones(3), approximate=bad)
    with pytest.raises(ValueError, match=r"multiact\.GELU: argument 'approximate'"):
        nn.GELU(approximate=bad)


def test_gelu_bool_error_says_what_to_write_instead():
    with pytest.raises(ValueError, match=r"write approximate='tanh'"):
        multiact.gelu(np.ones(3), approximate=True)
    with pytest.raises(ValueError, match=r"write approximate='none'"):
        multiact.gelu(np.ones(3), approximate=False)


@pytest.mark.parametrize(
    ("value", "error", "pattern"),
    [
        ("0.2", TypeError, "must be a real number; got '0.2' of type str"),
        (True, TypeError, "must be a real number; got True of type bool"),
        (np.array([0.1, 0.2]), TypeError, "must be a real number"),
        (float("nan"), ValueError, "must be finite; got nan"),
        (float("inf"), ValueError, "must be finite; got inf"),
    ],
)
def test_negative_slope_must_be_a_finite_real(value, error, pattern):
    with pytest.raises(error, match=rf"multiact\.leaky_relu: argument 'negative_slope' {pattern}"):
        multiact.leaky_relu(np.ones(3), negative_slope=value)
    with pytest.raises(error, match=rf"multiact\.LeakyReLU: argument 'negative_slope' {pattern}"):
        nn.LeakyReLU(value)


def test_numeric_negative_slopes_of_any_real_type_are_accepted():
    x = np.array([-2.0, 1.0])
    for slope in (1, np.float32(0.5), np.int64(2)):
        np.testing.assert_array_equal(multiact.leaky_relu(x, slope), [-2.0 * float(slope), 1.0])


@pytest.mark.parametrize("bad", [1, 0, "yes", None])
def test_inplace_must_be_a_bool(bad):
    with pytest.raises(
        TypeError, match=r"multiact\.relu: argument 'inplace' must be True or False"
    ):
        multiact.relu(np.ones(3), inplace=bad)
    with pytest.raises(
        TypeError, match=r"multiact\.ReLU: argument 'inplace' must be True or False"
    ):
        nn.ReLU(inplace=bad)


@pytest.mark.parametrize("bad", [1.5, "0", True])
def test_module_dim_must_be_an_integer_or_none(bad):
    with pytest.raises(
        TypeError, match=r"multiact\.nn\.Softmax: argument 'dim' must be an integer or None"
    ):
        nn.Softmax(dim=bad)


def test_unknown_activation_name_suggests_close_ones():
    with pytest.raises(KeyError, match="no activation named 'gelux'; did you mean gelu"):
        multiact.lookup("gelux")
