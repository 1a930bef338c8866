"""``torch.nn``'s activation modules as Flax NNX modules (``flax.nnx.Module``).

The classes have ``torch.nn``'s names, constructor signatures, attributes and ``repr``;
calling one calls multiact's function (JAX's kernels, PyTorch's semantics). PReLU's weight is
an ``nnx.Param`` named ``weight``, of shape ``(num_parameters,)`` and set to ``init`` as in
PyTorch, so a PyTorch checkpoint's array copies in as it is::

    >>> import jax.numpy as jnp
    >>> import multiact.flax.nnx as mnnx
    >>> prelu = mnnx.PReLU()
    >>> prelu
    PReLU(num_parameters=1)
    >>> prelu(jnp.array([1.0, -2.0], dtype=jnp.float32))
    Array([ 1. , -0.5], dtype=float32)

Differences from ``torch.nn``, all JAX's: arrays are immutable, so ``inplace=True`` raises
multiact's error when called (as :func:`multiact.relu` does on a JAX array); PReLU computes in
the input's dtype (its weight is cast, where PyTorch refuses a mismatch); RReLU takes
``rngs=`` (an ``nnx.Rngs``) to draw its slopes in training mode, and ``.eval()`` (NNX's,
which sets ``deterministic``) makes it use the mean slope, as ``torch.nn.RReLU.eval()`` does.
Each class is built from its :mod:`multiact.nn` counterpart when this module is imported.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from .. import _families
from .. import _functional as _F

__all__ = ["Module", *(c.__name__ for c in _families.NEUTRAL)]


def __dir__() -> list[str]:
    # The classes only: the imports the classes need (Any, ClassVar, the framework) are not API.
    return list(__all__)


class Module(nnx.Module):
    """The base of :mod:`multiact.flax.nnx`: an NNX module with the borrowed constructor;
    calling it calls ``forward``, and its ``repr`` is ``torch.nn``'s."""

    _neutral: ClassVar[type]
    _activation: ClassVar[str]
    _owner: ClassVar[str]
    _attributes: ClassVar[tuple[str, ...]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        type(self)._neutral.__init__(self, *args, **kwargs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    __str__ = __repr__


def _new_weight(
    self: Module, num_parameters: int, init: float, device: object, dtype: object
) -> nnx.Param:
    weight = jnp.full((num_parameters,), init, dtype=dtype or jnp.float32)
    return nnx.Param(weight if device is None else jax.device_put(weight, device))


def _rrelu_init(
    self: Module,
    lower: float = 0.125,
    upper: float = 1.0 / 3.0,
    inplace: bool = False,
    *,
    rngs: nnx.Rngs | None = None,
) -> None:
    type(self)._neutral.__init__(self, lower, upper, inplace)
    self.rngs = rngs
    self.deterministic = False  # NNX's .eval() sets it, .train() clears it


def _rrelu_forward(self: Module, x: jax.Array) -> jax.Array:
    if self.deterministic:
        return _F.rrelu(x, self.lower, self.upper, False, self.inplace)
    if self.rngs is None:
        raise ValueError(
            f"multiact.{self._owner}: in training mode RReLU draws random slopes and needs "
            "rngs=nnx.Rngs(seed) when constructed; call .eval() for the mean slope"
        )
    key = self.rngs.rrelu()  # the 'rrelu' stream, else the default one
    return _F.rrelu(x, self.lower, self.upper, True, self.inplace, generator=key)


_RRELU_SIGNATURE = inspect.signature(_rrelu_init).replace(
    parameters=list(inspect.signature(_rrelu_init).parameters.values())[1:]
)

_EXTRA: dict[str, dict[str, Any]] = {
    "PReLU": {
        "_new_weight": _new_weight,
        # Cast to x's dtype: the slopes follow the computation, as Flax layers' params do.
        "_weight_for": lambda self, x: self.weight[...].astype(x.dtype),
    },
    "RReLU": {"__init__": _rrelu_init, "forward": _rrelu_forward},
}

for _neutral in _families.NEUTRAL:
    globals()[_neutral.__name__] = _families.build(
        _neutral,
        Module,
        "flax.nnx",
        __name__,
        "a Flax NNX module",
        _EXTRA.get(_neutral.__name__),
        sig=_RRELU_SIGNATURE if _neutral.__name__ == "RReLU" else None,
    )
del _neutral
