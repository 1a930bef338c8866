"""The output contract: same array type, device, dtype and shape; inputs never mutated."""

from __future__ import annotations

import numpy as np
import pytest
from cases import REDUCING, TYPICAL, concrete, exact_reference, output_shape
from multiact.conformance.reference import as_dtype_values, torch_reference
from multiact.conformance.tolerances import compare

from conftest import ALL_TARGETS, TARGET_DTYPES

SHAPES = [(), (0,), (3, 0), (2, 3, 4)]


def _device(array):
    device = getattr(array, "device", None)
    return device() if callable(device) else device


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
@pytest.mark.parametrize(("target", "dtype"), TARGET_DTYPES)
def test_keeps_type_dtype_device_and_shape(target, dtype, activation, params):
    x = target.asarray(np.linspace(-3, 3, 24).reshape(2, 3, 4), dtype)
    y = target.call(activation.name, x, params)
    assert type(y) is type(x)
    assert y.dtype == x.dtype
    assert tuple(y.shape) == output_shape(activation, tuple(x.shape), params)
    assert _device(y) == _device(x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
@pytest.mark.parametrize("target", ALL_TARGETS)
def test_zero_d_and_empty_inputs(target, activation, params, shape):
    values = np.linspace(-2.0, 2.0, int(np.prod(shape))).reshape(shape)
    x = target.asarray(values, "float32")
    if activation.halves_axis and shape == ():
        with pytest.raises(ValueError, match="at least one dimension to halve"):
            target.call(activation.name, x, params)
        return
    y = target.call(activation.name, x, params)
    assert type(y) is type(x)
    assert tuple(y.shape) == output_shape(activation, shape, params)
    if activation.names.torch is not None:
        expected = torch_reference(activation, values, "float32", params)
        result = compare(target.to_numpy(y), expected, "float32")
        assert result.ok, result.message


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("activation", REDUCING)
@pytest.mark.parametrize("target", ALL_TARGETS)
def test_every_reduction_axis(target, activation, axis):
    values = np.random.default_rng(1).standard_normal((4, 6, 2))  # even: glu halves any axis
    y = target.call(activation.name, target.asarray(values, "float64"), {"axis": axis})
    if activation.names.torch is None:
        expected = exact_reference(activation, values, "float64", {"axis": axis})
    else:
        expected = torch_reference(activation, values, "float64", {"axis": axis})
    result = compare(target.to_numpy(y), expected, "float64")
    assert result.ok, result.message


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
@pytest.mark.parametrize("target", ["numpy", "torch"])
def test_non_contiguous_input(target, activation, params):
    values = np.random.default_rng(2).standard_normal((8, 12))
    view = values[::2, 1::3].T  # (4, 4): even sizes, so glu can halve it
    if target == "numpy":
        x = view
    else:
        torch = pytest.importorskip("torch")
        x = torch.as_tensor(values)[::2, 1::3].T
        assert not x.is_contiguous()
    import multiact

    y = getattr(multiact, activation.name)(x, **concrete(params, x))
    if activation.names.torch is None:
        # Within the tolerance, not bit for bit: PyTorch's strided (scalar) loop rounds some
        # operations differently from its contiguous (vectorised) one (squareplus: 1 ULP on
        # AVX-512 CPUs).
        contiguous = getattr(multiact, activation.name)(np.ascontiguousarray(view))
        result = compare(np.asarray(y), contiguous, "float64")
        assert result.ok, result.message
        return
    expected = torch_reference(activation, view, "float64", params)
    result = compare(np.asarray(y), expected, "float64")
    assert result.ok, result.message


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
@pytest.mark.parametrize("target", ALL_TARGETS)
def test_input_is_not_mutated(target, activation, params):
    values = as_dtype_values(
        np.array([[-2.0, -0.0, 0.5, np.nan], [3.0, -np.inf, 1.0, -1.0]]), "float32"
    )
    x = target.asarray(values, "float32")
    target.call(activation.name, x, params)
    np.testing.assert_array_equal(target.to_numpy(x), values)
