"""The Dask backend (backends/dask.py): one task per chunk, each chunk computed by multiact on
its own library, and nothing computed while the graph is built.

Task counts are what a call adds to the graph beyond its inputs': one per chunk for an
elementwise activation; for a function of an axis cut into several chunks, one per chunk plus
a reduction tree, bounded by Dask's own reduction along that axis (``x.max(axis)``). The values
are multiact's on the whole array (NumPy's kernels, bit for bit where the chunks run the same
kernel); tests/test_distributed.py checks them against PyTorch on a cluster, and the ``dask``
conformance target everywhere else.
"""

from __future__ import annotations

import uuid

import dask
import numpy as np
import pytest
from cases import REDUCING, VARIANTS, inputs, output_shape
from dask.highlevelgraph import HighLevelGraph
from multiact.conformance.targets import by_name

import multiact
from multiact import ACTIVATIONS

da = pytest.importorskip("dask.array")

DASK = by_name("dask")
ELEMENTWISE_VARIANTS = [p for p in VARIANTS if not p.values[0].reduces]
REDUCING_VARIANTS = [
    pytest.param(a, {**params, "axis": axis}, id=f"{a.variant_label(params)}-axis{axis}")
    for a in ACTIVATIONS.values()
    if a.reduces
    for params in a.parameterisations
    for axis in (0, 1)
]
#: The functions normalised by their rows' exponentials: a tree reduction, then a sum.
NORMALISED = {"softmax", "log_softmax", "softmin"}


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("the call computed its dask input instead of building a graph")


def _lazily():
    return dask.config.set(scheduler=_refuse_to_compute)


def _elementwise_input(activation, dtype="float32"):
    # A grid and the special values, 12 x 21 in chunks of 5 x 8: 9 chunks, ragged at the edges.
    values = inputs(activation, dtype).reshape(12, 21).astype(dtype)
    return values, da.from_array(values, chunks=(5, 8))


def _reducing_input(activation, dtype="float32"):
    # Rows of 8 (axis 0) cut 3 + 3 + 2, rows of 6 (axis 1) cut 4 + 2; special rows included.
    values = inputs(activation, dtype).astype(dtype)
    return values, da.from_array(values, chunks=(3, 4))


def _params(activation, params, x):
    """prelu's weight (a tuple) as a Dask array of x's dtype."""
    return DASK.array_params(activation.name, params, x)


def _call(activation, x, params):
    with _lazily():
        return getattr(multiact, activation.name)(x, **_params(activation, params, x))


def _added(y, *inputs):
    """The tasks in ``y``'s graph beyond those of ``inputs``."""
    given = set().union(*(dict(i.__dask_graph__()) for i in inputs))
    return len(set(dict(y.__dask_graph__())) - given)


def _tree(x, axis):
    """The tasks of Dask's own reduction along ``axis`` (its chunks' partial results, then the
    tree combining them): the bound for one row statistic."""
    return _added(x.max(axis=axis, keepdims=True), x)


def _numpy(activation, values, params):
    return getattr(multiact, activation.name)(values, **_params_numpy(params, values))


def _params_numpy(params, values):
    return {
        k: np.asarray(v, values.dtype) if isinstance(v, tuple) else v for k, v in params.items()
    }


# --- Graph size.


@pytest.mark.parametrize(("activation", "params"), ELEMENTWISE_VARIANTS)
def test_elementwise_activation_is_one_task_per_chunk(activation, params):
    _, x = _elementwise_input(activation)
    y = _call(activation, x, params)
    weight = [v for v in _params(activation, params, x).values() if isinstance(v, da.Array)]
    assert _added(y, x, *weight) == x.npartitions


@pytest.mark.parametrize(("activation", "params"), REDUCING_VARIANTS)
def test_function_of_a_chunked_axis_is_a_task_per_chunk_and_a_reduction_tree(activation, params):
    _, x = _reducing_input(activation)
    axis = params["axis"]
    y = _call(activation, x, params)
    if activation.halves_axis:  # glu: a task per output chunk, nothing else
        assert _added(y, x) == y.npartitions <= x.npartitions
    else:
        assert x.npartitions < _added(y, x) <= x.npartitions + _tree(x, axis)
        assert y.chunks == x.chunks


@pytest.mark.parametrize("activation", REDUCING)
def test_a_function_of_an_axis_in_one_chunk_is_one_task_per_chunk(activation):
    values, _ = _reducing_input(activation)
    x = da.from_array(values, chunks=(3, 6))  # the rows of axis 1 whole
    assert _added(_call(activation, x, {"axis": 1}), x) == x.npartitions


@pytest.mark.parametrize(("activation", "params"), [*ELEMENTWISE_VARIANTS, *REDUCING_VARIANTS])
def test_gradient_graph_size(activation, params):
    # Elementwise: a task per chunk (each computes its chunk's forward and gradient at once).
    # Along a chunked axis: the forward (a task per chunk and a tree), the row sum the gradient
    # needs (a tree), and a task per chunk.
    if activation.reduces:
        _, x = _reducing_input(activation)
    else:
        _, x = _elementwise_input(activation)
    if activation.random and params.get("training"):
        pytest.skip("rrelu's training mode has no multiact.vjp")
    y = getattr(multiact, activation.name)(x, **_params(activation, params, x))
    g = da.ones(y.shape, dtype=y.dtype, chunks=y.chunks)
    with _lazily():
        grad = multiact.vjp(activation.name, x, g, **_params(activation, params, x))
    assert grad.chunks == x.chunks
    weight = [v for v in _params(activation, params, x).values() if isinstance(v, da.Array)]
    added = _added(grad, x, g, *weight)
    axis = params.get("axis")
    if axis is None or activation.halves_axis:
        assert added == x.npartitions
    elif activation.name in NORMALISED:
        assert added <= 2 * (x.npartitions + _tree(x, axis))
    else:
        assert added <= x.npartitions + _tree(x, axis)


def test_rrelu_in_training_mode_is_one_task_per_chunk():
    values, x = _elementwise_input(ACTIVATIONS["rrelu"])
    with _lazily():
        y = multiact.rrelu(x, training=True, generator=4)
    assert _added(y, x) == x.npartitions
    # The slopes are NumPy's stream for the seed, as on a NumPy array.
    np.testing.assert_array_equal(y.compute(), multiact.rrelu(values, training=True, generator=4))


def test_the_generic_kernels_build_a_layer_per_array_operation():
    # What the backend replaces (the generic-dask conformance target still runs them).
    from multiact import _generic

    _, x = _elementwise_input(ACTIVATIONS["gelu"])
    assert _added(_generic.gelu(x, "none"), x) > 50 * x.npartitions
    assert _added(multiact.gelu(x), x) == x.npartitions


# --- Values: multiact's on the whole array.


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize(("activation", "params"), ELEMENTWISE_VARIANTS)
def test_elementwise_values_are_the_chunk_kernels_bit_for_bit(activation, params, dtype):
    values, x = _elementwise_input(activation, dtype)
    y = _call(activation, x, params)
    expected = _numpy(activation, values, params)
    assert y.dtype == expected.dtype
    np.testing.assert_array_equal(y.compute(), expected, strict=True)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize(("activation", "params"), REDUCING_VARIANTS)
def test_values_along_a_chunked_axis(activation, params, dtype):
    values, x = _reducing_input(activation, dtype)
    y = _call(activation, x, params).compute()
    expected = _numpy(activation, values, params)
    assert y.shape == output_shape(activation, values.shape, params)
    if activation.name in NORMALISED:
        # The row sums add the chunks' partial sums (in float64): within an ULP or two of the
        # single kernel's; NaN rows the same. In float64 the chunks' exp(x - m) takes x - m
        # rounded, an error exp multiplies by |x - m| (about 5 ULP on these rows), which the
        # compiled NumPy kernel folds in (2 ULP from the exact value against PyTorch's 11).
        ulps = 32 if dtype == "float64" else 4
        np.testing.assert_allclose(y, expected, rtol=ulps * np.finfo(dtype).eps, atol=0)
    else:  # glu and sparsemax run the chunk library's own kernel on the rows they need
        np.testing.assert_array_equal(y, expected, strict=True)


@pytest.mark.parametrize(("activation", "params"), [*ELEMENTWISE_VARIANTS, *REDUCING_VARIANTS])
def test_gradient_values(activation, params):
    if activation.random and params.get("training"):
        pytest.skip("rrelu's training mode has no multiact.vjp")
    if activation.reduces:
        values, x = _reducing_input(activation)
    else:
        values, x = _elementwise_input(activation)
    shape = output_shape(activation, values.shape, params)
    cotangent = np.random.default_rng(2).uniform(0.5, 1.5, shape).astype(values.dtype)
    g = da.from_array(cotangent, chunks=(4, 3))  # not x's chunks: realigned
    grad = multiact.vjp(activation.name, x, g, **_params(activation, params, x)).compute()
    expected = multiact.vjp(activation.name, values, cotangent, **_params_numpy(params, values))
    if activation.name in NORMALISED and x.numblocks[params["axis"]] > 1:
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(grad, expected, strict=True)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "complex64"])
def test_integer_bool_and_complex_chunks_follow_their_backends_dtype_rules(dtype):
    values = np.array([[-3, 0, 2, 5], [1, -1, 7, 0]]).astype(dtype)
    x = da.from_array(values, chunks=(1, 2))
    for name in ("sigmoid", "relu", "tanh", "identity", "silu"):
        a = ACTIVATIONS[name]
        if values.dtype.kind not in a.dtype_kinds:
            continue
        with _lazily():
            y = getattr(multiact, name)(x)
        expected = getattr(multiact, name)(values)
        assert y.dtype == expected.dtype, name
        assert _added(y, x) == x.npartitions, name
        np.testing.assert_array_equal(y.compute(), expected, strict=True)


def test_dtype_argument_casts_then_normalises():
    values = np.arange(12, dtype=np.int64).reshape(3, 4)
    x = da.from_array(values, chunks=2)
    with _lazily():
        y = multiact.softmax(x, axis=1, dtype="float32")
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.compute(), multiact.softmax(values, axis=1, dtype="float32"), 1e-6)


# --- Laziness, in place, parameters as arrays.


def test_inplace_rebinds_the_array_and_writes_no_chunk():
    values, x = _elementwise_input(ACTIVATIONS["relu"])
    original = values.copy()
    before = x
    with _lazily():
        y = multiact.relu(x, inplace=True)
    assert y is x is before
    np.testing.assert_array_equal(x.compute(), multiact.relu(original))
    # The chunks are views of `values` (from_array): they must not have been written.
    np.testing.assert_array_equal(values, original, strict=True)


def test_a_0d_dask_parameter_stays_lazy():
    values, x = _elementwise_input(ACTIVATIONS["leaky_relu"])
    slope = da.from_array(np.array(0.2, dtype=np.float32))
    with _lazily():
        y = multiact.leaky_relu(x, slope)
        grad = multiact.vjp("leaky_relu", x, da.ones_like(x), negative_slope=slope)
    assert _added(y, x, slope) == x.npartitions
    np.testing.assert_array_equal(y.compute(), multiact.leaky_relu(values, 0.2))
    np.testing.assert_array_equal(
        grad.compute(), multiact.vjp("leaky_relu", values, np.ones_like(values), negative_slope=0.2)
    )


def test_a_0d_dask_parameter_is_checked_when_computed():
    _, x = _elementwise_input(ACTIVATIONS["elu"])
    y = multiact.elu(x, da.from_array(np.array(np.nan)))  # its value is not known yet
    with pytest.raises(ValueError, match=r"multiact\.elu: argument 'alpha' must be finite"):
        y.compute()


def test_masked_chunks_are_refused_when_the_graph_is_built():
    x = da.from_array(np.ma.array([1.0, -2.0], mask=[False, True]), chunks=1)
    with _lazily(), pytest.raises(TypeError, match=r"multiact\.gelu: .*MaskedArray"):
        multiact.gelu(x)


# --- Chunks of other libraries: each computed by its own backend.


def _array_of_chunks(blocks, chunks, meta):
    """A Dask array whose chunks are the given arrays of any library (Dask's ``from_array``
    takes NumPy-like arrays only)."""
    name = f"chunks-{uuid.uuid4().hex}"
    graph = HighLevelGraph.from_collections(
        name, {(name, *k): b for k, b in blocks.items()}, dependencies=[]
    )
    return da.Array(graph, name, chunks, meta=meta)


def _chunked(values, make, cut=(3, 4)):
    """``values`` cut into blocks of ``cut``, each made by ``make``."""
    starts = [range(0, n, c) for n, c in zip(values.shape, cut, strict=True)]
    blocks = {}
    for i, r in enumerate(starts[0]):
        for j, c in enumerate(starts[1]):
            blocks[i, j] = make(values[r : r + cut[0], c : c + cut[1]])
    chunks = tuple(
        tuple(min(c, n - s) for s in range(0, n, c)) for n, c in zip(values.shape, cut, strict=True)
    )
    return blocks, chunks


def _blocks(y):
    """Each output chunk, as computed (not joined by Dask)."""
    computed = dask.compute(*y.to_delayed().ravel(), scheduler="synchronous")
    out = np.empty(y.numblocks, dtype=object)
    for index, block in zip(np.ndindex(*y.numblocks), computed, strict=True):
        out[index] = block
    return out


STRICT_CASES = [
    *(p for p in VARIANTS if not p.values[0].reduces),
    *(p for p in REDUCING_VARIANTS),
]


@pytest.mark.parametrize(("activation", "params"), STRICT_CASES)
def test_array_api_strict_chunks_run_the_generic_backend_chunk_by_chunk(activation, params):
    # The stand-in for CuPy-backed Dask arrays (no GPU here): chunks of a library without a
    # native backend, which multiact computes with its generic kernels, as it computes CuPy's.
    # Dask cannot join array-api-strict chunks, so each output chunk is read as computed.
    xps = pytest.importorskip("array_api_strict")
    values = inputs(activation, "float64")
    if not activation.reduces:
        values = values.reshape(12, 21)
    blocks, chunks = _chunked(values, xps.asarray)
    x = _array_of_chunks(blocks, chunks, np.empty((0, 0)))
    kwargs = {
        k: xps.asarray(np.asarray(v)) if isinstance(v, tuple) else v for k, v in params.items()
    }
    expected = np.from_dlpack(getattr(multiact, activation.name)(xps.asarray(values), **kwargs))
    if "weight" in kwargs:  # a Dask array of one chunk of array-api-strict
        kwargs["weight"] = _array_of_chunks({(0,): kwargs["weight"]}, ((1,),), np.empty(0))
    with _lazily():
        y = getattr(multiact, activation.name)(x, **kwargs)
    out = _blocks(y)
    assert all(type(b) is type(blocks[0, 0]) for b in out.flat)
    result = np.block([[np.from_dlpack(b) for b in row] for row in out])
    if activation.name in NORMALISED:
        np.testing.assert_allclose(result, expected, rtol=1e-14, atol=0)
    else:
        np.testing.assert_array_equal(result, expected, strict=True)


@pytest.mark.parametrize("name", ["gelu", "softmax", "log_softmax", "glu", "sparsemax"])
def test_array_api_strict_chunks_gradients(name):
    xps = pytest.importorskip("array_api_strict")
    activation = ACTIVATIONS[name]
    values = inputs(activation, "float64")
    if not activation.reduces:
        values = values.reshape(12, 21)
    params = {"axis": 1} if activation.reduces else {}
    shape = output_shape(activation, values.shape, params)
    cotangent = np.random.default_rng(3).uniform(0.5, 1.5, shape)
    x = _array_of_chunks(*_chunked(values, xps.asarray), np.empty((0, 0)))
    g = _array_of_chunks(*_chunked(cotangent, xps.asarray), np.empty((0, 0)))
    expected = np.from_dlpack(
        multiact.vjp(name, xps.asarray(values), xps.asarray(cotangent), **params)
    )
    with _lazily():
        grad = multiact.vjp(name, x, g, **params)
    result = np.block([[np.from_dlpack(b) for b in row] for row in _blocks(grad)])
    np.testing.assert_allclose(result, expected, rtol=1e-13, atol=1e-15)


def test_the_result_meta_is_the_chunk_library():
    # JAX chunks (a library Dask knows nothing of, as it knows only what CuPy registers): the
    # result declares JAX chunks, and each is computed by multiact's JAX backend.
    jnp = pytest.importorskip("jax.numpy")
    values = np.linspace(-3.0, 3.0, 48).reshape(6, 8)
    x = _array_of_chunks(*_chunked(values, jnp.asarray), jnp.zeros((0, 0)))
    with _lazily():
        ys = [multiact.gelu(x), multiact.softmax(x, axis=1), multiact.sigmoid(x)]
    calls = (multiact.gelu, lambda v: multiact.softmax(v, axis=1), multiact.sigmoid)
    for y, f in zip(ys, calls, strict=True):
        assert type(y._meta) is type(x._meta)
        out = _blocks(y)
        assert all(multiact.backend_for(b) == "jax" for b in out.flat)
        np.testing.assert_allclose(
            np.block([[np.asarray(b) for b in row] for row in out]), f(values), rtol=1e-14
        )
