"""How far apart two arrays of one dtype's values are: ULPs that count representable numbers.

Pure NumPy. Values come as float64 (or float32) arrays holding numbers of ``dtype``; they are
rounded to ``dtype`` first, so a value between two representable numbers is taken at the
nearest one.

The distance between two finite numbers is the number of steps from one to the other through
``dtype``'s representable numbers (+0.0 and -0.0 are one number here: their distance is 0, the
sign of zero is reported elsewhere). It can never exceed the number of finite values of the
dtype (about 2^32 for float32). Special values are not numbers on that line: NaN against NaN
and an infinity against the same infinity are 0, any other pairing involving NaN or an infinity
is ``inf`` (a mismatch, which :func:`special_mismatch` finds).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DTYPE_LIMITS", "round_to", "special_mismatch", "ulp", "ulp_distance"]

#: Machine epsilon (spacing at 1.0) and smallest normal of each dtype.
DTYPE_LIMITS: dict[str, tuple[float, float]] = {
    "float16": (2.0**-10, 2.0**-14),
    "bfloat16": (2.0**-7, 2.0**-126),
    "float32": (2.0**-23, 2.0**-126),
    "float64": (2.0**-52, 2.0**-1022),
}


def round_to(values: Any, dtype: str) -> np.ndarray:
    """``values`` rounded to ``dtype`` (to nearest, ties to even, as PyTorch), as float64."""
    v = np.asarray(values, dtype=np.float64)
    if dtype == "float64":
        return v.copy()
    if dtype in ("float32", "float16"):
        with np.errstate(over="ignore"):
            return v.astype(dtype).astype(np.float64)
    # bfloat16 from float64 directly (through float32 would round twice): 8 significant bits,
    # the quantum of the smallest normal below it, and infinity from 2^128 up.
    _, exponent = np.frexp(v)
    quantum = np.ldexp(1.0, np.maximum(exponent, -125) - 8)
    with np.errstate(invalid="ignore"):
        rounded = np.round(v / quantum) * quantum
        return np.where(np.abs(rounded) >= 2.0**128, np.copysign(np.inf, v), rounded)


def ulp(values: np.ndarray, dtype: str) -> np.ndarray:
    """The spacing of ``dtype`` at ``values`` (subnormal spacing below the smallest normal)."""
    eps, tiny = DTYPE_LIMITS[dtype]
    magnitude = np.maximum(np.abs(np.asarray(values, dtype=np.float64)), tiny)
    _, exponent = np.frexp(magnitude)  # magnitude = m * 2**exponent, 0.5 <= m < 1
    return np.ldexp(eps, exponent - 1)


def special_mismatch(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Where either side is NaN or infinite and the two are not the same special value."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    either = ~np.isfinite(a) | ~np.isfinite(e)
    with np.errstate(invalid="ignore"):
        same = (np.isnan(a) & np.isnan(e)) | (a == e)
    return either & ~same


def ulp_distance(actual: np.ndarray, expected: np.ndarray, dtype: str) -> np.ndarray:
    """Per element: how many representable numbers of ``dtype`` lie between the two, as float64.

    0 for equal values (NaN with NaN, an infinity with the same one, +0.0 with -0.0), ``inf``
    for a special-value mismatch.
    """
    a = round_to(actual, dtype)
    e = round_to(expected, dtype)
    finite = np.isfinite(a) & np.isfinite(e)
    oa = _ordinal(np.where(finite, a, 0.0), dtype)
    oe = _ordinal(np.where(finite, e, 0.0), dtype)
    # Ordinals of float64 reach +-2^63 - 2^52: their difference may not fit an int64, but
    # then it is far beyond float64's 2^53 exact integers anyway.
    same_side = (oa >= 0) == (oe >= 0)
    with np.errstate(over="ignore"):
        near = np.abs(np.where(same_side, oa - oe, 0)).astype(np.float64)
    far = np.abs(oa.astype(np.float64)) + np.abs(oe.astype(np.float64))
    d = np.where(same_side, near, far)
    return np.where(finite, d, np.where(special_mismatch(a, e), np.inf, 0.0))


def _ordinal(values: np.ndarray, dtype: str) -> np.ndarray:
    """Each finite value's position on ``dtype``'s number line (0 for both zeros), as int64."""
    if dtype == "float64":
        bits = values.astype(np.float64).view(np.int64)
        magnitude = bits & np.int64(0x7FFF_FFFF_FFFF_FFFF)
    elif dtype == "bfloat16":
        magnitude = _bfloat16_bits(values.astype(np.float32)).astype(np.int64) & 0x7FFF
        bits = np.where(np.signbit(values), -1, 1)
    else:
        width = {"float32": (np.int32, 0x7FFF_FFFF), "float16": (np.int16, 0x7FFF)}[dtype]
        raw = values.astype(dtype).view(width[0]).astype(np.int64)
        magnitude = raw & width[1]
        bits = raw
    return np.where(bits < 0, -magnitude, magnitude).astype(np.int64)


def _bfloat16_bits(values: np.ndarray) -> np.ndarray:
    """The 16 bits of ``values`` (float32) rounded to bfloat16, to nearest, ties to even."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(values)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return np.where(nan, (bits >> 16) | 0x40, rounded).astype(np.uint32)
