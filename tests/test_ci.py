"""CI runs what the README tells a newcomer to run, and the code stays lint-clean."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n\s*(.+?)\n\s*```", text)


def test_readme_gives_the_two_newcomer_commands():
    install, test = _readme_commands()
    assert "&& multiact list &&" in install
    assert install.endswith("multiact conformance --quick")
    assert "pytest" in test


def test_ci_runs_exactly_the_readme_test_command():
    _, test = _readme_commands()
    lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert lines[-1] == test
    assert "python -m pip install torch==2.13.0" in lines


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_ruff_is_clean(command):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [ruff, *command, str(ROOT)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
