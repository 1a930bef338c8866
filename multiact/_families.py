"""What every framework's family of modules is built from: the ``multiact.nn`` classes.

A family (``multiact.torch.nn``, ``multiact.flax.nnx``, ``multiact.equinox``,
``multiact.keras.layers``) has one class per ``multiact.nn`` class, built when the family is
imported: the same name, constructor (signature, defaults, argument checks, the attributes it
sets), ``forward`` and ``repr`` text, borrowed from the ``multiact.nn`` class, which the code
generator writes from the registry. Nothing about an activation is written in a family, only
how its framework holds a module: the base class, how PReLU's weight is made and read, how
RReLU draws its slopes.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import Any

from . import nn as _nn

__all__ = ["NEUTRAL", "build", "signature"]

#: Modules of ``multiact.nn`` that the families leave out: ``XIELU`` is Transformers' module,
#: whose learnable parameters are softplus-parameterised and initialised in bfloat16 as
#: Transformers does; a family's module would have to train them as Transformers does, which
#: :func:`multiact.xielu` with the framework's own parameters already allows.
NOT_IN_FAMILIES = frozenset({"Module", "XIELU"})

#: Every other ``multiact.nn`` class (Softmax2d included), in ``multiact.nn.__all__``'s order.
NEUTRAL: tuple[type[_nn.Module], ...] = tuple(
    getattr(_nn, name) for name in _nn.__all__ if name not in NOT_IN_FAMILIES
)


def signature(neutral: type) -> inspect.Signature:
    """The constructor's signature (without ``self``): ``torch.nn``'s, as ``multiact.nn`` has
    it."""
    return inspect.signature(neutral)


def build(
    neutral: type,
    base: type,
    family: str,
    module: str,
    framework: str,
    extra: dict[str, Any] | None = None,
    metaclass_kwargs: dict[str, Any] | None = None,
    sig: inspect.Signature | None = None,
    finish: Callable[[type], type] | None = None,
    forward: str = "forward",
) -> type:
    """The class of ``family`` (``torch.nn``) standing for ``neutral`` (``multiact.nn.ELU``).

    ``base`` is the family's base class, whose ``__init__`` runs the borrowed constructor
    (``cls._neutral.__init__``); ``extra`` adds or replaces attributes of the namespace
    (PReLU's ``_new_weight`` and ``_weight_for``, Equinox's field annotations...).
    ``forward`` names the borrowed forward where the framework's own ``forward`` means
    something else (Keras's layers on its PyTorch backend are ``torch.nn.Module``s).
    """
    name = neutral.__name__
    namespace: dict[str, Any] = {
        "__module__": module,
        "__qualname__": name,
        "__doc__": (
            f"``torch.nn.{name}`` as {framework}: :class:`multiact.nn.{name}`'s constructor, "
            f"attributes and ``repr``, calling :func:`multiact.{neutral._activation}`."
        ),
        "_neutral": neutral,
        "_activation": neutral._activation,
        "_owner": f"{family}.{name}",
        "_attributes": neutral._attributes,
        forward: neutral.forward,
        "extra_repr": neutral.extra_repr,
        **(extra or {}),
    }
    sig = sig or signature(neutral)
    # A constructor of the class's own, whose signature is the one shown: inspect reads it
    # from __init__ where the metaclass has its own __signature__ (Equinox's).
    init = namespace.get("__init__", base.__init__)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)

    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[self_parameter, *sig.parameters.values()]
    )
    __init__.__qualname__ = f"{name}.__init__"
    namespace["__init__"] = __init__
    cls = type(base)(name, (base,), namespace, **(metaclass_kwargs or {}))
    # and from the class where the metaclass has a __call__ of its own (NNX's).
    with contextlib.suppress(AttributeError):
        cls.__signature__ = sig
    return finish(cls) if finish else cls
