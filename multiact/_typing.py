"""Type variables of the public API: an activation returns the array type it was given."""

from typing import TypeVar

__all__ = ["ArrayT"]

#: Any supported array: numpy.ndarray, torch.Tensor, jax.Array, or an array-API array.
ArrayT = TypeVar("ArrayT")
