"""Accuracy budgets: how far from the exact value each of multiact's own kernels may be.

PyTorch's tolerance (about 11 ULP in float32) is wide enough to hide a kernel that becomes
less accurate: a float32 sigmoid biased by 3 ULP everywhere still agrees with PyTorch. So
beyond agreeing with PyTorch, every case whose exact value is known holds multiact's kernels to
a budget: the largest distance from the correctly rounded exact value (in ULPs of the dtype,
over the normal range: XLA flushes subnormals to zero, which the comparison with PyTorch
judges) that its activation, parameterisation, backend, dtype and mode may reach.

The budgets are data (``budgets.json`` beside this module), set from measured figures: the
largest distance seen over the value kinds of full conformance runs under each of PyTorch's
CPU capabilities (``ATEN_CPU_CAPABILITY``) and NumPy's CPU dispatch levels, plus a margin of
one ULP or a quarter, whichever is larger (the math libraries' last-bit differences between
CPUs). Regenerate it from such runs' JSON reports with::

    python -m multiact.conformance.budgets docs/conformance/cpu/report.json [more.json ...]

PyTorch's own kernels (forward and autograd on tensors, for activations PyTorch has) are
PyTorch's accuracy, not multiact's: they have no budget.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .targets import by_name

__all__ = ["BUDGETS_FILE", "allowance", "budget", "build", "is_own_kernel", "key", "load"]

BUDGETS_FILE = Path(__file__).with_name("budgets.json")


def key(label: str, target: str, dtype: str, mode: str) -> str:
    """The budget's key: ``gelu[tanh]|numpy|float32|forward``."""
    return f"{label}|{target}|{dtype}|{mode}"


def is_own_kernel(target: str, mode: str, has_torch_function: bool) -> bool:
    """Is this multiact's kernel (not PyTorch's own forward or autograd on tensors, nor
    someone else's implementation under ``multiact.conformance.verify``)?"""
    if by_name(target).foreign:
        return False
    reference_kernels = by_name(target).runs_reference_kernels
    return not (reference_kernels and mode in ("forward", "autograd") and has_torch_function)


def allowance(measured: float) -> int:
    """The budget for a measured distance: one ULP or a quarter more, whichever is larger."""
    return math.ceil(measured + max(1.0, 0.25 * measured))


@functools.cache
def load(path: Path = BUDGETS_FILE) -> Mapping[str, int]:
    """The budgets, by :func:`key` (empty where the file is missing)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text())["budgets"]


def budget(label: str, target: str, dtype: str, mode: str) -> int | None:
    """The largest ULP distance from the exact value allowed, or None where none is set."""
    return load().get(key(label, target, dtype, mode))


def build(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Budgets from report records (``report.json``'s ``cases``), several runs' together."""
    measured: dict[str, float] = {}
    for r in records:
        value = r.get("max_ulp_vs_truth_normal")
        if not isinstance(value, int | float) or math.isinf(value):
            continue
        if not r.get("own_kernel", True):
            continue
        k = key(r["label"], r["target"], r["dtype"], r["mode"])
        measured[k] = max(measured.get(k, 0.0), float(value))
    return {k: allowance(v) for k, v in sorted(measured.items())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m multiact.conformance.budgets",
        description="Write the accuracy budgets from full conformance runs' report.json files.",
    )
    parser.add_argument("reports", nargs="+", type=Path, help="report.json of full runs")
    parser.add_argument("--output", type=Path, default=BUDGETS_FILE)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the budgets already in OUTPUT, each the larger of its old and new figure "
        "(runs restricted to what changed: the kernels that run elsewhere, the NumPy kernels "
        "where no compiler built the loops for instance, keep theirs)",
    )
    args = parser.parse_args(argv)
    records: list[Mapping[str, Any]] = []
    runs = []
    for path in args.reports:
        data = json.loads(path.read_text())
        if data["meta"].get("profile") != "full":
            parser.error(f"{path} is not a full run: budgets come from the full profile")
        records += data["cases"]
        meta = data["meta"]
        runs.append(
            {
                k: meta.get(k)
                for k in ("processor", "cpu_capability", "numpy_dispatch", "simd_environment")
            }
        )
    budgets = build(records)
    if args.merge and args.output.exists():
        before = json.loads(args.output.read_text())
        runs = [*before.get("runs", []), *runs]
        budgets = {
            key: max(before["budgets"].get(key, 0), budgets.get(key, 0))
            for key in {*before["budgets"], *budgets}
        }
    args.output.write_text(
        json.dumps({"runs": runs, "budgets": budgets}, indent=0, sort_keys=True) + "\n"
    )
    print(f"{len(budgets)} budgets from {len(records)} cases of {len(args.reports)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
