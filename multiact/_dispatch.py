"""Choosing the backend for an array: by ``type(x)``, cached, importing nothing new.

A framework is only looked for if the caller has already imported it (``sys.modules``), so
``import multiact`` costs nothing and a NumPy user never loads PyTorch. The first call with a
new array type pays for an ``isinstance`` walk; later calls cost one dict lookup, inlined in
the generated public functions (``_BACKENDS[type(x)]``).

JAX needs ``isinstance`` rather than ``issubclass``: its tracers (one class per transform:
``jit``, ``grad``, ``vmap``...) are ``jax.Array`` instances through a metaclass hook, but not
subclasses of it. Each tracer class is resolved once and then cached like any other type.

In front of each public function, where the C extension ``multiact._dispatcher`` is built,
stands a ``Dispatcher`` (:func:`direct`): a call with ``x`` alone whose type and dtype the
function has seen pass goes from C straight to the backend's kernel at the defaults
(``Backend.AT_DEFAULTS``), without the function's Python frame and checks.
"""

from __future__ import annotations

import copyreg
import functools
import importlib
import math
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import _checks, _extensions
from ._registry import ACTIVATIONS

try:
    from .backends import NATIVE_BACKENDS, Backend
except ModuleNotFoundError as missing:
    if missing.name != "multiact.backends":
        raise
    import os

    _checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    raise ImportError(
        "multiact is being imported from a source checkout that is not installed "
        f"({_checkout}): its backends/ and conformance/ folders become multiact.backends and "
        "multiact.conformance only when installed. Install it with "
        f"`python -m pip install -e {_checkout}` (or `pip install multiact`)."
    ) from None

#: Why the public functions are the Python functions ("" where Dispatchers stand in front).
_dispatcher, DISPATCHER_UNAVAILABLE = _extensions.load("_dispatcher")
Dispatcher: Any = None if _dispatcher is None else _dispatcher.Dispatcher

__all__ = [
    "backend_for",
    "backend_module",
    "cast",
    "check_dtype",
    "complex_kernel",
    "direct",
    "resolve",
]

#: type(x) -> backend. Filled by ``resolve``; bounded by the number of array classes seen.
_BACKENDS: dict[type, Any] = {}

_NOT_ARRAYS = (str, bytes, bool, int, float, complex, list, tuple, dict, set, type(None))
_MODULES = {b.name: b.module for b in NATIVE_BACKENDS} | {"generic": "multiact._generic"}


def backend_module(name: str) -> ModuleType:
    """The module implementing backend ``name``: a native one (``NATIVE_BACKENDS``) or
    ``generic``."""
    try:
        path = _MODULES[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; expected one of {tuple(_MODULES)}") from None
    module = sys.modules.get(path)
    # A module another thread is still importing is in sys.modules half made: the import
    # below waits for it (the import system's per-module lock).
    if module is None or getattr(module.__spec__, "_initializing", False):
        if name == "torch":
            # An import statement, which torch.compile's dynamo runs when it traces a first
            # call (importlib.import_module it refuses: fullgraph=True would fail).
            from .backends import torch as module
        else:
            module = importlib.import_module(path)
    return module


def _find(x: object) -> Any:
    modules = sys.modules
    for native in NATIVE_BACKENDS:
        library = modules.get(native.library)
        if library is None:  # never imported by the caller: x cannot be one of its arrays
            continue
        for name in native.array_types:
            array_type = library
            for part in name.split("."):  # dask.array.Array: only once imported
                array_type = getattr(array_type, part, None)
            if array_type is not None and isinstance(x, array_type):
                return backend_module(native.name)
        if native.scalar_type is not None and isinstance(x, getattr(library, native.scalar_type)):
            return _scalars(backend_module(native.name))
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
    refuse = getattr(backend, "refuse", None)  # a backend's own refusals (numpy.matrix)
    if refuse is not None:
        refuse(fn, x)
    _BACKENDS[type(x)] = backend
    return backend


def check_dtype(fn: str, x: Any, kinds: str, backend: Backend, promoted: str = "") -> Any:
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


def complex_kernel(name: str, x: Any, backend: Backend, kernel: Callable[..., Any]) -> Any:
    """The kernel of ``name`` for ``x``: ``kernel`` (the backend's), or for a complex ``x`` the
    backend's complex kernel (PyTorch's complex formula; called past the dtype check only)."""
    if backend.dtype_kind(x) == "c":
        return backend.complex_kernel(name)
    return kernel


#: PyTorch's softmin(x, dtype=d) is softmax(-x, dtype=d): x is negated in its own dtype
#: before the cast (a bool x is refused there; an unsigned one wraps around).
_NEGATED_FIRST = frozenset({"softmin"})


def cast(fn: str, x: Any, dtype: object, backend: Backend) -> Any:
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
        # A backend whose library has no negation of unsigned integers brings its own.
        negate = getattr(backend, "negate", None)
        return -backend.cast(-x if negate is None else negate(x), target)
    return backend.cast(x, target)


def forget() -> None:
    """Forget every array type and dtype seen (for tests that need cold caches)."""
    _BACKENDS.clear()
    for table in _DIRECT_TABLES:
        table.clear()
    for name in _MODULES:
        module = sys.modules.get(_MODULES[name])
        for seen in (getattr(module, "FLOATS", None), getattr(module, "REALS", None)):
            if seen is not None:
                seen.clear()


def backend_for(x: object) -> str:
    """The backend multiact uses for ``x``: ``numpy``, ``torch``, ``jax``, ``dask``,
    ``tensorflow``, ``mlx`` or ``generic``.

    >>> import numpy as np
    >>> multiact.backend_for(np.ones(3))
    'numpy'
    """
    try:
        backend = _BACKENDS[type(x)]
    except KeyError:
        backend = resolve("backend_for", x)
    return backend.NAME


class _ScalarBackend:
    """A library's scalars (``np.float32(1.5)``), computed as 0-d arrays and returned as
    scalars.

    That is what NumPy's own ufuncs do; like them, the scalar cannot be modified in place.
    """

    def __init__(self, arrays: ModuleType) -> None:
        self._arrays = arrays
        self.NAME = arrays.NAME
        self.dtype_kind = arrays.dtype_kind
        # A scalar's dtype has the same kind as an array's: the arrays' learned sets serve.
        self.FLOATS, self.REALS = arrays.FLOATS, arrays.REALS
        self.float_dtype = arrays.float_dtype
        # The kernels at the defaults return arrays: a scalar goes through __getattr__'s.
        self.AT_DEFAULTS = None

    def promote(self, x: Any) -> Any:
        return self._arrays.promote(x)[()]

    def cast(self, x: Any, dtype: Any) -> Any:
        return self._arrays.cast(x, dtype)[()]

    def complex_kernel(self, name: str) -> Callable[..., Any]:
        kernel = self._arrays.complex_kernel(name)
        return self._scalar_call(name, kernel)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in ACTIVATIONS:  # only kernels are wrapped (refuse() and the like are not)
            raise AttributeError(name)
        call = self._scalar_call(name, getattr(self._arrays, name))
        setattr(self, name, call)
        return call

    def _scalar_call(self, name: str, kernel: Callable[..., Any]) -> Callable[..., Any]:
        activation = ACTIVATIONS[name]
        names = [p.name for p in activation.params]
        inplace_at = names.index("inplace") if "inplace" in names else None
        asarray = self._arrays.asarray_of_scalar

        def call(x: Any, *args: Any) -> Any:
            if inplace_at is not None and args[inplace_at]:
                raise _checks.immutable_error(name, x)
            return kernel(asarray(x), *args)[()]

        return call


_SCALARS: dict[str, _ScalarBackend] = {}


def _scalars(arrays: ModuleType) -> _ScalarBackend:
    if arrays.NAME not in _SCALARS:
        _SCALARS[arrays.NAME] = _ScalarBackend(arrays)
    return _SCALARS[arrays.NAME]


_FUNCTION_ATTRIBUTES = ("__code__", "__globals__", "__defaults__", "__kwdefaults__", "__closure__")

#: Each Dispatcher's tables (``direct``): for calls with x alone, type(x) -> None | {dtype:
#: kernel or the function}; for calls with one parameter, keyword -> None | {value: ...}.
_DIRECT_TABLES: list[dict[Any, Any]] = []

#: The parameter kinds whose values a Dispatcher learns calls for: numbers and choices, which the
#: public functions pass to the kernels as they came once checked. An activation with a
#: parameter of another kind (an axis, normalised against x.ndim; an array; a generator) is
#: left to its function whatever the parameter given.
_LEARNED_KINDS = frozenset({"real", "choice"})
_KINDS_PASSED_AS_GIVEN = _LEARNED_KINDS | {"flag"}
#: The most values of one parameter a Dispatcher learns (a sweep over a slope would otherwise
#: grow its table without end); values past them take the function.
MAX_LEARNED_VALUES = 64
#: The types of the values a Dispatcher keeps (learned, or marked for the function).
_VALUE_TYPES = frozenset({float, int, bool, str, type(None)})


def _learned_value(kind: str, value: object) -> bool:
    """Whether a call with ``value`` is learned: a finite nonzero float (0.0 and -0.0 are
    equal keys, which give different signs of zero), or a choice's string."""
    if kind == "real":
        return type(value) is float and value != 0 and math.isfinite(value)
    return type(value) is str


def direct(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, a public activation function, behind a ``Dispatcher`` (C): ``f(x)`` with
    ``x``'s type and dtype seen before calls the backend's kernel at the defaults directly,
    and ``f(x, value)`` or ``f(x, keyword=value)`` seen before the backend's kernel with that
    parameter.

    The Dispatcher learns from the function: after a one-argument call returns, the function
    has checked ``x``'s dtype, and a float dtype it accepted (``Backend.FLOATS``) gets the
    kernel the function calls for it: the backend's ``AT_DEFAULTS`` kernel (which gives what
    the full kernel gives at the defaults), or for an activation without parameters the
    backend's kernel itself. Any other dtype (integers, promoted; complex) keeps calling the
    function. Where the kernels apply the dtype rules themselves (``FLOATS`` is None), every
    dtype the function took gets the ``AT_DEFAULTS`` kernel (JAX's, which the function calls
    with ``x`` as it came), and a backend without them (the generic kernels) keeps the
    function. A call with one number or choice besides ``x`` is learned alike, per value:
    the backend's full kernel with that value and the other parameters' defaults, which is
    what the function calls once the value has passed its checks, or the faster call the
    backend gives for them (``kernel_at``); so is a call with x alone of an activation
    without a kernel at the defaults. Where ``multiact._dispatcher`` is not built,
    ``function`` itself.
    """
    if Dispatcher is None:
        return function
    name = function.__name__
    params = ACTIVATIONS[name].params
    has_parameters = bool(params)
    defaults = tuple(p.default for p in params)
    learns_calls = all(p.kind in _KINDS_PASSED_AS_GIVEN for p in params)
    table: dict[type, dict[Any, Any] | None] = {}
    calls: dict[str | None, dict[Any, tuple[type, dict[type, Any] | None]] | None] = {}

    def record(into: dict[type, Any], x: Any, kernel: Any, backend: Any) -> None:
        """What the function called for x: ``kernel``, where the backend computes x with it
        as the function did (else x's dtype keeps the function)."""
        array_type = type(x)
        floats = None if backend is None else backend.FLOATS
        if kernel is None or (floats is None and backend.AT_DEFAULTS is None):
            into[array_type] = None
            return
        per_dtype = into.setdefault(array_type, {})
        if per_dtype is None:  # learned from another thread's call meanwhile
            return
        if floats is None:
            # The kernels apply the dtype rules (JAX's, while tracing), and the function
            # called this one with x as it came, in any dtype it took.
            per_dtype[x.dtype] = kernel
            return
        # float dtypes only (check_dtype adds no other kind); the function converts the others
        per_dtype[x.dtype] = kernel if x.dtype in floats else function

    def learn(x: Any, *call: Any) -> None:
        backend = _BACKENDS.get(type(x))
        if call:
            learn_call(x, backend, *call)
            return
        at_defaults = getattr(backend, "AT_DEFAULTS", None)
        kernel = None if at_defaults is None else getattr(at_defaults, name)
        if kernel is None and backend is not None:
            if not has_parameters:
                kernel = getattr(backend, name)  # what the function calls past its dtype check
            elif learns_calls:
                kernel = kernel_with(backend, defaults)
        record(table, x, kernel, backend)

    def kernel_with(backend: Any, arguments: tuple[Any, ...]) -> Any:
        """The call of the backend's kernel with every parameter (``arguments``), as the
        function makes it past its checks, or the backend's faster call for them."""
        kernel_at = getattr(backend, "kernel_at", None)
        faster = None if kernel_at is None else kernel_at(name, arguments)
        return (getattr(backend, name), arguments) if faster is None else faster

    def learn_call(x: Any, backend: Any, value: Any, keyword: str | None) -> None:
        names = [p.name for p in params]
        position = 0 if keyword is None else names.index(keyword) if keyword in names else None
        if not learns_calls or position is None or params[position].kind not in _LEARNED_KINDS:
            calls[keyword] = None  # this keyword always takes the function
            return
        by_value = calls.setdefault(keyword, {})
        if by_value is None or type(value) not in _VALUE_TYPES:
            return  # an array (hashable, as tensors are) would be kept alive by the table
        if value not in by_value and len(by_value) >= MAX_LEARNED_VALUES:
            return
        if value not in by_value:
            learned = _learned_value(params[position].kind, value)
            by_value[value] = (type(value), {} if learned else None)
        value_type, per_type = by_value[value]
        if value_type is not type(value) or per_type is None:
            return
        arguments = (*defaults[:position], value, *defaults[position + 1 :])
        record(per_type, x, None if backend is None else kernel_with(backend, arguments), backend)

    dispatcher = Dispatcher(function, learn, table, calls)
    functools.update_wrapper(dispatcher, function)
    # It passes for a function (isinstance, its __class__): what a function has, it has too.
    vars(dispatcher).update({a: getattr(function, a) for a in _FUNCTION_ATTRIBUTES})
    # torch.compile (dynamo) cannot look into a C callable: a call to one is a graph break.
    # It traces the Python function of a wrapper marked as torch.jit.script_if_tracing marks
    # its own (torch/_dynamo/variables/builder.py, WrapperUserFunctionVariable).
    vars(dispatcher).update({"__script_if_tracing_wrapper": True, "__original_fn": function})
    _DIRECT_TABLES.extend((table, calls))
    return dispatcher


def _public(name: str) -> Any:
    """``multiact.<name>``: what a pickled Dispatcher is loaded as (this module is imported
    with its package, so ``multiact`` is in ``sys.modules``)."""
    return getattr(sys.modules["multiact"], name)


if Dispatcher is not None:
    copyreg.pickle(Dispatcher, lambda dispatcher: (_public, (dispatcher.__name__,)))
