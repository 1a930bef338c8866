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


_STYLES = ("-", "--", ":", "-.")
#: Curves closer than this fraction of the plot's height are drawn over each other: their
#: difference gets an inset of its own.
_OVERLAP = 0.01


def _inset_differences(axes: Any, activation: Activation, curves: Sequence[tuple]) -> Any:
    """Where variants coincide on the scale of the plot (gelu's exact and tanh forms differ by
    at most 5e-4), an inset shows each one's difference from the first, which the main plot
    cannot."""
    if len(curves) < 2:
        return None
    first = curves[0]
    height = float(np.ptp(np.concatenate([c[2] for c in curves]))) or 1.0
    close = [c for c in curves[1:] if float(np.max(np.abs(c[2] - first[2]))) < _OVERLAP * height]
    if not close:
        return None
    inset = axes.inset_axes((0.09, 0.5, 0.36, 0.3))
    for i, curve in enumerate(curves):
        if any(c is curve for c in close):
            x, y = curve[1], curve[2]
            inset.plot(x, y - first[2], linestyle=_STYLES[i % len(_STYLES)], color=f"C{i}")
    inset.axhline(0.0, color="0.6", linewidth=0.6)
    inset.set_title(f"difference from {_label(activation, first[0])}", fontsize=7, pad=3)
    inset.tick_params(labelsize=6)
    inset.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    inset.yaxis.get_offset_text().set_fontsize(6)
    return inset


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
    for i, (params, x, y, dy) in enumerate(curves):
        label = _label(activation, params)
        # Each variant its own colour, dash pattern and width, the later ones drawn thinner
        # on top: curves that coincide (gelu's exact and tanh forms) stay visible.
        style = {"linestyle": _STYLES[i % len(_STYLES)], "linewidth": max(2.4 - 0.6 * i, 1.0)}
        value_axes.plot(x, y, label=label, **style)
        slope_axes.plot(x, dy, label=label, **style)
    inset = _inset_differences(value_axes, activation, curves)
    row = row_description(activation)
    value_axes.set_title(row or f"{activation.name}(x)", fontsize=10)
    slope_axes.set_title("derivative (multiact.vjp)", fontsize=10)
    for axes in (value_axes, slope_axes):
        axes.axhline(0.0, color="0.6", linewidth=0.6)
        axes.axvline(0.0, color="0.6", linewidth=0.6)
        axes.grid(True, linewidth=0.3)
        axes.set_xlabel("x")
    # With an inset in the upper left, the legend goes where rising curves leave room.
    value_axes.legend(fontsize=8, loc="lower right" if inset is not None else "best")
    figure.suptitle(f"multiact.{activation.name} on {backend}, float32", fontsize=11)
    return figure
