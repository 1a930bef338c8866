"""Property-based tests (Hypothesis): random calls either match PyTorch or raise the documented
error, on every backend, and never mutate their input.

Each example draws a shape (0-d, empty, small, or a larger one), a dtype the backend has
(integers too, where PyTorch computes in them), values mixing ordinary numbers with the
special ones (+-0, +-inf, NaN, subnormals, the dtype's max), and parameters from the
activation's registry declaration (``Param``: kind, constraint, order), invalid ones
included. A valid call must return the input's array type, dtype and shape, within the
conformance suite's tolerance of PyTorch (``conformance.tolerances.judge``: the same tolerance
table and documented known differences; mpmath's exact value where PyTorch has no such
function). An invalid call must raise the error docs/errors.md documents for it.

The budget is fixed (``max_examples`` per test) and the search derandomized, so CI runs the
same examples every time; no example database is written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pytest
from cases import exact_reference, output_shape
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from multiact.conformance.reference import (
    as_dtype_values,
    torch_function,
    torch_paths,
    torch_reference,
)
from multiact.conformance.targets import TARGETS, Target
from multiact.conformance.tolerances import compare, judge

import multiact
from multiact import ACTIVATIONS, Activation

pytest.importorskip("torch")  # the reference

#: Fixed budget, fixed examples: the whole module runs in well under a minute on 2 cores.
PROPERTIES = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    # No shrinking: on arrays of hundreds of elements it can take minutes; the failing
    # example is reported as drawn.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = ("numpy", "torch", "jax", "array-api-strict")
BACKENDS = [
    pytest.param(t, id=t.name, marks=pytest.mark.skipif(not t.available(), reason="missing"))
    for t in TARGETS
    if t.name in NAMES
]
ACTIVATION_PARAMS = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values()]

_MAX = {
    "float16": 65504.0,
    "bfloat16": 3.3895313892515355e38,
    "float32": 3.4028234663852886e38,
    "float64": 1.7976931348623157e308,
}
_TINY = {"float16": 2.0**-24, "bfloat16": 2.0**-133, "float32": 2.0**-149, "float64": 5e-324}
_INTEGERS = ("int8", "uint8", "int32", "int64")


# ----------------------------------------------------------------------------------------------
# Strategies


def _shapes(activation: Activation) -> st.SearchStrategy[tuple[int, ...]]:
    small = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)
    # One larger shape: blocked NumPy kernels and vectorised loops take another path there.
    larger = st.sampled_from([(257,), (3, 130)])
    if activation.names.torch is None:
        return small  # the exact reference costs an mpmath evaluation per element
    return st.one_of(small, small, larger)


def _float_values(dtype: str) -> st.SearchStrategy[float]:
    big, tiny = _MAX[dtype], _TINY[dtype]
    special = st.sampled_from(
        [0.0, -0.0, math.inf, -math.inf, math.nan, big, -big, tiny, -tiny, 4 * tiny, 1.0, -1.0]
    )
    ordinary = st.floats(-30.0, 30.0, allow_nan=False)
    wide = st.floats(allow_nan=False, allow_infinity=False, width=64)
    return st.one_of(ordinary, ordinary, special, wide)


def _integer_values(dtype: str) -> st.SearchStrategy[int]:
    info = np.iinfo(dtype)
    return st.one_of(st.integers(-20, 20), st.sampled_from([int(info.min), int(info.max), 0]))


def _real(param) -> st.SearchStrategy[float]:
    """A real parameter: mostly valid for its constraint, sometimes not (or not finite)."""
    valid = {
        None: st.floats(-4.0, 4.0),
        "nonnegative": st.floats(0.0, 4.0),
        "positive": st.floats(0.01, 4.0),
        "nonzero": st.floats(0.05, 4.0) | st.floats(-4.0, -0.05),
    }[param.constraint]
    invalid = st.sampled_from([math.nan, math.inf, -1.0 if param.constraint else 2.0**70, 0.0])
    return st.one_of(valid, valid, valid, valid, invalid)


@dataclass
class Call:
    activation: Activation
    dtype: str
    values: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def integer(self) -> bool:
        return self.dtype in _INTEGERS


@st.composite
def calls(draw, activation: Activation, target: Target) -> Call:
    dtypes = list(target.dtypes)
    if activation.integers == "keep":
        dtypes += [
            d for d in _INTEGERS if not (target.library == "array_api_strict" and d == "int64")
        ]
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(_shapes(activation))
    size = math.prod(shape)
    if dtype in _INTEGERS:
        values = np.array(draw(st.lists(_integer_values(dtype), min_size=size, max_size=size)))
        values = values.astype(dtype).reshape(shape)
    else:
        raw = draw(st.lists(_float_values(dtype), min_size=size, max_size=size))
        values = as_dtype_values(np.array(raw, dtype=np.float64).reshape(shape), dtype)
    params = {}
    for p in activation.params:
        if p.kind == "real" and (activation.name, p.name) == ("celu", "alpha"):
            # A negative alpha makes exp(x / alpha) grow, and the float32 rounding of alpha
            # (PyTorch's) is then amplified |x / alpha| times: at x = -184.6, alpha = -2.2,
            # PyTorch and multiact are both ~5 ppm from the exact value and 119 ULP apart. A
            # conditioning limit of float32, not a difference to test: positive alphas only.
            params[p.name] = draw(st.floats(0.05, 4.0) | st.just(0.0))
        elif p.kind == "real":
            params[p.name] = draw(_real(p))
        elif p.kind == "choice":
            params[p.name] = draw(st.sampled_from(p.choices))
        elif p.kind == "axis":
            ndim = max(len(shape), 1)
            params[p.name] = draw(st.integers(-ndim - 1, ndim))
        elif p.kind == "array":  # prelu's weight: one slope, one per channel, or a wrong count
            channels = shape[1] if len(shape) >= 2 else 1
            count = draw(st.sampled_from([1, channels, 1, channels, channels + 1]))
            params[p.name] = tuple(
                draw(st.lists(st.floats(-2.0, 2.0), min_size=count, max_size=count))
            )
    return Call(activation, dtype, values, params)


# ----------------------------------------------------------------------------------------------
# The documented errors (docs/errors.md) an invalid call may raise


def documented_errors(call: Call) -> list[tuple[type[BaseException], str]]:
    """Every (exception, message pattern) the call is documented to raise; empty if valid."""
    a, params, shape = call.activation, call.params, call.values.shape
    name = re.escape(a.name)
    errors = []
    for p in a.params:
        value = params.get(p.name)
        if p.kind == "real":
            if not math.isfinite(value):
                errors.append(
                    (ValueError, rf"multiact\.{name}: argument '{p.name}' must be finite")
                )
            elif (
                p.constraint
                and not {
                    "nonnegative": value >= 0,
                    "positive": value > 0,
                    "nonzero": value != 0,
                }[p.constraint]
            ):
                errors.append((ValueError, rf"multiact\.{name}: argument '{p.name}' must be"))
            elif call.integer:
                info = np.iinfo(call.dtype)
                if not info.min <= value <= info.max:
                    errors.append((ValueError, rf"multiact\.{name}: argument '{p.name}' must fit"))
        elif p.kind == "axis":
            ndim = max(len(shape), 1)
            if not -ndim <= value < ndim:
                errors.append((multiact.AxisError, rf"multiact\.{name}: argument 'axis' is out"))
            elif a.halves_axis and (not shape or shape[value] % 2):
                errors.append((ValueError, rf"multiact\.{name}: argument 'x' must have"))
        elif p.kind == "array":
            channels = shape[1] if len(shape) >= 2 else 1
            if len(value) not in (1, channels):
                errors.append((ValueError, rf"multiact\.{name}: argument 'weight' must hold"))
    for low, high in a.ordered:
        low_value, high_value = params[low], params[high]
        if math.isfinite(low_value) and math.isfinite(high_value) and low_value > high_value:
            errors.append((ValueError, rf"multiact\.{name}: argument '{low}' must not be greater"))
    if a.halves_axis and not shape:
        errors.append((ValueError, rf"multiact\.{name}: argument 'x' must have at least one"))
    return errors


# ----------------------------------------------------------------------------------------------
# The reference


def reference(call: Call, target: Target) -> np.ndarray:
    """PyTorch's result (mpmath's exact value where PyTorch has no such function), float64.

    Half-precision composites PyTorch rounds step by step are judged against its float32
    result rounded once (``tolerances.WIDENED_REFERENCES``), except on the torch backend, which
    is PyTorch's own kernel and is held to it, as the conformance engine does.
    """
    a = call.activation
    if call.integer and a.names.torch is None:  # identity
        return call.values
    if a.names.torch is None:
        if call.values.size == 0:
            return np.zeros(output_shape(a, call.values.shape, call.params))
        # Enough digits for rows that mix float64's max with small values (sparsemax).
        digits = 700 if a.reduces else 40
        if a.reduces and call.values.ndim == 0:  # one row of one element, as the call does
            params = {**call.params, "axis": 0}
            row = exact_reference(a, call.values.reshape(1), call.dtype, params, digits)
            return row.reshape(())
        return exact_reference(a, call.values, call.dtype, call.params, digits)
    if call.integer:
        import torch

        kwargs = {("dim" if k == "axis" else k): v for k, v in call.params.items()}
        return torch_function(a)(torch.as_tensor(call.values), **kwargs).numpy()
    widen = target.name != "torch"
    return torch_reference(a, call.values, call.dtype, call.params, widen=widen)


def other_paths(call: Call, target: Target) -> list[np.ndarray]:
    """PyTorch's answers by its other code paths, where PyTorch is the reference: where its
    vectorised and scalar loops disagree (gelu(+inf)), either is PyTorch's answer."""
    a = call.activation
    if a.names.torch is None or call.integer:
        return []
    try:
        return torch_paths(a, call.values, call.dtype, call.params, widen=target.name != "torch")
    except RuntimeError:  # PyTorch refuses the parameters in this dtype: see expectation()
        return []


def expectation(call: Call, target: Target) -> tuple[list, np.ndarray | None]:
    """(the documented errors the call may raise, or the reference it must match)."""
    errors = documented_errors(call)
    if errors:
        return errors, None
    try:
        return [], reference(call, target)
    except RuntimeError as error:  # PyTorch will not convert a parameter to a half dtype
        if "without overflow" not in str(error):
            raise
    if target.name == "torch":
        name = re.escape(call.activation.name)
        return [(ValueError, rf"multiact\.{name}: PyTorch refused the parameters")], None
    # Elsewhere the parameter is converted as PyTorch converts values (beyond the dtype's max,
    # +-inf): PyTorch's float32 result, rounded to the dtype, is the reference.
    wide = torch_reference(call.activation, call.values, "float32", call.params)
    return [], as_dtype_values(wide, call.dtype)


@pytest.mark.parametrize("activation", ACTIVATION_PARAMS)
@pytest.mark.parametrize("target", BACKENDS)
@PROPERTIES
@given(data=st.data())
def test_matches_pytorch_or_raises_the_documented_error(target, activation, data):
    call = data.draw(calls(activation, target), label="call")
    errors, expected = expectation(call, target)
    x = target.asarray(call.values, call.dtype)
    # Array parameters (prelu's weight) built here, so that they can be checked afterwards.
    params = target.array_params(activation.name, call.params, x)
    arrays = {
        "x": x,
        **{k: v for k, v in params.items() if k not in call.params or v is not call.params[k]},
    }
    before = {name: target.to_numpy(a).copy() for name, a in arrays.items()}
    if errors:
        with pytest.raises(tuple(e for e, _ in errors)) as caught:
            target.call(activation.name, x, params)
        message = caught.value.args[0]
        assert any(isinstance(caught.value, e) and re.match(p, message) for e, p in errors)
    else:
        y = target.call(activation.name, x, params)
        assert type(y) is type(x)
        assert y.dtype == x.dtype
        assert tuple(y.shape) == output_shape(activation, call.values.shape, call.params)
        actual = target.to_numpy(y)
        if call.integer:
            np.testing.assert_array_equal(actual, expected, strict=False)
        else:
            verdict = judge(
                activation.name, call.params, "forward", target.name, call.dtype,
                call.values, actual, expected, other_paths=other_paths(call, target),
            )  # fmt: skip
            assert verdict.ok, _explain(verdict, call)
    # Nothing passed in is mutated, whether the call raised or not (inplace is False here).
    for name, array in arrays.items():
        np.testing.assert_array_equal(
            target.to_numpy(array), before[name], strict=True, err_msg=name
        )


INPLACE = [pytest.param(a, id=a.name) for a in ACTIVATIONS.values() if a.supports_inplace]
MUTABLE = [b for b in BACKENDS if b.id in ("numpy", "torch")]
#: Fills the buffer around the view: every activation with an inplace form changes it (for
#: the parameters drawn here), so a write outside the view would show.
_SENTINEL = {"uint8": 250}


def _view_in_buffer(target: Target, values: np.ndarray, dtype: str, step: int):
    """(buffer, x): ``x`` holds ``values`` as a view into a larger buffer, every ``step``-th
    element after the first, so a write outside ``x`` shows in the buffer."""
    size = values.size
    flat = np.full(size * step + 2, _SENTINEL.get(dtype, -7.25))
    if dtype in _INTEGERS:
        flat = flat.astype(dtype)
    flat[1 : 1 + size * step : step] = values.ravel()
    buffer = target.asarray(flat, dtype)
    strides = [step]
    for n in reversed(values.shape[1:]):
        strides.insert(0, strides[0] * n)
    strides = tuple(strides[: values.ndim])
    if target.library == "numpy":
        item = buffer.itemsize
        x = np.lib.stride_tricks.as_strided(
            buffer[1:], values.shape, tuple(s * item for s in strides), writeable=True
        )
    else:
        x = buffer.as_strided(values.shape, strides, 1)
    return buffer, x


@pytest.mark.parametrize("activation", INPLACE)
@pytest.mark.parametrize("target", MUTABLE)
@PROPERTIES
@given(data=st.data())
def test_inplace_overwrites_its_input_and_nothing_else(target, activation, data):
    call = data.draw(calls(activation, target), label="call")
    assume(not documented_errors(call))
    step = data.draw(st.sampled_from([1, 2]), label="step")
    buffer, x = _view_in_buffer(target, call.values, call.dtype, step)
    outside = target.to_numpy(buffer).copy()
    inside = np.zeros(outside.shape, dtype=bool)
    inside[1 : 1 + call.values.size * step : step] = True
    fn = getattr(multiact, activation.name)
    try:
        expected = target.to_numpy(fn(target.asarray(call.values, call.dtype), **call.params))
    except ValueError as error:  # PyTorch will not convert a parameter for this dtype
        assume("PyTorch refused" not in str(error))
        raise
    y = fn(x, **call.params, inplace=True)
    assert y is x
    if call.integer:
        np.testing.assert_array_equal(target.to_numpy(x), expected, strict=True)
    else:  # PyTorch's kernels for strided views may round differently (1 ULP, elu_)
        verdict = compare(target.to_numpy(x), expected, call.dtype)
        assert verdict.ok, verdict.message
    after = target.to_numpy(buffer)
    np.testing.assert_array_equal(after[~inside], outside[~inside], strict=True)


def _explain(verdict, call: Call) -> str:
    """The worst element's input (its row, for functions that reduce), not the whole array."""
    where = verdict.worst_index
    if where is None or not call.values.ndim:
        shown = call.values
    elif call.activation.reduces:
        axis = call.params["axis"] % call.values.ndim
        index = list(where)
        index[axis] = slice(None)
        shown = call.values[tuple(index)]
    else:
        shown = call.values[where]
    return f"{verdict.message}; input there: {shown!r}; {call.dtype}; params {call.params}"


# ----------------------------------------------------------------------------------------------
# What the search found, kept as plain regression tests (each was a NumPy warning, an error
# under this suite's filterwarnings, while the values were PyTorch's).

_FOUND = [
    # softmax-like rows spanning [-max, max]: x - max(x) overflows to -inf (exp gives 0)
    ("softmax", np.array([[0.0, 0.0, 1.7976931348623157e308, -1.7976931348623157e308]]), {}),
    ("log_softmax", np.array([[0.0, 1.7976931348623157e308, -1.7976931348623157e308]]), {}),
    ("softmin", np.array([[0.0, 1.7976931348623157e308, -1.7976931348623157e308]]), {}),
    # a slope or weight that is 0 in the computation dtype, times -inf: NaN, as in PyTorch
    ("leaky_relu", np.array([-np.inf, -1.0, 0.0, np.inf]), {"negative_slope": -6.9e-99}),
    ("prelu", np.array([[-np.inf, -np.inf], [2.0, -3.0]]), {"weight": (1.4e-45, -2.0)}),
]


@pytest.mark.parametrize(("name", "values", "params"), _FOUND, ids=[f[0] for f in _FOUND])
@pytest.mark.parametrize("target", BACKENDS)
def test_found_by_the_search(target, name, values, params):
    dtype = "float32" if name in ("leaky_relu", "prelu") else "float64"
    values = as_dtype_values(values, dtype)
    call = Call(ACTIVATIONS[name], dtype, values, params)
    y = target.call(name, target.asarray(values, dtype), params)
    verdict = judge(name, params, "forward", target.name, dtype, values, target.to_numpy(y),
                    reference(call, target), other_paths=other_paths(call, target))  # fmt: skip
    assert verdict.ok, verdict.message
