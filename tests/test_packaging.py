"""The wheel installs ``backends/`` and ``conformance/`` inside the package, never top-level."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("build")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", "dist", ".*cache", ".venv", ".whl"
    )
    for name in ("pyproject.toml", "README.md", "multiact", "backends", "conformance"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy(path, source / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("multiact-*.whl")
    return path


def test_wheel_has_only_the_multiact_package_at_top_level(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"multiact"}
    for expected in (
        "multiact/backends/numpy.py",
        "multiact/backends/torch.py",
        "multiact/backends/jax.py",
        "multiact/conformance/targets.py",
        "multiact/py.typed",
        "multiact/nn.py",
    ):
        assert expected in names


def test_installed_wheel_imports_and_has_no_stray_packages(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    # bin/ holds the console script.
    installed = {p.name for p in target.iterdir() if not p.name.endswith(".dist-info")} - {"bin"}
    assert installed == {"multiact"}
    assert not (target / "backends").exists()
    assert not (target / "conformance").exists()
    code = (
        "import multiact, multiact.backends.numpy, multiact.conformance.tolerances, numpy as np;"
        "print(multiact.__file__); print(multiact.relu(np.array([-1.0, 2.0])))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {code}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.splitlines()[0].startswith(str(target))
    assert result.stdout.splitlines()[1] == "[0. 2.]"
