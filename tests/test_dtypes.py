"""PyTorch's dtype rules on every backend: integer, bool and complex inputs, ``dtype=``, and
hardshrink's negative ``lambd``.

The registry declares, per activation, what integer, bool and complex arrays get (refused,
kept, promoted to float32, computed as complex); these tests hold each declaration to what
PyTorch itself does, dtype by dtype, and every backend to PyTorch's values there.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _complex import complex_mismatches, torch_paths_of
from multiact.conformance.reference import torch_function
from multiact.conformance.tolerances import judge, reference_dtype

import multiact
from conftest import DISPATCHED_TARGETS
from multiact import ACTIVATIONS, Activation, _generic

torch = pytest.importorskip("torch")

#: The torch function each activation follows for its dtype rules: its torch.nn.functional
#: function, or for the two without one, what they are (identity: torch.nn.Identity, which
#: returns its input: a clone here; exponential: torch.exp).
_OWN = {"identity": lambda t: t.clone(), "exponential": lambda t: torch.exp(t)}
INTEGERS = ("int8", "int16", "int32", "int64", "uint8")
OTHERS = ("bool", "complex64", "complex128")


def _torch_of(a: Activation):
    if a.name in _OWN:
        return _OWN[a.name]
    if a.names.torch is None:
        return None
    fn = torch_function(a)
    params = _params(a)
    if "weight" in params:
        return lambda t: fn(t, torch.tensor(params["weight"]).to(t.dtype))
    kwargs = {("dim" if k == "axis" else k): v for k, v in params.items()}
    return lambda t: fn(t, **kwargs)


def _params(a: Activation) -> dict:
    """Parameters every integer dtype holds (PyTorch refuses hardtanh's default -1 on uint8,
    which is the does-not-fit-dtype error, not a dtype rule)."""
    params = dict(a.parameterisations[0])
    if a.name == "hardtanh":
        params = {"min_val": 0.0, "max_val": 6.0}
    if a.reduces:
        params.setdefault("axis", -1)  # torch's softmax warns without a dim
    return params


def _values(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.array([[True, False, True, True]])
    if dtype.startswith("complex"):
        return np.array([[1 + 2j, -0.5 + 0.25j, 3 - 1j, -2.0 + 0j]])
    if dtype == "uint8":
        return np.array([[3, 200, 0, 7]])
    return np.array([[3, -2, 0, 7]])


def _torch_outcome(a: Activation, dtype: str) -> tuple[torch.Tensor | None, str | None]:
    """PyTorch's result for ``a`` on the dtype's sample values, or why it refused them."""
    fn = _torch_of(a)
    if fn is None:
        return None, "no PyTorch function"
    x = torch.as_tensor(_values(dtype)).to(getattr(torch, dtype))
    try:
        return fn(x), None
    except (RuntimeError, TypeError, ValueError) as error:  # NotImplementedError included
        return None, str(error).split("\n")[0]


@pytest.mark.parametrize("dtype", INTEGERS + OTHERS)
@pytest.mark.parametrize("activation", ACTIVATIONS.values(), ids=lambda a: a.name)
def test_registry_dtype_rules_are_pytorchs(activation, dtype):
    expected, refusal = _torch_outcome(activation, dtype)
    kind = "b" if dtype == "bool" else ("c" if dtype.startswith("complex") else "i")
    accepted = kind in activation.dtype_kinds
    assert accepted == (expected is not None), refusal or f"PyTorch takes {dtype}"
    if expected is None:
        return
    promoted = kind in activation.promoted_kinds
    if kind == "c":
        assert expected.dtype == getattr(torch, dtype)
    elif promoted:
        assert expected.dtype == torch.get_default_dtype()
    else:  # kept
        assert expected.dtype == getattr(torch, dtype)


def test_complex_formulas_cover_the_registry():
    complex_ones = {a.name for a in ACTIVATIONS.values() if a.complex_inputs}
    assert set(_generic.COMPLEX_FORMULAS) == complex_ones
    assert {
        a.name for a in ACTIVATIONS.values() if a.complex_inputs and a.supports_inplace
    } == _generic.COMPLEX_INPLACE


ACCEPTED = [
    pytest.param(a, dtype, id=f"{a.name}-{dtype}")
    for a in ACTIVATIONS.values()
    for dtype in (*INTEGERS, "bool")
    if ("b" if dtype == "bool" else "i") in a.dtype_kinds
]


@pytest.mark.parametrize(("activation", "dtype"), ACCEPTED)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_integer_and_bool_inputs_give_pytorchs_result(target, activation, dtype):
    expected, refusal = _torch_outcome(activation, dtype)
    assert refusal is None
    values = _values(dtype)
    params = _params(activation)
    x = target.asarray(values, dtype)
    y = target.call(activation.name, x, params)
    got = target.adapter.dtype_name(y.dtype)
    want = str(expected.dtype).rpartition(".")[2]
    assert got == want, f"{activation.name} of {dtype}: {got}, PyTorch {want}"
    actual = target.to_numpy(y)
    if not expected.is_floating_point():
        np.testing.assert_array_equal(actual, expected.numpy())
        return
    result = judge(
        activation.name,
        params,
        "forward",
        target.name,
        want,
        values.astype(np.float64),
        actual,
        expected.double().numpy(),
    )
    assert result.ok, result.message


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
@pytest.mark.parametrize("activation", ACTIVATIONS.values(), ids=lambda a: a.name)
def test_pytorch_limited_unsigned_dtypes(activation, dtype):
    # PyTorch has kernels for some activations only on uint16/32/64 tensors; where it has none
    # multiact raises its dtype error (naming the function), which code written for
    # PyTorch's error (NotImplementedError, a RuntimeError) still catches.
    x = torch.tensor([[3, 0, 7, 1]], dtype=getattr(torch, dtype))
    fn = _torch_of(activation)
    refusal = None
    try:
        expected = fn(x) if fn is not None else None
    except (RuntimeError, TypeError) as error:
        expected, refusal = None, error
    params = _params(activation)
    if "weight" in params:
        params["weight"] = torch.tensor(params["weight"])
    if expected is None:
        with pytest.raises(TypeError, match=rf"multiact\.{activation.name}: argument 'x'") as ours:
            getattr(multiact, activation.name)(x, **params)
        if refusal is not None:
            assert isinstance(ours.value, type(refusal))
        return
    y = getattr(multiact, activation.name)(x, **params)
    assert y.dtype == expected.dtype
    torch.testing.assert_close(y, expected)


# --- Complex inputs: every backend against PyTorch on a grid with special values.

_PARTS = (0.0, -0.0, 0.5, -1.0, 2.5, -4.0, 20.0, -30.0, 1e3, -1e3, np.inf, -np.inf, np.nan)
COMPLEX_GRID = np.array([complex(a, b) for a in _PARTS for b in _PARTS])
COMPLEX_ACTIVATIONS = [a for a in ACTIVATIONS.values() if a.complex_inputs]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("activation", COMPLEX_ACTIVATIONS, ids=lambda a: a.name)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_complex_inputs_give_pytorchs_result(target, activation, dtype):
    if dtype not in target.adapter.complex_dtypes:
        pytest.skip(f"{target.adapter.title} has no {dtype}")
    values = COMPLEX_GRID.astype(dtype)
    x = target.asarray(values, dtype)
    y = target.call(activation.name, x)
    assert target.adapter.dtype_name(y.dtype) == dtype
    actual = target.to_numpy(y)
    t = torch.as_tensor(values)
    paths = torch_paths_of(_torch_of(activation), t)
    bad = complex_mismatches(actual, paths, dtype)
    assert not bad.size, [(values[i], actual[i], paths[0][i]) for i in bad[:5]]


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_complex_silu_in_place(target):
    x = target.asarray(COMPLEX_GRID[:20], target.adapter.complex_dtypes[-1])
    if not target.adapter.mutable:
        with pytest.raises(TypeError, match=r"multiact\.silu: inplace=True needs a mutable"):
            multiact.silu(x, inplace=True)
        return
    expected = target.to_numpy(multiact.silu(x))
    y = multiact.silu(x, inplace=True)
    assert y is x
    np.testing.assert_array_equal(target.to_numpy(x), expected)


def test_complex_in_place_on_a_read_only_numpy_array():
    x = np.broadcast_to(np.array([1 + 1j]), (3,))
    with pytest.raises(ValueError, match=r"multiact\.silu: inplace=True was given a read-only"):
        multiact.silu(x, inplace=True)


def test_promoted_numpy_scalars():
    y = multiact.softsign(np.int8(3))
    assert type(y) is np.float32
    assert y == torch.nn.functional.softsign(torch.tensor(3, dtype=torch.int8)).item()
    assert type(multiact.sigmoid(np.bool_(True))) is np.float32


def test_complex_numpy_scalars():
    z = np.complex64(1 + 2j)
    y = multiact.sigmoid(z)
    assert type(y) is np.complex64
    np.testing.assert_allclose(y, torch.sigmoid(torch.tensor(1 + 2j)).item(), rtol=1e-6)
    with pytest.raises(TypeError, match=r"multiact\.silu: inplace=True needs a mutable array"):
        multiact.silu(z, inplace=True)


# --- dtype= on softmax, log_softmax, softmin.

WITH_DTYPE = [a for a in ACTIVATIONS.values() if a.dtype_arg]
_INPUTS = ("int32", "uint8", "bool", "float16", "float32", "float64", "complex64")
_TARGET_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _floats_of(target) -> tuple[str, ...]:
    return tuple(d for d in _TARGET_DTYPES if d in target.dtypes)


@pytest.mark.parametrize("given", ["object", "name"])
@pytest.mark.parametrize("input_dtype", _INPUTS)
@pytest.mark.parametrize("activation", WITH_DTYPE, ids=lambda a: a.name)
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_dtype_argument_casts_first_as_pytorch(target, activation, input_dtype, given):
    rng = np.random.default_rng(0)
    raw = rng.standard_normal((3, 5)) * 4
    if input_dtype.startswith("complex"):
        raw = raw + 1j * rng.standard_normal((3, 5))
    elif input_dtype == "bool":
        raw = raw > 0
    elif input_dtype.startswith("int"):
        raw = np.round(raw)
    elif input_dtype.startswith("uint"):
        raw = np.round(np.abs(raw))
    fn = torch_function(activation)
    for dtype in _floats_of(target):
        if input_dtype == "float16" and target.library == "array_api_strict":
            continue  # array-api-strict has no float16
        x = target.asarray(raw, input_dtype)
        t = torch.as_tensor(np.asarray(raw)).to(getattr(torch, input_dtype))
        spec = target.asarray(np.ones(1), dtype).dtype if given == "object" else dtype
        call = getattr(multiact, activation.name)
        if activation.name == "softmin" and input_dtype == "bool":
            # PyTorch negates x before the cast, and has no negation of bool.
            with pytest.raises(RuntimeError, match="Negation"):
                fn(t, dim=1, dtype=getattr(torch, dtype))
            with pytest.raises(TypeError, match=r"multiact\.softmin: argument 'x' must be"):
                call(x, dim=1, dtype=spec)
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = call(x, dim=1, dtype=spec)
            expected = fn(t, dim=1, dtype=getattr(torch, dtype))
            reference_in = reference_dtype(activation.name, "forward", dtype)
            if reference_in != dtype and target.library != "torch":
                # PyTorch's half-precision log_softmax is no reference (WIDENED_REFERENCES):
                # x cast to the dtype, then computed in float32 and rounded once.
                narrowed = (t.real if t.is_complex() else t).to(getattr(torch, dtype))
                expected = fn(narrowed, dim=1, dtype=getattr(torch, reference_in))
                expected = expected.to(getattr(torch, dtype))
        ours = [str(w.message) for w in caught if str(w.message).startswith("multiact.")]
        warned = input_dtype.startswith("complex") or (
            activation.name == "softmin" and input_dtype.startswith("uint")
        )
        assert len(ours) == warned, ours
        assert target.adapter.dtype_name(y.dtype) == dtype
        values = np.asarray(raw.real if np.iscomplexobj(raw) else raw, dtype=np.float64)
        result = judge(
            activation.name,
            {"axis": 1},
            "forward",
            target.name,
            dtype,
            values,
            target.to_numpy(y),
            expected.double().numpy(),
        )
        assert result.ok, f"dtype={dtype}: {result.message}"


def test_dtype_argument_warns_like_pytorch_for_complex():
    x = np.array([1 + 2j, 3 - 1j])
    with pytest.warns(UserWarning, match=r"multiact\.softmax: casting complex x to dtype"):
        y = multiact.softmax(x, dtype=np.float64)
    np.testing.assert_allclose(y, multiact.softmax(x.real))


def test_dtype_argument_accepts_pythons_float_where_pytorch_does():
    x = torch.tensor([1.0, 2.0])
    expected = torch.softmax(x, 0, dtype=float)
    assert multiact.softmax(x, dtype=float).dtype == expected.dtype == torch.float64
    assert multiact.softmax(np.array([1.0, 2.0]), dtype=float).dtype == np.float64


def test_dtype_argument_keeps_autograd():
    x = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float16, requires_grad=True)
    multiact.log_softmax(x, dtype=torch.float32).sum().backward()
    y = x.detach().clone().requires_grad_(True)
    torch.log_softmax(y, 0, dtype=torch.float32).sum().backward()
    torch.testing.assert_close(x.grad, y.grad)


def test_dtype_argument_inside_jax_jit():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    x = jnp.arange(6).reshape(2, 3)
    y = jax.jit(lambda v: multiact.softmax(v, dtype=jnp.float32))(x)
    assert y.dtype == jnp.float32
    np.testing.assert_allclose(y, multiact.softmax(np.arange(6).reshape(2, 3), dtype="float32"))


# --- hardshrink with any lambd.

_SHRINK_VALUES = np.array(
    [np.nan, -np.inf, -3.0, -1.5, -1.0, -0.5, -0.25, -0.0, 0.0, 0.25, 0.5, 1.0, 1.5, 3.0, np.inf]
)


@pytest.mark.parametrize("lambd", [-2.0, -0.5, -1e-30, -0.0, 0.0, 0.5, 1.0])
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_hardshrink_takes_any_lambd_as_pytorch(target, lambd):
    for dtype in target.dtypes:
        x = target.asarray(_SHRINK_VALUES, dtype)
        actual = target.to_numpy(multiact.hardshrink(x, lambd))
        t = torch.as_tensor(_SHRINK_VALUES).to(getattr(torch, dtype))
        expected = torch.nn.functional.hardshrink(t, lambd).double().numpy()
        # Exact: x or zero, the sign of zero included.
        np.testing.assert_array_equal(actual, expected, err_msg=dtype)
        assert (np.signbit(actual) == np.signbit(expected)).all(), dtype


def test_softshrink_refuses_a_negative_lambd_as_pytorch():
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        torch.nn.functional.softshrink(torch.ones(2), -0.5)
    with pytest.raises(ValueError, match=r"multiact\.softshrink: argument 'lambd' must be >= 0"):
        multiact.softshrink(np.ones(2), -0.5)


def test_softshrink_beyond_the_dtypes_range_on_tensors():
    # PyTorch refuses lambd past float16's max for a float16 tensor: multiact passes its
    # refusal on (refused-by-pytorch), never PyTorch's bare RuntimeError.
    x = torch.ones(2, dtype=torch.float16)
    with pytest.raises(ValueError, match=r"multiact\.softshrink: PyTorch refused the param"):
        multiact.softshrink(x, 1e6)


@pytest.mark.parametrize("threshold", [-1.85, -2.0, 1.5, 2.9, -0.5])
@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_threshold_of_integers_truncates_the_threshold_as_pytorch(target, threshold):
    # PyTorch converts the threshold to x's integer dtype first: -1.85 becomes -1, so -1 is
    # replaced (JAX compared -1 <= -1.85 in floats, found by tests/test_properties.py).
    for dtype in ("int8", "int32", "int64"):
        values = np.array([-128, -3, -2, -1, 0, 1, 2, 3, 127])
        expected = torch.nn.functional.threshold(
            torch.tensor(values, dtype=getattr(torch, dtype)), threshold, 5.7
        )
        y = multiact.threshold(target.asarray(values, dtype), threshold, 5.7)
        np.testing.assert_array_equal(target.to_numpy(y), expected.numpy(), err_msg=dtype)
