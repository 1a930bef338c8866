"""Plots of an activation and its derivative, drawn from the registry (the docs' gallery and
``multiact plot``).

Every curve is computed by calling multiact on the chosen backend's arrays: the value with the
public function, the derivative with :func:`multiact.vjp` (PyTorch's conventions at kinks). The
grid, the parameter variants and the labels all come from the activation's declaration, so a
new activation gets its plot without anyone drawing it.

Functions that take a row rather than a number are plotted on a two-element row with ``x``
as its first entry: ``[x, 0]`` for the softmax family and sparsemax (``softmax([x, 0])[0]`` is
``sigmoid(x)``), and ``[x, x]`` for glu (``glu([x, x]) = x * sigmoid(x)``); the derivative is
the one of that first output with respect to ``x``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import multiact

from ._registry import Activation, lookup

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["BACKENDS", "plot_variants", "render", "row_description", "sample"]

#: Backends a plot can be computed on (conformance target names).
BACKENDS = ("numpy", "torch", "jax", "array-api-strict", "dask")
_POINTS = 601


def _target(backend: str) -> Any:
    from multiact.conformance.targets import TARGETS

    for target in TARGETS:
        if target.name == backend and not target.forced_generic:
            if not target.available():
                raise ValueError(f"backend {backend!r} is not installed")
            return target
    raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")


def row_description(activation: Activation) -> str | None:
    """How a row-valued function is turned into a curve (None for elementwise ones)."""
    if activation.halves_axis:
        return f"{activation.name}([x, x]) = x * sigmoid(x)"
    if activation.reduces:
        return f"first entry of {activation.name}([x, 0])"
    return None


def plot_variants(activation: Activation) -> tuple[Mapping[str, object], ...]:
    """The parameterisations worth a curve: the defaults and the registry's variants, except
    those that only move the axis (they draw the same curve)."""
    return tuple(
        params
        for params in activation.parameterisations
        if not params or any(activation.param(k).kind != "axis" for k in params)
    )


def sample(
    name: str,
    params: Mapping[str, object] | None = None,
    *,
    backend: str = "numpy",
    points: int = _POINTS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, f(x), f'(x))`` on the activation's plotting domain, as float64 NumPy arrays.

    Computed in float32 on ``backend`` (a conformance target name such as ``"torch"``).
    Raises ``ValueError`` or ``TypeError`` for an unknown backend or a bad parameter, with
    multiact's own message.

    >>> x, y, dy = sample("relu", points=5)
    >>> x.tolist(), y.tolist(), dy.tolist()
    ([-6.0, -3.0, 0.0, 3.0, 6.0], [0.0, 0.0, 0.0, 3.0, 6.0], [0.0, 0.0, 0.0, 1.0, 1.0])
    """
    activation = lookup(name)
    target = _target(backend)
    params = dict(params or {})
    if activation.random:
        params.setdefault("training", False)  # one deterministic curve, the mean slope
    low, high = activation.domain
    grid = np.linspace(low, high, points)
    if activation.halves_axis:
        rows = np.stack([grid, grid], axis=-1)
        cotangent = np.array([1.0])  # glu's output row has one entry
    elif activation.reduces:
        rows = np.stack([grid, np.zeros_like(grid)], axis=-1)
        cotangent = np.array([1.0, 0.0])
    else:
        rows, cotangent = grid, np.array(1.0)
    x = target.asarray(rows, "float32")
    if activation.reduces or activation.halves_axis:
        params.setdefault("axis", -1)
    call_params = target.array_params(activation.name, params, x)
    y = target.to_numpy(getattr(multiact, activation.name)(x, **call_params))
    seed = target.asarray(np.broadcast_to(cotangent, y.shape).copy(), "float32")
    grad = target.to_numpy(multiact.vjp(activation.name, x, seed, **call_params))
    if activation.halves_axis:
        return grid, y[:, 0], grad[:, 0] + grad[:, 1]  # both halves move with x
    if activation.reduces:
        return grid, y[:, 0], grad[:, 0]
    return grid, y, grad


def _label(activation: Activation, params: Mapping[str, object]) -> str:
    shown = dict(params)
    if not shown:
        defaults = {p.name: p.default for p in activation.math_params if p.kind != "axis"}
        shown = {k: v for k, v in defaults.items() if k != "training"}
    text = ", ".join(
        f"{k}={v[0] if isinstance(v, tuple) and len(v) == 1 else v}"
        for k, v in shown.items()
        if k != "axis"
    )
    return f"{activation.name}({text})" if text else activation.name


def render(
    name: str,
    variants: Sequence[Mapping[str, object]] | None = None,
    *,
    backend: str = "numpy",
    dpi: int = 80,
) -> Figure:
    """A figure with two panels: the activation and its derivative, one curve per variant.

    ``variants`` defaults to :func:`plot_variants`. The caller saves (and closes) the figure.
    """
    from matplotlib.figure import Figure

    activation = lookup(name)
    variants = plot_variants(activation) if variants is None else tuple(variants)
    curves = [(params, *sample(activation.name, params, backend=backend)) for params in variants]
    figure = Figure(figsize=(8.0, 3.0), dpi=dpi, layout="constrained")
    value_axes, slope_axes = figure.subplots(1, 2)
    for params, x, y, dy in curves:
        label = _label(activation, params)
        value_axes.plot(x, y, label=label)
        slope_axes.plot(x, dy, label=label)
    row = row_description(activation)
    value_axes.set_title(row or f"{activation.name}(x)", fontsize=10)
    slope_axes.set_title("derivative (multiact.vjp)", fontsize=10)
    for axes in (value_axes, slope_axes):
        axes.axhline(0.0, color="0.6", linewidth=0.6)
        axes.axvline(0.0, color="0.6", linewidth=0.6)
        axes.grid(True, linewidth=0.3)
        axes.set_xlabel("x")
    value_axes.legend(fontsize=8)
    figure.suptitle(f"multiact.{activation.name} on {backend}, float32", fontsize=11)
    return figure
