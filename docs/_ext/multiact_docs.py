"""Sphinx extension: the pages that are generated from the registry when the build starts.

- ``api/generated/NAME.md``: one page per activation, with its plot, the function (formula,
  parameters, gradient convention, names elsewhere and doctested example come from the
  docstring), its in-place form, its aliases and its ``multiact.nn`` class.
- ``gallery/index.md`` and ``gallery/images/NAME.png``: every activation and its derivative,
  drawn by :mod:`multiact._plot`.

Both folders are build products (ignored by git); a page is rewritten only when its text
changes, so an unchanged registry does not make Sphinx reread everything.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: the build has no display

import multiact
import multiact.nn
from multiact import _plot
from multiact._registry import ACTIVATIONS, Activation


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _plain_signature(function: object) -> str:
    """``(x, inplace=False)``: the signature without annotations, for alias entries."""
    signature = inspect.signature(function)
    return str(
        signature.replace(
            parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
            return_annotation=inspect.Signature.empty,
        )
    )


def activation_page(a: Activation) -> str:
    lines = [
        f"# multiact.{a.name}",
        "",
        a.summary,
        "",
        f"![{a.name} and its derivative](../../gallery/images/{a.name}.png)",
        "",
    ]
    row = _plot.row_description(a)
    if row:
        lines += [f"The plot shows {row}, and its derivative in x.", ""]
    lines += ["```{eval-rst}", f".. autofunction:: multiact.{a.name}", ""]
    if a.inplace_variant:
        lines += [f".. autofunction:: multiact.{a.name}_", ""]
    for alias in a.aliases:
        signature = _plain_signature(getattr(multiact, alias))
        lines += [
            f".. py:function:: multiact.{alias}{signature}",
            "",
            f"   Alias of :func:`multiact.{a.name}` (the same function object).",
            "",
        ]
    lines += [f".. autoclass:: multiact.nn.{a.module}", "```", ""]
    return "\n".join(lines)


def api_index() -> str:
    rows = [
        f"| [{a.name}]({a.name}.md) | {', '.join(a.aliases)} | `nn.{a.module}` | {a.summary} |"
        for a in ACTIVATIONS.values()
    ]
    return "\n".join(
        [
            "# Activations",
            "",
            "One page per activation: its plot, formula, parameters with PyTorch's defaults,",
            "gradient convention, names in torch / jax.nn / keras, and an example whose output",
            "doctest checks. Generated from the registry when the docs are built.",
            "",
            "| function | aliases | module | what |",
            "|---|---|---|---|",
            *rows,
            "",
            "```{toctree}",
            ":hidden:",
            "",
            *ACTIVATIONS,
            "```",
            "",
        ]
    )


def gallery_page() -> str:
    lines = [
        "# Gallery",
        "",
        "Every activation (left) and its derivative (right), computed by multiact on NumPy in",
        "float32: values with the public function, derivatives with `multiact.vjp`, which follows",
        "PyTorch's convention at kinks. The curves are the defaults and the parameter variants",
        "the registry declares. Drawn by `multiact/_plot.py` when the docs are built; the same",
        "plot on any backend or parameters: `multiact plot NAME --backend torch --param k=v -o",
        "FILE.png`.",
        "",
    ]
    for a in ACTIVATIONS.values():
        lines += [
            f"## {a.name}",
            "",
            f"[multiact.{a.name}](../api/generated/{a.name}.md): {a.summary}",
            "",
            f"![{a.name} and its derivative](images/{a.name}.png)",
            "",
        ]
    return "\n".join(lines)


def generate(app: object) -> None:
    source = Path(app.srcdir)  # type: ignore[attr-defined]
    images = source / "gallery" / "images"
    images.mkdir(parents=True, exist_ok=True)
    for a in ACTIVATIONS.values():
        image = images / f"{a.name}.png"
        figure = _plot.render(a.name, dpi=72)
        figure.savefig(image, metadata={"Software": None})
        _write(source / "api" / "generated" / f"{a.name}.md", activation_page(a))
    _write(source / "api" / "generated" / "index.md", api_index())
    _write(source / "gallery" / "index.md", gallery_page())


def setup(app: object) -> dict[str, object]:
    app.connect("builder-inited", generate)  # type: ignore[attr-defined]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
