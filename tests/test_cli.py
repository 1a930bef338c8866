"""The ``multiact`` console script."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

import pytest

from multiact import ACTIVATIONS, _cli

#: The array libraries of the test extra, with TensorFlow and MLX where installed.
INSTALLED = [
    "numpy",
    "torch",
    "jax",
    *(name for name in ("tensorflow", "mlx") if importlib.util.find_spec(name) is not None),
    "array-api-strict",
    "dask",
]


def test_list_runs_every_activation_on_every_installed_backend(capsys):
    assert _cli.main(["list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # A column's name may be shortened to fit the terminal (-strict); the legend names each
    # column's library and version.
    for library in INSTALLED:
        assert f": {library} " in out
    for activation in ACTIVATIONS:
        row = next(line for line in lines if line.split()[:1] == [activation])
        assert "FAIL" not in row
        assert row.split()[2:].count("ok") >= 1


def test_list_reports_a_failing_backend(capsys, plant_kernel):
    from multiact.backends import numpy as numpy_backend

    def broken(x):
        raise RuntimeError("planted")

    plant_kernel(numpy_backend, "sigmoid", broken)
    assert _cli.main(["list"]) == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("sigmoid"))
    assert "FAIL: RuntimeError" in row


def test_console_script_is_installed():
    executable = shutil.which("multiact")
    if executable is None:
        pytest.skip("the console script is not on PATH (package not installed)")
    result = subprocess.run([executable, "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "list" in result.stdout


def test_unknown_command_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "multiact._cli", "frobnicate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def _subcommands() -> list[str]:
    parser = _cli.build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(commands.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_help_has_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _cli.main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"multiact {command}" in out.split("examples:", 1)[1]


@pytest.mark.parametrize("command", ["list", "conformance", "plot"])
def test_help_documents_the_exit_statuses(command, capsys):
    with pytest.raises(SystemExit):
        _cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert "exit status:\n  0  success\n  1  " in out
    assert "\n  2  usage error" in out


def test_exit_statuses_are_the_documented_ones():
    assert (_cli.EXIT_OK, _cli.EXIT_FAILURES, _cli.EXIT_USAGE) == (0, 1, 2)


def test_list_shows_a_progress_bar_on_stderr_and_the_table_on_stdout(capsys):
    _cli.main(["list"])
    captured = capsys.readouterr()
    assert "calls" in captured.err
    assert "100%" in captured.err
    assert "[" not in captured.out.splitlines()[0]


def test_conformance_usage_error_exits_2(capsys):
    assert _cli.main(["conformance", "--activations", "nosuch", "--quick"]) == 2
    assert "multiact conformance: error:" in capsys.readouterr().err


# -- output a newcomer reads without the docs ---------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _heading(lines: list[str]) -> str:
    """The title above the first line of "=" (wrapped on a narrow terminal), as one line."""
    rule = next(i for i, line in enumerate(lines) if line and set(line) == {"="})
    return " ".join(lines[:rule])


@pytest.mark.parametrize("columns", [100, 72])
def test_list_has_a_heading_a_legend_and_a_verdict_and_fits_the_terminal(
    capsys, monkeypatch, columns
):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert _cli.main(["list"]) == 0
    lines = _lines(capsys.readouterr().out)
    assert lines[0].startswith("multiact list: multiact ")
    assert _heading(lines).endswith(
        f"{len(ACTIVATIONS)} activations on {len(INSTALLED)} installed array libraries"
    )
    text = "\n".join(lines)
    assert "  ok: multiact's function, called on a small float32 array" in text
    assert "  aliases: other names" in text
    for library in INSTALLED:
        assert f"  {library}: {library} " in text  # the version and the path, per column
    n = len(INSTALLED)
    assert (
        lines[-1]
        == f"{n * len(ACTIVATIONS)} calls ({len(ACTIVATIONS)} activations x {n} libraries): all ok"
    )
    assert max(len(line) for line in lines) <= columns


@pytest.mark.parametrize("columns", [100, 64])
def test_conformance_says_what_it_runs_what_the_table_means_and_the_verdict(
    capsys, monkeypatch, columns
):
    monkeypatch.setenv("COLUMNS", str(columns))
    argv = ["conformance", "--quick", "--jobs", "1", "--activations", "relu"]
    assert _cli.main([*argv, "--backends", "numpy,generic-numpy"]) == 0
    captured = capsys.readouterr()
    lines = _lines(captured.out)
    # A heading first, with the run's scope: what separates it from `multiact list` before it.
    assert lines[0].startswith("multiact conformance: ")
    assert _heading(lines).endswith(" cases (float32 only, quick profile, CPU)")
    text = " ".join(line.strip() for line in lines)
    assert "against PyTorch and the exact value (mpmath, cached)" in text
    assert "ok N: all N cases of that activation on that backend passed" in text
    assert "numpy: multiact's native kernels for that library" in text
    assert "generic-numpy: the same array-API implementation forced onto" in text
    summary = text.split("cases (float32 only, quick profile, CPU; 1 activation in 1 ")[1]
    assert "parameterisations on 2 backends) in " in summary
    assert ": all passed" in summary
    assert max(len(line) for line in lines) <= columns
    # The progress bar (stderr) never shows an estimate from the start-up time.
    assert "eta" in captured.err


@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (
            ["conformance", "--backends", "pytorch"],
            "unknown backend 'pytorch'; did you mean 'torch'?",
        ),
        (["conformance", "--backends", "np"], "unknown backend 'np'; did you mean 'numpy'?"),
        (
            ["conformance", "--dtypes", "float23"],
            "unknown dtype 'float23'; did you mean 'float32'?",
        ),
        (["conformance", "--activations", "gelux"], "named 'gelux'; did you mean 'gelu'?"),
        (["plot", "gelux", "-o", "x.png"], "named 'gelux'; did you mean 'gelu'?"),
        (["plot", "relu", "--backend", "pytorch", "-o", "x.png"], "did you mean 'torch'?"),
        (
            ["plot", "gelu", "--param", "approximat=tanh", "-o", "x.png"],
            "gelu has no parameter 'approximat'; did you mean 'approximate'?",
        ),
        (["bench", "--backends", "pytorch"], "unknown backend pytorch; did you mean 'torch'?"),
        (["bench", "--activations", "gelux"], "unknown activation gelux; did you mean 'gelu'?"),
    ],
)
def test_usage_errors_name_what_was_meant(capsys, tmp_path, monkeypatch, argv, meant):
    monkeypatch.chdir(tmp_path)
    assert _cli.main(argv) == _cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert meant in err
    assert not (tmp_path / "x.png").exists()
