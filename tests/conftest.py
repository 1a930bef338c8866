"""Fixtures shared by the test suite: the backends under test, parameterised, and the
documentation site, built once per run.

Every backend-parameterised test takes ``target`` (one of ``conformance.targets.TARGETS``)
and, where dtypes matter, uses ``TARGET_DTYPES``: one id per (backend, dtype) the library has.
``built_site`` is the HTML site (tests/test_docs.py reads its files, tests/test_site.py opens it
in a browser).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from multiact.conformance.targets import TARGETS, Target

if importlib.util.find_spec("jax") is not None:
    import jax

    # float64 is part of the matrix; JAX only has it with x64 enabled.
    jax.config.update("jax_enable_x64", True)


def _param(target: Target, *values: object, id: str) -> object:
    return pytest.param(
        target,
        *values,
        id=id,
        marks=pytest.mark.skipif(not target.available(), reason=f"{target.library} missing"),
    )


#: Every backend under test.
ALL_TARGETS = [_param(t, id=t.name) for t in TARGETS]
#: The backends reached through the public API (no forced generic path).
DISPATCHED_TARGETS = [_param(t, id=t.name) for t in TARGETS if not t.forced_generic]
#: (backend, dtype) for every floating dtype each backend has.
TARGET_DTYPES = [_param(t, d, id=f"{t.name}-{d}") for t in TARGETS for d in t.dtypes]
#: (backend, dtype) for the backends reached through the public API.
DISPATCHED_TARGET_DTYPES = [
    _param(t, d, id=f"{t.name}-{d}") for t in TARGETS if not t.forced_generic for d in t.dtypes
]


ROOT = Path(__file__).resolve().parent.parent

#: What the documentation build needs (the ``docs`` extra).
SITE_MODULES = (
    "sphinx",
    "myst_parser",
    "numpydoc",
    "matplotlib",
    "pydata_sphinx_theme",
    "sphinx_copybutton",
    "sphinx_design",
)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold a lock on ``path`` (one process at a time, across the xdist workers)."""
    import fcntl

    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build_site(root: Path) -> dict[str, object]:
    # A copy of docs/, so the generated pages and images do not land in the working tree.
    shutil.copytree(
        ROOT / "docs",
        root / "docs",
        ignore=shutil.ignore_patterns("_build", "generated", "gallery", "__pycache__"),
    )
    for name in ("CHANGELOG.md", "CONTRIBUTING.md"):  # included by docs pages
        shutil.copy(ROOT / name, root / name)
    # The strict build the README gives, with -q so that the output is the warnings alone.
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    result = subprocess.run(
        [*command, str(root / "docs"), str(root / "html")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return {"returncode": result.returncode, "output": result.stdout + result.stderr}


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built once per test run in strict mode: under pytest-xdist the
    first worker that needs it builds it in the run's shared temporary folder, and the others
    wait for that build and use it."""
    for module in SITE_MODULES:
        pytest.importorskip(module)
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and os.name == "posix":
        root = root.parent  # shared by this run's workers
    site = root / "site"
    with _exclusive(root / "site.lock") if os.name == "posix" else contextlib.nullcontext():
        outcome = site / "build.json"
        if not outcome.exists():
            site.mkdir(exist_ok=True)
            outcome.write_text(json.dumps(_build_site(site)))
    result = json.loads(outcome.read_text())
    assert result["returncode"] == 0, result["output"]
    return site / "html"


@pytest.fixture
def plant_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[object, str, object], None]]:
    """``plant_kernel(module, name, kernel)``: ``monkeypatch.setattr`` for a backend's kernel,
    which the public functions then reach: the backend's kernel at the defaults for that
    activation is turned off (``Backend.AT_DEFAULTS``), and the Dispatchers forget the kernels
    they learned (``multiact._dispatch.direct``) when one is planted and when the test ends."""
    from multiact import _dispatch

    def setattr(module: object, name: str, kernel: object) -> None:
        monkeypatch.setattr(module, name, kernel)
        # The public functions call a backend's kernel at the defaults in its place.
        at_defaults = getattr(module, "AT_DEFAULTS", None)
        if at_defaults is not None and getattr(at_defaults, name, None) is not None:
            monkeypatch.setattr(at_defaults, name, None)
        _dispatch.forget()

    yield setattr
    _dispatch.forget()  # before monkeypatch puts the kernel back: nothing runs in between
