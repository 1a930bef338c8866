"""The compiled NumPy loops (multiact._ufuncs, backends/_compiled.py) against the NumPy kernels
they stand in front of, which are also the fallback where the extension is not built.

Computed in double and rounded once, the loops are correctly rounded wherever the float64
value is more than about 1e-13 away from a rounding tie: compared here with the NumPy
kernels' float64 result, they must agree exactly on the special values and within half a
unit in the last place (plus that margin) everywhere else.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from multiact.backends import _compiled
from multiact.backends import numpy as numpy_backend

import multiact

pytestmark = pytest.mark.skipif(
    not _compiled.available(), reason=f"compiled loops not in use: {_compiled.UNAVAILABLE}"
)

#: (label, kernel call on the backend module's function) for every compiled activation.
CALLS = {
    "sigmoid": lambda k, x: k(x),
    "silu": lambda k, x: k(x, False),
    "gelu": lambda k, x: k(x, "none"),
    "gelu[tanh]": lambda k, x: k(x, "tanh"),
    "mish": lambda k, x: k(x, False),
    "softplus": lambda k, x: k(x, 1.0, 20.0),
    "softplus[2.0,1.0]": lambda k, x: k(x, 2.0, 1.0),
    "softplus[0.5,-3.0]": lambda k, x: k(x, 0.5, -3.0),
}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, -1e-38, 3e38, -3e38]


def _kernels(label):
    compiled = getattr(numpy_backend, label.split("[")[0])
    return compiled, compiled.__wrapped__


def _grid(dtype):
    if dtype == np.float16:  # every finite float16
        x = np.arange(2**16, dtype=np.uint16).view(np.float16)
        return x[np.isfinite(x)]
    x = np.linspace(-40, 40, 400_001, dtype=np.float32)
    tiny = np.geomspace(1e-30, 1e-2, 2001, dtype=np.float32)
    return np.concatenate([x, tiny, -tiny])


def test_every_compiled_activation_is_installed():
    assert {label.split("[")[0] for label in CALLS} == set(_compiled.NAMES)
    for name in _compiled.NAMES:
        assert getattr(numpy_backend, name).__qualname__ == f"install.<locals>.{name}"


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("label", CALLS)
def test_special_values_are_the_numpy_kernels(label, dtype):
    compiled, fallback = _kernels(label)
    with np.errstate(over="ignore"):  # 3e38 is inf in float16
        x = np.array(SPECIAL, dtype)
    call = CALLS[label]
    with np.errstate(all="raise"):  # and no warning of the compiled loops either
        mine = call(compiled, x)
    expected = call(fallback, x)
    assert mine.dtype == x.dtype
    np.testing.assert_array_equal(mine, expected)
    np.testing.assert_array_equal(np.signbit(mine), np.signbit(expected))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("label", CALLS)
def test_correctly_rounded_against_float64(label, dtype):
    compiled, fallback = _kernels(label)
    x = _grid(dtype)
    with np.errstate(all="raise"):
        mine = CALLS[label](compiled, x).astype(np.float64)
    exact = CALLS[label](fallback, x.astype(np.float64))  # within 3 ULP of float64
    rounded = exact.astype(dtype)
    info = np.finfo(dtype)
    normal = np.isfinite(exact) & (np.abs(rounded) >= info.tiny) & (np.abs(rounded) < info.max)
    ulps = np.abs(mine - exact)[normal] / np.spacing(np.abs(rounded[normal])).astype(np.float64)
    assert ulps.max() <= 0.5 + 1e-6, x[normal][ulps.argmax()]
    # Where the result rounds below the normal range, it is the float64 value rounded.
    low = np.isfinite(exact) & ~normal
    np.testing.assert_array_equal(mine[low], rounded[low].astype(np.float64))


@pytest.mark.parametrize("label", ["silu", "mish"])
def test_inplace_writes_x(label):
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    expected = getattr(multiact, label)(x)
    assert getattr(multiact, label)(x, inplace=True) is x
    np.testing.assert_array_equal(x, expected)
    x.flags.writeable = False
    with pytest.raises(ValueError, match=f"multiact.{label}"):
        getattr(multiact, label)(x, inplace=True)


def test_shapes_strides_and_scalars():
    x = np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)
    strided = x[::2, ::-3]
    np.testing.assert_array_equal(multiact.gelu(strided), multiact.gelu(strided.copy()))
    zero_d = multiact.sigmoid(np.array(0.5, np.float32))
    assert isinstance(zero_d, np.ndarray)
    assert zero_d.shape == ()
    assert isinstance(multiact.silu(np.float32(1.5)), np.float32)
    fortran = np.asfortranarray(x)
    assert multiact.mish(fortran).flags.f_contiguous


def test_the_environment_variable_turns_them_off():
    code = (
        "from multiact.backends import _compiled, numpy as b; "
        "print(_compiled.available(), b.sigmoid.__qualname__)"
    )
    env = {**os.environ, "MULTIACT_NO_COMPILED": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "sigmoid"], out.stderr


def test_conformance_without_the_compiled_loops():
    """The fallback (the NumPy kernels) passes the quick conformance run for the activations
    the compiled loops cover: the suite's other tests run with the loops in use, this with
    them off (CI runs both paths)."""
    pytest.importorskip("torch")
    pytest.importorskip("mpmath")
    env = {**os.environ, "MULTIACT_NO_COMPILED": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from multiact._cli import main; sys.exit(main(sys.argv[1:]))",
            "conformance",
            "--quick",
            "--backends",
            "numpy",
            "--activations",
            ",".join(_compiled.NAMES),
            "--jobs",
            "1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]  # 1 on any failure
