"""One adapter per array library: everything the conformance engine knows about a library.

The engine, the cases and the tolerances never name a library: they ask the target's adapter
(``conformance.targets``). Adding a library to the suite is one :class:`Adapter` subclass here,
one line in :data:`ADAPTERS`, and its target lines in ``targets.TARGETS``.

An adapter answers, for its library: how to build an array from float64 values in a dtype on a
device, how to read one back as NumPy, where an array lives, how autograd takes a
vector-Jacobian product (where the library has autograd), which dtypes, devices and layouts it
has, what one case costs relative to NumPy, whether it is installed (and on a GPU), how to
configure it for a run, and which distributions' versions the reports show.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "ADAPTERS",
    "DISTRIBUTIONS",
    "Adapter",
    "ConvertersAdapter",
    "NamespaceAdapter",
    "adapter",
    "adapter_for",
    "gpu_status",
]

_FLOATS = ("float16", "bfloat16", "float32", "float64")


class Adapter(ABC):
    """The contract between the conformance engine and one array library.

    Class attributes describe the library; the methods build and read its arrays. Only
    :meth:`asarray` must be written; every other method has the answer of a CPU-only library
    without autograd.
    """

    #: The module whose arrays are tested, as imported (``jax.numpy``, ``dask.array``).
    module: ClassVar[str]
    #: Its name for people (error messages).
    title: ClassVar[str]
    #: Other spellings users type for it (its usual import alias), for "did you mean".
    aliases: ClassVar[tuple[str, ...]] = ()
    #: The distributions behind it, the first the library itself (``jax``, then ``jaxlib``).
    distributions: ClassVar[tuple[str, ...]]
    #: multiact's native backend for these arrays, or None: the generic array-API one.
    native_backend: ClassVar[str | None] = None
    dtypes: ClassVar[tuple[str, ...]] = ("float16", "float32", "float64")
    #: Its complex dtypes (MLX has no complex128).
    complex_dtypes: ClassVar[tuple[str, ...]] = ("complex64", "complex128")
    #: Arrays of the library can be written into (``inplace=True``); JAX arrays and TensorFlow
    #: tensors cannot (a ``tf.Variable`` can: ``assign``).
    mutable: ClassVar[bool] = True
    #: Where its arrays can live (``cpu``, ``cuda``).
    devices: ClassVar[tuple[str, ...]] = ("cpu",)
    #: Rough cost of a case relative to NumPy, to start the longest jobs first.
    cost: ClassVar[float] = 1.0
    #: Slicing makes a strided view (False where slicing copies: no ``strided`` case).
    strided_views: ClassVar[bool] = True
    #: Every shape runs the same elementwise kernel (XLA: only the 0-d layout is worth a case).
    shape_agnostic_elementwise: ClassVar[bool] = False
    #: Autograd through multiact (:meth:`vjp`): the ``autograd`` mode.
    has_autograd: ClassVar[bool] = False
    #: The library whose functions are the reference: its native kernels are PyTorch's own.
    is_reference: ClassVar[bool] = False
    #: A target only where installed (elsewhere every test would carry a "missing" skip).
    only_where_installed: ClassVar[bool] = False

    @property
    def package(self) -> str:
        """The top-level package (``jax`` for ``jax.numpy``): what is installed or not."""
        return self.module.split(".")[0]

    @property
    def distribution(self) -> str:
        return self.distributions[0]

    def __repr__(self) -> str:
        return f"<{self.package} adapter>"

    def available(self) -> bool:
        return importlib.util.find_spec(self.package) is not None

    def version(self) -> str | None:
        """The installed version of the library's distribution, or None."""
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def namespace(self) -> Any:
        return importlib.import_module(self.module)

    @abstractmethod
    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        """``values`` (float64 or another NumPy array, exactly representable in ``dtype``) as
        an array of ``dtype`` (a name: ``float32``, ``bfloat16``, ``bool``...) on ``device``
        (one of :attr:`devices`; None: where the library puts it by default)."""

    def to_host(self, y: Any) -> Any:
        """``y`` as something ``np.asarray`` reads without copying to a device."""
        return y

    def to_numpy(self, y: Any) -> np.ndarray:
        """An array as float64 NumPy (integers and booleans keep their dtype)."""
        y = np.asarray(self.to_host(y))
        return y.astype(np.float64) if y.dtype.kind in "fV" else y

    def device_of(self, y: Any) -> str:
        """Where the array ``y`` lives: ``cpu`` or ``cuda``."""
        return "cpu"

    def dtype_name(self, dtype: Any) -> str:
        """A dtype of the library by name: ``float32``, ``bfloat16``, ``int8``, ``complex64``."""
        return str(dtype).rpartition(".")[2]

    def same_array_type(self, x: Any, y: Any) -> bool:
        """Does the result ``y`` have the array type of the input ``x`` (the output contract)?"""
        return type(y) is type(x)

    def dtype_of(self, y: Any) -> Any:
        """The dtype of the array ``y``, as the library spells it (the output contract)."""
        return getattr(y, "dtype", None)

    def usual_result_type(self, x: Any, y: Any) -> bool:
        """Is ``y`` what the library's own functions return for ``x``: its array type, or
        whatever else they return for such an input (the contract someone else's function
        is held to, ``conformance.verify``)?"""
        return self.same_array_type(x, y)

    def vjp(self, f: Callable[[Any], Any], x: Any, g: Any) -> Any:
        """The library's autograd: the gradient of ``sum(g * f(x))`` with respect to ``x``
        (only where :attr:`has_autograd`). ``x`` may be a strided view."""
        raise NotImplementedError(f"{self.title} has no autograd")

    def dtype_problem(self, dtype: str) -> str | None:
        """Why ``dtype`` cannot be tested in this process, or None."""
        return None

    def gpu_problem(self) -> str | None:
        """Why the library cannot use a GPU here, or None (only installed ones are asked)."""
        return "no GPU support"

    def prepare(self) -> None:
        """Configure the library for a run (called where it is installed)."""
        return None  # most libraries need nothing

    def single_thread(self) -> None:
        """One thread per worker process (called where it is installed)."""
        return None  # most libraries run one thread already, or are not worth limiting


class NumPyAdapter(Adapter):
    module = "numpy"
    aliases = ("np",)
    title = "NumPy"
    distributions = ("numpy",)
    native_backend = "numpy"

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        return np.asarray(values).astype(dtype)

    def usual_result_type(self, x: Any, y: Any) -> bool:
        # NumPy's ufuncs return a NumPy scalar for a 0-d array.
        zero_d_scalar = np.ndim(x) == 0 and isinstance(y, np.generic)
        return self.same_array_type(x, y) or zero_d_scalar


class TorchAdapter(Adapter):
    module = "torch"
    aliases = ("pytorch",)
    title = "PyTorch"
    distributions = ("torch",)
    native_backend = "torch"
    dtypes = _FLOATS
    devices = ("cpu", "cuda")
    has_autograd = True
    is_reference = True

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        torch = self.namespace()
        return torch.as_tensor(values).to(device=device or "cpu", dtype=getattr(torch, dtype))

    def to_numpy(self, y: Any) -> np.ndarray:
        y = y.detach().cpu()
        return (y.double() if y.is_floating_point() else y).numpy()

    def device_of(self, y: Any) -> str:
        return "cuda" if y.device.type == "cuda" else y.device.type

    def vjp(self, f: Callable[[Any], Any], x: Any, g: Any) -> Any:
        import torch

        # A leaf of its own that shares x's memory and strides: autograd records from there.
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(x), x, g)
        return grad

    def gpu_problem(self) -> str | None:
        import torch

        return None if torch.cuda.is_available() else "torch.cuda.is_available() is False"

    def single_thread(self) -> None:
        import torch

        torch.set_num_threads(1)


class JaxAdapter(Adapter):
    module = "jax.numpy"
    aliases = ("jnp",)
    title = "JAX"
    distributions = ("jax", "jaxlib")
    native_backend = "jax"
    dtypes = _FLOATS
    devices = ("cpu", "cuda")
    cost = 3.0
    mutable = False
    # Slicing copies, and XLA compiles one shape-agnostic kernel per elementwise function.
    strided_views = False
    shape_agnostic_elementwise = True
    has_autograd = True

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        jnp = self.namespace()
        x = jnp.asarray(values, dtype=getattr(jnp, dtype))
        if device is None:
            return x
        import jax

        return jax.device_put(x, _jax_device(device))

    def device_of(self, y: Any) -> str:
        platforms = {d.platform for d in y.devices()}
        return "cuda" if platforms & {"gpu", "cuda", "rocm"} else "cpu"

    def same_array_type(self, x: Any, y: Any) -> bool:
        # jax.Array is abstract: inputs and results are of its (several) concrete types.
        return True

    def vjp(self, f: Callable[[Any], Any], x: Any, g: Any) -> Any:
        import jax

        _, pullback = jax.vjp(f, x)
        (grad,) = pullback(g)
        return grad

    def dtype_problem(self, dtype: str) -> str | None:
        import jax

        if dtype == "float64" and not jax.config.read("jax_enable_x64"):
            return "JAX float64 needs jax_enable_x64 (multiact.conformance.engine.prepare)"
        return None

    def gpu_problem(self) -> str | None:
        import jax

        try:
            jax.devices("gpu")
        except RuntimeError:
            return "JAX finds no GPU device"
        return None

    def prepare(self) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 is part of the matrix


def _jax_device(device: str) -> Any:
    import jax

    if device == "cpu":
        return jax.devices("cpu")[0]
    try:
        return jax.devices("gpu")[0]
    except RuntimeError as error:
        raise RuntimeError(f"JAX has no GPU device: {error}") from None


class TensorFlowAdapter(Adapter):
    module = "tensorflow"
    title = "TensorFlow"
    # TensorFlow's CPU-only build installs the same module under another name.
    distributions = ("tensorflow", "tensorflow-cpu")
    native_backend = "tensorflow"
    dtypes = _FLOATS
    devices = ("cpu", "cuda")
    cost = 4.0
    mutable = False
    # Slicing copies.
    strided_views = False
    has_autograd = True

    def dtype_name(self, dtype: Any) -> str:
        return self.namespace().as_dtype(dtype).name

    def version(self) -> str | None:
        for distribution in self.distributions:
            try:
                return importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                continue
        return None

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        tf = self.namespace()
        numpy_dtype = tf.as_dtype(dtype).as_numpy_dtype
        with tf.device(_tf_device(device)):
            return tf.constant(np.asarray(values).astype(numpy_dtype))

    def to_host(self, y: Any) -> Any:
        return y.numpy()

    def device_of(self, y: Any) -> str:
        return "cuda" if ":GPU:" in y.device else "cpu"

    def vjp(self, f: Callable[[Any], Any], x: Any, g: Any) -> Any:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x, output_gradients=g)

    def gpu_problem(self) -> str | None:
        import tensorflow as tf

        return None if tf.config.list_physical_devices("GPU") else "TensorFlow finds no GPU"

    def prepare(self) -> None:
        import os

        # TensorFlow's C++ start-up notes (oneDNN, CUDA drivers) on stderr, once per process.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    def single_thread(self) -> None:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # TensorFlow's runtime has started: too late, and harmless
            pass


def _tf_device(device: str | None) -> str:
    return "/GPU:0" if device == "cuda" else "/CPU:0"


class MLXAdapter(Adapter):
    module = "mlx.core"
    title = "MLX"
    distributions = ("mlx",)
    native_backend = "mlx"
    # MLX has float64 on the CPU only, where its exp, tanh and others are float32's
    # approximations (3.9e-6 relative for exp): not tested, as MLX's own float64 falls short.
    dtypes = ("float16", "bfloat16", "float32")
    complex_dtypes = ("complex64",)
    cost = 1.5
    has_autograd = True

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        mx = self.namespace()
        values = np.asarray(values)
        if dtype == "bfloat16":  # NumPy has no bfloat16: float32 holds the values exactly
            return mx.array(values.astype(np.float32)).astype(mx.bfloat16)
        # mx.array makes float32 of float64 values unless told the dtype.
        return mx.array(
            values.astype(dtype), dtype=getattr(mx, "bool_" if dtype == "bool" else dtype)
        )

    def to_host(self, y: Any) -> Any:
        mx = self.namespace()
        if y.dtype in (mx.float16, mx.bfloat16):
            y = y.astype(mx.float32)
        return np.array(y)

    def vjp(self, f: Callable[[Any], Any], x: Any, g: Any) -> Any:
        import mlx.core as mx

        _, (grad,) = mx.vjp(f, [x], [g])
        return grad


class ArrayApiStrictAdapter(Adapter):
    module = "array_api_strict"
    aliases = ("xp",)
    title = "array-api-strict"
    distributions = ("array-api-strict",)
    dtypes = ("float32", "float64")
    cost = 2.0

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        xp = self.namespace()
        return xp.asarray(np.asarray(values), dtype=getattr(xp, dtype))

    def to_host(self, y: Any) -> Any:
        return np.from_dlpack(y)


class DaskAdapter(Adapter):
    module = "dask.array"
    aliases = ("da",)
    title = "Dask"
    distributions = ("dask",)
    native_backend = "dask"
    cost = 12.0

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        values = np.asarray(values)
        # About four chunks per axis, so reductions along an axis cross chunk boundaries
        # (and a long elementwise input is not thousands of tiny tasks).
        chunks = tuple(max(3, -(-size // 4)) for size in values.shape)
        return self.namespace().from_array(values.astype(dtype), chunks=chunks)

    def to_host(self, y: Any) -> Any:
        return y.compute()

    def prepare(self) -> None:
        import dask

        # The graphs are small; threads only add overhead (the results are the same).
        dask.config.set(scheduler="synchronous")


class CuPyAdapter(Adapter):
    module = "cupy"
    aliases = ("cp",)
    title = "CuPy"
    distributions = ("cupy",)
    # CuPy's arrays always live on the GPU.
    devices = ("cuda",)
    only_where_installed = True

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        cupy = self.namespace()
        return cupy.asarray(np.asarray(values), dtype=getattr(cupy, dtype))

    def to_host(self, y: Any) -> Any:
        return y.get()

    def device_of(self, y: Any) -> str:
        return "cuda"

    def gpu_problem(self) -> str | None:
        try:
            import cupy

            return None if cupy.cuda.runtime.getDeviceCount() > 0 else "no GPU"
        except Exception as error:  # CUDA driver missing, etc.
            return f"{type(error).__name__}: {error}"


class NamespaceAdapter(Adapter):
    """Any other array-API namespace, given as its module (``multiact.conformance.verify``)."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.module = xp.__name__
        self.title = xp.__name__
        self.distributions = (xp.__name__.split(".")[0],)
        self.dtypes = tuple(d for d in _FLOATS if hasattr(xp, d))

    def namespace(self) -> Any:
        return self.xp

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        return self.xp.asarray(np.asarray(values).astype(dtype), dtype=getattr(self.xp, dtype))

    def to_host(self, y: Any) -> Any:
        try:
            return np.from_dlpack(y)
        except (TypeError, AttributeError, RuntimeError, BufferError):
            return np.asarray(y)


class ConvertersAdapter(Adapter):
    """A library known by a pair of converters: NumPy array -> its array, and back."""

    title = "converters"
    dtypes = ("float16", "float32", "float64")

    def __init__(
        self, to_array: Callable[[np.ndarray], Any], to_numpy: Callable[[Any], Any]
    ) -> None:
        self._to_array, self._to_numpy = to_array, to_numpy
        self.module = getattr(to_array, "__module__", None) or "converters"
        self.distributions = (self.module.split(".")[0],)

    def available(self) -> bool:
        return True

    def asarray(self, values: np.ndarray, dtype: str, device: str | None) -> Any:
        return self._to_array(np.asarray(values).astype(dtype))

    def to_host(self, y: Any) -> Any:
        return self._to_numpy(y)

    def dtype_of(self, y: Any) -> Any:
        return np.asarray(self._to_numpy(y)).dtype


#: Every library the suite knows, by package.
ADAPTERS: dict[str, Adapter] = {
    a.package: a
    for a in (
        NumPyAdapter(),
        TorchAdapter(),
        JaxAdapter(),
        TensorFlowAdapter(),
        MLXAdapter(),
        DaskAdapter(),
        ArrayApiStrictAdapter(),
        CuPyAdapter(),
    )
}

#: The distributions whose versions a report shows: multiact, each library's, then the tools'.
DISTRIBUTIONS: tuple[str, ...] = (
    "multiact",
    *(d for a in ADAPTERS.values() for d in a.distributions),
    "array-api-compat",
    "mpmath",
    "matplotlib",
)


def adapter(package: str) -> Adapter:
    """The adapter of the library ``package`` (``numpy``, ``torch``, ``jax``...)."""
    return ADAPTERS[package]


def gpu_status() -> dict[str, str | None]:
    """For each GPU-capable library: ``None`` if it can use a GPU here, else why not.

    Only libraries that are installed are imported; CuPy is only looked for.
    """
    return {
        name: a.gpu_problem() if a.available() else "not installed"
        for name, a in ADAPTERS.items()
        if "cuda" in a.devices
    }


def adapter_for(library: Any) -> Adapter:
    """The adapter for ``library``: a package or module name (``numpy``, ``torch``, ``jax``,
    ``jax.numpy``, ``dask.array``, ``array_api_strict``...), a module (any array-API namespace),
    an :class:`Adapter`, or a pair of converters ``(to_array, to_numpy)``: NumPy array of the
    dtype -> the library's array, and the library's array -> something ``np.asarray`` reads."""
    if isinstance(library, Adapter):
        return library
    if isinstance(library, tuple):
        if len(library) != 2 or not all(callable(f) for f in library):
            raise TypeError(
                "library=(to_array, to_numpy) must be a pair of functions: NumPy array -> "
                f"your array, and your array -> NumPy; got {library!r}"
            )
        return ConvertersAdapter(*library)
    module = library if isinstance(library, str) else getattr(library, "__name__", None)
    if not isinstance(module, str):
        raise TypeError(
            "library must be a module name (numpy, torch, jax...), an array-API namespace, or "
            f"a pair of converters (to_array, to_numpy); got {type(library).__name__}"
        )
    for a in ADAPTERS.values():
        if module in (a.module, a.package):
            return a
    namespace = library if not isinstance(library, str) else importlib.import_module(library)
    if not hasattr(namespace, "asarray"):
        raise TypeError(f"library {module!r} is not an array-API namespace (it has no asarray)")
    return NamespaceAdapter(namespace)
