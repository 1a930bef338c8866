"""Gradients: ``multiact.vjp`` on every backend, and autograd through the native backends,
against PyTorch's autograd, including the kinks and special values."""

from __future__ import annotations

import numpy as np
import pytest
from cases import VARIANTS, inputs
from multiact.conformance.reference import as_dtype_values, torch_vjp
from multiact.conformance.tolerances import judge

import multiact
from conftest import DISPATCHED_TARGET_DTYPES, DISPATCHED_TARGETS

pytest.importorskip("torch")


def _cotangent(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(7).uniform(0.5, 1.5, shape)


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
@pytest.mark.parametrize(("target", "dtype"), DISPATCHED_TARGET_DTYPES)
def test_vjp_matches_torch_autograd(target, dtype, activation, params):
    values = as_dtype_values(inputs(activation, dtype), dtype)
    g = as_dtype_values(_cotangent(values.shape), dtype)
    x, cotangent = target.asarray(values, dtype), target.asarray(g, dtype)
    grad = multiact.vjp(activation.name, x, cotangent, **params)
    assert type(grad) is type(x)
    assert grad.dtype == x.dtype
    expected = torch_vjp(activation, values, g, dtype, params)
    result = judge(
        activation.name,
        params,
        "gradient",
        target.name,
        dtype,
        values,
        target.to_numpy(grad),
        expected,
        g,
    )
    assert result.ok, result.message


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_jax_grad_follows_pytorchs_convention(activation, params):
    jax = pytest.importorskip("jax")
    values = inputs(activation, "float64")
    g = _cotangent(values.shape)
    fn = getattr(multiact, activation.name)
    _, pullback = jax.vjp(lambda x: fn(x, **params), jax.numpy.asarray(values))
    (grad,) = pullback(jax.numpy.asarray(g))
    expected = torch_vjp(activation, values, g, "float64", params)
    result = judge(
        activation.name, params, "gradient", "jax", "float64", values, np.asarray(grad), expected, g
    )
    assert result.ok, result.message


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_vjp_accepts_the_function_object_or_its_name(target):
    x = target.asarray(np.array([-1.0, 0.0, 2.0]), "float64")
    g = target.asarray(np.ones(3), "float64")
    by_name = target.to_numpy(multiact.vjp("relu", x, g))
    by_object = target.to_numpy(multiact.vjp(multiact.relu, x, g))
    np.testing.assert_array_equal(by_name, by_object)
    np.testing.assert_array_equal(by_name, [0.0, 0.0, 1.0])


def test_vjp_errors_name_the_argument():
    x = np.ones(3)
    with pytest.raises(TypeError, match="argument 'fn' must be a multiact activation"):
        multiact.vjp(np.exp, x, x)
    with pytest.raises(KeyError, match="no activation named 'nope'"):
        multiact.vjp("nope", x, x)
    with pytest.raises(
        ValueError, match=r"argument 'cotangent' must have the output's shape \(3,\)"
    ):
        multiact.vjp("gelu", x, np.ones(4))
    with pytest.raises(TypeError, match="argument 'cotangent' must be the same array type"):
        multiact.vjp("gelu", x, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="argument 'approximate' must be 'none' or 'tanh'"):
        multiact.vjp("gelu", x, x, approximate=True)
    with pytest.raises(TypeError, match="unexpected parameters"):
        multiact.vjp("relu", x, x, negative_slope=0.1)


def test_vjp_does_not_mutate_inputs():
    x = np.array([-1.0, 0.5, 2.0])
    g = np.ones(3)
    multiact.vjp("relu", x, g, inplace=True)
    np.testing.assert_array_equal(x, [-1.0, 0.5, 2.0])
