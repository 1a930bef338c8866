"""What the TensorFlow and MLX backends build their kernels from, for every activation of the
registry: the forward formula (the library's own kernel where it has PyTorch's values, the
generic one otherwise) and PyTorch's derivative (``multiact._derivatives``) for the library's
custom-gradient mechanism (``tf.custom_gradient``, ``mx.custom_function``).

An activation added to the registry gets its kernels on both from its generic kernel and its
derivative, with nothing to write here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from multiact import _derivatives, _generic
from multiact._registry import ACTIVATIONS

__all__ = ["Own", "derivative", "forward", "math_args", "signature"]

#: A library's own kernel for an activation: ``(kernel(x, *params), when(*params))``, the
#: parameters those of the registry without ``inplace``; ``when`` (or None: always) says for
#: which parameters the kernel has PyTorch's values.
Own = tuple[Callable[..., Any], Callable[..., bool] | None]


def math_args(name: str) -> Callable[[tuple], tuple]:
    """The derivative's parameters (``math_params``) from a kernel's arguments."""
    params = ACTIVATIONS[name].params
    keep = [i for i, p in enumerate(params) if p.name != "inplace" and p.kind != "generator"]
    return lambda args: tuple(args[i] for i in keep)


def signature(name: str) -> inspect.Signature:
    """The kernel signature of the Backend contract: ``x``, then every parameter."""
    names = ("x", *ACTIVATIONS[name].defaults)
    return inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )


def forward(
    name: str,
    own: Own | None,
    is_float: Callable[[Any], bool],
    widened: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> Callable[..., Any]:
    """The forward kernel of ``name``, ``(x, *every parameter)``, never in place: ``own``
    (computed through ``widened``: float16 and bfloat16 in float32) for a floating ``x`` and
    the parameters it serves, the generic formula otherwise."""
    generic = getattr(_generic, name)
    params = ACTIVATIONS[name].params
    inplace_at = next((i for i, p in enumerate(params) if p.name == "inplace"), None)
    if own is None:
        kernel, when = None, None
    else:
        kernel, when = own
        kernel = widened(kernel)
    own_at = [i for i, p in enumerate(params) if p.name != "inplace"]

    def compute(x: Any, *args: Any) -> Any:
        if kernel is not None and is_float(x):
            mine = [args[i] for i in own_at]
            if when is None or when(*mine):
                return kernel(x, *mine)
        return generic(x, *args)

    if inplace_at is None:
        return compute

    def not_in_place(x: Any, *args: Any) -> Any:
        return compute(x, *args[:inplace_at], False, *args[inplace_at + 1 :])

    return not_in_place


def derivative(
    name: str,
    x: Any,
    y: Any,
    g: Any,
    params: tuple,
    xp: Any,
    wide: Any,
) -> Any:
    """``_derivatives.NAME`` (PyTorch's backward formula) of arrays in the dtype ``wide``
    (float32 for float16 and bfloat16 inputs), the result in x's dtype."""
    dtype = x.dtype
    operands = [xp.astype(v, wide) for v in (x, y, g)]
    zero_d = ACTIVATIONS[name].reduces and x.ndim == 0
    if zero_d:  # a 0-d input is one row of one element, as in the forward call
        operands = [xp.reshape(v, (1,)) for v in operands]
    d = getattr(_derivatives, name)(*operands, xp, *params)
    if zero_d:
        d = xp.reshape(d, ())
    return xp.astype(d, dtype)
