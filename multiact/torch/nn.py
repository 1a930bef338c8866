"""``torch.nn``'s activation modules as real ``torch.nn.Module`` subclasses.

Code written for ``torch.nn`` runs unchanged after one import line: the classes have
``torch.nn``'s names, constructor signatures (``device=``/``dtype=`` where PyTorch takes them),
attributes, ``repr`` and ``state_dict`` keys, so they sit in ``torch.nn.Sequential``, move with
``.to()``, train, save and load checkpoints either way, and go through ``torch.compile`` and
``torch.export``; ``forward`` calls multiact's function, which runs PyTorch's own kernel on the
tensor (and PyTorch's semantics on the activations PyTorch lacks)::

    >>> import torch
    >>> import multiact.torch.nn as mnn
    >>> model = torch.nn.Sequential(torch.nn.Linear(8, 16), mnn.GELU(), torch.nn.Linear(16, 4))
    >>> model[1]
    GELU(approximate='none')
    >>> mnn.PReLU().state_dict()
    OrderedDict([('weight', tensor([0.2500]))])

PReLU's ``weight`` is an ``nn.Parameter``. The other modules, as in ``torch.nn``, hold plain
numbers; a real parameter may be made learnable by setting it to a 0-d parameter
(``elu.alpha = torch.nn.Parameter(torch.tensor(1.0))``): multiact's functions take 0-d tensors
and differentiate with respect to them. Each class is built from its :mod:`multiact.nn`
counterpart when this module is imported (see ``multiact/_families.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from .. import _families
from .._dispatch import resolve

__all__ = ["Module", *(c.__name__ for c in _families.NEUTRAL)]


def __dir__() -> list[str]:
    # The classes only: the imports the classes need (Any, ClassVar, the framework) are not API.
    return list(__all__)


class Module(torch.nn.Module):
    """The base of :mod:`multiact.torch.nn`: ``torch.nn.Module`` with the borrowed constructor."""

    _neutral: ClassVar[type]
    _activation: ClassVar[str]
    _owner: ClassVar[str]
    _attributes: ClassVar[tuple[str, ...]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        type(self)._neutral.__init__(self, *args, **kwargs)


def _new_weight(
    self: Module, num_parameters: int, init: float, device: object, dtype: object
) -> torch.nn.Parameter:
    # torch.nn.PReLU's: num_parameters slopes set to init, in the default dtype unless given.
    return torch.nn.Parameter(torch.full((num_parameters,), init, device=device, dtype=dtype))


def _reset_parameters(self: Module) -> None:
    torch.nn.init.constant_(self.weight, self.init)


_EXTRA: dict[str, dict[str, Any]] = {
    "PReLU": {
        "_new_weight": _new_weight,
        "_weight_for": lambda self, x: self.weight,
        "reset_parameters": _reset_parameters,
    },
}

for _neutral in _families.NEUTRAL:
    globals()[_neutral.__name__] = _families.build(
        _neutral,
        Module,
        "torch.nn",
        __name__,
        "a torch.nn.Module",
        _EXTRA.get(_neutral.__name__),
    )
del _neutral

# Dispatch's first look at a tensor imports the torch backend, which torch.compile and
# torch.export cannot trace: done now, so that a model's first call may be traced.
resolve("multiact.torch.nn", torch.empty(()))
