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
from multiact._constants import SELU_ALPHA, SELU_SCALE
from multiact._registry import ACTIVATIONS

_ufuncs = _compiled._ufuncs

pytestmark = pytest.mark.skipif(
    not _compiled.available(), reason=f"compiled loops not in use: {_compiled.UNAVAILABLE}"
)

#: (label, kernel call on the backend module's function) for every compiled activation.
CALLS = {
    "relu": lambda k, x: k(x, False),
    "leaky_relu": lambda k, x: k(x, 0.01, False),
    "leaky_relu[-0.5]": lambda k, x: k(x, -0.5, False),
    "leaky_relu[0.0]": lambda k, x: k(x, 0.0, False),
    "leaky_relu[3.0]": lambda k, x: k(x, 3.0, False),
    "sigmoid": lambda k, x: k(x),
    "silu": lambda k, x: k(x, False),
    "gelu": lambda k, x: k(x, "none"),
    "gelu[tanh]": lambda k, x: k(x, "tanh"),
    "mish": lambda k, x: k(x, False),
    "softplus": lambda k, x: k(x, 1.0, 20.0),
    "softplus[2.0,1.0]": lambda k, x: k(x, 2.0, 1.0),
    "softplus[0.5,-3.0]": lambda k, x: k(x, 0.5, -3.0),
    "elu": lambda k, x: k(x, 1.0, False),
    "elu[0.3]": lambda k, x: k(x, 0.3, False),
    "selu": lambda k, x: k(x, False),
    "celu[2.0]": lambda k, x: k(x, 2.0, False),
    "logsigmoid": lambda k, x: k(x),
    "quick_gelu": lambda k, x: k(x),
    "exponential": lambda k, x: k(x),
    "sparse_plus": lambda k, x: k(x),
    "softsign": lambda k, x: k(x),
    "laplace": lambda k, x: k(x, 0.707107, 0.282095),
    "laplace[0.0,1.0]": lambda k, x: k(x, 0.0, 1.0),
    "tanhshrink": lambda k, x: k(x),
    "squareplus": lambda k, x: k(x, 4.0),
    "squareplus[1.0]": lambda k, x: k(x, 1.0),
    "xielu": lambda k, x: k(x, 0.8, 0.8, 0.5, -1e-6),
    "xielu[1.5,0.5,0.25,-0.5]": lambda k, x: k(x, 1.5, 0.5, 0.25, -0.5),
    "log1mexp": lambda k, x: k(x),
    # glu(x) = a * sigmoid(b), the halves of x along the axis: x's values in pairs.
    "glu": lambda k, x: k(x[: x.size // 2 * 2].reshape(-1, 2), -1),
    "softmax": lambda k, x: k(x, -1),
    "log_softmax": lambda k, x: k(x, -1),
    "softmin": lambda k, x: k(x, -1),
}
ROWS = ("softmax", "log_softmax", "softmin")
#: The labels whose float64 loops compute in double words (multiact/_ufuncs_dd.h), with the
#: registry's name and parameters of their exact value: within 1 ULP of it.
DOUBLE_WORD = {
    "sigmoid": ("sigmoid", {}),
    "silu": ("silu", {}),
    "gelu": ("gelu", {"approximate": "none"}),
    "gelu[tanh]": ("gelu", {"approximate": "tanh"}),
    "laplace": ("laplace", {"mu": 0.707107, "sigma": 0.282095}),
    "laplace[0.0,1.0]": ("laplace", {"mu": 0.0, "sigma": 1.0}),
    "mish": ("mish", {}),
    "softplus": ("softplus", {"beta": 1.0, "threshold": 20.0}),
    "softplus[2.0,1.0]": ("softplus", {"beta": 2.0, "threshold": 1.0}),
    "softplus[0.5,-3.0]": ("softplus", {"beta": 0.5, "threshold": -3.0}),
    "selu": ("selu", {}),
    "quick_gelu": ("quick_gelu", {}),
    "tanhshrink": ("tanhshrink", {}),
    "squareplus": ("squareplus", {"b": 4.0}),
    "squareplus[1.0]": ("squareplus", {"b": 1.0}),
    "xielu": ("xielu", {"alpha_p": 0.8, "alpha_n": 0.8, "beta": 0.5, "eps": -1e-6}),
    "xielu[1.5,0.5,0.25,-0.5]": (
        "xielu",
        {"alpha_p": 1.5, "alpha_n": 0.5, "beta": 0.25, "eps": -0.5},
    ),
    "glu": ("glu", {}),
}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan]
#: Values at the edges of float32's range, in the grids (the loops are exact there too, where
#: the NumPy kernels may round twice: celu's x / alpha underflows in float32 at 1e-45).
EDGES = [1e-45, -1e-45, 1e-38, -1e-38, 3e38, -3e38, 3.4e38, -3.4e38]


def _f32(value):
    return float(np.float32(value))


def _log_softmax(x):
    """log_softmax in float64 along the last axis, log S as log1p of the sum beside the
    maximum (the NumPy kernel's log of a sum rounded to 1 + 1e-17 is not within 0.5 float32
    ULP of a result of -1e-17)."""
    m = x.max(-1, keepdims=True)
    top = x == m
    count = top.sum(-1, keepdims=True)
    rest = np.exp(x - m, where=~top, out=np.zeros_like(x)).sum(-1, keepdims=True)
    return (x - m) - np.where(count == 1, np.log1p(rest), np.log(count + rest))


#: The float64 value each float32 or float16 loop rounds, where it is not the NumPy kernel's
#: float64 result: the parameters rounded to float32 first, as PyTorch (and the loops) do.
EXACT = {
    "softmax": lambda x: np.exp(_log_softmax(x)),
    "log_softmax": _log_softmax,
    "softmin": lambda x: np.exp(_log_softmax(-x)),
    "leaky_relu": lambda x: np.where(x > 0, x, x * _f32(0.01)),
    "leaky_relu[3.0]": lambda x: np.where(x > 0, x, x * 3.0),
    "elu[0.3]": lambda x: np.where(x > 0, x, _f32(0.3) * np.expm1(np.minimum(x, 0))),
    "selu": lambda x: np.where(
        x > 0, _f32(SELU_SCALE) * x, _f32(SELU_ALPHA * SELU_SCALE) * np.expm1(np.minimum(x, 0))
    ),
    # The float64 double-word loop (test_float64_within_one_ulp_of_the_exact_value): the NumPy
    # kernel's float64 cancels near the negative side's root, by 1e-12.
    "xielu": lambda x: _ufuncs.xielu(x, 0.8, 0.8, 0.5, -1e-6),
    "xielu[1.5,0.5,0.25,-0.5]": lambda x: _ufuncs.xielu(x, 1.5, 0.5, 0.25, -0.5),
}


def _kernels(label):
    compiled = getattr(numpy_backend, label.split("[")[0])
    return compiled, compiled.__wrapped__


def _grid(dtype):
    if dtype == np.float16:  # every finite float16
        x = np.arange(2**16, dtype=np.uint16).view(np.float16)
        return x[np.isfinite(x)]
    if dtype == np.float64:
        return np.concatenate([np.linspace(-40, 40, 400_001), EDGES])
    x = np.linspace(-40, 40, 400_001, dtype=np.float32)
    tiny = np.geomspace(1e-30, 1e-2, 2001, dtype=np.float32)
    return np.concatenate([x, tiny, -tiny, np.array(EDGES, np.float32)])


def test_every_compiled_activation_is_installed():
    assert {label.split("[")[0] for label in CALLS} == set(_compiled.NAMES)
    for name in _compiled.NAMES:
        assert getattr(numpy_backend, name).__qualname__ == f"install.<locals>.{name}"


def _cases(dtypes=("float16", "float32", "float64")):
    """(label, dtype) for every dtype the label's activation has loops for here."""
    return [
        pytest.param(label, np.dtype(dtype), id=f"{label}-{dtype}")
        for label in CALLS
        for dtype in _compiled.available_dtypes(label.split("[")[0])
        if dtype in dtypes
    ]


@pytest.mark.parametrize(("label", "dtype"), _cases())
def test_special_values_are_the_numpy_kernels(label, dtype):
    compiled, fallback = _kernels(label)
    with np.errstate(over="ignore"):  # 3e38 is inf in float16
        x = np.array(SPECIAL, dtype)
        if label in ROWS:  # each special value with others, and alone
            x = np.array([[v, 1.0, -2.0] for v in SPECIAL] + [[v, v, v] for v in SPECIAL], dtype)
        if label == "glu":  # every pair of them, and of them with 1 and -2
            x = np.array([(a, b) for a in [*SPECIAL, 1.0, -2.0] for b in [*SPECIAL, 1.0, -2.0]])
            x = x.astype(dtype).ravel()
    call = CALLS[label]
    with np.errstate(all="raise"):  # and no warning of the compiled loops either
        mine = call(compiled, x)
    expected = call(fallback, x)
    assert mine.dtype == x.dtype
    # NaN where the kernel has NaN; elsewhere the float64 value rounded (the kernel's own
    # where the loops are exact: 0, inf and the rounding of finite values, which the kernel
    # may round twice), with the kernel's sign (a NaN's sign is not the activation's).
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(expected))
    numbers = ~np.isnan(expected)
    with np.errstate(all="ignore"):  # the NaN rows, overflows to inf
        # (EXACT's float32 coefficients are not float64's)
        reference = None if dtype == np.float64 and label in DOUBLE_WORD else EXACT.get(label)
        exact = (reference or (lambda w: call(fallback, w)))(x.astype(np.float64)).astype(dtype)
    if dtype == np.float64 and (label in ROWS or label in DOUBLE_WORD):  # within a few ULP
        np.testing.assert_array_max_ulp(mine[numbers], exact[numbers], maxulp=4)
    else:
        np.testing.assert_array_equal(mine[numbers], exact[numbers])
    np.testing.assert_array_equal(np.signbit(mine[numbers]), np.signbit(expected[numbers]))


@pytest.mark.parametrize(
    ("label", "dtype"),
    [c for c in _cases() if not (c.values[0] in DOUBLE_WORD and c.values[1] == np.float64)],
)
def test_correctly_rounded_against_float64(label, dtype):
    compiled, fallback = _kernels(label)
    x = _grid(dtype)
    if label in ROWS:  # rows of 1,000 neighbours, and rows spanning the grid (a row's sum
        # of 1 + 1e-17 where one element dominates: log_softmax's log1p)
        x = x[: x.size // 1000 * 1000].reshape(-1, 1000)
        x = np.concatenate([x, x.reshape(1000, -1).T[:, :1000]])
    with np.errstate(all="raise"):
        mine = CALLS[label](compiled, x).astype(np.float64)
    if dtype == np.float64 and label in ROWS:  # computed in float64 (x - m's rounding error
        # folded in): within a few ULP of the value in x87 extended precision, where the
        # NumPy kernel's softmax is 64 ULP off on these rows
        wide = x.astype(np.longdouble)
        reference = _log_softmax(-wide if label == "softmin" else wide)
        if label != "log_softmax":
            reference = np.exp(reference)
        # (measured: 5 ULP for softmax and softmin, 1 for log_softmax)
        maxulp = 2 if label == "log_softmax" else 6
        np.testing.assert_array_max_ulp(mine, reference.astype(np.float64), maxulp=maxulp)
        return
    if dtype == np.float64:  # relu and leaky_relu: exact, as the NumPy kernel
        np.testing.assert_array_equal(mine, CALLS[label](fallback, x))
        return
    exact = EXACT.get(label, lambda w: CALLS[label](fallback, w))(x.astype(np.float64))
    with np.errstate(over="ignore"):  # beyond float16's range: inf
        rounded = exact.astype(dtype)
    info = np.finfo(dtype)
    normal = np.isfinite(exact) & (np.abs(rounded) >= info.tiny) & (np.abs(rounded) < info.max)
    with np.errstate(invalid="ignore"):  # inf - inf, outside normal
        error = np.abs(mine - exact)[normal]
    ulps = error / np.spacing(np.abs(rounded[normal])).astype(np.float64)
    assert ulps.max() <= 0.5 + 1e-6, x[normal][ulps.argmax()]
    # Where the result rounds below the normal range, it is the float64 value rounded.
    low = np.isfinite(exact) & ~normal
    np.testing.assert_array_equal(mine[low], rounded[low].astype(np.float64))


def _exact_values(label, x):
    """The exact values (mpmath) of ``label`` at float64 ``x``, rounded to float64."""
    import mpmath

    name, params = DOUBLE_WORD[label]
    exact = ACTIVATIONS[name].exact
    # 1,200 bits: the tanh GELU's 1 + tanh(u) cancels to e^(2u), 2^-1100 at x = -21;
    # squareplus's x + sqrt(x^2 + b) to b / (2 |x|), 2^-2100 relative at x = -1.8e308.
    with mpmath.workprec(2400 if name == "squareplus" else 1200):
        if name == "glu":
            pairs = x.reshape(-1, 2)
            values = [exact(mpmath, [mpmath.mpf(a), mpmath.mpf(b)])[0] for a, b in pairs]
        else:
            values = [exact(mpmath, mpmath.mpf(v), **params) for v in x]
        return np.array([float(v) for v in values])


@pytest.mark.parametrize("label", DOUBLE_WORD)
def test_float64_within_one_ulp_of_the_exact_value(label):
    """The float64 loops against mpmath: the tails (down to where the results are subnormal),
    a grid and random points, and near 0."""
    pytest.importorskip("mpmath")
    rng = np.random.default_rng(5)
    tail = np.geomspace(1e-18, 740, 300)
    grid = np.linspace(-40, 40, 401)
    extremes = [-1.7976931348623157e308, -1e300, -1e20, 1e20, 1e300]
    x = np.concatenate(
        [grid, rng.uniform(-4, 4, 300), rng.uniform(-45, 45, 300), tail, -tail, extremes]
    )
    if label == "gelu":  # mpmath's erfc overflows a float near 1e308 (_catalog: clipped_gelu)
        x = x[np.abs(x) < 1e6]
    if label == "glu":  # (a, b) pairs: a the grid's values, b shuffled
        x = np.stack([x, rng.permutation(x)], axis=-1).ravel()
    compiled, _ = _kernels(label)
    with np.errstate(all="raise"):
        mine = CALLS[label](compiled, x).ravel()
    exact = _exact_values(label, x)
    normal = np.isfinite(exact) & (np.abs(exact) >= np.finfo(np.float64).tiny)
    np.testing.assert_array_max_ulp(mine[normal], exact[normal], maxulp=1)
    assert (mine[normal] == exact[normal]).mean() > 0.99  # nearly all correctly rounded
    # Below the normal range: within a unit of the smallest subnormal (rounded twice at most).
    low = np.isfinite(exact) & ~normal
    assert np.abs(mine[low] - exact[low]).max(initial=0) <= 5e-324, x[low]


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


@pytest.fixture
def threads():
    """Restores the thread count a test changes."""
    before = multiact.get_num_threads()
    yield multiact.set_num_threads
    multiact.set_num_threads(before)


@pytest.mark.parametrize("label", CALLS)
def test_results_do_not_depend_on_the_thread_count(label, threads):
    """Arrays large enough to be split (from 131,072 elements), and for the rows one long row
    (split by segments) and many short ones (split by rows)."""
    rng = np.random.default_rng(7)
    shapes = [(2, 300_001), (3000, 70)] if label in ROWS else [(300_001,)]
    for shape in shapes:
        x = (rng.standard_normal(shape) * 8).astype(np.float32)
        x.flat[::997] = np.nan
        compiled, _ = _kernels(label)
        threads(1)
        one = CALLS[label](compiled, x)
        threads(3)
        np.testing.assert_array_equal(CALLS[label](compiled, x), one)


@pytest.mark.parametrize("n", [0, -1, 2.0, True, "2"])
def test_set_num_threads_refuses_anything_but_a_positive_integer(n):
    with pytest.raises(ValueError, match=r"multiact\.set_num_threads: n must be an integer"):
        multiact.set_num_threads(n)


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("1", 1), ("many", None)])
def test_the_thread_count_comes_from_the_environment(value, expected):
    code = "import multiact, warnings; print(multiact.get_num_threads())"
    env = {**os.environ, "MULTIACT_NUM_THREADS": value}
    out = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    if expected is None:  # a warning, and the default
        assert "MULTIACT_NUM_THREADS must be a positive integer, got 'many'" in out.stderr
        assert int(out.stdout) >= 1
    else:
        assert int(out.stdout) == expected


@pytest.mark.parametrize("name", ROWS)
def test_rows_along_any_axis_and_of_any_size(name):
    function = getattr(multiact, name)
    x = np.random.default_rng(3).standard_normal((4, 5, 6)).astype(np.float32)
    for axis in (0, 1, 2, -2):
        moved = np.moveaxis(function(np.moveaxis(x, axis, -1).copy(), axis=-1), -1, axis)
        np.testing.assert_array_equal(function(x, axis=axis), moved)
    assert function(np.zeros((3, 0), np.float32)).shape == (3, 0)
    assert function(np.zeros((0, 3), np.float32)).shape == (0, 3)
    zero_d = function(np.array(2.5, np.float32))
    assert zero_d.shape == ()
    assert zero_d == (0.0 if name == "log_softmax" else 1.0)
    # The largest element's log_softmax when the others are negligible: -log1p(2 e^-40).
    if name == "log_softmax":
        y = function(np.array([40.0, 0.0, 0.0], np.float32))
        assert y[0] == np.float32(-2 * np.exp(-40.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("name", ["gelu", "silu"])
def test_compiled_gradients_round_the_float64_gradient(name, dtype):
    """multiact.vjp on NumPy arrays through the compiled loops (backends.Backend.vjp): g times
    the derivative, rounded once from the float64 gradient of the generic formulas; NaN at
    +-inf and NaN, the signs of zeros kept."""
    if np.dtype(dtype).name not in _compiled.available_dtypes(name):
        pytest.skip(f"no {np.dtype(dtype).name} loops here")
    with np.errstate(over="ignore"):
        x = np.concatenate([_grid(dtype), np.array([*SPECIAL, -40.0, -14.6, 40.0], dtype)])
    g = np.random.default_rng(11).uniform(-2, 2, x.size).astype(dtype)
    assert _compiled.NUMPY_KERNELS  # the loops are installed
    with np.errstate(all="raise"):
        mine = multiact.vjp(name, x, g)
    assert mine.dtype == x.dtype
    exact = multiact.vjp(name, x.astype(np.float64), g.astype(np.float64))
    with np.errstate(over="ignore"):
        rounded = exact.astype(dtype)
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(exact))
    info = np.finfo(dtype)
    normal = np.isfinite(exact) & (np.abs(rounded) >= info.tiny) & (np.abs(rounded) < info.max)
    ulps = np.abs(mine.astype(np.float64) - exact)[normal] / np.spacing(
        np.abs(rounded[normal])
    ).astype(np.float64)
    assert ulps.max() <= 0.5 + 1e-6, x[normal][ulps.argmax()]
    low = np.isfinite(exact) & ~normal
    np.testing.assert_array_equal(mine[low], rounded[low])
    zeros = rounded == 0
    np.testing.assert_array_equal(np.signbit(mine[zeros]), np.signbit(rounded[zeros]))


def test_gradients_the_loops_do_not_take_use_the_formulas():
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    g = np.ones_like(x)
    vjp = numpy_backend.vjp
    params = {"approximate": "none"}
    assert vjp("gelu", x, x, g, params) is not NotImplemented
    assert vjp("gelu", x, x, g, {"approximate": "tanh"}) is NotImplemented
    assert vjp("gelu", x.astype(np.float64), x, g.astype(np.float64), params) is NotImplemented
    assert vjp("gelu", x, x, g.astype(np.float64), params) is NotImplemented
    assert vjp("relu", x, x, g, {"inplace": False}) is NotImplemented
    # and multiact.vjp gives the formulas' result for them
    np.testing.assert_array_equal(multiact.vjp("relu", x, g), (x > 0).astype(np.float32))


AT_DEFAULTS = [
    name
    for name in ACTIVATIONS
    if numpy_backend.AT_DEFAULTS is not None and getattr(numpy_backend.AT_DEFAULTS, name)
]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "longdouble"])
@pytest.mark.parametrize("shape", [(), (3, 5)])
@pytest.mark.parametrize("name", AT_DEFAULTS)
def test_kernels_at_the_defaults_are_the_full_kernels_at_the_defaults(name, shape, dtype):
    """``Backend.AT_DEFAULTS``, which the Dispatchers call for x alone: the same array (a 0-d
    array for a 0-d one), bit for bit, as the kernel with every parameter at its default, for
    the dtypes the loops take and for those they leave to the NumPy kernels."""
    values = np.array([-30.0, -2.5, -0.0, 0.0, 0.5, 3.0, 40.0, np.inf, -np.inf, np.nan] * 2)
    x = values[: int(np.prod(shape))].reshape(shape).astype(dtype)
    defaults = [p.default for p in ACTIVATIONS[name].params]
    full = getattr(numpy_backend, name)(x, *defaults)
    fast = getattr(numpy_backend.AT_DEFAULTS, name)(x)
    assert type(fast) is type(full) is np.ndarray
    assert fast.dtype == full.dtype
    assert fast.shape == full.shape
    np.testing.assert_array_equal(np.signbit(fast), np.signbit(full))
    np.testing.assert_array_equal(fast, full)
    assert np.array_equal(getattr(multiact, name)(x), full, equal_nan=True)
