"""Blocked evaluation for the NumPy backend: large arrays in cache-sized pieces.

A NumPy kernel written as a chain of ufuncs allocates one or more full-size temporaries and
streams every one of them through main memory once per ufunc. Run on ~64K-element blocks
instead, the temporaries stay in the CPU cache, the only full-size allocation is the output,
and the chain runs several times faster (fresh pages of a large temporary each cost a page
fault as well).

Each elementwise kernel states how many block-sized arrays it holds at once (``arrays``,
its scratch plus its result, in the computation dtype); the block is sized so that they fit
``SCRATCH_BYTES``, which keeps the peak memory of a call within the output plus 1 MiB
(``tests/test_bench.py`` measures it with tracemalloc).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

#: What a kernel's block-sized arrays may hold together: with three float32 arrays, blocks of
#: 64K elements. Small enough for a per-core L2 cache, large enough that the Python cost of a
#: block (a few microseconds) is small against its arithmetic.
SCRATCH_BYTES = 768 * 1024

Kernel = TypeVar("Kernel", bound=Callable[..., np.ndarray])


def block_size(x: np.ndarray, arrays: int) -> int:
    """Elements per block for a kernel holding ``arrays`` block-sized arrays at once."""
    # float16 is computed in float32: its scratch has float32's size.
    return SCRATCH_BYTES // (arrays * max(x.itemsize, 4))


def _flat(x: np.ndarray) -> np.ndarray | None:
    """A flat view of ``x`` in memory order, or None where it has no such view."""
    if not (x.flags.c_contiguous or x.flags.f_contiguous):
        return None
    return x.ravel(order="K")


def blockwise(arrays: int) -> Callable[[Kernel], Kernel]:
    """Run an elementwise ``kernel(x, *params)`` block by block on large contiguous arrays.

    The kernel's result has ``x``'s dtype and shape. A kernel whose last parameter is
    ``inplace`` writes each block into ``x`` itself when it is true; otherwise each block's
    result is copied into one output array. Small and strided arrays go to the kernel whole.
    """

    def wrap(kernel: Kernel) -> Kernel:
        code = kernel.__code__
        has_inplace = code.co_varnames[code.co_argcount - 1] == "inplace"
        # The smallest block (8-byte elements): an array within it is whole for every dtype,
        # decided without computing its own block size (most calls on small arrays).
        whole_below = SCRATCH_BYTES // (arrays * 8)

        @functools.wraps(kernel)
        def call(x: np.ndarray, *params: Any) -> np.ndarray:
            if x.size <= whole_below:
                return kernel(x, *params)
            block = block_size(x, arrays)
            if x.size <= block:
                return kernel(x, *params)
            flat_x = _flat(x)
            if flat_x is None:
                return kernel(x, *params)
            size = flat_x.size
            if has_inplace and params[-1]:
                # The kernel checks that x is writeable on the first block, before any write.
                for start in range(0, size, block):
                    kernel(flat_x[start : start + block], *params)
                return x
            out = np.empty_like(x)
            flat_out = out.ravel(order="K")
            for start in range(0, size, block):
                flat_out[start : start + block] = kernel(flat_x[start : start + block], *params)
            return out

        return call  # type: ignore[return-value]

    return wrap
