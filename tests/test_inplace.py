"""``inplace=True``: the input is overwritten and returned on NumPy and torch; JAX refuses."""

from __future__ import annotations

import numpy as np
import pytest
from multiact.conformance.reference import torch_reference
from multiact.conformance.tolerances import compare

import multiact
from multiact import ACTIVATIONS

INPLACE = [
    pytest.param(a, dict(a.parameterisations[0]), id=a.name)
    for a in ACTIVATIONS.values()
    if a.supports_inplace
]
VALUES = np.array([1.0, -2.0, 3.0, -5.0, -0.0, np.nan])


@pytest.mark.parametrize(("activation", "params"), INPLACE)
def test_numpy_inplace_overwrites_and_returns_input(activation, params):
    x = VALUES.copy()
    y = getattr(multiact, activation.name)(x, **params, inplace=True)
    assert y is x
    assert compare(x, torch_reference(activation, VALUES, "float64", params), "float64").ok


@pytest.mark.parametrize(("activation", "params"), INPLACE)
def test_torch_inplace_overwrites_and_returns_input(activation, params):
    torch = pytest.importorskip("torch")
    x = torch.tensor(VALUES)
    y = getattr(multiact, activation.name)(x, **params, inplace=True)
    assert y is x
    assert compare(x.numpy(), torch_reference(activation, VALUES, "float64", params), "float64").ok


@pytest.mark.parametrize(("activation", "params"), INPLACE)
def test_inplace_changes_only_the_given_array(activation, params):
    base = VALUES.copy()
    view = base[::2]
    getattr(multiact, activation.name)(view, **params, inplace=True)
    np.testing.assert_array_equal(base[1::2], VALUES[1::2])


@pytest.mark.parametrize(("activation", "params"), INPLACE)
def test_jax_inplace_is_a_clear_error(activation, params):
    jnp = pytest.importorskip("jax.numpy")
    x = jnp.asarray(VALUES)
    with pytest.raises(TypeError, match=rf"multiact\.{activation.name}: inplace=True .*immutable"):
        getattr(multiact, activation.name)(x, **params, inplace=True)


@pytest.mark.parametrize(("activation", "params"), INPLACE)
def test_numpy_scalar_inplace_is_a_clear_error(activation, params):
    with pytest.raises(TypeError, match="immutable"):
        getattr(multiact, activation.name)(np.float64(-1.0), **params, inplace=True)


@pytest.mark.parametrize(("activation", "params"), INPLACE)
def test_read_only_numpy_array_is_a_clear_error(activation, params):
    x = VALUES.copy()
    x.flags.writeable = False
    with pytest.raises(ValueError, match=rf"multiact\.{activation.name}: .*read-only"):
        getattr(multiact, activation.name)(x, **params, inplace=True)


@pytest.mark.parametrize(("activation", "params"), INPLACE)
def test_generic_inplace_on_array_api_strict(activation, params):
    xps = pytest.importorskip("array_api_strict")
    x = xps.asarray(VALUES.copy())  # asarray may share NumPy's buffer: keep VALUES intact
    y = getattr(multiact, activation.name)(x, **params, inplace=True)
    assert y is x
    expected = torch_reference(activation, VALUES, "float64", params)
    assert compare(np.from_dlpack(x), expected, "float64").ok


@pytest.mark.parametrize(
    "activation", [a for a in ACTIVATIONS.values() if a.inplace_variant], ids=lambda a: a.name
)
def test_inplace_variant_is_the_function_with_inplace(activation):
    params = dict(activation.parameterisations[0])
    x = VALUES.copy()
    y = getattr(multiact, f"{activation.name}_")(x, **params)
    assert y is x
    np.testing.assert_array_equal(x, getattr(multiact, activation.name)(VALUES, **params))
