"""The base class of the ``multiact.nn`` activation modules."""

from __future__ import annotations

from typing import Any, ClassVar

from ._registry import ACTIVATIONS

__all__ = ["Module"]


class Module:
    """An activation module: ``torch.nn``'s constructor signature, state and ``repr``.

    Calling the module calls :meth:`forward`, as in PyTorch. Parameters live as attributes
    with PyTorch's names (``negative_slope``, ``inplace``, ``dim``...), so code that reads or
    sets them keeps working.
    """

    _activation: ClassVar[str]
    #: The class as errors name it after ``multiact.``: ``nn.CELU``. The framework families
    #: (``multiact.torch.nn`` and the others) borrow the constructors and set their own.
    _owner: ClassVar[str]
    #: The attributes the constructor sets, in its order: the module's state (a family's
    #: configuration: Keras's ``get_config``, Equinox's fields).
    _attributes: ClassVar[tuple[str, ...]]
    #: Modules start in training mode, as in PyTorch; only RReLU behaves differently in it.
    training: bool = True

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def train(self, mode: bool = True) -> Module:
        """Set training mode (random slopes for RReLU); returns the module, as PyTorch."""
        self.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def forward(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr``, formatted as ``torch.nn`` does.

        Every parameter shows as ``name=value`` (or just ``value`` for the shrink modules, or
        nothing at all for Hardsigmoid and Hardswish, as in PyTorch), except ``inplace``,
        which shows only when set.
        """
        activation = ACTIVATIONS[self._activation]
        if activation.module_repr == "hidden":
            return ""
        parts = []
        for param in activation.params:
            if param.kind in ("array", "generator") or param.name == "training":
                continue
            attribute = "dim" if param.kind == "axis" else param.name
            value = getattr(self, attribute)
            if param.kind == "flag":
                if value:
                    parts.append(f"{attribute}=True")
                continue
            shown = repr(value) if isinstance(value, str) else str(value)
            parts.append(
                shown if activation.module_repr == "positional" else f"{attribute}={shown}"
            )
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
