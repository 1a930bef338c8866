"""The PyTorch tutorial this project grew from, unchanged but for its import line.

The tutorial applied ReLU, LeakyReLU(0.2), Sigmoid, Tanh and Softmax(dim=0) to
``[1, -2, 3, -5]``. Its printed Tanh and Softmax outputs were the Sigmoid's (copy-paste
drift); the expected values here are the correct ones from DESIGN.md, and PyTorch's own.
"""

from __future__ import annotations

import numpy as np
import pytest

import multiact.nn

#: The tutorial's five modules, spelled as it spelled them, on any `nn` namespace.
MODULES = {
    "ReLU()": lambda nn: nn.ReLU(),
    "LeakyReLU(0.2)": lambda nn: nn.LeakyReLU(0.2),
    "Sigmoid()": lambda nn: nn.Sigmoid(),
    "Tanh()": lambda nn: nn.Tanh(),
    "Softmax(dim=0)": lambda nn: nn.Softmax(dim=0),
}
INPUT = [1.0, -2.0, 3.0, -5.0]
EXPECTED = {
    "ReLU()": [1, 0, 3, 0],
    "LeakyReLU(0.2)": [1, -0.4, 3, -1],
    "Sigmoid()": [0.7311, 0.1192, 0.9526, 0.0067],
    "Tanh()": [0.7616, -0.9640, 0.9951, -0.9999],
    "Softmax(dim=0)": [1.1846e-01, 5.8980e-03, 8.7534e-01, 2.9365e-04],
}
LIBRARIES = {
    "numpy": lambda: np.array(INPUT, dtype=np.float32),
    "torch": lambda: pytest.importorskip("torch").tensor(INPUT),
    "jax": lambda: pytest.importorskip("jax.numpy").array(INPUT, dtype="float32"),
    "array-api-strict": lambda: pytest.importorskip("array_api_strict").asarray(INPUT),
}


def _as_numpy(y) -> np.ndarray:
    if hasattr(y, "detach"):
        return y.detach().numpy()
    if type(y).__module__.startswith("array_api_strict"):
        return np.from_dlpack(y)
    return np.asarray(y)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("module", EXPECTED)
def test_tutorial_module_gives_the_correct_output(module, library):
    x = LIBRARIES[library]()
    y = MODULES[module](multiact.nn)(x)
    assert type(y) is type(x)
    # The expected values are rounded to 4 significant digits.
    np.testing.assert_allclose(_as_numpy(y), EXPECTED[module], rtol=5e-4, atol=5e-5)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("module", EXPECTED)
def test_tutorial_module_matches_pytorch(module, library):
    torch = pytest.importorskip("torch")
    expected = MODULES[module](torch.nn)(torch.tensor(INPUT)).numpy()
    y = MODULES[module](multiact.nn)(LIBRARIES[library]())
    np.testing.assert_allclose(_as_numpy(y), expected, rtol=1.3e-6, atol=1e-5)
    assert repr(MODULES[module](multiact.nn)) == repr(MODULES[module](torch.nn))
