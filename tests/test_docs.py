"""The documentation: every docstring has its sections, and the site builds in strict mode."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import multiact
import multiact.nn as nn
from multiact import ACTIVATIONS, _functional

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _load_docs_extension():
    spec = importlib.util.spec_from_file_location(
        "multiact_docs", DOCS / "_ext" / "multiact_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections_missing(doc: str, activation, *, for_module: bool) -> list[str]:
    missing = []
    if ".. math::" not in doc:
        missing.append("formula")
    if "Parameters\n" not in doc and activation.params:
        missing.append("Parameters")
    params = [
        p for p in activation.params if not for_module or p.kind not in ("array", "generator")
    ]
    for p in params:
        name = "dim" if for_module and p.kind == "axis" else p.name
        default = "required" if p.required else "default "
        if not re.search(rf"^\s*{name} : .*{default}", doc, re.MULTILINE):
            missing.append(f"parameter {name} with its default")
    if "Gradient at kinks" not in doc:
        missing.append("gradient convention at kinks")
    names = activation.names
    for framework in (names.torch, names.torch_module, names.jax, names.keras):
        if framework and f"``{framework}``" not in doc:
            missing.append(f"name {framework}")
    if "Names elsewhere: PyTorch" not in doc:
        missing.append("names elsewhere")
    if "Examples\n" not in doc or ">>> " not in doc:
        missing.append("example")
    return missing


@pytest.mark.parametrize("activation", [pytest.param(a, id=a.name) for a in ACTIVATIONS.values()])
def test_function_docstring_has_every_section(activation):
    function = getattr(multiact, activation.name)
    assert _sections_missing(function.__doc__, activation, for_module=False) == []
    for alias in activation.aliases:
        assert getattr(multiact, alias) is function  # documented by the same docstring
    for name, default in activation.defaults.items():
        if isinstance(default, float):  # PyTorch's default, as the signature has it
            assert f"{name} : float, default {default!r}" in function.__doc__


@pytest.mark.parametrize("activation", [pytest.param(a, id=a.name) for a in ACTIVATIONS.values()])
def test_module_docstring_has_every_section(activation):
    cls = getattr(nn, activation.module)
    if activation.custom_module:
        assert ">>> " in (cls.__doc__ or "")  # written by hand, doctested
        return
    assert _sections_missing(cls.__doc__, activation, for_module=True) == []


def test_kink_gradients_in_docstrings_are_pytorchs():
    # The sentence is written by running multiact.vjp; check two against autograd directly.
    torch = pytest.importorskip("torch")
    for name, x, expected_doc in [
        ("leaky_relu", 0.0, "0.01 at x = 0"),
        ("hardtanh", 1.0, "0 at x = 1"),
    ]:
        t = torch.tensor(x, requires_grad=True)
        getattr(torch.nn.functional, name)(t).backward()
        assert expected_doc in getattr(multiact, name).__doc__
        assert f"{t.grad.item():.6g} at x = {x:.6g}" in getattr(multiact, name).__doc__


def test_api_reference_documents_every_public_name():
    extension = _load_docs_extension()
    pages = "\n".join(extension.activation_page(a) for a in ACTIVATIONS.values())
    pages += (DOCS / "api" / "nn.md").read_text() + (DOCS / "api" / "utilities.md").read_text()
    documented = set(
        re.findall(
            r"\.\. (?:autofunction|py:function|autoclass|autoexception|autodata)"
            r":: multiact\.(?:nn\.)?(\w+)",
            pages,
        )
    )
    public = set(_functional.__all__) | set(nn.__all__)
    public |= {"vjp", "get", "backend_for", "lookup", "ACTIVATIONS", "Activation", "AxisError"}
    public |= {"set_num_threads", "get_num_threads"}
    assert public - documented == set()


def test_every_activation_page_shows_its_plot():
    extension = _load_docs_extension()
    for a in ACTIVATIONS.values():
        assert f"gallery/images/{a.name}.png" in extension.activation_page(a)
        assert f"images/{a.name}.png" in extension.gallery_page()


def test_site_builds_strict_with_every_page(built_site: Path):
    for page in (
        "index",
        "quickstart",
        "porting",
        "gallery/index",
        "api/index",
        "api/nn",
        "conformance/README",
        "changelog",
    ):
        assert (built_site / f"{page}.html").is_file(), page
    for a in ACTIVATIONS.values():
        page = (built_site / "api" / "generated" / f"{a.name}.html").read_text()
        assert f'id="multiact.{a.name}"' in page
        assert "math notranslate" in page  # the formula, rendered
        assert f"{a.name}.png" in page
        png = built_site / "_images" / f"{a.name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_site_has_every_page_of_docs(built_site: Path):
    # A page joins the site through its section's toctree (guide/index.md, api/index.md,
    # conformance/index.md, project/index.md); one in no toctree fails the strict build.
    sources = {p.relative_to(DOCS).with_suffix("") for p in DOCS.glob("*.md")}
    sources |= {p.relative_to(DOCS).with_suffix("") for p in DOCS.glob("*/index.md")}
    sources |= {p.relative_to(DOCS).with_suffix("") for p in DOCS.glob("conformance/*/report.md")}
    for page in sources - {Path("README")}:
        assert (built_site / page.with_suffix(".html")).is_file(), page


def test_site_links_the_conformance_report(built_site: Path):
    page = (built_site / "conformance" / "README.html").read_text()
    assert re.search(r'href="[^"]*report\.html"', page)


def test_readme_gives_the_strict_docs_build_command():
    command = 'python -m pip install -e ".[docs]" && python -m sphinx -W --keep-going -b html docs'
    for page in (ROOT / "README.md", DOCS / "project" / "index.md", DOCS / "README.md"):
        assert command in page.read_text(), page
