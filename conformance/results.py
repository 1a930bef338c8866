"""The outcome of a case: :class:`Result`, with the figures the reports show, and its JSON record.

Every part of the engine reports through these: ``judging`` fills them, the worker pool carries
them back to the parent process, and ``report`` writes them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cases import Case

__all__ = [
    "PYTORCH",
    "TRUTH",
    "UNJUDGED",
    "Result",
    "Series",
    "first_line",
    "impossible_figures",
    "join_messages",
]

#: What a case was judged against (``Result.reference``, the record's ``reference``): PyTorch's
#: result, the exact value (where PyTorch has no such function), or nothing (a skip).
PYTORCH, TRUTH, UNJUDGED = "torch", "truth", "none"


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
    reference: str = PYTORCH  # what it was judged against: PYTORCH, TRUTH or UNJUDGED
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
    #: Elements where the result and the reference are not the same special value (NaN
    #: against a number, inf against -inf...): failures, counted apart from the distances.
    special_mismatches: int = 0
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
    #: Which check a failing case failed: ``value`` (outside the tolerance), ``special
    #: value`` (a NaN or an infinity where the reference has another value, or the reverse),
    #: ``shape``, ``dtype``, ``array type``, ``device``, ``input mutated``, ``raised``
    #: (an exception, or none where PyTorch raises), ``accuracy budget``, ``engine error``
    #: (the conformance engine's own failure); None for a pass.
    check: str | None = None
    #: A failing case's worst element: its input ``x`` (for a function that reduces, the
    #: element of the row at that position), ``expected`` (the reference there), ``got``,
    #: ``ulp`` (from the reference) and ``ulp_truth`` (from the exact value, where known).
    worst: dict[str, float | None] | None = None
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
            "special_mismatches": self.special_mismatches,
            "torch_disagreements": self.torch_disagreements,
            "special_vs_truth": self.special_vs_truth,
            "own_kernel": self.own_kernel,
            "ulp_budget": self.ulp_budget,
            "torch_special_vs_truth": self.torch_special_vs_truth,
            "tolerance_used": _json_number(self.tolerance_used),
            "unjudged": self.unjudged,
            "status": self.status,
            "message": self.message,
            "check": self.check,
            "worst": None
            if self.worst is None
            else {k: _json_exact(v) for k, v in self.worst.items()},
        }


#: Every ULP figure of a record: a count of representable numbers of the case's dtype.
ULP_FIELDS = (
    "max_ulp_vs_torch",
    "max_ulp_vs_truth",
    "torch_max_ulp_vs_truth",
    "max_ulp_vs_truth_normal",
    "torch_max_ulp_vs_truth_normal",
    "max_ulp_vs_torch_cpu",
)
_COUNT_FIELDS = (
    "sign_of_zero_mismatches",
    "special_mismatches",
    "torch_disagreements",
    "special_vs_truth",
    "torch_special_vs_truth",
    "unjudged",
)


def _widest(dtype: str) -> float:
    """The largest ULP distance ``dtype`` has: from its lowest finite number to its highest."""
    from .distance import ulp_distance

    top = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38}.get(dtype)
    if top is None:
        top = float(np.finfo(dtype).max)
    return float(ulp_distance(np.array([top]), np.array([-top]), dtype)[0])


def impossible_figures(record: dict[str, Any]) -> list[str]:
    """What in a case's JSON record cannot be true: a ULP figure that is not a count of the
    dtype's numbers (above its widest distance, negative, inf or NaN), an error of inf or NaN
    in a passing case, a count beyond the case's elements, a passing case with a NaN/inf
    mismatch, beyond its tolerance or beyond its accuracy budget. Empty for a sound record."""
    problems = []
    case = record.get("id", "?")
    dtype = record.get("dtype")
    n = record.get("n") or 0
    passed = record.get("status") == "pass"

    def number(value: Any) -> float | None:
        return None if value is None else float(value)  # "inf", "nan": JSON's spellings

    limit = _widest(dtype) if dtype in ("float16", "bfloat16", "float32", "float64") else None
    for key in ULP_FIELDS:
        value = number(record.get(key))
        if value is None:
            continue
        if not np.isfinite(value) or value < 0 or (limit is not None and value > limit):
            problems.append(f"{case}: {key} = {record[key]} is not a count of {dtype} numbers")
    error = number(record.get("max_abs_error"))
    if error is not None and (np.isnan(error) or error < 0 or (passed and np.isinf(error))):
        problems.append(f"{case}: max_abs_error = {record['max_abs_error']} in a passing case")
    for key in _COUNT_FIELDS:
        value = record.get(key) or 0
        if value < 0 or value > n:
            problems.append(f"{case}: {key} = {value} of {n} elements")
    if passed and record.get("special_mismatches"):
        problems.append(f"{case}: passes with {record['special_mismatches']} NaN/inf mismatches")
    used = number(record.get("tolerance_used"))
    if passed and used is not None and used > 1 and not record.get("torch_disagreements"):
        problems.append(f"{case}: passes with {used:g} of its tolerance used")
    budget, normal = record.get("ulp_budget"), number(record.get("max_ulp_vs_truth_normal"))
    held = passed and record.get("own_kernel") and budget is not None
    if held and normal is not None and normal > budget:
        problems.append(f"{case}: passes {normal:g} ULP from the exact value, budget {budget}")
    return problems


def _json_number(v: float | None) -> float | str | None:
    if v is None:
        return None
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(f"{v:.6g}")  # six significant digits: enough for a report, and compact


def _json_exact(v: float | None) -> float | str | None:
    """A number as JSON, every digit kept (an input or a result, not a figure)."""
    if v is None or not np.isfinite(v):
        return _json_number(v)
    return float(v)


def join_messages(*parts: str) -> str:
    """The parts of a case's message that say something (``ok`` alone when none does)."""
    return "; ".join(p for p in parts if p and p != "ok") or "ok"


def first_line(error: BaseException) -> str:
    """An exception's first line, at most 200 characters: enough for a report's table."""
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""
