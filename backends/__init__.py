"""Native backends: each array library's own kernels, corrected to PyTorch's semantics.

The contract every backend module keeps (``numpy.py``, ``torch.py``, ``jax.py``, ``dask.py``,
``tensorflow.py`` and ``mlx.py`` here, and the generic array-API backend ``multiact._generic``) is
:class:`Backend`, written down once below; the native ones are listed once, in
:data:`NATIVE_BACKENDS`, which dispatch, the command line and the tests read. Adding a native
backend is one module here and one line in that table (and, for the conformance suite, one
adapter in ``multiact.conformance.adapters``).

Importing this package imports no array library: a backend module is imported only once an
array of its library has been seen (its library is then in ``sys.modules`` already).
"""

from __future__ import annotations

from collections.abc import MutableSet
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["NATIVE_BACKENDS", "Backend", "NativeBackend", "native_backend"]


@runtime_checkable
class Backend(Protocol):
    """What the generated public functions and dispatch need of a backend module.

    Besides these, a backend has one kernel per activation of the registry, named as the
    activation, taking the array and then every parameter positionally
    (``Activation.kernel_args``: already validated, defaults filled in), and returning an array
    of the input's type, device and dtype (``tests/test_api.py`` checks every signature).

    Optional: ``refuse(fn, x)``, called once per array type before it is cached, raises for
    arrays of the library that the kernels would silently get wrong (``numpy.matrix``); for a
    library with scalars (``NativeBackend.scalar_type``), ``asarray_of_scalar``;
    ``negate(x)``, ``-x`` for a library whose ``-`` refuses unsigned integers (TensorFlow's),
    which PyTorch's negation wraps around;
    ``with_array_params(name, x, *params)``, the kernel of ``name`` where real parameters are
    0-d arrays of the library (``multiact._traced``; without it they are read as numbers); and
    ``vjp(name, x, y, cotangent, params)``, ``multiact.vjp`` built by the backend once its
    arguments are checked (``y`` the forward result, ``params`` every parameter validated by
    name), or ``NotImplemented``; without it, or where it returns that,
    ``multiact._derivatives``' formulas run with the array's namespace; and
    ``kernel_at(name, arguments)``, a faster call than the kernel's for ``x`` alone with
    these parameters (all of them, in registry order, checked), which a Dispatcher learns
    (``multiact._dispatch.direct``): a callable of ``x``, or ``(callable, arguments)`` or
    ``(callable, arguments, keywords)`` (called with ``x`` and the arguments, the last
    ``len(keywords)`` of them by keyword); None where the kernel is the call.
    """

    #: The backend's name: ``numpy``, ``torch``, ``jax``, ``dask``, ``tensorflow``, ``mlx`` or
    #: ``generic``.
    NAME: str
    #: The dtypes already seen to pass the float-only dtype check, so that the next call with
    #: one costs a set lookup (``dtype_kind`` costs a call, a tenth of a one-element kernel);
    #: ``None`` where the float-only kernels check the dtype themselves (JAX's, while tracing).
    FLOATS: MutableSet[Any] | None
    #: The same for activations that take integer arrays too.
    REALS: MutableSet[Any]
    #: The kernels for a call with every parameter left at its default, ``x`` alone, as a
    #: module's attributes (one per activation, ``None`` for those without one), or ``None``:
    #: the library's own builtins where they are the activation at its defaults (PyTorch's),
    #: or the kernels compiled with the defaults in them (JAX's), called without a kernel's
    #: frame, by the generated functions and, for a call with ``x`` alone, straight from C
    #: (``multiact._dispatch.direct``). Each must give what the full kernel gives at the
    #: defaults for every ``x`` past the dtype check (with ``FLOATS`` None: for every ``x``
    #: the function takes, the kernel applying the dtype rules); where one raises, the call
    #: goes on to the full kernel, which words the error.
    AT_DEFAULTS: Any

    def dtype_kind(self, x: Any) -> str:
        """The kind of ``x``'s dtype: ``f``, ``i``, ``u``, ``b``, ``c``, or ``?``."""
        ...

    def promote(self, x: Any) -> Any:
        """An integer or bool ``x`` in the float dtype PyTorch promotes it to (float32; a
        tensor as it is, PyTorch's kernels promoting it): the registry's ``"promote"``."""
        ...

    def complex_kernel(self, name: str) -> Any:
        """The kernel of activation ``name`` for a complex ``x`` (its ``complex_inputs``)."""
        ...

    def float_dtype(self, fn: str, dtype: object, x: Any) -> Any:
        """``dtype=`` (softmax's) as a floating dtype of x's library, or multiact's error."""
        ...

    def cast(self, x: Any, dtype: Any) -> Any:
        """``x`` in ``dtype`` (from ``float_dtype``), a complex ``x`` by its real part."""
        ...


@dataclass(frozen=True)
class NativeBackend:
    """One array library with a backend of its own: how dispatch recognises its arrays."""

    #: The backend module's name in this package (``multiact.backends.NAME``).
    name: str
    #: The library's top-level module: dispatch looks only if it is in ``sys.modules``.
    library: str
    #: The array class, an attribute of ``library`` or a dotted path under it (``array.Array``
    #: for ``dask.array.Array``). JAX's tracers are instances of ``jax.Array`` through a
    #: metaclass hook, not subclasses: dispatch uses ``isinstance``.
    array_type: str
    #: The library's scalar class, computed as 0-d arrays and returned as scalars (NumPy's).
    scalar_type: str | None = None
    #: Further array classes of the library that are not subclasses of ``array_type``
    #: (TensorFlow's ``tf.Variable`` is no ``tf.Tensor``).
    more_array_types: tuple[str, ...] = ()

    @property
    def array_types(self) -> tuple[str, ...]:
        """Every array class of the library dispatch sends to this backend."""
        return (self.array_type, *self.more_array_types)

    @property
    def module(self) -> str:
        return f"multiact.backends.{self.name}"


#: Every native backend, in the order dispatch tries them.
NATIVE_BACKENDS: tuple[NativeBackend, ...] = (
    NativeBackend("numpy", "numpy", "ndarray", scalar_type="generic"),
    NativeBackend("torch", "torch", "Tensor"),
    NativeBackend("jax", "jax", "Array"),
    NativeBackend("tensorflow", "tensorflow", "Tensor", more_array_types=("Variable",)),
    NativeBackend("mlx", "mlx.core", "array"),
    NativeBackend("dask", "dask", "array.Array"),
)


def native_backend(name: str) -> NativeBackend:
    """The table entry of the native backend ``name``."""
    for entry in NATIVE_BACKENDS:
        if entry.name == name:
            return entry
    raise KeyError(name)
