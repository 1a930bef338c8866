"""PyTorch's own OpInfo sample inputs and error inputs, run through multiact on every backend.

``torch.testing._internal.common_methods_invocations.op_db`` (inside the torch wheel; it needs
the ``expecttest`` package) holds, for every activation PyTorch has, the sample inputs its own
test suite runs (shapes, parameters, dtypes: floating, integer, bool, complex) and the inputs
that must fail. They are a second source of cases, written by other people: each sample runs
through multiact on PyTorch tensors, NumPy, JAX, array-api-strict and Dask arrays, and must
agree with PyTorch's result within the conformance tolerances (``tolerances.judge``, PyTorch's
other code paths beside its result; where its half-precision kernel is the less accurate,
``torch_reference``'s float32 result rounded, as the conformance suite judges); every error
input must raise multiact's error on every backend.

One test per (OpInfo, backend): it runs all the OpInfo's samples and lists those that fail.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from _complex import complex_mismatches, torch_paths_of
from multiact.conformance.reference import torch_paths, torch_reference
from multiact.conformance.targets import TARGETS, Target
from multiact.conformance.tolerances import judge

import multiact
from multiact import ACTIVATIONS, Activation

pytest.importorskip("expecttest")  # common_methods_invocations imports it
torch = pytest.importorskip("torch")

from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402

#: OpInfos whose name is an activation's but which are something else.
NOT_ACTIVATIONS = {
    "exponential": "Tensor.exponential_, sampling from the exponential distribution",
    "nn.functional.linear": "the affine map x W^T + b (multiact's linear is Keras' identity)",
}
#: OpInfos of an activation under another name: torch.exp is what multiact.exponential
#: computes (Keras' "exponential" activation), with torch.exp's dtype rules.
OTHER_NAMES = {"exp": "exponential"}


def _activation_of(name: str) -> Activation | None:
    if name in NOT_ACTIVATIONS:
        return None
    short = OTHER_NAMES.get(name, name.removeprefix("nn.functional."))
    try:
        return multiact.lookup(short)  # canonical names and aliases
    except KeyError:
        return None


def _label(op: Any) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


#: (OpInfo, multiact activation) for every OpInfo of an activation multiact has.
OPINFOS = [(op, a) for op in op_db if (a := _activation_of(op.name)) is not None]
#: The dtypes samples are drawn in (torch.complex32: on PyTorch tensors only).
DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "complex64",
    "complex128",
    "complex32",
)
BACKENDS = [t for t in TARGETS if not t.forced_generic and t.name != "cupy"]


def _dtypes_of(target: Target) -> set[str]:
    """The dtypes ``target``'s library has arrays of."""
    if target.library == "torch":
        return set(DTYPES)
    others = {"int8", "int16", "int32", "int64", "uint8", "bool"}
    return set(target.dtypes) | others | set(target.adapter.complex_dtypes)


def _name(dtype: Any) -> str:
    if type(dtype).__module__.startswith("tensorflow"):  # str() of a tf.DType is its repr
        return dtype.name
    return str(dtype).rpartition(".")[2]


@dataclass
class Outcome:
    """What one OpInfo's samples gave on one backend."""

    agreed: int = 0
    #: Samples that raised (multiact refused what PyTorch computes).
    raised: list[str] = field(default_factory=list)
    #: Samples whose result is outside the tolerance of PyTorch's.
    disagreed: list[str] = field(default_factory=list)
    #: Samples in a dtype the backend's library has no arrays of.
    not_applicable: int = 0


#: What PyTorch says whenever it makes a complex32 tensor (log_softmax's samples).
_COMPLEX32_WARNING = "ComplexHalf support is experimental"


def samples(op: Any) -> Iterator[Any]:
    for dtype in op.supported_dtypes("cpu"):
        if _name(dtype) in DTYPES:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", _COMPLEX32_WARNING, UserWarning)
                made = list(op.sample_inputs("cpu", dtype, requires_grad=False))
            yield from made


def _numpy(t: Any) -> np.ndarray:
    t = t.detach().resolve_conj().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy()


def _convert(value: Any, target: Target) -> Any:
    """A sample's tensor or dtype as ``target``'s (PyTorch's tensors as they are)."""
    if target.library == "torch":
        return value
    if isinstance(value, torch.dtype):
        return target.asarray(np.zeros(1), _name(value)).dtype
    if isinstance(value, torch.Tensor):
        if target.library == "dask.array":
            return _dask_array(_numpy(value), _name(value.dtype))
        return target.asarray(_numpy(value), _name(value.dtype))
    return value


def _dask_array(values: np.ndarray, dtype: str) -> Any:
    """``values`` as a Dask array of at most 8 chunks, split from the last axis (the one most
    samples reduce along) on: Target.asarray's four chunks per axis make a 5-d sample a
    thousand tasks, and the run ten times slower."""
    import dask.array as da

    chunks, count = [], 1
    for size in reversed(values.shape):
        split = size >= 2 and count < 8
        chunks.append(-(-size // 2) if split else max(size, 1))
        count *= 2 if split else 1
    return da.from_array(values.astype(dtype), chunks=tuple(reversed(chunks)))


def _torch_kwargs(a: Activation, sample: Any) -> dict[str, Any]:
    """The sample's arguments in multiact's names: positional ones in PyTorch's order, which
    the registry keeps (softmax's dim is axis; dim= is an accepted alias)."""
    names = [p.name for p in a.params]
    kwargs = dict(zip(names, sample.args, strict=False))
    kwargs.update(sample.kwargs)
    if kwargs.get("training"):
        kwargs["generator"] = 42  # the seed the OpInfo's rrelu wrapper sets
    return kwargs


def _kwargs(a: Activation, sample: Any, target: Target) -> dict[str, Any]:
    """``_torch_kwargs`` with tensors and dtypes as ``target``'s."""
    return {k: _convert(v, target) for k, v in _torch_kwargs(a, sample).items()}


def _params(a: Activation, kwargs: dict[str, Any], ndim: int) -> dict[str, Any]:
    """The multiact parameters of a call, for the conformance machinery (weights as tuples of
    floats, the axis normalised, no dtype)."""
    params = {}
    for key, value in kwargs.items():
        if key in ("dim", "axis"):
            params["axis"] = value % max(ndim, 1)
        elif key == "weight":
            params["weight"] = tuple(float(v) for v in np.ravel(_numpy(value)))
        elif key not in ("dtype", "generator", "inplace"):
            params[key] = value
    if a.reduces:
        params.setdefault("axis", a.defaults["axis"] % max(ndim, 1))
    return params


def _torch_result(op: Any, sample: Any) -> Any:
    with warnings.catch_warnings():
        # PyTorch's own cast of complex x for dtype= warns; multiact's warning is checked.
        warnings.simplefilter("ignore", UserWarning)
        return op(sample.input, *sample.args, **sample.kwargs)


def _expected_warnings(a: Activation, sample: Any) -> int:
    """multiact's documented warnings for this call: complex x cast by dtype=, and softmin's
    negation of unsigned x before dtype= (both what PyTorch computes)."""
    if "dtype" not in sample.kwargs:
        return 0
    if sample.input.is_complex():
        return 1
    return int(a.name == "softmin" and sample.input.dtype == torch.uint8)


def _call(a: Activation, x: Any, kwargs: dict[str, Any], expected_warnings: int) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = getattr(multiact, a.name)(x, **kwargs)
    ours = [str(w.message) for w in caught if _COMPLEX32_WARNING not in str(w.message)]
    if len(ours) != expected_warnings or not all(m.startswith("multiact.") for m in ours):
        raise AssertionError(f"warnings {ours}, expected {expected_warnings} of multiact's")
    return y


def _floating_paths(
    op: Any, a: Activation, sample: Any, kwargs: dict, target: Target
) -> tuple[np.ndarray, list[np.ndarray]]:
    """PyTorch's result and its other code paths for a real-valued output."""
    t = sample.input
    dtype = _name(t.dtype)
    own = target.library == "torch"
    if a.names.torch and t.is_floating_point() and "dtype" not in sample.kwargs:
        # The conformance machinery: PyTorch's function by its registry name, in each of its
        # code paths, in float32 rounded where its half-precision kernel is no reference.
        values = _numpy(t).astype(np.float64)
        params = _params(a, _torch_kwargs(a, sample), t.ndim)
        reference = torch_reference(a, values, dtype, params, widen=not own)
        return reference, torch_paths(a, values, dtype, params, widen=not own)
    # Integer, bool or complex x cast by dtype=, and torch.exp: the OpInfo's own op, on a
    # contiguous, padded (vectorised loop, elementwise only) and strided copy of the input.
    reference = _torch_result(op, sample).double().numpy()

    def on(x: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return op(x, *sample.args, **sample.kwargs)

    if a.reduces or a.halves_axis or a.name == "prelu":
        base = torch.zeros((*t.shape[:-1], 2 * t.shape[-1]), dtype=t.dtype) if t.ndim else None
        if base is None:
            return reference, []
        base[..., ::2] = t
        return reference, [on(base[..., ::2]).double().numpy()]
    paths = torch_paths_of(on, t)
    return reference, [np.asarray(p, dtype=np.float64) for p in paths]


def _rrelu_draws_ok(values: np.ndarray, actual: np.ndarray, lower: float, upper: float) -> bool:
    """A random rrelu draw (other libraries draw from other generators): x where x > 0, and
    a * x with lower <= a <= upper elsewhere (within float rounding)."""
    kept = values > 0
    if not np.array_equal(actual[kept], values[kept]):
        return False
    scaled = ~kept & ~np.isnan(values)
    slope_low, slope_high = (
        np.minimum(lower * values, upper * values),
        np.maximum(lower * values, upper * values),
    )
    slack = 1e-2 * np.abs(values) + 1e-6
    inside = (actual >= slope_low - slack) & (actual <= slope_high + slack)
    return bool(np.all(inside[scaled])) and bool(np.all(np.isnan(actual[np.isnan(values)])))


def run_sample(op: Any, a: Activation, sample: Any, target: Target) -> str | None:
    """None if multiact agrees with PyTorch on ``sample`` on ``target``, else why not; raises
    ``LookupError`` for a dtype the target's library lacks."""
    t = sample.input
    if _name(t.dtype) not in _dtypes_of(target):
        raise LookupError(_name(t.dtype))
    kwargs = _kwargs(a, sample, target)
    x = t.clone() if target.library == "torch" else _convert(t, target)
    try:
        y = _call(a, x, kwargs, _expected_warnings(a, sample))
    except Exception as error:
        return f"raised {type(error).__name__}: {error}"
    expected = _torch_result(op, sample)
    got, want = _name(y.dtype), _name(expected.dtype)
    if got != want:
        return f"dtype {got}, PyTorch's {want}"
    actual = target.to_numpy(y)
    if tuple(np.shape(actual)) != tuple(expected.shape):
        return f"shape {np.shape(actual)}, PyTorch's {tuple(expected.shape)}"
    if kwargs.get("training"):
        if target.library == "torch":  # the same seed, the same generator: PyTorch's draw
            same = torch.equal(y, expected) or torch.allclose(y, expected, equal_nan=True)
            return None if same else "rrelu's draw differs from PyTorch's with the same seed"
        values = _numpy(t).astype(np.float64)
        ok = _rrelu_draws_ok(values, actual, kwargs.get("lower", 0.125), kwargs["upper"])
        return None if ok else "a slope outside [lower, upper]"
    if expected.is_complex():
        paths = torch_paths_of(lambda v: op(v, *sample.args, **sample.kwargs), t)
        bad = complex_mismatches(actual, paths, want)
        return None if not bad.size else f"{bad.size} of {actual.size} elements differ"
    if not expected.is_floating_point():  # computed in integers: exactly PyTorch's
        return None if np.array_equal(actual, expected.numpy()) else "integers differ"
    reference, paths = _floating_paths(op, a, sample, kwargs, target)
    values = _numpy(t.real if t.is_complex() else t).astype(np.float64)
    result = judge(
        a.name,
        _params(a, _torch_kwargs(a, sample), t.ndim),
        "forward",
        target.name,
        want,
        values,
        actual,
        reference,
        other_paths=paths,
    )
    return None if result.ok else result.message


def run(op: Any, a: Activation, target: Target) -> Outcome:
    outcome = Outcome()
    for i, sample in enumerate(samples(op)):
        try:
            problem = run_sample(op, a, sample, target)
        except LookupError:
            outcome.not_applicable += 1
            continue
        described = (
            f"#{i} {_name(sample.input.dtype)}{tuple(sample.input.shape)} "
            f"args={sample.args} kwargs={ {k: v for k, v in sample.kwargs.items()} }: {problem}"
        )
        if problem is None:
            outcome.agreed += 1
        elif problem.startswith("raised"):
            outcome.raised.append(described)
        else:
            outcome.disagreed.append(described)
    return outcome


def _skip_missing(target: Target) -> list:
    return [pytest.mark.skipif(not target.available(), reason=f"{target.library} missing")]


CASES = [
    pytest.param(op, a, target, id=f"{_label(op)}-{target.name}", marks=_skip_missing(target))
    for op, a in OPINFOS
    for target in BACKENDS
]


@pytest.mark.parametrize(("op", "activation", "target"), CASES)
def test_opinfo_samples_agree_with_pytorch(op, activation, target):
    outcome = run(op, activation, target)
    problems = outcome.raised + outcome.disagreed
    assert not problems, (
        f"{len(problems)} of {len(problems) + outcome.agreed} samples fail:\n"
        + "\n".join(problems[:10])
    )
    assert outcome.agreed or outcome.not_applicable


def test_every_activation_opinfo_is_run():
    # An OpInfo under an activation's name (or an alias) is run, or said to be something else.
    names = {n for a in ACTIVATIONS.values() for n in (a.name, *a.aliases)}
    for op in op_db:
        short = op.name.removeprefix("nn.functional.")
        if short in names or op.name in OTHER_NAMES:
            assert _activation_of(op.name) is not None or op.name in NOT_ACTIVATIONS, op.name
    run_names = {op.name for op, _ in OPINFOS}
    with_torch = {a.names.torch.rpartition(".")[2] for a in ACTIVATIONS.values() if a.names.torch}
    # Every PyTorch activation multiact has, PyTorch tests with an OpInfo of its own.
    assert with_torch <= {n.removeprefix("nn.functional.") for n in run_names}


# --- Error inputs: every one must raise multiact's error on every backend.

ERROR_CASES = [
    pytest.param(op, a, target, id=f"{_label(op)}-{target.name}", marks=_skip_missing(target))
    for op, a in OPINFOS
    if op.error_inputs_func is not None
    for target in BACKENDS
]


@pytest.mark.parametrize(("op", "activation", "target"), ERROR_CASES)
def test_opinfo_error_inputs_raise(op, activation, target):
    inputs = list(op.error_inputs("cpu"))
    assert inputs
    for error_input in inputs:
        sample = error_input.sample_input
        with pytest.raises(error_input.error_type):  # PyTorch refuses it
            op(sample.input, *sample.args, **sample.kwargs)
        kwargs = _kwargs(activation, sample, target)
        x = sample.input.clone() if target.library == "torch" else _convert(sample.input, target)
        with pytest.raises((TypeError, ValueError), match=r"^multiact\.(nn\.)?\w+: "):
            getattr(multiact, activation.name)(x, **kwargs)


def opinfo_counts() -> dict[str, dict[str, int]]:
    """Per backend: samples run, agreeing, raising, disagreeing, not applicable (for reports)."""
    counts = {}
    for target in BACKENDS:
        total = {"agreed": 0, "raised": 0, "disagreed": 0, "not applicable": 0}
        for op, a in OPINFOS:
            o = run(op, a, target)
            total["agreed"] += o.agreed
            total["raised"] += len(o.raised)
            total["disagreed"] += len(o.disagreed)
            total["not applicable"] += o.not_applicable
        counts[target.name] = total
    return counts
