"""The porting guide is current, and what it says is true of the installed frameworks."""

from __future__ import annotations

import importlib.util
import inspect
import os
import warnings

import numpy as np
import pytest

import multiact
from multiact import ACTIVATIONS, _porting

# Keras 3 needs a backend before it is imported; numpy's needs nothing else.
os.environ.setdefault("KERAS_BACKEND", "numpy")

_MODULE_OF = {"torch": "torch", "jax": "jax", "keras": "keras"}


def _framework_names() -> list[str]:
    names = set()
    for a in ACTIVATIONS.values():
        names |= {n for n in (a.names.torch, a.names.jax, a.names.keras) if n}
    return sorted(names)


def test_porting_guide_is_current():
    text = _porting.GUIDE_PATH.read_text()
    assert text == _porting.guide(), "docs/porting.md is stale: run python -m multiact._porting"


def test_every_framework_name_has_a_recorded_signature():
    assert sorted(_porting.FRAMEWORK_SIGNATURES) == _framework_names()


@pytest.mark.parametrize("qualname", _framework_names())
def test_recorded_signature_matches_the_installed_framework(qualname):
    pytest.importorskip(qualname.split(".")[0])
    assert _porting.installed_signature(qualname) == _porting.FRAMEWORK_SIGNATURES[qualname]


@pytest.mark.parametrize(
    "activation", [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if a.names.torch_module]
)
def test_torch_module_names_exist(activation):
    torch = pytest.importorskip("torch")
    assert hasattr(torch.nn, activation.names.torch_module.rpartition(".")[2])


def test_signature_text_reads_torch_builtins_from_their_docstring():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="no signature"):
        inspect.signature(torch.nn.functional.softplus)  # a C function: no signature
    assert _porting.signature_text(torch.nn.functional.softplus) == "beta=1, threshold=20"
    assert _porting.signature_text(multiact.leaky_relu) == "negative_slope=0.01, inplace=False"


def _namespace() -> dict[str, object]:
    names: dict[str, object] = {"np": np, "multiact": multiact}
    if importlib.util.find_spec("torch"):
        import torch

        names |= {"torch": torch, "F": torch.nn.functional}
    if importlib.util.find_spec("jax"):
        import jax
        import jax.numpy as jnp

        names |= {"jax": jax, "jnp": jnp}
    if importlib.util.find_spec("keras"):
        import keras

        names["keras"] = keras
    return names


def _input(recipe: _porting.Recipe) -> object:
    values = np.array(recipe.inputs, dtype=recipe.dtype)
    if recipe.shape:
        values = values.reshape(recipe.shape)
    if recipe.framework == "torch":
        import torch

        return torch.from_numpy(values)
    if recipe.framework == "jax":
        import jax.numpy as jnp

        out = jnp.asarray(values)
        assert str(out.dtype) == recipe.dtype, "JAX needs jax_enable_x64 (tests/conftest.py)"
        return out
    return values  # Keras (numpy backend) takes and returns NumPy arrays


def _evaluate(expression: str, x: object) -> np.ndarray:
    with warnings.catch_warnings():
        # PyTorch's implicit softmax axis warns, and so does multiact.nn.Softmax() on purpose.
        warnings.simplefilter("ignore")
        result = eval(expression, _namespace(), {"x": x})
    if hasattr(result, "detach"):
        result = result.detach().numpy()
    return np.asarray(result, dtype=np.float64)


def _assert_same(got: np.ndarray, want: np.ndarray, dtype: str) -> None:
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    eps = np.finfo(dtype).eps if np.dtype(dtype).kind == "f" else np.finfo(np.float32).eps
    # Absolute slack of a few ULP of the largest value: formulas that cancel (the tanh GELU's
    # left tail) differ between implementations by ULPs of the terms, not of the result.
    finite = np.abs(want[np.isfinite(want)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    np.testing.assert_allclose(got, want, rtol=8 * eps, atol=8 * eps * scale)
    zeros = (got == 0) & (want == 0)
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))


@pytest.mark.parametrize(
    "recipe",
    [
        pytest.param(r, id=f"{r.activation}-{r.framework}-{r.topic.replace(' ', '_')}")
        for r in _porting.RECIPES
    ],
)
def test_recipe_holds_on_the_installed_framework(recipe):
    pytest.importorskip(_MODULE_OF[recipe.framework])
    x = _input(recipe)
    framework = _evaluate(recipe.framework_call, x)
    try:
        straight = _evaluate(recipe.straight, _input(recipe))
    except TypeError:
        pass  # multiact refuses what the framework accepts: a difference too
    else:
        with pytest.raises(AssertionError):
            _assert_same(straight, framework, recipe.dtype)
    if recipe.reproduce is not None:
        _assert_same(_evaluate(recipe.reproduce, _input(recipe)), framework, recipe.dtype)


@pytest.mark.parametrize(
    ("activation", "framework", "topic"),
    [
        ("gelu", "jax", "defaults"),
        ("leaky_relu", "keras", "defaults"),
        ("softmax", "torch", "axis"),
        ("softplus", "jax", "defaults"),
        ("leaky_relu", "jax", "gradient"),
        ("hardtanh", "jax", "gradient"),
        ("hardshrink", "keras", "NaN"),
        ("relu", "jax", "sign of zero"),
    ],
)
def test_the_guide_covers_the_differences_people_trip_on(activation, framework, topic):
    assert any(
        (r.activation, r.framework, r.topic) == (activation, framework, topic)
        for r in _porting.RECIPES
    )
    section = _porting.guide().split(f"\n### {activation}\n", 1)[1].split("\n### ", 1)[0]
    assert _porting.FRAMEWORKS[framework] in section


def test_every_recipe_names_a_registered_activation_and_framework():
    for recipe in _porting.RECIPES:
        assert recipe.activation in ACTIVATIONS
        assert recipe.framework in _porting.FRAMEWORKS
        assert f"{recipe.activation}" in recipe.straight
