"""Second derivatives: eager autograd's double backward on torch tensors and ``jax.hessian`` on
JAX arrays, for every activation and variant (rrelu in eval mode).

The reference is PyTorch's own double backward where PyTorch has the function; otherwise the
second derivative of the exact definition (mpmath, away from kinks) for elementwise functions,
and central differences of the first derivative (``multiact.vjp`` on NumPy) for sparsemax.
Each check is a Hessian-vector product ``H v`` of ``loss(x) = sum(w * f(x))``.

Not compared: +-inf, where PyTorch's double backward of gelu (tanh form), silu, mish and
softsign gives NaN (inf * 0) and JAX's second derivative the limit, 0; and +-float64's max,
where PyTorch's double backward of gelu overflows to NaN and JAX gives 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import VARIANTS, inputs
from test_torch_func import ONCE_DIFFERENTIABLE_IN_PYTORCH

import multiact

torch = pytest.importorskip("torch")
mpmath = pytest.importorskip("mpmath")

_PAD = 128  # more than the tail of PyTorch's widest vectorised loop
#: PyTorch's code paths beside the contiguous one (see multiact.conformance.reference.LAYOUTS).
LAYOUTS = ("vectorised", "strided")


def _points(activation) -> np.ndarray:
    """Elementwise: the test grid with the ordinary special values (0, -0, +-1, +-1e-45) and
    NaN; softmax-likes and glu: random rows (with an even length along both axes)."""
    if activation.reduces:
        return np.random.default_rng(3).normal(0.0, 2.0, (4, 6))
    values = inputs(activation, "float64")
    return values[np.isnan(values) | (np.abs(values) < 1e300)]


def _vectors(activation, params, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(w, v): the loss's weights (the output's shape) and the direction (the input's)."""
    shape = list(values.shape)
    if activation.halves_axis:
        shape[params.get("axis", -1)] //= 2
    rng = np.random.default_rng(5)
    return rng.uniform(0.5, 1.5, shape), rng.uniform(-1.0, 1.0, values.shape)


def _torch_kwargs(activation, params: dict, like) -> dict:
    return {
        k: torch.tensor(v, dtype=like.dtype) if isinstance(v, tuple) else v
        for k, v in params.items()
    }


def _pytorch_function(activation, params: dict):
    """PyTorch's own function with multiact's parameters, or None where PyTorch has none."""
    if activation.names.torch is None:
        return None
    from multiact.conformance.reference import _torch_kwargs as torch_kwargs
    from multiact.conformance.reference import torch_function

    fn = torch_function(activation)
    return lambda x: fn(x, **torch_kwargs(activation, params, x))


def _torch_hvp(fn, values: np.ndarray, w: np.ndarray, v: np.ndarray, layout: str = "") -> tuple:
    """(first derivative, H v) of sum(w * fn(x)) by eager double backward, as float64 arrays.

    ``layout``: '' contiguous, 'vectorised' padded so that every value takes PyTorch's
    vectorised loop, 'strided' every other element of a larger tensor (its scalar loop).
    """
    shape, n = values.shape, values.size
    if layout == "vectorised":
        values, w, v = (np.concatenate([a.ravel(), np.ones(_PAD)]) for a in (values, w, v))
    if layout == "strided":
        base = torch.zeros((*shape[:-1], 2 * shape[-1]), dtype=torch.float64)
        base[..., ::2] = torch.tensor(values)
        x = base.requires_grad_(True)[..., ::2]
    else:
        x = torch.tensor(values, requires_grad=True)
    (first,) = torch.autograd.grad((torch.tensor(w) * fn(x)).sum(), x, create_graph=True)
    (hvp,) = torch.autograd.grad((torch.tensor(v) * first).sum(), x)
    first, hvp = (a.detach().numpy().ravel()[:n] for a in (first, hvp))
    return first.reshape(shape), hvp.reshape(shape)


def _math_kwargs(activation, params: dict) -> dict:
    return {
        p.name: params.get(p.name, p.default)
        for p in activation.math_params
        if p.kind not in ("axis", "array")
    }


def _exact_hvp(activation, params, values, w, v) -> tuple[np.ndarray, np.ndarray]:
    """(w * f'' * v by mpmath from the exact definition, mask of the points it cannot judge:
    kinks, non-finite inputs and values outside the domain)."""
    kwargs = _math_kwargs(activation, params)
    kinks = activation.kink_points(params)
    out = np.zeros(values.shape)
    skip = ~np.isfinite(values)
    for k in kinks:
        skip |= np.abs(values - k) <= 1e-6 * max(1.0, abs(k))
    with mpmath.workdps(40):
        for i, x in enumerate(values.ravel()):
            if skip.ravel()[i]:
                continue
            point = mpmath.mpf(float(x))
            value = activation.exact(mpmath, point, **kwargs)
            if not (isinstance(value, mpmath.mpf) and mpmath.isfinite(value)):
                skip.ravel()[i] = True  # outside the domain (log1mexp below 0)
                continue
            step = mpmath.mpf(max(abs(float(x)), 1e-30)) * mpmath.mpf(10) ** -12
            d2 = mpmath.diff(lambda t: activation.exact(mpmath, t, **kwargs), point, 2, h=step)
            out.ravel()[i] = float(w.ravel()[i] * d2 * v.ravel()[i])
    return out, skip


def _finite_difference_hvp(activation, params, values, w, v, h=1e-6) -> np.ndarray:
    """H v by central differences of the analytic gradient (multiact.vjp on NumPy)."""

    def gradient(x: np.ndarray) -> np.ndarray:
        return multiact.vjp(activation.name, x, w, **params)

    return (gradient(values + h * v) - gradient(values - h * v)) / (2 * h)


def _reference_hvp(activation, params, values, w, v) -> tuple[np.ndarray, np.ndarray, list]:
    """(H v, mask of the points not judged, PyTorch's H v by its other code paths)."""
    torch_fn = _pytorch_function(activation, params)
    if torch_fn is not None and activation.name not in ONCE_DIFFERENTIABLE_IN_PYTORCH:
        _, expected = _torch_hvp(torch_fn, values, w, v)
        paths = []
        if not activation.reduces:  # an elementwise function's value does not move with layout
            paths = [_torch_hvp(torch_fn, values, w, v, layout)[1] for layout in LAYOUTS]
        return expected, np.zeros(values.shape, bool), paths
    if activation.reduces:
        expected = _finite_difference_hvp(activation, params, values, w, v)
        return expected, np.zeros(values.shape, bool), []
    expected, skip = _exact_hvp(activation, params, values, w, v)
    return expected, skip, []


def _judge(values, actual, expected, skip, paths, what: str) -> None:
    """Each judged point equals the reference, or PyTorch's value by another of its loops
    (they disagree at NaN for the ELU family: NaN in the vectorised loop, 0 in the scalar)."""
    finite = np.abs(expected[np.isfinite(expected)])
    atol = 1e-13 * max(float(finite.max(initial=0.0)), 1.0)
    ok = skip.copy()
    for candidate in (expected, *paths):
        ok |= np.isclose(actual, candidate, rtol=1e-9, atol=atol, equal_nan=True)
    assert ok.all(), f"{what}: at x = {values[~ok]}, {actual[~ok]}, expected {expected[~ok]}"


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_torch_double_backward(activation, params):
    values = _points(activation)
    w, v = _vectors(activation, params, values)
    fn = getattr(multiact, activation.name)
    mine = lambda x: fn(x, **_torch_kwargs(activation, params, x))  # noqa: E731
    torch_fn = _pytorch_function(activation, params)
    if activation.name == "identity":
        # Linear: autograd leaves its first derivative constant, outside any graph, for
        # multiact's (torch.clone) as for PyTorch's torch.nn.Identity.
        torch_fn = torch.nn.Identity()
    if activation.name == "identity" or activation.name in ONCE_DIFFERENTIABLE_IN_PYTORCH:
        # Where PyTorch's own function refuses a second derivative, so does multiact's (it is
        # PyTorch's kernel, or torch.clone): the same error, not a different answer.
        error = "does not require grad" if activation.name == "identity" else "not implemented"
        for f in (torch_fn, mine):
            with pytest.raises(RuntimeError, match=error):
                _torch_hvp(f, values, w, v)
        return
    _, actual = _torch_hvp(mine, values, w, v)
    expected, skip, paths = _reference_hvp(activation, params, values, w, v)
    if skip.all():
        pytest.skip("no point the reference can judge")
    _judge(values, actual, expected, skip, paths, f"{activation.name} H v (torch)")


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_zero_second_derivative_is_a_zero_tensor(activation, params):
    # sparse_sigmoid's derivative is a constant where it is not 0, and sparsemax is piecewise
    # linear: differentiating their gradients again gives zeros, as PyTorch does for hardtanh's
    # or relu's, not autograd's "does not require grad" error.
    if activation.name == "identity" or activation.name in ONCE_DIFFERENTIABLE_IN_PYTORCH:
        pytest.skip("PyTorch's own function has no second derivative either")
    values = _points(activation)
    fn = getattr(multiact, activation.name)
    x = torch.tensor(values, requires_grad=True)
    y = fn(x, **_torch_kwargs(activation, params, x))
    (first,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    assert first.requires_grad
    (second,) = torch.autograd.grad(first.sum(), x)
    assert isinstance(second, torch.Tensor)
    assert second.shape == x.shape


#: The activations whose torch backward is multiact's (the others are PyTorch's kernels).
NOT_IN_PYTORCH = [p for p in VARIANTS if p.values[0].names.torch is None]


@pytest.mark.parametrize(("activation", "params"), NOT_IN_PYTORCH)
def test_create_graph_leaves_the_first_derivative_unchanged(activation, params):
    # Special values included: the term that keeps the gradient in the graph is -0.0, which
    # changes no value and no zero's sign. (Not so PyTorch's own silu and mish: with
    # create_graph=True their backward is a composite formula, some ULP from the kernel.)
    values = inputs(activation, "float64")
    fn = getattr(multiact, activation.name)
    grads = []
    for create_graph in (False, True):
        x = torch.tensor(values, requires_grad=True)
        y = fn(x, **_torch_kwargs(activation, params, x))
        g = torch.tensor(np.random.default_rng(0).uniform(0.5, 1.5, tuple(y.shape)))
        (grad,) = torch.autograd.grad(y, x, g, create_graph=create_graph)
        grads.append(grad.detach().numpy())
    np.testing.assert_array_equal(grads[1], grads[0])
    np.testing.assert_array_equal(np.signbit(grads[1]), np.signbit(grads[0]))


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_jax_hessian(activation, params):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    values = _points(activation)
    w, v = _vectors(activation, params, values)
    fn = getattr(multiact, activation.name)
    kwargs = {k: jnp.asarray(val) if isinstance(val, tuple) else val for k, val in params.items()}

    def loss(x):
        return (jnp.asarray(w) * fn(x, **kwargs)).sum()

    x = jnp.asarray(values)
    hessian = np.asarray(jax.hessian(loss)(x))
    n = values.size
    matrix = hessian.reshape(n, n)
    if not activation.reduces:
        off_diagonal = matrix[~np.eye(n, dtype=bool)]
        assert np.count_nonzero(off_diagonal[~np.isnan(off_diagonal)]) == 0
        actual = np.diagonal(matrix) * v.ravel()
    else:
        actual = matrix @ v.ravel()
    actual = actual.reshape(values.shape)
    expected, skip, paths = _reference_hvp(activation, params, values, w, v)
    _judge(values, actual, expected, skip, paths, f"{activation.name} H v (jax.hessian)")


@pytest.mark.parametrize(
    ("activation", "params"), [p for p in NOT_IN_PYTORCH if p.values[0].name != "identity"]
)
def test_torch_and_jax_second_derivatives_agree_everywhere(activation, params):
    # The activations PyTorch lacks take their derivatives from multiact._derivatives on both
    # backends: at kinks, infinities and NaN too, their second derivatives are the same.
    jax = pytest.importorskip("jax")
    values = inputs(activation, "float64")
    w, v = _vectors(activation, params, values)
    fn = getattr(multiact, activation.name)
    _, on_torch = _torch_hvp(lambda x: fn(x, **params), values, w, v)

    def loss(x):
        return (jax.numpy.asarray(w) * fn(x, **params)).sum()

    _, hvp = jax.jvp(jax.grad(loss), (jax.numpy.asarray(values),), (jax.numpy.asarray(v),))
    np.testing.assert_allclose(np.asarray(hvp), on_torch, rtol=1e-12, atol=0, equal_nan=True)
