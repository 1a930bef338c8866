"""The conformance engine's adapters (``multiact.conformance.adapters``), one per array library,
on the real libraries: arrays built and read back, devices, autograd, and the tables kept in
step with the native backends."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from multiact.backends import NATIVE_BACKENDS
from multiact.conformance import cases, tolerances
from multiact.conformance.adapters import ADAPTERS, DISTRIBUTIONS, Adapter, gpu_status
from multiact.conformance.targets import ALL_TARGETS, TARGETS

ADAPTER_PARAMS = [
    pytest.param(
        a,
        id=name,
        marks=pytest.mark.skipif(not a.available(), reason=f"{a.package} missing"),
    )
    for name, a in ADAPTERS.items()
    if a.devices != ("cuda",) or a.available()  # CuPy: a GPU library, tested where it is
]


def test_every_native_backend_has_one_adapter_and_targets():
    for native in NATIVE_BACKENDS:
        adapters = [a for a in ADAPTERS.values() if a.native_backend == native.name]
        assert len(adapters) == 1, native.name
        (adapter,) = adapters
        # The library dispatch looks for in sys.modules, a module of the adapter's package
        # (mlx.core).
        assert native.library.partition(".")[0] == adapter.package
        # The native path, and the generic kernels forced onto the same arrays.
        on_it = {(t.backend, t.forced_generic) for t in ALL_TARGETS if t.adapter is adapter}
        assert on_it == {(native.name, False), ("generic", True)}
    natives = {n.name for n in NATIVE_BACKENDS}
    assert {a.native_backend for a in ADAPTERS.values()} - {None} == natives


def test_the_target_table():
    names = [t.name for t in ALL_TARGETS]
    assert len(names) == len(set(names))
    assert all(t.adapter in ADAPTERS.values() for t in ALL_TARGETS)
    assert set(ADAPTERS.values()) == {t.adapter for t in ALL_TARGETS}
    # Only a library listed only where installed may be missing from a run's targets.
    for t in set(ALL_TARGETS) - set(TARGETS):
        assert t.adapter.only_where_installed
        assert not t.available()
        with pytest.raises(ValueError, match=f"needs {t.adapter.title}, which is not installed"):
            cases.select_targets([t.name])


def test_one_table_of_distributions():
    for a in ADAPTERS.values():
        assert set(a.distributions) <= set(DISTRIBUTIONS)
    assert len(DISTRIBUTIONS) == len(set(DISTRIBUTIONS))
    assert DISTRIBUTIONS[0] == "multiact"


def test_gpu_status_names_each_gpu_library():
    status = gpu_status()
    assert set(status) == {a.package for a in ADAPTERS.values() if "cuda" in a.devices}
    for package, why in status.items():
        if not ADAPTERS[package].available():
            assert why == "not installed"


@pytest.mark.parametrize("adapter", ADAPTER_PARAMS)
def test_arrays_round_trip_in_every_dtype(adapter: Adapter):
    values = np.array([-2.5, -0.0, 0.0, 1.0, 256.0, np.inf, -np.inf, np.nan])
    for device in ("cpu", None) if "cpu" in adapter.devices else ("cuda",):
        for dtype in adapter.dtypes:
            x = adapter.asarray(values, dtype, device)
            assert adapter.device_of(x) == (device or adapter.devices[0])
            back = adapter.to_numpy(x)
            assert back.dtype == np.float64
            np.testing.assert_array_equal(back, values)  # each exact in every dtype
            assert np.signbit(back[1])
            assert not np.signbit(back[2])
            y = adapter.namespace().abs(x)
            assert adapter.same_array_type(x, y)


@pytest.mark.parametrize("adapter", ADAPTER_PARAMS)
def test_integers_and_booleans_keep_their_dtype(adapter: Adapter):
    device = adapter.devices[0]
    back = adapter.to_numpy(adapter.asarray(np.array([1, 0, 1]), "bool", device))
    assert back.dtype == np.bool_
    back = adapter.to_numpy(adapter.asarray(np.array([3, -2]), "int32", device))
    assert back.dtype.kind == "i"
    np.testing.assert_array_equal(back, [3, -2])


@pytest.mark.parametrize("adapter", ADAPTER_PARAMS)
def test_autograd_where_the_library_has_it(adapter: Adapter):
    device = adapter.devices[0]
    values = np.array([-1.5, 0.5, 2.0, 3.0])
    x = adapter.asarray(values, "float64" if "float64" in adapter.dtypes else "float32", device)
    g = adapter.asarray(np.array([1.0, 2.0, -1.0, 0.5]), adapter.dtype_name(x.dtype), device)
    if not adapter.has_autograd:
        with pytest.raises(NotImplementedError, match="has no autograd"):
            adapter.vjp(lambda v: v * v, x, g)
        return
    grad = adapter.vjp(lambda v: v * v, x, g)
    np.testing.assert_array_equal(adapter.to_numpy(grad), 2 * values * [1.0, 2.0, -1.0, 0.5])
    if adapter.strided_views:  # the gradient with respect to a strided view itself
        base = adapter.asarray(np.repeat(values, 2), "float32", device)
        view = base[..., ::2]
        grad = adapter.vjp(lambda v: v * v * v, view, adapter.asarray(np.ones(4), "float32", None))
        np.testing.assert_array_equal(adapter.to_numpy(grad), 3 * values**2)


def test_targets_share_their_libraries_dtypes_and_devices():
    for t in ALL_TARGETS:
        assert t.dtypes == t.adapter.dtypes
        assert t.devices == t.adapter.devices
        assert t.library == t.adapter.module
    numpy = next(t for t in TARGETS if t.name == "numpy")
    with pytest.raises(ValueError, match="cannot live on 'cuda'"):
        numpy.asarray(np.ones(2), "float32", "cuda")


def test_layouts_and_modes_come_from_the_adapter():
    for t in TARGETS:
        assert cases.target_has_kind(t, "strided") == t.adapter.strided_views
        assert cases.target_has_kind(t, "batched", reduces=True)
        assert cases.target_has_kind(t, "batched") != t.adapter.shape_agnostic_elementwise
        modes = cases.modes_for(t)
        assert ("autograd" in modes) == (t.adapter.has_autograd and not t.forced_generic)


def test_the_tolerances_compute_nothing_with_pytorch():
    code = (
        "import sys, multiact.conformance.tolerances;"
        "assert 'torch' not in sys.modules, 'torch imported';"
        "assert 'multiact.conformance.reference' not in sys.modules, 'reference imported'"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_a_known_difference_holds_the_backend_to_the_callers_pytorch_result():
    # JAX's half-precision autograd is held to PyTorch's float32 gradient rounded to float16
    # (tolerances.KNOWN_DIFFERENCES): the caller computes it; judge only compares.
    values = np.array([-3.0, 0.0, 2.0])
    g = np.ones(3)
    torch_half = np.array([0.0452, 0.25, 0.105])  # PyTorch's own float16 gradient (stand-in)
    wide = np.array([0.04517, 0.25, 0.10498])  # what the caller says the float32 one is
    asked = []

    def pytorch_on_cpu(compute: str) -> np.ndarray:
        asked.append(compute)
        return wide

    def verdict(actual):
        return tolerances.judge(
            "sigmoid", {}, "gradient", "jax", "float16", values, actual, torch_half, g,
            mode="autograd", pytorch_on_cpu=pytorch_on_cpu,
        )  # fmt: skip

    assert verdict(wide).ok
    assert asked == ["float32"]
    assert not verdict(wide * 1.01).ok
    with pytest.raises(ValueError, match="judge needs pytorch_on_cpu"):
        tolerances.judge(
            "sigmoid", {}, "gradient", "jax", "float16", values, wide, torch_half, g,
            mode="autograd",
        )  # fmt: skip
    # Elsewhere (multiact.vjp on JAX) nothing is asked of PyTorch.
    asked.clear()
    tolerances.judge(
        "sigmoid", {}, "gradient", "jax", "float16", values, torch_half, torch_half, g,
        mode="vjp", pytorch_on_cpu=pytorch_on_cpu,
    )  # fmt: skip
    assert asked == []
