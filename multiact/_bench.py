"""``multiact bench``: multiact against each library's own call, timed in the same process.

Every figure is a ratio of two things timed in the same run: the two calls alternate, round
after round (which one goes first alternates too), and the result is the median over the
rounds of the per-round ratio, so that a machine busy with other work slows both sides
alike. Sections:

- ``overhead``: 1 and 1,000 elements, multiact against the native call (``torch.nn.functional``,
  ``jax.jit`` of ``jax.nn``, the NumPy formula a user would write);
- ``eager``: multiact on a JAX array outside ``jit`` against calling ``jax.nn`` eagerly;
- ``throughput``: 1M and 16M float32 elements, against the native kernel, and for NumPy
  against the naive formula and SciPy;
- ``memory``: peak memory of a NumPy call beyond its output (tracemalloc, which NumPy reports
  its allocations to), and the naive formula's for comparison;
- ``gradient``: the gradient of ``sum(f(x))`` on a 256 x 2048 float32 array: JAX
  ``jit(grad(...))`` against the same of ``jax.nn``, torch backward against
  ``torch.nn.functional``'s, ``multiact.vjp`` on NumPy against the hand-written derivative;
- ``training``: one step of an MLP (256x512 @ 512x2048, GELU, @ 2048x512, softmax, SGD) with
  multiact's GELU and softmax against the framework's own, on torch eager, ``torch.compile``
  and JAX ``jit``;
- ``dask`` and ``dask cluster``: multiact on a chunked float32 Dask array (4000 x 4000 in 64
  chunks; ``--quick``: 1000 x 1000 in 16) against ``map_blocks`` of multiact's NumPy kernel
  and against the formula written with Dask, with each graph's task count, on the threads
  scheduler and on a ``dask.distributed`` cluster of two single-threaded worker processes;
- ``import`` and ``first call``: in fresh interpreters.

Each record states its target and whether the run met it; ``--json`` writes them all.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import multiact

BACKENDS = ("numpy", "torch", "jax", "dask")
#: The activations benchmarked by default; gelu_tanh is gelu(approximate="tanh").
ACTIVATIONS = (
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "gelu",
    "gelu_tanh",
    "silu",
    "softplus",
    "elu",
    "mish",
)
SIZES = (1, 1_000, 1_000_000, 16_000_000)
QUICK_SIZES = (1, 1_000, 300_000)
#: Sizes up to this are per-call overhead; above it, throughput.
SMALL = 1_000
EAGER = ("relu", "gelu", "softmax")
MEMORY_SIZE = 1_000_000
#: NumPy activations held to at most 0.8x the naive formula at 16M elements (issue 15); the
#: others (and these below 16M) to at most 1.0x.
BLOCKED_TARGETS = ("sigmoid", "silu", "gelu", "gelu_tanh", "softplus", "mish")
#: The gradient section's input: a batch of 256 rows of 2048 features.
GRADIENT_SHAPE = (256, 2048)
#: The training step's MLP: batch, inputs, hidden units.
MLP_SHAPE = (256, 512, 2048)
SCIPY = {"sigmoid": "expit", "softmax": "softmax", "log_softmax": "log_softmax"}
FRAMEWORKS = ("torch", "jax", "scipy", "dask", "array_api_compat", "array_api_strict")


@dataclass
class Record:
    section: str
    backend: str
    activation: str
    size: int
    multiact: float  # seconds per call, or bytes for memory
    reference: str  # what multiact is compared with
    reference_value: float | None
    ratio: float | None  # multiact / reference (median of per-round ratios)
    target: str
    met: bool | None  # None: no target, shown for information
    unit: str = "s"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settings:
    backends: tuple[str, ...]
    activations: tuple[str, ...]
    sizes: tuple[int, ...]
    quick: bool
    rounds: int
    min_time: float  # seconds each timing runs at least (calls are repeated to reach it)


# --- The calls compared.


def _multiact_call(name: str) -> Callable[[Any], Any]:
    if name == "gelu_tanh":
        return lambda x: multiact.gelu(x, approximate="tanh")
    return getattr(multiact, name)


def _numpy_formulas() -> dict[str, Callable[[Any], Any]]:
    """What a NumPy user writes for each activation (not PyTorch-exact at the edges)."""
    c = np.float32(math.sqrt(2 / math.pi))

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    def log_softmax(x):
        s = x - x.max(-1, keepdims=True)
        return s - np.log(np.exp(s).sum(-1, keepdims=True))

    formulas = {
        "relu": lambda x: np.maximum(x, 0),
        "leaky_relu": lambda x: np.where(x > 0, x, x * np.float32(0.01)),
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "tanh": np.tanh,
        "softmax": softmax,
        "log_softmax": log_softmax,
        "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(c * (x + np.float32(0.044715) * x**3))),
        "silu": lambda x: x / (1 + np.exp(-x)),
        "softplus": lambda x: np.log1p(np.exp(x)),
        "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
        "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    }
    if importlib.util.find_spec("scipy") is not None:
        from scipy.special import erf

        r = np.float32(1 / math.sqrt(2))
        formulas["gelu"] = lambda x: 0.5 * x * (1 + erf(x * r))
    return formulas


def _torch_calls() -> dict[str, Callable[[Any], Any]]:
    import torch
    import torch.nn.functional as F

    return {
        "relu": F.relu,
        "leaky_relu": F.leaky_relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softmax": functools.partial(F.softmax, dim=-1),
        "log_softmax": functools.partial(F.log_softmax, dim=-1),
        "gelu": F.gelu,
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "silu": F.silu,
        "softplus": F.softplus,
        "elu": F.elu,
        "mish": F.mish,
    }


def _jax_functions() -> dict[str, Callable[[Any], Any]]:
    import jax
    import jax.numpy as jnp

    return {
        "relu": jax.nn.relu,
        "leaky_relu": jax.nn.leaky_relu,
        "sigmoid": jax.nn.sigmoid,
        "tanh": jnp.tanh,
        "softmax": jax.nn.softmax,
        "log_softmax": jax.nn.log_softmax,
        "gelu": functools.partial(jax.nn.gelu, approximate=False),
        "gelu_tanh": functools.partial(jax.nn.gelu, approximate=True),
        "silu": jax.nn.silu,
        "softplus": jax.nn.softplus,
        "elu": jax.nn.elu,
        "mish": jax.nn.mish,
    }


class _Backend:
    """Arrays of one library, its native calls and a way to wait for a result."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "numpy":
            self.native = _numpy_formulas()
            self.native_label = "NumPy formula"
            self.asarray: Callable[[np.ndarray], Any] = lambda a: a
            self.ready: Callable[[Any], Any] = lambda y: y
        elif name == "torch":
            import torch

            self.native = _torch_calls()
            self.native_label = "torch.nn.functional"
            self.asarray = torch.from_numpy
            self.ready = lambda y: y
        else:
            import jax
            import jax.numpy as jnp

            functions = _jax_functions()
            self.eager = functions
            self.native = {name: jax.jit(f) for name, f in functions.items()}
            self.native_label = "jax.jit(jax.nn)"
            self.asarray = jnp.asarray
            self.ready = lambda y: y.block_until_ready()


# --- Timing.


def _loops(call: Callable[[], Any], min_time: float) -> tuple[int, float]:
    """How many calls one timing needs to last ``min_time``, and the seconds per call."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or n >= 1 << 20:
            return n, elapsed / n
        n = max(2 * n, int(n * min_time / max(elapsed, 1e-9)))


def _time(call: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n


def compare(
    mine: Callable[[], Any],
    theirs: Callable[[], Any],
    settings: Settings,
    min_rounds: int = 4,
) -> tuple[float, float, float]:
    """Median seconds per call of each, and the median of the per-round ratios."""
    mine()
    theirs()  # first calls compile (JAX) or warm caches
    n, per_call = _loops(theirs, settings.min_time)
    # Large inputs take fewer rounds: under a second per comparison.
    rounds = max(min_rounds, min(settings.rounds, int(0.35 / max(n * per_call, 1e-9))))
    rounds += rounds % 2  # each side goes first equally often
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        if i % 2:
            a.append(_time(mine, n))
            b.append(_time(theirs, n))
        else:
            b.append(_time(theirs, n))
            a.append(_time(mine, n))
    ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
    return statistics.median(a), statistics.median(b), ratio


def _input(size: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(size).astype(np.float32)


# --- Sections.


def _overhead_target(backend: str, size: int, ratio: float, diff: float) -> tuple[str, bool | None]:
    if backend == "numpy":
        return "<= 1.00x", ratio <= 1.0
    if size != 1:
        if backend == "jax":
            return "<= 1.15x", ratio <= 1.15
        return "", None
    return "<= 1.10x", ratio <= 1.10


def run_overhead(backend: _Backend, settings: Settings, rng: np.random.Generator) -> list[Record]:
    records = []
    for size in (s for s in settings.sizes if s <= SMALL):
        x = backend.asarray(_input(size, rng))
        for name in settings.activations:
            native = backend.native.get(name)
            if native is None:
                continue
            mine = _multiact_call(name)
            a, b, ratio = compare(
                lambda mine=mine, x=x: mine(x), lambda native=native, x=x: native(x), settings
            )
            target, met = _overhead_target(backend.name, size, ratio, a - b)
            records.append(
                Record(
                    "overhead",
                    backend.name,
                    name,
                    size,
                    a,
                    backend.native_label,
                    b,
                    ratio,
                    target,
                    met,
                    extra={"difference_s": a - b},
                )
            )
    return records


def _kernel_call(backend: str, name: str) -> Callable[[Any], Any]:
    """The backend's kernel for ``name`` with the default parameters: multiact minus its
    dispatch and checks."""
    from multiact._dispatch import backend_module

    activation = multiact.ACTIVATIONS["gelu" if name == "gelu_tanh" else name]
    params = {p.name: p.default for p in activation.params}
    if name == "gelu_tanh":
        params["approximate"] = "tanh"
    kernel = getattr(backend_module(backend), activation.name)
    values = tuple(params.values())  # positional, as the generated functions pass them
    return lambda x: kernel(x, *values)


def run_dispatch(backend: _Backend, settings: Settings, rng: np.random.Generator) -> list[Record]:
    """What multiact's public function adds to its backend's kernel on one element."""
    records = []
    x = backend.asarray(_input(1, rng))
    for name in settings.activations:
        mine, kernel = _multiact_call(name), _kernel_call(backend.name, name)
        a, b, ratio = compare(lambda mine=mine: mine(x), lambda kernel=kernel: kernel(x), settings)
        target, met = ("<= +100 ns", a - b <= 100e-9) if backend.name == "numpy" else ("", None)
        records.append(
            Record(
                "dispatch",
                backend.name,
                name,
                1,
                a,
                "backend kernel",
                b,
                ratio,
                target,
                met,
                extra={"difference_s": a - b},
            )
        )
    return records


def run_eager(backend: _Backend, settings: Settings, rng: np.random.Generator) -> list[Record]:
    records = []
    x = backend.asarray(_input(1, rng))
    for name in (n for n in EAGER if n in settings.activations):
        mine = _multiact_call(name)
        eager = backend.eager[name]
        a, b, ratio = compare(lambda mine=mine: mine(x), lambda eager=eager: eager(x), settings)
        speedup = 1 / ratio
        records.append(
            Record(
                "eager",
                "jax",
                name,
                1,
                a,
                "jax.nn (eager)",
                b,
                ratio,
                ">= 10x faster",
                speedup >= 10,
                note=f"{speedup:.0f}x faster",
            )
        )
    return records


def _throughput_target(backend: str, name: str, size: int, ratio: float) -> tuple[str, bool | None]:
    if backend in ("torch", "jax"):
        return "<= 1.03x", ratio <= 1.03
    if name in BLOCKED_TARGETS and size >= 16_000_000:
        return "<= 0.80x", ratio <= 0.8
    if size <= 1_000_000:
        return "<= 1.00x", ratio <= 1.0
    return "", None


def run_throughput(backend: _Backend, settings: Settings, rng: np.random.Generator) -> list[Record]:
    records = []
    scipy = None
    if backend.name == "numpy" and importlib.util.find_spec("scipy") is not None:
        import scipy.special as scipy
    for size in (s for s in settings.sizes if s > SMALL):
        x = backend.asarray(_input(size, rng))
        for name in settings.activations:
            mine = _multiact_call(name)
            comparisons = []
            if name in backend.native:
                comparisons.append((backend.native_label, backend.native[name]))
            if scipy is not None and name in SCIPY:
                scipy_call = getattr(scipy, SCIPY[name])
                if name != "sigmoid":
                    scipy_call = functools.partial(scipy_call, axis=-1)
                comparisons.append((f"scipy.special.{SCIPY[name]}", scipy_call))
            for label, native in comparisons:
                a, b, ratio = compare(
                    lambda mine=mine, x=x: backend.ready(mine(x)),
                    lambda native=native, x=x: backend.ready(native(x)),
                    settings,
                )
                if label.startswith("scipy"):
                    target, met = "faster", ratio < 1
                else:
                    target, met = _throughput_target(backend.name, name, size, ratio)
                records.append(
                    Record("throughput", backend.name, name, size, a, label, b, ratio, target, met)
                )
            if backend.name == "numpy" and name in FLOORS and size == max(settings.sizes):
                records.append(_floor(backend, name, x, settings))
    return records


#: The one transcendental ufunc each formula cannot do without: no kernel evaluating it
#: element by element is faster than this ufunc alone.
FLOORS = {"sigmoid": "exp", "silu": "exp", "softplus": "exp", "gelu_tanh": "tanh"}


def _floor(backend: _Backend, name: str, x: np.ndarray, settings: Settings) -> Record:
    """How fast any kernel built on NumPy's own ufuncs could be: its slowest ufunc alone,
    returning a new array as every kernel does, against the naive formula."""
    ufunc = getattr(np, FLOORS[name])
    naive = backend.native[name]
    a, b, ratio = compare(lambda: ufunc(x), lambda: naive(x), settings)
    return Record(
        "floor",
        "numpy",
        name,
        x.size,
        a,
        "NumPy formula",
        b,
        ratio,
        "",
        None,
        note=f"np.{FLOORS[name]}(x) alone",
    )


def _peak_bytes(call: Callable[[], Any]) -> tuple[int, int]:
    """Peak bytes NumPy allocated during ``call`` beyond its result, and the result's size."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        y = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - y.nbytes, y.nbytes


def run_memory(backend: _Backend, settings: Settings, rng: np.random.Generator) -> list[Record]:
    large = [s for s in settings.sizes if s > SMALL]
    if backend.name != "numpy" or not large:
        return []
    # One full-size temporary of 1M float32 is 3.8 MiB: larger inputs would prove no more.
    size = min(max(large), MEMORY_SIZE)
    x = _input(size, rng)
    records = []
    for name in settings.activations:
        mine = _multiact_call(name)
        mine(x[:8])  # first calls fill caches: not part of a call's memory
        extra, out = _peak_bytes(lambda mine=mine: mine(x))
        naive = backend.native.get(name)
        naive_extra = _peak_bytes(lambda naive=naive: naive(x))[0] if naive else None
        records.append(
            Record(
                "memory",
                "numpy",
                name,
                size,
                float(extra),
                "NumPy formula",
                None if naive_extra is None else float(naive_extra),
                None,
                "<= +1 MiB",
                extra <= 1 << 20,
                unit="B",
                extra={"output_bytes": out},
            )
        )
    return records


# --- Gradients and a training step.


def _numpy_derivatives() -> dict[str, Callable[[Any, Any], Any]]:
    """The derivative a NumPy user writes for each activation, as ``(x, g) -> g * f'(x)``."""
    c = np.float32(math.sqrt(2 / math.pi))
    k = np.float32(0.044715)

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def gelu_tanh(x, g):
        t = np.tanh(c * (x + k * x**3))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * k * x * x))

    def silu(x, g):
        s = sigmoid(x)
        return g * s * (1 + x * (1 - s))

    def mish(x, g):
        t = np.tanh(np.log1p(np.exp(x)))
        return g * (t + x * sigmoid(x) * (1 - t * t))

    def softmax(x, g):
        e = np.exp(x - x.max(-1, keepdims=True))
        y = e / e.sum(-1, keepdims=True)
        return y * (g - (g * y).sum(-1, keepdims=True))

    def log_softmax(x, g):
        s = x - x.max(-1, keepdims=True)
        y = s - np.log(np.exp(s).sum(-1, keepdims=True))
        return g - np.exp(y) * g.sum(-1, keepdims=True)

    derivatives = {
        "relu": lambda x, g: np.where(x > 0, g, 0),
        "leaky_relu": lambda x, g: np.where(x > 0, g, g * np.float32(0.01)),
        "sigmoid": lambda x, g: g * sigmoid(x) * (1 - sigmoid(x)),
        "tanh": lambda x, g: g * (1 - np.tanh(x) ** 2),
        "softmax": softmax,
        "log_softmax": log_softmax,
        "gelu_tanh": gelu_tanh,
        "silu": silu,
        "softplus": lambda x, g: g * sigmoid(x),
        "elu": lambda x, g: np.where(x > 0, g, g * np.exp(x)),
        "mish": mish,
    }
    if importlib.util.find_spec("scipy") is not None:
        from scipy.special import erf

        r = np.float32(1 / math.sqrt(2))
        p = np.float32(1 / math.sqrt(2 * math.pi))
        derivatives["gelu"] = lambda x, g: (
            g * (0.5 * (1 + erf(x * r)) + x * p * np.exp(-0.5 * x * x))
        )
    return derivatives


def _gradient_calls(
    backend: _Backend, name: str
) -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
    """(multiact's, the reference's) gradient of sum(f(x)) with respect to x, or None."""
    mine = _multiact_call(name)
    if backend.name == "jax":
        import jax

        native = backend.eager.get(name)
        if native is None:
            return None
        return (
            jax.jit(jax.grad(lambda x: mine(x).sum())),
            jax.jit(jax.grad(lambda x: native(x).sum())),
        )
    if backend.name == "torch":
        import torch

        native = backend.native.get(name)
        if native is None:
            return None

        def through(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
            def grad(x: Any) -> Any:
                x = x.detach().requires_grad_()
                y = f(x)
                return torch.autograd.grad(y, x, torch.ones_like(y))[0]

            return grad

        return through(mine), through(native)
    derivative = _numpy_derivatives().get(name)
    if derivative is None:
        return None
    params = {"approximate": "tanh"} if name == "gelu_tanh" else {}
    if name in ("softmax", "log_softmax"):
        params["axis"] = -1
    fn = "gelu" if name == "gelu_tanh" else name
    ones = np.ones(GRADIENT_SHAPE, np.float32)
    return (
        lambda x: multiact.vjp(fn, x, ones, **params),
        lambda x: derivative(x, ones),
    )


def _gradient_reference(backend: str) -> str:
    return {
        "jax": "jax.jit(jax.grad(jax.nn))",
        "torch": "torch.nn.functional backward",
        "numpy": "hand-written derivative",
    }[backend]


def run_gradient(backend: _Backend, settings: Settings, rng: np.random.Generator) -> list[Record]:
    records = []
    x = backend.asarray(rng.standard_normal(GRADIENT_SHAPE).astype(np.float32))
    size = math.prod(GRADIENT_SHAPE)
    for name in settings.activations:
        calls = _gradient_calls(backend, name)
        if calls is None:
            continue
        mine, native = calls
        a, b, ratio = compare(
            lambda mine=mine: backend.ready(mine(x)),
            lambda native=native: backend.ready(native(x)),
            settings,
        )
        if backend.name == "numpy":
            target, met = "", None  # the hand-written derivative is not PyTorch's at the edges
        else:
            target, met = "<= 1.10x", ratio <= 1.10
        records.append(
            Record(
                "gradient",
                backend.name,
                name,
                size,
                a,
                _gradient_reference(backend.name),
                b,
                ratio,
                target,
                met,
                extra={"shape": list(GRADIENT_SHAPE)},
            )
        )
    return records


def _torch_step(gelu: Callable[[Any], Any], softmax: Callable[[Any], Any], compiled: bool):
    """An SGD step of the MLP on torch, with these activations; returns (step, its weights)."""
    import torch

    batch, inputs, hidden = MLP_SHAPE
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, inputs, generator=generator)
    target = torch.randn(batch, inputs, generator=generator)
    w1 = (torch.randn(inputs, hidden, generator=generator) / math.sqrt(inputs)).requires_grad_()
    w2 = (torch.randn(hidden, inputs, generator=generator) / math.sqrt(hidden)).requires_grad_()

    def loss(w1: Any, w2: Any) -> Any:
        return (softmax(gelu(x @ w1) @ w2) * target).sum()

    if compiled:
        loss = torch.compile(loss)

    def step() -> Any:
        g1, g2 = torch.autograd.grad(loss(w1, w2), (w1, w2))
        with torch.no_grad():
            w1.sub_(1e-3 * g1)
            w2.sub_(1e-3 * g2)
        return w2.detach()

    return step


def _jax_step(gelu: Callable[[Any], Any], softmax: Callable[[Any], Any]):
    import jax
    import jax.numpy as jnp

    batch, inputs, hidden = MLP_SHAPE
    k = jax.random.split(jax.random.key(0), 4)
    x = jax.random.normal(k[0], (batch, inputs))
    target = jax.random.normal(k[1], (batch, inputs))
    params = [
        jax.random.normal(k[2], (inputs, hidden)) / math.sqrt(inputs),
        jax.random.normal(k[3], (hidden, inputs)) / math.sqrt(hidden),
    ]

    def loss(params: Any) -> Any:
        w1, w2 = params
        return (softmax(gelu(x @ w1) @ w2) * target).sum()

    @jax.jit
    def update(params: Any) -> Any:
        grads = jax.grad(loss)(params)
        return [w - 1e-3 * g for w, g in zip(params, grads, strict=True)]

    state = [params]

    def step() -> Any:
        state[0] = update(state[0])
        return jnp.asarray(state[0][1]).block_until_ready()

    return step


def _training_steps(framework: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(multiact's, the framework's) training step: eager torch, torch.compile or JAX jit."""
    if framework == "jax":
        import jax

        mine = _jax_step(multiact.gelu, lambda o: multiact.softmax(o, -1))
        native = _jax_step(
            functools.partial(jax.nn.gelu, approximate=False),
            functools.partial(jax.nn.softmax, axis=-1),
        )
        return mine, native
    import torch.nn.functional as F

    compiled = framework == "torch.compile"
    mine = _torch_step(multiact.gelu, lambda o: multiact.softmax(o, -1), compiled)
    native = _torch_step(F.gelu, functools.partial(F.softmax, dim=-1), compiled)
    return mine, native


def run_training(backend: str, settings: Settings) -> list[Record]:
    """The MLP's training step with multiact's GELU and softmax against the framework's own."""
    frameworks = (
        ("jax",)
        if backend == "jax"
        else ("torch",)
        if settings.quick
        else (
            "torch",
            "torch.compile",
        )
    )
    records = []
    for framework in frameworks:
        mine, native = _training_steps(framework)
        a, b, ratio = compare(mine, native, settings)
        records.append(
            Record(
                "training",
                backend,
                "mlp (gelu, softmax)",
                MLP_SHAPE[0] * MLP_SHAPE[2],
                a,
                f"{framework} with its own",
                b,
                ratio,
                "<= 1.03x",
                ratio <= 1.03,
                note=framework,
                extra={"mlp": list(MLP_SHAPE), "framework": framework},
            )
        )
    return records


# --- Dask: chunked arrays.

#: The chunked array: 4000 x 4000 float32 in 64 chunks (--quick: 1000 x 1000 in 16).
DASK_SHAPE, DASK_CHUNKS = (4000, 4000), (500, 500)
QUICK_DASK_SHAPE, QUICK_DASK_CHUNKS = (1000, 1000), (250, 250)
#: Rounds per comparison: a call takes 0.05 to 1 s, and this machine's load varies.
DASK_ROUNDS, QUICK_DASK_ROUNDS = 10, 4
#: Softmax-likes run along the last axis, which the chunks cut: map_blocks of the NumPy kernel
#: then normalises each chunk's piece of a row alone (not the function; a floor to compare
#: with), and the formula is the comparison that computes the same thing.
DASK_ROW_FUNCTIONS = ("softmax", "log_softmax")


def _dask_shape(settings: Settings) -> tuple[tuple[int, int], tuple[int, int]]:
    if settings.quick:
        return QUICK_DASK_SHAPE, QUICK_DASK_CHUNKS
    return DASK_SHAPE, DASK_CHUNKS


def _dask_calls(name: str) -> list[tuple[str, Callable[[Any], Any]]]:
    """What multiact on a Dask array is compared with: ``map_blocks`` of multiact on each
    (NumPy) chunk, and the NumPy formula applied to the Dask array (NumPy's functions dispatch
    to Dask's: the graph a Dask user writes)."""
    kernel = _multiact_call(name)
    calls: list[tuple[str, Callable[[Any], Any]]] = [
        ("map_blocks(NumPy kernel)", lambda x: x.map_blocks(kernel, dtype=x.dtype))
    ]
    formula = _numpy_formulas().get(name)
    if formula is not None:
        calls.append(("Dask formula", formula))
    return calls


def _tasks(y: Any) -> int:
    return len(y.__dask_graph__())


def _dask_records(
    section: str,
    x: Any,
    settings: Settings,
    run: Callable[[Any], Any],
    rounds: int,
) -> list[Record]:
    """Each activation on ``x`` against its comparisons; ``run`` computes a Dask array."""
    records = []
    chunks = x.npartitions
    for name in settings.activations:
        mine = _multiact_call(name)
        mine_tasks = _tasks(mine(x)) - _tasks(x)
        for label, theirs in _dask_calls(name):
            theirs_tasks = _tasks(theirs(x)) - _tasks(x)
            a, b, ratio = compare(
                lambda mine=mine: run(mine(x)),
                lambda theirs=theirs: run(theirs(x)),
                settings,
                min_rounds=rounds,
            )
            row_function = name in DASK_ROW_FUNCTIONS
            if label.startswith("map_blocks") and not row_function:
                target = "<= 1.2x, a task per chunk"
                met: bool | None = ratio <= 1.2 and mine_tasks == chunks
            elif label == "Dask formula" and row_function:
                target, met = "faster", ratio < 1
            else:
                target, met = "", None
            records.append(
                Record(
                    section,
                    "dask",
                    name,
                    x.size,
                    a,
                    label,
                    b,
                    ratio,
                    target,
                    met,
                    note=f"tasks {mine_tasks} vs {theirs_tasks}, {chunks} chunks",
                    extra={
                        "tasks": mine_tasks,
                        "reference_tasks": theirs_tasks,
                        "chunks": chunks,
                        "shape": list(x.shape),
                        "chunk_shape": [c[0] for c in x.chunks],
                    },
                )
            )
    return records


def run_dask(settings: Settings) -> list[Record]:
    """multiact on a chunked float32 array on the threads scheduler (2 threads here)."""
    import dask
    import dask.array as da

    shape, chunks = _dask_shape(settings)
    values = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    x = da.from_array(values, chunks=chunks)
    rounds = QUICK_DASK_ROUNDS if settings.quick else DASK_ROUNDS
    with dask.config.set(scheduler="threads"):
        return _dask_records("dask", x, settings, lambda y: y.compute(), rounds)


def run_dask_cluster(settings: Settings) -> list[Record]:
    """The same on a ``LocalCluster`` of two single-threaded worker processes: the input is
    made and kept on the workers, and each result is computed there (``persist``), not sent
    back."""
    try:
        import distributed
    except ImportError:
        return []
    import dask.array as da

    shape, chunks = _dask_shape(settings)
    rounds = QUICK_DASK_ROUNDS if settings.quick else DASK_ROUNDS
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        x = da.random.default_rng(0).standard_normal(shape, chunks=chunks, dtype=np.float32)
        x = client.persist(x)
        distributed.wait(x)

        def run(y: Any) -> None:
            distributed.wait(client.persist(y))  # released when the result is dropped

        return _dask_records("dask cluster", x, settings, run, rounds)


# --- Fresh interpreters.


def _subprocess(code: str, pycache: str) -> dict[str, Any]:
    # Bytecode cached, as after `pip install` (which compiles it): where the environment
    # turns caching off (PYTHONDONTWRITEBYTECODE), every import would compile from source.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


_WARM_CODE = """
import json, numpy, multiact, multiact.nn
multiact.relu(numpy.ones(2))
for name in %r:
    module = __import__(name)
    multiact.relu(module.numpy.ones(2) if name == "jax" else module.ones(2))
print(json.dumps({}))
"""


def _warm_bytecode(backends: Sequence[str], pycache: str) -> None:
    """Write multiact's bytecode into ``pycache`` before anything is timed."""
    frameworks = [b for b in backends if b in _FIRST_CALL and b != "numpy" and available(b)]
    _subprocess(_WARM_CODE % (frameworks,), pycache)


_IMPORT_CODE = """
import json, sys, time
start = time.perf_counter()
import numpy
middle = time.perf_counter()
import multiact
end = time.perf_counter()
print(json.dumps({"numpy": middle - start, "multiact": end - middle,
                  "loaded": [m for m in %r if m in sys.modules]}))
"""

_FIRST_CALL_CODE = """
import json, sys, time
import numpy as np
%s
x = %s
import multiact
f = %s
start = time.perf_counter()
%s
elapsed = time.perf_counter() - start
print(json.dumps({"first_call": elapsed, "array_api_compat": "array_api_compat" in sys.modules}))
"""

_FIRST_CALL = {
    "numpy": ("", "np.ones(8, np.float32)", "y = f(x)"),
    "torch": ("import torch", "torch.ones(8)", "y = f(x)"),
    "jax": ("import jax, jax.numpy as jnp", "jnp.ones(8)", "y = f(x).block_until_ready()"),
}
_FIRST_CALL_NATIVE = {
    "numpy": "lambda x: np.maximum(x, 0)",
    "torch": "torch.nn.functional.relu",
    "jax": "jax.jit(jax.nn.relu)",
}


def run_import(settings: Settings, pycache: str) -> list[Record]:
    runs = [
        _subprocess(_IMPORT_CODE % (FRAMEWORKS,), pycache)
        for _ in range(3 if settings.quick else 5)
    ]
    added = statistics.median(r["multiact"] for r in runs)
    numpy_time = statistics.median(r["numpy"] for r in runs)
    loaded = sorted({m for r in runs for m in r["loaded"]})
    return [
        Record(
            "import",
            "-",
            "import multiact",
            0,
            added,
            "import numpy",
            numpy_time,
            None,
            "<= +50 ms, no framework",
            added <= 0.050 and not loaded,
            note="imports " + (", ".join(loaded) if loaded else "no framework"),
            extra={"frameworks_imported": loaded},
        )
    ]


def run_first_call(backend: str, pycache: str) -> list[Record]:
    setup, array, call = _FIRST_CALL[backend]
    mine = _subprocess(_FIRST_CALL_CODE % (setup, array, "multiact.relu", call), pycache)
    native = _FIRST_CALL_NATIVE[backend]
    theirs = _subprocess(_FIRST_CALL_CODE % (setup, array, native, call), pycache)
    ratio = mine["first_call"] / theirs["first_call"]
    if backend == "numpy":
        target = "no array-api-compat set-up"
        met: bool | None = not mine["array_api_compat"]
    else:
        target, met = "", None
    return [
        Record(
            "first call",
            backend,
            "relu",
            8,
            mine["first_call"],
            "first native call",
            theirs["first_call"],
            ratio,
            target,
            met,
            note="imported array_api_compat" if mine["array_api_compat"] else "",
        )
    ]


# --- Running and reporting.


def available(backend: str) -> bool:
    module = {"numpy": "numpy", "torch": "torch", "jax": "jax", "dask": "dask"}[backend]
    return importlib.util.find_spec(module) is not None


def run(settings: Settings, progress: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Every section for ``settings``; returns the report (what ``--json`` writes)."""
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    records: list[Record] = []
    skipped = []
    sections: dict[str, float] = {}  # seconds each step took, to see where the time goes
    step = [("", started)]

    def report_step(line: str) -> None:
        label, since = step[0]
        now = time.perf_counter()
        if label:
            sections[label] = now - since
        step[0] = (line, now)
        if line:
            progress(line)

    with tempfile.TemporaryDirectory(prefix="multiact-bench-") as pycache:
        report_step("import multiact (fresh interpreters)")
        # Quick runs time first calls on NumPy only: no framework to warm up.
        _warm_bytecode(("numpy",) if settings.quick else settings.backends, pycache)
        records += run_import(settings, pycache)
        for name in settings.backends:
            if name in _FIRST_CALL and available(name) and (not settings.quick or name == "numpy"):
                report_step(f"{name}: first call (fresh interpreters)")
                records += run_first_call(name, pycache)
    for name in settings.backends:
        if not available(name):
            skipped.append(name)
            continue
        if name == "dask":
            report_step("dask: threads scheduler")
            records += run_dask(settings)
            report_step("dask: LocalCluster of 2 worker processes")
            records += run_dask_cluster(settings)
            continue
        backend = _Backend(name)
        report_step(f"{name}: overhead")
        records += run_overhead(backend, settings, rng)
        if 1 in settings.sizes:
            report_step(f"{name}: dispatch")
            records += run_dispatch(backend, settings, rng)
        if name == "jax":
            report_step("jax: against eager jax.nn")
            records += run_eager(backend, settings, rng)
        report_step(f"{name}: throughput")
        records += run_throughput(backend, settings, rng)
        report_step(f"{name}: memory")
        records += run_memory(backend, settings, rng)
        report_step(f"{name}: gradient")
        records += run_gradient(backend, settings, rng)
        if name != "numpy" and "gelu" in settings.activations:
            report_step(f"{name}: training step")
            records += run_training(name, settings)
    report_step("")
    return {
        "command": "multiact bench" + (" --quick" if settings.quick else ""),
        "settings": asdict(settings),
        "machine": machine(),
        "skipped_backends": skipped,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time(),
        "section_seconds": sections,
        "records": [asdict(r) for r in records],
    }


def machine() -> dict[str, Any]:
    versions = {}
    for module in ("numpy", "torch", "jax", "scipy", "dask", "distributed"):
        if importlib.util.find_spec(module) is not None:
            versions[module] = importlib.metadata.version(module)
    from multiact.conformance import machine as simd

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
        # The SIMD level changes NumPy's and PyTorch's kernels, and so every ratio.
        "cpu_features": simd.cpu_features(),
        "numpy_dispatch": simd.numpy_dispatch(),
        "torch_capability": simd.torch_capability(),
        "versions": {"multiact": multiact.__version__, **versions},
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _duration(seconds: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.0f} ns"


def _value(record: dict[str, Any], key: str) -> str:
    value = record[key]
    if value is None:
        return "-"
    if record["unit"] == "B":
        return f"{value / 2**20:.2f} MiB"
    return _duration(value)


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1e6:g}M"
    return f"{size:,}".replace(",", " ") if size else "-"


#: What each section measures, as the title of its table.
SECTIONS = {
    "import": "`import multiact` in fresh interpreters",
    "first call": "the first call in a fresh interpreter",
    "overhead": "time per call on small arrays (the cost of calling multiact)",
    "dispatch": "the public function against its backend's kernel called directly, one element",
    "eager": "multiact on a JAX array outside jit",
    "throughput": "time per call on large arrays (the kernels' speed)",
    "floor": "the one ufunc a NumPy kernel cannot avoid, alone (no kernel of NumPy ufuncs can "
    "have a lower ratio)",
    "memory": "NumPy's peak memory during a call beyond its output",
    "gradient": "the gradient of sum(f(x)) on 256 x 2048 float32 elements",
    "training": "one SGD step of an MLP (256x512 @ 512x2048, GELU, @ 2048x512, softmax)",
}


def _row(r: dict[str, Any], with_reference: bool) -> list[str]:
    status = "" if r["met"] is None else "met" if r["met"] else "MISSED"
    ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
    if "difference_s" in r["extra"] and r["size"] == 1:
        ratio += f" ({r['extra']['difference_s'] * 1e9:+.0f} ns)"
    if r["note"]:
        status = f"{status} ({r['note']})" if status else r["note"]
    row = [r["activation"], _size(r["size"]), _value(r, "multiact")]
    if with_reference:
        row.append(r["reference"])
    return [*row, _value(r, "reference_value"), ratio, r["target"], status]


def table(report: dict[str, Any], columns: int | None = None) -> str:
    """Every record, one table per section and backend (titled with what it measures and
    against what), laid out for ``columns`` (the terminal's width by default), then the
    verdict."""
    from multiact import _terminal

    columns = columns or _terminal.width()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in report["records"]:
        groups.setdefault((r["section"], r["backend"]), []).append(r)
    out = []
    for (section, backend), records in groups.items():
        references = list(dict.fromkeys(r["reference"] for r in records))
        against = f", against {references[0]}" if len(references) == 1 else ""
        on = "" if backend == "-" else f" on {backend}"
        title = f"{section}{on}: {SECTIONS.get(section, '')}{against}"
        out.append(_terminal.legend([("", title)], columns).strip())
        header = ["activation", "size", "multiact", "reference", "ratio", "target", "result"]
        if len(references) > 1:
            header.insert(3, "against")
        rows = [_row(r, len(references) > 1) for r in records]
        wrap = [len(header) - 2, len(header) - 1]
        out += [_terminal.table(header, rows, columns, wrap=wrap), ""]
    out.append(
        _terminal.legend(
            [
                (
                    "",
                    "ratio: multiact's time (or memory) over the reference's, the median of "
                    "interleaved rounds (below 1: multiact faster); for one element, the "
                    "difference in ns beside it",
                )
            ],
            columns,
        ).strip()
    )
    if report["skipped_backends"]:
        out.append("not installed: " + ", ".join(report["skipped_backends"]))
    out += ["", verdict(report, columns)]
    return "\n".join(out)


def missed(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The records whose target the run missed."""
    return [r for r in report["records"] if r["met"] is False]


def verdict(report: dict[str, Any], columns: int | None = None) -> str:
    """What to make of a run, in a few lines: targets met and missed by section, and how far
    a run like this one can be trusted."""
    from multiact import _terminal

    columns = columns or _terminal.width()
    held = [r for r in report["records"] if r["met"] is not None]
    misses = missed(report)
    by_section: dict[str, list[int]] = {}
    for r in held:
        tally = by_section.setdefault(r["section"], [0, 0])
        tally[0] += not r["met"]
        tally[1] += 1
    detail = "; ".join(
        f"{section} {n_missed} of {n}" for section, (n_missed, n) in by_section.items() if n_missed
    )
    settings = report["settings"]
    lines = [
        f"verdict: {len(held) - len(misses)} of {len(held)} targets met"
        + (f", {len(misses)} missed ({detail})" if misses else ": all met")
        + f"; {report['seconds']:.0f} s."
    ]
    if settings.get("quick"):
        lines.append(
            f"This was a quick run ({settings['rounds']} rounds, sizes up to "
            f"{_size(max(settings['sizes']))}): a smoke test that every section runs, not a "
            "measurement. Timings move by tens of percent on a busy or shared machine; "
            "`multiact bench` (101 rounds) takes the figures docs/benchmarks.md reports, with "
            "each target and each miss of the committed run explained."
        )
    else:
        lines.append(
            "Single ratios move by several percent between runs on a shared machine: a miss "
            "by a few percent is within that; docs/benchmarks.md explains each target and "
            "the misses of the committed run."
        )
    lines.append("Exit status 0 whatever the timings: with --check, 1 where a target is missed.")
    return "\n".join(_terminal.legend([("", line)], columns).strip() for line in lines)


def plot(report: dict[str, Any], path: str) -> None:
    """One panel per backend: multiact's time over the native call's, per activation and size
    (overhead and throughput records; NumPy against its formula)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    records = [
        r
        for r in report["records"]
        if r["section"] in ("overhead", "throughput") and not r["reference"].startswith("scipy")
    ]
    backends = [b for b in BACKENDS if any(r["backend"] == b for r in records)]
    sizes = sorted({r["size"] for r in records})
    names = [n for n in ACTIVATIONS if any(r["activation"] == n for r in records)]
    fig, axes = plt.subplots(
        1, len(backends), figsize=(4.2 * len(backends), 0.42 * len(names) + 1.6), squeeze=False
    )
    height = 0.8 / max(len(sizes), 1)
    for ax, backend in zip(axes[0], backends, strict=True):
        for k, size in enumerate(sizes):
            ratios = {
                r["activation"]: r["ratio"]
                for r in records
                if r["backend"] == backend and r["size"] == size
            }
            ys = [i + (k - (len(sizes) - 1) / 2) * height for i in range(len(names))]
            ax.barh(
                ys,
                [ratios.get(n, float("nan")) for n in names],
                height=height,
                label=f"{_size(size)} element{'s' if size > 1 else ''}",
            )
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        low, high = ax.get_xlim()
        span = high / low
        subs = (1.0,) if span > 30 else (1.0, 2.0, 5.0) if span > 4 else (1.0, 1.25, 1.5, 2.0)
        ax.xaxis.set_major_locator(ticker.LogLocator(subs=subs))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        reference = next(r["reference"] for r in records if r["backend"] == backend)
        ax.set_title(f"{backend}: multiact / {reference}", fontsize=9)
        ax.set_xlabel("time ratio (below 1: multiact faster)", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _names(values: list[str] | None, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    if not values:
        return tuple(allowed)
    names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown:
        from multiact._checks import did_you_mean

        raise ValueError(
            f"unknown {what} {', '.join(unknown)}{did_you_mean(unknown[0], allowed)} "
            f"(expected some of {', '.join(allowed)})"
        )
    return names


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ValueError(f"--sizes takes comma-separated element counts, each >= 1; got {text!r}")
    return sizes


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register ``multiact bench`` on the CLI's subparsers."""
    bench = commands.add_parser(
        "bench",
        help="time multiact against each library's own calls",
        description=textwrap.fill(
            "Time multiact against the native call in the same process (interleaved rounds, "
            "medians of per-round ratios): per-call overhead on 1 and 1,000 elements, "
            "throughput on 1M and 16M float32 elements, NumPy's peak memory, import time and "
            "first-call latency. Prints each target as met or missed, and a verdict.",
            79,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  multiact bench --quick\n"
        "  multiact bench --backends torch --activations relu,gelu --json bench.json\n"
        "  multiact bench --check   # exit 1 if a target is missed\n\n"
        "exit status:\n"
        "  0  success (whatever the timings, unless --check)\n"
        "  1  with --check: a target was missed\n"
        "  2  usage error (the reason is printed on stderr)",
    )
    bench.add_argument("--backends", action="append", metavar="NAMES", help="numpy,torch,jax,dask")
    bench.add_argument(
        "--activations",
        action="append",
        metavar="NAMES",
        help="comma-separated, from: " + ", ".join(ACTIVATIONS) + " (default: all)",
    )
    bench.add_argument(
        "--sizes",
        metavar="N,...",
        help="float32 element counts (default 1,1000,1000000,16000000; up to 1000 is overhead)",
    )
    bench.add_argument(
        "--quick", action="store_true", help="seconds rather than minutes: fewer rounds, sizes"
    )
    bench.add_argument("--rounds", type=int, metavar="N", help="interleaved rounds per figure")
    bench.add_argument("--json", metavar="FILE", help="write every record to FILE")
    bench.add_argument("--plot", metavar="FILE", help="draw the time ratios into FILE (PNG, SVG)")
    bench.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a target is missed (timings depend on the machine and "
        "its load: without --check, the exit status is 0 whatever they are)",
    )
    bench.set_defaults(run=command)
    return bench


def command(args: argparse.Namespace) -> int:
    try:
        backends = _names(args.backends, BACKENDS, "backend")
        activations = _names(args.activations, ACTIVATIONS, "activation")
        default = QUICK_SIZES if args.quick else SIZES
        sizes = _sizes(args.sizes) if args.sizes else default
    except ValueError as error:
        print(f"multiact bench: error: {error}", file=sys.stderr)
        return 2
    settings = Settings(
        backends=backends,
        activations=activations,
        sizes=sizes,
        quick=args.quick,
        rounds=args.rounds or (5 if args.quick else 101),
        min_time=0.0001,
    )
    from multiact import _terminal

    sizes_text = ", ".join(_size(s) for s in settings.sizes)
    print(
        _terminal.heading(
            f"multiact bench{' --quick' if settings.quick else ''}: "
            f"{', '.join(settings.backends)}; {len(settings.activations)} activations; "
            f"{sizes_text} float32 elements; {settings.rounds} rounds"
        ),
        flush=True,
    )
    report = run(settings, progress=lambda line: print(f"... {line}", file=sys.stderr, flush=True))
    print(table(report))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)
            out.write("\n")
    if args.plot:
        plot(report, args.plot)
    if args.check and missed(report):
        print(f"exit status 1 (--check): {len(missed(report))} targets missed", file=sys.stderr)
        return 1
    return 0
