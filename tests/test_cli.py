"""The ``multiact`` console script."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from multiact import ACTIVATIONS, _cli


def test_list_runs_every_activation_on_every_installed_backend(capsys):
    assert _cli.main(["list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("activation"))
    for library in ("numpy", "torch", "jax", "array-api-strict", "dask"):
        assert library in header
    for activation in ACTIVATIONS:
        row = next(line for line in lines if line.split()[:1] == [activation])
        assert "FAIL" not in row
        assert row.split()[2:].count("ok") >= 1


def test_list_reports_a_failing_backend(capsys, monkeypatch):
    from multiact.backends import numpy as numpy_backend

    def broken(x):
        raise RuntimeError("planted")

    monkeypatch.setattr(numpy_backend, "sigmoid", broken)
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
