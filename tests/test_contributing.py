"""CONTRIBUTING.md's checklists stay true: the files they name exist and hold what they say, and
each names the few files an addition touches by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from multiact.backends import NATIVE_BACKENDS
from multiact.conformance.adapters import ADAPTERS

from multiact import ACTIVATIONS, _derivatives
from multiact._dispatch import backend_module

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "CONTRIBUTING.md").read_text()


def _section(title: str) -> str:
    return GUIDE.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _by_hand(title: str) -> list[str]:
    """The files a section's checklist says to write by hand (before "Then regenerate")."""
    text = _section(title).split("Then regenerate", 1)[0]
    return re.findall(r"^- \[ \] `([^`]+)`", text, flags=re.MULTILINE)


@pytest.mark.parametrize("title", ["Adding an activation", "Adding a native backend"])
def test_every_file_a_checklist_names_exists(title):
    files = _by_hand(title)
    assert files
    for name in files:
        if "NAME" not in name:
            assert (ROOT / name).exists(), name


def test_an_activation_is_its_declaration_its_kernels_and_its_derivative():
    files = _by_hand("Adding an activation")
    assert files == [
        "multiact/_catalog.py",
        "backends/numpy.py",
        "backends/torch.py",
        "backends/jax.py",
        "multiact/_generic.py",
        "multiact/_derivatives.py",
        "CHANGELOG.md",
    ]
    # Each kernel file has a kernel of every activation (its name), the derivatives file a
    # derivative: what the checklist asks of a new one is what every current one has.
    for backend in ("numpy", "torch", "jax", "generic"):
        pytest.importorskip({"generic": "array_api_compat"}.get(backend, backend))
        module = backend_module(backend)
        assert all(callable(getattr(module, a.name, None)) for a in ACTIVATIONS.values())
    assert all(callable(getattr(_derivatives, a.name, None)) for a in ACTIVATIONS.values())


def test_the_stated_count_of_files_is_the_checklists():
    written = [f for f in _by_hand("Adding an activation") if f != "CHANGELOG.md"]
    assert f"Write by hand ({len(written)} files and the changelog)" in GUIDE
    assert _by_hand("Adding a native backend") == [
        "backends/NAME.py",
        "backends/__init__.py",
        "conformance/adapters.py",
        "pyproject.toml",
    ]


def test_a_native_backend_is_one_module_one_table_line_and_one_adapter():
    modules = {p.stem for p in (ROOT / "backends").glob("*.py") if not p.stem.startswith("_")}
    assert modules == {b.name for b in NATIVE_BACKENDS}
    for native in NATIVE_BACKENDS:
        adapters = [a for a in ADAPTERS.values() if a.native_backend == native.name]
        assert len(adapters) == 1, native.name
