"""The conformance engine itself: cases derived from the registry, the exact values, reports,
the command line, devices, and above all that it fails when a backend is wrong.

The planted errors are real monkeypatches of multiact's own kernels (no mock backends): a kernel
off by more than the tolerance, NaN where PyTorch gives a number, a wrong default parameter, a
gradient with the wrong convention at a kink, a result of the wrong dtype. Each must fail the
right cases, be reported as such in report.json, and make ``multiact conformance`` exit 1.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from multiact.conformance import cases, engine, report, tolerances
from multiact.conformance import results as results_module
from multiact.conformance.progress import Progress
from multiact.conformance.targets import TARGETS, gpu_status
from multiact.conformance.truth import Truth, probe_points

import multiact
from multiact import ACTIVATIONS, _cli, lookup

pytest.importorskip("torch")
pytest.importorskip("mpmath")

ROOT = Path(__file__).resolve().parent.parent


def _run(activations, targets, modes=None):
    selected = cases.enumerate_cases(
        cases.QUICK, activations=activations, targets=targets, modes=modes
    )
    assert selected
    return engine.Engine("quick").run(selected)


def _failed(results):
    return [r for r in results if r.status == "fail"]


def _cli_exit(args, tmp_path=None):
    argv = ["conformance", "--quick", "--jobs", "1", "--no-cache", *args]
    if tmp_path is not None:
        argv += ["--report", str(tmp_path)]
    return _cli.main(argv)


def _records(tmp_path):
    data = json.loads((tmp_path / "report.json").read_text())
    return data["cases"]


# -- cases come from the registry ----------------------------------------------------------------


def test_every_activation_and_parameterisation_has_cases():
    selected = cases.enumerate_cases(cases.QUICK)
    labels = {c.label for c in selected}
    for a in ACTIVATIONS.values():
        for params in a.parameterisations:
            assert a.variant_label(dict(params)) in labels
    ids = [c.id for c in selected]
    assert len(ids) == len(set(ids))
    assert "gelu[tanh]-jax-float32-cpu-grid" in ids
    assert "relu-torch-float32-cpu-kinks-autograd" in ids
    assert "relu-numpy-float32-cpu-kinks-vjp" in ids
    full = {c.id for c in cases.enumerate_cases(cases.FULL, activations=["gelu", "softmax"])}
    assert "gelu[tanh]-jax-bfloat16-cpu-grid" in full
    # Functions that reduce get a batched case per axis, unless the variant fixes the axis.
    assert {"softmax-numpy-float32-cpu-batched-axis0", "softmax-numpy-float32-cpu-batched-axis2"}
    assert "softmax-numpy-float32-cpu-batched-axis1" in full
    assert "softmax[0]-numpy-float32-cpu-batched" in full
    # JAX arrays have no strides: no strided case there.
    assert not any(i.startswith("gelu-jax-") and "strided" in i for i in full)


def test_probe_points_are_derived_from_parameters_and_the_exact_definition():
    assert {-1.0, 0.0, 1.0} <= {p for p, _ in probe_points(lookup("hardtanh"), {})}
    softplus = dict(probe_points(lookup("softplus"), {}))
    assert softplus[20.0] in ("threshold", "threshold/beta")  # where it switches to x
    assert 0.5 in dict(probe_points(lookup("softplus"), {"beta": 2.0, "threshold": 1.0}))
    # Kinks no parameter names are found by scanning ``exact``: relu6 at 6, hardsigmoid at +-3.
    assert dict(probe_points(lookup("relu6"), {}))[6.0] == "scan"
    assert {-3.0, 3.0} <= set(dict(probe_points(lookup("hardsigmoid"), {})))
    assert set(dict(probe_points(lookup("sigmoid"), {}))) == {0.0}  # smooth: no false kinks


def test_truth_matches_known_values():
    gelu = Truth(lookup("gelu"), {})
    exact, known = gelu.forward(np.array([-5.0, 0.0, np.nan, 1.0]))
    assert known[:2].all()
    np.testing.assert_allclose(exact[0], -1.4332578593959696e-06, rtol=1e-15)
    assert np.isnan(exact[2])
    grad, known = Truth(lookup("sigmoid"), {}).gradient(np.array([0.0, 100.0]), np.ones(2))
    np.testing.assert_allclose(grad, [0.25, 3.720075976020836e-44], rtol=1e-15)
    # No derivative at a kink: unknown there, known right beside it.
    grad, known = Truth(lookup("relu"), {}).gradient(np.array([0.0, 1e-300]), np.ones(2))
    assert list(known) == [False, True]
    assert grad[1] == 1.0


def test_activation_without_pytorch_is_judged_against_the_exact_value():
    name = next((a.name for a in ACTIVATIONS.values() if a.names.torch is None), None)
    if name is None:
        pytest.skip("every activation has a PyTorch function")
    results = _run([name], ["numpy"], modes=["forward"])
    assert {r.reference for r in results if r.status != "skip"} == {"truth"}


# -- planted errors ------------------------------------------------------------------------------


def _plant_scaled_sigmoid(plant_kernel, factor):
    from multiact.backends import numpy as numpy_backend

    original = numpy_backend.sigmoid
    plant_kernel(
        numpy_backend, "sigmoid", lambda x: np.asarray(original(x) * factor, dtype=x.dtype)
    )


def test_a_kernel_off_by_more_than_the_tolerance_fails(plant_kernel, tmp_path):
    _plant_scaled_sigmoid(plant_kernel, np.float32(1 + 1e-4))  # float32 rtol is 1.3e-6
    results = _run(["sigmoid"], ["numpy", "torch"], modes=["forward"])
    failed = {(r.case.target, r.case.kind) for r in _failed(results)}
    assert ("numpy", "grid") in failed
    assert ("numpy", "random") in failed
    assert not any(target == "torch" for target, _ in failed)
    assert _cli_exit(["--activations", "sigmoid", "--backends", "numpy"], tmp_path) == 1
    grid = next(r for r in _records(tmp_path) if r["id"] == "sigmoid-numpy-float32-cpu-grid")
    assert grid["status"] == "fail"
    assert grid["max_ulp_vs_torch"] > 100
    assert "outside rtol=1.3e-06" in grid["message"]


def test_an_error_within_the_tolerance_passes(plant_kernel):
    # One ULP, the size of a correctly rounded kernel's disagreement with PyTorch's, passes
    # PyTorch's tolerance. (It may exceed sigmoid's accuracy budget, which the quick profile
    # holds kernels to as well: here PyTorch's tolerance alone is judged; the budget is
    # tested below.)
    _plant_scaled_sigmoid(plant_kernel, np.float32(1 + 2**-23))
    tolerance_only = dataclasses.replace(cases.QUICK, truth=False)
    selected = cases.enumerate_cases(
        tolerance_only, activations=["sigmoid"], targets=["numpy"], modes=["forward"]
    )
    assert not _failed(engine.Engine(tolerance_only).run(selected))


def test_nan_where_pytorch_gives_a_number_fails(plant_kernel, tmp_path):
    from multiact.backends import numpy as numpy_backend

    original = numpy_backend.tanh

    def nan_above_two(x):
        y = original(x)
        return np.asarray(np.where(x > 2, np.nan, y), dtype=x.dtype)

    plant_kernel(numpy_backend, "tanh", nan_above_two)
    results = _run(["tanh"], ["numpy"], modes=["forward"])
    grid = next(r for r in results if r.case.kind == "grid")
    assert grid.status == "fail"
    assert "nan" in grid.message
    assert "NaN/inf mismatches" in grid.message
    assert _cli_exit(["--activations", "tanh", "--backends", "numpy"], tmp_path) == 1
    assert any(r["status"] == "fail" and r["case"] == "grid" for r in _records(tmp_path))


#: Planted special-value errors in NumPy kernels: (activation, kernel, what it does wrong).
#: Each is the kind of bug the comparison was blind to while it let any number pass where
#: PyTorch gives NaN or an infinity.
SPECIAL_VALUE_PLANTS = {
    "nan-into-a-number": ("relu", lambda x, y: np.where(np.isnan(x), 0, y)),
    "inf-into-a-finite-value": ("relu", lambda x, y: np.where(np.isinf(x), 1e30, y)),
    "a-finite-value-into-inf": ("identity", lambda x, y: np.where(np.abs(x) > 1e30, np.inf, y)),
}


def _plant(plant_kernel, activation, wrong):
    from multiact.backends import numpy as numpy_backend

    original = getattr(numpy_backend, activation)

    @functools.wraps(original)
    def planted(x, *args):
        return np.asarray(wrong(x, original(x, *args)), dtype=x.dtype)

    plant_kernel(numpy_backend, activation, planted)


@pytest.mark.parametrize("plant", list(SPECIAL_VALUE_PLANTS))
def test_a_planted_special_value_error_fails_the_engine_and_the_command(
    plant, plant_kernel, tmp_path
):
    activation, wrong = SPECIAL_VALUE_PLANTS[plant]
    _plant(plant_kernel, activation, wrong)
    failed = _failed(_run([activation], ["numpy"], modes=["forward"]))
    assert any(r.case.kind == "special" for r in failed), [r.case.id for r in failed]
    assert all("NaN/inf mismatches" in r.message for r in failed)
    assert _cli_exit(["--activations", activation, "--backends", "numpy"], tmp_path) == 1


_PLUGIN = """
import dataclasses
import functools
import numpy as np
from multiact.backends import numpy as numpy_backend

original = numpy_backend.relu


@functools.wraps(original)
def relu(x, inplace):
    return np.asarray(np.where(np.isnan(x), 0, original(x, inplace)), dtype=x.dtype)


numpy_backend.relu = relu
if numpy_backend.AT_DEFAULTS is not None:  # the compiled loops' relu at the defaults
    numpy_backend.AT_DEFAULTS.relu = None
"""


def test_a_planted_special_value_error_fails_pytest_conformance(tmp_path):
    (tmp_path / "plant_nan_into_zero.py").write_text(_PLUGIN)
    args = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "conformance"),
        "-p",
        "plant_nan_into_zero",
        "--conformance-quick",
        "--conformance-activations",
        "relu",
        "--conformance-backends",
        "numpy",
        "--conformance-no-cache",
        "-p",
        "no:cacheprovider",
        "-q",
        "-k",
        "special and not vjp and not autograd",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "relu-numpy-float32-cpu-special" in run.stdout
    assert "NaN/inf mismatches" in run.stdout


def test_a_kernel_three_ulp_from_the_exact_value_fails_its_accuracy_budget(plant_kernel, tmp_path):
    # Well inside PyTorch's float32 tolerance (about 11 ULP): only the budget catches it.
    # softsign (budget 2): not sigmoid, whose budget (3) also covers the NumPy kernels that
    # run where the compiled loops are not built, while the loops are exact, so 3 ULP more
    # would stay within it.
    from multiact.backends import numpy as numpy_backend

    original = numpy_backend.softsign

    def biased(x):
        y = original(x)
        for _ in range(3):
            y = np.nextafter(y, np.asarray(np.inf, dtype=y.dtype))
        return y

    selected = cases.enumerate_cases(
        cases.FULL,
        activations=["softsign"],
        targets=["numpy"],
        modes=["forward"],
        dtypes=["float32"],
    )
    clean = {r.case.kind: r for r in engine.Engine("full").run(selected)}
    assert all(r.passed for r in clean.values())
    assert clean["grid"].ulp_budget is not None
    assert clean["grid"].ulp_truth_normal <= clean["grid"].ulp_budget
    plant_kernel(numpy_backend, "softsign", biased)
    results = {r.case.kind: r for r in engine.Engine("full").run(selected)}
    for kind in ("grid", "random"):
        assert results[kind].status == "fail", results[kind].message
        assert "beyond its accuracy budget" in results[kind].message
        assert results[kind].tolerance_used < 1  # PyTorch's tolerance alone would pass it


def test_a_wrong_default_parameter_fails(monkeypatch, tmp_path):
    # The public function with another default: the Python function (its Dispatcher would
    # take PyTorch's builtin at the defaults for a call with x alone).
    function = getattr(multiact.leaky_relu, "__wrapped__", multiact.leaky_relu)
    defaults = function.__defaults__
    assert defaults[0] == 0.01
    monkeypatch.setattr(function, "__defaults__", (0.02, *defaults[1:]))
    monkeypatch.setattr(multiact, "leaky_relu", function)
    results = _run(["leaky_relu"], ["numpy", "jax", "torch"], modes=["forward"])
    failed = {(r.case.label, r.case.target) for r in _failed(results)}
    # The default parameterisation fails on every target reached through multiact.leaky_relu;
    # the explicit one (negative_slope=0.2) does not use the default and passes.
    assert failed == {("leaky_relu", "numpy"), ("leaky_relu", "jax"), ("leaky_relu", "torch")}
    assert _cli_exit(["--activations", "leaky_relu", "--backends", "numpy"], tmp_path) == 1
    records = [r for r in _records(tmp_path) if r["status"] == "fail"]
    assert records
    assert all(r["params"] == {} for r in records)


def test_a_gradient_with_the_wrong_convention_at_a_kink_fails(monkeypatch, tmp_path):
    from multiact import _derivatives

    def relu_passing_gradient_at_zero(x, y, g, xp, *params):
        return xp.where(x < 0, xp.zeros_like(g), g)  # PyTorch's derivative at 0 is 0

    monkeypatch.setattr(_derivatives, "relu", relu_passing_gradient_at_zero)
    results = _run(["relu"], ["numpy", "torch"])
    failed = {(r.case.target, r.case.kind, r.case.mode) for r in _failed(results)}
    assert ("numpy", "kinks", "vjp") in failed
    assert ("numpy", "special", "vjp") in failed
    assert not any(mode == "forward" for _, _, mode in failed)
    assert not any(mode == "autograd" for _, _, mode in failed)  # autograd is PyTorch's own
    kinks = next(r for r in _failed(results) if r.case.id == "relu-numpy-float32-cpu-kinks-vjp")
    assert re.search(r"reference (np\.float64\()?0\.0\b", kinks.message)
    assert _cli_exit(["--activations", "relu", "--backends", "numpy"], tmp_path) == 1
    assert any(r["id"] == "relu-numpy-float32-cpu-kinks-vjp" for r in _records(tmp_path))


def test_a_result_of_the_wrong_dtype_fails(plant_kernel):
    from multiact.backends import numpy as numpy_backend

    original = numpy_backend.sigmoid
    plant_kernel(numpy_backend, "sigmoid", lambda x: np.asarray(original(x), dtype=np.float64))
    failed = _failed(_run(["sigmoid"], ["numpy"], modes=["forward"]))
    assert failed
    assert all("returned dtype float64 for float32" in r.message for r in failed)


def test_a_backend_that_raises_where_pytorch_does_not_fails(plant_kernel):
    from multiact.backends import numpy as numpy_backend

    def broken(x):
        raise RuntimeError("planted")

    plant_kernel(numpy_backend, "sigmoid", broken)
    failed = _failed(_run(["sigmoid"], ["numpy"], modes=["forward"]))
    assert failed
    assert all("raised RuntimeError: planted" in r.message for r in failed)


# -- reports and the command line ----------------------------------------------------------------


def test_a_clean_run_exits_0_and_writes_three_reports(tmp_path, capsys):
    args = ["--activations", "relu,gelu", "--backends", "numpy,torch"]
    assert _cli_exit(args, tmp_path) == 0
    out = capsys.readouterr().out
    assert "all passed" in out
    assert out.startswith("multiact conformance: ")
    assert any(line.startswith("activation") for line in out.splitlines())
    records = _records(tmp_path)
    fields = {
        "activation",
        "params",
        "target",
        "dtype",
        "device",
        "kind",
        "case",
        "n",
        "max_abs_error",
        "max_ulp_vs_torch",
        "max_ulp_vs_truth",
        "torch_max_ulp_vs_truth",
        "sign_of_zero_mismatches",
        "status",
        "message",
    }
    assert all(fields <= set(r) for r in records)
    assert {r["activation"] for r in records} == {"relu", "gelu"}
    markdown = (tmp_path / "report.md").read_text()
    assert "gelu[tanh]" in markdown
    assert "Distance from the exact value" in markdown
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3  # relu, gelu, gelu[tanh]
    assert "<script" not in page  # self-contained
    assert "http" not in page.split("<body>")[1]


def test_the_full_profile_reports_the_distance_from_the_exact_value(tmp_path):
    # PyTorch's float32 exact GELU is far from the exact value on [-10, -2]; multiact's NumPy
    # kernel is within a few ULP there. The full profile measures both.
    selected = cases.enumerate_cases(
        cases.FULL, activations=["gelu"], targets=["numpy"], dtypes=["float32"], modes=["forward"]
    )
    results = engine.Engine("full").run([c for c in selected if c.params == ()])
    grid = next(r for r in results if r.case.kind == "grid")
    assert grid.status == "pass"
    assert grid.ulp_truth <= 4
    assert grid.torch_ulp_truth > 1000
    # The NumPy kernel evaluates float32 in float64: often 0 ULP, and then no worst x exists.
    assert grid.worst_x_truth is None if grid.ulp_truth == 0 else -10 <= grid.worst_x_truth <= 10
    report.write_reports(results, tmp_path, report.metadata(command="test"))
    record = next(r for r in _records(tmp_path) if r["id"] == grid.case.id)
    assert record["max_ulp_vs_truth"] == pytest.approx(grid.ulp_truth, rel=1e-5)
    assert record["torch_max_ulp_vs_truth"] > 1000
    assert "data:image/png;base64," in (tmp_path / "report.html").read_text()


def test_signs_of_zero_are_reported_not_failed(plant_kernel):
    from multiact.backends import numpy as numpy_backend

    original = numpy_backend.relu

    def positive_zeros(x, inplace):
        y = original(x, inplace)
        return np.asarray(np.where(y == 0, np.zeros_like(y), y))  # relu(-0.0) becomes +0.0

    plant_kernel(numpy_backend, "relu", positive_zeros)
    results = _run(["relu"], ["numpy"], modes=["forward"])
    special = next(r for r in results if r.case.kind == "special")
    assert special.status == "pass"
    assert special.sign_of_zero >= 1
    assert "zeros of the other sign" in special.message
    assert special.record()["sign_of_zero_mismatches"] == special.sign_of_zero


def test_usage_errors_exit_2(capsys):
    assert _cli_exit(["--backends", "nope"]) == 2
    assert "unknown backend 'nope'" in capsys.readouterr().err
    assert _cli_exit(["--activations", "nope"]) == 2
    assert "no activation named 'nope'" in capsys.readouterr().err
    assert _cli_exit(["--dtypes", "float8"]) == 2


def test_list_still_works(capsys):
    assert _cli.main(["list"]) == 0
    assert "relu" in capsys.readouterr().out


def test_progress_bar_on_a_log_prints_a_line_per_tenth():
    stream = io.StringIO()
    with Progress(200, stream=stream) as bar:
        for _ in range(200):
            bar.update(1, "gelu numpy float32")
    lines = stream.getvalue().splitlines()
    assert 10 <= len(lines) <= 12
    assert lines[-1].startswith("[" + "#" * 28 + "] 100% 200/200 cases")


# -- devices -------------------------------------------------------------------------------------


def test_the_device_flows_through_to_the_arrays_and_the_reference():
    import jax
    import torch

    by_name = {t.name: t for t in TARGETS}
    x = by_name["torch"].asarray(np.arange(3.0), "float32", "cpu")
    assert x.device == torch.device("cpu")
    assert by_name["torch"].device_of(x) == "cpu"
    y = by_name["jax"].asarray(np.arange(3.0), "float32", "cpu")
    assert y.devices() == {jax.devices("cpu")[0]}
    assert by_name["jax"].device_of(y) == "cpu"
    with pytest.raises(ValueError, match="cannot live on 'cuda'"):
        by_name["numpy"].asarray(np.arange(3.0), "float32", "cuda")
    selected = cases.enumerate_cases(cases.QUICK, activations=["relu"], device="cuda")
    assert {c.target for c in selected} <= {
        "torch",
        "jax",
        "tensorflow",
        "generic-torch",
        "generic-jax",
        "generic-tensorflow",
        "cupy",
    }
    assert all(c.id.split("-float32-")[1].startswith("cuda") for c in selected)
    results = engine.Engine("quick").run(
        cases.enumerate_cases(cases.QUICK, activations=["relu"], targets=["torch", "jax"])
    )
    assert all(r.case.device == "cpu" and r.status == "pass" for r in results)


@pytest.mark.skipif(
    any(v is None for v in gpu_status().values()), reason="a GPU is present: cuda runs"
)
def test_device_cuda_without_a_gpu_is_a_clean_error(capsys):
    assert _cli_exit(["--device", "cuda", "--activations", "relu"]) == 2
    err = capsys.readouterr().err
    assert "--device cuda: no GPU available" in err
    assert "torch.cuda.is_available() is False" in err


# -- the pytest front end ------------------------------------------------------------------------


def test_pytest_front_end_has_one_test_per_case():
    args = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "conformance"),
        "--conformance-quick",
        "--conformance-activations",
        "relu",
        "--conformance-backends",
        "numpy",
        "--conformance-no-cache",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    collected = subprocess.run(
        [*args, "--collect-only"], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "test_conformance.py::test_case[relu-numpy-float32-cpu-grid]" in collected.stdout
    expected = len(cases.enumerate_cases(cases.QUICK, activations=["relu"], targets=["numpy"]))
    assert f"{expected} tests collected" in collected.stdout
    run = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{expected} passed" in run.stdout


@pytest.mark.parametrize("threshold", [-2.225073858507e-311, -1e-3])
def test_jax_softplus_at_zero_is_excused_only_for_a_subnormal_threshold(threshold):
    # XLA flushes a subnormal threshold to zero (0 > -0 is false): softplus(0) is log(2)/beta
    # on JAX there; any other threshold holds JAX to PyTorch's 0 at x = 0.
    values = np.array([0.0, -0.0, 1.0, -1.0])
    params = {"beta": 0.99999, "threshold": threshold}
    wrong_at_zero = np.array([0.7, 0.7, 1.0, 0.31326750961736327])
    torch_result = np.array([0.0, -0.0, 1.0, 0.31326750961736327])
    verdict = tolerances.judge(
        "softplus", params, "forward", "jax", "float64", values, wrong_at_zero, torch_result
    )
    assert verdict.ok == (abs(threshold) < 2.0**-1022)


# -- honest figures, readable output -------------------------------------------------------------


def test_the_eta_is_measured_from_the_first_update():
    # A run as the quick profile's: 12.6 s of start-up (workers, imports) before the first 4
    # cases, then 40 cases a second. Counted from the start, the first estimate was 13 600 s.
    now = [0.0]
    bar = Progress(4328, stream=io.StringIO(), clock=lambda: now[0])
    now[0] = 12.6
    bar.update(4)
    assert bar.eta() is None
    assert "eta    ?" in bar.line()
    estimates = []
    while bar.done < bar.total:
        now[0] += 0.5
        bar.update(20)
        left = bar.eta()
        if left is not None:
            estimates.append(left)
            actual = (bar.total - bar.done) / 40
            assert abs(left - actual) <= 0.05 * actual + 1, (bar.done, left, actual)
    assert estimates  # shown once 2 % of the cases and 2 s have passed since the first update
    assert bar.eta() is None
    assert "eta" not in bar.line()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """A real quick run over activations with special values, known differences and a
    gradient PyTorch disagrees with itself on, with its three reports."""
    selected = cases.enumerate_cases(
        cases.QUICK, activations=["gelu", "relu6", "softmax"], targets=["numpy", "torch"]
    )
    results = engine.Engine("quick").run(selected)
    directory = tmp_path_factory.mktemp("report")
    meta = report.metadata(command="test", profile="quick", device="cpu", jobs=1, seconds=1.0)
    report.write_reports(results, directory, meta, plots=False)
    return results, directory


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def _figure_columns(header: list[str], rows: list[list[str]]) -> list[str]:
    """The cells of the columns that hold ULP counts or absolute errors."""
    wanted = [
        i
        for i, title in enumerate(header)
        if "ULP" in title or "abs error" in title or title in ("PyTorch", "numpy", "torch")
    ]
    return [row[i] for row in rows for i in wanted if i < len(row)]


def _markdown_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    tables, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            rows, j = [], i + 2
            while j < len(lines) and lines[j].startswith("|"):
                rows.append([c.strip() for c in lines[j].strip("|").split(" | ")])
                j += 1
            tables.append(([c.strip() for c in line.strip("|").split(" | ")], rows))
    return tables


def _html_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    tables = []
    for body in re.findall(r"<table>(.*?)</table>", text, re.DOTALL):
        rows = [
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
        ]
        tables.append((rows[0], rows[1:]))
    return tables


def test_no_report_holds_an_impossible_figure(quick_run):
    results, directory = quick_run
    assert report.check_figures(results) == []
    records = _records(directory)
    assert records
    assert all(results_module.impossible_figures(r) == [] for r in records)
    widest = 2 * 0x7F7FFFFF  # float32: from -max to max
    for r in records:
        for key in results_module.ULP_FIELDS:
            value = r[key]
            assert value is None or (isinstance(value, float | int) and 0 <= value <= widest), r
        if r["status"] == "pass":
            assert isinstance(r["max_abs_error"], float | int), r
    # The Markdown and HTML tables show the same figures: every one a number within range.
    pages = [
        _markdown_tables((directory / "report.md").read_text()),
        _html_tables((directory / "report.html").read_text()),
    ]
    for tables in pages:
        cells = [c for header, rows in tables for c in _figure_columns(header, rows)]
        assert cells
        for cell in cells:
            assert "inf" not in cell, cell
            assert "nan" not in cell, cell
            for number in _NUMBER.findall(cell.replace("ok ", "")):
                assert float(number) <= widest, cell


def test_impossible_figures_are_caught(quick_run):
    results, _ = quick_run
    sound = next(r.record() for r in results if r.case.kind == "grid" and r.passed)
    assert results_module.impossible_figures(sound) == []
    widest = 2 * 0x7F7FFFFF
    planted = {
        "max_ulp_vs_torch": 1.24e39,  # the figure the issue found: float32 has < 2^32 values
        "max_ulp_vs_truth": widest + 1,
        "torch_max_ulp_vs_truth": "inf",
        "max_abs_error": "inf",  # in a passing case
        "special_mismatches": 1,  # a passing case cannot have one
        "sign_of_zero_mismatches": sound["n"] + 1,
        "tolerance_used": 1.5,
    }
    for key, value in planted.items():
        problems = results_module.impossible_figures({**sound, key: value})
        assert len(problems) == 1, (key, problems)
        assert problems[0].startswith(sound["id"]), problems
    assert results_module.impossible_figures({**sound, "max_ulp_vs_truth": widest}) == []


@pytest.mark.parametrize(
    "name",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=pytest.mark.xfail(
                strict=True,
                reason="run before the comparison judged every element (float32 ULPs above "
                "2^32, inf errors in passing cases): rerun on a GPU with "
                "python -m multiact.conformance.gpu_run",
            ),
        ),
    ],
)
def test_the_committed_reports_hold_no_impossible_figure(name):
    data = json.loads((ROOT / "docs" / "conformance" / name / "report.json").read_text())
    problems = [p for record in data["cases"] for p in results_module.impossible_figures(record)]
    assert not problems, f"{len(problems)} impossible figures, e.g. {problems[:5]}"


def test_the_quick_profile_measures_the_distance_from_the_exact_value(quick_run):
    results, directory = quick_run
    grid = next(
        r for r in results if r.case.id == "gelu-numpy-float32-cpu-grid" and not r.case.gradient
    )
    assert grid.ulp_truth is not None
    assert grid.torch_ulp_truth is not None
    assert grid.ulp_budget is not None  # and multiact's kernel is held to its budget
    markdown = (directory / "report.md").read_text()
    assert "no exact value was computed" not in markdown
    distance = markdown.split("## Distance from the exact value")[1].split("## Where")[0]
    assert "| gelu | float32 |" in distance
    assert "against PyTorch and the exact value (mpmath, cached)" in markdown


def test_the_reports_tables_cover_what_the_run_covered(quick_run):
    results, directory = quick_run
    markdown = (directory / "report.md").read_text()
    overrides = markdown.split("## Tolerance overrides in force")[1].split("## Known")[0]
    assert "None in this run." in overrides  # every override is for float16 or bfloat16
    differences = markdown.split("## Known differences from PyTorch in force")[1]
    ((header, rows),) = _markdown_tables(differences)
    assert rows
    activations = {r.case.activation for r in results}
    for row in rows:
        cell = dict(zip(header, row, strict=True))
        named = cell["activation"].removeprefix("* (").rstrip(")").split(", ")
        assert set(named) <= activations, row
        assert set(cell["targets"].split(", ")) <= {"numpy", "torch"}, row
        assert (cell["dtypes"], cell["devices"]) == ("float32", "cpu"), row
    # relu6's gradient at NaN is a known difference on every target but PyTorch's own kernel.
    relu6 = [dict(zip(header, row, strict=True)) for row in rows if row[0] == "relu6"]
    assert {"numpy", "torch"} == {r["targets"] for r in relu6}
    assert "hardtanh" not in differences
    assert "cupy" not in differences


def test_the_summary_says_what_the_run_covered_and_fits_the_terminal(quick_run):
    results, _ = quick_run
    line = report.summary_line(results, 12.34, "quick")
    assert line.startswith(f"{len(results)} cases (float32 only, quick profile, CPU; ")
    assert line.endswith("in 12.3 s: all passed")
    for columns in (60, 80, 100):
        text = report.summary_table(results, 12.34, profile="quick", columns=columns)
        assert max(len(line) for line in text.splitlines()) <= columns, columns
        for target in ("numpy", "torch"):
            assert f"{target}: multiact's native kernels" in text.replace("numpy, torch", target)
        assert "ok N: all N cases" in text
