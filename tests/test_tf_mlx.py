"""TensorFlow and MLX: PyTorch's gradient conventions through the libraries' own autodiff
(``tf.GradientTape``, ``mlx.core.grad``), and their compilers (``tf.function``, with
``jit_compile=True`` too, and ``mx.compile``) giving the eager values and gradients.
(Forward values and ``multiact.vjp`` on both: the conformance suite and test_gradients.py.)"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from cases import TYPICAL, VARIANTS, inputs
from multiact.conformance.reference import as_dtype_values
from multiact.conformance.targets import by_name
from test_gradients import _check, _cotangent, _output_shape

import multiact

pytest.importorskip("torch")

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow missing"
)
needs_mlx = pytest.mark.skipif(importlib.util.find_spec("mlx") is None, reason="mlx missing")


def _params(target_name: str, activation, params: dict, like) -> dict:
    return by_name(target_name).array_params(activation.name, params, like)


# --- TensorFlow.


def _tf():
    import tensorflow as tf

    return tf


def _tf_grad(activation, params, values, g, compile_with=None):
    tf = _tf()
    x = tf.constant(values)
    kwargs = _params("tensorflow", activation, params, x)
    fn = getattr(multiact, activation.name)

    def forward_and_grad(x, g):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x, **kwargs)
        return y, tape.gradient(y, x, output_gradients=g)

    if compile_with is not None:
        forward_and_grad = tf.function(forward_and_grad, **compile_with)
    y, grad = forward_and_grad(x, tf.constant(g))
    return y.numpy(), grad.numpy()


@needs_tf
@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_gradient_tape_follows_pytorchs_convention(activation, params):
    values = inputs(activation, "float64")
    g = _cotangent(_output_shape(activation, values, params))
    _, grad = _tf_grad(activation, params, values, g)
    _check(activation, params, "tensorflow", "float64", values, grad, g, mode="autograd")


def _same(actual: np.ndarray, expected: np.ndarray, rtol: float) -> None:
    # XLA and Grappler may fuse and reorder the arithmetic: a few ULP, never another NaN/inf.
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol, equal_nan=True)
    assert (np.isnan(actual) == np.isnan(expected)).all()
    assert (np.isinf(actual) == np.isinf(expected)).all()


@needs_tf
@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_tf_function_gives_the_eager_values_and_gradients(activation, params, jit_compile):
    if activation.name == "rrelu":
        params = {**params, "training": False}
    values = inputs(activation, "float32").astype(np.float32)
    g = _cotangent(_output_shape(activation, values, params)).astype(np.float32)
    eager = _tf_grad(activation, params, values, g)
    compiled = _tf_grad(activation, params, values, g, {"jit_compile": jit_compile})
    for got, expected in zip(compiled, eager, strict=True):
        _same(got, expected, 1e-5)


@needs_tf
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_tf_function_with_sizes_unknown_until_run(activation, params):
    # Keras traces with the batch size unknown (None): one graph for every size.
    tf = _tf()
    values = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    x = tf.constant(values)
    kwargs = _params("tensorflow", activation, params, x)
    if activation.name == "rrelu":
        kwargs["training"] = False
    fn = getattr(multiact, activation.name)

    def forward_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x, **kwargs)
        return y, tape.gradient(y, x)

    spec = tf.TensorSpec([None, None], tf.float32)
    traced = tf.function(forward_and_grad, input_signature=[spec])
    for rows in (4, 2):
        eager = forward_and_grad(x[:rows])
        for got, expected in zip(traced(x[:rows]), eager, strict=True):
            _same(got.numpy(), expected.numpy(), 1e-5)
    assert traced.experimental_get_tracing_count() == 1


@needs_tf
def test_tf_function_checks_what_it_knows_only_when_run():
    tf = _tf()
    glu = tf.function(multiact.glu, input_signature=[tf.TensorSpec([None, None], tf.float32)])
    assert glu(tf.ones((2, 4))).shape == (2, 2)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"multiact\.glu: argument .+x.+ must have an even size",
    ):
        glu(tf.ones((2, 3)))
    softmax = tf.function(multiact.softmax, input_signature=[tf.TensorSpec(None, tf.float32)])
    with pytest.raises(ValueError, match=r"multiact\.softmax: argument 'x' must have a known"):
        softmax(tf.ones((2, 3)))
    # Elementwise functions need no rank.
    gelu = tf.function(multiact.gelu, input_signature=[tf.TensorSpec(None, tf.float32)])
    np.testing.assert_allclose(gelu(tf.ones((2, 3))).numpy(), multiact.gelu(tf.ones((2, 3))))


@needs_tf
def test_rrelu_training_under_tf_function_with_a_seed_repeats():
    tf = _tf()
    f = tf.function(lambda x: multiact.rrelu(x, training=True, generator=3))
    x = tf.constant(-np.linspace(1, 2, 16, dtype=np.float32))
    first, second = f(x).numpy(), f(x).numpy()
    np.testing.assert_array_equal(first, second)
    eager = multiact.rrelu(x, training=True, generator=3).numpy()
    np.testing.assert_array_equal(first, eager)
    slopes = first / x.numpy()
    assert ((slopes >= 1 / 8) & (slopes <= 1 / 3)).all()
    assert np.unique(slopes).size > 8


@needs_tf
def test_variables_in_and_tensors_out():
    tf = _tf()
    v = tf.Variable([1.0, -2.0, 3.0])
    y = multiact.elu(v)
    assert isinstance(y, tf.Tensor)
    assert y.dtype == tf.float32
    with tf.GradientTape() as tape:
        y = multiact.softplus(v)
    grad = tape.gradient(y, v)
    np.testing.assert_allclose(grad.numpy(), 1 / (1 + np.exp(-v.numpy())), rtol=1e-6)


# --- MLX.


def _mx():
    import mlx.core as mx

    return mx


def _mlx_grad(activation, params, values, g, compile_=False):
    mx = _mx()
    x = mx.array(values.astype(np.float32))
    kwargs = _params("mlx", activation, params, x)
    fn = getattr(multiact, activation.name)
    cotangent = mx.array(g.astype(np.float32))

    def loss(x):
        return (fn(x, **kwargs) * cotangent).sum()

    forward, grad = (lambda x: fn(x, **kwargs)), mx.grad(loss)
    if compile_:
        forward, grad = mx.compile(forward), mx.compile(grad)
    return np.array(forward(x)), np.array(grad(x))


@needs_mlx
@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_mlx_grad_follows_pytorchs_convention(activation, params):
    values = as_dtype_values(inputs(activation, "float32"), "float32")
    g = as_dtype_values(_cotangent(_output_shape(activation, values, params)), "float32")
    _, grad = _mlx_grad(activation, params, values, g)
    _check(activation, params, "mlx", "float32", values, grad, g, mode="autograd")


_EMPTY_VJPS = """
import mlx.core as mx, numpy as np, multiact
for name in ("softmax", "log_softmax", "softmin", "sparsemax", "glu"):
    for shape in [(0,), (3, 0), (0, 4)]:
        for _ in range(10):
            x = mx.array(np.zeros(shape, np.float32))
            out = getattr(multiact, name)(x)
            _, (grad,) = mx.vjp(getattr(multiact, name), [x], [mx.zeros_like(out)])
            assert np.array(grad).shape == shape, (name, shape)
            grad = multiact.vjp(name, x, mx.zeros_like(out))
            assert np.array(grad).shape == shape, (name, shape)
print("ok")
"""


@needs_mlx
def test_mlx_gradients_of_empty_arrays_return():
    """MLX 0.32's CPU sum over an empty array sometimes never returns (2 runs in 10 of
    vjp(log_softmax) on shape (0,)): the gradients of empty arrays (mx.vjp's and
    multiact.vjp's) reduce nothing. In a child
    process with a time limit, so that a hang fails rather than stalls the suite."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _EMPTY_VJPS], capture_output=True, text=True, timeout=120
    )
    assert run.stdout.split() == ["ok"], run.stderr[-2000:]


@needs_mlx
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_mx_compile_gives_the_eager_values_and_gradients(activation, params):
    if activation.name == "rrelu":
        params = {**params, "training": False}
    values = inputs(activation, "float32")
    g = _cotangent(_output_shape(activation, values, params))
    eager = _mlx_grad(activation, params, values, g)
    compiled = _mlx_grad(activation, params, values, g, compile_=True)
    for got, expected in zip(compiled, eager, strict=True):
        _same(got, expected, 1e-5)


@needs_mlx
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
@pytest.mark.parametrize(("activation", "params"), TYPICAL)
def test_mlx_dtypes_are_kept(activation, params, dtype):
    mx = _mx()
    x = mx.array([[1.0, 0.5], [2.0, 3.0]]).astype(getattr(mx, dtype))
    y = getattr(multiact, activation.name)(x, **_params("mlx", activation, params, x))
    assert isinstance(y, mx.array)
    assert y.dtype == x.dtype
    grad = mx.grad(
        lambda x: getattr(multiact, activation.name)(
            x, **_params("mlx", activation, params, x)
        ).sum()
    )(x)
    assert grad.dtype == x.dtype
    assert grad.shape == x.shape


# --- multiact.nn on both.

# XIELU's constructor takes Transformers' initial values (alpha_p_init...), not the function's
# parameters, so its module is not the function with these params; tests/test_conventions.py
# holds it to Transformers' own module.
_NN = [
    pytest.param(a, params, id=a.name)
    for a, params in (p.values for p in TYPICAL)
    if a.module is not None and a.name != "xielu"
]


@pytest.mark.parametrize("target_name", ["tensorflow", "mlx"])
@pytest.mark.parametrize(("activation", "params"), _NN)
def test_nn_modules_run_on_both(target_name, activation, params):
    target = by_name(target_name)
    if not target.available():
        pytest.skip(f"{target_name} missing")
    import multiact.nn as nn

    values = np.random.default_rng(1).standard_normal((3, 4))
    x = target.asarray(values, "float32")
    kwargs = {("dim" if k == "axis" else k): v for k, v in params.items() if k != "weight"}
    if activation.name in ("softmax", "log_softmax", "softmin"):
        kwargs["dim"] = -1  # without it, torch.nn's legacy implicit-dim rule and its warning
    module = getattr(nn, activation.module)(**kwargs)
    if activation.name == "rrelu":
        module = module.eval()
    y = module(x)
    assert type(y) is type(target.call(activation.name, x, params))
    expected = target.to_numpy(target.call(activation.name, x, params))
    np.testing.assert_array_equal(target.to_numpy(y), expected)
