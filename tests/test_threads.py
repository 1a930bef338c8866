"""Thread safety and bounded caches.

Many threads calling a mix of activations on a mix of backends, all at once and starting
from cold caches (the dispatch cache, the dtype sets, JAX's compiled kernels), must give
exactly what the same calls give one after another; bad calls among them must raise the same
errors. And a long run over many shapes, dtypes and parameter values must not grow memory:
the caches hold one entry per array type and dtype, and JAX keeps a bounded number of
compiled parameter variants per kernel.
"""

from __future__ import annotations

import gc
import random
import threading
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from cases import inputs
from multiact.conformance.targets import TARGETS, Target

import multiact
from multiact import ACTIVATIONS, _dispatch

THREADS = 8
NAMES = ("numpy", "torch", "jax", "array-api-strict")
BACKENDS = [t for t in TARGETS if t.name in NAMES and t.available()]


def _calls() -> list[tuple[str, Callable[[], object]]]:
    """(label, call) for every parameterisation of every activation on every backend, in
    float32 or float64, plus bad calls (their exception is the result); rrelu in training
    mode, seeded."""
    calls = []
    for target in BACKENDS:
        for a in ACTIVATIONS.values():
            for i, params in enumerate(a.parameterisations):
                # both dtypes, alternating over the parameterisations (half the calls)
                for dtype in (("float32", "float64")[(i + len(calls)) % 2],):
                    values = inputs(a, dtype)
                    extra = {"training": True, "generator": 3} if a.name == "rrelu" else {}
                    label = f"{target.name}-{a.variant_label(params)}-{dtype}"
                    calls.append((label, _call(target, a.name, values, dtype, {**params, **extra})))
        calls.append(
            (
                f"{target.name}-bad-axis",
                _call(target, "softmax", np.ones((2, 2)), "float32", {"axis": 3}),
            )
        )
        calls.append((f"{target.name}-bad-dtype", _call(target, "gelu", np.ones(2), "int32", {})))
    return calls


def _call(target: Target, name: str, values: np.ndarray, dtype: str, params: dict):
    def run() -> object:
        try:
            return target.to_numpy(target.call(name, target.asarray(values, dtype), params))
        except (TypeError, ValueError) as error:
            return f"{type(error).__name__}: {error}"

    return run


def _cold_caches() -> None:
    """Forget every backend and dtype learned, and every compiled JAX kernel."""
    _dispatch.forget()
    jax = pytest.importorskip("jax")
    jax.clear_caches()


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))


def test_threads_give_the_serial_results():
    calls = _calls()
    _cold_caches()
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> dict[str, object]:
        order = list(range(len(calls)))
        random.Random(seed).shuffle(order)  # every thread its own order: caches fill at random
        start.wait()
        return {calls[i][0]: calls[i][1]() for i in order}

    with ThreadPoolExecutor(THREADS) as pool:
        threaded = list(pool.map(worker, range(THREADS)))
    serial = {label: call() for label, call in calls}
    for results in threaded:
        different = [label for label in serial if not _same(results[label], serial[label])]
        assert not different, different[:10]


def _many_calls(rounds: int) -> None:
    """Calls over many shapes, dtypes and parameter values (NumPy and torch)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for i in range(rounds):
        shape = tuple(int(n) for n in rng.integers(0, 6, size=i % 4))
        values = rng.standard_normal(shape)
        for x in (values.astype(np.float32), torch.as_tensor(values)):
            multiact.leaky_relu(x, float(rng.uniform(0, 1)))
            multiact.hardtanh(x, -float(rng.uniform(0, 2)), float(rng.uniform(0, 2)))
            multiact.gelu(x, approximate="tanh" if i % 2 else "none")
            multiact.softmax(x, axis=-1)


def test_long_runs_do_not_grow_memory():
    _many_calls(50)  # warm: every cache that fills once is full
    tracemalloc.start()
    try:
        _many_calls(50)
        gc.collect()  # garbage not yet collected is not growth
        before, _ = tracemalloc.get_traced_memory()
        _many_calls(400)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 400 rounds of 8 calls each with new shapes and parameter values: a cache keyed on any
    # of them would hold thousands of entries (measured growth: a few hundred bytes).
    assert after - before < 32 * 1024, after - before
    assert len(_dispatch._BACKENDS) < 16


def test_jax_keeps_a_bounded_number_of_compiled_parameter_variants(monkeypatch):
    jnp = pytest.importorskip("jax.numpy")
    from multiact.backends import jax as jax_backend

    monkeypatch.setattr(jax_backend, "MAX_COMPILED_VARIANTS", 4)
    kernel = jax_backend._compiled["leaky_relu"].compiled
    kernel.clear_cache()
    x = jnp.asarray([-2.0, 3.0])
    sizes = []
    for i in range(12):
        slope = 0.01 * (i + 1)
        y = multiact.leaky_relu(x, slope)
        np.testing.assert_allclose(np.asarray(y), [-2.0 * slope, 3.0], rtol=1e-6)
        sizes.append(kernel._cache_size())
    assert max(sizes) <= 4, sizes
    assert sizes[-1] >= 1  # the cache is still used


@pytest.mark.parametrize(
    ("name", "first", "then"),
    [
        ("leaky_relu", {"negative_slope": 0.0}, {"negative_slope": -0.0}),
        ("hardtanh", {"min_val": -0.0, "max_val": 0.0}, {"min_val": -0.0, "max_val": -0.0}),
        ("threshold", {"threshold": 1.0, "value": 0.0}, {"threshold": 1.0, "value": -0.0}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_jax_caches_tell_negative_zero_parameters_apart(name, first, then):
    # JAX's caches compare static arguments with ==, for which -0.0 is 0.0: the kernel
    # compiled for the first parameters must not serve the second (signs of zero differ).
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    values = np.array([-3.0, 2.0, -0.0, 0.0])
    for params in (first, then, first):
        y = np.asarray(getattr(multiact, name)(jnp.asarray(values), **params))
        expected = getattr(torch.nn.functional, name)(torch.tensor(values), **params).numpy()
        np.testing.assert_array_equal(np.signbit(y), np.signbit(expected), err_msg=str(params))
