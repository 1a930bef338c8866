"""Comparing complex results with PyTorch's: shared by tests/test_dtypes.py and
tests/test_opinfo.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from multiact.conformance.tolerances import TOLERANCES

#: More than the tail of PyTorch's widest vectorised loop (as conformance/reference.py pads).
_PAD = 128


def torch_paths_of(fn: Callable[[Any], Any], t: Any) -> list[np.ndarray]:
    """``fn`` (an elementwise PyTorch function) of tensor ``t`` by PyTorch's code paths:
    contiguous, padded into its vectorised loop, and strided (its scalar loop); floating
    results as float64."""
    import torch

    flat = t.reshape(-1)
    n = flat.numel()
    contiguous = fn(t.contiguous())
    padded = torch.cat([flat, torch.ones(_PAD, dtype=t.dtype)])
    vectorised = fn(padded)[:n].reshape(t.shape)
    base = torch.zeros(2 * n, dtype=t.dtype)
    base[::2] = flat
    strided = fn(base[::2]).reshape(t.shape)
    paths = [p.detach().resolve_conj() for p in (contiguous, vectorised, strided)]
    return [(p.double() if p.is_floating_point() else p).numpy() for p in paths]


def complex_agrees(actual: np.ndarray, expected: np.ndarray, dtype: str) -> np.ndarray:
    """Per element: within the real dtype's tolerance of ``expected``, in magnitude; a value
    with a NaN part is a complex NaN, matching any other; infinite parts must match."""
    rtol, atol = TOLERANCES["float32" if dtype == "complex64" else "float64"]
    a, e = actual.astype(np.complex128), expected.astype(np.complex128)
    a_nan = np.isnan(a.real) | np.isnan(a.imag)
    e_nan = np.isnan(e.real) | np.isnan(e.imag)
    finite = np.isfinite(a) & np.isfinite(e)
    with np.errstate(all="ignore"):
        close = np.abs(a - e) <= atol + rtol * np.abs(e)
        same_special = (a.real == e.real) | (np.isnan(a.real) & np.isnan(e.real))
        same_special &= (a.imag == e.imag) | (np.isnan(a.imag) & np.isnan(e.imag))
    return np.where(a_nan | e_nan, a_nan & e_nan, np.where(finite, close, same_special))


def complex_mismatches(actual: np.ndarray, paths: list[np.ndarray], dtype: str) -> np.ndarray:
    """The flat indices where ``actual`` matches none of PyTorch's ``paths``."""
    ok = np.zeros(np.shape(actual), dtype=bool)
    for path in paths:  # where PyTorch's paths disagree, any of its answers
        ok |= complex_agrees(actual, path, dtype)
    return np.flatnonzero(~ok)
