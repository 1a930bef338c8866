"""Sphinx extension: the pages that are generated from the registry when the build starts.

- ``api/generated/NAME.md``: one page per activation, with its plot, the function (formula,
  parameters, gradient convention, names elsewhere and doctested example come from the
  docstring), its in-place form, its aliases and its ``multiact.nn`` class.
- ``gallery/index.md`` and ``gallery/images/NAME.png``: every activation and its derivative,
  drawn by :mod:`multiact._plot`.

Both folders are build products (ignored by git); a page is rewritten only when its text
changes, so an unchanged registry does not make Sphinx reread everything.

Three directives put figures on the pages that are read when the page is built, never typed,
so they cannot drift from the committed results:

- ``multiact-conformance-summary``: cases, backends, dtypes, devices and the result of every
  committed report, ``conformance/*/report.json``;
- ``multiact-benchmark-headline``: multiact's time over the native call's, from
  ``benchmarks/bench.json``;
- ``multiact-gallery-strip NAME ...``: small plots of the activations named (drawn into
  ``gallery/thumbs/`` from :func:`multiact._plot.sample`), each linking to its page.

The self-contained HTML conformance reports (``conformance/DIR/report.html``, plots inline) are
copied into the site as ``conformance/DIR/report-standalone.html`` (``report.html`` is the page
built from ``report.md``, which gets a link to it under its title), and a link to one opens that
copy instead of downloading it.
"""

from __future__ import annotations

import inspect
import json
import posixpath
import re
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: the build has no display

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective

import multiact
import multiact.nn
from multiact import _plot
from multiact._registry import ACTIVATIONS, Activation, lookup

TIMES, DASH = "\u00d7", "\u2013"  # multiplication sign, en dash: "0.98 to 1.02 times"

#: The copy of ``conformance/DIR/report.html`` in the built site, beside the ``report.md`` page.
STANDALONE_REPORT = "report-standalone.html"


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


def _count(n: float) -> str:
    """13804 -> "13 804", as the docs write numbers (a space that never breaks the number)."""
    return f"{n:,}".replace(",", "\u202f")


def _relative(target: str, docname: str) -> str:
    """The URL of the built file ``target`` from the page of ``docname``."""
    return posixpath.relpath(target, posixpath.dirname(docname) or ".")


#: The note a report's Markdown carries under its title while it predates the current
#: comparison (the report is then shown, marked, and left out of the totals).
STALE = re.compile(r"^> \*\*Stale:\*\* (.+)$", re.MULTILINE)


def conformance_reports(source: Path) -> list[dict]:
    """What each committed report says: its counts, backends, dtypes, devices, activations,
    the machine it ran on and whether it is marked stale; the CPU's first."""
    reports = []
    for path in sorted(source.glob("conformance/*/report.json")):
        report = json.loads(path.read_text())
        markdown = path.with_suffix(".md")
        stale = STALE.search(markdown.read_text()) if markdown.exists() else None
        cases, meta = report["cases"], report["meta"]
        machine = f"{meta['processor']}, {meta['cpus']} CPUs"
        environment = path.parent / "environment.json"
        if environment.exists():
            gpus = json.loads(environment.read_text()).get("torch_gpus") or []
            machine = gpus[0] if gpus else machine
        reports.append(
            {
                "dir": path.parent.name,
                "path": path,
                "summary": report["summary"],
                "targets": sorted({c["target"] for c in cases}),
                "dtypes": sorted({c["dtype"] for c in cases}),
                "devices": sorted({c["device"] for c in cases}),
                "activations": len({c["activation"] for c in cases}),
                "modes": {c["mode"] for c in cases},
                "machine": machine,
                "date": meta["date"].split()[0],
                "standalone": (path.parent / "report.html").exists(),
                "stale": stale[1] if stale else None,
                "sources": [path, markdown],
            }
        )
    return sorted(reports, key=lambda r: (r["dir"] != "cpu", r["dir"]))


#: How the summary names the reports' modes, in this order.
MODES = {"forward": "forward", "vjp": "`multiact.vjp`", "autograd": "autograd"}


def _order(mode: str) -> tuple[int, str]:
    return (list(MODES).index(mode) if mode in MODES else len(MODES), mode)


def _verdict(summary: dict) -> str:
    """A badge: "all pass", or the failures and skips, never hidden."""
    if summary["failed"] == 0 and summary["skipped"] == 0:
        return "{bdg-success}`all pass`"
    parts = [f"{_count(summary[k])} {k}" for k in ("failed", "skipped") if summary[k]]
    return "{bdg-danger}`" + ", ".join(parts) + "`"


def _devices(report: dict) -> str:
    return " and ".join(d.upper() for d in report["devices"])


def conformance_summary(reports: list[dict]) -> str:
    """MyST: one line over the current reports (stale ones named beside it), then a card per
    report."""
    current = [r for r in reports if not r["stale"]]
    total = {k: sum(r["summary"][k] for r in current) for k in ("cases", "failed", "skipped")}
    targets = {t for r in current for t in r["targets"]}
    dtypes = sorted({d for r in current for d in r["dtypes"]})
    devices = sorted({d.upper() for r in current for d in r["devices"]})
    modes = [MODES.get(m, m) for m in sorted({m for r in current for m in r["modes"]}, key=_order)]
    line = (
        f"{_verdict(total)} **{_count(total['cases'])} cases**: {len(targets)} backends and"
        f" {len(dtypes)} dtypes ({', '.join(dtypes)}) on {' and '.join(devices)};"
        f" {', '.join(modes[:-1])} and {modes[-1]}; each judged against PyTorch on the same"
        " device in the same dtype."
    )
    for r in reports:
        if r["stale"]:
            line += (
                f" Not counted: the {_devices(r)} run ({_count(r['summary']['cases'])} cases),"
                " which predates the current comparison."
            )
    lines = [
        line,
        "",
        "::::{grid} 1 1 2 2",
        ":gutter: 3",
        ":class-container: ma-reports",
        "",
    ]
    for r in reports:
        verdict = _verdict(r["summary"])
        if r["stale"]:
            verdict += " {bdg-warning}`stale`"
        links = f"{{doc}}`Report </conformance/{r['dir']}/report>`"
        if r["standalone"]:  # OpenStandaloneReports points the link at the site's copy
            links += f" · [Report with plots (HTML)](/conformance/{r['dir']}/report.html)"
        lines += [
            ":::{grid-item-card}",
            ":class-card: ma-stat",
            "",
            "```{card-header}",
            f"{_count(r['summary']['cases'])} cases on {_devices(r)} {verdict}",
            "```",
            f"{r['machine']}, {r['date']}: {len(r['targets'])} backends"
            f" ({', '.join(r['targets'])}), {len(r['dtypes'])} dtypes, {r['activations']}"
            " activations.",
            "",
            f"**Stale:** {r['stale']}" if r["stale"] else "",
            "```{card-footer}",
            links,
            "```",
            ":::",
            "",
        ]
    return "\n".join([*lines, "::::", ""])


def _span(values: list[float]) -> str:
    low, high = min(values), max(values)
    if f"{low:.2f}" == f"{high:.2f}":
        return f"{low:.2f}{TIMES}"
    return f"{low:.2f}{DASH}{high:.2f}{TIMES}"


def _ratios(
    bench: dict, section: str, backend: str, reference: str = "", sizes: set[int] | None = None
) -> list[float]:
    """multiact's time over the reference's, for the benchmark's records that match."""
    return [
        r["ratio"]
        for r in bench["records"]
        if r["section"] == section
        and r["backend"] == backend
        and reference in r["reference"]
        and (sizes is None or r["size"] in sizes)
        and r["ratio"] is not None
    ]


def key_figures(reports: list[dict], bench: dict) -> str:
    """MyST: the three figures beside the home page's introduction (from the current reports;
    a stale one is shown with the others, marked, under "Checked against PyTorch")."""
    current = [r for r in reports if not r["stale"]]
    total = {k: sum(r["summary"][k] for r in current) for k in ("cases", "failed", "skipped")}
    devices = " and ".join(sorted({d.upper() for r in current for d in r["devices"]}))
    targets = {t for r in current for t in r["targets"]}
    dtypes = {d for r in current for d in r["dtypes"]}
    native = _ratios(bench, "throughput", "torch") + _ratios(bench, "throughput", "jax")
    lines = [
        f"- **{_count(total['cases'])}** conformance cases against PyTorch on {devices}:"
        f" {_verdict(total)}",
        f"- **{_count(len(ACTIVATIONS))}** activations on **{len(targets)}** backends in"
        f" **{len(dtypes)}** dtypes",
    ]
    if native:
        lines.append(
            f"- **{_span(native)}** the time of PyTorch's and JAX's own calls on large arrays"
        )
    return "\n".join(lines) + "\n"


def benchmark_headline(bench: dict) -> str:
    """MyST: multiact's time over the native call's on large arrays for each framework, NumPy
    against SciPy, the import, and (for honesty) the cost on one element."""
    records = bench["records"]

    def ratios(section: str, backend: str, reference: str = "", sizes=None) -> list[float]:
        return _ratios(bench, section, backend, reference, sizes)

    large = sorted({r["size"] for r in records if r["section"] == "throughput"})
    sizes = " and ".join(f"{s // 1_000_000}M" for s in large if s >= 1_000_000)
    cards = []
    for backend, name, native in (
        ("torch", "PyTorch", "`torch.nn.functional`"),
        ("jax", "JAX", "`jax.jit(jax.nn.f)`"),
    ):
        found = ratios("throughput", backend)
        if found:
            what = f"{name}: time over {native}'s, arrays of {sizes} elements"
            cards.append((_span(found), what))
    scipy = ratios("throughput", "numpy", "scipy")
    if scipy:
        functions = sorted(
            {r["reference"].rpartition(".")[2] for r in records if "scipy" in r["reference"]}
        )
        what = "NumPy: time over SciPy's " + ", ".join(f"`{f}`" for f in functions)
        cards.append((_span(scipy), what))
    for r in records:
        if r["section"] == "import":
            frameworks = r["extra"].get("frameworks_imported", [])
            cards.append(
                (
                    f"{r['multiact'] * 1e3:.1f} ms",
                    "`import multiact`: "
                    + (f"imports {', '.join(frameworks)}" if frameworks else "no framework"),
                )
            )
    lines = ["::::{grid} 2 2 4 4", ":gutter: 3", ":class-container: ma-speed", ""]
    for figure, what in cards:
        lines += [
            ":::{grid-item-card}",
            ":class-card: ma-figure",
            "",
            "```{card-header}",
            figure,
            "```",
            what,
            ":::",
            "",
        ]
    small = [
        f"{name} {statistics.median(found):.2f}{TIMES}"
        for backend, name in (("torch", "PyTorch"), ("jax", "JAX"))
        if (found := ratios("overhead", backend, sizes={1}))
    ]
    machine = bench["machine"]
    lines += [
        "::::",
        "",
        f"Medians of interleaved rounds by `{bench['command']}` on {machine['processor']}"
        f" ({machine['cpus']} CPUs). On one-element arrays the dispatch and argument checks"
        f" show: median {', '.join(small)} of the native call.",
        "",
    ]
    return "\n".join(lines)


def thumbnail(name: str, path: Path) -> None:
    """A small plot of the activation (solid) and its derivative (dashed), on a transparent
    background that reads in the light and the dark theme."""
    from matplotlib.figure import Figure

    x, y, dy = _plot.sample(name, points=241)
    figure = Figure(figsize=(2.4, 1.5), dpi=100)
    axes = figure.add_axes((0.02, 0.04, 0.96, 0.92))
    axes.axhline(0.0, color="#8a8f98", linewidth=0.8)
    axes.axvline(0.0, color="#8a8f98", linewidth=0.8)
    axes.plot(x, dy, color="#f08c00", linewidth=1.6, linestyle=(0, (3, 2)))
    axes.plot(x, y, color="#4c6ef5", linewidth=2.4)
    axes.set_axis_off()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, transparent=True, metadata={"Software": None})


def gallery_strip(names: list[str]) -> str:
    lines = ["::::{grid} 2 3 6 6", ":gutter: 2", ":class-container: ma-strip", ""]
    for name in names:
        lines += [
            f":::{{grid-item-card}} {name}",
            f":link: /api/generated/{name}",
            ":link-type: doc",
            ":class-card: ma-thumb",
            ":text-align: center",
            "",
            f"```{{image}} /gallery/thumbs/{name}.png",
            f":alt: {name} and its derivative",
            ":class: dark-light",  # drawn to read on either theme: no white backing in dark
            "```",
            ":::",
            "",
        ]
    return "\n".join([*lines, "::::", ""])


class ConformanceSummary(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        source = Path(self.env.srcdir)
        reports = conformance_reports(source)
        for report in reports:
            for path in report["sources"]:
                self.env.note_dependency(str(path))
        if not reports:
            raise self.error("no conformance/*/report.json to summarise")
        return self.parse_text_to_nodes(conformance_summary(reports))


class KeyFigures(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        source = Path(self.env.srcdir)
        reports = conformance_reports(source)
        bench_path = source / "benchmarks" / "bench.json"
        for path in [bench_path, *(p for r in reports for p in r["sources"])]:
            self.env.note_dependency(str(path))
        bench = json.loads(bench_path.read_text())
        return self.parse_text_to_nodes(key_figures(reports, bench))


class BenchmarkHeadline(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        path = Path(self.env.srcdir) / "benchmarks" / "bench.json"
        self.env.note_dependency(str(path))
        return self.parse_text_to_nodes(benchmark_headline(json.loads(path.read_text())))


class GalleryStrip(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        names = self.arguments[0].split()
        for name in names:
            lookup(name)  # an unknown name fails the build with the registry's message
            thumbnail(name, Path(self.env.srcdir) / "gallery" / "thumbs" / f"{name}.png")
        return self.parse_text_to_nodes(gallery_strip(names))


class OpenStandaloneReports(SphinxTransform):
    """A link to ``conformance/DIR/report.html`` would download the file (Sphinx's treatment
    of a link to a file that is not a page): point it at the copy in the site instead."""

    default_priority = 500

    def apply(self, **kwargs: object) -> None:
        for node in list(self.document.findall(addnodes.download_reference)):
            relative, _ = self.env.relfn2path(node["reftarget"], self.env.docname)
            match = re.fullmatch(r"conformance/([^/]+)/report\.html", relative)
            if not match:
                continue
            url = _relative(f"conformance/{match[1]}/{STANDALONE_REPORT}", self.env.docname)
            link = nodes.reference("", "", *node.children, refuri=url, internal=True)
            node.replace_self(link)


def link_plots_from_report_page(app: object, docname: str, source: list[str]) -> None:
    """Under the title of a report page (``conformance/DIR/report.md``, written by
    ``multiact conformance``), a link to the same report with its plots."""
    match = re.fullmatch(r"conformance/([^/]+)/report", docname)
    srcdir = Path(app.srcdir)  # type: ignore[attr-defined]
    if not match or not (srcdir / "conformance" / match[1] / "report.html").exists():
        return
    title, newline, rest = source[0].partition("\n")
    note = (
        "\n\n:::{tip}\nThe same report with a plot per activation of the error against x:"
        " [report with plots (HTML)](report.html).\n:::\n"
    )
    source[0] = title + newline + note + rest


def copy_standalone_reports(app: object, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":  # type: ignore[attr-defined]
        return
    source, out = Path(app.srcdir), Path(app.outdir)  # type: ignore[attr-defined]
    favicon = app.config.html_favicon  # type: ignore[attr-defined]
    for report in source.glob("conformance/*/report.html"):
        target = out / "conformance" / report.parent.name / STANDALONE_REPORT
        target.parent.mkdir(parents=True, exist_ok=True)
        text = report.read_text()
        if favicon and "://" not in favicon and "<head>" in text:
            # The site's icon: a page that names none makes the browser ask for
            # /favicon.ico, which the site does not have (a 404 in the console).
            icon = f"../../_static/{Path(favicon).name}"
            text = text.replace("<head>", f'<head><link rel="icon" href="{icon}">', 1)
        target.write_text(text)


def setup(app: object) -> dict[str, object]:
    app.connect("builder-inited", generate)  # type: ignore[attr-defined]
    app.connect("source-read", link_plots_from_report_page)  # type: ignore[attr-defined]
    app.connect("build-finished", copy_standalone_reports)  # type: ignore[attr-defined]
    app.add_directive("multiact-conformance-summary", ConformanceSummary)  # type: ignore[attr-defined]
    app.add_directive("multiact-key-figures", KeyFigures)  # type: ignore[attr-defined]
    app.add_directive("multiact-benchmark-headline", BenchmarkHeadline)  # type: ignore[attr-defined]
    app.add_directive("multiact-gallery-strip", GalleryStrip)  # type: ignore[attr-defined]
    app.add_transform(OpenStandaloneReports)  # type: ignore[attr-defined]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
