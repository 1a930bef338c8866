"""``multiact.vjp``: the analytic gradient of an activation, on any backend.

NumPy has no autograd; ``vjp`` gives NumPy users (and anyone checking a framework's autograd)
the gradient PyTorch's autograd would compute, from the formulas in ``_derivatives``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from . import _checks, _derivatives, _dispatch, _functional
from ._dispatch import _BACKENDS, resolve
from ._numerics import FLOAT16_MAX, saturate_float16, widen
from ._registry import Activation, lookup
from ._typing import ArrayT

__all__ = ["vjp"]

_FLOAT16_MAX = FLOAT16_MAX


def _activation_of(fn: str | Callable[..., Any]) -> Activation:
    if isinstance(fn, str):
        return lookup(fn)

    if _dispatch.Dispatcher is not None and type(fn) is _dispatch.Dispatcher:
        fn = fn.__wrapped__  # multiact.<name> where the C dispatcher is built
    name = getattr(fn, "__name__", None)
    if name is None or getattr(_functional, name, None) is not fn:
        raise TypeError(
            f"multiact.vjp: argument 'fn' must be a multiact activation or its name; got {fn!r}"
        )
    return lookup(name)


def _check_keywords(a: Activation, params: dict[str, Any]) -> None:
    """Python's own TypeError for an unknown keyword, with the parameter probably meant."""
    code = getattr(_functional, a.name).__code__
    accepted = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    for key in params:
        if key not in accepted:
            known = ", ".join(accepted) or "none"
            raise TypeError(
                f"multiact.vjp({a.name}): got an unexpected keyword argument {key!r}"
                f"{_checks.did_you_mean(key, accepted)} ({a.name}'s parameters: {known})"
            )


def _namespace(x: Any) -> tuple[Any, Callable[[], Any]]:
    """The namespace to compute in, and a context that silences NumPy's IEEE warnings.

    Gradients at infinities are NaN in PyTorch too (inf * 0); NumPy would warn about them.
    """
    np = sys.modules.get("numpy")
    if np is not None and isinstance(x, np.ndarray | np.generic):
        return np, lambda: np.errstate(all="ignore")
    from ._namespace import namespace

    return namespace(x), contextlib.nullcontext


def vjp(fn: str | Callable[..., Any], x: ArrayT, cotangent: ArrayT, **params: Any) -> ArrayT:
    """The vector-Jacobian product of an activation: the gradient of ``sum(cotangent * fn(x))``.

    Computed analytically with PyTorch's conventions at kinks and special values, so it equals
    ``torch.autograd.grad(fn(x), x, cotangent)`` on every backend, NumPy included.

    Parameters
    ----------
    fn : function or str
        A multiact activation (``multiact.gelu``) or its name or alias (``"gelu"``).
    x : array
        The input of the forward call.
    cotangent : array
        The incoming gradient: same array type, dtype and shape as ``fn(x)``.
    **params
        The activation's parameters, as passed to the forward call.

    Examples
    --------
    >>> import numpy as np
    >>> import multiact
    >>> x = np.array([-1.0, 0.0, 2.0])
    >>> multiact.vjp(multiact.relu, x, np.ones(3))  # 0 at the kink, as PyTorch
    array([0., 0., 1.])
    >>> multiact.vjp("leaky_relu", x, np.ones(3), negative_slope=0.2)
    array([0.2, 0.2, 1. ])
    """
    a = _activation_of(fn)
    if params:
        _check_keywords(a, params)
    try:
        backend = _BACKENDS[type(x)]
    except KeyError:
        backend = resolve(a.name, x)
    if backend.dtype_kind(x) != "f":
        raise _checks.dtype_error(f"vjp({a.name})", x, "f")
    if type(cotangent) is not type(x):
        raise TypeError(
            f"multiact.vjp({a.name}): argument 'cotangent' must be the same array type as x "
            f"({type(x).__name__}); got {type(cotangent).__name__}"
        )
    # The forward call validates every parameter exactly as the public function does, and
    # its result is needed (sigmoid's gradient is y (1 - y)); x itself must stay untouched.
    forward_params = {**params, "inplace": False} if a.supports_inplace else params
    y = getattr(_functional, a.name)(x, **forward_params)
    given = {k: v for k, v in params.items() if k != "dim"}
    values = dict(zip(a.defaults, a.kernel_args(given), strict=True))
    if a.reduces:
        values["axis"] = _checks.check_axis(a.name, values["axis"], params.get("dim"), x.ndim)
    math_args = tuple(values[p.name] for p in a.math_params)
    if tuple(cotangent.shape) != tuple(y.shape):
        raise ValueError(
            f"multiact.vjp({a.name}): argument 'cotangent' must have the output's shape "
            f"{tuple(y.shape)}; got {tuple(cotangent.shape)}"
        )
    build = getattr(backend, "vjp", None)
    if build is not None:  # a backend building the gradient itself (Dask: a task per chunk)
        grad = build(a.name, x, y, cotangent, values)
        if grad is not NotImplemented:  # NotImplemented: the formulas below (NumPy's, mostly)
            return grad
    xp, quiet = _namespace(x)
    operands = [widen(v, xp) for v in (x, y, cotangent)]
    # Array parameters (prelu's weight) in the dtype x is computed in: TensorFlow refuses to
    # multiply a float32 by a float16 tensor, where the other libraries promote.
    math_args = tuple(
        widen(v, xp) if p.kind == "array" else v
        for p, v in zip(a.math_params, math_args, strict=True)
    )
    zero_d = a.reduces and x.ndim == 0
    if zero_d:  # a 0-d input is one row of one element, as in the forward call
        operands = [xp.reshape(v, (1,)) for v in operands]
    with quiet():
        grad = getattr(_derivatives, a.name)(*operands, xp, *math_args)
        if zero_d:
            grad = xp.reshape(grad, ())
        if grad.dtype != x.dtype:
            # A gradient beyond float16's range is +-inf there (relu2's 2x), as in PyTorch;
            # saturated first, as the forward kernels do, so that no library warns (Dask casts
            # later, outside this context).
            if xp.finfo(x.dtype).max == _FLOAT16_MAX:
                grad = saturate_float16(grad, xp)
            grad = xp.astype(grad, x.dtype)
    grad = xp.asarray(grad)  # NumPy ufuncs turn 0-d results into scalars...
    np = sys.modules.get("numpy")
    if np is not None and isinstance(x, np.generic):
        return grad[()]  # ...which is what a NumPy scalar input gets back
    return grad


vjp.autograph_info__ = frozenset()  # type: ignore[attr-defined]  # see multiact/__init__.py
