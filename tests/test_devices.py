"""Arrays stay on their device, with no round trip through the host: checked here without a
GPU (the GPU run is conformance/gpu_run.py).

PyTorch's ``meta`` device holds no data, so any host round trip (``.item()``, ``.cpu()``,
``.numpy()``, ``float(t)``, a NumPy fallback) raises on it: every activation, through its
PyTorch kernel and through the generic array-API kernel, forward and backward, must give a
meta tensor. For JAX, ``jax.transfer_guard("disallow")`` turns any implicit transfer between
host and device into an error.
"""

from __future__ import annotations

import pytest
from cases import TYPICAL, output_shape

import multiact
from multiact._dispatch import backend_module

torch = pytest.importorskip("torch")


def _meta_call(activation, params, generic: bool, dtype):
    x = torch.empty((4, 6), device="meta", dtype=dtype, requires_grad=True)
    kwargs = {
        k: torch.tensor(v, device="meta", dtype=dtype) if isinstance(v, tuple) else v
        for k, v in params.items()
    }
    if generic:
        y = getattr(backend_module("generic"), activation.name)(x, *activation.kernel_args(kwargs))
    else:
        y = getattr(multiact, activation.name)(x, **kwargs)
    return x, y


@pytest.mark.filterwarnings(
    # The generic kernels convert and copy with xp.asarray, which on a tensor that requires
    # grad makes PyTorch 2.13 say that the copy now requires grad too (the gradient flows).
    "ignore:torch.asarray. unspecified requires_grad now defaults:UserWarning"
)
@pytest.mark.parametrize("path", ["dispatched", "generic"])
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_meta_tensors_stay_on_meta(activation, params, path):
    # float16: the generic kernels widen it to float32 and cast back, on the device.
    x, y = _meta_call(activation, params, path == "generic", torch.float16)
    assert y.device.type == "meta"
    assert y.dtype == torch.float16
    assert tuple(y.shape) == output_shape(activation, (4, 6), params)
    (grad,) = torch.autograd.grad(y, x, torch.ones_like(y))
    assert grad.device.type == "meta"
    assert grad.shape == x.shape


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_vjp_makes_nothing_on_the_default_device(activation, params):
    # multiact.vjp runs the derivative formulas on the tensors themselves: an array made on the
    # default device (an index from xp.arange, say) would be on the CPU beside a CUDA tensor,
    # which PyTorch refuses (the GPU run found glu doing that). Here the default device is
    # meta and the tensors are on the CPU: anything made on the default device cannot mix.
    x = torch.linspace(0.0, 3.0, 24, dtype=torch.float32).reshape(4, 6)  # log1mexp: x >= 0
    kwargs = {
        k: torch.tensor(v, dtype=x.dtype) if isinstance(v, tuple) else v for k, v in params.items()
    }
    g = torch.ones(output_shape(activation, (4, 6), params), dtype=x.dtype)
    expected = multiact.vjp(getattr(multiact, activation.name), x, g, **kwargs)
    with torch.device("meta"):
        grad = multiact.vjp(getattr(multiact, activation.name), x, g, **kwargs)
    assert grad.device.type == "cpu"
    torch.testing.assert_close(grad, expected, equal_nan=True, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float64", "bfloat16"])
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_jax_calls_make_no_host_transfer(activation, params, dtype):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    x = jnp.linspace(0.0, 3.0, 24, dtype=dtype).reshape(4, 6)  # >= 0: log1mexp's domain
    kwargs = {k: jnp.asarray(v, dtype) if isinstance(v, tuple) else v for k, v in params.items()}
    with jax.transfer_guard("disallow"):
        y = getattr(multiact, activation.name)(x, **kwargs)
    assert y.devices() == x.devices()
    assert y.dtype == x.dtype
