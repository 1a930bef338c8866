"""Real parameters given as arrays (multiact._traced): every activation with a real parameter,
each parameter, on PyTorch tensors and JAX arrays and tracers.

- values equal those with the same parameter as a Python number;
- ``jax.jit`` traces the parameter, ``jax.vmap`` maps over its values;
- the gradient with respect to the parameter: ``jax.grad`` equals torch autograd on every
  input (kinks, infinities and NaN included), and both equal central differences of the
  function away from its kinks;
- the gradient with respect to ``x`` is the one with a number (PyTorch's convention at kinks).
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import inputs

import multiact
from multiact import ACTIVATIONS

jax = pytest.importorskip("jax")
jnp = jax.numpy
torch = pytest.importorskip("torch")

#: (activation, parameterisation, parameter) for every real parameter of every activation.
REAL = [
    pytest.param(a, dict(params), p.name, id=f"{a.variant_label(params)}-{p.name}")
    for a in ACTIVATIONS.values()
    for params in a.parameterisations
    for p in a.params
    if p.kind == "real"
]


def _full(a, params: dict) -> dict:
    """Every real parameter's value (defaults filled in), as Python floats."""
    values = dict(zip(a.defaults, a.kernel_args(params), strict=True))
    return {p.name: float(values[p.name]) for p in a.params if p.kind == "real"}


def _f(a, params: dict):
    fn = getattr(multiact, a.name)
    return lambda x, **overrides: fn(x, **{**params, **overrides})


def _x(a) -> np.ndarray:
    return inputs(a, "float64")


def _smooth_x(a, params: dict) -> np.ndarray:
    """The activation's domain without the neighbourhoods of its kinks (for differences)."""
    grid = np.linspace(*a.domain, 97)
    kinks = np.array(a.kink_points(params) or (np.inf,))
    return grid[np.min(np.abs(grid[:, None] - kinks[None, :]), axis=1) > 1e-3]


def _weights(n: int) -> np.ndarray:
    return np.random.default_rng(n).uniform(0.5, 1.5, n)


def _close(actual, expected, rtol=1e-12, atol=0.0) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol, atol
    )


@pytest.mark.parametrize(("activation", "params", "name"), REAL)
def test_values_equal_those_with_a_number(activation, params, name):
    f, value = _f(activation, params), _full(activation, params)[name]
    x = _x(activation)
    # Each library against itself: XLA on the CPU flushes subnormal results to 0.
    j = jnp.asarray(x)
    _close(f(j, **{name: jnp.asarray(value)}), f(j, **{name: value}))
    t = torch.tensor(x)
    _close(f(t, **{name: torch.tensor(value, dtype=torch.float64)}), f(t, **{name: value}))
    # NumPy's 0-d array is read as the number it holds.
    np.testing.assert_array_equal(f(x, **{name: np.array(value)}), f(x, **{name: value}))


@pytest.mark.parametrize(("activation", "params", "name"), REAL)
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_values_in_narrower_dtypes(activation, params, name, dtype):
    # Computed in the dtype (float32 for the half precisions) as with a number: within a few
    # roundings of the number's result.
    f, value = _f(activation, params), _full(activation, params)[name]
    x = jnp.asarray(np.linspace(*activation.domain, 41), dtype=dtype)
    y = f(x, **{name: jnp.asarray(value, dtype=dtype)})
    assert y.dtype == x.dtype
    tolerance = {"float32": 1e-6, "float16": 2e-3, "bfloat16": 1.6e-2}[dtype]
    _close(y, f(x, **{name: value}), rtol=tolerance, atol=tolerance)
    t = torch.tensor(np.asarray(x, dtype=float)).to(getattr(torch, dtype))
    y = f(t, **{name: torch.tensor(value)})
    assert y.dtype == t.dtype
    _close(y.float(), f(t, **{name: value}).float(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize(("activation", "params", "name"), REAL)
def test_jit_traces_the_parameter(activation, params, name):
    f, value = _f(activation, params), _full(activation, params)[name]
    x = jnp.asarray(_x(activation))
    traced = jax.jit(lambda x, v: f(x, **{name: v}))
    _close(traced(x, value), f(x, **{name: value}))
    _close(traced(x, value / 2), f(x, **{name: value / 2}))  # the same compiled function


@pytest.mark.parametrize(("activation", "params", "name"), REAL)
def test_vmap_over_parameter_values(activation, params, name):
    f, value = _f(activation, params), _full(activation, params)[name]
    values = [value, value * 0.5, value + 0.25] if value else [0.0, 0.5, 1.5]
    others = _full(activation, params)
    for low, high in activation.ordered:  # keep every batch ordered
        values = [min(v, others[high]) if name == low else max(v, others[low]) for v in values]
    x = jnp.asarray(_x(activation))
    mapped = jax.vmap(lambda v: f(x, **{name: v}))(jnp.asarray(values))
    for row, v in zip(mapped, values, strict=True):
        _close(row, f(x, **{name: v}))


def _param_grads(activation, params, name, x: np.ndarray):
    """d/d(parameter) of sum(w * f(x)) by jax.grad and by torch autograd."""
    f, value = _f(activation, params), _full(activation, params)[name]
    w = _weights(x.size)

    def loss(v):
        return jnp.sum(jnp.asarray(w) * f(jnp.asarray(x), **{name: v}))

    by_jax = jax.grad(loss)(jnp.asarray(value))
    v = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    (torch.tensor(w) * f(torch.tensor(x), **{name: v})).sum().backward()
    return float(by_jax), float(v.grad), w


@pytest.mark.parametrize(("activation", "params", "name"), REAL)
def test_grad_with_respect_to_the_parameter_equals_torch_autograd(activation, params, name):
    # On every input: special values and kinks included (multiplied by 0 weights nowhere).
    by_jax, by_torch, _ = _param_grads(activation, params, name, _x(activation))
    _close(by_jax, by_torch, rtol=1e-12)


@pytest.mark.parametrize(("activation", "params", "name"), REAL)
def test_grad_with_respect_to_the_parameter_equals_differences(activation, params, name):
    x = _smooth_x(activation, params)
    by_jax, by_torch, w = _param_grads(activation, params, name, x)
    f, value = _f(activation, params), _full(activation, params)[name]
    h = 1e-6
    difference = float(
        np.sum(w * (f(x, **{name: value + h}) - f(x, **{name: value - h}))) / (2 * h)
    )
    _close(by_jax, difference, rtol=1e-6, atol=1e-6)
    _close(by_torch, difference, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("activation", "params", "name"), REAL)
def test_x_gradient_is_the_one_with_a_number(activation, params, name):
    # Every input, kinks included: PyTorch's convention there, whatever the parameter's type.
    f, value = _f(activation, params), _full(activation, params)[name]
    x = _x(activation)
    w = jnp.asarray(_weights(x.size))

    def with_jax(v):
        return jax.grad(lambda x: jnp.sum(w * f(x, **{name: v})))(jnp.asarray(x))

    _close(with_jax(jnp.asarray(value)), with_jax(value))

    def with_torch(v):
        t = torch.tensor(x, requires_grad=True)
        (torch.tensor(np.asarray(w)) * f(t, **{name: v})).sum().backward()
        return t.grad

    by_torch = with_torch(torch.tensor(value, dtype=torch.float64))
    _close(by_torch, with_jax(value))
    # PyTorch's own kernels disagree with themselves at NaN for the ELU family (NaN in the
    # vectorised loop, the incoming gradient in the scalar one); multiact gives NaN.
    number = ~np.isnan(x)
    _close(by_torch[number], with_torch(value)[number])


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("hardtanh", {"min_val": -2.5, "max_val": 1.9}),
        ("threshold", {"threshold": -1.5, "value": 7.0}),
    ],
)
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_integer_inputs_convert_array_parameters_as_numbers(name, params, dtype):
    fn = getattr(multiact, name)
    if dtype == "uint8":
        params = {k: abs(v) for k, v in params.items()}
        params = dict(zip(params, sorted(params.values()), strict=True))
    x = np.array([0, 1, 2, 5, 100], dtype=dtype)
    expected = fn(x, **params)
    for library, asarray in (("jax", jnp.asarray), ("torch", torch.tensor)):
        first = next(iter(params))
        y = fn(asarray(x), **{**params, first: asarray(params[first])})
        assert str(y.dtype).rpartition(".")[2] == dtype, library
        np.testing.assert_array_equal(np.asarray(y), expected)


def test_rrelu_in_training_mode_draws_slopes_between_array_bounds():
    x = -np.ones(2000)
    for y in (
        multiact.rrelu(
            jnp.asarray(x), jnp.asarray(0.1), jnp.asarray(0.3), training=True, generator=0
        ),
        multiact.rrelu(
            torch.tensor(x), torch.tensor(0.1), torch.tensor(0.3), training=True, generator=0
        ),
    ):
        slopes = -np.asarray(y)
        assert 0.1 <= slopes.min() < 0.11
        assert 0.29 < slopes.max() <= 0.3
    # The bounds get gradients: each slope is lower + (upper - lower) * u.
    lower = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    upper = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    y = multiact.rrelu(torch.tensor(x), lower, upper, training=True, generator=0)
    y.sum().backward()
    _close(lower.grad + upper.grad, -x.size, rtol=1e-12)
    grads = jax.grad(
        lambda lo, hi: multiact.rrelu(jnp.asarray(x), lo, hi, training=True, generator=1).sum(),
        argnums=(0, 1),
    )(0.1, 0.3)
    _close(sum(grads), -x.size, rtol=1e-12)


def test_a_learnable_tensor_parameter_trains():
    alpha = torch.nn.Parameter(torch.tensor(1.0))
    optimizer = torch.optim.SGD([alpha], lr=0.1)
    x, target = torch.linspace(-3, 1, 9), multiact.elu(torch.linspace(-3, 1, 9), 2.0)
    for _ in range(200):
        optimizer.zero_grad()
        ((multiact.elu(x, alpha) - target) ** 2).mean().backward()
        optimizer.step()
    assert abs(alpha.item() - 2.0) < 1e-3


@pytest.mark.filterwarnings(
    # Dynamo instantiates torch.autograd.Function itself while tracing one (see test_compile).
    "ignore:<class 'torch.autograd.function.Function'> should not be instantiated"
    ":DeprecationWarning"
)
def test_torch_compile_takes_a_tensor_parameter():
    compiled = torch.compile(lambda x, a: multiact.softplus(x, a), backend="eager", fullgraph=True)
    x = torch.linspace(-3, 3, 7)
    multiact.softplus(x, torch.tensor(1.0))  # dispatch's first look at a tensor, not traced
    beta = torch.tensor(2.0, requires_grad=True)
    y = compiled(x, beta)
    torch.testing.assert_close(y, multiact.softplus(x, 2.0))
    y.sum().backward()
    assert beta.grad is not None


def test_python_numbers_keep_the_fast_path_and_its_errors():
    x = jnp.ones(3)
    with pytest.raises(ValueError, match=r"multiact\.celu: argument 'alpha' must be non-zero"):
        multiact.celu(x, 0.0)
    with pytest.raises(ValueError, match=r"multiact\.softplus: argument 'threshold' must be fin"):
        multiact.softplus(x, jnp.asarray(1.0), float("nan"))  # a number beside an array
    with pytest.raises(TypeError, match=r"multiact\.elu: inplace=True needs a mutable array"):
        multiact.elu(x, jnp.asarray(1.0), inplace=True)
    t = torch.ones(3)
    y = multiact.elu_(t, torch.tensor(2.0))
    assert y is t
