"""`multiact bench` in quick mode, and the NumPy kernels' memory: nothing beyond the output.

No timing is asserted here (timings belong to the benchmark); peak memory is deterministic.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from multiact.backends import _blocks
from multiact.backends import numpy as numpy_backend

import multiact
from multiact import ACTIVATIONS, _bench
from multiact._cli import main

MiB = 1 << 20


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    argv = ["bench", "--quick", "--activations", "relu,leaky_relu,softmax", "--sizes", "1,200000"]
    assert main([*argv, "--json", str(path)]) == 0
    return json.loads(path.read_text())


def _sections(report, backend):
    return {r["section"] for r in report["records"] if r["backend"] == backend}


def test_quick_bench_writes_every_section(quick_report):
    assert _sections(quick_report, "numpy") == {
        "first call",
        "overhead",
        "dispatch",
        "throughput",
        "memory",
        "gradient",
    }
    assert _sections(quick_report, "-") == {"import"}


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_quick_bench_times_each_framework(quick_report, backend):
    pytest.importorskip(backend)
    assert {"overhead", "dispatch", "throughput", "gradient"} <= _sections(quick_report, backend)


def test_quick_bench_records_the_cpu(quick_report):
    machine = quick_report["machine"]
    assert isinstance(machine["cpu_features"], list)
    assert set(machine["numpy_dispatch"]) <= set(np._core._multiarray_umath.__cpu_dispatch__)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_training_step_compares_the_same_mlp(backend):
    """One record per framework (quick: no torch.compile), each step changing its weights."""
    pytest.importorskip(backend)
    settings = _bench.Settings((backend,), ("gelu",), (1,), quick=True, rounds=2, min_time=0)
    framework = "jax" if backend == "jax" else "torch"
    mine, native = _bench._training_steps(framework)

    def host(w):  # a copy: torch's step updates its weights in place
        return w.numpy().copy() if backend == "torch" else np.array(w)

    before = host(mine())
    assert not np.array_equal(before, host(mine()))
    assert host(native()).shape == before.shape
    (record,) = _bench.run_training(backend, settings)
    assert record.section == "training"
    assert record.extra["framework"] == framework
    assert record.ratio > 0
    assert record.met == (record.ratio <= 1.03)


@pytest.mark.parametrize("name", _bench.ACTIVATIONS)
def test_numpy_gradient_reference_is_the_derivative(name):
    """The hand-written derivatives the gradient section times are derivatives: they agree
    with multiact.vjp away from the edges."""
    pytest.importorskip("scipy")
    mine, reference = _bench._gradient_calls(_bench._Backend("numpy"), name)
    x = np.random.default_rng(1).uniform(-3, 3, _bench.GRADIENT_SHAPE).astype(np.float32)
    np.testing.assert_allclose(reference(x), mine(x), rtol=2e-4, atol=2e-5)


def test_quick_bench_records_are_complete(quick_report):
    assert quick_report["machine"]["versions"]["multiact"] == multiact.__version__
    for record in quick_report["records"]:
        assert record["multiact"] >= 0
        assert record["met"] in (True, False, None)
        if record["ratio"] is not None:
            assert record["ratio"] > 0
        if record["met"] is not None:
            assert record["target"]
    names = {(r["section"], r["activation"], r["size"]) for r in quick_report["records"]}
    assert ("overhead", "relu", 1) in names
    assert ("throughput", "softmax", 200000) in names


def test_quick_bench_finds_no_framework_in_import(quick_report):
    (record,) = [r for r in quick_report["records"] if r["section"] == "import"]
    assert record["extra"]["frameworks_imported"] == []


BAD_OPTIONS = [("--activations", "relu,nope"), ("--backends", "cupy"), ("--sizes", "1,x")]


@pytest.mark.parametrize(("option", "value"), BAD_OPTIONS)
def test_bench_rejects_bad_options(capsys, option, value):
    assert main(["bench", option, value]) == 2
    assert value.split(",")[-1] in capsys.readouterr().err


def test_quick_bench_times_dask_with_task_counts(quick_report):
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    records = [r for r in quick_report["records"] if r["backend"] == "dask"]
    assert {r["section"] for r in records} == {"dask", "dask cluster"}
    assert {r["reference"] for r in records} == {"map_blocks(NumPy kernel)", "Dask formula"}
    for r in records:
        tasks, chunks = r["extra"]["tasks"], r["extra"]["chunks"]
        if r["activation"] in _bench.DASK_ROW_FUNCTIONS:  # along the last axis, cut in chunks
            assert chunks < tasks <= 2 * chunks + chunks // 2
        else:
            assert tasks == chunks
        if r["reference"] == "Dask formula":
            assert tasks <= r["extra"]["reference_tasks"]


def test_table_shows_targets(quick_report):
    text = _bench.table(quick_report, columns=100)
    assert "targets met" in text
    assert "import multiact" in text


def _committed() -> dict:
    docs = Path(__file__).resolve().parent.parent / "docs"
    return json.loads((docs / "benchmarks" / "bench.json").read_text())


@pytest.mark.parametrize("columns", [100, 80])
def test_table_is_titled_by_section_and_fits_the_terminal(quick_report, columns):
    text = _bench.table(quick_report, columns=columns)
    assert max(len(line) for line in text.splitlines()) <= columns
    assert "overhead on numpy: time per call on small arrays" in text
    assert "ratio: multiact's time (or memory) over the reference's" in text
    assert "against NumPy formula" in text


def test_a_quick_run_ends_with_a_verdict_that_says_how_far_to_trust_it(quick_report):
    held = [r for r in quick_report["records"] if r["met"] is not None]
    verdict = _bench.verdict(quick_report, columns=100)
    met = sum(r["met"] for r in held)
    assert verdict.startswith(f"verdict: {met} of {len(held)} targets met")
    assert "This was a quick run (5 rounds" in verdict
    assert (
        "Exit status 0 whatever the timings: with --check, 1 where a target is missed." in verdict
    )
    words = " ".join(verdict.split())  # the verdict wraps at 100 columns, within section names too
    by_section = words.split("missed (")[1].split(")")[0] if "missed (" in words else ""
    for record in _bench.missed(quick_report):
        assert record["section"] in by_section


@pytest.mark.parametrize(("check", "status"), [(False, 0), (True, 1)])
def test_bench_exits_1_for_a_missed_target_only_with_check(monkeypatch, capsys, check, status):
    # The timings of the committed run (11 targets missed), not a fresh run's: a missed target
    # on demand, whatever this machine's speed.
    report = _committed()
    assert _bench.missed(report)
    monkeypatch.setattr(_bench, "run", lambda settings, progress: report)
    argv = ["bench", "--activations", "relu"] + (["--check"] if check else [])
    assert main(argv) == status
    captured = capsys.readouterr()
    assert captured.out.startswith("multiact bench: numpy, torch, jax, dask; 1 activations")
    assert "verdict: 201 of 212 targets met, 11 missed" in captured.out
    assert ("exit status 1 (--check): 11 targets missed" in captured.err) is check


# --- Peak memory of the NumPy kernels: the output plus at most 1 MiB of scratch.

SIZE = 1_000_000  # 4 MiB of float32: one full-size temporary would be 4x the allowance

#: Every elementwise activation's parameterisations (the kernel's positional arguments), and
#: the reducing ones along rows, from the registry: a new activation is measured here too.
#: Not measured: rrelu (random slopes for the whole array), prelu (an array weight), and the
#: kernels in FULL_SIZE_SCRATCH, which need a full-size temporary by their nature.
ELEMENTWISE = {
    a.variant_label(params): (a.name, a.kernel_args(params))
    for a in ACTIVATIONS.values()
    if not a.reduces and not a.random and a.name != "prelu"
    for params in a.parameterisations
}
FULL_SIZE_SCRATCH = {"sparsemax": "sorts every row: a sorted copy and its cumulative sums"}
ROWS = {
    a.name: (-1,)
    for a in ACTIVATIONS.values()
    if a.reduces and not a.halves_axis and a.name not in FULL_SIZE_SCRATCH
}


def _kernel(label):
    return getattr(numpy_backend, ELEMENTWISE[label][0] if label in ELEMENTWISE else label)


def _peak_beyond_output(call):
    # A first call may fill one-time caches (sqrtsoftplus's float16 kernel, run first in a
    # process, allocated 5 MB that way): the peak is a warm call's.
    call()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        y = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - y.nbytes


def _inputs(dtype, shape=(SIZE,)):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_kernel_allocates_only_its_output(name, dtype):
    x = _inputs(dtype)
    x = np.abs(x) if name == "log1mexp" else x
    kernel, params = _kernel(name), ELEMENTWISE[name][1]
    assert _peak_beyond_output(lambda: kernel(x, *params)) <= MiB


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ROWS)
@pytest.mark.parametrize("shape", [(SIZE,), (SIZE // 1000, 1000), (1000, SIZE // 1000)])
def test_row_kernel_allocates_only_its_output(name, dtype, shape):
    x = _inputs(dtype, shape)
    kernel = _kernel(name)
    axis = 0 if shape[0] == 1000 else -1
    assert _peak_beyond_output(lambda: kernel(x, axis)) <= MiB


@pytest.mark.parametrize("name", ["silu", "elu", "leaky_relu", "hardswish"])
def test_inplace_kernel_allocates_nothing_full_size(name):
    x = _inputs(np.float32)
    kernel, params = _kernel(name), (*ELEMENTWISE[name][1][:-1], True)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        y = kernel(x, *params)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y is x
    assert peak <= MiB


def test_blocks_are_about_64k_float32_elements():
    assert _blocks.block_size(np.ones(1, np.float32), 3) == 65536


def test_docs_page_shows_the_committed_run():
    """docs/benchmarks.md's table is the one `multiact bench` prints for the JSON beside it."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    report = json.loads((docs / "benchmarks" / "bench.json").read_text())
    assert _bench.table(report, columns=100) in (docs / "benchmarks.md").read_text()
    assert (docs / "benchmarks" / "bench.png").stat().st_size > 0


def test_docs_page_shows_the_committed_dask_run():
    """Its Dask section's table is the one `multiact bench --backends dask` printed."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    report = json.loads((docs / "benchmarks" / "dask.json").read_text())
    assert {r["section"] for r in report["records"]} >= {"dask", "dask cluster"}
    assert _bench.table(report, columns=100) in (docs / "benchmarks.md").read_text()
