"""The backends under test: an array library (its adapter) and the path multiact takes for it.

A target is a library's :class:`~conformance.adapters.Adapter` plus the path multiact takes for
its arrays: its native backend (``numpy``, ``torch``, ``jax``, ``dask``, ``tensorflow``,
``mlx``), or the generic array-API backend, either because the library has no native one
(array-api-strict, CuPy) or because the generic kernels are forced onto NumPy, PyTorch, JAX,
Dask, TensorFlow or MLX arrays to prove them against PyTorch (on Dask arrays they are lazy graphs
of ``dask.array`` operations, which the Dask backend no longer builds).

Devices: every target has the ``devices`` its library can place arrays on. ``cpu`` for all but
CuPy; ``cuda`` for PyTorch and JAX (``tensor.to("cuda")``, ``jax.device_put`` on the first GPU)
and CuPy, whose arrays always live on the GPU. ``asarray(values, dtype, device)`` places the
input, ``device_of(y)`` says where a result lives, so the suite can check that it stayed there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import multiact
from multiact._dispatch import backend_module
from multiact._registry import lookup

from .adapters import ADAPTERS, Adapter, gpu_status

__all__ = [
    "ALL_TARGETS",
    "CUPY",
    "DEVICES",
    "TARGETS",
    "FunctionTarget",
    "Target",
    "by_name",
    "gpu_status",
    "prepare",
    "registered",
]

DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class Target:
    name: str
    adapter: Adapter
    #: Call the generic kernels directly instead of the public (dispatching) functions.
    forced_generic: bool = False

    @property
    def library(self) -> str:
        """The array library's module, as imported (``jax.numpy``)."""
        return self.adapter.module

    @property
    def backend(self) -> str:
        """The backend multiact must choose for these arrays: numpy, torch, jax, dask or
        generic."""
        if self.forced_generic or self.adapter.native_backend is None:
            return "generic"
        return self.adapter.native_backend

    @property
    def dtypes(self) -> tuple[str, ...]:
        return self.adapter.dtypes

    @property
    def devices(self) -> tuple[str, ...]:
        """Where this library's arrays can live (``cpu``, ``cuda``)."""
        return self.adapter.devices

    #: Someone else's implementation (``multiact.conformance.verify``), not multiact's: no
    #: accuracy budget, no known difference of multiact's, and any of PyTorch's own answers
    #: (or the exact value) passes where PyTorch's code paths disagree.
    foreign = False

    @property
    def runs_reference_kernels(self) -> bool:
        """Are its forward and autograd the reference library's own kernels (PyTorch's, for
        activations PyTorch has)?"""
        return self.adapter.is_reference and not self.forced_generic

    def available(self) -> bool:
        return self.adapter.available()

    @property
    def module(self) -> Any:
        return self.adapter.namespace()

    def asarray(self, values: np.ndarray, dtype: str, device: str | None = None) -> Any:
        """``values`` (exactly representable in ``dtype``) as this library's array of ``dtype``.

        ``dtype`` is a name: ``float32``, ``bfloat16``, ``int64``, ``bool``, ``complex64``...
        ``device`` is ``cpu`` or ``cuda`` (one of ``self.devices``); ``None`` leaves the array
        where the library puts it by default.
        """
        if device is not None and device not in self.devices:
            raise ValueError(
                f"{self.name} arrays cannot live on {device!r}; its devices are {self.devices}"
            )
        return self.adapter.asarray(values, dtype, device)

    def to_numpy(self, y: Any) -> np.ndarray:
        """A result as a float64 (or integer) NumPy array."""
        return self.adapter.to_numpy(y)

    def device_of(self, y: Any) -> str:
        """Where the array ``y`` lives: ``cpu`` or ``cuda``."""
        return self.adapter.device_of(y)

    def array_params(self, activation: str, params: Mapping[str, Any] | None, like: Any) -> dict:
        """``params`` with array-valued parameters (prelu's weight, given as tuples of floats)
        made arrays of this library in ``like``'s dtype and on its device."""
        a = lookup(activation)
        params = dict(params or {})
        for p in a.params:
            if p.kind == "array" and p.name in params and isinstance(params[p.name], tuple):
                dtype = self.adapter.dtype_name(like.dtype)
                values = np.asarray(params[p.name], np.float64)
                try:
                    device = self.device_of(like)
                except Exception:  # a JAX tracer has no device: the default one
                    device = None
                params[p.name] = self.asarray(values, dtype, device)
        return params

    def call(self, activation: str, x: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Call ``activation`` on ``x``; array-valued parameters (prelu's weight, given as
        tuples of floats) become arrays of this library in ``x``'s dtype."""
        a = lookup(activation)
        params = self.array_params(activation, params, x)
        if self.forced_generic:
            if self.adapter.native_backend is not None:
                # The native backend registers the array-API namespace the generic kernels
                # use for its library (TensorFlow's, MLX's) when it is imported.
                backend_module(self.adapter.native_backend)
            return getattr(backend_module("generic"), a.name)(x, *a.kernel_args(params))
        return getattr(multiact, activation)(x, **params)

    def vjp(self, activation: str, x: Any, g: Any, params: Mapping[str, Any] | None = None) -> Any:
        """The gradient by the target's own vector-Jacobian product (the ``vjp`` mode)."""
        return multiact.vjp(activation, x, g, **self.array_params(activation, params, x))

    def autograd(
        self, activation: str, x: Any, g: Any, params: Mapping[str, Any] | None = None
    ) -> Any:
        """The gradient by the library's autograd through :meth:`call` (the ``autograd`` mode)."""
        return self.adapter.vjp(lambda v: self.call(activation, v, params), x, g)


@dataclass(frozen=True)
class FunctionTarget(Target):
    """Someone else's implementation of one activation, on one array library's arrays.

    ``function(x)`` is the forward pass (``function(x, **params)`` with ``pass_params``);
    ``gradient(x, g)`` the vector-Jacobian product ``g @ df/dx`` (``g * f'(x)`` for an
    elementwise function), the ``vjp`` mode. The library's autograd through ``function`` is
    the ``autograd`` mode.
    """

    function: Callable[..., Any] | None = field(default=None, compare=False)
    gradient: Callable[..., Any] | None = field(default=None, compare=False)
    pass_params: bool = False
    foreign = True

    @property
    def runs_reference_kernels(self) -> bool:
        return False  # even on tensors: whatever it runs is judged as someone else's

    def call(self, activation: str, x: Any, params: Mapping[str, Any] | None = None) -> Any:
        assert self.function is not None
        if self.pass_params:
            return self.function(x, **self.array_params(activation, params, x))
        return self.function(x)

    def vjp(self, activation: str, x: Any, g: Any, params: Mapping[str, Any] | None = None) -> Any:
        if self.gradient is None:
            raise TypeError(f"{self.name} has no gradient function")
        if self.pass_params:
            return self.gradient(x, g, **self.array_params(activation, params, x))
        return self.gradient(x, g)


_NUMPY, _TORCH, _JAX = ADAPTERS["numpy"], ADAPTERS["torch"], ADAPTERS["jax"]
_TENSORFLOW, _MLX = ADAPTERS["tensorflow"], ADAPTERS["mlx"]
CUPY = Target("cupy", ADAPTERS["cupy"])
#: Every target the suite knows, whether or not its library is installed.
ALL_TARGETS: tuple[Target, ...] = (
    Target("numpy", _NUMPY),
    Target("torch", _TORCH),
    Target("jax", _JAX),
    Target("tensorflow", _TENSORFLOW),
    Target("mlx", _MLX),
    Target("array-api-strict", ADAPTERS["array_api_strict"]),
    Target("dask", ADAPTERS["dask"]),
    Target("generic-numpy", _NUMPY, forced_generic=True),
    Target("generic-torch", _TORCH, forced_generic=True),
    Target("generic-jax", _JAX, forced_generic=True),
    Target("generic-tensorflow", _TENSORFLOW, forced_generic=True),
    Target("generic-mlx", _MLX, forced_generic=True),
    Target("generic-dask", ADAPTERS["dask"], forced_generic=True),
    CUPY,
)
#: The targets of a run: all but those listed only where their library is installed (CuPy).
TARGETS: tuple[Target, ...] = tuple(
    t for t in ALL_TARGETS if not t.adapter.only_where_installed or t.available()
)
_BY_NAME = {t.name: t for t in ALL_TARGETS}


def by_name(name: str) -> Target:
    """The target called ``name`` (KeyError for an unknown one)."""
    return _BY_NAME[name]


@contextlib.contextmanager
def registered(*targets: Target) -> Iterator[None]:
    """Make ``targets`` known to :func:`by_name` (and so to the engine) for a run in this
    process: the cases name their target, and the engine looks it up by that name."""
    taken = [t.name for t in targets if t.name in _BY_NAME]
    if taken:
        raise ValueError(f"a target is already called {taken[0]!r}")
    _BY_NAME.update({t.name: t for t in targets})
    try:
        yield
    finally:
        for t in targets:
            _BY_NAME.pop(t.name, None)


def prepare(target_names: Iterable[str] | None = None) -> None:
    """Configure the libraries the run needs (JAX with float64, Dask's synchronous scheduler).

    Only installed libraries that the chosen targets use are imported.
    """
    names = set(target_names) if target_names is not None else {t.name for t in TARGETS}
    adapters = {id(t.adapter): t.adapter for t in TARGETS if t.name in names}
    for a in adapters.values():
        if a.available():
            a.prepare()
