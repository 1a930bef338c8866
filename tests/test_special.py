"""Tests for multiact._special: erfc, gelu_exact and gelu_exact_grad.

Accuracy is measured in ULPs of the dtype at the true value (mpmath, 50
digits), on every backend and dtype, so a regression on one backend shows up
as one failing case.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from multiact import _special
from multiact._special import erfc, gelu_exact, gelu_exact_grad

FUNCS = {"erfc": erfc, "gelu_exact": gelu_exact, "gelu_exact_grad": gelu_exact_grad}
DTYPES = {"float32": np.float32, "float64": np.float64}

# Max ULP error allowed where the backend's exp is good (<= 0.55 ULP: NumPy's
# float64, PyTorch's CPU exp) or fair (XLA's float32 exp, 0.8 ULP).  Worst
# cases found by random sweeps (float64 | float32): erfc 1.7 | 2.2 (PyTorch),
# 2.5 (JAX); gelu_exact 1.8 | 2.6; gelu_exact_grad 1.7 | 2.0.  In float32 the
# error of fdlibm's rational R/S, evaluated in float32, dominates.
TOLERANCE = {
    ("erfc", "float64"): 2.0,
    ("erfc", "float32"): 2.5,
    ("gelu_exact", "float64"): 3.0,
    ("gelu_exact", "float32"): 3.0,
    ("gelu_exact_grad", "float64"): 3.0,
    ("gelu_exact_grad", "float32"): 3.0,
}
# NumPy's own float32 exp (SIMD) is off by up to 2.1 ULP by itself; float32 on
# NumPy-based namespaces measured up to 3.4 (erfc), 3.3 (gelu) and 3.8 (grad).
NUMPY_FLOAT32_TOLERANCE = 4.0
# XLA:CPU's float64 exp is off by up to 1.4 ULP; JAX float64 erfc measured 1.9.
JAX_FLOAT64_ERFC_TOLERANCE = 2.5
NUMPY_BASED = {"numpy", "array_api_strict", "dask"}


# ---------------------------------------------------------------------------
# Backends


@dataclass(frozen=True)
class Backend:
    name: str
    xp: Any
    asarray: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]


def _make_backend(name: str) -> Backend:
    if name == "numpy":
        return Backend(name, np, np.asarray, np.asarray)
    if name == "array_api_strict":
        xs = pytest.importorskip("array_api_strict")
        return Backend(name, xs, xs.asarray, np.from_dlpack)
    if name == "torch":
        torch = pytest.importorskip("torch")
        xt = pytest.importorskip("array_api_compat.torch")
        return Backend(name, xt, lambda a: torch.from_numpy(a.copy()), lambda t: t.numpy())
    if name == "jax":
        jnp = pytest.importorskip("jax.numpy")
        return Backend(name, jnp, jnp.asarray, np.asarray)
    if name == "dask":
        da = pytest.importorskip("dask.array")
        xd = pytest.importorskip("array_api_compat.dask.array")
        # One chunk, no graph optimisation: the graph has ~400 layers.
        return Backend(
            name,
            xd,
            lambda a: da.from_array(a, chunks=-1),
            lambda a: a.compute(optimize_graph=False, scheduler="synchronous"),
        )
    raise AssertionError(name)


@pytest.fixture(params=list(DTYPES))
def dtype(request: pytest.FixtureRequest) -> type:
    return DTYPES[request.param]


def _backend_fixture(name: str, dtype: type):
    be = _make_backend(name)
    if be.name == "jax" and dtype is np.float64:
        import jax

        # x64 only for the float64 cases, and only for the test's duration.
        with jax.enable_x64(True):
            yield be
    else:
        yield be


@pytest.fixture(params=["numpy", "array_api_strict", "torch", "jax"])
def backend(request: pytest.FixtureRequest, dtype: type):
    yield from _backend_fixture(request.param, dtype)


# Dask adds ~0.7 s of graph overhead per call, so it only runs the accuracy
# tests; it computes with NumPy underneath, whose special cases are tested.
@pytest.fixture(params=["numpy", "array_api_strict", "torch", "jax", "dask"])
def any_backend(request: pytest.FixtureRequest, dtype: type):
    yield from _backend_fixture(request.param, dtype)


# Every 1-D input has this length: eager JAX compiles each primitive once per
# shape (~1 s for the ~400 operations here), so a shared shape saves most of it.
N = 4096


def _run(be: Backend, fname: str, x: np.ndarray) -> np.ndarray:
    """FUNCS[fname] on backend be, for 1-D x of length <= N (padded to N)."""
    n = x.size
    padded = np.concatenate([x, np.ones(N - n, dtype=x.dtype)])
    y = be.to_numpy(FUNCS[fname](be.asarray(padded), be.xp))
    assert y.dtype == x.dtype, f"{fname} returned {y.dtype} for {x.dtype} input"
    return y[:n]


def _flushes_subnormals(be: Backend, dtype: type) -> bool:
    """XLA:CPU flushes subnormal results (and inputs) to zero."""
    sub = np.array([np.finfo(dtype).smallest_subnormal * 3], dtype=dtype)
    return bool(be.to_numpy(be.asarray(sub) * 1.0)[0] == 0)


def _tolerance(fname: str, backend_name: str, dtype: type) -> float:
    if dtype is np.float32 and backend_name in NUMPY_BASED:
        return NUMPY_FLOAT32_TOLERANCE
    if dtype is np.float64 and backend_name == "jax" and fname == "erfc":
        return JAX_FLOAT64_ERFC_TOLERANCE
    return TOLERANCE[fname, np.dtype(dtype).name]


# ---------------------------------------------------------------------------
# Reference values and ULP errors


def _ref_erfc(mp: Any, v: Any) -> Any:
    return mp.erfc(v)


def _ref_gelu(mp: Any, v: Any) -> Any:
    return v * mp.ncdf(v)


def _ref_grad(mp: Any, v: Any) -> Any:
    return mp.ncdf(v) + v * mp.npdf(v)


REFS = {"erfc": _ref_erfc, "gelu_exact": _ref_gelu, "gelu_exact_grad": _ref_grad}
X0 = -0.75179152469356445746  # zero of the GELU derivative


def _near(points: list[float], dtype: type, k: int = 2) -> list[float]:
    """The points and their k nearest neighbours on each side in dtype."""
    out = []
    for p in points:
        for sign in (1.0, -1.0):
            v = dtype(p * sign)
            out.append(float(v))
            lo = hi = v
            for _ in range(k):
                lo = np.nextafter(lo, dtype(-np.inf))
                hi = np.nextafter(hi, dtype(np.inf))
                out += [float(lo), float(hi)]
    return out


TINY = [0.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-45, 1e-40, 1.2e-38]
TINY += [2.0**-56, 1e-20, 1e-10]


def _grid(fname: str, dtype: type) -> np.ndarray:
    rng = np.random.default_rng(20240611)
    if fname == "erfc":
        parts = [np.linspace(-6.0, 30.0, 2401), rng.uniform(-6.0, 30.0, 800)]
        edges = [0.25, 0.84375, 1.25, 1 / 0.35, 6.0, 9.2, 10.05, 26.5, 27.2, 28.0]
    else:
        parts = [
            np.linspace(-40.0, 10.0, 2001),
            rng.uniform(-40.0, -2.0, 800),
            rng.uniform(-3.0, 3.0, 600),
        ]
        # Branch points of the implementation, in x.
        edges = [1.25 * 2**0.5, 0.84375 * 2**0.5, 1.77, 1.08, 0.3535, 0.25 * 2**0.5]
        edges += [2 / 0.35**0.5, 14.0, 16.0, 37.5, 38.5, 40.0]
        if fname == "gelu_exact_grad":
            parts.append(X0 + np.linspace(-1e-3, 1e-3, 201))
            edges.append(X0)
    parts.append(np.array(_near(edges + TINY, dtype)))
    x = np.concatenate(parts).astype(dtype)
    x = np.unique(x[np.isfinite(x)])
    assert x.size <= N
    return x


@functools.cache
def _reference(fname: str, dtype_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid x and the true values as double-doubles (hi, lo)."""
    mpmath = pytest.importorskip("mpmath")
    x = _grid(fname, DTYPES[dtype_name])
    hi = np.empty(x.size)
    lo = np.empty(x.size)
    with mpmath.workdps(50):
        for i, v in enumerate(x.tolist()):
            r = REFS[fname](mpmath, mpmath.mpf(v))
            hi[i] = float(r)
            lo[i] = float(r - hi[i])
    return x, hi, lo


def ulp_errors(y: np.ndarray, hi: np.ndarray, lo: np.ndarray, flush: bool = False) -> np.ndarray:
    """|y - true| in ULPs of y's dtype at the true value hi + lo.

    Below the normal range the ULP is the smallest subnormal, or the smallest
    normal number where the backend flushes subnormals to zero.
    """
    fi = np.finfo(y.dtype)
    mag = np.abs(hi)
    _, e = np.frexp(mag)  # mag = m * 2**e with m in [0.5, 1)
    e = np.where(mag == 0, fi.minexp + 1, e)
    ulp = np.ldexp(1.0, np.maximum(e - 1, fi.minexp) - fi.nmant)
    if flush:
        ulp = np.maximum(ulp, float(fi.smallest_normal))
    err = np.abs((y.astype(np.float64) - hi) - lo)
    return err / ulp


def _assert_accurate(y: np.ndarray, x: np.ndarray, hi, lo, tol: float, flush: bool) -> None:
    err = ulp_errors(y, hi, lo, flush)
    assert not np.any(np.isnan(err)), f"nan at x={x[np.isnan(err)][:5]}"
    i = int(np.argmax(err))
    assert err[i] <= tol, f"{err[i]:.3f} ULP at x={x[i]!r}: got {y[i]!r}, want {hi[i]!r}"


def test_ulp_errors_helper() -> None:
    one = np.array([1.0])
    assert ulp_errors(one + 2.0**-52, one, np.zeros(1))[0] == 1.0  # ULP of 1 is 2**-52
    # Measured at the true value: just below 1 the spacing is finer, but the
    # unit stays 2**-52.
    assert ulp_errors(one - 2.0**-53, one, np.zeros(1))[0] == 0.5
    assert ulp_errors(np.array([0.5]), np.array([0.5]), np.array([2.0**-56]))[0] == 0.125
    assert ulp_errors(np.array([np.float32(1e-45)]), np.zeros(1), np.zeros(1))[0] == 1.0
    assert ulp_errors(np.array([0.0]), np.array([5e-324]), np.zeros(1))[0] == 1.0
    flushed = ulp_errors(np.array([np.float32(0)]), np.array([1e-40]), np.zeros(1), True)
    assert flushed[0] < 1.0


# ---------------------------------------------------------------------------
# Accuracy


@pytest.mark.parametrize("fname", list(FUNCS))
def test_accuracy(fname: str, any_backend: Backend, dtype: type) -> None:
    x, hi, lo = _reference(fname, np.dtype(dtype).name)
    y = _run(any_backend, fname, x)
    tol = _tolerance(fname, any_backend.name, dtype)
    _assert_accurate(y, x, hi, lo, tol, _flushes_subnormals(any_backend, dtype))


@pytest.mark.parametrize("fname", list(FUNCS))
def test_accuracy_under_jax_jit(fname: str, dtype: type) -> None:
    # XLA fuses and simplifies the whole graph, e.g. it folds (x - c1) - c2.
    jax = pytest.importorskip("jax")
    be = _make_backend("jax")
    x, hi, lo = _reference(fname, np.dtype(dtype).name)
    with jax.enable_x64(dtype is np.float64):
        f = jax.jit(lambda a: FUNCS[fname](a, be.xp))
        y = np.asarray(f(be.asarray(x)))
    assert y.dtype == dtype
    _assert_accurate(y, x, hi, lo, _tolerance(fname, "jax", dtype), flush=True)


def test_grad_near_its_zero(backend: Backend, dtype: type) -> None:
    # Phi(x) and x*phi(x) cancel there; the error must stay within a few ULP
    # of 1 in absolute terms (it is in fact a few ULP relative).
    x, hi, lo = _reference("gelu_exact_grad", np.dtype(dtype).name)
    y = _run(backend, "gelu_exact_grad", x)
    near = np.abs(x - X0) < 0.25
    abs_err = np.abs((y[near].astype(np.float64) - hi[near]) - lo[near])
    assert abs_err.max() <= 2 * np.finfo(dtype).eps
    # The sign flips exactly at the zero, also for its float neighbours.
    assert np.all(np.sign(y[near]) == np.sign(hi[near]))


def test_gelu_left_tail_example() -> None:
    # PyTorch's float32 GELU gives -1.19e-06 or -1.49e-06 here.
    y = gelu_exact(np.array([-5.0], dtype=np.float32), np)
    assert abs(float(y[0]) / -1.4332578593959695e-06 - 1) < 2 * 2.0**-24


# ---------------------------------------------------------------------------
# Special values


def _big(dtype: type) -> float:
    return float(np.finfo(dtype).max)


def _check_exact(got: np.ndarray, want: list[float]) -> None:
    want_arr = np.array(want, dtype=got.dtype)
    assert np.array_equal(got, want_arr, equal_nan=True), f"got {got}, want {want_arr}"
    zeros = want_arr == 0
    assert np.array_equal(np.signbit(got[zeros]), np.signbit(want_arr[zeros])), (
        f"signs of zeros: got {got[zeros]}, want {want_arr[zeros]}"
    )


def test_erfc_special_values(backend: Backend, dtype: type) -> None:
    b = _big(dtype)
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, b, -b, 30.0, -30.0], dtype=dtype)
    _check_exact(_run(backend, "erfc", x), [0.0, 2.0, np.nan, 1.0, 1.0, 0.0, 2.0, 0.0, 2.0])


def test_gelu_special_values(backend: Backend, dtype: type) -> None:
    b = _big(dtype)
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, b, -b, 50.0, -50.0], dtype=dtype)
    want = [np.inf, np.nan, np.nan, 0.0, 0.0, b, -0.0, 50.0, -0.0]
    _check_exact(_run(backend, "gelu_exact", x), want)


def test_gelu_grad_special_values(backend: Backend, dtype: type) -> None:
    b = _big(dtype)
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, b, -b, 50.0, -50.0], dtype=dtype)
    want = [np.nan, np.nan, np.nan, 0.5, 0.5, 1.0, -0.0, 1.0, -0.0]
    _check_exact(_run(backend, "gelu_exact_grad", x), want)


@pytest.mark.parametrize("dtype_name", list(DTYPES))
def test_special_values_match_torch(dtype_name: str) -> None:
    """Equal to PyTorch wherever PyTorch agrees with itself; the exact value where it does not.

    PyTorch's answer at special values depends on its code path: its vectorised loop (long
    contiguous tensors) gives gelu(+inf) = NaN and gelu(float max) = inf in float32, its
    scalar loop (short, strided tensors) inf and float max; which one a 9-element tensor takes
    depends on the CPU's vector width (AVX2 or AVX-512).
    """
    pytest.importorskip("torch")
    xt = pytest.importorskip("array_api_compat.torch")
    import torch
    from multiact.conformance.reference import LAYOUTS, torch_reference, torch_vjp

    from multiact._registry import lookup

    b = _big(DTYPES[dtype_name])
    vals = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, b, -b, 1e4, -1e4])
    # The exact values where PyTorch's paths disagree (gelu' at +-inf has no exact value).
    exact = {np.inf: (np.inf, None), b: (b, 1.0)}
    gelu, ones = lookup("gelu"), np.ones(vals.size)
    x = torch.tensor(vals, dtype=getattr(torch, dtype_name))
    got = gelu_exact(x, xt).double().numpy()
    got_grad = gelu_exact_grad(x, xt).double().numpy()
    for which, result, paths in (
        (0, got, [torch_reference(gelu, vals, dtype_name, layout=lay) for lay in LAYOUTS]),
        (1, got_grad, [torch_vjp(gelu, vals, ones, dtype_name, layout=lay) for lay in LAYOUTS]),
    ):
        for i, v in enumerate(vals):
            answers = {float(p[i]) if not np.isnan(p[i]) else "nan" for p in paths}
            mine = float(result[i]) if not np.isnan(result[i]) else "nan"
            if len(answers) == 1:  # signs of zeros are not compared: PyTorch's vary by size
                assert mine == answers.pop(), f"x = {v}: {mine} where PyTorch gives {answers}"
            else:
                assert mine == exact[v][which], f"x = {v}: {mine}; PyTorch's paths: {answers}"


# ---------------------------------------------------------------------------
# Hygiene: warnings, mutation, dtypes, shapes


def _awkward_inputs(dtype: type) -> np.ndarray:
    fi = np.finfo(dtype)
    vals = [np.inf, -np.inf, np.nan, -np.nan, 0.0, -0.0, 1e300, -1e300, 1e38, -1e38]
    vals += [float(fi.max), -float(fi.max), float(fi.smallest_subnormal), 1e-300, 1e-310]
    vals += [float(fi.smallest_normal), 0.25, 0.84375, 1.25, 2.857, 6.0, 27.0, 28.0, 40.0]
    vals += [v * s for v in (1e5, 64.0, 38.5, 16.0, 10.5) for s in (1.0, -1.0)]
    with np.errstate(over="ignore"):
        x = np.array(vals, dtype=np.float64).astype(dtype)
    return np.concatenate([x, -x, np.linspace(-50, 50, N - 2 * x.size, dtype=dtype)])


@pytest.mark.parametrize("fname", list(FUNCS))
@pytest.mark.parametrize("name", ["numpy", "array_api_strict"])
def test_no_numpy_floating_point_warnings(fname: str, name: str, dtype: type) -> None:
    be = _make_backend(name)
    x = _awkward_inputs(dtype)
    # Underflow is legitimate (and ignored by NumPy by default); nothing else.
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        y = _run(be, fname, x)
    assert y.shape == x.shape


@pytest.mark.parametrize("fname", list(FUNCS))
def test_input_not_mutated(fname: str, backend: Backend, dtype: type) -> None:
    x_np = _awkward_inputs(dtype)
    x = backend.asarray(x_np)
    before = backend.to_numpy(x).copy()
    FUNCS[fname](x, backend.xp)
    after = backend.to_numpy(x)
    assert np.array_equal(after, before, equal_nan=True)
    assert np.array_equal(np.signbit(after), np.signbit(before))


# Not on JAX: each new shape costs eager JAX ~1 s of compilation.
@pytest.mark.parametrize("fname", list(FUNCS))
@pytest.mark.parametrize("shape", [(3, 4), (), (0,)])
@pytest.mark.parametrize("name", ["numpy", "array_api_strict", "torch"])
def test_shape_and_dtype_preserved(
    fname: str, shape: tuple[int, ...], name: str, dtype: type
) -> None:
    be = _make_backend(name)
    x = np.linspace(-3, 3, int(np.prod(shape))).astype(dtype).reshape(shape)
    y = be.to_numpy(FUNCS[fname](be.asarray(x), be.xp))
    assert y.shape == shape
    assert y.dtype == dtype
    want = FUNCS[fname](x.ravel(), np).reshape(shape)
    assert np.allclose(y, want, rtol=16 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("fname", list(FUNCS))
def test_half_precision_computed_in_float32(fname: str) -> None:
    x = np.linspace(-6, 6, 97, dtype=np.float16)
    y = FUNCS[fname](x, np)
    assert y.dtype == np.float16
    want = FUNCS[fname](x.astype(np.float32), np).astype(np.float16)
    assert np.array_equal(y, want)


@pytest.mark.parametrize("bad", [np.arange(3), np.array([1 + 2j])])
def test_non_real_float_rejected(bad: np.ndarray) -> None:
    for f in FUNCS.values():
        with pytest.raises(TypeError, match="real floating"):
            f(bad, np)


# ---------------------------------------------------------------------------
# Hard-coded constants


def test_taylor_tables_and_constants_match_mpmath() -> None:
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(60):

        def g(v: Any) -> Any:
            return mpmath.ncdf(v) + v * mpmath.npdf(v)

        x0 = mpmath.findroot(g, mpmath.mpf(-0.75))
        x1 = -mpmath.sqrt(2)
        for centre, table in ((x0, _special._G_AT_ZERO), (x1, _special._G_AT_ROOT2)):
            want = mpmath.taylor(g, centre, len(table) - 1)
            for got, w in zip(table, want, strict=True):
                assert abs(got - w) <= 2.0**-53 * abs(w) + 1e-40
        dd = {
            _special._X0: x0,
            _special._X1: x1,
            _special._G_X1: g(x1),
            _special._SQRT1_2: 1 / mpmath.sqrt(2),
            _special._TWO_OVER_SQRT_PI: 2 / mpmath.sqrt(mpmath.pi),
        }
        for (hi, lo), want in dd.items():
            assert abs(mpmath.mpf(hi) + lo - want) <= 2.0**-104 * abs(want)
        for prm in (_special._F64, _special._F32):
            scale = mpmath.mpf(prm.rescale_hi) * (1 + mpmath.mpf(prm.rescale_rel))
            assert abs(scale / mpmath.exp(-prm.rescale) - 1) <= 2.0**-60


# ---------------------------------------------------------------------------
# The NumPy backend's float32/float16 exact GELU (backends/numpy.py): its own rational
# approximation in float64, rounded once, and the same arithmetic in Python floats for a few
# elements.


def _numpy_gelu_kernels() -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    from multiact.backends import numpy as numpy_backend

    return numpy_backend._gelu_exact_in_float64.__wrapped__, numpy_backend._gelu_exact_few


def _numpy_gelu_grid(dtype: type) -> np.ndarray:
    rng = np.random.default_rng(20260527)
    parts = [
        np.linspace(-14.5, 10.0, 4001),  # down to float32's last nonzero result, x ~ -14.3
        rng.uniform(-14.5, -5.0, 1000),
        3.0 * rng.standard_normal(1000),
        np.sign(rng.standard_normal(1000)) * 10.0 ** rng.uniform(-44.0, 0.0, 1000),
    ]
    x = np.concatenate(parts).astype(dtype)
    return np.unique(x[np.isfinite(x)])


def _assert_same_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_numpy_gelu_rational_matches_mpmath() -> None:
    # N(a) / Q(a) approximates a Phi(-a) exp(a^2 / 2) within 2.0e-16 on [0, 14.5].
    mpmath = pytest.importorskip("mpmath")
    from multiact.backends import numpy as numpy_backend

    n = [0.0, *numpy_backend._GELU_N]
    q = list(numpy_backend._GELU_Q)
    with mpmath.workdps(40):
        for a in map(mpmath.mpf, np.linspace(0.0, 14.5, 581)[1:].tolist()):
            want = a * mpmath.ncdf(-a) * mpmath.exp(a * a / 2)
            got = mpmath.polyval(n[::-1], a) / mpmath.polyval(q[::-1], a)
            assert abs(got / want - 1) <= 2.5e-16


@pytest.mark.parametrize("np_dtype", [np.float32, np.float16])
def test_numpy_gelu_correctly_rounded(np_dtype: type) -> None:
    mpmath = pytest.importorskip("mpmath")
    x = _numpy_gelu_grid(np_dtype)
    with mpmath.workdps(40):
        exact = [float(v * mpmath.ncdf(v)) for v in map(mpmath.mpf, x.tolist())]
    want = np.array(exact).astype(np_dtype)
    for kernel in _numpy_gelu_kernels():
        _assert_same_bits(kernel(x), want)


@pytest.mark.parametrize("np_dtype", [np.float32, np.float16])
def test_numpy_gelu_few_elements_same_bits_as_the_array_kernel(np_dtype: type) -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([_numpy_gelu_grid(np_dtype), 4.0 * rng.standard_normal(20_000)])
    whole, few = _numpy_gelu_kernels()
    x = x.astype(np_dtype)
    _assert_same_bits(few(x), whole(x))


@pytest.mark.parametrize("np_dtype", [np.float32, np.float16])
def test_numpy_gelu_special_values(np_dtype: type) -> None:
    import multiact

    big = float(np.finfo(np_dtype).max)
    x = [0.0, -0.0, np.inf, -np.inf, np.nan, big, -big, -14.5, -50.0, 50.0]
    want = [0.0, 0.0, np.inf, np.nan, np.nan, big, -0.0, -0.0, -0.0, 50.0]
    x, want = np.array(x, np_dtype), np.array(want, np_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for v, w in zip(x, want, strict=True):  # 0-d, one value at a time
            _assert_same_bits(multiact.gelu(np.array(v)), np.array(w))
        _assert_same_bits(multiact.gelu(x), want)  # a few elements: Python floats
        _assert_same_bits(multiact.gelu(np.resize(x, 1000)), np.resize(want, 1000))
        for kernel in _numpy_gelu_kernels():
            _assert_same_bits(kernel(x), want)
