"""The outcome of a case: :class:`Result`, with the figures the reports show, and its JSON record.

Every part of the engine reports through these: ``judging`` fills them, the worker pool carries
them back to the parent process, and ``report`` writes them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cases import Case

__all__ = ["PYTORCH", "TRUTH", "UNJUDGED", "Result", "Series", "first_line", "join_messages"]

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
