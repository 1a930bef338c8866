"""Verifying anyone's implementation against PyTorch: ``multiact.testing.assert_conforms``,
``multiact.conformance.verify``, ``multiact verify`` and the pytest plugin.

Known-good implementations pass (NumPy's and PyTorch's own functions, a numerically stable
NumPy sigmoid); planted bad ones fail, each with a message naming the check and the worst input.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from multiact.conformance import verify
from multiact.conformance.verifying import UsageError

from multiact import _cli
from multiact.testing import assert_conforms

torch = pytest.importorskip("torch")
F = torch.nn.functional


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: no overflow; half precision computed
    in float32 and rounded once, as PyTorch computes it."""
    wide = x.astype(np.float32) if x.dtype == np.float16 else x
    e = np.exp(-np.abs(wide))
    out = np.where(wide >= 0, 1 / (1 + e), e / (1 + e))
    return np.asarray(out, dtype=x.dtype)


def tanh_gelu(x: np.ndarray) -> np.ndarray:
    """The tanh approximation of GELU, offered as the exact (erf) one."""
    with np.errstate(over="ignore", invalid="ignore"):
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + np.tanh(inner))


# -- known good ---------------------------------------------------------------------------------


def test_numpy_tanh_conforms_in_every_dtype():
    result = assert_conforms(np.tanh, "tanh")
    assert result.ok
    assert {r.case.dtype for r in result.passed} == {"float16", "float32", "float64"}
    assert {r.case.kind for r in result.passed} >= {"special", "kinks", "grid", "0d", "strided"}


def test_a_stable_numpy_sigmoid_conforms():
    assert_conforms(stable_sigmoid, "sigmoid")


@pytest.mark.parametrize(
    ("fn", "activation", "params"),
    [
        (F.gelu, "gelu", {}),
        (lambda x: F.gelu(x, approximate="tanh"), "gelu", {"approximate": "tanh"}),
        (torch.sigmoid, "sigmoid", {}),
        (lambda x: F.leaky_relu(x, 0.2), "leaky_relu", {"negative_slope": 0.2}),
        # PyTorch's own half-precision kernels, which the suite's reference widens to float32:
        (lambda x: F.log_softmax(x, dim=-1), "log_softmax", {}),
        (F.tanhshrink, "tanhshrink", {}),
    ],
    ids=["gelu", "gelu-tanh", "sigmoid", "leaky_relu-0.2", "log_softmax", "tanhshrink"],
)
def test_pytorchs_own_functions_conform_with_their_gradients(fn, activation, params):
    result = assert_conforms(fn, activation, library="torch", grad=True, **params)
    assert {r.case.mode for r in result.passed} == {"forward", "autograd"}
    assert {r.case.dtype for r in result.passed} == {"float16", "bfloat16", "float32", "float64"}


def test_a_gradient_function_is_checked_as_a_vjp():
    def grad(x, g):
        s = torch.sigmoid(x)
        return g * s * (1 - s)

    result = assert_conforms(torch.sigmoid, "sigmoid", library="torch", grad=grad, quick=True)
    assert {r.case.mode for r in result.passed} == {"forward", "vjp"}
    with pytest.raises(AssertionError, match=r"\[value\] float32, \w+ inputs, vjp"):
        assert_conforms(
            torch.sigmoid,
            "sigmoid",
            library="torch",
            quick=True,
            grad=lambda x, g: 1.01 * grad(x, g),
        )


def test_jax_arrays():
    jax = pytest.importorskip("jax")
    result = assert_conforms(
        lambda x: jax.nn.gelu(x, approximate=True),
        "gelu",
        approximate="tanh",
        library="jax",
        dtypes=["float32"],
        grad=True,
        quick=True,
    )
    assert {r.case.mode for r in result.passed} == {"forward", "autograd"}


def test_any_array_api_namespace():
    xp = pytest.importorskip("array_api_strict")
    result = assert_conforms(xp.tanh, "tanh", library=xp, quick=True)
    assert result.library == "array-api-strict"
    with pytest.raises(AssertionError, match=r"\[value\]"):
        assert_conforms(lambda x: xp.tanh(x) * 1.001, "tanh", library=xp, quick=True)


def test_a_pair_of_converters_for_any_other_library():
    converters = (torch.from_numpy, lambda t: t.numpy())
    result = assert_conforms(torch.tanh, "tanh", library=converters, quick=True)
    assert result.ok
    with pytest.raises(AssertionError, match=r"(?s)\[dtype\].*returned dtype float64 for float32"):
        assert_conforms(lambda t: torch.tanh(t.double()), "tanh", library=converters, quick=True)


def test_quick_takes_the_dtypes_asked_for():
    result = assert_conforms(np.tanh, "tanh", quick=True, dtypes=["float16", "float64"])
    assert result.profile == "quick"
    assert {r.case.dtype for r in result.results} == {"float16", "float64"}


# -- planted errors -------------------------------------------------------------------------------


def _failure(fn, activation, **options) -> str:
    with pytest.raises(AssertionError) as info:
        assert_conforms(fn, activation, **options)
    message = str(info.value)
    assert "does NOT conform" in message.splitlines()[0]
    assert "worst failures:" in message
    return message


def test_a_relative_error_of_1e_3_fails_naming_the_worst_input():
    message = _failure(lambda x: np.tanh(x) * np.float32(1.001), "tanh", dtypes=["float32"])
    first = message.split("worst failures:")[1].splitlines()
    assert first[1].startswith("- [value] float32")
    # The input, PyTorch's result and the function's, and their distance.
    assert first[2].strip().startswith("x = ")
    assert "expected" in first[2]
    assert "ULP from PyTorch" in first[2]
    assert "from the exact value" in first[2]


def test_the_tanh_gelu_offered_as_the_exact_one_fails():
    message = _failure(tanh_gelu, "gelu", dtypes=["float64"])
    line = next(s for s in message.splitlines() if s.strip().startswith("x = "))
    x = float(line.split("x = ")[1].split(":")[0])
    # The input named is one where the approximation is not erf's GELU.
    exact = 0.5 * x * (1 + math.erf(x / math.sqrt(2)))
    assert abs(float(tanh_gelu(np.float64(x))) - exact) > 1e-6 * abs(exact)
    assert f"from the exact value {exact!r}" in line
    assert "[value] float64" in message


def test_the_tanh_gelu_conforms_as_the_tanh_one():
    assert_conforms(tanh_gelu, "gelu", approximate="tanh", dtypes=["float64"], quick=True)


def test_the_wrong_leaky_relu_slope_fails():
    message = _failure(lambda x: np.where(x > 0, x, 0.1 * x), "leaky_relu", quick=True)
    assert "[value] float32" in message
    assert "x = -" in message  # only negative inputs are wrong


def test_a_float64_result_for_a_float32_input_fails():
    message = _failure(lambda x: np.tanh(x.astype(np.float64)), "tanh", dtypes=["float32"])
    assert "[dtype] float32" in message
    assert "returned dtype float64 for float32" in message


def test_an_input_mutated_in_place_fails():
    def tanh_in_place(x):
        np.tanh(x, out=x)
        return x.copy()

    message = _failure(tanh_in_place, "tanh", quick=True)
    assert "[input mutated] float32" in message
    assert "changed its input in place" in message


def test_nan_turned_into_zero_fails():
    message = _failure(lambda x: np.nan_to_num(np.tanh(x), nan=0.0), "tanh", quick=True)
    assert "[special value] float32" in message
    assert "x = nan: expected nan, got 0.0" in message


def test_a_wrong_shape_fails():
    message = _failure(lambda x: np.tanh(x).reshape(-1), "tanh", quick=True)
    assert "[shape] float32, 0d inputs" in message


def test_errors_of_the_function_are_failures_of_their_cases_not_of_the_run():
    def fails_on_0d(x):
        if np.ndim(x) == 0:
            raise RuntimeError("no scalars here")
        return np.tanh(x)

    result = verify(fails_on_0d, "tanh", quick=True)
    assert not result.ok
    (failure,) = result.failures
    assert failure.case.kind == "0d"
    assert failure.check == "raised"
    assert "RuntimeError: no scalars here" in failure.message
    assert len(result.passed) == len(result.results) - 1


def test_a_gradient_that_returns_nan_at_an_infinity_fails():
    # x * sigmoid(x) through autograd: the gradient at -inf is -inf * 0 = NaN; PyTorch's silu 0.
    message = _failure(
        lambda x: x * torch.sigmoid(x), "silu", library="torch", grad=True, quick=True
    )
    assert "[special value] float32" in message
    assert "autograd" in message


def test_signs_of_zero_are_reported_not_failed():
    # -0.0 for negative x, where PyTorch's relu gives +0.0.
    result = assert_conforms(lambda x: np.copysign(np.maximum(x, 0), x), "relu", quick=True)
    assert result.signs_of_zero > 0
    assert "zeros of the other sign than PyTorch's" in result.summary()


# -- the report and the usage errors ------------------------------------------------------------


def test_verify_returns_a_report_object_with_the_suites_reports(tmp_path):
    result = verify(lambda x: np.tanh(x) * np.float32(1.001), "tanh", quick=True)
    assert not result.ok
    assert not result
    assert result.failures
    assert result.failures[0].worst is not None
    assert "does NOT conform" in result.summary()
    paths = result.write_report(tmp_path, plots=False)
    assert sorted(p.name for p in paths) == ["report.html", "report.json", "report.md"]
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["summary"]["failed"] == len(result.failures)
    worst = next(c for c in data["cases"] if c["status"] == "fail")["worst"]
    assert set(worst) >= {"x", "expected", "got", "ulp", "ulp_truth"}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: verify(np.tanh, "tanhh"), "no activation named 'tanhh'"),
        (lambda: verify(np.tanh, "tanh", slope=2.0), "tanh has no parameter 'slope'"),
        (lambda: verify(np.tanh, "leaky_relu", inplace=True), "no parameter 'inplace'"),
        (lambda: verify(np.tanh, "gelu", approximate="fast"), "expected one of none, tanh"),
        (lambda: verify(np.tanh, "threshold"), "threshold needs threshold, value"),
        (lambda: verify(np.tanh, "tanh", dtypes=["float8"]), "unknown dtype 'float8'"),
        (lambda: verify(np.tanh, "tanh", dtypes=["bfloat16"]), "NumPy has no bfloat16"),
        (lambda: verify(np.tanh, "tanh", grad=True), "grad=True needs autograd"),
        (lambda: verify(np.tanh, "tanh", library=42), "library must be a module name"),
        (lambda: verify(np.tanh, "tanh", device="cuda"), "cannot live on 'cuda'"),
        (lambda: verify("np.tanh", "tanh"), "must be callable"),
    ],
)
def test_usage_errors_say_what_is_wrong(call, match):
    with pytest.raises(UsageError, match=match):
        call()


def test_multiact_testing_is_not_imported_by_multiact():
    code = (
        "import sys, multiact; "
        "assert 'multiact.testing' not in sys.modules; "
        "assert not [m for m in sys.modules if m.startswith('multiact.conformance')]; "
        "import multiact.testing; "
        "assert 'multiact.conformance.engine' not in sys.modules; "
        "assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- the command ----------------------------------------------------------------------------------


def test_cli_verify_exits_0_when_it_conforms(capsys):
    assert _cli.main(["verify", "numpy:tanh", "--as", "tanh", "--quick"]) == 0
    assert "numpy:tanh as PyTorch's tanh: conforms" in capsys.readouterr().out


def test_cli_verify_exits_1_with_the_worst_failures(capsys, tmp_path):
    args = ["verify", "numpy:sinh", "--as", "tanh", "--quick", "--report", str(tmp_path)]
    assert _cli.main(args) == 1
    out = capsys.readouterr().out
    assert "does NOT conform" in out
    assert "x = " in out
    assert (tmp_path / "report.json").is_file()


def test_cli_verify_params_and_pass_params(capsys):
    args = ["verify", "torch.nn.functional:leaky_relu", "--as", "leaky_relu", "--quick"]
    args += ["--library", "torch", "--grad", "autograd", "--param", "negative_slope=0.2"]
    assert _cli.main(args) == 1  # called as leaky_relu(x): PyTorch's default slope, 0.01
    assert _cli.main([*args, "--pass-params"]) == 0
    assert "modes: forward, autograd" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["numpy:tanh", "--as", "nosuch"], "no activation named 'nosuch'"),
        (["nosuchpackage.mod:f", "--as", "tanh"], "cannot import 'nosuchpackage.mod'"),
        (["numpy:nosuch", "--as", "tanh"], "'numpy' has no attribute 'nosuch'"),
        (["numpy:tanh", "--as", "tanh", "--param", "slope=1"], "tanh has no parameter 'slope'"),
        (["numpy:tanh", "--as", "tanh", "--library", "nosuchlib"], "No module named"),
        (["numpy:tanh", "--as", "tanh", "--grad", "autograd"], "grad=True needs autograd"),
    ],
)
def test_cli_verify_usage_errors_exit_2(args, message, capsys):
    assert _cli.main(["verify", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("multiact verify: error:")
    assert message in err


def test_cli_verify_help_documents_the_exit_statuses(capsys):
    with pytest.raises(SystemExit):
        _cli.main(["verify", "--help"])
    out = capsys.readouterr().out
    assert "multiact verify numpy:tanh --as tanh" in out
    assert "exit status:\n  0  success\n  1  the function does not conform" in out
    assert "\n  2  usage error" in out


# -- the pytest plugin ----------------------------------------------------------------------------


def test_the_pytest_plugin_gives_the_fixture_without_an_import(tmp_path: Path):
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            def test_tanh(assert_conforms):
                assert_conforms(np.tanh, "tanh")

            def test_leaky(assert_conforms):
                assert_conforms(lambda x: np.where(x > 0, x, 0.1 * x), "leaky_relu")
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--multiact-quick"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "1 failed, 1 passed" in out
    assert "AssertionError: <lambda> as PyTorch's leaky_relu: does NOT conform" in out
    assert "(quick profile)" in out  # --multiact-quick
