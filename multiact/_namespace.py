"""The array-API namespace of an array (array-api-compat's), cached by type.

Apart from the generic kernels because the argument checks and ``multiact.vjp`` need it too,
and they must not import the kernels (nor the kernels them) for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["namespace"]

#: type(x) -> its array-API namespace; array_namespace costs about 1 us a call.
_NAMESPACES: dict[type, Any] = {}


def namespace(x: Any) -> Any:
    """The array-API namespace of ``x``; raises ``TypeError`` for non-arrays."""
    try:
        return _NAMESPACES[type(x)]
    except KeyError:
        pass
    from array_api_compat import array_namespace

    xp = array_namespace(x)
    _NAMESPACES[type(x)] = xp
    return xp
