"""Type variables of the public API: an activation returns the array type it was given."""

from typing import TypeAlias, TypeVar

__all__ = ["ArrayT", "DTypeLike"]

#: Any supported array: numpy.ndarray, torch.Tensor, jax.Array, or an array-API array.
ArrayT = TypeVar("ArrayT")

#: A floating dtype for ``dtype=``: a dtype object of the input's library (``torch.float32``,
#: ``numpy.float32``, ``jax.numpy.bfloat16``...) or its name (``"float32"``).
DTypeLike: TypeAlias = object
