"""The array-API namespace of an array (array-api-compat's), cached by type.

Apart from the generic kernels because the argument checks and ``multiact.vjp`` need it too,
and they must not import the kernels (nor the kernels them) for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["namespace", "register"]

#: type(x) -> its array-API namespace; array_namespace costs about 1 us a call.
_NAMESPACES: dict[type, Any] = {}

#: (array classes, namespace) registered by native backends for libraries that
#: array-api-compat does not know (TensorFlow) or whose own namespace falls short of the
#: standard (MLX: no copysign, clip and sort with other signatures): the generic kernels,
#: ``multiact.vjp`` and the derivatives then compute with the backend's namespace.
_REGISTERED: list[tuple[tuple[type, ...], Any]] = []


def register(types: tuple[type, ...], xp: Any) -> None:
    """Make ``xp`` the namespace of arrays of ``types`` (and their subclasses)."""
    _REGISTERED.append((types, xp))
    for cached in [t for t in _NAMESPACES if issubclass(t, types)]:
        del _NAMESPACES[cached]


def namespace(x: Any) -> Any:
    """The array-API namespace of ``x``; raises ``TypeError`` for non-arrays."""
    try:
        return _NAMESPACES[type(x)]
    except KeyError:
        pass
    for types, registered in _REGISTERED:
        if isinstance(x, types):
            _NAMESPACES[type(x)] = registered
            return registered
    from array_api_compat import array_namespace

    xp = array_namespace(x)
    _NAMESPACES[type(x)] = xp
    return xp
