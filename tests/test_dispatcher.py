"""The public functions' first step in C (``multiact._dispatcher.Dispatcher``): a call with
``x`` alone whose type and dtype the function has seen pass goes straight to the backend's
kernel, and gives exactly what the Python function gives; everything else is the function's."""

from __future__ import annotations

import copy
import inspect
import os
import pickle
import subprocess
import sys
import types

import numpy as np
import pytest

import multiact
from conftest import DISPATCHED_TARGET_DTYPES
from multiact import _dispatch, _functional
from multiact._activation import REQUIRED
from multiact._registry import ACTIVATIONS

pytestmark = pytest.mark.skipif(
    _dispatch.Dispatcher is None, reason="multiact._dispatcher is not built (or turned off)"
)

#: Every activation whose public function takes x alone (the others have required parameters).
ONE_ARGUMENT = [
    n for n, a in ACTIVATIONS.items() if all(p.default is not REQUIRED for p in a.params)
]
VALUES = [-30.0, -3.0, -1.0, -0.5, -0.0, 0.0, 1e-3, 0.5, 1.0, 3.0, 30.0, np.inf, -np.inf, np.nan]


def _bits(target, y: object) -> np.ndarray:
    """y's values as float64 bits: NaN payloads aside, equal bits are equal values and signs."""
    array = target.to_numpy(y).astype(np.float64)
    return np.where(np.isnan(array), np.nan, array).view(np.int64)


@pytest.mark.parametrize("name", ONE_ARGUMENT)
def test_each_activation_is_a_dispatcher_around_its_function(name):
    public = getattr(multiact, name)
    function = getattr(_functional, name)
    assert type(public) is _dispatch.Dispatcher
    assert public.__wrapped__ is function
    assert (public.__name__, public.__doc__) == (function.__name__, function.__doc__)
    assert inspect.signature(public) == inspect.signature(function)
    assert pickle.loads(pickle.dumps(public)) is public
    assert copy.deepcopy(public) is public
    # It passes for the function (Keras saves functions by name, other objects by class).
    assert isinstance(public, types.FunctionType)
    assert inspect.isfunction(public)
    assert (public.__code__, public.__defaults__) == (function.__code__, function.__defaults__)


@pytest.mark.parametrize(("target", "dtype"), DISPATCHED_TARGET_DTYPES)
@pytest.mark.parametrize("name", ONE_ARGUMENT)
def test_a_learned_call_gives_what_the_function_gives(name, target, dtype):
    public = getattr(multiact, name)
    x = target.asarray(np.array(VALUES).reshape(7, 2), dtype)
    expected = public.__wrapped__(x)
    first = public(x)  # learns
    second = public(x)  # from the table where the backend has a direct kernel
    for y in (first, second):
        assert type(y) is type(expected)
        assert y.dtype == expected.dtype
        assert y.shape == expected.shape
        np.testing.assert_array_equal(_bits(target, y), _bits(target, expected))


#: (activation, parameter) for every parameter whose calls a Dispatcher learns.
LEARNED_PARAMETERS = [
    (name, p.name)
    for name, a in ACTIVATIONS.items()
    if all(p.kind in ("real", "choice", "flag") for p in a.params)
    for p in a.params
    if p.kind in ("real", "choice") and p.default is not REQUIRED
]


def _outcome(call):
    """call()'s result, or the type and message of what it raised."""
    try:
        return call()
    except Exception as error:  # the dispatcher must raise the function's error, every time
        return (type(error), str(error))


@pytest.mark.parametrize(("target", "dtype"), DISPATCHED_TARGET_DTYPES)
@pytest.mark.parametrize(("name", "parameter"), LEARNED_PARAMETERS)
def test_a_learned_parameter_call_gives_what_the_function_gives(name, parameter, target, dtype):
    public = getattr(multiact, name)
    activation = ACTIVATIONS[name]
    param = next(p for p in activation.params if p.name == parameter)
    values = param.choices if param.kind == "choice" else (0.5, 2.0, -0.25, 7.0, 1, -0.0)
    x = target.asarray(np.array(VALUES).reshape(7, 2), dtype)
    first = activation.params[0].name == parameter
    for value in values:
        calls = [lambda v=value: public(x, **{parameter: v})]
        if first:
            calls.append(lambda v=value: public(x, v))
        expected = _outcome(lambda v=value: public.__wrapped__(x, **{parameter: v}))
        for call in calls:
            for _ in range(3):  # learns, then from the table where the backend has a kernel
                y = _outcome(call)
                if isinstance(expected, tuple):
                    assert y == expected, (value, y)
                    continue
                assert type(y) is type(expected)
                assert (y.dtype, y.shape) == (expected.dtype, expected.shape)
                np.testing.assert_array_equal(_bits(target, y), _bits(target, expected))


def test_parameter_calls_are_learned_per_keyword_value_and_type():
    from multiact.backends import numpy as numpy_backend

    _dispatch.forget()
    x = np.array([-1.0, 0.5, 2.0], np.float32)
    calls = multiact.leaky_relu.calls
    for _ in range(2):
        multiact.leaky_relu(x, 0.2)
        multiact.leaky_relu(x, negative_slope=0.3)
    assert calls[None][0.2] == (
        float,
        {np.ndarray: {x.dtype: (numpy_backend.leaky_relu, (0.2, False))}},
    )
    assert calls["negative_slope"][0.3][1][np.ndarray][x.dtype][1] == (0.3, False)
    # 1 == 1.0 == True: a value of another type is not the call learned; an int is
    # converted by the function, and inplace=1 refused by it.
    np.testing.assert_array_equal(multiact.leaky_relu(x, 2), [-2.0, 0.5, 2.0])
    multiact.leaky_relu(x, 1.0)
    assert calls[None][2] == (int, None)
    with pytest.raises(TypeError, match=r"multiact\.relu: argument 'inplace'"):
        multiact.relu(x, inplace=1)
    # 0.0 and -0.0 are equal keys, with results of different signs: never learned.
    for v in (np.float32([-1.0]), np.float32([1.0])):
        for slope in (0.0, -0.0, 0.0, -0.0):
            y, expected = multiact.leaky_relu(v, slope), multiact.leaky_relu.__wrapped__(v, slope)
            assert np.signbit(y) == np.signbit(expected)
    assert calls[None][0.0] == (float, None)
    # Calls whose parameter is not learned (an axis; in place) keep the function.
    multiact.softmax(x.reshape(3, 1), 0)
    assert multiact.softmax.calls == {None: None}
    y = x.copy()
    assert multiact.relu(y, inplace=True) is y
    assert multiact.relu.calls == {"inplace": None}


def test_array_parameters_are_not_kept():
    torch = pytest.importorskip("torch")
    _dispatch.forget()
    x = torch.tensor([-1.0, 2.0])
    slope = torch.tensor(0.5)  # hashable: a table would keep it alive
    for _ in range(2):
        assert torch.equal(multiact.leaky_relu(x, slope), torch.tensor([-0.5, 2.0]))
    assert multiact.leaky_relu.calls == {None: {}}
    assert torch.equal(multiact.leaky_relu(x, np.float32(0.5)), torch.tensor([-0.5, 2.0]))


def test_a_bounded_number_of_values_is_learned():
    x = np.array([-1.0, 2.0], np.float32)
    for k in range(_dispatch.MAX_LEARNED_VALUES + 10):
        slope = 0.5 + k / 1024
        np.testing.assert_array_equal(multiact.leaky_relu(x, slope), np.float32([-slope, 2.0]))
    assert len(multiact.leaky_relu.calls[None]) == _dispatch.MAX_LEARNED_VALUES


def test_torch_parameter_calls_go_to_the_builtins():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = torch.tensor([-1.0, 0.5, 2.0])
    multiact.gelu(x, approximate="tanh")
    multiact.leaky_relu(x, negative_slope=0.2)
    learned = multiact.gelu.calls["approximate"]["tanh"][1][torch.Tensor][torch.float32]
    assert learned == (F.gelu, ("tanh",), ("approximate",))
    learned = multiact.leaky_relu.calls["negative_slope"][0.2][1][torch.Tensor][torch.float32]
    assert learned == (torch._C._nn.leaky_relu, (0.2,))
    assert torch.equal(multiact.gelu(x, approximate="tanh"), F.gelu(x, approximate="tanh"))


def test_jax_parameter_calls_are_compiled_with_the_value(monkeypatch):
    jax = pytest.importorskip("jax")
    from multiact.backends import jax as jax_backend

    monkeypatch.setattr(jax_backend, "_KERNELS_AT", {})  # other tests' may have filled it
    _dispatch.forget()
    x = jax.numpy.array([-1.0, 0.5, 2.0])
    for _ in range(2):
        y = multiact.elu(x, alpha=0.5)
    learned = multiact.elu.calls["alpha"][0.5][1][type(x)][x.dtype]
    assert learned is jax_backend.kernel_at("elu", (0.5, False))
    np.testing.assert_array_equal(y, jax_backend.elu(x, 0.5, False))
    grad = jax.grad(lambda v: multiact.elu(v, alpha=0.5).sum())(x)
    np.testing.assert_allclose(grad, [0.5 * np.exp(-1.0), 1.0, 1.0], rtol=1e-6)
    assert jax_backend.kernel_at("elu", (0.5, True)) is None  # in place: refused by the function
    # At most MAX_COMPILED_VARIANTS kernels are kept; past them, the kernel with arguments.
    for k in range(jax_backend.MAX_COMPILED_VARIANTS):
        jax_backend.kernel_at("elu", (1.0 + k, False))
    assert jax_backend.kernel_at("elu", (0.25, False)) is None
    assert len(jax_backend._KERNELS_AT) == jax_backend.MAX_COMPILED_VARIANTS


def test_learned_calls_with_keywords():
    """A learned (kernel, arguments, keywords) is called with x, the arguments, and the last
    len(keywords) of them by keyword; a kernel raising there hands the call on too."""
    seen = []

    def kernel(x, a, *, b):
        seen.append((a, b))
        return x + a + b

    def refuses(x, a):
        raise ValueError("no")

    calls = {
        "b": {3.0: (float, {np.ndarray: {np.dtype("float64"): (kernel, (1.0, 3.0), ("b",))}})},
        None: {2.0: (float, {np.ndarray: {np.dtype("float64"): (refuses, (2.0,))}})},
        "c": {1.0: (float, {np.ndarray: {np.dtype("float64"): (kernel, (1.0,) * 9)}})},
    }

    def function(x, *args, **kwargs):
        return "function"

    dispatcher = _dispatch.Dispatcher(function, lambda *a: None, {}, calls)
    x = np.zeros(2)
    np.testing.assert_array_equal(dispatcher(x, b=3.0), [4.0, 4.0])
    assert seen == [(1.0, 3.0)]
    assert dispatcher(x, b=3) == "function"  # an int: not the float learned
    assert dispatcher(x, 2.0) == "function"
    assert calls[None][2.0][1][np.ndarray][np.dtype("float64")] is function  # not tried again
    assert dispatcher(x, [1]) == "function"  # unhashable: the function's
    assert dispatcher(x, c=1.0) == "function"  # more arguments than a call passes
    assert dispatcher.calls is calls


def test_torch_float_dtypes_go_to_the_builtins_and_the_rest_to_the_function():
    torch = pytest.importorskip("torch")
    from multiact.backends import torch as torch_backend

    table = multiact.sigmoid.table
    multiact.sigmoid(torch.ones(2))
    multiact.sigmoid(torch.ones(2, dtype=torch.int64))  # promoted by the function
    multiact.sigmoid(torch.ones(2, dtype=torch.complex64))  # PyTorch's complex formula
    learned = table[torch.Tensor]
    assert learned[torch.float32] is torch_backend.sigmoid  # torch.Tensor.sigmoid
    assert learned[torch.int64] is multiact.sigmoid.__wrapped__
    assert learned[torch.complex64] is multiact.sigmoid.__wrapped__
    np.testing.assert_array_equal(
        multiact.sigmoid(torch.tensor([0, 2])).numpy(), torch.sigmoid(torch.tensor([0.0, 2.0]))
    )


def test_jax_kernels_apply_the_dtype_rules_so_every_dtype_taken_goes_to_them():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    from multiact.backends import jax as jax_backend

    _dispatch.forget()  # what other tests' calls taught
    table = multiact.sigmoid.table
    x = jnp.array([-1.0, 0.0, 2.0], jnp.float32)
    for dtype in (jnp.float32, jnp.int32, jnp.complex64):  # promoted, complex in the kernel
        multiact.sigmoid(x.astype(dtype))
    learned = table[type(x)]
    assert learned == dict.fromkeys(
        [x.dtype, jnp.dtype("int32"), jnp.dtype("complex64")], jax_backend.AT_DEFAULTS.sigmoid
    )
    # A kernel with parameters is the one compiled with the defaults in it.
    multiact.gelu(x)
    assert multiact.gelu.table[type(x)] == {x.dtype: jax_backend.AT_DEFAULTS.gelu}
    assert jax_backend.AT_DEFAULTS.gelu is not jax_backend.gelu
    # A dtype refused is never learned: each call gets multiact's error.
    for _ in range(2):
        with pytest.raises(TypeError, match=r"multiact\.gelu: argument 'x'"):
            multiact.gelu(x > 0)
    assert jnp.dtype(bool) not in multiact.gelu.table[type(x)]
    # Tracers are types of their own, learned alike; gradients are PyTorch's convention.
    grad = jax.jit(jax.grad(lambda v: multiact.relu(v).sum()))
    for _ in range(2):
        np.testing.assert_array_equal(grad(jnp.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])


def test_array_types_of_the_generic_kernels_take_the_function():
    xp = pytest.importorskip("array_api_strict")
    x = xp.asarray([1.0, -2.0])
    multiact.gelu(x)
    multiact.gelu(x, approximate="tanh")
    learned = multiact.gelu.table[type(x)]
    assert set(learned.values()) == {multiact.gelu.__wrapped__}  # its dtypes are never FLOATS
    learned = multiact.gelu.calls["approximate"]["tanh"][1][type(x)]
    assert set(learned.values()) == {multiact.gelu.__wrapped__}


def test_bad_input_after_learning_still_gets_multiacts_error():
    torch = pytest.importorskip("torch")
    multiact.gelu(torch.ones(2))
    with pytest.raises(TypeError, match=r"multiact\.gelu: "):
        multiact.gelu(torch.ones(2, dtype=torch.bool))
    with pytest.raises(TypeError, match=r"multiact\.gelu: argument 'x' must be an array"):
        multiact.gelu([1.0, 2.0])
    with pytest.raises(ValueError, match=r"multiact\.gelu: argument 'approximate'"):
        multiact.gelu(torch.ones(2), approximate="cubic")


def test_keyword_and_parameter_calls_give_the_functions_results():
    torch = pytest.importorskip("torch")
    x = torch.tensor([-1.0, 0.5, 2.0])
    multiact.leaky_relu(x)
    for _ in range(2):
        assert torch.equal(multiact.leaky_relu(x, 0.2), multiact.leaky_relu.__wrapped__(x, 0.2))
    assert torch.equal(multiact.leaky_relu(x=x), torch.nn.functional.leaky_relu(x))
    y = x.clone()
    assert multiact.relu(y, inplace=True) is y
    assert torch.equal(y, torch.relu(x))


def test_a_kernel_that_raises_hands_the_call_to_the_function():
    torch = pytest.importorskip("torch")
    calls = []

    def function(x):
        calls.append(x)
        return x + 1

    def refuses(x):
        raise NotImplementedError("no kernel for this dtype")

    table = {torch.Tensor: {torch.float32: refuses}}
    dispatcher = _dispatch.Dispatcher(function, lambda x: None, table)
    x = torch.zeros(2)
    assert torch.equal(dispatcher(x), torch.ones(2))
    assert table[torch.Tensor][torch.float32] is function  # not tried again
    assert torch.equal(dispatcher(x), torch.ones(2))
    assert len(calls) == 2


def test_errors_other_than_exceptions_are_not_swallowed():
    torch = pytest.importorskip("torch")

    def interrupted(x):
        raise KeyboardInterrupt

    table = {torch.Tensor: {torch.float32: interrupted}}
    dispatcher = _dispatch.Dispatcher(lambda x: x, lambda x: None, table)
    with pytest.raises(KeyboardInterrupt):
        dispatcher(torch.zeros(1))


def test_forget_clears_what_was_learned():
    x = np.ones(3, np.float32)
    multiact.sigmoid(x)
    assert np.ndarray in multiact.sigmoid.table
    _dispatch.forget()
    assert multiact.sigmoid.table == {}
    np.testing.assert_array_equal(multiact.sigmoid(x), multiact.sigmoid.__wrapped__(x))


def test_inputs_are_not_modified_and_0d_arrays_stay_arrays():
    x = np.array(-0.5, np.float32)
    for _ in range(2):
        y = multiact.sigmoid(x)
        assert isinstance(y, np.ndarray)
        assert y.shape == ()
    assert x == np.float32(-0.5)


def test_a_dispatcher_on_a_class_is_not_bound_to_instances():
    class Block:
        activation = multiact.relu

    np.testing.assert_array_equal(Block().activation(np.array([-1.0, 2.0])), [0.0, 2.0])


def test_jax_transforms_take_it_as_a_function():
    jax = pytest.importorskip("jax")
    x = jax.numpy.array([-2.0, 1.0], dtype=jax.numpy.float32)
    y = jax.jit(multiact.leaky_relu)(x, 0.2)
    np.testing.assert_array_equal(np.asarray(y), np.array([-0.4, 1.0], np.float32))
    np.testing.assert_array_equal(np.asarray(jax.vmap(multiact.relu)(x)), [0.0, 1.0])


def test_torch_compile_traces_through_the_dispatcher():
    torch = pytest.importorskip("torch")

    def f(x):
        return multiact.gelu(multiact.sigmoid(x)) * 2

    x = torch.linspace(-3, 3, 7)
    compiled = torch.compile(f, fullgraph=True, backend="eager")
    assert torch.equal(compiled(x), f(x))


def test_without_the_extension_the_functions_are_python_functions():
    code = "import multiact; print(type(multiact.gelu).__name__)"
    env = {**os.environ, "MULTIACT_NO_COMPILED": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["function"], out.stderr
