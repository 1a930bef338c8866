"""How many threads the compiled NumPy loops may split a large array over."""

from __future__ import annotations


def set_num_threads(n: int) -> None:
    """Let multiact's compiled NumPy loops use at most ``n`` threads per call (1: none).

    Large contiguous float32 arrays (from 131,072 elements) are split into chunks that the
    calling thread and up to ``n - 1`` others compute, as PyTorch splits its CPU kernels. The
    default is the number of CPUs this process may run on, or ``MULTIACT_NUM_THREADS`` where
    the environment sets it at import. Results do not depend on the thread count. PyTorch,
    JAX and the other backends keep their own settings (``torch.set_num_threads``...).

    Parameters
    ----------
    n : int
        At least 1.

    Examples
    --------
    >>> import multiact
    >>> previous = multiact.get_num_threads()
    >>> multiact.set_num_threads(1)
    >>> multiact.get_num_threads()
    1
    >>> multiact.set_num_threads(previous)
    """
    from multiact.backends import _compiled

    _compiled.set_num_threads(n)


def get_num_threads() -> int:
    """The most threads a call of multiact's compiled NumPy loops uses (see
    :func:`set_num_threads`; 1 where the loops were not built)."""
    from multiact.backends import _compiled

    return _compiled.get_num_threads()
