"""Bad input gets a clear error naming the function, the argument and what was expected."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from cases import REDUCING, TYPICAL, concrete

import multiact
import multiact.nn as nn
from conftest import DISPATCHED_TARGETS
from multiact import ACTIVATIONS

INTEGER_OK = [
    pytest.param(a, dict(a.parameterisations[0]), id=a.name)
    for a in ACTIVATIONS.values()
    if a.integers == "keep"
]
_KINDS = {"int32": "i", "int64": "i", "uint8": "u", "bool": "b", "complex64": "c"}
#: (activation, its parameters, a dtype it refuses, as PyTorch does: see tests/test_dtypes.py).
REFUSED = [
    pytest.param(a, dict(a.parameterisations[0]), dtype, id=f"{a.name}-{dtype}")
    for a in ACTIVATIONS.values()
    for dtype, kind in _KINDS.items()
    if kind not in a.dtype_kinds
]
_KIND_NAMES = {"f": "floating-point", "i": "signed integer", "u": "unsigned integer"}
NOT_ARRAYS = [[1.0, -2.0], (1.0,), 1.0, 3, True, "relu", None, {"x": 1}]


@pytest.mark.parametrize("x", NOT_ARRAYS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_non_arrays_are_a_type_error(activation, params, x):
    pattern = (
        rf"multiact\.{activation.name}: argument 'x' must be an array.*got .*{type(x).__name__}"
    )
    with pytest.raises(TypeError, match=pattern):
        getattr(multiact, activation.name)(x, **concrete(params, np.ones(1)))


def _spellings(x: object) -> dict[str, object]:
    """The names a cast hint may use, bound as a user of x's library would have them."""
    from array_api_compat import array_namespace

    names: dict[str, object] = {"x": x, "np": np}
    module = type(x).__module__
    if module.startswith(("jax", "jaxlib")):
        import jax.numpy as jnp

        names["jnp"] = jnp
    elif module.startswith("tensorflow"):  # no array-API namespace: the hint is TensorFlow's
        import tensorflow as tf

        names["tf"] = tf
        return names
    elif module.startswith("mlx"):
        import mlx.core as mx

        names["mx"] = mx
    names["xp"] = array_namespace(x)
    return names


@pytest.mark.parametrize(("activation", "params", "dtype"), REFUSED)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_refused_dtypes_are_a_type_error(target, activation, params, dtype):
    x = target.asarray(np.array([1, 0, 1, 0]), dtype)
    expected = " or ".join(_KIND_NAMES.get(k, k) for k in activation.dtype_kinds if k in "fiu")
    pattern = rf"multiact\.{activation.name}: argument 'x' must be a {expected}"
    with pytest.raises(TypeError, match=pattern) as refusal:
        target.call(activation.name, x, params)
    # The message ends with the fix, in x's own library; and the fix works.
    fix = re.search(
        r"; (?:cast it first, e\.g\.|to drop the imaginary part, pass) (.+)$", str(refusal.value)
    )
    assert fix is not None, str(refusal.value)
    first = fix.group(1).split(" or ")[0]
    assert target.call(activation.name, eval(first, _spellings(x)), params) is not None


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
@pytest.mark.parametrize(("activation", "params"), INTEGER_OK)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_integer_arrays_where_pytorch_takes_them(target, activation, params, dtype):
    torch = pytest.importorskip("torch")
    from multiact.conformance.reference import torch_function

    values = [3, -2, 0, 7] if dtype != "uint8" else [3, 200, 0, 7]
    limits = {**activation.defaults, **params}
    if dtype == "uint8" and any(
        limits[p.name] < 0 for p in activation.params if p.kind == "real"
    ):  # PyTorch refuses negative limits and values on unsigned integers: so does multiact
        x = target.asarray(np.array(values), dtype)
        with pytest.raises(ValueError, match=rf"multiact\.{activation.name}: .* must fit"):
            target.call(activation.name, x, params)
        return
    y = target.call(activation.name, target.asarray(np.array(values), dtype), params)
    assert target.adapter.dtype_name(y.dtype) == dtype
    t = torch.tensor(values, dtype=getattr(torch, dtype))
    if activation.names.torch is None:  # identity
        expected = t
    else:
        kwargs = {k: v for k, v in params.items()}
        expected = torch_function(activation)(t, **kwargs)
    np.testing.assert_array_equal(target.to_numpy(y), expected.numpy())


@pytest.mark.parametrize("axis", [2, -3, 10])
@pytest.mark.parametrize("activation", REDUCING)
def test_axis_out_of_range(activation, axis):
    fn = getattr(multiact, activation.name)
    pattern = rf"multiact\.{activation.name}: argument 'axis' is out of range .*-2 <= axis < 2"
    # (2, 4): even sizes, so glu's own check cannot fire first
    with pytest.raises(multiact.AxisError, match=pattern):
        fn(np.ones((2, 4)), axis=axis)
    # Catchable as NumPy users (ValueError) and PyTorch users (IndexError) expect.
    with pytest.raises(ValueError, match="out of range"):
        fn(np.ones((2, 4)), axis=axis)
    with pytest.raises(IndexError, match="argument 'dim' is out of range"):
        fn(np.ones((2, 4)), dim=axis)


@pytest.mark.parametrize(
    "activation",
    [a for a in ACTIVATIONS.values() if a.reduces and not a.halves_axis],
    ids=lambda a: a.name,
)
def test_zero_d_takes_axis_0_and_minus_1_only(activation):
    fn = getattr(multiact, activation.name)
    assert fn(np.array(2.0), axis=0).shape == ()
    assert fn(np.array(2.0), axis=-1).shape == ()
    with pytest.raises(multiact.AxisError, match="expected -1 <= axis < 1, got 1"):
        fn(np.array(2.0), axis=1)


@pytest.mark.parametrize("bad", [1.5, "0", None, True, np.array(0)])
@pytest.mark.parametrize("activation", REDUCING)
def test_axis_must_be_an_integer(activation, bad):
    with pytest.raises(
        TypeError, match=rf"multiact\.{activation.name}: argument 'axis' must be an integer"
    ):
        getattr(multiact, activation.name)(np.ones(4), axis=bad)


@pytest.mark.parametrize("activation", REDUCING)
def test_dim_alias(activation):
    fn = getattr(multiact, activation.name)
    x = np.random.default_rng(0).standard_normal((4, 6))
    np.testing.assert_array_equal(fn(x, dim=0), fn(x, axis=0))
    np.testing.assert_array_equal(fn(x, axis=0, dim=0), fn(x, axis=0))
    with pytest.raises(TypeError, match="got both 'axis'=1 and its alias 'dim'=0"):
        fn(x, axis=1, dim=0)


@pytest.mark.parametrize("bad", [True, False, "exact", "NONE", None, 1])
def test_gelu_approximate_must_be_none_or_tanh(bad):
    pattern = r"multiact\.gelu: argument 'approximate' must be 'none' or 'tanh'; got"
    with pytest.raises(ValueError, match=pattern):
        multiact.gelu(np.ones(3), approximate=bad)
    with pytest.raises(ValueError, match=r"multiact\.nn\.GELU: argument 'approximate'"):
        nn.GELU(approximate=bad)


def test_gelu_bool_error_says_what_to_write_instead():
    with pytest.raises(ValueError, match=r"write approximate='tanh'"):
        multiact.gelu(np.ones(3), approximate=True)
    with pytest.raises(ValueError, match=r"write approximate='none'"):
        multiact.gelu(np.ones(3), approximate=False)


@pytest.mark.parametrize(
    ("value", "error", "pattern"),
    [
        ("0.2", TypeError, "must be a real number; got '0.2' of type str"),
        (True, TypeError, "must be a real number; got True of type bool"),
        (float("nan"), ValueError, "must be finite; got nan"),
        (float("inf"), ValueError, "must be finite; got inf"),
    ],
)
def test_negative_slope_must_be_a_finite_real(value, error, pattern):
    with pytest.raises(error, match=rf"multiact\.leaky_relu: argument 'negative_slope' {pattern}"):
        multiact.leaky_relu(np.ones(3), negative_slope=value)
    module_pattern = rf"multiact\.nn\.LeakyReLU: argument 'negative_slope' {pattern}"
    with pytest.raises(error, match=module_pattern):
        nn.LeakyReLU(value)


def test_array_parameters_are_checked_where_constructors_take_numbers_only():
    with pytest.raises(ValueError, match=r"must be a real number or a 0-d array; got an array"):
        multiact.leaky_relu(np.ones(3), negative_slope=np.array([0.1, 0.2]))
    with pytest.raises(TypeError, match=r"nn\.LeakyReLU: argument 'negative_slope' must be a real"):
        nn.LeakyReLU(np.array(0.1))


def test_numeric_negative_slopes_of_any_real_type_are_accepted():
    x = np.array([-2.0, 1.0])
    for slope in (1, np.float32(0.5), np.int64(2)):
        np.testing.assert_array_equal(multiact.leaky_relu(x, slope), [-2.0 * float(slope), 1.0])


@pytest.mark.parametrize("bad", [1, 0, "yes", None])
def test_inplace_must_be_a_bool(bad):
    with pytest.raises(
        TypeError, match=r"multiact\.relu: argument 'inplace' must be True or False"
    ):
        multiact.relu(np.ones(3), inplace=bad)
    with pytest.raises(
        TypeError, match=r"multiact\.nn\.ReLU: argument 'inplace' must be True or False"
    ):
        nn.ReLU(inplace=bad)


@pytest.mark.parametrize("bad", [1.5, "0", True])
def test_module_dim_must_be_an_integer_or_none(bad):
    with pytest.raises(
        TypeError, match=r"multiact\.nn\.Softmax: argument 'dim' must be an integer or None"
    ):
        nn.Softmax(dim=bad)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("gelux", "'gelu'"),
        ("GELU", "'gelu'"),
        ("leakyrelu", "'leaky_relu'"),
        ("leaky-relu", "'leaky_relu'"),
        ("log_soft_max", "'log_softmax'"),
        ("swiss", "'swish'"),
    ],
)
def test_unknown_activation_name_suggests_the_one_meant(name, meant):
    pattern = f"no activation named '{name}'; did you mean {meant}\\?"
    with pytest.raises(KeyError, match=pattern):
        multiact.lookup(name)
    with pytest.raises(KeyError, match=pattern):
        multiact.vjp(name, np.ones(2), np.ones(2))


def test_an_unknown_name_far_from_every_activation_says_where_they_are_listed():
    with pytest.raises(KeyError, match=r"named 'tensorflow'; multiact\.ACTIVATIONS lists them"):
        multiact.lookup("tensorflow")


def test_vjp_suggests_the_parameter_meant():
    pattern = (
        r"multiact\.vjp\(gelu\): got an unexpected keyword argument 'approximat'; "
        r"did you mean 'approximate'\? \(gelu's parameters: approximate\)"
    )
    with pytest.raises(TypeError, match=pattern):
        multiact.vjp("gelu", np.ones(2), np.ones(2), approximat="tanh")
    with pytest.raises(TypeError, match=r"argument 'slope' \(leaky_relu's parameters"):
        multiact.vjp(multiact.leaky_relu, np.ones(2), np.ones(2), slope=0.2)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (
            lambda x: multiact.celu(x, alpha=0.0),
            ValueError,
            r"celu: argument 'alpha' must be non-zero",
        ),
        (
            lambda x: multiact.softplus(x, beta=0),
            ValueError,
            r"softplus: argument 'beta' must be non-zero",
        ),
        (
            lambda x: multiact.softshrink(x, -0.5),
            ValueError,
            r"softshrink: argument 'lambd' must be >= 0",
        ),
        (
            lambda x: multiact.squareplus(x, b=-1.0),
            ValueError,
            r"squareplus: argument 'b' must be >= 0",
        ),
        (
            lambda x: multiact.hardtanh(x, 1.0, -1.0),
            ValueError,
            r"hardtanh: argument 'min_val' must not be greater than 'max_val'; got min_val=1.0",
        ),
        (
            lambda x: multiact.rrelu(x, 0.5, 0.2),
            ValueError,
            r"rrelu: argument 'lower' must not be greater than 'upper'",
        ),
        (lambda x: multiact.threshold(x, 0.5), TypeError, r"missing 1 required positional"),
        (
            lambda x: multiact.glu(x[:3]),
            ValueError,
            r"glu: argument 'x' must have an even size along the axis to halve \(axis 0\)",
        ),
        (lambda x: multiact.glu(x[0]), ValueError, r"glu: argument 'x' must have at least one"),
        (
            lambda x: multiact.prelu(x, [0.25]),
            TypeError,
            r"prelu: argument 'weight' must be an array of the same library as x",
        ),
        (
            lambda x: multiact.prelu(x, np.array([0.25], dtype=np.float32)),
            TypeError,
            r"prelu: argument 'weight' must have x's dtype \(float64\); got float32",
        ),
        (
            lambda x: multiact.prelu(x.reshape(2, 2), np.array([0.1, 0.2, 0.3])),
            ValueError,
            r"prelu: argument 'weight' must hold 1 slope or one per channel \(axis 1 of x, 2 ",
        ),
        (
            lambda x: multiact.rrelu(x, training=True, generator="seed"),
            TypeError,
            r"rrelu: argument 'generator' must be",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_invalid_parameters_name_the_argument(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(np.array([1.0, -2.0, 3.0, -5.0]))


def test_module_constraints_fail_at_construction():
    with pytest.raises(ValueError, match=r"multiact\.nn\.CELU: argument 'alpha' must be non-zero"):
        nn.CELU(alpha=0.0)
    with pytest.raises(ValueError, match=r"multiact\.nn\.Hardtanh: argument 'min_val' must not be"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match=r"multiact\.nn\.RReLU: argument 'lower' must not be"):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(ValueError, match=r"multiact\.nn\.PReLU: argument 'num_parameters'"):
        nn.PReLU(0)


# Regressions: inputs that gave a silent wrong answer or a foreign exception.

_MISFITS = [
    ("hardtanh", {"min_val": -1.0, "max_val": 1.0}, "uint8", "min_val"),  # JAX gave 255
    ("hardtanh", {"min_val": 0.0, "max_val": 1000.0}, "int8", "max_val"),
    ("threshold", {"threshold": 5.0, "value": 300.0}, "uint8", "value"),
    ("threshold", {"threshold": 1e10, "value": 1.0}, "int32", "threshold"),
]


@pytest.mark.parametrize(("name", "params", "dtype", "argument"), _MISFITS, ids=str)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_parameters_must_fit_an_integer_dtype(target, name, params, dtype, argument):
    torch = pytest.importorskip("torch")
    x = target.asarray(np.array([3, 100, 0, 7]), dtype)
    pattern = rf"multiact\.{name}: argument '{argument}' must fit x's dtype .*{dtype}"
    with pytest.raises(ValueError, match=pattern):
        target.call(name, x, params)
    # PyTorch refuses them too.
    tensor = torch.tensor([3, 100, 0, 7], dtype=getattr(torch, dtype))
    with pytest.raises(RuntimeError, match=r"unsigned type with negative|without overflow"):
        getattr(torch.nn.functional, name)(tensor, *params.values())


def test_prelu_weight_from_another_generic_library():
    xps = pytest.importorskip("array_api_strict")
    da = pytest.importorskip("dask.array")
    pattern = r"multiact\.prelu: argument 'weight' must be an array of the same library as x"
    with pytest.raises(TypeError, match=pattern):
        multiact.prelu(xps.asarray([1.0, -2.0]), da.from_array(np.array([0.25])))
    with pytest.raises(TypeError, match=pattern):
        multiact.prelu(da.from_array(np.array([1.0, -2.0])), xps.asarray([0.25]))


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_prelu_takes_a_zero_d_weight_as_pytorch_does(target):
    x = target.asarray(np.array([[1.0, -2.0], [-4.0, 3.0]]), "float64")
    y = multiact.prelu(x, target.asarray(np.array(0.25), "float64"))
    np.testing.assert_array_equal(target.to_numpy(y), [[1.0, -0.5], [-1.0, 3.0]])


def _leaf(torch):
    return torch.tensor([1.0, -2.0], requires_grad=True)


def _inference(torch):
    with torch.inference_mode():
        return torch.tensor([1.0, -2.0])


def _expanded(torch):
    return torch.tensor([-2.0]).expand(3)


_REFUSED = [
    pytest.param(a, make, id=f"{a.name}-{make.__name__[1:]}")
    for a in ACTIVATIONS.values()
    if a.supports_inplace
    for make in (_leaf, _inference, _expanded)
    # PyTorch's threshold_ does write into an expanded view (each element gets one value).
    if (a.name, make) != ("threshold", _expanded)
]


@pytest.mark.parametrize(("activation", "make"), _REFUSED)
def test_tensors_torch_will_not_overwrite(activation, make):
    torch = pytest.importorskip("torch")
    params = dict(activation.parameterisations[0])
    pattern = rf"multiact\.{activation.name}: PyTorch refused inplace=True for this tensor: "
    with pytest.raises(ValueError, match=pattern) as ours:
        getattr(multiact, activation.name)(make(torch), **params, inplace=True)
    # Code written for PyTorch catches what PyTorch raises for the same call.
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.nn.functional, activation.name)(make(torch), **params, inplace=True)
    assert isinstance(ours.value, type(theirs.value))
    assert isinstance(ours.value, multiact.PyTorchRefusedError)


@pytest.mark.parametrize(
    ("name", "params"),
    [("threshold", {"threshold": 2.0, "value": 1e10}), ("softplus", {"beta": 1e300})],
)
def test_parameters_torch_will_not_convert(name, params):
    torch = pytest.importorskip("torch")
    x = torch.ones(3, dtype=torch.float16)
    pattern = rf"multiact\.{name}: PyTorch refused the parameters for this tensor: .*overflow"
    with pytest.raises(ValueError, match=pattern):
        getattr(multiact, name)(x, **params)


@pytest.mark.parametrize("library", ["torch", "jax.numpy"])
def test_rrelu_seed_out_of_range(library):
    lib = pytest.importorskip(library)
    with pytest.raises(ValueError, match=r"multiact\.rrelu: argument 'generator' must be a seed"):
        multiact.rrelu(lib.asarray([1.0, -2.0]), training=True, generator=2**70)


def _matrix():
    with warnings.catch_warnings():  # NumPy discourages np.matrix, which is the point here
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix([[1.0, -2.0]])


@pytest.mark.parametrize("make", [lambda: np.ma.array([1.0, -2.0], mask=[0, 1]), _matrix])
def test_numpy_subclasses_that_would_lose_their_meaning(make):
    x = make()
    pattern = rf"multiact\.gelu: argument 'x' must be an array; numpy\.\w*\.?{type(x).__name__}"
    with pytest.raises(TypeError, match=pattern):
        multiact.gelu(x)


def test_jax_float8_is_an_unsupported_dtype():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match=r"multiact\.gelu: argument 'x' must be a floating-point"):
        multiact.gelu(jnp.ones(3, dtype=jnp.float8_e4m3fn))


def test_module_axis_errors_say_dim():
    with pytest.raises(IndexError, match=r"multiact\.softmax: argument 'dim' is out of range"):
        nn.Softmax(dim=5)(np.ones((2, 2)))
