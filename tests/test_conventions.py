"""multiact.get and multiact.nn.get against the libraries whose names they resolve.

Every name of every convention (Transformers' ACT2FN, timm, Keras 3, Flax, jax.nn) is called
through the library itself, where it is installed, and through multiact on NumPy, PyTorch and
JAX arrays, forward on a grid with extreme values, +-0, +-inf and NaN, in float32 and float64:
the two must agree within the conformance tolerances (``conformance.tolerances.TOLERANCES``),
NaN with NaN and an infinity with the same infinity. For the PyTorch-based libraries the
gradient through torch autograd is compared too. The tables must list every name the library
has, and a wrong entry planted in a table must make the comparison fail.

The checks that need no library (every entry resolves, errors) run everywhere.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Callable

import numpy as np
import pytest

import multiact
from multiact import _conventions
from multiact._conventions import CONVENTIONS, Meaning

os.environ.setdefault("KERAS_BACKEND", "numpy")

#: (rtol, atol) of the conformance suite, torch.testing.assert_close's defaults.
TOLERANCES = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}

#: The grid: both zeros, tiny and huge magnitudes, the kinks of the zoo's activations
#: (-3, -2, 0, 3, +-10 for gelu_10's clip), infinities and NaN.
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 1e30, -1e30, 1e300, -1e300]
KINKS = [-10.0, 10.0, -3.0, 3.0, -2.0, 2.0, 1.0, -1.0, 6.0, -6.0, 0.5, -0.5, -1e-6]


def _grid(dtype: str, reduces: bool = False) -> np.ndarray:
    """Every value above, elementwise; for the functions of an axis (softmax, glu, ...),
    the finite ones in rows of 4 (a NaN or an infinity would decide its whole row)."""
    x = np.concatenate([SPECIAL, KINKS, np.linspace(-12, 12, 241), [-40.0, 25.0, 90.0, -90.0]])
    if reduces:
        x = x[np.isfinite(x) & (np.abs(x) < 1e3)]
        x = x[: len(x) // 4 * 4].reshape(-1, 4)
    with np.errstate(over="ignore"):
        return x.astype(dtype)


# --- The libraries, by how each calls a name.


@functools.cache
def _load_timm_create_act() -> types.ModuleType | None:
    """timm.layers.create_act, timm's name tables and activations.

    ``import timm`` imports torchvision, whose wheel must match the installed torch build;
    where it is missing or does not match (a CPU torch beside a CUDA torchvision raises
    RuntimeError), create_act and the modules it imports (activations, activations_me,
    config, typing: torch only) are loaded from timm's own files, without the package's
    ``__init__``.
    """
    if importlib.util.find_spec("timm") is None:
        return None
    try:
        return importlib.import_module("timm.layers.create_act")
    except (ImportError, RuntimeError):
        pass  # torchvision missing or built for another torch
    spec = importlib.util.find_spec("timm")
    root = os.path.dirname(spec.origin)
    for name in [k for k in sys.modules if k == "timm" or k.startswith("timm.")]:
        del sys.modules[name]
    for package, path in (("timm", root), ("timm.layers", os.path.join(root, "layers"))):
        module = types.ModuleType(package)
        module.__path__ = [path]
        sys.modules[package] = module
    return importlib.import_module("timm.layers.create_act")


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _library_function(convention: str, name: str) -> Callable | None:
    """The library's own function of a torch tensor / JAX array / NumPy array for ``name``,
    or None where the library is not installed."""
    if convention == "transformers":
        activations = _import("transformers.activations")
        return None if activations is None else activations.ACT2FN[name]
    if convention == "timm":
        create_act = _load_timm_create_act()
        return None if create_act is None else create_act.get_act_layer(name)()
    if convention == "keras":
        keras = _import("keras")
        return None if keras is None else keras.activations.get(name)
    if convention == "jax":
        jax_nn = _import("jax.nn")
        return None if jax_nn is None else getattr(jax_nn, name)
    if convention == "flax":
        linen = _import("flax.linen")
        if linen is None:
            return None
        if name == "PReLU":
            return _flax_prelu(linen)
        return getattr(linen, name)
    raise AssertionError(convention)


def _flax_prelu(linen) -> Callable:
    import jax

    layer = linen.PReLU()

    def apply(x):
        params = layer.init(jax.random.key(0), x)
        return layer.apply(params, x)

    return apply


#: convention -> the array library the library computes on.
ON = {"transformers": "torch", "timm": "torch", "keras": "numpy", "jax": "jax", "flax": "jax"}

LIBRARY_CASES = [
    pytest.param(convention, name, id=f"{convention}-{name}")
    for convention in ON
    for name in CONVENTIONS[convention]
]


def _to(library: str, x: np.ndarray):
    if library == "numpy":
        return x
    if library == "torch":
        torch = pytest.importorskip("torch")
        return torch.from_numpy(x.copy())
    jnp = pytest.importorskip("jax.numpy")
    return jnp.asarray(x)


def _numpy(y) -> np.ndarray:
    if hasattr(y, "detach"):
        y = y.detach().cpu()
    return np.asarray(y)


def _library_values(convention: str, name: str, x: np.ndarray) -> np.ndarray:
    function = _library_function(convention, name)
    if function is None:
        pytest.skip(f"{convention} is not installed")
    if ON[convention] == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    if ON[convention] == "torch" and x.dtype == np.float64:
        torch = pytest.importorskip("torch")
        if isinstance(function, torch.nn.Module) and any(
            p.dtype == torch.float32 for p in function.parameters()
        ):
            # torch.nn.PReLU's float32 weight refuses a float64 input: the model is
            # converted, as model.double() does.
            function = function.double()
    if convention == "keras":
        import keras

        # Keras computes in its floatx whatever the input's dtype: float64 needs it set.
        floatx = keras.config.floatx()
        keras.config.set_floatx(str(x.dtype))
        try:
            with np.errstate(all="ignore"):
                return _numpy(function(x))
        finally:
            keras.config.set_floatx(floatx)
    with np.errstate(all="ignore"):
        return _numpy(function(_to(ON[convention], x)))


def _mismatch(
    expected: np.ndarray,
    actual: np.ndarray,
    dtype: str,
    x: np.ndarray | None = None,
    differs_at: tuple[str, ...] = (),
) -> str | None:
    """None where ``actual`` is ``expected`` within the tolerance, NaN at NaN and the same
    infinities, except at the special inputs ``differs_at`` of ``x``; else where and how
    they differ."""
    rtol, atol = TOLERANCES[dtype]
    e, a = expected.astype(float).ravel(), actual.astype(float).ravel()
    same_special = (np.isnan(e) == np.isnan(a)) & (np.isinf(e) == np.isinf(a))
    same_special &= ~np.isinf(e) | (e == a)
    finite = np.isfinite(e) & np.isfinite(a)
    with np.errstate(invalid="ignore", over="ignore"):
        close = ~finite | (np.abs(e - a) <= atol + rtol * np.abs(e))
    bad = ~(same_special & close)
    if differs_at:
        xs = np.asarray(x, dtype=float).ravel()
        for special in differs_at:
            if special == "overflow":
                bad &= ~(np.isfinite(xs) & (np.abs(xs) >= 1e30))
                continue
            value = float(special)
            bad &= ~(np.isnan(xs) if value != value else xs == value)
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad)[0])
    return f"{bad.sum()} values differ, first at index {i}: library {e[i]!r}, multiact {a[i]!r}"


def _compare(convention: str, name: str, dtype: str, library: str) -> str | None:
    m = _conventions.meaning("get", name, convention)
    x = _grid(dtype, multiact.ACTIVATIONS[m.activation].reduces)
    expected = _library_values(convention, name, x)
    actual = _numpy(multiact.get(name, convention=convention)(_to(library, x)))
    assert actual.dtype == expected.dtype == np.dtype(dtype)
    return _mismatch(expected, actual, dtype, x, m.differs_at)


@pytest.mark.parametrize("library", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("convention", "name"), LIBRARY_CASES)
def test_forward_matches_the_library(convention, name, dtype, library):
    if convention == "keras" and name == "threshold":
        pytest.skip("keras' threshold has no defaults: see test_keras_threshold_arguments")
    if convention == "keras" and dtype == "float64":
        pytest.skip("Keras computes its activations in float32 whatever the input's dtype")
    if convention == "keras" and name == "sparsemax":
        # Keras 3.15's NumPy-backend sparsemax: [0, 0, 0.14, 0.57] for x = [-1, -0.57, -0.14,
        # 0.29], which does not sum to 1 (the projection is [0, 0, 0.29, 0.71], multiact's).
        pytest.xfail("keras.activations.sparsemax is wrong on the NumPy backend")
    assert _compare(convention, name, dtype, library) is None


def test_keras_threshold_arguments():
    keras = pytest.importorskip("keras")
    x = _grid("float64")
    with np.errstate(all="ignore"):
        expected = _numpy(keras.activations.threshold(x, threshold=0.5, default_value=-3.0))
    actual = multiact.get("threshold", convention="keras")(x, threshold=0.5, default_value=-3.0)
    # Keras computes it in float32 (its floatx).
    with np.errstate(over="ignore"):
        actual = actual.astype(expected.dtype)
    differs_at = CONVENTIONS["keras"]["threshold"].differs_at
    assert _mismatch(expected, actual, str(expected.dtype), x, differs_at) is None


TORCH_LIBRARIES = [case for case in LIBRARY_CASES if case.values[0] in ("transformers", "timm")]


@pytest.mark.parametrize(("convention", "name"), TORCH_LIBRARIES)
def test_gradient_matches_the_library(convention, name):
    # Away from the extremes, where the libraries' formulas give inf * 0 in their backward
    # (gelu_new's tanh at 1e30); kinks, zeros and NaN included.
    torch = pytest.importorskip("torch")
    function = _library_function(convention, name)
    if function is None:
        pytest.skip(f"{convention} is not installed")
    x = np.concatenate([[0.0, -0.0, np.nan], KINKS, np.linspace(-12, 12, 241)])

    def grad(f) -> np.ndarray:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(f(t).sum(), t)
        return g.numpy()

    ours = multiact.get(name, convention=convention)
    m = CONVENTIONS[convention][name]
    if any(p.dtype == torch.float32 for p in getattr(function, "parameters", list)()):
        function = function.double()
    assert _mismatch(grad(function), grad(ours), "float64", x, m.differs_at) is None


# --- Every name the libraries have is in the tables.


def test_transformers_names_are_all_in_the_table():
    activations = pytest.importorskip("transformers.activations")
    assert set(activations.ACT2CLS) == set(CONVENTIONS["transformers"])


def test_timm_names_are_all_in_the_table():
    create_act = _load_timm_create_act()
    if create_act is None:
        pytest.skip("timm is not installed")
    names = set(create_act._ACT_LAYER_DEFAULT) | set(create_act._ACT_FN_DEFAULT)
    assert names == set(CONVENTIONS["timm"])


def test_timm_functions_match_the_layers():
    # get_act_fn's functions (the memory-efficient hard_mish among them) are the layers'.
    create_act = _load_timm_create_act()
    if create_act is None:
        pytest.skip("timm is not installed")
    torch = pytest.importorskip("torch")
    x = _grid("float64")
    for name in create_act._ACT_FN_DEFAULT:
        expected = _numpy(create_act.get_act_fn(name)(torch.from_numpy(x.copy())))
        m = CONVENTIONS["timm"][name]
        actual = multiact.get(name, convention="timm")(x)
        assert _mismatch(expected, actual, "float64", x, m.differs_at) is None, name


def test_keras_names_are_all_in_the_table():
    pytest.importorskip("keras")
    from keras.src.activations import ALL_OBJECTS_DICT

    assert set(ALL_OBJECTS_DICT) == set(CONVENTIONS["keras"])


#: jax.nn's public callables that are not activations of x.
JAX_NOT_ACTIVATIONS = {
    "dot_product_attention",
    "get_scaled_dot_general_config",
    "logmeanexp",
    "logsumexp",
    "one_hot",
    "scaled_dot_general",
    "scaled_matmul",
    "standardize",
}


def test_jax_names_are_all_in_the_table():
    jax_nn = pytest.importorskip("jax.nn")
    names = {
        n
        for n in dir(jax_nn)
        if not n.startswith("_") and callable(getattr(jax_nn, n)) and n != "initializers"
    }
    assert names - JAX_NOT_ACTIVATIONS == set(CONVENTIONS["jax"])


def test_flax_names_are_all_in_the_table():
    pytest.importorskip("flax")
    from flax.linen import activation

    jax_nn = pytest.importorskip("jax.nn")
    names = {
        n
        for n in dir(activation)
        if getattr(jax_nn, n, None) is getattr(activation, n) and n in CONVENTIONS["jax"]
    }
    assert names | {"PReLU"} == set(CONVENTIONS["flax"])


# --- A planted wrong entry fails.

PLANTED = [
    ("transformers", "gelu_new", Meaning("gelu", {"approximate": "none"}), "float32"),
    ("transformers", "gelu", Meaning("gelu", {"approximate": "tanh"}), "float32"),
    ("transformers", "gelu_10", Meaning("gelu", {"approximate": "none"}), "float64"),
    ("transformers", "quick_gelu", Meaning("silu"), "float32"),
    ("timm", "hard_mish", Meaning("mish"), "float32"),
    ("keras", "leaky_relu", Meaning("leaky_relu", {"negative_slope": 0.01}), "float32"),
    ("jax", "gelu", Meaning("gelu", {"approximate": "none"}), "float32"),
    ("flax", "gelu", Meaning("gelu", {"approximate": "none"}), "float64"),
    ("flax", "PReLU", Meaning("prelu", init={"num_parameters": 1, "init": 0.25}), "float32"),
]


@pytest.mark.parametrize(
    ("convention", "name", "wrong", "dtype"),
    PLANTED,
    ids=[f"{c}-{n}" for c, n, _, _ in PLANTED],
)
def test_a_planted_wrong_mapping_fails(monkeypatch, convention, name, wrong, dtype):
    if _library_function(convention, name) is None:
        pytest.skip(f"{convention} is not installed")
    assert _compare(convention, name, dtype, "numpy") is None
    table = dict(CONVENTIONS[convention])
    table[name] = wrong
    monkeypatch.setattr(_conventions, "CONVENTIONS", {**CONVENTIONS, convention: table})
    assert _compare(convention, name, dtype, "numpy") is not None


# --- Without the libraries: every entry resolves, and the errors.

ALL_CASES = [
    pytest.param(convention, name, id=f"{convention}-{name}")
    for convention, table in CONVENTIONS.items()
    for name in table
]


@pytest.mark.parametrize(("convention", "name"), ALL_CASES)
def test_every_name_resolves_to_a_function_and_a_module(convention, name):
    m = CONVENTIONS[convention][name]
    assert m.activation in multiact.ACTIVATIONS
    fn = multiact.get(name, convention=convention)
    module = multiact.nn.get(name, convention=convention, **_required(convention, name))
    assert isinstance(module, multiact.nn.Module)
    assert module._activation == m.activation
    x = np.linspace(-4, 4, 12).reshape(3, 4)
    arguments = _required(convention, name)
    if convention == "torch" and m.activation == "prelu":
        arguments = {"weight": np.array([0.25])}  # torch.nn.PReLU()'s initial weight
    y = fn(x, **arguments)
    assert y.shape == (x.shape if m.activation != "glu" else (3, 2))
    if m.activation == "rrelu":
        module = module.eval()  # the function's default, training=False
    if convention == "torch" and m.activation == "xielu":
        return  # nn.XIELU is Transformers' module: bfloat16-rounded coefficients
    np.testing.assert_array_equal(module(x), y)


def _required(convention: str, name: str) -> dict:
    """The arguments a name has no default for: Keras' threshold's, PyTorch's threshold's and
    prelu's weight."""
    if convention == "keras" and name == "threshold":
        return {"threshold": 0.5, "default_value": -1.0}
    if convention == "torch" and name == "threshold":
        return {"threshold": 0.5, "value": -1.0}
    return {}


def test_torch_convention_is_multiact_itself():
    for a in multiact.ACTIVATIONS.values():
        for name in (a.name, *a.aliases):
            assert CONVENTIONS["torch"][name].activation == a.name
            assert CONVENTIONS["torch"][name].params == {}


def test_the_same_name_means_different_functions():
    x = np.array([-3.0, -1.0, 0.5, 2.0])
    assert not np.array_equal(
        multiact.get("gelu", convention="jax")(x), multiact.get("gelu", convention="keras")(x)
    )
    np.testing.assert_array_equal(
        multiact.get("gelu", convention="jax")(x), multiact.gelu(x, approximate="tanh")
    )
    np.testing.assert_array_equal(
        multiact.get("leaky_relu", convention="keras")(x), multiact.leaky_relu(x, 0.2)
    )
    assert multiact.nn.get("PReLU", convention="flax").init == 0.01
    assert multiact.nn.get("prelu", convention="timm").init == 0.25


def test_library_arguments_override_the_defaults():
    x = np.array([-2.0, 1.0])
    np.testing.assert_array_equal(
        multiact.get("leaky_relu", convention="keras")(x, negative_slope=0.5), [-1.0, 1.0]
    )
    np.testing.assert_array_equal(
        multiact.get("gelu", convention="jax")(x, approximate=False), multiact.gelu(x)
    )
    np.testing.assert_array_equal(
        multiact.get("hard_shrink", convention="keras")(x, threshold=1.5), [-2.0, 0.0]
    )
    with pytest.raises(TypeError, match=r"multiact\.get: unexpected argument 'lambd'"):
        multiact.get("hard_shrink", convention="keras")(x, lambd=1.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: multiact.get("gelu_neww", convention="transformers"),
            r"multiact\.get: argument 'name' must be an activation name of the 'transformers' "
            r"convention; got 'gelu_neww'; close names: 'gelu_new'",
        ),
        (
            lambda: multiact.get("gelu_new"),
            r"got 'gelu_new'; close names: 'gelu'; 'gelu_new' is a name of transformers$",
        ),
        (
            lambda: multiact.get("gelu", convention="pytorch"),
            r"multiact\.get: argument 'convention' must be one of torch, jax, flax, keras, "
            r"transformers, timm; got 'pytorch'; close names: 'torch'",
        ),
        (
            lambda: multiact.nn.get("PRelu", convention="flax"),
            r"multiact\.nn\.get: argument 'name' .* close names: 'PReLU'",
        ),
    ],
)
def test_unknown_names_and_conventions_list_the_close_ones(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_timm_names_are_case_insensitive_as_in_timm():
    assert multiact.get("GELU_Tanh", convention="timm").meaning.params == {"approximate": "tanh"}
    with pytest.raises(ValueError, match="close names: 'gelu'"):
        multiact.get("GELU", convention="transformers")
