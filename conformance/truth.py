"""The exact value: each activation's ``exact`` definition evaluated with mpmath.

Everything here is derived from the registry's ``Activation.exact``; nothing names an activation.

Forward values are evaluated at ``DPS`` (50) significant digits, and where cancellation is
possible (inputs below 1e-4 or above 1e4 in magnitude, or results much smaller than the input)
again at twice the precision, doubling until two evaluations agree to 30 digits. Non-finite
inputs: NaN gives NaN; +-inf gives the registry's ``limits`` where it declares them, and is
unknown (not judged, left out of the ULP figures) otherwise.

Gradients are the vector-Jacobian product ``g * f'(x)`` (for functions that reduce, of a whole
row), with ``f'`` from central differences at a step of about 1e-25 of max(|x|, 1) (for a row,
1e-25: a row function varies with the differences of its entries), in a working
precision raised (up to 170 digits) until the difference keeps 30 significant digits, or shows
that ``f'`` is too small to be anything but zero in the dtype; in float64, where that takes more
than 170 digits (deep saturation, |f'| below ~1e-60 of |f|), the truth is unknown. The two
one-sided differences must agree: where they do not, x sits on a kink or a jump, the derivative
is not defined, and the truth is unknown there (PyTorch's convention is then the only
reference); so is it where only the second derivative jumps (sparse_plus at +-1), since the
central difference is then off by O(step).

Probe points (:func:`probe_points`) are where a function is worth testing closely; they are
derived, not listed:

1. 0, every real parameter value p and -p (hardtanh's +-1, leaky_relu's slope...), and for every
   pair of parameters p, q: +-p/q and +-p*q (softplus's threshold/beta, where it switches to
   the identity);
2. for elementwise functions, every kink, jump or edge of the domain of ``exact`` found by a scan:
   ``exact`` is evaluated on 240 intervals over ``domain`` widened by a quarter on each side,
   and an interval whose change of slope does not shrink as it is bisected holds a kink (a smooth
   function's shrinks in proportion to the width). Bisection locates it to 1e-12, and it is
   snapped to a nearby point of (1) or an integer or half-integer if one is within 1e-9.

Results are cached in memory, and on disk (one pickle per parameterisation, keyed by the source
of ``exact``) when a cache directory is given.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from multiact._registry import Activation

__all__ = ["DPS", "Truth", "default_cache_dir", "exact_kwargs", "probe_points"]

DPS = 50
_VERSION = 11  # bump when the way truths are computed changes: old caches are ignored
_GRAD_STEP_DIGITS = 25
_GRAD_STEP_BITS = 83  # 2**-83 is about 1e-25 (a power of two: exact, and cheap to make)
_AGREE_DIGITS = 30
_AGREE_BITS = 100
_MAX_DPS = 1600  # forward values
#: Decimal digits below which a derivative is zero in a dtype (with a margin): float64's
#: smallest subnormal is 4.9e-324, the narrower dtypes' 1.4e-45 or more.
_FLAT_DIGITS = {"float64": 340, "narrow": 62}
#: Working precision is never raised beyond this (565 bits: above 600 bits mpmath's exp of an
#: integer switches to a far slower method). A float64 derivative that still cannot be told
#: from zero there (|f'| below ~1e-60 of |f|, deep in saturation) is left unknown.
_DPS_CAP = 170


def _mp() -> Any:
    import mpmath

    return mpmath.mp


def default_cache_dir() -> Path:
    """``$MULTIACT_CACHE_DIR``, else ``$XDG_CACHE_HOME/multiact/conformance``."""
    if "MULTIACT_CACHE_DIR" in os.environ:
        return Path(os.environ["MULTIACT_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "multiact" / "conformance"


def exact_kwargs(a: Activation, params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``a.exact`` for ``params`` (defaults filled in).

    Every parameter ``exact`` accepts is passed by its registry name; an array-valued parameter
    given as a one-element tuple (prelu's single slope) arrives as that number.
    """
    accepted = list(inspect.signature(a.exact).parameters)[2:]
    kwargs = {}
    for p in a.params:
        if p.name not in accepted:
            continue
        value = params.get(p.name, p.default)
        if isinstance(value, tuple):
            if len(value) != 1:
                raise TypeError(f"{p.name}={value!r}: only a single value has an exact form")
            value = value[0]
        kwargs[p.name] = value
    return kwargs


def _source_hash(a: Activation) -> str:
    try:
        source = inspect.getsource(a.exact)
    except (OSError, TypeError):
        source = repr(a.exact)
    limits = getattr(a, "limits", None)  # the values at +-inf are cached too
    if callable(limits):  # a function of the parameters: its source, not its address
        limits = inspect.getsource(limits)
    return hashlib.sha256(f"{_VERSION}|{DPS}|{source}|{limits}".encode()).hexdigest()[:16]


def _finite_or_nan(mp: Any, v: Any) -> Any:
    """``v`` as an mpf, or None where it is not a real number."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        v = mp.mpf(v)
    if not isinstance(v, type(mp.mpf(0))):
        return None  # mpc (outside the real domain) or anything else
    if mp.isnan(v):
        return None
    return v


class Truth:
    """The exact values of one parameterisation of one activation (cached)."""

    def __init__(
        self, a: Activation, params: Mapping[str, Any], cache_dir: Path | None = None
    ) -> None:
        self.activation = a
        self.params = dict(params)
        self.label = a.variant_label(self.params)
        self.error: str | None = None
        try:
            self.kwargs = exact_kwargs(a, self.params)
        except TypeError as error:
            self.kwargs = {}
            self.error = f"no exact value: {error}"
        self.limits = None if self.error else a.limits_at(self.params)
        self._path = None
        if cache_dir is not None:
            name = f"{a.name}-{hashlib.sha256(self.label.encode()).hexdigest()[:8]}"
            self._path = Path(cache_dir) / f"{name}-{_source_hash(a)}.pickle"
        self._fwd: dict[float, float | None] = {}
        self._deriv: dict[float, Any] = {}
        self._rows: dict[bytes, tuple | None] = {}
        self._row_grads: dict[tuple[bytes, bytes], tuple | None] = {}
        self._probes: list[tuple[float, str]] | None = None
        #: x -> the precision at which f(x) converged (see ``_converged``).
        self._dps: dict[float, int] = {}
        self._dirty = False
        self._load()

    # -- cache ----------------------------------------------------------------------------------

    def _load(self) -> None:
        if self._path is None or not self._path.exists():
            return
        try:
            with self._path.open("rb") as f:
                data = pickle.load(f)
            self._fwd, self._deriv = data["fwd"], data["deriv"]
            self._rows, self._row_grads = data["rows"], data["row_grads"]
            self._probes, self._dps = data["probes"], data["dps"]
        except Exception:  # a damaged or foreign cache file is recomputed
            return

    def save(self) -> None:
        """Write the cache file (if there is a cache directory and anything new)."""
        if self._path is None or not self._dirty:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "fwd": self._fwd,
            "deriv": self._deriv,
            "rows": self._rows,
            "row_grads": self._row_grads,
            "probes": self._probes,
            "dps": self._dps,
        }
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(data, f)
        os.replace(tmp, self._path)  # atomic: concurrent writers never leave a torn file
        self._dirty = False

    # -- evaluation -----------------------------------------------------------------------------

    def _f(self, mp: Any, x: Any) -> Any:
        try:
            return _finite_or_nan(mp, self.activation.exact(mp, x, **self.kwargs))
        except (ValueError, ZeroDivisionError, TypeError, OverflowError):
            return None

    def _row(self, mp: Any, row: list) -> list | None:
        try:
            out = self.activation.exact(mp, row, **self.kwargs)
        except (ValueError, ZeroDivisionError, TypeError, OverflowError):
            return None
        values = [_finite_or_nan(mp, v) for v in out]
        return None if any(v is None for v in values) else values

    def _scalar(self, x: float) -> float | None:
        if math.isnan(x):
            return math.nan
        if math.isinf(x):
            if self.limits is None:
                return None
            return float(self.limits[1] if x > 0 else self.limits[0])
        v, _ = self._converged(x)
        return None if v is None else float(v)

    def _converged(self, x: float) -> tuple[Any, int]:
        """(f(x) as an mpf or None, the precision it converged at), for a finite x.

        Two evaluations must agree to 30 digits; two zeros do not count (cancellation gives
        zero at every precision too low to see the result), except at the last precision.
        """
        mp = _mp()
        if x in self._dps:
            dps = self._dps[x]
            with mp.workdps(dps):
                return self._f(mp, mp.mpf(x)), dps
        dps = DPS
        with mp.workdps(dps):
            v = self._f(mp, mp.mpf(x))
        suspicious = v is not None and x != 0
        suspicious = suspicious and (abs(x) < 1e-4 or abs(x) > 1e4 or abs(v) < 1e-20 * abs(x))
        while suspicious and dps < _MAX_DPS:
            dps *= 2
            with mp.workdps(dps):
                w = self._f(mp, mp.mpf(x))
                if w is None:
                    return None, dps
                close = w != 0 and abs(w - v) <= mp.ldexp(abs(w), -_AGREE_BITS)
            v = w
            if close:
                break
        self._dps[x] = dps
        self._dirty = True
        return v, dps

    def _derivative(self, x: float, resolution: int) -> Any:
        """f'(x) as an mpf, or None where it is not defined (kink, jump, outside the domain)
        or not resolved (``resolution``: the digits below which it would be zero).

        The step is 1e-25 of max(|x|, 1); where the one-sided slopes differ at that step and x
        is a nonzero number below 1, once more at 1e-25 of |x| (a kink at 0 is then far away).
        """
        if not math.isfinite(x):
            return None
        steps = [max(abs(x), 1.0)]
        if 0 < abs(x) < 1:
            steps.append(abs(x))
        for step in steps:
            estimate = self._derivative_at(x, step, resolution)
            if estimate is not None:
                return estimate
        return None

    def _derivative_at(self, x: float, step: float, resolution: int) -> Any:
        mp = _mp()
        # At least the precision f(x) itself needed (cancellation), plus the step's digits.
        _, converged = self._converged(x)
        dps = max(DPS, converged) + _GRAD_STEP_DIGITS
        while True:
            with mp.workdps(dps):
                xm = mp.mpf(x)
                h = mp.ldexp(mp.mpf(step), -_GRAD_STEP_BITS)
                f0 = self._f(mp, xm)
                if f0 is None:
                    return None
                estimate = _slope(mp, lambda t, xm=xm: self._f(mp, xm + t), f0, h, dps)
                limit = _flat_dps(f0, h, resolution)
            if estimate is not _MORE:
                return estimate
            if dps >= limit:
                # Still flat: |f'| is below what the dtype resolves (zero), or, past the
                # precision cap, unknown.
                return mp.mpf(0) if limit < _DPS_CAP else None
            dps = min(2 * dps, limit)

    def forward(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(exact values as float64, mask of where they are known) for an elementwise input."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        out = np.empty(flat.shape)
        known = np.ones(flat.shape, dtype=bool)
        for i, x in enumerate(flat.tolist()):
            if x not in self._fwd:
                self._fwd[x] = None if self.error else _guarded(self._scalar, x)
                self._dirty = True
            v = self._fwd[x]
            if v is None:
                out[i], known[i] = np.nan, False
            else:
                out[i] = v
        shape = np.shape(values)
        return out.reshape(shape), known.reshape(shape)

    def gradient(
        self, values: np.ndarray, cotangent: np.ndarray, dtype: str = "float64"
    ) -> tuple[np.ndarray, np.ndarray]:
        """(exact ``cotangent * f'(values)``, known mask) for an elementwise input of
        ``dtype`` (which decides how small a derivative is still worth resolving)."""
        mp = _mp()
        wide = _wide(dtype)
        resolution = _FLAT_DIGITS[wide]
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        g = np.asarray(cotangent, dtype=np.float64).reshape(-1)
        out = np.full(flat.shape, np.nan)
        known = np.zeros(flat.shape, dtype=bool)
        for i, x in enumerate(flat.tolist()):
            key = (x, wide)
            if key not in self._deriv:
                self._deriv[key] = None if self.error else _guarded(self._derivative, x, resolution)
                self._dirty = True
            d = self._deriv[key]
            if d is not None:
                with mp.workdps(DPS):
                    out[i] = float(d * mp.mpf(float(g[i])))
                known[i] = True
        shape = np.shape(values)
        return out.reshape(shape), known.reshape(shape)

    def forward_rows(self, rows: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Exact rows for a (rows, length) input of a reducing function; rows holding a
        non-finite value are unknown. None where no row could be evaluated (shape unknown)."""
        mp = _mp()
        results = []
        for row in np.asarray(rows, dtype=np.float64):
            key = row.tobytes()
            if key not in self._rows:
                value = None
                if not self.error and np.all(np.isfinite(row)) and row.size:
                    with mp.workdps(DPS):
                        r = _guarded(self._row, mp, [mp.mpf(v) for v in row.tolist()])
                    value = None if r is None else tuple(float(v) for v in r)
                self._rows[key] = value
                self._dirty = True
            results.append(self._rows[key])
        width = next((len(r) for r in results if r is not None), None)
        if width is None:
            return None, None
        out = np.array([r if r is not None else [np.nan] * width for r in results])
        known = np.array([[r is not None] * width for r in results], dtype=bool)
        return out.reshape(len(results), width), known.reshape(len(results), width)

    def gradient_rows(
        self, rows: np.ndarray, cotangent: np.ndarray, dtype: str = "float64"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact vector-Jacobian products, row by row (``cotangent`` has the output's rows)."""
        wide = _wide(dtype)
        rows = np.asarray(rows, dtype=np.float64)
        out = np.full(rows.shape, np.nan)
        known = np.zeros(rows.shape, dtype=bool)
        for i, (row, g) in enumerate(zip(rows, np.asarray(cotangent, np.float64), strict=True)):
            key = (row.tobytes(), g.tobytes(), wide)
            if key not in self._row_grads:
                value = None
                if not self.error and np.all(np.isfinite(row)) and row.size:
                    value = _guarded(self._row_vjp, row, g, _FLAT_DIGITS[wide])
                self._row_grads[key] = value
                self._dirty = True
            value = self._row_grads[key]
            if value is not None:
                for j, v in enumerate(value):
                    if v is not None:
                        out[i, j], known[i, j] = v, True
        return out, known

    def _row_vjp(self, row: np.ndarray, g: np.ndarray, resolution: int) -> tuple | None:
        """d/dt sum(g * f(row + t e_j)) at t = 0, for each j (None where undefined).

        The step is 1e-25 itself, not relative to the entry: functions of a row (softmax...)
        depend on the differences between entries, which vary on a scale of 1 however large
        the entries are. Rows whose entries are so large that a step of 1e-25 needs more than
        ``_DPS_CAP`` digits are unknown.
        """
        mp = _mp()
        result: list[float | None] = [None] * len(row)
        todo = list(range(len(row)))
        largest = max((abs(v) for v in row.tolist()), default=0.0)
        dps = DPS + _GRAD_STEP_DIGITS + max(0, math.ceil(math.log10(largest))) if largest else 0
        dps = max(dps, DPS + _GRAD_STEP_DIGITS)
        extra = dps - DPS - _GRAD_STEP_DIGITS  # to hold the row's largest entry and the step
        if dps > _DPS_CAP:
            return tuple(result)
        while todo:
            retry = []
            with mp.workdps(dps):
                base = [mp.mpf(v) for v in row.tolist()]
                weights = [mp.mpf(v) for v in g.tolist()]

                def phi(j: int, t: Any, base: list = base, weights: list = weights) -> Any:
                    shifted = list(base)
                    if j >= 0:
                        shifted[j] += t
                    out = self._row(mp, shifted)
                    if out is None or len(out) != len(weights):
                        return None
                    return mp.fsum(w * v for w, v in zip(weights, out, strict=True))

                f0 = phi(-1, 0)
                if f0 is None:
                    return None
                limit = _DPS_CAP
                h = mp.ldexp(mp.mpf(1), -_GRAD_STEP_BITS)
                for j in todo:
                    limit = min(limit, _flat_dps(f0, h, resolution) + extra)
                    estimate = _slope(mp, lambda t, j=j: phi(j, t), f0, h, dps)
                    if estimate is _MORE:
                        if dps < limit:
                            retry.append(j)
                        elif limit < _DPS_CAP:
                            result[j] = 0.0  # too small for the dtype: zero
                    elif estimate is not None:
                        result[j] = float(estimate)
            todo = retry
            dps = min(2 * dps, limit)
        return tuple(result)

    # -- probe points ---------------------------------------------------------------------------

    def probe_points(self) -> list[tuple[float, str]]:
        """(point, where it comes from), sorted; see the module docstring."""
        if self._probes is None:
            self._probes = probe_points(self.activation, self.params, self)
            self._dirty = True
        return self._probes


def _guarded(compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)``, or None (unknown) if the evaluation itself fails."""
    try:
        return compute(*args)
    except (ArithmeticError, ValueError, TypeError):
        return None


_MORE = object()  # "raise the precision and try again"
_KINK = object()  # the one-sided slopes differ


def _slope(mp: Any, func: Callable[[Any], Any], f0: Any, h: Any, dps: int) -> Any:
    """f'(0) for ``func(t)`` (``f0 = func(0)``): an mpf, ``_MORE``, or None (undefined).

    Where the one-sided slopes differ at step ``h``, they are compared again at ``h / 1e5``:
    for a smooth function the difference shrinks with the step (it is about ``h f''``), at a
    kink or jump it does not. Where it shrinks but the central differences at the two steps
    disagree too (where f is smooth they agree to ``h^2 f'''``), the second derivative jumps
    there (sparse_plus at +-1): the central difference is off by ``O(h)``, and the point is
    left unknown.
    """
    fp, fm = func(h), func(-h)
    if fp is None or fm is None or not (mp.isfinite(f0) and mp.isfinite(fp) and mp.isfinite(fm)):
        return None
    estimate = _derivative_from(mp, f0, fp, fm, h, dps)
    if estimate is not _KINK:
        return estimate
    small = h / 100000
    fp2, fm2 = func(small), func(-small)
    if fp2 is None or fm2 is None:
        return None
    gap = abs((fp - f0) / h - (f0 - fm) / h)
    gap2 = abs((fp2 - f0) / small - (f0 - fm2) / small)
    central, central2 = (fp - fm) / (2 * h), (fp2 - fm2) / (2 * small)
    if gap2 <= gap / 1000 and abs(central - central2) <= gap / 1000:
        return central
    return None  # the second derivative jumps here: the central difference is off by O(h)


def _digits(bits: Any) -> int:
    """Decimal digits in ``bits`` binary digits (exact integer arithmetic: mpmath's
    exponents can exceed a float's range)."""
    return int(bits) * 30103 // 100000 if isinstance(bits, int) else _DPS_CAP


def _wide(dtype: str) -> str:
    return "float64" if dtype == "float64" else "narrow"


def _flat_dps(f0: Any, h: Any, resolution: int) -> int:
    """The precision at which a central difference over ``2h`` that still vanishes against
    ``f0`` means |f'| < 10**-resolution (capped at ``_DPS_CAP``)."""
    mp = _mp()
    magnitude = 0 if f0 == 0 else max(0, _digits(mp.mag(f0)))
    step_digits = max(0, -_digits(mp.mag(h)))
    return min(_DPS_CAP, _AGREE_DIGITS + resolution + magnitude + step_digits)


def _derivative_from(mp: Any, f0: Any, fp: Any, fm: Any, h: Any, dps: int) -> Any:
    """Central difference with a smoothness check; ``_MORE`` where precision ran out."""
    diff = fp - fm
    scale = max(abs(f0), abs(fp), abs(fm))
    if scale == 0:
        return mp.mpf(0)
    # diff == 0: flat at this precision, either truly constant here or f' too small to see.
    lost = dps if diff == 0 else _digits(mp.mag(scale) - mp.mag(diff))
    if lost > dps - _AGREE_DIGITS:
        return _MORE
    right, left = (fp - f0) / h, (f0 - fm) / h
    if abs(right - left) > mp.ldexp(abs(right) + abs(left), -40):  # 1e-12 of the slope
        return _KINK  # one-sided slopes differ: a kink, a jump, or a slope of about 0
    return diff / (2 * h)


# ---------------------------------------------------------------------------------------------
# Probe points


def _derived_points(a: Activation, params: Mapping[str, Any]) -> dict[float, str]:
    points: dict[float, str] = {0.0: "0"}
    reals: list[tuple[str, float]] = []
    for p in a.params:
        value = params.get(p.name, p.default)
        if p.kind == "real" and isinstance(value, int | float) and not isinstance(value, bool):
            reals.append((p.name, float(value)))
        elif p.kind == "array" and isinstance(value, tuple):
            reals += [(f"{p.name}[{i}]", float(v)) for i, v in enumerate(value)]
    for name, v in reals:
        points.setdefault(v, name)
        points.setdefault(-v, f"-{name}")
    for name_p, p in reals:
        for name_q, q in reals:
            if name_p == name_q:
                continue
            if q != 0:
                points.setdefault(p / q, f"{name_p}/{name_q}")
                points.setdefault(-p / q, f"-{name_p}/{name_q}")
            points.setdefault(p * q, f"{name_p}*{name_q}")
            points.setdefault(-p * q, f"-{name_p}*{name_q}")
    return {k: v for k, v in points.items() if math.isfinite(k)}


def probe_points(
    a: Activation, params: Mapping[str, Any], truth: Truth | None = None
) -> list[tuple[float, str]]:
    """Where ``a`` (with ``params``) is worth probing: see the module docstring."""
    points = _derived_points(a, params)
    if not a.reduces:
        truth = truth or Truth(a, params)
        if truth.error is None:
            for k in _scan_kinks(truth, list(points)):
                points.setdefault(k, "scan")
    return sorted(points.items())


def _scan_kinks(truth: Truth, candidates: Sequence[float], n: int = 240) -> list[float]:
    mp = _mp()
    low, high = truth.activation.domain
    pad = (high - low) / 4
    low, high = low - pad, high + pad
    found: list[float] = []
    with mp.workdps(30):
        delta = mp.ldexp(1, -40)

        def f(x: Any) -> Any:
            return truth._f(mp, x)

        def slope(x: Any) -> Any:
            fp, fm = f(x + delta), f(x - delta)
            return None if fp is None or fm is None else (fp - fm) / (2 * delta)

        xs = [mp.mpf(low) + (mp.mpf(high) - low) * i / n for i in range(n + 1)]
        fs = [f(x) for x in xs]
        ss = [slope(x) for x in xs]
        for i in range(n):
            k = _refine(f, slope, (xs[i], fs[i], ss[i]), (xs[i + 1], fs[i + 1], ss[i + 1]))
            if k is not None:
                found.append(_snap(k, candidates))
    return found


def _metric(a: tuple, b: tuple) -> Any:
    (xa, fa, sa), (xb, fb, sb) = a, b
    width = xb - xa
    return abs(sb - sa) + abs(fb - fa - width * (sa + sb) / 2) / width


def _refine(f: Callable, slope: Callable, a: tuple, b: tuple) -> float | None:
    defined_a, defined_b = a[1] is not None and a[2] is not None, b[1] is not None
    defined_b = defined_b and b[2] is not None
    if not defined_a and not defined_b:
        return None
    if defined_a != defined_b:
        # An edge of the domain: bisect on where the function is defined.
        lo, hi = a[0], b[0]
        for _ in range(60):
            mid = (lo + hi) / 2
            ok = f(mid) is not None and slope(mid) is not None
            if ok == defined_a:
                lo = mid
            else:
                hi = mid
        return float((lo + hi) / 2)
    m = _metric(a, b)
    if m <= 1e-9 * (1 + abs(a[2]) + abs(b[2])):
        return None
    shrinking = 0
    for _ in range(80):
        xm = (a[0] + b[0]) / 2
        fm, sm = f(xm), slope(xm)
        if fm is None or sm is None:
            return float(xm)
        mid = (xm, fm, sm)
        left, right = _metric(a, mid), _metric(mid, b)
        if left >= right:
            b, new = mid, left
        else:
            a, new = mid, right
        shrinking = shrinking + 1 if new < 0.6 * m else 0
        if shrinking >= 3:
            return None  # the change of slope shrinks with the width: smooth
        m = new
        if b[0] - a[0] < 1e-12 * max(1, abs(a[0])):
            return float((a[0] + b[0]) / 2)
    return None


def _snap(k: float, candidates: Sequence[float]) -> float:
    nice = [*candidates, *(i / 2 for i in range(-80, 81))]
    best = min(nice, key=lambda c: abs(c - k))
    return float(best) if abs(best - k) <= 1e-9 * max(1.0, abs(best)) else k
