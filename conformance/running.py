"""Running one batch on one target: its input, the call in the case's mode, the output contract.

The target's adapter (``conformance.adapters``) builds the arrays and takes autograd's
gradient; this module knows nothing of any particular library. A result must be of the input's
array type, dtype and device (the output contract), or the case fails.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import multiact

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
            if case.mode == "forward":
                y = target.call(name, x, params)
            else:
                g = target.asarray(expected.cotangent, case.dtype, case.device)
                if case.mode == "vjp":
                    y = multiact.vjp(name, x, g, **target.array_params(name, params, x))
                else:
                    y = target.adapter.vjp(lambda v: target.call(name, v, params), x, g)
            problems = contract(target, case, x, y)
            result = target.to_numpy(y)
        for w in caught:
            notes.append(f"warned {w.category.__name__}: {str(w.message)[:120]}")
    except Exception as error:
        return None, error, notes
    if problems:
        return None, ContractError("; ".join(problems)), notes
    return result, None, notes


class ContractError(Exception):
    """A result of another array type, dtype or device than the input."""


def contract(target: Target, case: Case, x: Any, y: Any) -> list[str]:
    """The output contract: same array type, dtype and device as the input."""
    problems = []
    if not target.adapter.same_array_type(x, y):
        problems.append(f"returned {type(y).__name__} for {type(x).__name__}")
    if getattr(y, "dtype", None) != x.dtype:
        problems.append(f"returned dtype {getattr(y, 'dtype', None)} for {x.dtype}")
    elif target.device_of(y) != case.device:
        problems.append(f"returned an array on {target.device_of(y)}, not {case.device}")
    return problems


def make_input(target: Target, batch: Batch, case: Case) -> Any:
    """The input array: for a ``strided`` batch, every other element of a larger array."""
    if not batch.strided:
        return target.asarray(batch.values, case.dtype, case.device)
    shape = list(np.shape(batch.values))
    shape[-1] *= 2
    base = np.full(shape, _JUNK)
    base[..., ::2] = batch.values
    return target.asarray(base, case.dtype, case.device)[..., ::2]
