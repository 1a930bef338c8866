"""The public API is derived from the registry, and matches PyTorch's names and defaults."""

from __future__ import annotations

import inspect
import types
import warnings

import pytest
from cases import DEFAULTS, VARIANTS
from multiact.backends import NATIVE_BACKENDS

import multiact
import multiact.nn as nn
from multiact import ACTIVATIONS, _codegen
from multiact._dispatch import backend_module

BACKENDS = [*(b.name for b in NATIVE_BACKENDS), "generic"]


@pytest.mark.parametrize("activation", DEFAULTS)
def test_public_function_signature_comes_from_the_registry(activation):
    signature = inspect.signature(getattr(multiact, activation.name))
    empty = inspect.Parameter.empty
    expected = [("x", empty)] + [
        (p.name, empty if p.required else p.default) for p in activation.params
    ]
    if activation.reduces:
        expected.append(("dim", None))
    if activation.dtype_arg:
        expected.append(("dtype", None))
    assert sorted((p.name, p.default) for p in signature.parameters.values()) == sorted(expected)
    keyword_only = [
        p.name for p in signature.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    generators = [p.name for p in activation.params if p.kind == "generator"]
    assert keyword_only == generators + (["dim"] if activation.reduces else []) + (
        ["dtype"] if activation.dtype_arg else []
    )


@pytest.mark.parametrize("activation", DEFAULTS)
def test_dtype_argument_where_pytorch_has_it(activation):
    # torch.nn.functional.softmax(input, dim=None, _stacklevel=3, dtype=None): multiact takes
    # dtype= exactly where PyTorch's function has it (its torch.nn modules have none).
    torch = pytest.importorskip("torch")
    if activation.names.torch is None:
        assert not activation.dtype_arg
        return
    torch_fn = getattr(torch.nn.functional, activation.names.torch.rpartition(".")[2])
    try:
        torch_params = inspect.signature(torch_fn).parameters
    except ValueError:  # a C builtin (F.gelu): none of those takes dtype
        torch_params = {}
    assert ("dtype" in torch_params) == activation.dtype_arg


WITH_TORCH = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if a.names.torch]
WITH_TORCH_MODULE = [
    pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if a.names.torch_module
]
#: torch.nn.Hardtanh's deprecated aliases of min_val/max_val, which multiact does not copy.
DEPRECATED_TORCH_PARAMS = {"min_value", "max_value"}


@pytest.mark.parametrize("activation", WITH_TORCH)
def test_function_defaults_match_pytorch(activation):
    torch = pytest.importorskip("torch")
    assert activation.names.torch.startswith("torch.nn.functional.")
    torch_fn = getattr(torch.nn.functional, activation.names.torch.rpartition(".")[2])
    try:
        torch_defaults = {n: p.default for n, p in inspect.signature(torch_fn).parameters.items()}
    except ValueError:  # a C builtin (F.gelu): read the defaults off the torch.nn module
        module = getattr(torch.nn, activation.module)()
        torch_defaults = {
            p.name: getattr(module, p.name) for p in activation.params if hasattr(module, p.name)
        }
    for param in activation.params:
        if param.kind in ("axis", "generator", "array"):
            # torch: no default dim (None is "implicit"; multiact: -1), no generator; prelu's
            # weight is required in both
            continue
        expected = inspect.Parameter.empty if param.required else param.default
        assert torch_defaults[param.name] == expected, param.name


@pytest.mark.parametrize("activation", WITH_TORCH_MODULE)
def test_module_signature_matches_torch_nn(activation):
    torch = pytest.importorskip("torch")
    ours = inspect.signature(getattr(nn, activation.module)).parameters
    theirs = inspect.signature(getattr(torch.nn, activation.module)).parameters
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    assert [(p.name, p.default) for p in ours.values()] == [
        (p.name, p.default)
        for p in theirs.values()
        if p.kind not in variadic and p.name not in DEPRECATED_TORCH_PARAMS
    ]


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_module_repr_matches_torch_nn(activation, params):
    torch = pytest.importorskip("torch")
    if activation.names.torch_module is None or activation.name == "prelu":
        pytest.skip("no torch.nn module, or a constructor that is not the function's parameters")
    kwargs = {("dim" if k == "axis" else k): v for k, v in params.items()}
    ours = getattr(nn, activation.module)(**kwargs)
    theirs = getattr(torch.nn, activation.module)(**kwargs)
    assert repr(ours) == repr(theirs)
    if activation.supports_inplace:
        assert repr(getattr(nn, activation.module)(**kwargs, inplace=True)) == repr(
            getattr(torch.nn, activation.module)(**kwargs, inplace=True)
        )


@pytest.mark.parametrize("activation", WITH_TORCH_MODULE)
def test_module_attributes_have_pytorchs_names(activation):
    torch = pytest.importorskip("torch")
    kwargs = {
        ("dim" if k == "axis" else k): v
        for k, v in dict(activation.parameterisations[0]).items()
        if not isinstance(v, tuple)
    }
    ours = getattr(nn, activation.module)(**kwargs)
    theirs = getattr(torch.nn, activation.module)(**kwargs)
    for param in activation.params:
        if param.kind in ("array", "generator") or param.name == "training":
            continue
        name = "dim" if param.kind == "axis" else param.name
        assert getattr(ours, name) == getattr(theirs, name)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", DEFAULTS)
def test_every_backend_has_the_same_kernel_signature(activation, backend):
    pytest.importorskip({"generic": "array_api_compat"}.get(backend, backend))
    kernel = getattr(backend_module(backend), activation.name)
    if inspect.isbuiltin(kernel) or isinstance(kernel, types.MethodDescriptorType):
        # The framework's own function or method bound directly (torch.Tensor.sigmoid): only
        # for kernels of x alone, which the public function calls with x alone.
        assert not activation.params
        return
    names = list(inspect.signature(kernel).parameters)
    assert names == ["x", *(p.name for p in activation.params)]
    assert all(
        p.default is inspect.Parameter.empty for p in inspect.signature(kernel).parameters.values()
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_defines_exactly_the_registry(backend):
    pytest.importorskip({"generic": "array_api_compat"}.get(backend, backend))
    module = backend_module(backend)
    assert backend == module.NAME
    for activation in ACTIVATIONS.values():
        assert callable(getattr(module, activation.name)), activation.name


def test_aliases_are_the_same_objects():
    for activation in ACTIVATIONS.values():
        for alias in activation.aliases:
            assert getattr(multiact, alias) is getattr(multiact, activation.name)


def test_public_names_are_exported():
    for activation in ACTIVATIONS.values():
        assert activation.name in multiact.__all__
        assert activation.module in nn.__all__
        for alias in activation.aliases:
            assert alias in multiact.__all__
        if activation.inplace_variant:
            assert f"{activation.name}_" in multiact.__all__


def test_derivative_for_every_activation():
    from multiact import _derivatives

    for activation in ACTIVATIONS.values():
        names = list(inspect.signature(getattr(_derivatives, activation.name)).parameters)
        assert names == ["x", "y", "g", "xp", *(p.name for p in activation.math_params)]


@pytest.mark.parametrize("filename", sorted(_codegen.OUTPUTS))
def test_generated_files_are_up_to_date(filename):
    path = inspect.getfile(multiact).rpartition("/")[0] + "/" + filename
    with open(path) as f:
        committed = f.read()
    assert committed == _codegen.OUTPUTS[filename](), (
        f"multiact/{filename} is stale: run `python -m multiact._codegen`"
    )


def test_softmax_module_without_dim_follows_pytorchs_legacy_rule():
    torch = pytest.importorskip("torch")
    import numpy as np

    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    for name in ("Softmax", "LogSoftmax", "Softmin"):
        with pytest.warns(UserWarning, match=rf"multiact\.nn\.{name}: implicit dimension choice"):
            ours = getattr(nn, name)()(x)
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            theirs = getattr(torch.nn, name)()(torch.tensor(x))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)


def test_dir_shows_the_public_api_and_nothing_else():
    names = dir(multiact)
    assert {"vjp", "nn", "gelu", "lookup", "ACTIVATIONS", "__version__"} <= set(names)
    modules = {n for n in names if type(getattr(multiact, n)).__name__ == "module"}
    subpackages = {"nn", "backends", "conformance", "torch", "flax", "keras", "equinox"}
    assert modules <= subpackages | {"testing", "pytest_plugin"}
    assert set(names) - modules == {*multiact.__all__, "__version__"} - {"nn"}
    assert "annotations" not in names
    assert not [n for n in names if n.startswith("_") and n != "__version__"]
    for name in names:  # and every name shown is there (vjp and nn load on first use)
        assert getattr(multiact, name) is not None
    assert set(dir(nn)) == set(nn.__all__)
    assert not {"ArrayT", "Literal", "annotations", "_checks"} & set(dir(nn))
    namespace: dict[str, object] = {}
    exec("from multiact.nn import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(nn.__all__)


@pytest.mark.parametrize(
    "family",
    ["multiact.torch.nn", "multiact.flax.nnx", "multiact.equinox", "multiact.keras.layers"],
)
def test_dir_of_each_module_family_shows_its_classes_only(family):
    import importlib

    pytest.importorskip(family.split(".")[1].replace("flax", "flax.nnx"))
    module = importlib.import_module(family)
    assert set(dir(module)) == set(module.__all__)
    assert not {"Any", "ClassVar", "annotations", "_families"} & set(dir(module))


def _warning_of(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    assert len(caught) == 1, [str(w.message) for w in caught]
    return caught[0]


@pytest.mark.parametrize("how", ["call", "forward"])
@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
def test_the_implicit_dim_warning_points_at_the_callers_line(name, how):
    import numpy as np

    module = getattr(nn, name)()
    call = module if how == "call" else module.forward
    line = inspect.currentframe().f_lineno + 1
    caught = _warning_of(lambda: call(np.ones(3)))
    assert (caught.filename, caught.lineno) == (__file__, line)


@pytest.mark.parametrize("library", ["numpy", "torch", "jax.numpy"])
def test_the_complex_cast_warning_points_at_the_callers_line(library):
    lib = pytest.importorskip(library)
    x = lib.asarray([1 + 2j, 3 - 1j])
    line = inspect.currentframe().f_lineno + 1
    caught = _warning_of(lambda: multiact.softmax(x, dim=0, dtype="float32"))
    assert "discards the imaginary part" in str(caught.message)
    assert (caught.filename, caught.lineno) == (__file__, line)
