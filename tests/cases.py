"""Inputs and parameterisations derived from the registry, shared by the test modules."""

from __future__ import annotations

import numpy as np
import pytest

from multiact import ACTIVATIONS, Activation

#: (activation, params) for the defaults and every variant the registry lists.
VARIANTS = [
    pytest.param(a, dict(params), id=a.variant_label(params))
    for a in ACTIVATIONS.values()
    for params in a.parameterisations
]
DEFAULTS = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values()]
ELEMENTWISE = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if not a.reduces]
REDUCING = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if a.reduces]

_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38, "float32": 3.4028234663852886e38}


def special_values(dtype: str) -> list[float]:
    big = _MAX.get(dtype, 1.7976931348623157e308)
    return [0.0, -0.0, np.inf, -np.inf, np.nan, big, -big, 1e-45, -1e-45, 1.0, -1.0]


def inputs(activation: Activation, dtype: str, seed: int = 0) -> np.ndarray:
    """float64 values to test ``activation`` on: a dense grid plus special values.

    Softmax-like functions get a 2-D array whose rows hold the special cases (all -inf, a +inf,
    a NaN, huge values) beside ordinary random rows.
    """
    rng = np.random.default_rng(seed)
    if not activation.reduces:
        low, high = activation.domain
        return np.concatenate([np.linspace(low, high, 241), special_values(dtype)])
    rows = 3.0 * rng.standard_normal((8, 7))
    rows[1] = -np.inf
    rows[2, 3] = np.inf
    rows[3, 0] = np.nan
    rows[4] = [1e4, -1e4, 0.0, -0.0, 5.0, 6.0, 1e4]
    rows[5, :3] = -np.inf
    return rows
