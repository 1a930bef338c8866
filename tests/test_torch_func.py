"""Every activation (every variant; rrelu in eval mode) on torch tensors under torch.func's
transforms, ``grad``, ``vmap``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian``, gives what eager
autograd gives: per-sample gradients and physics-informed networks use them.

Second derivatives through eager autograd (``create_graph=True``) and through JAX are checked
against PyTorch's own double backward in test_second_order.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import VARIANTS

import multiact

torch = pytest.importorskip("torch")
func = torch.func

pytestmark = [
    # PyTorch's own warning for its glu under vmap (aten::glu_jvp and glu_backward_jvp have no
    # batching rule, so functorch loops over the batch): slower, not wrong.
    pytest.mark.filterwarnings(
        "ignore:There is a performance drop because we have not yet implemented the batching "
        "rule:UserWarning"
    ),
    # PyTorch's forward-mode AD loads its jvp decompositions with torch.jit.script on first use
    # (torch/_decomp/decompositions_for_jvp.py), which warns that torch.jit.script is
    # deprecated: PyTorch's internals, not this code's use.
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
]

#: Activations whose PyTorch function is differentiable once only: PyTorch has no derivative
#: for hardsigmoid_backward (nor a forward-mode one), so torch.func.hessian refuses
#: torch.nn.functional.hardsigmoid, and multiact's, which is PyTorch's kernel.
ONCE_DIFFERENTIABLE_IN_PYTORCH = frozenset({"hardsigmoid"})


def _function(activation, params):
    fn = getattr(multiact, activation.name)
    kwargs = {
        k: torch.tensor(v, dtype=torch.float64) if isinstance(v, tuple) else v
        for k, v in params.items()
    }
    return lambda x: fn(x, **kwargs)


def _input(activation, seed: int = 0, shape: tuple[int, ...] = (4, 6)) -> torch.Tensor:
    """Random values across the activation's domain: none falls exactly on a kink."""
    low, high = activation.domain
    values = np.random.default_rng(seed).uniform(low, high, shape)
    return torch.tensor(values)


def _weights(y: torch.Tensor, seed: int = 1) -> torch.Tensor:
    return torch.tensor(np.random.default_rng(seed).uniform(0.5, 1.5, tuple(y.shape)))


def _close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    # The same formulas, batched or not: equal to rounding.
    torch.testing.assert_close(actual, expected, rtol=1e-12, atol=1e-14, equal_nan=True)


def _eager_grad(f, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad((w * f(x)).sum(), x)
    return grad


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_grad_equals_eager_autograd(activation, params):
    f, x = _function(activation, params), _input(activation)
    w = _weights(f(x))
    actual = func.grad(lambda x: (w * f(x)).sum())(x)
    _close(actual, _eager_grad(f, x, w))


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_vmap_equals_a_loop_over_rows(activation, params):
    # Each row is one sample: a softmax-like's axis (and glu's) is then the row's own axis.
    f, x = _function(activation, params), _input(activation)
    _close(func.vmap(f)(x), torch.stack([f(row) for row in x]))


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_per_sample_gradients_equal_eager_autograd(activation, params):
    f, x = _function(activation, params), _input(activation)
    w = torch.stack([_weights(f(row), seed=i) for i, row in enumerate(x)])

    def loss(row: torch.Tensor, w_row: torch.Tensor) -> torch.Tensor:
        return (w_row * f(row)).sum()

    actual = func.vmap(func.grad(loss))(x, w)
    expected = torch.stack([_eager_grad(f, row, w_row) for row, w_row in zip(x, w, strict=True)])
    _close(actual, expected)


def _eager_jacobian(f, x: torch.Tensor) -> torch.Tensor:
    # Reverse mode, one output element at a time, no torch.func inside.
    return torch.autograd.functional.jacobian(f, x, vectorize=False)


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_jvp_equals_the_eager_jacobian_times_the_tangent(activation, params):
    f, x = _function(activation, params), _input(activation)
    t = _input(activation, seed=2) - x
    y, tangent = func.jvp(f, (x,), (t,))
    _close(y, f(x))
    jacobian = _eager_jacobian(f, x)
    expected = (jacobian.reshape(y.numel(), x.numel()) @ t.reshape(-1)).reshape(y.shape)
    _close(tangent, expected)


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_jacobian_equals_eager_autograd(activation, params, transform):
    f, x = _function(activation, params), _input(activation)
    _close(getattr(func, transform)(f)(x), _eager_jacobian(f, x))


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_hessian_equals_eager_double_backward(activation, params):
    f, x = _function(activation, params), _input(activation)
    w = _weights(f(x))

    def loss(x: torch.Tensor) -> torch.Tensor:
        return (w * f(x)).sum()

    if activation.name in ONCE_DIFFERENTIABLE_IN_PYTORCH:
        torch_fn = getattr(torch.nn.functional, activation.names.torch.rpartition(".")[2])
        for fn in (f, torch_fn):
            with pytest.raises(NotImplementedError, match="forward AD"):
                func.hessian(lambda x, fn=fn: (w * fn(x)).sum())(x)
        return
    expected = torch.autograd.functional.hessian(loss, x, vectorize=False)
    _close(func.hessian(loss)(x), expected)


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_grad_of_grad_equals_eager_double_backward(activation, params):
    # Reverse over reverse, the other way to a second derivative (elementwise: the Hessian's
    # diagonal; reducing: the gradient of the gradient's sum).
    if activation.name in ONCE_DIFFERENTIABLE_IN_PYTORCH:
        pytest.skip("PyTorch's own function has no second derivative (see the hessian test)")
    f, x = _function(activation, params), _input(activation)
    w = _weights(f(x))

    def gradient_sum(x: torch.Tensor) -> torch.Tensor:
        return func.grad(lambda x: (w * f(x)).sum())(x).sum()

    actual = func.grad(gradient_sum)(x)
    leaf = x.detach().requires_grad_(True)
    (first,) = torch.autograd.grad((w * f(leaf)).sum(), leaf, create_graph=True)
    if not first.requires_grad:  # a linear function (identity): autograd's zero
        expected = torch.zeros_like(x)
    else:
        (expected,) = torch.autograd.grad(first.sum(), leaf)
    _close(actual, expected)


def test_the_analytic_functions_have_a_custom_jvp_and_vmap_rule():
    # The four activations that reported the issue, in the transforms that refused them:
    # torch.func.jvp, vmap(grad(...)) and jacrev.
    x = torch.tensor([0.25, 0.5, 1.5, 3.0], dtype=torch.float64)
    for name in ("squareplus", "sparse_plus", "sparse_sigmoid", "log1mexp"):
        f = getattr(multiact, name)
        _, tangent = func.jvp(f, (x,), (torch.ones_like(x),))
        per_sample = func.vmap(func.grad(f))(x)
        jacobian = func.jacrev(f)(x)
        _close(tangent, per_sample)
        _close(torch.diagonal(jacobian), per_sample)
        assert torch.count_nonzero(jacobian - torch.diag(per_sample)) == 0
