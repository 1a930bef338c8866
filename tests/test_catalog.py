"""The catalog is complete: nothing in torch.nn.functional, torch.nn, jax.nn or
keras.activations is missing, and the activations with extra machinery (prelu's weight,
rrelu's randomness, Softmax2d) behave as PyTorch's do."""

from __future__ import annotations

import numpy as np
import pytest
from multiact.conformance.tolerances import compare

import multiact
import multiact.nn as nn
from conftest import DISPATCHED_TARGETS

TORCH_FUNCTIONAL = [
    "relu", "relu6", "leaky_relu", "prelu", "rrelu", "elu", "selu", "celu", "gelu", "silu",
    "mish", "sigmoid", "logsigmoid", "hardsigmoid", "hardswish", "hardtanh", "hardshrink",
    "softshrink", "tanhshrink", "tanh", "softsign", "softplus", "threshold", "glu", "softmax",
    "log_softmax", "softmin",
]  # fmt: skip
TORCH_MODULES = [
    "CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "PReLU", "RReLU", "ReLU", "ReLU6", "SELU",
    "SiLU", "Sigmoid", "Softmax", "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign",
    "Tanh", "Tanhshrink", "Threshold",
]  # fmt: skip
#: keras.activations in Keras 3 (Keras is not a dependency, so the list is written out).
KERAS = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold",
]  # fmt: skip
#: jax.nn members that are not activations (reductions, encodings, attention, init).
JAX_NOT_ACTIVATIONS = {
    "dot_product_attention", "get_scaled_dot_general_config", "initializers", "logsumexp",
    "logmeanexp", "one_hot", "scaled_dot_general", "scaled_matmul", "standardize",
}  # fmt: skip


@pytest.mark.parametrize("name", TORCH_FUNCTIONAL)
def test_every_torch_functional_activation_exists(name):
    torch = pytest.importorskip("torch")
    assert hasattr(torch.nn.functional, name)
    assert callable(getattr(multiact, name))
    if hasattr(torch.nn.functional, f"{name}_"):  # the in-place forms too
        assert callable(getattr(multiact, f"{name}_"))


@pytest.mark.parametrize("name", TORCH_MODULES)
def test_every_torch_nn_activation_module_exists(name):
    torch = pytest.importorskip("torch")
    assert hasattr(torch.nn, name)
    assert repr(getattr(nn, name)) is not None
    assert issubclass(getattr(nn, name), nn.Module)


def test_every_jax_nn_activation_exists():
    jax = pytest.importorskip("jax")
    public = {n for n in dir(jax.nn) if not n.startswith("_")}
    missing = sorted(n for n in public - JAX_NOT_ACTIVATIONS if not hasattr(multiact, n))
    assert missing == []


@pytest.mark.parametrize("name", KERAS)
def test_every_keras_activation_exists(name):
    assert callable(getattr(multiact, name))


def test_aliases_point_at_one_function():
    assert multiact.swish is multiact.silu
    assert multiact.hard_silu is multiact.hardswish is multiact.hard_swish
    assert multiact.log_sigmoid is multiact.logsigmoid
    assert multiact.linear is multiact.identity


# prelu ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_prelu_per_channel_weight_matches_torch(target):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(3).standard_normal((2, 3, 4))
    weight = np.array([0.1, -0.2, 0.3])
    x = target.asarray(values, "float64")
    y = multiact.prelu(x, target.asarray(weight, "float64"))
    expected = torch.nn.functional.prelu(torch.tensor(values), torch.tensor(weight)).numpy()
    assert compare(target.to_numpy(y), expected, "float64").ok


def test_prelu_weight_gradient_flows_in_torch_and_jax():
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    values = np.random.default_rng(4).standard_normal((2, 3))
    w = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    multiact.prelu(torch.tensor(values), w).sum().backward()
    w_ref = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.prelu(torch.tensor(values), w_ref).sum().backward()
    torch.testing.assert_close(w.grad, w_ref.grad)
    jax_grad = jax.grad(lambda w: multiact.prelu(jax.numpy.asarray(values), w).sum())(
        jax.numpy.asarray([0.1, 0.2, 0.3])
    )
    np.testing.assert_allclose(np.asarray(jax_grad), w_ref.grad.numpy(), rtol=1e-12)


def test_prelu_module_matches_torch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(5).standard_normal((2, 3, 2)).astype(np.float32)
    ours = nn.PReLU(num_parameters=3, init=0.1)
    theirs = torch.nn.PReLU(num_parameters=3, init=0.1)
    assert repr(ours) == repr(theirs)
    expected = theirs(torch.tensor(values)).detach().numpy()
    np.testing.assert_allclose(ours(values), expected, rtol=1e-6)
    np.testing.assert_allclose(ours(torch.tensor(values)).detach().numpy(), expected, rtol=1e-6)


# rrelu ----------------------------------------------------------------------------------

RRELU_VALUES = np.linspace(-4.0, 4.0, 64)


def _rrelu_seeds(target):
    """Two equal and one different 'generator' for the target's library."""
    if target.library == "torch":
        torch = pytest.importorskip("torch")
        return (
            torch.Generator().manual_seed(7),
            torch.Generator().manual_seed(7),
            torch.Generator().manual_seed(8),
        )
    if target.library.startswith("jax"):
        jax = pytest.importorskip("jax")
        return jax.random.key(7), jax.random.key(7), jax.random.key(8)
    if target.library == "tensorflow":
        tf = pytest.importorskip("tensorflow")
        return tuple(tf.random.Generator.from_seed(s) for s in (7, 7, 8))
    if target.library == "mlx.core":
        mx = pytest.importorskip("mlx.core")
        return mx.random.key(7), mx.random.key(7), mx.random.key(8)
    return np.random.default_rng(7), np.random.default_rng(7), np.random.default_rng(8)


@pytest.mark.parametrize("target", DISPATCHED_TARGETS)
def test_rrelu_training_is_reproducible_per_seed(target):
    x = target.asarray(RRELU_VALUES, "float32")
    first, same, other = _rrelu_seeds(target)
    a = target.to_numpy(multiact.rrelu(x, 0.1, 0.3, training=True, generator=first))
    b = target.to_numpy(multiact.rrelu(x, 0.1, 0.3, training=True, generator=same))
    c = target.to_numpy(multiact.rrelu(x, 0.1, 0.3, training=True, generator=other))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # An int seed works on every backend, and is reproducible too.
    d = target.to_numpy(multiact.rrelu(x, 0.1, 0.3, training=True, generator=11))
    np.testing.assert_array_equal(
        d, target.to_numpy(multiact.rrelu(x, 0.1, 0.3, True, generator=11))
    )
    negative = RRELU_VALUES < 0
    slopes = a[negative] / RRELU_VALUES[negative]
    assert np.all((slopes >= 0.1 - 1e-6) & (slopes <= 0.3 + 1e-6))
    assert len(np.unique(np.round(slopes, 5))) > 10  # one slope per element
    np.testing.assert_array_equal(a[~negative], RRELU_VALUES[~negative].astype(np.float32))


def test_rrelu_training_on_jax_needs_a_key():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match=r"multiact\.rrelu: argument 'generator' must be a JAX"):
        multiact.rrelu(jnp.asarray(RRELU_VALUES), training=True)


def test_rrelu_module_is_random_in_training_and_the_mean_in_eval():
    m = nn.RReLU(0.1, 0.3)
    assert m.training
    x = RRELU_VALUES.copy()
    assert not np.array_equal(m(x), m(x))
    m.eval()
    np.testing.assert_allclose(m(x), np.where(x > 0, x, 0.2 * x))


# Softmax2d ------------------------------------------------------------------------------


def test_softmax2d_matches_torch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(6).standard_normal((2, 3, 4, 5))
    expected = torch.nn.Softmax2d()(torch.tensor(values)).numpy()
    np.testing.assert_allclose(nn.Softmax2d()(values), expected, rtol=1e-12)
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    with pytest.raises(ValueError, match=r"argument 'x' must be 3-d .* or 4-d"):
        nn.Softmax2d()(values[0, 0])
