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

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr``, formatted as ``torch.nn`` does.

        Every parameter shows as ``name=value``, except ``inplace``, which shows only when set.
        """
        parts = []
        for param in ACTIVATIONS[self._activation].params:
            attribute = "dim" if param.kind == "axis" else param.name
            value = getattr(self, attribute)
            if param.kind == "flag":
                if value:
                    parts.append(f"{attribute}=True")
                continue
            parts.append(f"{attribute}={value!r}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
