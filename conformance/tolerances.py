"""Per-dtype tolerances and the comparison of a result with the reference.

The table starts from ``torch.testing.assert_close``'s defaults. Special values compare
exactly: NaN only matches NaN, and an infinity only the same infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TOLERANCES", "Comparison", "compare", "ulp"]

#: dtype -> (rtol, atol), torch.testing.assert_close's defaults.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}

#: Machine epsilon (spacing at 1.0) and smallest normal of each dtype, for ULP errors.
_EPS_TINY: dict[str, tuple[float, float]] = {
    "float16": (2.0**-10, 2.0**-14),
    "bfloat16": (2.0**-7, 2.0**-126),
    "float32": (2.0**-23, 2.0**-126),
    "float64": (2.0**-52, 2.0**-1022),
}


def ulp(values: np.ndarray, dtype: str) -> np.ndarray:
    """The spacing of ``dtype`` at ``values`` (subnormal spacing below the smallest normal)."""
    eps, tiny = _EPS_TINY[dtype]
    magnitude = np.maximum(np.abs(np.asarray(values, dtype=np.float64)), tiny)
    _, exponent = np.frexp(magnitude)  # magnitude = m * 2**exponent, 0.5 <= m < 1
    return np.ldexp(eps, exponent - 1)


@dataclass(frozen=True)
class Comparison:
    """How far ``actual`` is from ``expected``; ``ok`` when within tolerance everywhere."""

    ok: bool
    max_abs_error: float
    max_ulp_error: float
    mismatched: int
    size: int
    worst_index: tuple[int, ...] | None
    message: str


def compare(
    actual: np.ndarray,
    expected: np.ndarray,
    dtype: str,
    *,
    rtol: float | None = None,
    atol: float | None = None,
) -> Comparison:
    """Compare two arrays of ``dtype``'s values (given in float32 or float64)."""
    default_rtol, default_atol = TOLERANCES[dtype]
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return Comparison(
            False,
            np.inf,
            np.inf,
            a.size,
            a.size,
            None,
            f"shape {a.shape} differs from the reference's {e.shape}",
        )
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(e) & (a == e)
    special = both_nan | same_inf
    with np.errstate(invalid="ignore"):
        error = np.where(special, 0.0, np.abs(a - e))
    error = np.where(np.isnan(error), np.inf, error)  # NaN against a number, or inf vs finite
    bad = error > atol + rtol * np.abs(np.where(special, 0.0, e))
    ulps = error / ulp(np.where(np.isfinite(e), e, 0.0), dtype)
    mismatched = int(np.count_nonzero(bad))
    if a.size == 0:
        return Comparison(True, 0.0, 0.0, 0, 0, None, "empty")
    worst = np.unravel_index(int(np.argmax(np.where(bad, error, -1.0))), a.shape)
    max_abs = float(np.max(error))
    message = "ok"
    if mismatched:
        message = (
            f"{mismatched} of {a.size} elements outside rtol={rtol:g} atol={atol:g}; worst at "
            f"index {tuple(int(i) for i in worst)}: got {a[worst]!r}, reference {e[worst]!r}"
        )
    return Comparison(
        ok=not mismatched,
        max_abs_error=max_abs,
        max_ulp_error=float(np.max(ulps)),
        mismatched=mismatched,
        size=int(a.size),
        worst_index=tuple(int(i) for i in worst) if mismatched else None,
        message=message,
    )
