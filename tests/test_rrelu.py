"""rrelu in training mode: what docs/errors.md promises about its random slopes.

(tests/test_catalog.py checks that equal generators give equal slopes on every backend, that
the slopes lie in [lower, upper] and that x > 0 passes; this module checks the rest.)
"""

from __future__ import annotations

import numpy as np
import pytest
from multiact.conformance.targets import TARGETS

import multiact
from conftest import DISPATCHED_TARGETS

VALUES = np.linspace(-4.0, 4.0, 64)
LOWER, UPPER = 0.1, 0.3


def _target(name: str):
    target = next(t for t in TARGETS if t.name == name)
    if not target.available():
        pytest.skip(f"{target.library} missing")
    return target


def _rrelu(target, generator, values=VALUES, dtype="float64", **kwargs):
    x = target.asarray(values, dtype if dtype in target.dtypes else "float32")
    y = multiact.rrelu(x, LOWER, UPPER, training=True, generator=generator, **kwargs)
    return target.to_numpy(y)


def _generator(library: str, seed: int):
    """The library's own generator (or key) for ``seed``."""
    if library == "torch":
        import torch

        return torch.Generator().manual_seed(seed)
    if library.startswith("jax"):
        import jax

        return jax.random.key(seed)
    if library == "tensorflow":
        import tensorflow as tf

        return tf.random.Generator.from_seed(seed)
    if library == "mlx.core":
        import mlx.core as mx

        return mx.random.key(seed)
    return np.random.default_rng(seed)


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_an_int_seed_is_the_librarys_own_generator_for_it(target):
    np.testing.assert_array_equal(
        _rrelu(target, 5), _rrelu(target, _generator(target.library, 5)), strict=True
    )


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_a_seed_gives_the_same_slopes_call_after_call(target):
    results = [_rrelu(target, 5) for _ in range(3)]
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0], strict=True)


@pytest.mark.parametrize("name", ["numpy", "torch", "array-api-strict", "dask"])
def test_a_generator_object_advances(name):
    target = _target(name)
    generator = _generator(target.library, 5)
    first, second = _rrelu(target, generator), _rrelu(target, generator)
    negative = VALUES < 0
    assert not np.array_equal(first[negative], second[negative])


@pytest.mark.parametrize("name", ["array-api-strict", "dask"])
def test_the_array_api_path_draws_numpys_stream(name):
    # Both draw from numpy.random.default_rng(seed), on the host: the same slopes.
    np.testing.assert_array_equal(_rrelu(_target(name), 9), _rrelu(_target("numpy"), 9))


@pytest.mark.parametrize(("one", "other"), [("numpy", "torch"), ("numpy", "jax"), ("torch", "jax")])
def test_different_libraries_give_different_streams(one, other):
    # Documented: each library's generator has its own algorithm; the seed is no bridge.
    a, b = _rrelu(_target(one), 9), _rrelu(_target(other), 9)
    negative = VALUES < 0
    assert not np.allclose(a[negative], b[negative])
    for y in (a, b):  # both in [lower, upper], x > 0 unchanged
        slopes = y[negative] / VALUES[negative]
        assert np.all((slopes >= LOWER - 1e-12) & (slopes <= UPPER + 1e-12))
        np.testing.assert_array_equal(y[~negative], VALUES[~negative])


@pytest.mark.parametrize("name", ["numpy", "torch", "array-api-strict"])
def test_inplace_draws_the_same_slopes(name):
    target = _target(name)
    x = target.asarray(VALUES, "float32")
    y = multiact.rrelu(x, LOWER, UPPER, training=True, inplace=True, generator=3)
    assert y is x
    np.testing.assert_array_equal(target.to_numpy(x), _rrelu(target, 3, dtype="float32"))


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_nan_stays_nan_and_every_dtype_is_reproducible(target):
    values = np.array([np.nan, -np.inf, -1.0, -0.0, 0.0, 2.0])
    for dtype in target.dtypes:
        a, b = _rrelu(target, 1, values, dtype), _rrelu(target, 1, values, dtype)
        np.testing.assert_array_equal(a, b, strict=True)
        assert np.isnan(a[0])
        assert a[1] == -np.inf
        np.testing.assert_array_equal(a[-1], 2.0)
