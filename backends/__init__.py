"""Native backends: each array library's own kernels, corrected to PyTorch's semantics.

``numpy.py``, ``torch.py`` and ``jax.py`` expose the same functions with the same signatures
as the generic array-API backend (``multiact._generic``): one per activation, taking the
array and then every parameter positionally, already validated, plus ``NAME`` and
``dtype_kind(x)``. A module is imported only once an array of its library has been seen.
"""

NATIVE_BACKENDS = ("numpy", "torch", "jax")
