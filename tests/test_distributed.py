"""Dask: every activation builds a lazy dask graph with the input's chunks, and computed on a
dask.distributed cluster (two worker processes started here) it gives PyTorch's values,
softmax-like functions included along an axis cut into several chunks."""

from __future__ import annotations

import dask
import numpy as np
import pytest
from cases import REDUCING, TYPICAL, VARIANTS, exact_reference, inputs, output_shape
from multiact.conformance.reference import torch_reference
from multiact.conformance.targets import TARGETS
from multiact.conformance.tolerances import judge

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pytest.importorskip("torch")

DASK = next(t for t in TARGETS if t.name == "dask")
#: Softmax-like functions are checked along each axis in test_reduction_across_chunk_boundaries.
TYPICAL_ELEMENTWISE = [case for case in TYPICAL if not case.values[0].reduces]


@pytest.fixture(scope="module")
def client():
    """A cluster of two single-threaded worker processes on this machine, shared by the
    module (starting one takes seconds). The dashboard on a free port: the default, 8787, may
    be taken by another test process running the same fixture."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("the activation computed its dask input instead of building a graph")


def _call(activation, x, params):
    # The scheduler only runs when something computes: building the graph must not.
    with dask.config.set(scheduler=_refuse_to_compute):
        return DASK.call(activation.name, x, params)


def _reference(activation, values, params):
    if activation.names.torch is None:  # squareplus, sparsemax...: the exact value
        return exact_reference(activation, values, "float64", params)
    return torch_reference(activation, values, "float64", params)


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
def test_builds_a_lazy_graph_with_the_input_chunks(activation, params):
    # float16 is widened to float32 inside: the cast back must not rechunk either.
    x = da.from_array(np.linspace(-3, 3, 8 * 12).reshape(8, 12).astype("float16"), chunks=(3, 4))
    y = _call(activation, x, params)
    assert isinstance(y, da.Array)
    assert y.dtype == x.dtype
    assert y.shape == output_shape(activation, x.shape, params)
    if activation.halves_axis:  # glu: the other axis keeps its chunks
        kept = 1 - params.get("axis", -1) % 2
        assert y.chunks[kept] == x.chunks[kept]
    else:
        assert y.chunks == x.chunks


@pytest.mark.parametrize(("activation", "params"), TYPICAL_ELEMENTWISE)
def test_distributed_result_matches_pytorch(client, activation, params):
    values = inputs(activation, "float64").reshape(12, 21)  # a grid and the special values
    x = da.from_array(values, chunks=(5, 8))
    y = _call(activation, x, params)
    actual = client.compute(y).result()
    expected = _reference(activation, values, params)
    result = judge(activation.name, params, "forward", "dask", "float64", values, actual, expected)
    assert result.ok, result.message


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("activation", REDUCING)
def test_reduction_across_chunk_boundaries(client, activation, axis):
    # Rows of 8 (axis 0) cut 3 + 3 + 2, rows of 6 (axis 1) cut 4 + 2: glu's halves straddle
    # the cut, softmax's max and sum combine partial results from several chunks.
    values = inputs(activation, "float64")
    params = {"axis": axis}
    x = da.from_array(values, chunks=(3, 4))
    assert len(x.chunks[axis]) > 1
    actual = client.compute(_call(activation, x, params)).result()
    expected = _reference(activation, values, params)
    result = judge(activation.name, params, "forward", "dask", "float64", values, actual, expected)
    assert result.ok, result.message


def test_tasks_ran_in_the_worker_processes(client):
    import os

    import multiact

    x = da.from_array(np.linspace(-1, 1, 16), chunks=4)
    with distributed.get_task_stream(client) as stream:
        client.compute(multiact.gelu(x)).result()
    workers = {task["worker"] for task in stream.data}
    assert workers <= set(client.scheduler_info()["workers"])
    assert workers
    assert os.getpid() not in client.run(os.getpid).values()
