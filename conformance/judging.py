"""Judging one case: its result against PyTorch's (or the exact value), and the report's figures.

The comparison itself is :func:`conformance.tolerances.judge` (tolerances, known differences,
PyTorch's disagreements with itself); around it, this module picks the reference (PyTorch's
result, its own half-precision kernel, or the exact value where PyTorch has no such function),
measures the distances from the exact value (ULPs, over the normal range too), holds multiact's
own kernels to their accuracy budgets, counts signs of zero, and keeps the per-element errors of
a grid case for the plots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import budgets
from . import cases as _cases
from .cases import Batch, Case
from .distance import ulp_distance
from .expected import Expected
from .reference import torch_computed_in
from .results import PYTORCH, TRUTH, UNJUDGED, Result, Series, first_line, join_messages
from .targets import Target
from .tolerances import Comparison, Kind, judge, known_difference_inputs, tolerance

__all__ = ["judge_case"]


def judge_case(
    target: Target,
    case: Case,
    ref: Expected,
    actual: np.ndarray | None,
    error: BaseException | None,
    notes: list[str],
) -> Result:
    """The result of ``case``: the target returned ``actual`` (float64) or raised ``error``
    on the batch ``ref``, with ``notes`` (warnings) to add to its message."""
    note = "; ".join(notes)
    if ref.torch_error is not None or error is not None:
        return _raised(case, ref, error, note)
    assert actual is not None
    part = _Part.of(case, ref, actual)
    # PyTorch's own kernels (forward and autograd on tensors) are PyTorch on a path of its
    # own: where its paths disagree, any of their answers is its answer.
    own = target.runs_reference_kernels and case.mode in ("forward", "autograd")
    pytorch, pytorch_itself, paths = ref.torch, ref.torch, ref.torch_paths
    if ref.torch_own is not None:
        # PyTorch's own kernels are compared with themselves, half-precision quirks
        # included; everything else with the float32 one.
        pytorch_itself = ref.torch_own
        if own:
            pytorch, paths = ref.torch_own, ()
    chosen = _reference(case, ref, part, pytorch)
    if isinstance(chosen, Result):
        return chosen
    expected, reference, unjudged = chosen
    extra: tuple[np.ndarray, ...] = ()
    if target.foreign and ref.has_torch:
        # Someone else's implementation conforms where it gives any of PyTorch's own answers
        # (its half-precision kernel's too), or the exact value where PyTorch's is not it.
        own = True
        extra = _foreign_paths(case, ref, part, expected)
    cmp = _compare(case, ref, part, expected, paths, own, extra)
    got = part.got
    result = Result(
        case,
        "pass" if cmp.ok else "fail",
        join_messages(cmp.message, note),
        reference=reference,
        n=int(np.size(got)),
        # No figure where there is nothing to measure: an empty result, or one of another
        # shape than the reference's (the comparison then says inf, which is no distance).
        max_abs_error=_figure(cmp.max_abs_error) if np.size(got) else 0.0,
        max_ulp=_figure(cmp.max_ulp_error) if np.size(got) else 0.0,
        unjudged=unjudged,
        torch_disagreements=cmp.torch_disagreements,
        special_mismatches=cmp.special_mismatches,
    )
    if not cmp.ok:
        _worst(result, case, part, cmp, expected)
    if np.shape(got) == np.shape(expected) and np.size(got):
        _measure_against_the_reference(result, part, expected)
    if case.device != "cpu" and ref.torch_cpu is not None:
        cpu = ref.batch.segment(ref.torch_cpu, case.kind)
        if np.shape(cpu) == np.shape(got) and np.size(got):
            cpu_dist, _ = _finite_distance(got, cpu, True, case.dtype)
            result.max_ulp_vs_torch_cpu = _max(cpu_dist)
    dist = torch_dist = None
    if part.truth is not None and np.size(got) and np.any(part.known):
        torch_seg = ref.batch.segment(pytorch_itself, case.kind) if ref.has_torch else None
        dist, torch_dist = _measure_against_the_truth(result, ref.batch, part, torch_seg)
    grid = case.kind == "grid" and not case.gradient and np.size(got)
    if grid and np.shape(part.values) == np.shape(got) == np.shape(expected):
        result.series = _series(part, expected, dist, torch_dist)
    return result


@dataclass
class _Part:
    """A case's part of its batch: its kind's segment (as rows along the last axis, for a
    function that reduces), with the parameters to judge it by."""

    case: Case
    values: np.ndarray
    got: np.ndarray
    cotangent: np.ndarray | None
    truth: np.ndarray | None
    known: np.ndarray | None
    params: dict[str, Any]

    @classmethod
    def of(cls, case: Case, ref: Expected, actual: np.ndarray) -> _Part:
        batch = ref.batch
        cot = None if ref.cotangent is None else batch.segment(ref.cotangent, case.kind)
        truth = known = None
        if ref.truth is not None and np.shape(ref.truth) == np.shape(actual):
            truth = batch.segment(ref.truth, case.kind)
            known = batch.segment(ref.known, case.kind)
        params = dict(case.params)
        if batch.axis is not None:
            # The segments are rows along the last axis, whatever the case's axis.
            axis_name = next(p.name for p in case.spec.params if p.kind == "axis")
            params[axis_name] = -1
        values = batch.segment(ref.values, case.kind)
        got = batch.segment(actual, case.kind)
        return cls(case, values, got, cot, truth, known, params)

    @property
    def kind(self) -> Kind:
        return "gradient" if self.case.gradient else "forward"


def _raised(case: Case, ref: Expected, error: BaseException | None, note: str) -> Result:
    """The result where PyTorch or the target raised: it passes where both do."""
    if ref.torch_error is not None:
        why = f"{type(ref.torch_error).__name__}: {first_line(ref.torch_error)}"
        if error is not None:
            msg = f"raises, as PyTorch does ({why})"
            return Result(case, "pass", join_messages(msg, note), reference=PYTORCH)
        return Result(
            case,
            "fail",
            f"returned a value where PyTorch raises {why}",
            reference=PYTORCH,
            check="raised",
        )
    assert error is not None
    # The output and input contracts (``running.ContractError``) say which of them failed.
    checks = getattr(error, "checks", ())
    return Result(
        case,
        "fail",
        join_messages(f"raised {type(error).__name__}: {first_line(error)}", note),
        reference=PYTORCH if ref.has_torch else TRUTH,
        check=", ".join(checks) if checks else "raised",
    )


def _foreign_paths(
    case: Case, ref: Expected, part: _Part, expected: np.ndarray
) -> tuple[np.ndarray, ...]:
    """PyTorch's own half-precision answer (where the reference is widened) and the exact
    value where it is known, as answers beside PyTorch's code paths (the case's segment)."""
    extra = []
    if ref.torch_own is not None:
        extra.append(ref.batch.segment(ref.torch_own, case.kind))
    if part.truth is not None and np.shape(part.truth) == np.shape(expected):
        extra.append(np.where(part.known, part.truth, expected))
    return tuple(extra)


def _worst(result: Result, case: Case, part: _Part, cmp: Comparison, expected: np.ndarray) -> None:
    """Which check a failing comparison failed, and its worst element."""
    got = part.got
    if np.shape(got) != np.shape(expected):
        result.check = "shape"
        return
    index = cmp.worst_index
    if index is None:
        result.check = "value"
        return
    x = None
    if np.shape(part.values) == np.shape(got):
        x = float(np.asarray(part.values)[index])
    actual, reference = cmp.worst_actual, cmp.worst_expected
    assert actual is not None
    assert reference is not None
    finite = np.isfinite(actual) and np.isfinite(reference)
    result.check = "value" if finite or actual == reference else "special value"
    ulp_truth = None
    if part.truth is not None and np.shape(part.truth) == np.shape(got) and part.known[index]:
        ulp_truth = _ulp_at(actual, float(part.truth[index]), case.dtype)
    result.worst = {
        "x": x,
        "expected": reference,
        "got": actual,
        "ulp": _ulp_at(actual, reference, case.dtype),
        "ulp_truth": ulp_truth,
        "truth": None if ulp_truth is None else float(part.truth[index]),
    }


def _reference(
    case: Case, ref: Expected, part: _Part, pytorch: np.ndarray | None
) -> tuple[np.ndarray, str, int] | Result:
    """(what the result is compared with, which reference it is, how many inputs it leaves
    unjudged), or the skip where there is none: PyTorch's result, else the exact value where
    it is known."""
    if ref.has_torch:
        return ref.batch.segment(pytorch, case.kind), PYTORCH, 0
    truth, known, got = part.truth, part.known, part.got
    if truth is None:
        why = ref.truth_note or "the exact value is not available"
        return Result(
            case,
            "skip",
            f"no reference: PyTorch has no such function and {why}",
            reference=UNJUDGED,
        )
    expected = np.where(known, truth, got) if np.shape(got) == np.shape(truth) else truth
    unjudged = int(np.count_nonzero(~known))
    if np.size(known) and not np.any(known):
        return Result(
            case,
            "skip",
            "no reference: PyTorch has no such function and the exact value is "
            "unknown on every input of this case",
            reference=UNJUDGED,
            n=int(np.size(got)),
            unjudged=unjudged,
        )
    return expected, TRUTH, unjudged


def _compare(
    case: Case,
    ref: Expected,
    part: _Part,
    expected: np.ndarray,
    paths: tuple[np.ndarray, ...],
    own: bool,
    extra: tuple[np.ndarray, ...] = (),
) -> Comparison:
    """:func:`tolerances.judge` on the case's part, with PyTorch's other paths (and ``extra``
    answers, already the case's segment), the exact value, and PyTorch's own CPU result where
    a known difference holds the target to it."""
    kind = part.kind

    def pytorch_on_cpu(compute: str) -> np.ndarray:
        return torch_computed_in(
            compute, case.spec, part.params, kind, case.dtype, part.values, part.cotangent
        )

    return judge(
        case.activation,
        part.params,
        kind,
        case.target,
        case.dtype,
        part.values,
        part.got,
        expected,
        part.cotangent,
        mode=case.mode if case.gradient else None,
        device=case.device,
        other_paths=(
            (*(ref.batch.segment(p, case.kind) for p in paths), *extra) if ref.has_torch else ()
        ),
        exact=part.truth,
        exact_known=part.known,
        any_path=own,
        pytorch_on_cpu=pytorch_on_cpu,
    )


def _measure_against_the_reference(result: Result, part: _Part, expected: np.ndarray) -> None:
    """The tolerance used, and signs of zero other than PyTorch's (reported, not failed)."""
    got = part.got
    result.tolerance_used = _tolerance_used(part, expected)
    # (The exact value's zero has no sign: only PyTorch's is compared.)
    both_zero = (got == 0) & (expected == 0) & (result.reference == PYTORCH)
    result.sign_of_zero = int(
        np.count_nonzero(both_zero & (np.signbit(got) != np.signbit(expected)))
    )
    if result.torch_disagreements:
        result.message = join_messages(
            result.message,
            f"PyTorch's vectorised and scalar loops disagree at {result.torch_disagreements} "
            "inputs: judged by the exact value there",
        )
    if result.sign_of_zero and result.status == "pass":
        result.message = join_messages(
            result.message, f"{result.sign_of_zero} zeros of the other sign than PyTorch's"
        )


def _measure_against_the_truth(
    result: Result, batch: Batch, part: _Part, pytorch: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """ULPs from the exact value, of the target's result and of PyTorch's own (``pytorch``,
    None where PyTorch has no such function), held to the accuracy budget: (per element, the
    target's distance and PyTorch's)."""
    c, values, truth, known = result.case, part.values, part.truth, part.known
    assert truth is not None
    assert known is not None
    dist, result.special_vs_truth = _finite_distance(part.got, truth, known, c.dtype)
    result.ulp_truth = _max(dist)
    normal = _normal_range(values, truth, c.dtype, batch)
    result.ulp_truth_normal = _max(np.where(normal, dist, 0.0))
    if batch.axis is None and np.shape(values) == np.shape(dist) and result.ulp_truth:
        result.worst_x_truth = float(np.reshape(values, -1)[int(np.argmax(dist))])
    _hold_to_budget(result, pytorch is not None)
    if pytorch is None:
        return dist, None
    torch_dist, result.torch_special_vs_truth = _finite_distance(pytorch, truth, known, c.dtype)
    result.torch_ulp_truth = _max(torch_dist)
    result.torch_ulp_truth_normal = _max(np.where(normal, torch_dist, 0.0))
    return dist, torch_dist


def _series(
    part: _Part, expected: np.ndarray, dist: np.ndarray | None, torch_dist: np.ndarray | None
) -> Series:
    """The per-element errors of a forward grid case, for the report's plots."""

    def per_x(d: np.ndarray | None) -> np.ndarray | None:
        if d is None:
            return None
        return np.where(part.known, d, np.nan).reshape(-1).astype(np.float32)

    return Series(
        np.reshape(part.values, -1).astype(np.float32),
        ulp_distance(part.got, expected, part.case.dtype).reshape(-1).astype(np.float32),
        per_x(dist),
        per_x(torch_dist),
    )


def _ulp_at(actual: float, expected: float, dtype: str) -> float:
    return float(ulp_distance(np.array([actual]), np.array([expected]), dtype)[0])


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
    result.check = result.check or "accuracy budget"
    result.message = join_messages(
        result.message,
        f"{measured:.0f} ULP from the exact value (worst x = {result.worst_x_truth!r}), beyond "
        f"its accuracy budget of {result.ulp_budget} ULP",
    )


def _tolerance_used(part: _Part, expected: np.ndarray) -> float | None:
    """How much of the tolerance the finite, compared elements use (1.0: at the limit)."""
    case, got = part.case, part.got
    rtol, atol = tolerance(case.activation, part.kind, case.dtype)
    compared = np.isfinite(got) & np.isfinite(expected)
    mask = known_difference_inputs(
        case.activation,
        part.params,
        part.kind,
        case.target,
        case.dtype,
        part.values,
        mode=case.mode if case.gradient else None,
        device=case.device,
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


def _finite_distance(
    got: np.ndarray, exact: np.ndarray, known: np.ndarray | bool, dtype: str
) -> tuple[np.ndarray, int]:
    """(ULPs between ``got`` and ``exact`` where both are numbers and ``known``, else 0; how
    many known positions hold a NaN or an infinity on one side only)."""
    d = ulp_distance(got, exact, dtype)
    special = known & np.isinf(d)
    return np.where(known & ~special, d, 0.0), int(np.count_nonzero(special))


def _figure(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _max(values: np.ndarray) -> float | None:
    return float(np.max(values)) if np.size(values) else None
