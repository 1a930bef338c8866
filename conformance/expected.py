"""What every target of one batch is judged against: the input, PyTorch's answers, the exact value.

For a batch (see :mod:`conformance.cases`: one parameterisation, dtype, device, case kind or
the value kinds together, forward or gradient) :func:`compute` builds the input once, computes
PyTorch's result on the CPU in the same dtype (and on the case's device when that is not the
CPU), its results by its other code paths (``reference.layouts_for``), its own half-precision
result where the reference is widened, the cotangent of a gradient, and the mpmath truth rounded
to the dtype. Nothing here depends on the target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .cases import Batch, Case, Profile, build_batch, round_to
from .reference import available, layouts_for, torch_reference, torch_vjp
from .results import first_line
from .tolerances import reference_dtype

__all__ = ["Expected", "compute", "output_shape"]


@dataclass
class Expected:
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

    @property
    def has_torch(self) -> bool:
        """Is PyTorch the reference (it answered, or refused the input)?"""
        return self.torch is not None or self.torch_error is not None


def compute(case: Case, profile: Profile, truth: Callable[[], Any]) -> Expected:
    """The batch of ``case`` under ``profile``; ``truth()`` gives its parameterisation's
    :class:`conformance.truth.Truth` (called only where the probe points or exact values are
    needed)."""
    a = case.spec
    params = dict(case.params)
    probes: list[float] = []  # derived from exact even in the quick profile (cheap)
    wants_probes = case.batch == "values" and "kinks" in profile.kinds
    if (wants_probes or case.batch == "long") and not a.reduces:
        probes = [p for p, _ in truth().probe_points()]
    batch = build_batch(a, params, case.dtype, case.batch, profile, probes)
    values = batch.values
    params = batch.params
    torch_out = torch_cpu = None
    torch_error = None
    has_torch = available(a)
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
        shape = torch_cpu.shape if torch_cpu is not None else output_shape(a, batch)
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
    exact = known = None
    note = ""
    if profile.truth or not has_torch:
        try:
            exact, known, note = _truth_for(case, batch, cotangent, truth)
        except Exception as error:  # a bug here must not stop the run: no truth, and why
            note = f"the exact value failed ({type(error).__name__}: {first_line(error)})"
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
    return Expected(
        batch,
        values,
        cotangent,
        torch_out,
        torch_cpu,
        torch_error,
        torch_paths,
        torch_own,
        exact,
        known,
        note,
    )


def _truth_for(
    case: Case, batch: Batch, cotangent: np.ndarray | None, truth: Callable[[], Any]
) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    t = truth()
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
        shape = output_shape(case.spec, batch) if cotangent is None else np.shape(values)
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


def output_shape(a: Any, batch: Batch) -> tuple[int, ...]:
    """The shape of the activation's result on the batch (glu halves its axis)."""
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
