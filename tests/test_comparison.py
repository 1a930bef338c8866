"""The conformance comparison judges every element: special values, ULPs that count numbers.

A table of every pairing of {finite, +inf, -inf, NaN} in the reference and the result; ULP
distances checked against ``np.nextafter`` walks; PyTorch's disagreement with itself judged by
the exact value.
"""

from __future__ import annotations

import itertools

import ml_dtypes
import numpy as np
import pytest
from multiact.conformance.distance import round_to, special_mismatch, ulp_distance
from multiact.conformance.tolerances import compare, judge, within

DTYPES = ("float16", "bfloat16", "float32", "float64")
KINDS = {"finite": 1.5, "+inf": np.inf, "-inf": -np.inf, "nan": np.nan}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("reference", "result"),
    [pytest.param(r, a, id=f"{a}-for-{r}") for r, a in itertools.product(KINDS, KINDS)],
)
def test_every_pairing_of_special_values(reference, result, dtype):
    expected, actual = np.array([1.0, KINDS[reference]]), np.array([1.0, KINDS[result]])
    verdict = compare(actual, expected, dtype)
    assert verdict.ok == (reference == result)
    assert verdict.mismatched == (reference != result)
    assert verdict.special_mismatches == (reference != result)
    if reference == "finite" and result == "finite":
        return
    # Figures are distances between numbers: a special value is no error of inf or 0.
    assert verdict.max_abs_error == 0.0
    assert verdict.max_ulp_error == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_finite_value_against_a_finite_one_is_judged_by_the_tolerance(dtype):
    ok = compare(np.array([1.0]), np.array([1.0]), dtype, rtol=1e-3, atol=0.0)
    far = compare(np.array([1.01]), np.array([1.0]), dtype, rtol=1e-3, atol=0.0)
    assert ok.ok
    assert not far.ok
    assert far.special_mismatches == 0


def test_the_worst_element_reported_is_a_special_mismatch_first():
    verdict = compare(np.array([2.0, 0.0]), np.array([1.0, np.nan]), "float32")
    assert verdict.worst_index == (1,)
    assert "NaN/inf" in verdict.message


def test_max_minus_max_overflows_into_a_failure_not_a_warning():
    big = float(np.finfo(np.float32).max)
    verdict = compare(np.array([big]), np.array([-big]), "float32")
    assert not verdict.ok
    assert verdict.max_ulp_error < 2.0**32  # float32 has fewer than 2^32 values


# -- ULPs count representable numbers ------------------------------------------------------------


def _walk(start: float, steps: int, dtype: str) -> float:
    np_dtype = {"bfloat16": ml_dtypes.bfloat16}.get(dtype, dtype)
    v = np.array(start, dtype=np_dtype)
    for _ in range(steps):
        v = np.nextafter(v, np.array(np.inf, dtype=np_dtype))
    return float(v)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("start", [-1.0, -(2.0**-130), 0.0, 1.0, 1000.0])
@pytest.mark.parametrize("steps", [1, 3, 700])
def test_ulp_distance_counts_the_numbers_between(dtype, start, steps):
    start = float(round_to(start, dtype))
    end = _walk(start, steps, dtype)
    assert ulp_distance(np.array([end]), np.array([start]), dtype)[0] == steps
    assert ulp_distance(np.array([start]), np.array([end]), dtype)[0] == steps


@pytest.mark.parametrize("dtype", DTYPES)
def test_ulp_distance_of_the_widest_pair_is_below_the_number_of_values(dtype):
    bits = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64}[dtype]
    big = float(round_to(np.finfo(np.float64).max, "float64"))
    big = {
        "float64": big,
        "float32": float(np.finfo(np.float32).max),
        "float16": 65504.0,
        "bfloat16": float(ml_dtypes.finfo(ml_dtypes.bfloat16).max),
    }[dtype]
    d = ulp_distance(np.array([big]), np.array([-big]), dtype)[0]
    assert np.isfinite(d)
    assert 2.0 ** (bits - 1) < d < 2.0**bits


@pytest.mark.parametrize("dtype", DTYPES)
def test_ulp_distance_of_special_values(dtype):
    a = np.array([np.nan, np.inf, -np.inf, 0.0, np.inf, np.nan, 1.0])
    e = np.array([np.nan, np.inf, -np.inf, -0.0, -np.inf, 1.0, np.inf])
    assert ulp_distance(a, e, dtype).tolist() == [0, 0, 0, 0, np.inf, np.inf, np.inf]
    assert special_mismatch(a, e).tolist() == [False, False, False, False, True, True, True]


def test_round_to_bfloat16_rounds_once_from_float64():
    # Through float32 first, x = 1 + 2^-8 + 2^-30 would round to 1 + 2^-8 (a tie), then to
    # even, 1.0; rounded once it is above the tie, 1 + 2^-7.
    x = 1 + 2.0**-8 + 2.0**-30
    assert round_to(np.array([x]), "bfloat16")[0] == 1 + 2.0**-7
    values = np.random.default_rng(0).standard_normal(10_000) * 10.0 ** np.arange(-20, 20, 0.004)
    with np.errstate(over="ignore"):
        expected = values.astype(ml_dtypes.bfloat16).astype(np.float64)
    np.testing.assert_array_equal(round_to(values, "bfloat16"), expected)


# -- PyTorch's paths disagree: the exact value decides ------------------------------------------


def _gelu(values, result, reference, paths, exact, *, any_path=False, target="numpy"):
    return judge(
        "gelu",
        {},
        "forward",
        target,
        "float32",
        np.asarray(values),
        np.asarray(result),
        np.asarray(reference),
        other_paths=[np.asarray(p) for p in paths],
        exact=np.asarray(exact),
        exact_known=np.ones(len(values), dtype=bool),
        any_path=any_path,
    )


def test_where_pytorch_disagrees_with_itself_the_exact_value_decides():
    x, exact = [np.inf, 1.0], [np.inf, 0.8413447]
    vectorised, scalar = [np.nan, 0.8413447], [np.inf, 0.8413447]
    right = _gelu(x, [np.inf, 0.8413447], vectorised, [scalar], exact)
    assert right.ok
    assert right.torch_disagreements == 1
    # A backend giving the vectorised loop's NaN is wrong: the exact value is inf.
    assert not _gelu(x, [np.nan, 0.8413447], vectorised, [scalar], exact).ok
    # PyTorch's own kernel on a path of its own may give either of its answers.
    assert _gelu(x, [np.nan, 0.8413447], vectorised, [scalar], exact, any_path=True).ok
    # Where the paths agree, PyTorch is the reference (and a wrong number fails).
    assert not _gelu(x, [np.inf, 0.9], vectorised, [scalar], exact).ok


def test_within_is_the_elementwise_form_of_compare():
    a = np.array([1.0, np.nan, np.inf, 2.0, 1.0])
    e = np.array([1.0, np.nan, np.inf, 1.0, np.nan])
    assert within(a, e, 1e-6, 0.0).tolist() == [True, True, True, False, False]
