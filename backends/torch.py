"""PyTorch backend: PyTorch's own kernels, which define the reference semantics.

Calls go to the ``torch.*`` functions rather than through ``torch.nn.functional`` wherever
the two are the same kernel, to save the Python layer in between. The activations PyTorch
lacks (squareplus, sparse_plus, ...) run the generic array-API kernels on the tensor, which
stay PyTorch operations (autograd and devices included).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from multiact import _generic

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


def _generator(x: torch.Tensor, generator: object) -> torch.Generator | None:
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return torch.Generator(device=x.device).manual_seed(generator)
    raise TypeError(
        "multiact.rrelu: argument 'generator' must be None, an int seed or a torch.Generator "
        f"for a torch.Tensor; got {type(generator).__name__}"
    )


def relu(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return torch.relu_(x) if inplace else torch.relu(x)


def relu6(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return F.relu6(x, inplace)


def leaky_relu(x: torch.Tensor, negative_slope: float, inplace: bool) -> torch.Tensor:
    return F.leaky_relu(x, negative_slope, inplace)


def prelu(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return F.prelu(x, weight)


def rrelu(
    x: torch.Tensor,
    lower: float,
    upper: float,
    training: bool,
    inplace: bool,
    generator: object,
) -> torch.Tensor:
    gen = _generator(x, generator)
    if gen is None:
        return F.rrelu(x, lower, upper, training, inplace)
    # F.rrelu takes no generator; torch.rrelu (the same kernel) does.
    kernel = torch.rrelu_ if inplace else torch.rrelu
    return kernel(x, lower, upper, training, gen)


def elu(x: torch.Tensor, alpha: float, inplace: bool) -> torch.Tensor:
    return F.elu(x, alpha, inplace)


def selu(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return F.selu(x, inplace)


def celu(x: torch.Tensor, alpha: float, inplace: bool) -> torch.Tensor:
    return F.celu(x, alpha, inplace)


def gelu(x: torch.Tensor, approximate: str) -> torch.Tensor:
    return F.gelu(x, approximate=approximate)


def silu(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return F.silu(x, inplace)


def mish(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return F.mish(x, inplace)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(x)


def logsigmoid(x: torch.Tensor) -> torch.Tensor:
    return F.logsigmoid(x)


def hardsigmoid(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return F.hardsigmoid(x, inplace)


def hardswish(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    return F.hardswish(x, inplace)


def hardtanh(x: torch.Tensor, min_val: float, max_val: float, inplace: bool) -> torch.Tensor:
    return F.hardtanh(x, min_val, max_val, inplace)


def hardshrink(x: torch.Tensor, lambd: float) -> torch.Tensor:
    return F.hardshrink(x, lambd)


def softshrink(x: torch.Tensor, lambd: float) -> torch.Tensor:
    return F.softshrink(x, lambd)


def tanhshrink(x: torch.Tensor) -> torch.Tensor:
    return F.tanhshrink(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    return F.softsign(x)


def softplus(x: torch.Tensor, beta: float, threshold: float) -> torch.Tensor:
    return F.softplus(x, beta, threshold)


def threshold(x: torch.Tensor, threshold: float, value: float, inplace: bool) -> torch.Tensor:
    return F.threshold(x, threshold, value, inplace)


def glu(x: torch.Tensor, axis: int) -> torch.Tensor:
    return F.glu(x, axis)


def softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.softmax(x, axis)


def log_softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.log_softmax(x, axis)


def softmin(x: torch.Tensor, axis: int) -> torch.Tensor:
    return F.softmin(x, axis)


def squareplus(x: torch.Tensor, b: float) -> torch.Tensor:
    return _generic.squareplus(x, b)


def sparse_plus(x: torch.Tensor) -> torch.Tensor:
    return _generic.sparse_plus(x)


def sparse_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return _generic.sparse_sigmoid(x)


def sparsemax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return _generic.sparsemax(x, axis)


def log1mexp(x: torch.Tensor) -> torch.Tensor:
    return _generic.log1mexp(x)


def identity(x: torch.Tensor) -> torch.Tensor:
    return x.clone()


def exponential(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x)
