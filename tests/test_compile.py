"""torch.compile(fullgraph=True) captures every activation in one graph, dispatch included,
and gives the eager values and gradients.

``fullgraph=True`` turns any graph break into an error, so a passing call proves that dynamo
traced multiact's dispatch (the ``type(x)`` lookup, and on a cold cache the backend import)
and the torch backend's autograd Functions. Every activation is compiled with the
``aot_eager`` backend (dynamo plus AOT autograd: the capture and the autograd tracing, without
inductor's C++ build, which costs seconds per graph); a few with inductor, the default.
(The JAX transforms, jit, vmap and grad, are tested in test_transforms.py.)
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from cases import TYPICAL, concrete

import multiact
from multiact._dispatch import _BACKENDS

torch = pytest.importorskip("torch")

pytestmark = [
    # Dynamo instantiates torch.autograd.Function itself while tracing one (torch's own
    # deprecation, raised inside torch._dynamo.side_effects, not by multiact's code).
    pytest.mark.filterwarnings(
        "ignore:<class 'torch.autograd.function.Function'> should not be instantiated"
        ":DeprecationWarning"
    ),
    # array_api_compat's cumulative_sum (sparsemax's generic kernel, which the torch backend
    # runs) calls its lru_cache'd array_namespace; dynamo traces through the cache and says so,
    # once per cached helper in array_api_compat/common/_helpers.py.
    pytest.mark.filterwarnings(
        "ignore:Dynamo detected a call to a `functools.lru_cache`-wrapped function"
        " at '_helpers.py:UserWarning"
    ),
]

#: Points where PyTorch's eager result is not one value: (activation, input) -> why skipped.
#: (conformance/tolerances.py records the same for relu6, hardtanh and softshrink, whose
#: compiled gradients happen to match eager ones on this input.)
_EAGER_IS_INCONSISTENT = {
    ("hardshrink", "nan"): "PyTorch's eager CPU hardshrink backward gives 0 at NaN on its "
    "vectorised path (8 or more float64) and the cotangent on its scalar path, as the "
    "compiled graph does everywhere",
}


@pytest.fixture(autouse=True)
def cold_dispatch(monkeypatch):
    """Each test compiles from scratch with the tensor type not yet in multiact's dispatch
    cache, so the traced call goes through the cache miss (resolve) too."""
    torch._dynamo.reset()
    monkeypatch.delitem(_BACKENDS, torch.Tensor, raising=False)
    yield
    torch._dynamo.reset()


def _inputs(activation) -> np.ndarray:
    # Random values (no kinks, where eager and compiled gradients may pick different
    # conventions) and one row of special values.
    x = np.random.default_rng(3).standard_normal((4, 6))
    x[0] = [0.0, -0.0, np.inf, -np.inf, np.nan, 30.0]
    if activation.name == "log1mexp":  # defined for x >= 0 only
        x = np.abs(x)
    return x


def _compiled_and_eager(activation, params, backend, dtype=torch.float64):
    values = _inputs(activation)
    fn = getattr(multiact, activation.name)
    x = torch.tensor(values, dtype=dtype)
    kwargs = concrete(params, x)

    def f(x):
        return fn(x, **kwargs)

    compiled = torch.compile(f, fullgraph=True, backend=backend)
    x_compiled = x.clone().requires_grad_(True)
    x_eager = x.clone().requires_grad_(True)
    y_compiled, y_eager = compiled(x_compiled), f(x_eager)
    cotangent = torch.linspace(0.5, 1.5, y_eager.numel(), dtype=dtype).reshape(y_eager.shape)
    (g_compiled,) = torch.autograd.grad(y_compiled, x_compiled, cotangent)
    (g_eager,) = torch.autograd.grad(y_eager, x_eager, cotangent)
    return (y_compiled, g_compiled), (y_eager, g_eager)


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_fullgraph_capture_gives_eager_values_and_gradients(activation, params):
    (y, g), (y_eager, g_eager) = _compiled_and_eager(activation, params, "aot_eager")
    # aot_eager runs the same ATen kernels as eager: equal to the bit, NaN where eager has it.
    torch.testing.assert_close(y, y_eager, rtol=0, atol=0, equal_nan=True)
    if (activation.name, "nan") in _EAGER_IS_INCONSISTENT:
        nan = torch.isnan(torch.tensor(_inputs(activation)))
        g, g_eager = g[~nan], g_eager[~nan]
    torch.testing.assert_close(g, g_eager, rtol=0, atol=0, equal_nan=True)


@pytest.mark.skipif(
    shutil.which("g++") is None and shutil.which("c++") is None,
    reason="inductor builds C++ kernels on the CPU: no C++ compiler here",
)
@pytest.mark.parametrize(
    "name",
    [
        "gelu",  # erf: a libm call in inductor's C++
        "softmax",  # a reduction along an axis
        "sparsemax",  # sort and cumulative sum, in an autograd Function with its own backward
    ],
)
@pytest.mark.filterwarnings(
    # Inductor's CPU code path still calls torch.jit.script_method (PyTorch's own deprecation).
    "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
)
def test_inductor_gives_eager_values_and_gradients(name):
    activation = multiact.ACTIVATIONS[name]
    params = dict(activation.parameterisations[0])
    (y, g), (y_eager, g_eager) = _compiled_and_eager(activation, params, "inductor")
    # Inductor fuses and reorders float64 arithmetic: a few ULP, not bit-equality.
    torch.testing.assert_close(y, y_eager, rtol=1e-13, atol=1e-15, equal_nan=True)
    torch.testing.assert_close(g, g_eager, rtol=1e-13, atol=1e-15, equal_nan=True)


class _Net(torch.nn.Module):
    """The porting use case: torch.nn code whose activations come from multiact.nn."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = torch.nn.Linear(6, 8, dtype=torch.float64)
        self.out = torch.nn.Linear(8, 4, dtype=torch.float64)
        self.gelu = multiact.nn.GELU(approximate="tanh")
        self.softmax = multiact.nn.Softmax(dim=-1)

    def forward(self, x):
        return self.softmax(self.out(self.gelu(self.hidden(x))))


def test_torch_module_with_multiact_activations_compiles_in_one_graph():
    net = _Net()
    x = torch.tensor(np.random.default_rng(4).standard_normal((5, 6)))
    compiled = torch.compile(net, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(x), net(x), rtol=0, atol=0)


def test_dynamic_shapes_compile_once():
    # One graph serves every batch size: dispatch adds no guard on the shape. (On a cold
    # dispatch cache the first graph is traced through the cache miss and guards on the
    # cache's contents; the second call, after the miss filled it, traces once more.)
    # Warmed as compiled below (a keyword call, the Python function's; the dtype too).
    multiact.log_softmax(torch.zeros(1, 5, dtype=torch.float64), axis=-1)
    graphs = []

    def counting_backend(graph, example_inputs):
        graphs.append(graph)
        return graph.forward

    compiled = torch.compile(
        lambda x: multiact.log_softmax(x, axis=-1),
        fullgraph=True,
        dynamic=True,
        backend=counting_backend,
    )
    for rows in (2, 3, 7):
        x = torch.randn(rows, 5, dtype=torch.float64)
        torch.testing.assert_close(compiled(x), torch.log_softmax(x, -1), rtol=0, atol=0)
    assert len(graphs) == 1
