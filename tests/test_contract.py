"""The output contract: same array type, device, dtype and shape; inputs never mutated."""

from __future__ import annotations

import numpy as np
import pytest
from cases import DEFAULTS, REDUCING
from multiact.conformance.reference import as_dtype_values, torch_reference
from multiact.conformance.tolerances import compare

from conftest import ALL_TARGETS, TARGET_DTYPES

SHAPES = [(), (0,), (3, 0), (2, 3, 4)]


def _device(array):
    device = getattr(array, "device", None)
    return device() if callable(device) else device


@pytest.mark.parametrize("activation", DEFAULTS)
@pytest.mark.parametrize(("target", "dtype"), TARGET_DTYPES)
def test_keeps_type_dtype_device_and_shape(target, dtype, activation):
    x = target.asarray(np.linspace(-3, 3, 24).reshape(2, 3, 4), dtype)
    y = target.call(activation.name, x)
    assert type(y) is type(x)
    assert y.dtype == x.dtype
    assert y.shape == x.shape
    assert _device(y) == _device(x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("activation", DEFAULTS)
@pytest.mark.parametrize("target", ALL_TARGETS)
def test_zero_d_and_empty_inputs(target, activation, shape):
    values = np.linspace(-2.0, 2.0, int(np.prod(shape))).reshape(shape)
    x = target.asarray(values, "float32")
    y = target.call(activation.name, x)
    assert type(y) is type(x)
    assert y.shape == x.shape
    result = compare(target.to_numpy(y), torch_reference(activation, values, "float32"), "float32")
    assert result.ok, result.message


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("activation", REDUCING)
@pytest.mark.parametrize("target", ALL_TARGETS)
def test_every_reduction_axis(target, activation, axis):
    values = np.random.default_rng(1).standard_normal((3, 4, 5))
    y = target.call(activation.name, target.asarray(values, "float64"), {"axis": axis})
    expected = torch_reference(activation, values, "float64", {"axis": axis})
    result = compare(target.to_numpy(y), expected, "float64")
    assert result.ok, result.message


@pytest.mark.parametrize("activation", DEFAULTS)
@pytest.mark.parametrize("target", ["numpy", "torch"])
def test_non_contiguous_input(target, activation):
    values = np.random.default_rng(2).standard_normal((6, 8))
    if target == "numpy":
        x = values[::2, 1::3].T
    else:
        torch = pytest.importorskip("torch")
        x = torch.as_tensor(values)[::2, 1::3].T
        assert not x.is_contiguous()
    import multiact

    y = getattr(multiact, activation.name)(x)
    expected = torch_reference(activation, values[::2, 1::3].T, "float64")
    result = compare(np.asarray(y), expected, "float64")
    assert result.ok, result.message


@pytest.mark.parametrize("activation", DEFAULTS)
@pytest.mark.parametrize("target", ALL_TARGETS)
def test_input_is_not_mutated(target, activation):
    values = as_dtype_values(
        np.array([[-2.0, -0.0, 0.5, np.nan], [3.0, -np.inf, 1.0, -1.0]]), "float32"
    )
    x = target.asarray(values, "float32")
    target.call(activation.name, x)
    np.testing.assert_array_equal(target.to_numpy(x), values)
