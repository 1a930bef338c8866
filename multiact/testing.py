"""Test that an implementation of an activation is PyTorch's: :func:`assert_conforms`.

In the style of ``numpy.testing`` and ``torch.testing.assert_close``: one call runs a function
on the conformance suite's cases for an activation (special values, kinks, grids, random and
subnormal inputs, 0-d, empty, strided, long and batched arrays, in every dtype) and raises
``AssertionError`` listing the worst failures, each with its input, PyTorch's result, the
function's, their distance in ULPs and the distance from the exact value::

    import numpy as np
    from multiact.testing import assert_conforms

    assert_conforms(np.tanh, "tanh")                                # NumPy arrays
    assert_conforms(jax.nn.gelu, "gelu", approximate="tanh", library="jax", grad=True)
    assert_conforms(my_leaky_relu, "leaky_relu", negative_slope=0.2, library="torch")

``import multiact`` does not import this module (it loads the conformance engine, mpmath and
PyTorch when it runs); PyTorch, the reference, must be installed. Under pytest the fixture
``assert_conforms`` gives the same function without an import (the plugin
``multiact.pytest_plugin``, registered when multiact is installed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine loads when a check runs, not when this module is imported
    from multiact.conformance.verifying import Verification

__all__ = ["assert_conforms"]


def assert_conforms(
    fn: Callable[..., Any],
    activation: str,
    /,
    *,
    library: Any = "numpy",
    dtypes: Sequence[str] | str | None = None,
    device: str = "cpu",
    grad: Callable[..., Any] | bool | None = None,
    quick: bool = False,
    pass_params: bool = False,
    report: str | Path | None = None,
    **params: Any,
) -> Verification:
    """Assert that ``fn`` computes PyTorch's ``activation`` (with ``params``), or raise
    ``AssertionError`` listing the worst failures.

    Parameters
    ----------
    fn
        The implementation: ``fn(x)`` takes and returns arrays of ``library``
        (``fn(x, **params)`` with ``pass_params``, by multiact's parameter names).
    activation
        multiact's name for it (PyTorch's ``torch.nn.functional`` name, or an alias).
    library
        The arrays ``fn`` takes: ``"numpy"`` (default), ``"torch"``, ``"jax"``, ``"dask"``,
        any array-API namespace (a module such as ``array_api_strict``), or a pair of
        converters ``(to_array, to_numpy)`` for anything else (TensorFlow, MLX...).
    dtypes
        The dtypes to check (default: every floating dtype the library has here).
    device
        Where the arrays live: ``"cpu"`` (default) or ``"cuda"``.
    grad
        Also check the gradient: a function ``grad(x, g)`` returning the vector-Jacobian
        product (``g * f'(x)`` for an elementwise function), or ``True`` for the library's
        autograd through ``fn`` (PyTorch, JAX).
    quick
        The conformance suite's CI-sized profile: float32 (unless ``dtypes`` says), fewer
        points, no exact values where PyTorch answers.
    pass_params
        Call ``fn(x, **params)`` rather than ``fn(x)``.
    report
        A directory to write the JSON, Markdown and HTML reports into, pass or fail.
    **params
        PyTorch's setting to compare with (``approximate="tanh"``, ``negative_slope=0.2``,
        ``axis=0``...); PyTorch's defaults otherwise.

    Returns
    -------
    Verification
        What was checked (``multiact.conformance.Verification``), where it conforms: its
        ``summary()`` says how many cases in which dtypes, and the signs of zero that differ
        from PyTorch's (reported, not failed).

    Raises
    ------
    AssertionError
        Where any case fails: the summary, then the worst failures, each with its dtype, kind
        of input and mode, the check that failed (``value``, ``special value``, ``shape``,
        ``dtype``, ``array type``, ``device``, ``input mutated``, ``raised``), the input,
        PyTorch's result and ``fn``'s, and their distances in ULPs from PyTorch and from the
        exact value. Also where nothing could be checked (every case skipped).
    ValueError
        Where the check cannot run (``multiact.conformance.verifying.UsageError``): an
        unknown activation, parameter, dtype or library, or ``grad=True`` on a library
        without autograd.

    Examples
    --------
    >>> import numpy as np
    >>> from multiact.testing import assert_conforms
    >>> print(assert_conforms(np.tanh, "tanh", quick=True).summary())
    numpy.tanh as PyTorch's tanh: conforms
      7 cases on NumPy (quick profile): 7 passed, 0 failed, 0 skipped
      dtypes: float32; modes: forward
    >>> def leaky_relu(x):  # the slope 0.1, where PyTorch's default is 0.01
    ...     return np.where(x > 0, x, 0.1 * x)
    >>> assert_conforms(leaky_relu, "leaky_relu", quick=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: leaky_relu as PyTorch's leaky_relu: does NOT conform
      7 cases on NumPy (quick profile): 0 passed, 7 failed, 0 skipped
      dtypes: float32; modes: forward
    <BLANKLINE>
    worst failures:
    - [value] float32, kinks inputs, forward
        x = -0.01: expected -1e-04, got -0.001 (28400472 ULP from PyTorch, 28400472 from the exac...
        3 of 9 elements outside rtol=1.3e-06 atol=1e-05
    ...
    """
    from multiact.conformance.verifying import verify

    result = verify(
        fn,
        activation,
        library=library,
        dtypes=dtypes,
        device=device,
        grad=grad,
        quick=quick,
        pass_params=pass_params,
        **params,
    )
    if report is not None:
        result.write_report(report)
    if not result.ok:
        raise AssertionError(result.message())
    return result
