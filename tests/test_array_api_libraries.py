"""Array-API libraries with no native backend and no conformance target of their own go through
the generic path: every activation keeps their array type and gives PyTorch's values.

The libraries are optional (none is a dependency of multiact or of its test extra); each test
skips where its library is missing. To run them all::

    pip install cubed marray sparse ndonnx onnxruntime
    pytest tests/test_array_api_libraries.py

Where a library lacks a function of the standard that a kernel needs, the test is an expected
failure naming the gap (strict: it fails once the library fills it, so docs/scaling.md, which
lists these, can be updated). array-api-strict and Dask are conformance targets, tested
everywhere else; CuPy needs a GPU (conformance/gpu_run.py).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from cases import TYPICAL, exact_reference
from multiact.conformance.reference import torch_reference
from multiact.conformance.tolerances import compare

import multiact

pytest.importorskip("torch")


@dataclass(frozen=True)
class Library:
    #: The modules the library needs (the test skips without them).
    modules: tuple[str, ...]
    #: float64 NumPy values -> the library's array.
    make: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]


def _cubed(values: np.ndarray) -> Any:
    import cubed

    # Chunked on every axis, as Dask's test does: reductions combine several chunks.
    return cubed.from_array(values, chunks=tuple(max(1, n // 2) for n in values.shape))


@functools.cache
def _masked_numpy() -> Any:
    import marray

    # One namespace: each call of masked_namespace makes a new array class.
    return marray.masked_namespace(np)


def _marray(values: np.ndarray) -> Any:
    return _masked_numpy().asarray(values)


def _sparse(values: np.ndarray) -> Any:
    import sparse

    return sparse.COO.from_numpy(values)


def _ndonnx(values: np.ndarray) -> Any:
    import ndonnx

    return ndonnx.asarray(values)


def _sparse_to_numpy(y: Any) -> np.ndarray:
    return y.todense()


LIBRARIES = {
    "cubed": Library(("cubed",), _cubed, lambda y: np.asarray(y.compute())),
    "marray": Library(("marray",), _marray, lambda y: np.asarray(y.data)),
    "sparse": Library(("sparse",), _sparse, _sparse_to_numpy),
    # Without onnxruntime ndonnx falls back to an incomplete reference evaluator.
    "ndonnx": Library(("ndonnx", "onnxruntime"), _ndonnx, lambda y: y.unwrap_numpy()),
}

#: (library, activation) -> (exception, the function of the standard the library lacks).
GAPS = {
    ("cubed", "celu"): (TypeError, "cubed's clip needs both bounds (the standard: optional)"),
    ("cubed", "sparsemax"): (AttributeError, "cubed has no sort"),
    ("marray", "sparsemax"): (TypeError, "marray's sort has no 'descending'"),
    ("sparse", "sparsemax"): (AttributeError, "sparse has no cumulative_sum"),
    ("ndonnx", "prelu"): (NotImplementedError, "ndonnx has no copysign"),
    ("ndonnx", "selu"): (NotImplementedError, "ndonnx has no copysign"),
    ("ndonnx", "softshrink"): (NotImplementedError, "ndonnx has no copysign"),
    ("ndonnx", "tanhshrink"): (NotImplementedError, "ndonnx has no copysign"),
}

CASES = [
    pytest.param(
        name,
        *case.values,
        id=f"{name}-{case.id}",
        marks=[pytest.mark.xfail(raises=GAPS[name, case.id][0], reason=GAPS[name, case.id][1])]
        if (name, case.id) in GAPS
        else [],
    )
    for name in LIBRARIES
    for case in TYPICAL
]


@pytest.fixture
def library(request):
    name = request.node.callspec.params["name"]
    for module in LIBRARIES[name].modules:
        pytest.importorskip(module)
    return LIBRARIES[name]


@pytest.mark.parametrize(("name", "activation", "params"), CASES)
def test_generic_path_gives_pytorchs_values(library, name, activation, params):
    values = np.random.default_rng(6).standard_normal((8, 6))
    values[0, :5] = [0.0, -0.0, 1e-3, 30.0, -30.0]
    if activation.name == "log1mexp":  # defined for x >= 0
        values = np.abs(values)
    x = library.make(values)
    kwargs = {
        k: library.make(np.asarray(v)) if isinstance(v, tuple) else v for k, v in params.items()
    }
    assert multiact.backend_for(x) == "generic"
    with warnings.catch_warnings():
        # The libraries' own deprecations are not multiact's concern; multiact's are errors.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=f"{name}.*")
        y = getattr(multiact, activation.name)(x, **kwargs)
    assert type(y) is type(x)
    if activation.names.torch is None:
        expected = exact_reference(activation, values, "float64", params)
    else:
        expected = torch_reference(activation, values, "float64", params)
    result = compare(library.to_numpy(y).astype(np.float64), expected, "float64")
    assert result.ok, result.message
