"""Gradients: ``multiact.vjp`` on every backend, and autograd through the native backends,
against PyTorch's autograd (or, for activations PyTorch lacks, mpmath's derivative of the
exact definition), including the kinks and special values."""

from __future__ import annotations

import numpy as np
import pytest
from cases import VARIANTS, exact_vjp_reference, inputs
from multiact.conformance.reference import as_dtype_values, layouts_for, torch_vjp
from multiact.conformance.tolerances import judge

import multiact
from conftest import DISPATCHED_TARGET_DTYPES, DISPATCHED_TARGETS

pytest.importorskip("torch")


def _cotangent(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(7).uniform(0.5, 1.5, shape)


def _output_shape(activation, values: np.ndarray, params: dict) -> tuple[int, ...]:
    shape = list(values.shape)
    if activation.halves_axis:
        shape[params.get("axis", -1)] //= 2
    return tuple(shape)


def _reference_vjp(activation, values, g, dtype, params) -> tuple[np.ndarray, list, np.ndarray]:
    """(reference gradient, PyTorch's gradients by its other code paths, mask of points the
    reference cannot judge).

    PyTorch's autograd judges every point (where its vectorised and scalar loops disagree,
    as for the ELU family at NaN, either answer is PyTorch's); mpmath's numerical derivative of
    ``exact`` (for the activations PyTorch lacks) cannot judge kinks or non-finite inputs.
    """
    if activation.names.torch is not None:
        paths = [
            torch_vjp(activation, values, g, dtype, params, layout=layout)
            for layout in layouts_for(activation, params)
        ]
        reference = torch_vjp(activation, values, g, dtype, params)
        return reference, paths, np.zeros(values.shape, bool)
    return _exact(activation, values, g, dtype, params)


def _exact(activation, values, g, dtype, params) -> tuple[np.ndarray, list, np.ndarray]:
    expected, unjudged = exact_vjp_reference(activation, values, g, dtype, params)
    return expected, [], unjudged


def _check(activation, params, target_name, dtype, values, actual, g, mode=None):
    plain = {k: v for k, v in params.items()}
    expected, paths, unjudged = _reference_vjp(activation, values, g, dtype, plain)
    if unjudged.all():
        pytest.skip("no point the reference can judge")
    actual = np.where(unjudged, 0.0, actual)
    expected = np.where(unjudged, 0.0, expected)
    result = judge(
        activation.name,
        plain,
        "gradient",
        target_name,
        dtype,
        values,
        actual,
        expected,
        g,
        mode=mode,
        other_paths=paths,
    )
    assert result.ok, result.message


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
@pytest.mark.parametrize(("target", "dtype"), DISPATCHED_TARGET_DTYPES)
def test_vjp_matches_the_reference(target, dtype, activation, params):
    values = as_dtype_values(inputs(activation, dtype), dtype)
    x = target.asarray(values, dtype)
    g = as_dtype_values(_cotangent(_output_shape(activation, values, params)), dtype)
    cotangent = target.asarray(g, dtype)
    grad = multiact.vjp(
        activation.name, x, cotangent, **target.array_params(activation.name, params, x)
    )
    assert type(grad) is type(x)
    assert grad.dtype == x.dtype
    _check(activation, params, target.name, dtype, values, target.to_numpy(grad), g)


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_jax_grad_follows_pytorchs_convention(activation, params):
    jax = pytest.importorskip("jax")
    values = inputs(activation, "float64")
    jax_params = {k: jax.numpy.asarray(v) if isinstance(v, tuple) else v for k, v in params.items()}
    g = _cotangent(_output_shape(activation, values, params))
    fn = getattr(multiact, activation.name)
    _, pullback = jax.vjp(lambda x: fn(x, **jax_params), jax.numpy.asarray(values))
    (grad,) = pullback(jax.numpy.asarray(g))
    _check(activation, params, "jax", "float64", values, np.asarray(grad), g, mode="autograd")


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_torch_autograd_through_multiact(activation, params):
    torch = pytest.importorskip("torch")
    values = inputs(activation, "float64")
    x = torch.tensor(values, requires_grad=True)
    torch_params = {
        k: torch.tensor(v, dtype=torch.float64) if isinstance(v, tuple) else v
        for k, v in params.items()
    }
    y = getattr(multiact, activation.name)(x, **torch_params)
    g = _cotangent(tuple(y.shape))
    (grad,) = torch.autograd.grad(y, x, torch.tensor(g))
    _check(activation, params, "torch", "float64", values, grad.numpy(), g, mode="autograd")


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
    with pytest.raises(TypeError, match="unexpected keyword argument 'negative_slope'"):
        multiact.vjp("relu", x, x, negative_slope=0.1)
    with pytest.raises(ValueError, match="training=True draws random slopes"):
        multiact.vjp("rrelu", x, x, training=True, generator=0)


def test_vjp_does_not_mutate_inputs():
    x = np.array([-1.0, 0.5, 2.0])
    g = np.ones(3)
    multiact.vjp("relu", x, g, inplace=True)
    np.testing.assert_array_equal(x, [-1.0, 0.5, 2.0])


EXTRAS = [
    pytest.param(a, dict(a.parameterisations[0]), id=a.name)
    for a in multiact.ACTIVATIONS.values()
    if a.names.torch is None
]


@pytest.mark.parametrize(("activation", "params"), EXTRAS)
def test_autograd_of_extras_uses_the_analytic_derivative_everywhere(activation, params):
    # At kinks, 0, infinities and NaN too, where the mpmath reference cannot judge: torch
    # autograd and jax.grad give exactly what multiact.vjp gives.
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    kinks = list(activation.kink_points(params))
    values = np.array([*kinks, 0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -3.0, 2.5])
    if activation.reduces:
        values = values[:8].reshape(2, 4)
    g = _cotangent(values.shape)
    expected = multiact.vjp(activation.name, values, g, **params)
    x = torch.tensor(values, requires_grad=True)
    (torch_grad,) = torch.autograd.grad(
        getattr(multiact, activation.name)(x, **params), x, torch.tensor(g)
    )
    np.testing.assert_allclose(torch_grad.numpy(), expected, rtol=1e-12)
    _, pullback = jax.vjp(lambda v: getattr(multiact, activation.name)(v, **params), values)
    np.testing.assert_allclose(np.asarray(pullback(jax.numpy.asarray(g))[0]), expected, rtol=1e-15)


@pytest.mark.parametrize(
    "activation",
    [a for a in multiact.ACTIVATIONS.values() if a.reduces and not a.halves_axis],
    ids=lambda a: a.name,
)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_vjp_of_a_reduction_on_a_0d_array(target, activation):
    # A 0-d input is one row of one element, in the gradient as in the forward call.
    x = target.asarray(np.array(2.0), "float64")
    grad = multiact.vjp(activation.name, x, target.asarray(np.array(1.5), "float64"))
    assert tuple(grad.shape) == ()
    assert target.to_numpy(grad) == 0.0


def test_log1mexp_gradient_is_finite_up_to_the_dtype_range():
    # d/dx log1mexp = 1/expm1(x) ~ 1/x: finite while 1/x fits the dtype, inf only beyond.
    x = np.array([3.67e-39, 2.95e-39, 1e-39, 0.0], dtype=np.float32)
    grad = multiact.vjp("log1mexp", x, np.ones(4, np.float32))
    np.testing.assert_allclose(grad[:2], 1.0 / x[:2].astype(np.float64), rtol=1e-6)
    assert np.isinf(grad[2:]).all()


@pytest.mark.parametrize("b", [0.0, 1.0, 4.0])
def test_squareplus_on_tensors_at_the_dtype_limits(b):
    # Found by the GPU run and beside it: hypot overflowed at float64's max on CUDA (half the
    # gradient), and PyTorch's float / tensor, computed as float * (1 / tensor), gave NaN for
    # b = 0 at subnormal x. The tensor results must be NumPy's, forward and gradient.
    import torch

    big = float(np.finfo(np.float64).max)
    x = np.array([5e-324, -5e-324, 1e-310, -1e-310, big, -big, 1e200, -1e200, 3.0, -7.0])
    g = np.ones_like(x)
    t = torch.tensor(x, requires_grad=True)
    y = multiact.squareplus(t, b=b)
    (grad,) = torch.autograd.grad(y, t, torch.ones_like(t))
    np.testing.assert_array_equal(y.detach().numpy(), multiact.squareplus(x, b=b))
    np.testing.assert_array_equal(grad.numpy(), multiact.vjp(multiact.squareplus, x, g, b=b))
    expected = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]) if b == 0 else None
    if expected is not None:  # b = 0: squareplus is relu, its derivative 1 above 0, 0 below
        np.testing.assert_array_equal(grad.numpy()[:8], expected)
    assert grad.numpy()[4] == 1.0  # at float64's max: 1, not the 1/2 of an overflowed hypot
