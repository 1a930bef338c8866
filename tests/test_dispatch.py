"""Dispatch: the right backend per array type, cached, tracers included, nothing imported."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import multiact
from conftest import DISPATCHED_TARGETS
from multiact import _dispatch


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_each_array_type_reaches_its_backend(target):
    x = target.asarray(np.ones(3), "float32")
    assert multiact.backend_for(x) == target.backend
    assert target.backend == _dispatch._BACKENDS[type(x)].NAME


def test_backend_is_cached_by_type(monkeypatch):
    x = np.ones(3)
    multiact.relu(x)

    def fail(x):
        raise AssertionError("resolved again instead of using the cache")

    monkeypatch.setattr(_dispatch, "_find", fail)
    np.testing.assert_array_equal(multiact.relu(-x), np.zeros(3))


def test_numpy_scalars_give_numpy_scalars():
    y = multiact.gelu(np.float32(1.0))
    assert type(y) is np.float32
    assert multiact.relu(np.float64(-2.0)) == 0.0
    assert type(multiact.softmax(np.float64(3.0))) is np.float64


def test_torch_parameter_subclass_dispatches_to_torch():
    torch = pytest.importorskip("torch")
    weight = torch.nn.Parameter(torch.tensor([-1.0, 2.0]))
    assert multiact.backend_for(weight) == "torch"
    y = multiact.gelu(weight)
    y.sum().backward()
    expected = torch.tensor([-1.0, 2.0], requires_grad=True)
    torch.nn.functional.gelu(expected).sum().backward()
    torch.testing.assert_close(weight.grad, expected.grad)


class _Transform:
    """Runs a multiact function under a JAX transform and records the tracer's backend."""

    def __init__(self) -> None:
        self.seen: list[tuple[type, str]] = []

    def __call__(self, x):
        y = multiact.softmax(multiact.gelu(x), axis=-1)
        self.seen.append((type(x), _dispatch._BACKENDS[type(x)].NAME))
        return multiact.sigmoid(y).sum()


@pytest.mark.parametrize("transform", ["jit", "grad", "vmap", "jit-grad", "vmap-grad"])
def test_jax_tracers_dispatch_to_the_jax_backend(transform):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    probe = _Transform()
    wrapped = {
        "jit": jax.jit(probe),
        "grad": jax.grad(probe),
        "vmap": jax.vmap(probe),
        "jit-grad": jax.jit(jax.grad(probe)),
        "vmap-grad": jax.vmap(jax.grad(probe)),
    }[transform]
    x = jnp.linspace(-2.0, 2.0, 12).reshape(3, 4)
    result = wrapped(x)
    assert probe.seen, "the function was not traced"
    tracer_types = {cls for cls, _ in probe.seen}
    assert all(cls.__module__.startswith("jax") for cls in tracer_types)
    assert {backend for _, backend in probe.seen} == {"jax"}

    def native(x):
        return jax.nn.sigmoid(jax.nn.softmax(jax.nn.gelu(x, approximate=False))).sum()

    expected = {
        "jit": native,
        "grad": jax.grad(native),
        "vmap": jax.vmap(native),
        "jit-grad": jax.grad(native),
        "vmap-grad": jax.vmap(jax.grad(native)),
    }[transform](x)
    np.testing.assert_allclose(np.asarray(result), np.asarray(expected), rtol=1e-6, atol=1e-7)


def test_torch_autograd_flows_through():
    torch = pytest.importorskip("torch")
    x = torch.linspace(-3, 3, 13, dtype=torch.float64, requires_grad=True)
    multiact.log_softmax(multiact.leaky_relu(x, 0.2), axis=0).sum().backward()
    reference = x.detach().clone().requires_grad_(True)
    torch.log_softmax(torch.nn.functional.leaky_relu(reference, 0.2), 0).sum().backward()
    torch.testing.assert_close(x.grad, reference.grad)


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.strip()


def test_import_multiact_imports_no_framework():
    loaded = _python(
        "import sys, multiact, multiact.nn\n"
        "heavy = ['torch', 'jax', 'tensorflow', 'mlx', 'scipy', 'dask', 'array_api_compat',\n"
        "         'array_api_strict']\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert loaded == "[]"


def test_numpy_calls_import_no_other_framework():
    # NumPy arrays go to the NumPy backend directly: array-api-compat's namespace set-up
    # (tens of milliseconds on first use) is never paid, and no other framework is loaded.
    loaded = _python(
        "import sys, numpy as np, multiact\n"
        "x = np.linspace(-3, 3, 8)\n"
        "for a in multiact.ACTIVATIONS.values():\n"
        "    params = dict(a.parameterisations[0])\n"
        "    params = {k: np.asarray(v) if isinstance(v, tuple) else v\n"
        "              for k, v in params.items()}\n"
        "    getattr(multiact, a.name)(x, **params)\n"
        "heavy = ['torch', 'jax', 'tensorflow', 'mlx', 'scipy', 'dask', 'array_api_compat',\n"
        "         'array_api_strict']\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert loaded == "[]"


def test_a_first_call_inside_torch_compile_fullgraph():
    """The torch backend loads on the first call with a tensor, which may be inside a function
    torch.compile traces with fullgraph=True: a fresh interpreter, so that nothing has loaded
    it before (dynamo refuses importlib.import_module, and runs an import statement)."""
    pytest.importorskip("torch")
    code = (
        "import torch, multiact\n"
        "f = torch.compile(lambda t: multiact.gelu(t), fullgraph=True, backend='eager')\n"
        "print(f(torch.tensor([1.0, -2.0])).tolist())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["[0.8413447141647339,", "-0.04550027847290039]"]
