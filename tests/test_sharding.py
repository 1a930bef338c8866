"""JAX sharding: on a mesh of 4 devices, every activation keeps its input's sharding, eagerly,
under jax.jit and in its jitted gradient, and gives the unsharded values, softmax-like functions
included along a sharded axis. A JAX array placed on one device stays there.

JAX fixes its device count when it starts, so the checks run in one subprocess started with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (this file, run as a script); it
prints one JSON line of findings per activation, and each test reads its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cases import TYPICAL

pytest.importorskip("jax")

DEVICES = 4
#: Sharded and unsharded reductions may add in a different order: a few float64 ULP.
RTOL = 1e-13


def _mesh_and_sharding():
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    # 2 x 2: both axes of the input sharded, so every reduction crosses devices.
    mesh = Mesh(np.array(jax.devices()).reshape(2, 2), ("rows", "columns"))
    return NamedSharding(mesh, PartitionSpec("rows", "columns"))


def _findings(activation, params) -> dict:
    """What the test asserts, computed in the subprocess (where JAX sees 4 devices)."""
    import jax
    import jax.numpy as jnp

    import multiact

    fn = getattr(multiact, activation.name)
    kwargs = {k: jnp.asarray(v) if isinstance(v, tuple) else v for k, v in params.items()}

    def f(x):
        return fn(x, **kwargs)

    values = np.random.default_rng(5).standard_normal((8, 12))
    if activation.name == "log1mexp":
        values = np.abs(values)
    sharding = _mesh_and_sharding()
    x = jax.device_put(jnp.asarray(values), sharding)
    unsharded = np.asarray(f(jnp.asarray(values)))
    eager, jitted = f(x), jax.jit(f)(x)
    # Weighted: the gradient of a plain sum of softmax is 0 (its rows sum to 1), all rounding.
    weights = np.random.default_rng(6).uniform(0.5, 1.5, np.shape(unsharded))
    grad = jax.jit(jax.grad(lambda x: (f(x) * weights).sum()))
    unsharded_grad = np.asarray(grad(jnp.asarray(values)))
    sharded_grad = grad(x)
    one_device = jax.devices()[2]
    placed = f(jax.device_put(jnp.asarray(values), one_device))

    def same_sharding(y) -> bool:
        return y.sharding.is_equivalent_to(sharding, y.ndim)

    def max_relative_error(y) -> float:
        y = np.asarray(y)
        scale = np.maximum(np.abs(unsharded), np.finfo(np.float64).tiny)
        return float(np.max(np.abs(y - unsharded) / scale))

    return {
        "shards": len(x.addressable_shards),
        "eager_sharding": same_sharding(eager),
        "jit_sharding": same_sharding(jitted),
        "eager_error": max_relative_error(eager),
        "jit_error": max_relative_error(jitted),
        "grad_sharding": same_sharding(sharded_grad),
        # Relative to the largest entry: softmax-like gradients cancel in their small entries.
        "grad_error": float(
            np.max(np.abs(np.asarray(sharded_grad) - unsharded_grad))
            / np.max(np.abs(unsharded_grad))
        ),
        "placed_devices": [str(d) for d in placed.devices()],
        "one_device": str(one_device),
    }


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    if len(jax.devices()) != DEVICES:
        raise SystemExit(f"expected {DEVICES} devices (XLA_FLAGS), JAX has {jax.devices()}")
    for case in TYPICAL:
        activation, params = case.values
        print(json.dumps({"name": activation.name, **_findings(activation, params)}), flush=True)


def _run_subprocess() -> str:
    env = {
        **os.environ,
        "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} "
        f"--xla_force_host_platform_device_count={DEVICES}".strip(),
        "JAX_PLATFORMS": "cpu",
    }
    result = subprocess.run(
        [sys.executable, __file__],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> dict[str, dict]:
    # Under pytest-xdist every worker that runs a test here would start the subprocess (about
    # 20 s); the first one writes its output where the others find it (xdist's documented
    # recipe: the shared parent of the workers' temporary directories, and a file lock).
    # Without xdist that parent outlives the run: then just run it.
    if "PYTEST_XDIST_WORKER" not in os.environ:
        output = _run_subprocess()
    else:
        from filelock import FileLock

        shared = tmp_path_factory.getbasetemp().parent / "multiact-sharding.jsonl"
        with FileLock(f"{shared}.lock"):
            if not shared.exists():
                shared.write_text(_run_subprocess())
            output = shared.read_text()
    rows = [json.loads(line) for line in output.splitlines()]
    return {row["name"]: row for row in rows}


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_eager_call_keeps_the_sharding(findings, activation, params):
    found = findings[activation.name]
    assert found["shards"] == DEVICES
    assert found["eager_sharding"]


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_jit_keeps_the_sharding(findings, activation, params):
    assert findings[activation.name]["jit_sharding"]


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_sharded_values_equal_unsharded(findings, activation, params):
    found = findings[activation.name]
    assert found["eager_error"] <= RTOL
    assert found["jit_error"] <= RTOL


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_jitted_gradient_keeps_the_sharding_and_values(findings, activation, params):
    found = findings[activation.name]
    if activation.name != "identity":
        # identity's gradient does not depend on x, and XLA puts such a constant on one
        # device: jax.jit(jax.grad(lambda x: (x * w).sum())) does the same without multiact.
        assert found["grad_sharding"]
    assert found["grad_error"] <= RTOL


@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_array_on_one_device_stays_there(findings, activation, params):
    found = findings[activation.name]
    assert found["placed_devices"] == [found["one_device"]]


if __name__ == "__main__":
    main()
