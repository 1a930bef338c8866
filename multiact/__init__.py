"""multiact: one activation-function API for every array library.

``multiact.gelu(x)`` runs PyTorch's kernel on a tensor, JAX's on a JAX array, NumPy's on an
ndarray, and an array-API implementation on anything else (CuPy, Dask, array-api-strict),
returning the same kind of array, on the same device, with the same dtype. PyTorch's
semantics (names, defaults, special values) are the reference on every backend.

>>> import numpy as np
>>> import multiact
>>> multiact.relu(np.array([1.0, -2.0, 3.0, -5.0]))
array([1., 0., 3., 0.])
"""

from __future__ import annotations

from ._checks import AxisError, DtypeError, PyTorchRefusedError
from ._conventions import get
from ._dispatch import backend_for, direct
from ._functional import *  # noqa: F403
from ._functional import __all__ as _functions
from ._registry import ACTIVATIONS, Activation, lookup
from ._threads import get_num_threads, set_num_threads

__version__ = "0.1.0.dev0"

# Each activation behind its Dispatcher (C; the function itself where it is not built): a call
# with x alone goes to the backend's kernel without the function's Python frame. An alias is
# the same object.
for _activation in ACTIVATIONS.values():
    _public = direct(globals()[_activation.name])
    for _name in (_activation.name, *_activation.aliases):
        globals()[_name] = _public

# TensorFlow's AutoGraph rewrites the Python functions that a tf.function calls; it cannot
# rewrite these (their walrus operators), and says so in a warning before running them as they
# are. The attribute it marks its own artifacts with has it run them as they are at once.
_AUTOGRAPH_KEEPS = "autograph_info__"
for _name in _functions:
    setattr(globals()[_name], _AUTOGRAPH_KEEPS, frozenset())

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "AxisError",
    "DtypeError",
    "PyTorchRefusedError",
    "backend_for",
    "get",
    "get_num_threads",
    "lookup",
    "set_num_threads",
    "vjp",  # noqa: F405 (loaded on first use by __getattr__)
    *_functions,
]


def __dir__() -> list[str]:
    # The public names (vjp and nn included, which load on first use) and the public
    # subpackages already imported (multiact.torch, multiact.conformance...), not the private
    # modules and imports the package's own code needs (annotations, _functional...).
    # Only multiact's own subpackages: pytest's assertion rewriting (multiact is a pytest
    # plugin's distribution) adds modules of its own, "@py_builtins" and "@pytest_ar", here.
    loaded = [
        name
        for name, value in globals().items()
        if not name.startswith("_")
        and type(value).__name__ == "module"
        and value.__name__.startswith(f"{__name__}.")
    ]
    return sorted({*__all__, "__version__", "nn", *loaded})


def __getattr__(name: str) -> object:
    # `multiact.nn` without importing it first, as torch.nn works after `import torch`.
    if name == "nn":
        import importlib

        return importlib.import_module("multiact.nn")
    # vjp needs the derivatives and the generic kernels: loaded on first use, which keeps
    # them (~20 ms) out of `import multiact`.
    if name == "vjp":
        from ._vjp import vjp

        return vjp
    raise AttributeError(f"module 'multiact' has no attribute {name!r}")
