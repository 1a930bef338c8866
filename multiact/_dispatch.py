"""Choosing the backend for an array: by ``type(x)``, cached, importing nothing new.

A framework is only looked for if the caller has already imported it (``sys.modules``), so
``import multiact`` costs nothing and a NumPy user never loads PyTorch. The first call with a
new array type pays for an ``isinstance`` walk; later calls cost one dict lookup, inlined in
the generated public functions (``_BACKENDS[type(x)]``).

JAX needs ``isinstance`` rather than ``issubclass``: its tracers (one class per transform:
``jit``, ``grad``, ``vmap``...) are ``jax.Array`` instances through a metaclass hook, but not
subclasses of it. Each tracer class is resolved once and then cached like any other type.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import _checks
from ._registry import ACTIVATIONS

__all__ = ["backend_for", "backend_module", "cast", "check_dtype", "complex_kernel", "resolve"]

#: type(x) -> backend. Filled by ``resolve``; bounded by the number of array classes seen.
_BACKENDS: dict[type, Any] = {}

_NATIVE = ("numpy", "torch", "jax")
_NOT_ARRAYS = (str, bytes, bool, int, float, complex, list, tuple, dict, set, type(None))


def backend_module(name: str) -> ModuleType:
    """The module implementing backend ``name``: ``numpy``, ``torch``, ``jax`` or ``generic``."""
    # Import statements, not importlib: torch.compile traces a first call (a cache miss) through
    # here, and dynamo runs an import statement but refuses importlib.import_module.
    if name == "numpy":
        from .backends import numpy as module
    elif name == "torch":
        from .backends import torch as module
    elif name == "jax":
        from .backends import jax as module
    elif name == "generic":
        from . import _generic as module
    else:
        raise ValueError(f"unknown backend {name!r}; expected one of {(*_NATIVE, 'generic')}")
    return module


def _find(x: object) -> Any:
    modules = sys.modules
    np = modules.get("numpy")
    if np is not None:
        if isinstance(x, np.ndarray):
            return backend_module("numpy")
        if isinstance(x, np.generic):
            return _numpy_scalars()
    torch = modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return backend_module("torch")
    jax = modules.get("jax")
    if jax is not None and isinstance(x, getattr(jax, "Array", ())):
        return backend_module("jax")
    if isinstance(x, _NOT_ARRAYS):
        return None
    generic = backend_module("generic")
    try:
        generic.namespace(x)
    except TypeError:
        return None
    return generic


def resolve(fn: str, x: object) -> Any:
    """The backend for ``x`` (called on a cache miss); ``fn`` names the caller for errors."""
    backend = _find(x)
    if backend is None:
        raise _checks.not_an_array_error(fn, x)
    if backend.NAME == "numpy" and isinstance(x, _numpy_semantic_subclasses()):
        raise _checks.unsupported_subclass_error(fn, x)
    if "FLOATS" not in vars(backend):
        _learn_dtypes(backend)
    _BACKENDS[type(x)] = backend
    return backend


class _Unknown:
    """The dtypes a generic library is known to pass with: none (its dtypes may not even be
    hashable), so that every call asks the backend."""

    def __contains__(self, dtype: object) -> bool:
        return False

    def add(self, dtype: object) -> None:
        pass


def _learn_dtypes(backend: Any) -> None:
    """Give ``backend`` the sets of dtypes already seen to pass the dtype checks.

    The generated functions test ``x.dtype in backend.FLOATS`` (or ``REALS``, for functions
    that take integers): a set lookup, where asking ``backend.dtype_kind(x)`` costs a call,
    about a tenth of a one-element torch kernel. A dtype joins a set the first time it passes
    (``check_dtype``); a backend's dtypes are few, so the sets stay small. ``FLOATS`` is None
    for a backend whose kernels check floating dtypes themselves (JAX's, while tracing).
    """
    if backend.NAME == "generic":
        backend.FLOATS = backend.REALS = _Unknown()
    elif backend.NAME == "jax":
        # None: the float-only kernels check the dtype while tracing, once per dtype and
        # shape (reading x.dtype on a JAX array before every call costs 0.3-0.5 us).
        backend.FLOATS, backend.REALS = None, set()
    else:
        backend.FLOATS, backend.REALS = set(), set()


def check_dtype(fn: str, x: Any, kinds: str, backend: Any, promoted: str = "") -> Any:
    """The dtype check of ``fn`` for a dtype not yet seen: ``x`` itself, or ``x`` cast to the
    backend's float dtype where its kind is in ``promoted`` (sigmoid of an integer array).

    ``kinds`` are the dtype kinds ``fn`` accepts (``Activation.dtype_kinds``: ``"f"``,
    ``"fiu"``, ``"fiubc"``...). A floating dtype that passes joins ``FLOATS``; for functions
    that keep integers, a floating or integer one joins ``REALS``.
    """
    kind = backend.dtype_kind(x)
    if kind not in kinds:
        raise _checks.dtype_error(fn, x, kinds)
    if kind in promoted:
        return backend.promote(x)
    if kind == "f" and backend.FLOATS is not None:
        backend.FLOATS.add(x.dtype)
    if kind in "fiu" and "i" in kinds and "i" not in promoted:
        backend.REALS.add(x.dtype)
    return x


def complex_kernel(name: str, x: Any, backend: Any, kernel: Callable[..., Any]) -> Any:
    """The kernel of ``name`` for ``x``: ``kernel`` (the backend's), or for a complex ``x`` the
    backend's complex kernel (PyTorch's complex formula; called past the dtype check only)."""
    if backend.dtype_kind(x) == "c":
        return backend.complex_kernel(name)
    return kernel


#: PyTorch's softmin(x, dtype=d) is softmax(-x, dtype=d): x is negated in its own dtype
#: before the cast (a bool x is refused there; an unsigned one wraps around).
_NEGATED_FIRST = frozenset({"softmin"})


def cast(fn: str, x: Any, dtype: object, backend: Any) -> Any:
    """``x`` cast to ``dtype`` (softmax's ``dtype=``) before the computation, as PyTorch does:
    from any dtype; a complex ``x`` gives its real part, with a warning, as in PyTorch."""
    target = backend.float_dtype(fn, dtype, x)
    kind = backend.dtype_kind(x)
    # torch.complex32 has kind '?' (no activation computes in it) but casts like any complex.
    if kind == "c" or getattr(x.dtype, "is_complex", False):
        _checks.complex_cast_warning(fn, dtype)
    if fn in _NEGATED_FIRST and kind in "biu":
        if kind == "b":
            raise _checks.negated_bool_error(fn, x)
        if kind == "u":
            _checks.unsigned_negation_warning(fn, x)
        # -(-x cast): the kernel negates again, exactly, so it computes softmax(cast(-x)).
        return -backend.cast(-x, target)
    return backend.cast(x, target)


def backend_for(x: object) -> str:
    """The backend multiact uses for ``x``: ``numpy``, ``torch``, ``jax`` or ``generic``.

    >>> import numpy as np
    >>> multiact.backend_for(np.ones(3))
    'numpy'
    """
    try:
        backend = _BACKENDS[type(x)]
    except KeyError:
        backend = resolve("backend_for", x)
    return backend.NAME


def _numpy_semantic_subclasses() -> tuple[type, ...]:
    """ndarray subclasses whose meaning NumPy's ufuncs would drop (never cached)."""
    np = sys.modules["numpy"]
    # numpy.ma costs ~10 ms to import: if nobody has, x is no masked array.
    ma = sys.modules.get("numpy.ma")
    return (np.matrix,) if ma is None else (ma.MaskedArray, np.matrix)


class _NumpyScalarBackend:
    """NumPy scalars (``np.float32(1.5)``), computed as 0-d arrays and returned as scalars.

    That is what NumPy's own ufuncs do; like them, the scalar cannot be modified in place.
    """

    NAME = "numpy"

    def __init__(self, arrays: ModuleType) -> None:
        self._arrays = arrays
        self.dtype_kind = arrays.dtype_kind
        if "FLOATS" not in vars(arrays):
            _learn_dtypes(arrays)
        # A scalar's dtype has the same kind as an array's: the arrays' learned sets serve.
        self.FLOATS, self.REALS = arrays.FLOATS, arrays.REALS
        self.float_dtype = arrays.float_dtype

    def promote(self, x: Any) -> Any:
        return self._arrays.promote(x)[()]

    def cast(self, x: Any, dtype: Any) -> Any:
        return self._arrays.cast(x, dtype)[()]

    def complex_kernel(self, name: str) -> Callable[..., Any]:
        kernel = self._arrays.complex_kernel(name)
        return self._scalar_call(name, kernel)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        call = self._scalar_call(name, getattr(self._arrays, name))
        setattr(self, name, call)
        return call

    def _scalar_call(self, name: str, kernel: Callable[..., Any]) -> Callable[..., Any]:
        activation = ACTIVATIONS[name]
        names = [p.name for p in activation.params]
        inplace_at = names.index("inplace") if "inplace" in names else None
        asarray = sys.modules["numpy"].asarray

        def call(x: Any, *args: Any) -> Any:
            if inplace_at is not None and args[inplace_at]:
                raise _checks.immutable_error(name, x)
            return kernel(asarray(x), *args)[()]

        return call


_SCALARS: list[_NumpyScalarBackend] = []


def _numpy_scalars() -> _NumpyScalarBackend:
    if not _SCALARS:
        _SCALARS.append(_NumpyScalarBackend(backend_module("numpy")))
    return _SCALARS[0]
