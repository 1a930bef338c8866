"""Repository-wide pytest set-up: names every doctest may use; the module families whose
framework is not installed are left out of the doctest collection."""

import importlib.util
import os

import numpy as np
import pytest

import multiact

# Keras picks its backend once, at import (the doctests of multiact/keras/layers.py and
# tests/test_porting.py run on NumPy's; tests/test_families.py runs the others in subprocesses).
os.environ.setdefault("KERAS_BACKEND", "numpy")

_FAMILIES = {
    "multiact/torch/nn.py": "torch",
    "multiact/flax/nnx.py": "flax",
    "multiact/equinox.py": "equinox",
    "multiact/keras/layers.py": "keras",
}
collect_ignore = [
    path for path, needs in _FAMILIES.items() if importlib.util.find_spec(needs) is None
]


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    doctest_namespace["np"] = np
    doctest_namespace["multiact"] = multiact
