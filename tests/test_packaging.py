"""Packaging: ``python -m build`` makes an sdist and a wheel that ``twine check`` accepts, with
the metadata a published library needs; the wheel installs ``backends/`` and ``conformance/``
inside the package, never top-level, and imports with nothing but its dependencies."""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

import multiact

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("build")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from it (as ``python -m build`` does by default)."""
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", "dist", ".*cache", ".venv", ".whl", "*.so"
    )
    files = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "CHANGELOG.md", "MANIFEST.in")
    for name in (*files, "multiact", "backends", "conformance"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy(path, source / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (path,) = dist.glob("multiact-*.whl")
    return path


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    (path,) = dist.glob("multiact-*.tar.gz")
    return path


def test_twine_accepts_the_wheel_and_the_sdist(wheel: Path, sdist: Path):
    pytest.importorskip("twine")
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_wheel_metadata(wheel: Path):
    metadata = _metadata(wheel)
    assert metadata["Version"] == multiact.__version__  # single-sourced from the package
    assert metadata["License-Expression"] == "BSD-3-Clause"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    # PEP 639: the license is the expression above, never a classifier too.
    assert not [c for c in classifiers if c.startswith("License ::")]
    # No invented homepage or repository.
    assert metadata.get_all("Project-URL") is None
    assert metadata["Home-page"] is None
    extras = set(metadata.get_all("Provides-Extra"))
    assert {"torch", "jax", "dask", "all", "test", "docs"} <= extras
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_sdist_has_the_license_changelog_and_every_package(sdist: Path):
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for expected in (
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "pyproject.toml",
        "multiact/py.typed",
        "backends/numpy.py",
        "conformance/targets.py",
        # The compiled loops' source and their build (an sdist builds them where installed).
        "setup.py",
        "multiact/_ufuncs.c",
        "multiact/_ufuncs_dd.h",
        "multiact/_ufuncs_phi.h",
    ):
        assert expected in names


def test_wheel_has_the_compiled_loops(wheel: Path):
    """Built here, where gcc and Python's headers are: a wheel for this platform."""
    names = zipfile.ZipFile(wheel).namelist()
    assert [n for n in names if n.startswith("multiact/_ufuncs.") and n.endswith((".so", ".pyd"))]
    assert "-none-any" not in wheel.name


def test_license_is_bsd_3_clause():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License")
    assert "Copyright (c) the multiact developers" in text


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


def _install_wheel(wheel: Path, target: Path) -> Path:
    """The wheel alone (no dependencies, no index) installed into the folder ``target``."""
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
    return target


def test_installed_wheel_imports_and_has_no_stray_packages(wheel: Path, tmp_path: Path):
    target = _install_wheel(wheel, tmp_path / "site")
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


def _distribution_paths(name: str) -> list[Path]:
    """The top-level files and folders an installed distribution put into site-packages."""
    import importlib.metadata

    distribution = importlib.metadata.distribution(name)
    site = Path(distribution.locate_file(""))
    tops = {file.parts[0] for file in distribution.files or () if file.parts[0] != ".."}
    return sorted(site / top for top in tops if not top.endswith((".dist-info", ".pth")))


def test_wheel_imports_with_nothing_but_its_dependencies(wheel: Path, tmp_path: Path):
    # A clean environment without building a venv: the wheel, numpy and array-api-compat on an
    # otherwise empty path (-I -S: no site-packages, no user site, no PYTHONPATH).
    target = _install_wheel(wheel, tmp_path / "site")
    deps = tmp_path / "deps"
    deps.mkdir()
    for name in ("numpy", "array-api-compat"):
        for path in _distribution_paths(name):
            (deps / path.name).symlink_to(path)
    code = (
        "import sys; import multiact, multiact.nn, numpy as np;"
        "print(multiact.gelu(np.array([1.0, -1.0]), approximate='tanh').round(4));"
        "print(multiact.nn.LeakyReLU(0.2));"
        "print(sorted(m for m in ('torch', 'jax', 'matplotlib', 'mpmath') if m in sys.modules));"
        "import importlib.util; print(importlib.util.find_spec('torch'))"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path[:0] = [{str(target)!r}, {str(deps)!r}]; {code}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[ 0.8412 -0.1588]",
        "LeakyReLU(negative_slope=0.2)",
        "[]",
        "None",  # torch is not reachable: the environment really is clean
    ]


def test_an_uninstalled_checkout_says_how_to_install_it(tmp_path):
    # The package folder alone, as in a fresh clone with no `pip install -e .`: backends/ and
    # conformance/ are not multiact.backends and multiact.conformance there. -S: no site
    # hooks, so the editable install's finder cannot supply them; NumPy still comes from
    # site-packages, put on the path by hand.
    shutil.copytree(ROOT / "multiact", tmp_path / "multiact")
    site_packages = Path(np.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(site_packages)])}
    run = subprocess.run(
        [sys.executable, "-S", "-c", "import multiact"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert run.returncode == 1
    assert "source checkout that is not installed" in run.stderr
    assert f"python -m pip install -e {tmp_path}" in run.stderr
