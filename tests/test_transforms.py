"""Every activation traces under jax.jit, jax.vmap and jax.grad, and their compositions, giving
the eager values; rrelu in training mode is random by design and compared for shape only.
(torch.compile: test_compile.py; sharded arrays: test_sharding.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from cases import TYPICAL

import multiact

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _call(activation, params):
    fn = getattr(multiact, activation.name)
    concrete = {k: jnp.asarray(v) if isinstance(v, tuple) else v for k, v in params.items()}
    return lambda x: fn(x, **concrete)


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_jit_gives_the_eager_values(activation, params):
    x = jnp.asarray(np.random.default_rng(0).standard_normal((4, 6)))
    f = _call(activation, params)
    np.testing.assert_allclose(np.asarray(jax.jit(f)(x)), np.asarray(f(x)), rtol=1e-12)


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_vmap_over_rows_gives_the_eager_values(activation, params):
    if activation.name == "prelu":
        pytest.skip("prelu's channel axis is axis 1 of the batched input, not of each row")
    x = jnp.asarray(np.random.default_rng(1).standard_normal((4, 6)))
    f = _call(activation, params)
    np.testing.assert_allclose(np.asarray(jax.vmap(f)(x)), np.asarray(f(x)), rtol=1e-12)


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_grad_under_jit_equals_grad(activation, params):
    x = jnp.asarray(np.random.default_rng(2).standard_normal((4, 6)))
    f = _call(activation, params)

    def loss(x):
        return f(x).sum()

    np.testing.assert_allclose(
        np.asarray(jax.jit(jax.grad(loss))(x)), np.asarray(jax.grad(loss)(x)), rtol=1e-12
    )


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_per_row_grad_under_vmap_equals_grad(activation, params):
    # Per-example gradients, the usual vmap(grad) pattern: rows are independent (reductions
    # run along the last axis), so each row's gradient is that row of the whole gradient.
    if activation.name == "prelu":
        pytest.skip("prelu's channel axis is axis 1 of the batched input, not of each row")
    x = jnp.asarray(np.random.default_rng(3).standard_normal((4, 6)))
    f = _call(activation, params)

    def loss(x):
        return f(x).sum()

    per_row = jax.jit(jax.vmap(jax.grad(loss)))(x)
    np.testing.assert_allclose(np.asarray(per_row), np.asarray(jax.grad(loss)(x)), rtol=1e-12)
