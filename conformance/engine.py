"""Running the cases: each target against the PyTorch reference, with the exact value beside it.

For every batch (see :mod:`conformance.cases`) the engine builds the input once, computes
PyTorch's result on CPU in the same dtype (and on the case's device when that is not the CPU),
the mpmath truth, then calls every target on it and judges each case kind on its slice with
:func:`conformance.tolerances.judge`, so the per-activation overrides and documented known
differences apply. A case passes when the backend agrees with PyTorch within tolerance
everywhere (special values exactly: NaN with NaN, inf with the same inf); a sign of zero that
differs from PyTorch's is counted and reported, not failed. Where PyTorch has no such function
(``names.torch`` is None) the truth, rounded to the dtype, is the reference instead, judged with
the same tolerance wherever it is known.

Beside pass/fail each result carries the figures of the report: the largest absolute error and
ULP distance from PyTorch, and the ULP distance from the correctly rounded exact value, for the
backend and for PyTorch itself.

``Engine.run_case`` computes one case (and caches the rest of its batch: that is what
``pytest conformance/`` calls per test); :func:`run` runs a list of cases, in worker processes
when ``jobs > 1``.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import multiprocessing
import os
import queue
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multiact._registry import lookup

from . import budgets
from . import cases as _cases
from .cases import PROFILES, Batch, Case, Profile, build_batch, round_to
from .distance import ulp_distance
from .targets import TARGETS, Target
from .tolerances import judge, reference_dtype

__all__ = ["Engine", "Result", "prepare", "run"]

_TARGETS = {t.name: t for t in TARGETS}
#: The input's elements at odd positions of a ``strided`` case's underlying array.
_JUNK = np.nan


@dataclass
class Series:
    """Per-element errors of a forward ``grid`` case, for the report's plots."""

    x: np.ndarray
    ulp_reference: np.ndarray
    ulp_truth: np.ndarray | None
    torch_ulp_truth: np.ndarray | None


@dataclass
class Result:
    """The outcome of one case, with the figures the reports show."""

    case: Case
    status: str  # "pass" | "fail" | "skip"
    message: str
    reference: str = "torch"  # what it was judged against: "torch", "truth" or "none"
    n: int = 0
    max_abs_error: float | None = None
    max_ulp: float | None = None
    ulp_truth: float | None = None
    torch_ulp_truth: float | None = None
    #: The same, leaving out subnormal inputs and exact values (which XLA on CPU flushes to 0).
    ulp_truth_normal: float | None = None
    torch_ulp_truth_normal: float | None = None
    worst_x_truth: float | None = None
    sign_of_zero: int = 0
    unjudged: int = 0
    #: Elements where PyTorch's paths disagreed (judged by the exact value there).
    torch_disagreements: int = 0
    #: Known exact values that the backend (PyTorch) misses by a NaN or an infinity: not
    #: counted in the ULP figures, which are distances between numbers.
    special_vs_truth: int = 0
    torch_special_vs_truth: int = 0
    #: multiact's own kernel (not PyTorch's forward or autograd on tensors), and the largest
    #: distance from the exact value it may have (``conformance.budgets``; None: not held).
    own_kernel: bool = True
    ulp_budget: int | None = None
    max_ulp_vs_torch_cpu: float | None = None
    #: The largest |error| / (atol + rtol |reference|) where compared: above 1 fails.
    tolerance_used: float | None = None
    seconds: float = 0.0
    series: Series | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def record(self) -> dict[str, Any]:
        """The JSON record of this case."""
        c = self.case
        return {
            "id": c.id,
            "activation": c.activation,
            "label": c.label,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in c.params},
            "target": c.target,
            "dtype": c.dtype,
            "device": c.device,
            "kind": "gradient" if c.gradient else "forward",
            "mode": c.mode,
            "case": c.kind,
            "n": self.n,
            "reference": self.reference,
            "max_abs_error": _json_number(self.max_abs_error),
            "max_ulp_vs_torch": _json_number(self.max_ulp),
            "max_ulp_vs_truth": _json_number(self.ulp_truth),
            "torch_max_ulp_vs_truth": _json_number(self.torch_ulp_truth),
            "max_ulp_vs_truth_normal": _json_number(self.ulp_truth_normal),
            "torch_max_ulp_vs_truth_normal": _json_number(self.torch_ulp_truth_normal),
            "worst_x_vs_truth": _json_number(self.worst_x_truth),
            "max_ulp_vs_torch_cpu": _json_number(self.max_ulp_vs_torch_cpu),
            "sign_of_zero_mismatches": self.sign_of_zero,
            "torch_disagreements": self.torch_disagreements,
            "special_vs_truth": self.special_vs_truth,
            "own_kernel": self.own_kernel,
            "ulp_budget": self.ulp_budget,
            "torch_special_vs_truth": self.torch_special_vs_truth,
            "tolerance_used": _json_number(self.tolerance_used),
            "unjudged": self.unjudged,
            "status": self.status,
            "message": self.message,
        }


def _json_number(v: float | None) -> float | str | None:
    if v is None:
        return None
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(f"{v:.6g}")  # six significant digits: enough for a report, and compact


# ---------------------------------------------------------------------------------------------


def prepare(target_names: Iterable[str] | None = None) -> None:
    """Configure the libraries the run needs: JAX with float64, Dask's synchronous scheduler.

    Only installed libraries that the chosen targets use are imported.
    """
    names = set(target_names) if target_names is not None else set(_TARGETS)
    libraries = {_TARGETS[n].library for n in names if n in _TARGETS}
    if "jax.numpy" in libraries and importlib.util.find_spec("jax") is not None:
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 is part of the matrix
    if "dask.array" in libraries and importlib.util.find_spec("dask") is not None:
        import dask

        # The graphs are small; threads only add overhead (the results are the same).
        dask.config.set(scheduler="synchronous")


def _finite_distance(
    got: np.ndarray, exact: np.ndarray, known: np.ndarray | bool, dtype: str
) -> tuple[np.ndarray, int]:
    """(ULPs between ``got`` and ``exact`` where both are numbers and ``known``, else 0; how
    many known positions hold a NaN or an infinity on one side only)."""
    d = ulp_distance(got, exact, dtype)
    special = known & np.isinf(d)
    return np.where(known & ~special, d, 0.0), int(np.count_nonzero(special))


def _max(values: np.ndarray) -> float | None:
    return float(np.max(values)) if np.size(values) else None


@dataclass
class _Reference:
    """Everything about one batch that does not depend on the target."""

    batch: Batch
    values: np.ndarray
    cotangent: np.ndarray | None
    torch: np.ndarray | None  # PyTorch on the case's device
    torch_cpu: np.ndarray | None  # PyTorch on the CPU
    torch_error: BaseException | None
    #: PyTorch's result by its other code paths on this CPU (``reference.layouts_for``: the
    #: vectorised and the scalar loop), each the shape of ``torch``; empty where PyTorch has
    #: no reference.
    torch_paths: tuple[np.ndarray, ...]
    #: PyTorch's own half-precision result where the reference is computed in float32
    #: (``tolerances.WIDENED_REFERENCES``): what the torch target's own kernels are held to,
    #: and what "PyTorch vs the exact value" measures. None where it is the reference itself.
    torch_own: np.ndarray | None
    truth: np.ndarray | None  # rounded to the dtype
    known: np.ndarray | None
    truth_note: str = ""


class Engine:
    """Runs cases, caching per parameterisation what all targets share."""

    def __init__(self, profile: Profile | str = "full", cache_dir: Path | None = None) -> None:
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.cache_dir = cache_dir
        self._truths: dict[tuple, Any] = {}
        self._references: dict[tuple, _Reference] = {}
        self._results: dict[Case, Result] = {}
        #: Seconds spent on references and truths (not counted in the cases' own times).
        self.reference_seconds = 0.0

    # -- shared per parameterisation ------------------------------------------------------------

    def truth(self, activation: str, params: tuple) -> Any:
        from .truth import Truth

        key = (activation, params)
        if key not in self._truths:
            self._truths[key] = Truth(lookup(activation), dict(params), self.cache_dir)
        return self._truths[key]

    def save(self) -> None:
        """Write the truth caches to disk (when the engine has a cache directory)."""
        for truth in self._truths.values():
            truth.save()

    def forget(self, job: tuple) -> None:
        """Drop what was cached for one parameterisation (after its cases have all run)."""
        for key in [k for k in self._references if k[:2] == job]:
            del self._references[key]
        truth = self._truths.pop(job, None)
        if truth is not None:
            truth.save()

    def _reference(self, case: Case) -> _Reference:
        key = (
            case.activation,
            case.params,
            case.dtype,
            case.device,
            case.batch,
            case.gradient,
        )
        if key not in self._references:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._references[key] = self._compute_reference(case)
            self.reference_seconds += time.perf_counter() - start
        return self._references[key]

    def _compute_reference(self, case: Case) -> _Reference:
        from .reference import layouts_for, torch_reference, torch_vjp

        a = case.spec
        params = dict(case.params)
        probes: list[float] = []  # derived from exact even in the quick profile (cheap)
        wants_probes = case.batch == "values" and "kinks" in self.profile.kinds
        if (wants_probes or case.batch == "long") and not a.reduces:
            probes = [p for p, _ in self.truth(case.activation, case.params).probe_points()]
        batch = build_batch(a, params, case.dtype, case.batch, self.profile, probes)
        values = batch.values
        params = batch.params
        torch_out = torch_cpu = None
        torch_error = None
        has_torch = a.names.torch is not None and importlib.util.find_spec("torch") is not None
        if has_torch:
            try:
                torch_cpu = torch_reference(a, values, case.dtype, params)
                torch_out = torch_cpu
                if case.device != "cpu":
                    torch_out = torch_reference(a, values, case.dtype, params, case.device)
            except Exception as error:  # PyTorch refuses this input: so must the backend
                torch_error = error
        cotangent = None
        if case.gradient:
            shape = torch_cpu.shape if torch_cpu is not None else _output_shape(a, batch)
            rng = np.random.default_rng(len(values.shape) * 1000 + values.size)
            cotangent = round_to(rng.uniform(0.5, 1.5, shape), case.dtype)
            if has_torch and torch_error is None:
                try:
                    torch_cpu = torch_vjp(a, values, cotangent, case.dtype, params)
                    torch_out = torch_cpu
                    if case.device != "cpu":
                        torch_out = torch_vjp(a, values, cotangent, case.dtype, params, case.device)
                except Exception as error:
                    torch_error = error
        truth = known = None
        note = ""
        if self.profile.truth or not has_torch:
            try:
                truth, known, note = self._truth_for(case, batch, cotangent)
            except Exception as error:  # a bug here must not stop the run: no truth, and why
                note = f"the exact value failed ({type(error).__name__}: {_first_line(error)})"
        torch_own = None
        torch_paths: tuple[np.ndarray, ...] = ()
        if has_torch and torch_error is None:
            try:
                torch_paths = tuple(
                    torch_vjp(a, values, cotangent, case.dtype, params, case.device, layout=lay)
                    if case.gradient
                    else torch_reference(a, values, case.dtype, params, case.device, layout=lay)
                    for lay in layouts_for(a, params)
                )
            except Exception:  # a layout PyTorch refuses: the contiguous reference stands alone
                torch_paths = ()
        if has_torch and torch_error is None:
            kind = "gradient" if case.gradient else "forward"
            if reference_dtype(a.name, kind, case.dtype) != case.dtype:
                try:
                    if case.gradient:
                        torch_own = torch_vjp(
                            a, values, cotangent, case.dtype, params, case.device, widen=False
                        )
                    else:
                        torch_own = torch_reference(
                            a, values, case.dtype, params, case.device, widen=False
                        )
                except Exception:  # the widened reference stands alone
                    torch_own = None
        return _Reference(
            batch,
            values,
            cotangent,
            torch_out,
            torch_cpu,
            torch_error,
            torch_paths,
            torch_own,
            truth,
            known,
            note,
        )

    def _truth_for(
        self, case: Case, batch: Batch, cotangent: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray | None, str]:
        t = self.truth(case.activation, case.params)
        if t.error:
            return None, None, t.error
        values = batch.values
        if batch.axis is None:
            if cotangent is None:
                exact, known = t.forward(values)
            else:
                exact, known = t.gradient(values, cotangent, case.dtype)
            return round_to(exact, case.dtype), known, ""
        rows = batch.rows_of(values)
        if np.size(values) == 0:  # nothing to evaluate: the exact result is empty too
            shape = _output_shape(case.spec, batch) if cotangent is None else np.shape(values)
            return np.zeros(shape), np.ones(shape, dtype=bool), ""
        if cotangent is None:
            exact, known = t.forward_rows(rows)
            if exact is None:
                return None, None, "no exact value for any row"
        else:
            exact, known = t.gradient_rows(rows, batch.rows_of(cotangent), case.dtype)
        try:
            exact = _from_rows(batch, exact)
            known = _from_rows(batch, known)
        except ValueError:  # rows of a shape this input cannot have (glu of a 0-d array)
            return None, None, "the exact value has no shape for this input"
        return round_to(exact, case.dtype), known, ""

    # -- running --------------------------------------------------------------------------------

    def run_case(self, case: Case) -> Result:
        """The result of ``case``; the other cases of its batch are computed and kept."""
        if case not in self._results:
            kinds = [case.kind] if case.batch != "values" else self._batch_kinds(case)
            siblings = [Case(**{**case.__dict__, "kind": k}) for k in kinds]
            for result in self.run_batch(siblings):
                self._results[result.case] = result
        return self._results.pop(case)

    def _batch_kinds(self, case: Case) -> list[str]:
        a = case.spec
        return [
            k
            for k in _cases.kinds_for(a, dict(case.params), self.profile)
            if Case(**{**case.__dict__, "kind": k}).batch == "values"
        ]

    def run_batch(self, batch_cases: Sequence[Case]) -> list[Result]:
        """Run cases that share one batch key (one call of the backend)."""
        first = batch_cases[0]
        assert all(c.batch_key == first.batch_key for c in batch_cases), "mixed batch"
        skip = _skip_reason(first)
        if skip:
            return [Result(c, "skip", skip, reference="none") for c in batch_cases]
        try:
            ref = self._reference(first)
            start = time.perf_counter()
            target = _TARGETS[first.target]
            actual, error, notes = _call(target, first, ref)
            results = [self._judge(c, ref, actual, error, notes) for c in batch_cases]
        except Exception as error:  # the engine's own failure: reported on its cases, not raised
            why = f"conformance engine error: {type(error).__name__}: {_first_line(error)}"
            return [Result(c, "fail", why, reference="none") for c in batch_cases]
        elapsed = (time.perf_counter() - start) / len(batch_cases)
        for r in results:
            r.seconds = elapsed
        return results

    def run(
        self, cases: Sequence[Case], progress: Callable[[int, str], None] | None = None
    ) -> list[Result]:
        """Run ``cases`` here, in order of their batches; ``progress(n_done, label)``."""
        results = []
        groups = _group(cases)
        job = None
        for key, group in groups:
            if job is not None and key[:2] != job:
                self.forget(job)
            job = key[:2]
            results += self.run_batch(group)
            if progress is not None:
                progress(len(group), f"{group[0].label} {group[0].target} {group[0].dtype}")
        if job is not None:
            self.forget(job)
        self.save()
        return results

    # -- judging --------------------------------------------------------------------------------

    def _judge(
        self,
        case: Case,
        ref: _Reference,
        actual: np.ndarray | None,
        error: BaseException | None,
        notes: list[str],
    ) -> Result:
        batch = ref.batch
        note = "; ".join(notes)
        has_torch = ref.torch is not None or ref.torch_error is not None
        if ref.torch_error is not None:
            why = f"{type(ref.torch_error).__name__}: {_first_line(ref.torch_error)}"
            if error is not None:
                msg = f"raises, as PyTorch does ({why})"
                return Result(case, "pass", _join(msg, note), reference="torch")
            return Result(
                case, "fail", f"returned a value where PyTorch raises {why}", reference="torch"
            )
        if error is not None:
            return Result(
                case,
                "fail",
                _join(f"raised {type(error).__name__}: {_first_line(error)}", note),
                reference="torch" if has_torch else "truth",
            )
        assert actual is not None
        values = batch.segment(ref.values, case.kind)
        got = batch.segment(actual, case.kind)
        cot = None if ref.cotangent is None else batch.segment(ref.cotangent, case.kind)
        truth = known = None
        if ref.truth is not None and np.shape(ref.truth) == np.shape(actual):
            truth = batch.segment(ref.truth, case.kind)
            known = batch.segment(ref.known, case.kind)
        params = dict(case.params)
        kind = "gradient" if case.gradient else "forward"

        pytorch = ref.torch
        # PyTorch's own kernels (forward and autograd on tensors) are PyTorch on a path of its
        # own: where its paths disagree, any of their answers is its answer.
        own = case.target == "torch" and case.mode in ("forward", "autograd")
        paths = tuple(batch.segment(p, case.kind) for p in ref.torch_paths)
        if ref.torch_own is not None:
            # PyTorch's own kernels are compared with themselves, half-precision quirks
            # included; everything else with the float32 one.
            pytorch_itself = ref.torch_own
            if own:
                pytorch = ref.torch_own
                paths = ()
        else:
            pytorch_itself = ref.torch
        if has_torch:
            expected = batch.segment(pytorch, case.kind)
            reference = "torch"
            unjudged = 0
        elif truth is not None:
            expected = np.where(known, truth, got) if np.shape(got) == np.shape(truth) else truth
            reference = "truth"
            unjudged = int(np.count_nonzero(~known))
            if np.size(known) and not np.any(known):
                return Result(
                    case,
                    "skip",
                    "no reference: PyTorch has no such function and the exact value is "
                    "unknown on every input of this case",
                    reference="none",
                    n=int(np.size(got)),
                    unjudged=unjudged,
                )
        else:
            why = ref.truth_note or "the exact value is not available"
            return Result(
                case,
                "skip",
                f"no reference: PyTorch has no such function and {why}",
                reference="none",
            )
        if batch.axis is not None:
            # The segments are rows along the last axis, whatever the case's axis.
            axis_name = next(p.name for p in case.spec.params if p.kind == "axis")
            params[axis_name] = -1
        cmp = judge(
            case.activation,
            params,
            kind,
            case.target,
            case.dtype,
            values,
            got,
            expected,
            cot,
            mode=case.mode if case.gradient else None,
            device=case.device,
            other_paths=paths if has_torch else (),
            exact=truth,
            exact_known=known,
            any_path=own,
        )
        result = Result(
            case,
            "pass" if cmp.ok else "fail",
            _join(cmp.message, note),
            reference=reference,
            n=int(np.size(got)),
            max_abs_error=cmp.max_abs_error if np.size(got) else 0.0,
            max_ulp=cmp.max_ulp_error if np.size(got) else 0.0,
            unjudged=unjudged,
            torch_disagreements=cmp.torch_disagreements,
        )
        if np.shape(got) == np.shape(expected) and np.size(got):
            result.tolerance_used = _tolerance_used(case, params, kind, values, got, expected, cot)
            # (The exact value's zero has no sign: only PyTorch's is compared.)
            both_zero = (got == 0) & (expected == 0) & (reference == "torch")
            result.sign_of_zero = int(
                np.count_nonzero(both_zero & (np.signbit(got) != np.signbit(expected)))
            )
            if cmp.torch_disagreements:
                result.message = _join(
                    result.message,
                    f"PyTorch's vectorised and scalar loops disagree at {cmp.torch_disagreements} "
                    "inputs: judged by the exact value there",
                )
            if result.sign_of_zero and result.status == "pass":
                result.message = _join(
                    result.message, f"{result.sign_of_zero} zeros of the other sign than PyTorch's"
                )
        if case.device != "cpu" and ref.torch_cpu is not None:
            cpu = batch.segment(ref.torch_cpu, case.kind)
            if np.shape(cpu) == np.shape(got) and np.size(got):
                cpu_dist, _ = _finite_distance(got, cpu, True, case.dtype)
                result.max_ulp_vs_torch_cpu = _max(cpu_dist)
        dist = torch_dist = None
        if truth is not None and np.size(got) and np.any(known):
            dist, result.special_vs_truth = _finite_distance(got, truth, known, case.dtype)
            result.ulp_truth = _max(dist)
            normal = _normal_range(values, truth, case.dtype, batch)
            result.ulp_truth_normal = _max(np.where(normal, dist, 0.0))
            _hold_to_budget(result, has_torch)
            if batch.axis is None and np.shape(values) == np.shape(dist) and result.ulp_truth:
                result.worst_x_truth = float(np.reshape(values, -1)[int(np.argmax(dist))])
            if has_torch:
                torch_seg = batch.segment(pytorch_itself, case.kind)
                torch_dist, result.torch_special_vs_truth = _finite_distance(
                    torch_seg, truth, known, case.dtype
                )
                result.torch_ulp_truth = _max(torch_dist)
                result.torch_ulp_truth_normal = _max(np.where(normal, torch_dist, 0.0))
        grid = case.kind == "grid" and not case.gradient and np.size(got)
        if grid and np.shape(values) == np.shape(got) == np.shape(expected):

            def per_x(d: np.ndarray | None) -> np.ndarray | None:
                if d is None:
                    return None
                return np.where(known, d, np.nan).reshape(-1).astype(np.float32)

            result.series = Series(
                np.reshape(values, -1).astype(np.float32),
                ulp_distance(got, expected, case.dtype).reshape(-1).astype(np.float32),
                per_x(dist),
                per_x(torch_dist),
            )
        return result


def _hold_to_budget(result: Result, has_torch: bool) -> None:
    """Fail a passing case whose distance from the exact value is beyond its budget."""
    c = result.case
    result.own_kernel = budgets.is_own_kernel(c.target, c.mode, has_torch)
    if not result.own_kernel:
        return
    result.ulp_budget = budgets.budget(c.label, c.target, c.dtype, c.mode)
    measured = result.ulp_truth_normal
    if result.ulp_budget is None or measured is None or measured <= result.ulp_budget:
        return
    result.status = "fail"
    result.message = _join(
        result.message,
        f"{measured:.0f} ULP from the exact value (worst x = {result.worst_x_truth!r}), beyond "
        f"its accuracy budget of {result.ulp_budget} ULP",
    )


def _tolerance_used(
    case: Case,
    params: dict[str, Any],
    kind: str,
    values: np.ndarray,
    got: np.ndarray,
    expected: np.ndarray,
    cot: np.ndarray | None,
) -> float | None:
    """How much of the tolerance the finite, compared elements use (1.0: at the limit)."""
    from .tolerances import _known_differences, tolerance

    rtol, atol = tolerance(case.activation, kind, case.dtype)
    compared = np.isfinite(got) & np.isfinite(expected)
    mask, _, _ = _known_differences(
        case.activation,
        params,
        kind,
        case.target,
        case.dtype,
        values,
        cot,
        case.mode if case.gradient else None,
        case.device,
    )
    if np.shape(mask) == np.shape(got):
        compared &= ~mask
    if not np.any(compared):
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        used = np.abs(got - expected) / (atol + rtol * np.abs(expected))
    return float(np.max(used[compared]))


def _normal_range(values: np.ndarray, truth: np.ndarray, dtype: str, batch: Batch) -> np.ndarray:
    """Where neither the input (elementwise functions) nor the exact value is subnormal."""
    _, tiny, _ = _cases.dtype_limits(dtype)

    def subnormal(v: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (v != 0) & (np.abs(v) < tiny)

    out = ~subnormal(np.asarray(truth, dtype=np.float64))
    if batch.axis is None and np.shape(values) == np.shape(truth):
        out &= ~subnormal(np.asarray(values, dtype=np.float64))
    return out


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p and p != "ok") or "ok"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""


def _output_shape(a: Any, batch: Batch) -> tuple[int, ...]:
    shape = list(np.shape(batch.values))
    if getattr(a, "halves_axis", False) and batch.axis is not None and shape:
        shape[batch.axis] //= 2
    return tuple(shape)


def _from_rows(batch: Batch, rows: np.ndarray) -> np.ndarray:
    """Rows along the reduced axis (see ``Batch.rows_of``) back in the batch's layout."""
    values = batch.values
    if np.ndim(values) == 0:
        return np.reshape(rows, ())
    moved_shape = np.moveaxis(values, batch.axis, -1).shape
    out = np.reshape(rows, (*moved_shape[:-1], np.shape(rows)[-1]))
    return np.moveaxis(out, -1, batch.axis)


def _skip_reason(case: Case) -> str | None:
    target = _TARGETS[case.target]
    if not target.available():
        return f"{target.library.split('.')[0]} is not installed"
    a = case.spec
    if case.device not in target.devices:
        return f"{target.name} arrays cannot live on {case.device}"
    if case.device != "cpu":
        why = _gpu_status().get(target.library.split(".")[0])
        if why is not None:
            return f"no GPU for {target.library.split('.')[0]}: {why}"
    if a.names.torch is not None and importlib.util.find_spec("torch") is None:
        return "PyTorch (the reference) is not installed"
    params = dict(case.params)
    if getattr(a, "random", False) and (params.get("training") or "generator" in params):
        return "random in this parameterisation (training mode): no deterministic reference"
    if case.dtype == "float64" and target.library == "jax.numpy":
        import jax

        if not jax.config.read("jax_enable_x64"):
            return "JAX float64 needs jax_enable_x64 (multiact.conformance.engine.prepare)"
    return None


_GPU_STATUS: dict[str, str | None] = {}


def _gpu_status() -> dict[str, str | None]:
    if not _GPU_STATUS:
        from .targets import gpu_status

        _GPU_STATUS.update(gpu_status())
    return _GPU_STATUS


def _call(
    target: Target, case: Case, ref: _Reference
) -> tuple[np.ndarray | None, BaseException | None, list[str]]:
    """Run the case's mode on the target: (result as float64, or the exception; notes)."""
    import multiact

    batch = ref.batch
    params = batch.params
    notes: list[str] = []
    name = case.activation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            x, base = _make_input(target, batch, case)
            if case.mode == "forward":
                y = target.call(name, x, params)
            elif case.mode == "vjp":
                g = target.asarray(ref.cotangent, case.dtype, case.device)
                y = multiact.vjp(name, x, g, **target.array_params(name, params, x))
            elif target.library == "torch":
                import torch

                leaf = base if base is not None else x
                leaf.requires_grad_(True)
                if base is not None:
                    x = base[..., ::2]
                g = target.asarray(ref.cotangent, case.dtype, case.device)
                out = target.call(name, x, params)
                (y,) = torch.autograd.grad(out, x, g)
            else:
                import jax

                g = target.asarray(ref.cotangent, case.dtype, case.device)
                _, pullback = jax.vjp(lambda v: target.call(name, v, params), x)
                (y,) = pullback(g)
            problems = _contract(target, case, x, y)
            result = target.to_numpy(y)
        for w in caught:
            notes.append(f"warned {w.category.__name__}: {str(w.message)[:120]}")
    except Exception as error:
        return None, error, notes
    if problems:
        return None, _ContractError("; ".join(problems)), notes
    return result, None, notes


class _ContractError(Exception):
    pass


def _contract(target: Target, case: Case, x: Any, y: Any) -> list[str]:
    """The output contract: same array type, dtype and device as the input."""
    problems = []
    if type(y) is not type(x) and target.library != "jax.numpy":
        problems.append(f"returned {type(y).__name__} for {type(x).__name__}")
    if getattr(y, "dtype", None) != x.dtype:
        problems.append(f"returned dtype {getattr(y, 'dtype', None)} for {x.dtype}")
    elif target.device_of(y) != case.device:
        problems.append(f"returned an array on {target.device_of(y)}, not {case.device}")
    return problems


def _make_input(target: Target, batch: Batch, case: Case) -> tuple[Any, Any]:
    """(the input array, the underlying array of a strided view or None)."""
    if not batch.strided:
        return target.asarray(batch.values, case.dtype, case.device), None
    shape = list(np.shape(batch.values))
    shape[-1] *= 2
    base = np.full(shape, _JUNK)
    base[..., ::2] = batch.values
    base_array = target.asarray(base, case.dtype, case.device)
    return base_array[..., ::2], base_array


def _group(cases: Iterable[Case]) -> list[tuple[tuple, list[Case]]]:
    groups: dict[tuple, list[Case]] = defaultdict(list)
    for c in cases:
        groups[c.batch_key].append(c)
    # One parameterisation after the other, so its caches can be dropped when it is done.
    order = {job: i for i, job in enumerate(dict.fromkeys(k[:2] for k in groups))}
    return sorted(groups.items(), key=lambda item: order[item[0][:2]])


# ---------------------------------------------------------------------------------------------
# Running many cases, in worker processes

_WORKER: dict[str, Any] = {}

#: Rough relative cost of a case on each target, to start the longest jobs first.
_COST = {"dask": 12.0, "jax": 3.0, "generic-jax": 3.0, "array-api-strict": 2.0}


def _init_worker(
    profile: Profile, cache_dir: Path | None, targets: list[str], messages: Any, plots: bool
) -> None:
    _WORKER["engine"] = Engine(profile, cache_dir)
    _WORKER["messages"] = messages
    _WORKER["plots"] = plots
    prepare(targets)
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)


def _run_job(job_cases: list[Case]) -> tuple[list[Result], dict[str, str]]:
    engine: Engine = _WORKER["engine"]
    messages = _WORKER["messages"]

    def progress(n: int, label: str) -> None:
        messages.put((n, label))

    results = engine.run(job_cases, progress)
    return results, _images(results, _WORKER["plots"])


def _images(results: list[Result], plots: bool) -> dict[str, str]:
    """The job's plots (drawn where the job ran), and its results lightened of their series."""
    images = {}
    if plots:
        from .report import render_plots

        images = render_plots(results)
    for r in results:
        r.series = None
    return images


def run(
    cases: Sequence[Case],
    *,
    profile: Profile | str = "full",
    jobs: int = 1,
    cache_dir: Path | None = None,
    progress: Callable[[int, str], None] | None = None,
    images: dict[str, str] | None = None,
) -> list[Result]:
    """Run ``cases`` and return their results in the same order.

    ``jobs > 1`` spreads the parameterisations over that many worker processes (each imports
    the libraries itself); ``progress(n_done, label)`` is called as cases finish. With an
    ``images`` dict, each parameterisation's plot for the HTML report is drawn as soon as its
    cases are done (in the worker) and stored there, label -> base64 PNG.
    """
    profile = PROFILES[profile] if isinstance(profile, str) else profile
    targets = sorted({c.target for c in cases})
    by_job: dict[tuple, list[Case]] = defaultdict(list)
    for c in cases:
        by_job[c.job].append(c)
    plots = images is not None
    if jobs <= 1 or len(by_job) <= 1:
        prepare(targets)
        engine = Engine(profile, cache_dir)
        results = []
        for job_cases in by_job.values():
            job_results = engine.run(job_cases, progress)
            if plots:
                images.update(_images(job_results, plots))
            results += job_results
    else:
        work = sorted(by_job.values(), key=lambda cs: -sum(_COST.get(c.target, 1.0) for c in cs))
        context = multiprocessing.get_context("spawn")
        messages = context.Queue()
        results = []
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(jobs, len(work)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(profile, cache_dir, targets, messages, plots),
        ) as pool:
            pending = {pool.submit(_run_job, w) for w in work}
            while pending:
                done, pending = concurrent.futures.wait(pending, timeout=0.1)
                _drain(messages, progress)
                for future in done:
                    job_results, job_images = future.result()
                    results += job_results
                    if plots:
                        images.update(job_images)
            _drain(messages, progress)
    index = {c: i for i, c in enumerate(cases)}
    return sorted(results, key=lambda r: index.get(r.case, len(index)))


def _drain(messages: Any, progress: Callable[[int, str], None] | None) -> None:
    while True:
        try:
            n, label = messages.get_nowait()
        except (queue.Empty, OSError, EOFError):
            return
        if progress is not None:
            progress(n, label)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
