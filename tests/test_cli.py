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
