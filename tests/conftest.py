"""Fixtures shared by the test suite: the backends under test, parameterised.

Every backend-parameterised test takes ``target`` (one of ``conformance.targets.TARGETS``)
and, where dtypes matter, uses ``TARGET_DTYPES``: one id per (backend, dtype) the library has.
"""

from __future__ import annotations

import importlib.util

import pytest
from multiact.conformance.targets import TARGETS, Target

if importlib.util.find_spec("jax") is not None:
    import jax

    # float64 is part of the matrix; JAX only has it with x64 enabled.
    jax.config.update("jax_enable_x64", True)


def _param(target: Target, *values: object, id: str) -> object:
    return pytest.param(
        target,
        *values,
        id=id,
        marks=pytest.mark.skipif(not target.available(), reason=f"{target.library} missing"),
    )


#: Every backend under test.
ALL_TARGETS = [_param(t, id=t.name) for t in TARGETS]
#: The backends reached through the public API (no forced generic path).
DISPATCHED_TARGETS = [_param(t, id=t.name) for t in TARGETS if not t.forced_generic]
#: (backend, dtype) for every floating dtype each backend has.
TARGET_DTYPES = [_param(t, d, id=f"{t.name}-{d}") for t in TARGETS for d in t.dtypes]
#: (backend, dtype) for the backends reached through the public API.
DISPATCHED_TARGET_DTYPES = [
    _param(t, d, id=f"{t.name}-{d}") for t in TARGETS if not t.forced_generic for d in t.dtypes
]
