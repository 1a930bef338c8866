"""Running one batch on one target: its input, the call in the case's mode, the output contract.

The target's adapter (``conformance.adapters``) builds the arrays and takes autograd's
gradient; this module knows nothing of any particular library. A result must be of the input's
array type, dtype and device (the output contract), or the case fails.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .cases import Batch, Case
from .expected import Expected
from .reference import available
from .targets import Target, by_name, gpu_status

__all__ = ["ContractError", "call", "contract", "make_input", "skip_reason"]

#: The input's elements at odd positions of a ``strided`` case's underlying array.
_JUNK = np.nan


def skip_reason(case: Case) -> str | None:
    """Why ``case`` cannot run here (a library or GPU missing...), or None."""
    target = by_name(case.target)
    adapter = target.adapter
    if not target.available():
        return f"{adapter.package} is not installed"
    a = case.spec
    if case.device not in target.devices:
        return f"{target.name} arrays cannot live on {case.device}"
    if case.device != "cpu":
        why = _gpu_status().get(adapter.package)
        if why is not None:
            return f"no GPU for {adapter.package}: {why}"
    if a.names.torch is not None and not available(a):
        return "PyTorch (the reference) is not installed"
    params = dict(case.params)
    if getattr(a, "random", False) and (params.get("training") or "generator" in params):
        return "random in this parameterisation (training mode): no deterministic reference"
    return adapter.dtype_problem(case.dtype)


_GPU_STATUS: dict[str, str | None] = {}


def _gpu_status() -> dict[str, str | None]:
    if not _GPU_STATUS:
        _GPU_STATUS.update(gpu_status())
    return _GPU_STATUS


def call(
    target: Target, case: Case, expected: Expected
) -> tuple[np.ndarray | None, BaseException | None, list[str]]:
    """Run the case's mode on the target: (result as float64, or the exception; notes)."""
    batch = expected.batch
    params = batch.params
    notes: list[str] = []
    name = case.activation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            x = make_input(target, batch, case)
            given = _snapshot(target, x)
            if case.mode == "forward":
                y = target.call(name, x, params)
            else:
                g = target.asarray(expected.cotangent, case.dtype, case.device)
                if case.mode == "vjp":
                    y = target.vjp(name, x, g, params)
                else:
                    y = target.autograd(name, x, g, params)
            problems = contract(target, case, x, y)
            if not _inplace(params):
                problems += _mutated(target, x, given)
            result = target.to_numpy(y)
        for w in caught:
            notes.append(f"warned {w.category.__name__}: {str(w.message)[:120]}")
    except Exception as error:
        return None, error, notes
    if problems:
        error = ContractError("; ".join(text for _, text in problems))
        error.checks = tuple(dict.fromkeys(check for check, _ in problems))
        return None, error, notes
    return result, None, notes


class ContractError(Exception):
    """A result of another array type, dtype or device than the input, or an input changed."""

    #: Which checks failed (``array type``, ``dtype``, ``device``, ``input mutated``).
    checks: tuple[str, ...] = ()


def contract(target: Target, case: Case, x: Any, y: Any) -> list[tuple[str, str]]:
    """The output contract: same array type, dtype and device as the input, as (the check
    that failed, what happened) pairs."""
    problems = []
    a = target.adapter
    if not (a.usual_result_type(x, y) if target.foreign else a.same_array_type(x, y)):
        problems.append(("array type", f"returned {type(y).__name__} for {type(x).__name__}"))
    dtype, wanted = target.adapter.dtype_of(y), target.adapter.dtype_of(x)
    if dtype != wanted:
        problems.append(("dtype", f"returned dtype {dtype} for {wanted}"))
    elif target.device_of(y) != case.device:
        problems.append(
            ("device", f"returned an array on {target.device_of(y)}, not {case.device}")
        )
    return problems


def _inplace(params: dict[str, Any]) -> bool:
    """Was the function asked to write into its input (PyTorch's ``inplace=True``)?"""
    return bool(params.get("inplace"))


def _snapshot(target: Target, x: Any) -> np.ndarray | None:
    """The input's values before the call, to tell whether the call changed them (None where
    they cannot be read back here)."""
    try:
        return np.array(target.to_numpy(x), copy=True)
    except Exception:  # an input that cannot be read twice (a tracer): not checked
        return None


def _mutated(target: Target, x: Any, given: np.ndarray | None) -> list[tuple[str, str]]:
    """The input contract: the call left its input as it was (NaN as NaN, zeros' signs too)."""
    if given is None:
        return []
    now = target.to_numpy(x)
    if np.shape(now) != np.shape(given):
        return [("input mutated", f"changed its input's shape to {np.shape(now)}")]
    same = (now == given) & (np.signbit(now) == np.signbit(given))
    same |= np.isnan(now) & np.isnan(given)
    if np.all(same):
        return []
    where = np.flatnonzero(~same.reshape(-1))
    i = int(where[0])
    return [
        (
            "input mutated",
            f"changed its input in place at {where.size} of {now.size} elements (x = "
            f"{float(given.reshape(-1)[i])!r} became {float(now.reshape(-1)[i])!r})",
        )
    ]


def make_input(target: Target, batch: Batch, case: Case) -> Any:
    """The input array: for a ``strided`` batch, every other element of a larger array."""
    if not batch.strided:
        return target.asarray(batch.values, case.dtype, case.device)
    shape = list(np.shape(batch.values))
    shape[-1] *= 2
    base = np.full(shape, _JUNK)
    base[..., ::2] = batch.values
    return target.asarray(base, case.dtype, case.device)[..., ::2]
