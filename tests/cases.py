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
#: (activation, params): the defaults, or the first variant where a parameter is required.
TYPICAL = [pytest.param(a, dict(a.parameterisations[0]), id=a.name) for a in ACTIVATIONS.values()]
ELEMENTWISE = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if not a.reduces]
REDUCING = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if a.reduces]


def concrete(params: dict, like: object) -> dict:
    """``params`` with tuple values (prelu's weight) as arrays of ``like``'s library and dtype."""
    out = dict(params)
    for key, value in params.items():
        if isinstance(value, tuple):
            module = type(like).__module__.split(".")[0]
            if module == "torch":
                import torch

                out[key] = torch.tensor(value, dtype=like.dtype)
            elif module in ("jax", "jaxlib"):
                import jax.numpy as jnp

                out[key] = jnp.asarray(value, dtype=like.dtype)
            else:
                out[key] = np.asarray(value, dtype=like.dtype)
    return out


def output_shape(activation: Activation, shape: tuple[int, ...], params: dict) -> tuple:
    """The output's shape: the input's, except glu's halved axis."""
    out = list(shape)
    if activation.halves_axis:
        out[params.get("axis", -1)] //= 2
    return tuple(out)


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
    # Even sizes on both axes, so glu can halve either.
    rows = 3.0 * rng.standard_normal((8, 6))
    rows[1] = -np.inf
    rows[2, 3] = np.inf
    rows[3, 0] = np.nan
    rows[4] = [1e4, -1e4, 0.0, -0.0, 5.0, 1e4]
    rows[5, :3] = -np.inf
    return rows


def exact_reference(
    activation: Activation,
    values: np.ndarray,
    dtype: str,
    params: dict | None = None,
    digits: int = 40,
) -> np.ndarray:
    """The mathematical value (mpmath, ``digits`` digits) rounded to ``dtype``, as float64.

    40 digits serve inputs of ordinary size; rows mixing values near float64's max with small
    ones (sparsemax's support and threshold) need about 700.

    For activations without a PyTorch reference. Non-finite inputs take the registry's
    ``limits`` (NaN gives NaN); softmax-like rows that hold a non-finite value give NaN, as
    softmax does in PyTorch.
    """
    import mpmath
    from multiact.conformance.reference import as_dtype_values

    mp = mpmath
    kwargs = {
        p.name: (params or {}).get(p.name, p.default)
        for p in activation.params
        if p.kind not in ("axis", "flag", "array", "generator")
    }
    values = np.asarray(values, dtype=np.float64)

    def scalar(v: float) -> float:
        if np.isnan(v):
            return np.nan
        if np.isinf(v):
            low, high = activation.limits_at(params)
            return high if v > 0 else low
        return float(activation.exact(mp, mp.mpf(float(v)), **kwargs))

    with mpmath.workdps(digits):
        out = _exact_values(activation, values, params, kwargs, scalar, mp)
    return as_dtype_values(out, dtype)


def _exact_values(activation, values, params, kwargs, scalar, mp) -> np.ndarray:
    if not activation.reduces:
        out = np.array([scalar(v) for v in values.ravel()]).reshape(values.shape)
    else:
        axis = (params or {}).get("axis", -1)
        moved = np.moveaxis(values, axis, -1)
        rows = []
        for row in moved.reshape(-1, moved.shape[-1]):
            if not np.all(np.isfinite(row)):
                rows.append(np.full(row.shape, np.nan))
            else:
                exact = activation.exact(mp, [mp.mpf(float(v)) for v in row], **kwargs)
                rows.append(np.array([float(e) for e in exact]))
        out = np.moveaxis(np.array(rows).reshape(moved.shape), -1, axis)
    return out


def _step(v: float) -> object:
    """A step relative to |v|: mpmath's default is absolute, and vanishes beside 1e308."""
    import mpmath

    return mpmath.mpf(max(abs(float(v)), 1e-30)) * mpmath.mpf(10) ** -15


def exact_vjp_reference(
    activation: Activation, values: np.ndarray, cotangent: np.ndarray, dtype: str, params: dict
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient of sum(cotangent * f) by mpmath differentiation of ``exact``, mask of the
    points it cannot judge): kinks, non-finite inputs, and rows holding them."""
    import mpmath
    from multiact.conformance.reference import as_dtype_values

    kwargs = {
        p.name: params.get(p.name, p.default)
        for p in activation.math_params
        if p.kind not in ("axis", "array")
    }
    kinks = activation.kink_points(params)
    values = np.asarray(values, dtype=np.float64)
    skip = ~np.isfinite(values)
    for k in kinks:
        skip |= np.abs(values - k) <= 1e-6 * max(1.0, abs(k))
    out = np.zeros_like(values)
    with mpmath.workdps(40):
        if not activation.reduces:
            for i, (v, g) in enumerate(zip(values.ravel(), cotangent.ravel(), strict=True)):
                if not skip.ravel()[i]:
                    d = mpmath.diff(
                        lambda t: activation.exact(mpmath, t, **kwargs),
                        mpmath.mpf(v),
                        h=_step(v),
                    )
                    out.ravel()[i] = float(g * d)
        else:
            axis = params.get("axis", -1)
            moved_v = np.moveaxis(values, axis, -1)
            moved_g = np.moveaxis(cotangent, axis, -1)
            moved_out = np.moveaxis(out, axis, -1)
            moved_skip = np.moveaxis(skip, axis, -1)
            for index in np.ndindex(moved_v.shape[:-1]):
                row, g = moved_v[index], moved_g[index]
                if moved_skip[index].any():
                    moved_skip[index] = True
                    continue
                for j in range(len(row)):

                    def loss(t: object, j: int = j, row: np.ndarray = row, g: np.ndarray = g):
                        point = [mpmath.mpf(float(v)) for v in row]
                        point[j] = t
                        ys = activation.exact(mpmath, point, **kwargs)
                        return mpmath.fsum(float(gk) * yk for gk, yk in zip(g, ys, strict=True))

                    point = mpmath.mpf(float(row[j]))
                    moved_out[(*index, j)] = float(mpmath.diff(loss, point, h=_step(row[j])))
    return as_dtype_values(out, dtype), skip
