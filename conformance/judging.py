"""Judging one case: its result against PyTorch's (or the exact value), and the report's figures.

The comparison itself is :func:`conformance.tolerances.judge` (tolerances, known differences,
PyTorch's disagreements with itself); around it, this module picks the reference (PyTorch's
result, its own half-precision kernel, or the exact value where PyTorch has no such function),
measures the distances from the exact value (ULPs, over the normal range too), holds multiact's
own kernels to their accuracy budgets, counts signs of zero, and keeps the per-element errors of
a grid case for the plots.
"""

from __future__ import annotations

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
from .tolerances import judge, known_difference_inputs, tolerance

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
    batch = ref.batch
    note = "; ".join(notes)
    has_torch = ref.has_torch
    if ref.torch_error is not None:
        why = f"{type(ref.torch_error).__name__}: {first_line(ref.torch_error)}"
        if error is not None:
            msg = f"raises, as PyTorch does ({why})"
            return Result(case, "pass", join_messages(msg, note), reference=PYTORCH)
        return Result(
            case, "fail", f"returned a value where PyTorch raises {why}", reference=PYTORCH
        )
    if error is not None:
        return Result(
            case,
            "fail",
            join_messages(f"raised {type(error).__name__}: {first_line(error)}", note),
            reference=PYTORCH if has_torch else TRUTH,
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
    own = target.runs_reference_kernels and case.mode in ("forward", "autograd")
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
        reference = PYTORCH
        unjudged = 0
    elif truth is not None:
        expected = np.where(known, truth, got) if np.shape(got) == np.shape(truth) else truth
        reference = TRUTH
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
    else:
        why = ref.truth_note or "the exact value is not available"
        return Result(
            case,
            "skip",
            f"no reference: PyTorch has no such function and {why}",
            reference=UNJUDGED,
        )
    if batch.axis is not None:
        # The segments are rows along the last axis, whatever the case's axis.
        axis_name = next(p.name for p in case.spec.params if p.kind == "axis")
        params[axis_name] = -1

    def pytorch_on_cpu(compute: str) -> np.ndarray:
        return torch_computed_in(compute, case.spec, params, kind, case.dtype, values, cot)

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
        pytorch_on_cpu=pytorch_on_cpu,
    )
    result = Result(
        case,
        "pass" if cmp.ok else "fail",
        join_messages(cmp.message, note),
        reference=reference,
        n=int(np.size(got)),
        max_abs_error=cmp.max_abs_error if np.size(got) else 0.0,
        max_ulp=cmp.max_ulp_error if np.size(got) else 0.0,
        unjudged=unjudged,
        torch_disagreements=cmp.torch_disagreements,
    )
    if np.shape(got) == np.shape(expected) and np.size(got):
        result.tolerance_used = _tolerance_used(case, params, kind, values, got, expected)
        # (The exact value's zero has no sign: only PyTorch's is compared.)
        both_zero = (got == 0) & (expected == 0) & (reference == PYTORCH)
        result.sign_of_zero = int(
            np.count_nonzero(both_zero & (np.signbit(got) != np.signbit(expected)))
        )
        if cmp.torch_disagreements:
            result.message = join_messages(
                result.message,
                f"PyTorch's vectorised and scalar loops disagree at {cmp.torch_disagreements} "
                "inputs: judged by the exact value there",
            )
        if result.sign_of_zero and result.status == "pass":
            result.message = join_messages(
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
    result.message = join_messages(
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
) -> float | None:
    """How much of the tolerance the finite, compared elements use (1.0: at the limit)."""
    rtol, atol = tolerance(case.activation, kind, case.dtype)
    compared = np.isfinite(got) & np.isfinite(expected)
    mask = known_difference_inputs(
        case.activation,
        params,
        kind,
        case.target,
        case.dtype,
        values,
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


def _max(values: np.ndarray) -> float | None:
    return float(np.max(values)) if np.size(values) else None
