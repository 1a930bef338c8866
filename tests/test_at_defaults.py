"""Kernels at the defaults (``Backend.AT_DEFAULTS``): PyTorch's builtins, which the public
functions call for a call with every parameter left at its default, give what the full
kernels give, and their errors reach the caller as the full kernels word them."""

from __future__ import annotations

import pytest

import multiact
from multiact._registry import ACTIVATIONS

torch = pytest.importorskip("torch")
torch_backend = pytest.importorskip("multiact.backends.torch")

FAST = [name for name in ACTIVATIONS if getattr(torch_backend.AT_DEFAULTS, name) is not None]
DTYPES = ["float16", "bfloat16", "float32", "float64"]


def test_every_activation_has_an_entry():
    # The generated functions read AT_DEFAULTS.NAME without getattr: a missing one would be
    # an AttributeError on the call.
    for name in ACTIVATIONS:
        assert hasattr(torch_backend.AT_DEFAULTS, name), name
    assert {"relu", "gelu", "softplus", "elu", "silu", "mish"} <= set(FAST)


def _inputs(dtype: str) -> torch.Tensor:
    values = [-30.0, -3.0, -1.0, -0.5, -0.0, 0.0, 1e-3, 0.5, 1.0, 3.0, 30.0]
    specials = [float("inf"), float("-inf"), float("nan")]
    return torch.tensor(values + specials, dtype=getattr(torch, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FAST)
def test_fast_kernel_is_the_full_kernel_at_the_defaults(name, dtype):
    x = _inputs(dtype)
    defaults = [p.default for p in ACTIVATIONS[name].params]
    full = getattr(torch_backend, name)(x, *defaults)
    fast = getattr(torch_backend.AT_DEFAULTS, name)(x)
    # The same PyTorch call in one process: the same bits, NaNs and zero signs included.
    assert fast.dtype == full.dtype
    assert torch.equal(torch.signbit(fast), torch.signbit(full)), (x, fast, full)
    assert torch.allclose(fast, full, rtol=0, atol=0, equal_nan=True), (x, fast, full)
    assert torch.equal(getattr(multiact, name)(x).isnan(), full.isnan())


@pytest.mark.parametrize("name", FAST)
def test_public_function_takes_the_fast_kernel_and_keeps_gradients(name):
    x = _inputs("float64")[:-3].requires_grad_()
    y = getattr(multiact, name)(x)
    defaults = [p.default for p in ACTIVATIONS[name].params]
    expected = getattr(torch_backend, name)(x, *defaults)
    assert torch.equal(y, expected)
    (g,) = torch.autograd.grad(y.sum(), x)
    (e,) = torch.autograd.grad(expected.sum(), x)
    assert torch.equal(g, e)


def test_an_error_of_the_fast_kernel_is_worded_by_multiact():
    # PyTorch has no relu kernel for uint16: its NotImplementedError, raised by the builtin,
    # reaches the caller as multiact's dtype error, as from the full kernel.
    x = torch.tensor([1, 2], dtype=torch.uint16)
    with pytest.raises(TypeError, match=r"multiact\.relu: .*PyTorch has no relu kernel"):
        multiact.relu(x)


def test_a_parameter_equal_to_its_default_gives_the_same_result():
    # Recognised by identity only: an equal value takes the full kernel, to the same answer.
    x = _inputs("float32")
    assert torch.equal(
        multiact.leaky_relu(x, float("0.01")).nan_to_num(), multiact.leaky_relu(x).nan_to_num()
    )
    assert torch.equal(multiact.softplus(x, 1, 20).nan_to_num(), multiact.softplus(x).nan_to_num())
    with pytest.raises(ValueError, match=r"multiact\.softplus: argument 'beta'"):
        multiact.softplus(x, 0.0)
