"""``torch.nn``'s activation modules as Equinox modules (``equinox.Module``).

The classes have ``torch.nn``'s names, constructor signatures, attributes and ``repr``;
calling one (``module(x, key=None)``, Equinox's convention, so they fit in
``equinox.nn.Sequential``) calls multiact's function. Hyperparameters are static fields; PReLU's
``weight`` is an array field of shape ``(num_parameters,)`` set to ``init``, as in PyTorch, so it
trains (``equinox.filter_grad``) and a PyTorch checkpoint's array copies in as it is::

    >>> import jax.numpy as jnp
    >>> import multiact.equinox as meqx
    >>> meqx.PReLU()(jnp.array([1.0, -2.0], dtype=jnp.float32))
    Array([ 1. , -0.5], dtype=float32)
    >>> meqx.Hardtanh(-2.0, 2.0)
    Hardtanh(min_val=-2.0, max_val=2.0)

Differences from ``torch.nn``, all JAX's: ``inplace=True`` raises multiact's error when called
(arrays are immutable); PReLU computes in the input's dtype (its weight is cast); RReLU draws
its slopes from the ``key`` it is called with unless ``inference`` is set
(``equinox.nn.inference_mode``), when it uses the mean slope, as ``torch.nn.RReLU.eval()``.
Each class is built from its :mod:`multiact.nn` counterpart when this module is imported.
"""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from . import _families
from . import _functional as _F

__all__ = ["Module", *(c.__name__ for c in _families.NEUTRAL)]


def __dir__() -> list[str]:
    # The classes only: the imports the classes need (Any, ClassVar, the framework) are not API.
    return list(__all__)


class Module(eqx.Module):
    """The base of :mod:`multiact.equinox`: an Equinox module called as ``module(x, key=...)``,
    with ``torch.nn``'s ``repr``."""

    _neutral: ClassVar[type]
    _activation: ClassVar[str]
    _owner: ClassVar[str]
    _attributes: ClassVar[tuple[str, ...]]

    def __call__(self, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _init(self: Module, *args: Any, **kwargs: Any) -> None:
    # In each class's own namespace: Equinox writes a dataclass __init__ for a class that has
    # fields and no __init__ of its own.
    type(self)._neutral.__init__(self, *args, **kwargs)


def _new_weight(
    self: Module, num_parameters: int, init: float, device: object, dtype: object
) -> jax.Array:
    weight = jnp.full((num_parameters,), init, dtype=dtype or jnp.float32)
    return weight if device is None else jax.device_put(weight, device)


def _rrelu_init(self: Module, *args: Any, **kwargs: Any) -> None:
    type(self)._neutral.__init__(self, *args, **kwargs)
    self.inference = False


def _rrelu_call(self: Module, x: jax.Array, *, key: jax.Array | None = None) -> jax.Array:
    if self.inference:
        return _F.rrelu(x, self.lower, self.upper, False, self.inplace)
    if key is None:
        raise ValueError(
            f"multiact.{self._owner}: in training mode RReLU draws random slopes and needs a "
            "key (module(x, key=key)); use equinox.nn.inference_mode for the mean slope"
        )
    return _F.rrelu(x, self.lower, self.upper, True, self.inplace, generator=key)


def _fields(neutral: type) -> dict[str, Any]:
    """The namespace entries that declare the module's state as Equinox fields: the
    hyperparameters static, PReLU's weight an array."""
    names = neutral._attributes
    annotations: dict[str, Any] = dict.fromkeys(names, Any)
    entries: dict[str, Any] = {n: eqx.field(static=True) for n in names}
    if neutral.__name__ == "PReLU":
        annotations["weight"] = jax.Array
        entries["_new_weight"] = _new_weight
        entries["_weight_for"] = lambda self, x: self.weight.astype(x.dtype)
    if neutral.__name__ == "RReLU":
        annotations["inference"] = bool  # a leaf: equinox.nn.inference_mode replaces it
        entries["__init__"] = _rrelu_init
        entries["__call__"] = _rrelu_call
    return {"__annotations__": annotations, "__init__": _init, **entries}


for _neutral in _families.NEUTRAL:
    globals()[_neutral.__name__] = _families.build(
        _neutral, Module, "equinox", __name__, "an Equinox module", _fields(_neutral)
    )
del _neutral
