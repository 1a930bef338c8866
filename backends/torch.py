"""PyTorch backend: PyTorch's own kernels, which define the reference semantics.

Calls go to the ``torch.*`` functions rather than through ``torch.nn.functional`` wherever
the two are the same kernel, to save the Python layer in between.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

NAME = "torch"

_KINDS = {
    torch.bool: "b",
    torch.uint8: "u",
    torch.uint16: "u",
    torch.uint32: "u",
    torch.uint64: "u",
    torch.int8: "i",
    torch.int16: "i",
    torch.int32: "i",
    torch.int64: "i",
    torch.float16: "f",
    torch.bfloat16: "f",
    torch.float32: "f",
    torch.float64: "f",
    torch.complex64: "c",
    torch.complex128: "c",
}


def dtype_kind(x: torch.Tensor) -> str:
    # Everything else (float8 variants, quantized dtypes...) is not supported: '?'.
    return _KINDS.get(x.dtype, "?")


def relu(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return torch.relu_(x) if inplace else torch.relu(x)


def leaky_relu(x: torch.Tensor, negative_slope: float, inplace: bool) -> torch.Tensor:
    return F.leaky_relu(x, negative_slope, inplace)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x)


def softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.softmax(x, axis)


def log_softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.log_softmax(x, axis)


def gelu(x: torch.Tensor, approximate: str) -> torch.Tensor:
    return F.gelu(x, approximate=approximate)
