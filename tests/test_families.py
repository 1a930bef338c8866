"""The module families against torch.nn: multiact.torch.nn, multiact.flax.nnx, multiact.equinox
and multiact.keras.layers (Keras's NumPy backend here; its JAX and PyTorch backends in
subprocesses, tests/keras_families.py).

For every class: the constructor's signature and defaults, the attributes, the repr, PReLU's
parameter (name, shape, initial value), and the forward values on the family's arrays, against
torch.nn's module (or, for the activations torch.nn lacks, multiact.nn's on NumPy); for each
framework a training step that changes PReLU's weight, by the same amount as torch.nn.PReLU's.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import multiact.nn as nn
from multiact import ACTIVATIONS, _families

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = jax.numpy

FAMILIES = {
    "torch": "multiact.torch.nn",
    "nnx": "multiact.flax.nnx",
    "equinox": "multiact.equinox",
    "keras": "multiact.keras.layers",
}
_NEEDS = {"torch": "torch", "nnx": "flax", "equinox": "equinox", "keras": "keras"}


def _family(name: str):
    if importlib.util.find_spec(_NEEDS[name]) is None:
        pytest.skip(f"{_NEEDS[name]} missing")
    return importlib.import_module(FAMILIES[name])


def _configs(cls: type) -> list[dict]:
    """Constructor arguments to test ``cls`` with: its registry variants (``dim`` for the
    axis, -1 where the module's default is PyTorch's implicit one)."""
    name = cls.__name__
    if name == "PReLU":
        return [{}, {"num_parameters": 4, "init": 0.1}]
    if name == "RReLU":
        return [{}, {"lower": 0.1, "upper": 0.3}]
    if name == "Softmax2d":
        return [{}]
    activation = ACTIVATIONS[cls._activation]
    configs = []
    for params in activation.parameterisations:
        kwargs = {("dim" if k == "axis" else k): v for k, v in params.items()}
        if activation.reduces:
            kwargs.setdefault("dim", -1)
        configs.append(kwargs)
    return configs


CASES = [
    pytest.param(family, cls, kwargs, id=f"{family}-{cls.__name__}-{i}")
    for family in FAMILIES
    for cls in _families.NEUTRAL
    for i, kwargs in enumerate(_configs(cls))
]
CLASSES = [
    pytest.param(family, cls, id=f"{family}-{cls.__name__}")
    for family in FAMILIES
    for cls in _families.NEUTRAL
]
WITH_TORCH = [p for p in CLASSES if hasattr(torch.nn, p.values[1].__name__)]
#: torch.nn.Hardtanh's deprecated aliases of min_val/max_val, which multiact does not copy.
DEPRECATED = {"min_value", "max_value"}
X = np.random.default_rng(0).normal(size=(2, 4, 6)).astype(np.float32) * 3


def _torch_params(sig: inspect.Signature) -> list[tuple[str, object]]:
    # A family's own keyword-only arguments (NNX's rngs, Keras's seed) and Keras's **kwargs
    # (name, dtype, trainable) come on top of torch.nn's.
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.POSITIONAL_ONLY)
    return [(p.name, p.default) for p in sig.parameters.values() if p.kind in plain]


@pytest.mark.parametrize(("family", "neutral"), WITH_TORCH)
def test_signature_and_defaults_are_torch_nns(family, neutral):
    cls = getattr(_family(family), neutral.__name__)
    theirs = inspect.signature(getattr(torch.nn, neutral.__name__))
    expected = [(n, d) for n, d in _torch_params(theirs) if n not in DEPRECATED]
    assert _torch_params(inspect.signature(cls)) == expected


def _make(family: str, name: str, kwargs: dict):
    module = getattr(_family(family), name)(**kwargs)
    if name != "RReLU":
        return module
    # RReLU in evaluation mode (deterministic), each framework's way.
    if family == "torch":
        return module.eval()
    if family == "nnx":
        module.eval()
        return module
    if family == "equinox":
        import equinox as eqx

        return eqx.nn.inference_mode(module)
    return module  # Keras: not training unless called with training=True


@pytest.mark.parametrize(("family", "neutral", "kwargs"), CASES)
def test_repr_and_attributes_are_torch_nns(family, neutral, kwargs):
    ours = _make(family, neutral.__name__, kwargs)
    reference = getattr(torch.nn, neutral.__name__, None)
    expected = reference(**kwargs) if reference else getattr(nn, neutral.__name__)(**kwargs)
    assert repr(ours) == repr(expected)
    for attribute in neutral._attributes:
        assert getattr(ours, attribute) == getattr(expected, attribute)
    if ACTIVATIONS[neutral._activation].supports_inplace and neutral.__name__ != "RReLU":
        flagged = getattr(_family(family), neutral.__name__)(**kwargs, inplace=True)
        assert repr(flagged) == repr(
            (reference or getattr(nn, neutral.__name__))(**kwargs, inplace=True)
        )


def _as_numpy(y) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        return y.detach().numpy()
    return np.asarray(y)


def _expected(name: str, kwargs: dict) -> np.ndarray:
    reference = getattr(torch.nn, name, None)
    if reference is not None:
        module = reference(**kwargs).eval()
        with torch.no_grad():
            return module(torch.from_numpy(X)).numpy()
    return np.asarray(getattr(nn, name)(**kwargs).eval()(X))


def _input(family: str):
    if family == "torch":
        return torch.from_numpy(X.copy())
    if family in ("nnx", "equinox"):
        return jnp.asarray(X)
    return X.copy()  # Keras's NumPy backend


@pytest.mark.parametrize(("family", "neutral", "kwargs"), CASES)
def test_forward_values_are_torch_nns(family, neutral, kwargs):
    module = _make(family, neutral.__name__, kwargs)
    y = module(_input(family))
    expected = _expected(neutral.__name__, kwargs)
    assert y.shape == expected.shape
    np.testing.assert_allclose(_as_numpy(y), expected, rtol=2e-6, atol=1e-6)


# --- PReLU's parameter: name, shape, initial value; one training step in each framework.


def _prelu_weight(family: str, module) -> np.ndarray:
    if family == "torch":
        (name, value), *rest = module.state_dict().items()
        assert (name, rest) == ("weight", [])
        return value.numpy()
    if family == "nnx":
        from flax import nnx

        state = nnx.to_pure_dict(nnx.state(module, nnx.Param))
        assert list(state) == ["weight"]
        return np.asarray(state["weight"])
    if family == "equinox":
        (leaf,) = jax.tree_util.tree_leaves(module)
        assert leaf is module.weight
        return np.asarray(leaf)
    (variable,) = module.weights
    assert variable.name == "weight"
    assert variable.trainable
    return np.array(variable.value)  # Keras's NumPy backend holds a NumPy array


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(("num_parameters", "init"), [(1, 0.25), (4, -0.1)])
def test_prelu_parameter_is_torch_nns(family, num_parameters, init):
    ours = _family(family).PReLU(num_parameters, init)
    theirs = torch.nn.PReLU(num_parameters, init)
    np.testing.assert_array_equal(_prelu_weight(family, ours), theirs.weight.detach().numpy())
    assert _prelu_weight(family, ours).dtype == np.float32


def _torch_step(x: np.ndarray, target: np.ndarray, lr: float) -> np.ndarray:
    """torch.nn.PReLU(4) after one SGD step on the mean squared error: the reference."""
    prelu = torch.nn.PReLU(4)
    loss = ((prelu(torch.from_numpy(x)) - torch.from_numpy(target)) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        prelu.weight -= lr * prelu.weight.grad
    return prelu.weight.detach().numpy()


def _data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(1).normal(size=(8, 4, 3)).astype(np.float32)
    return x, np.abs(x)


@pytest.mark.parametrize("family", ["torch", "nnx", "equinox"])
def test_a_training_step_changes_prelus_weight_as_torch_nns_does(family):
    x, target = _data()
    lr = 0.5
    prelu = _family(family).PReLU(4)
    if family == "torch":
        optimizer = torch.optim.SGD(prelu.parameters(), lr=lr)
        loss = ((prelu(torch.from_numpy(x)) - torch.from_numpy(target)) ** 2).mean()
        loss.backward()
        optimizer.step()
        after = prelu.weight.detach().numpy()
    elif family == "nnx":
        from flax import nnx

        def loss(model):
            return jnp.mean((model(jnp.asarray(x)) - jnp.asarray(target)) ** 2)

        grads = nnx.grad(loss)(prelu)
        params = nnx.state(prelu, nnx.Param)
        nnx.update(prelu, jax.tree.map(lambda p, g: p - lr * g, params, grads))
        after = np.asarray(prelu.weight[...])
    else:
        import equinox as eqx

        @eqx.filter_grad
        def grads(model):
            return jnp.mean((model(jnp.asarray(x)) - jnp.asarray(target)) ** 2)

        update = jax.tree.map(lambda g: -lr * g, grads(prelu))
        after = np.asarray(eqx.apply_updates(prelu, update).weight)
    assert not np.array_equal(after, np.full(4, 0.25, np.float32))
    np.testing.assert_allclose(after, _torch_step(x, target, lr), rtol=1e-5)


# --- The PyTorch family as a torch.nn user uses it.


def _torch_model(mnn) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(6, 8), mnn.PReLU(8), mnn.GELU(), torch.nn.Linear(8, 4), mnn.Softmax(dim=-1)
    )


def test_torch_model_trains_saves_and_reloads(tmp_path):
    mnn = _family("torch")
    model = _torch_model(mnn)
    x = torch.randn(16, 6)
    before = model[1].weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        (model(x)[:, 0] - 1).pow(2).mean().backward()
        optimizer.step()
    assert not torch.equal(model[1].weight, before)
    # The whole model pickled (the classes are importable by name), and its state_dict.
    torch.save(model, tmp_path / "model.pt")
    reloaded = torch.load(tmp_path / "model.pt", weights_only=False)
    assert type(reloaded[1]) is mnn.PReLU
    torch.testing.assert_close(reloaded(x), model(x), rtol=0, atol=0)
    fresh = _torch_model(mnn)
    fresh.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=False).state_dict())
    torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)


def test_torch_checkpoints_load_either_way():
    mnn = _family("torch")
    ours = _torch_model(mnn)
    theirs = _torch_model(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        ours[1].weight.uniform_(-1, 1)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(5, 6)
    torch.testing.assert_close(ours(x), theirs(x))
    ours.load_state_dict(theirs.state_dict())
    torch.testing.assert_close(ours(x), theirs(x))


def test_torch_to_moves_and_casts_the_weight():
    mnn = _family("torch")
    prelu = mnn.PReLU(3).to(torch.float64)
    assert prelu.weight.dtype == torch.float64
    assert isinstance(prelu.weight, torch.nn.Parameter)
    assert mnn.PReLU(3, dtype=torch.float64, device="cpu").weight.dtype == torch.float64
    y = prelu(torch.tensor([[-1.0, 2.0, -3.0]], dtype=torch.float64))
    assert y.dtype == torch.float64
    assert [n for n, _ in prelu.named_parameters()] == ["weight"]


@pytest.mark.filterwarnings(
    # Dynamo instantiates torch.autograd.Function itself while tracing one (see test_compile).
    "ignore:<class 'torch.autograd.function.Function'> should not be instantiated"
    ":DeprecationWarning"
)
def test_torch_compile_and_export_of_a_first_call():
    # In a fresh interpreter: the family's import sets dispatch up for a first call traced.
    script = """
import torch
import multiact.torch.nn as mnn
model = torch.nn.Sequential(
    torch.nn.Linear(6, 8), mnn.PReLU(8), mnn.Squareplus(), mnn.RReLU(), mnn.Softmax(dim=-1)
).eval()
x = torch.randn(3, 6)
exported = torch.export.export(model, (x,)).module()
compiled = torch.compile(model, backend="eager", fullgraph=True)
torch.testing.assert_close(exported(x), model(x))
torch.testing.assert_close(compiled(x), model(x))
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


# torch.onnx's exporter, not multiact: its ExportedProgram pickling helper warns through copyreg
# that a pytree LeafSpec check is deprecated (as in tests/test_export.py).
@pytest.mark.filterwarnings("ignore:`isinstance\\(treespec, LeafSpec\\)`:FutureWarning")
def test_torch_onnx_export_runs_in_onnxruntime(tmp_path):
    pytest.importorskip("onnxscript")
    onnxruntime = pytest.importorskip("onnxruntime")
    mnn = _family("torch")
    model = _torch_model(mnn).eval()
    x = torch.randn(3, 6)
    torch.onnx.export(model, (x,), tmp_path / "model.onnx", dynamo=True)
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    (y,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    np.testing.assert_allclose(y, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


# --- The JAX families under their frameworks' transforms.


def test_nnx_modules_jit_and_sequential():
    from flax import nnx

    mnnx = _family("nnx")
    model = nnx.Sequential(mnnx.LeakyReLU(0.2), mnnx.PReLU(4), mnnx.Softmax(dim=-1))
    x = jnp.asarray(X)
    np.testing.assert_allclose(nnx.jit(lambda m, x: m(x))(model, x), model(x), rtol=1e-6)
    rrelu = mnnx.RReLU(rngs=nnx.Rngs(0))
    y = rrelu(x)
    slopes = np.asarray(y / x)[X < 0]
    assert slopes.min() >= 0.125 - 1e-6
    assert slopes.max() <= 1 / 3 + 1e-6
    assert np.unique(slopes).size > 10  # drawn, not the mean
    with pytest.raises(ValueError, match=r"multiact\.flax\.nnx\.RReLU: in training mode"):
        mnnx.RReLU()(x)


def test_equinox_modules_jit_and_sequential():
    import equinox as eqx

    meqx = _family("equinox")
    model = eqx.nn.Sequential([meqx.LeakyReLU(0.2), meqx.PReLU(4), meqx.Softmax(dim=-1)])
    x = jnp.asarray(X)
    np.testing.assert_allclose(eqx.filter_jit(lambda m, x: m(x))(model, x), model(x), rtol=1e-6)
    y = meqx.RReLU()(x, key=jax.random.key(0))
    slopes = np.asarray(y / x)[X < 0]
    assert np.unique(slopes).size > 10
    with pytest.raises(ValueError, match=r"multiact\.equinox\.RReLU: in training mode"):
        meqx.RReLU()(x)


@pytest.mark.parametrize("family", FAMILIES)
def test_constructor_errors_name_the_family(family):
    module = _family(family)
    with pytest.raises(ValueError, match=rf"multiact\.{FAMILIES[family][9:]}\.CELU: argument"):
        module.CELU(alpha=0.0)
    with pytest.raises(ValueError, match=r"\.PReLU: argument 'num_parameters'"):
        module.PReLU(0)


# --- Keras on its JAX and PyTorch backends: a subprocess each (Keras reads KERAS_BACKEND once).

SCRIPT = Path(__file__).with_name("keras_families.py")
KERAS_BACKENDS = [
    pytest.param(
        backend,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(backend) is None or importlib.util.find_spec("keras") is None,
            reason=f"{backend} or keras missing",
        ),
    )
    for backend in ("jax", "torch", "tensorflow")
]


def _keras(backend: str, mode: str, directory: Path) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), mode, str(directory)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_keras_layers_on_jax_and_torch_backends(backend, tmp_path):
    # Expected values from torch.nn (or multiact.nn on NumPy), for the script to compare with.
    np.save(tmp_path / "x.npy", X)
    expected = {
        f"{cls.__name__}-{i}": _expected(cls.__name__, kwargs)
        for cls in _families.NEUTRAL
        for i, kwargs in enumerate(_configs(cls))
    }
    np.savez(tmp_path / "expected.npz", **expected)
    (tmp_path / "configs.json").write_text(
        json.dumps(
            {
                f"{cls.__name__}-{i}": [cls.__name__, kwargs]
                for cls in _families.NEUTRAL
                for i, kwargs in enumerate(_configs(cls))
            }
        )
    )
    x, target = _data()
    np.save(tmp_path / "train_x.npy", x)
    np.save(tmp_path / "train_target.npy", target)
    trained = _keras(backend, "train", tmp_path)
    assert trained["backend"] == backend
    assert trained["mismatches"] == []
    np.testing.assert_allclose(trained["stepped"], _torch_step(x, target, 0.5), rtol=1e-5)
    assert trained["weights_changed"]
    loaded = _keras(backend, "load", tmp_path)
    assert loaded["classes"] == trained["classes"]
    assert loaded["same_outputs"]
