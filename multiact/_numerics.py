"""Numeric helpers shared by the generic kernels, the derivatives and the native backends,
written with array-API calls on a namespace ``xp`` (always the last argument but one's
array's: ``helper(array, ..., xp)``)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["channel_weight", "widen"]


def widen(x: Any, xp: Any) -> Any:
    """float16/bfloat16 in float32 for the computation, as PyTorch's kernels compute them;
    other dtypes unchanged."""
    if xp.finfo(x.dtype).bits < 32:
        return xp.astype(x, xp.float32)
    return x


def channel_weight(weight: Any, x: Any, xp: Any) -> Any:
    """prelu's weight shaped to broadcast along axis 1 of ``x`` (or a single slope)."""
    if math.prod(weight.shape) == 1 or x.ndim < 2:  # a 0-d weight has no shape[0]
        return xp.reshape(weight, ())
    return xp.reshape(weight, (weight.shape[0],) + (1,) * (x.ndim - 2))
