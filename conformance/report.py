"""What a run found: the terminal summary, and ``report.json``, ``report.md``, ``report.html``.

``report.json`` holds one record per case (see ``Result.record``) and the run's metadata;
``report.md`` and ``report.html`` summarise it: pass/fail per activation and target, every
failure, the distance from the exact value of each backend and of PyTorch itself, signs of
zero, skips, and the tolerance overrides and known differences in force. The HTML page is
self-contained; its plots (matplotlib, embedded as base64 PNGs) show the error against x on
the grid, per activation, for each backend and dtype.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import io
import json
import math
import os
import platform
import sys
import textwrap
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from multiact import _terminal

from . import machine
from .adapters import DISTRIBUTIONS
from .cases import PROFILES, Case, Profile
from .results import Result, impossible_figures
from .targets import TARGETS, by_name
from .tolerances import KNOWN_DIFFERENCES, OVERRIDES

__all__ = [
    "check_figures",
    "describe_profile",
    "legend",
    "metadata",
    "render_plots",
    "scope",
    "summary_line",
    "summary_table",
    "write_reports",
]

_VALUE_KINDS = ("special", "kinks", "grid", "random", "rows")
_DTYPES = ("float16", "bfloat16", "float32", "float64")


def metadata(**extra: Any) -> dict[str, Any]:
    """The machine, the library versions and the date, plus ``extra`` (command, profile...)."""
    versions = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": machine.cpu_name(),
        "cpus": os.cpu_count(),
        "cpu_features": machine.cpu_features(),
        "cpu_capability": machine.torch_capability(),
        "numpy_dispatch": machine.numpy_dispatch(),
        "simd_environment": machine.environment(),
        "versions": versions,
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# Aggregation


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "-"
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf"
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-2:
        return f"{v:.{digits - 1}e}"
    if v == int(v):
        return str(int(v))
    return f"{v:.{digits}g}"


def _order(results: Sequence[Result]) -> tuple[list[str], list[str], list[str]]:
    labels = list(dict.fromkeys(r.case.label for r in results))
    targets = list(dict.fromkeys(r.case.target for r in results))
    dtypes = [d for d in _DTYPES if d in {r.case.dtype for r in results}]
    return labels, targets, dtypes


def counts(results: Sequence[Result]) -> Counter:
    return Counter(r.status for r in results)


def _cell(rs: list[Result]) -> str:
    if not rs:
        return "-"
    c = counts(rs)
    if c["fail"]:
        return f"FAIL {c['fail']}/{len(rs)}"
    if c["pass"]:
        return f"ok {c['pass']}" + (f" ({c['skip']} skip)" if c["skip"] else "")
    return "skip"


def _grid(results: Sequence[Result]) -> tuple[list[str], list[list[str]]]:
    labels, targets, _ = _order(results)
    cells: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in results:
        cells[(r.case.label, r.case.target)].append(r)
    header = ["activation", *targets]
    rows = [[label, *(_cell(cells[(label, t)]) for t in targets)] for label in labels]
    return header, rows


def _profile(profile: Profile | str | None) -> Profile | None:
    return PROFILES.get(profile) if isinstance(profile, str) else profile


def describe_profile(profile: Profile | str | None) -> str:
    """What a profile runs, in a sentence, from its fields (so it cannot drift from them)."""
    profile = _profile(profile)
    if profile is None:
        return ""
    dtypes = " and ".join(profile.dtypes) + " only" if profile.dtypes else "every dtype"
    layouts = [k for k in profile.kinds if k not in _VALUE_KINDS]
    modes = {"forward": "forward", "vjp": "multiact.vjp", "autograd": "autograd"}
    truth = (
        "against PyTorch and the exact value (mpmath, cached)"
        if profile.truth
        else "against PyTorch (the exact value only where PyTorch has no such function)"
    )
    return (
        f"{profile.name} profile: {dtypes}; special values, kinks, {profile.grid} grid and "
        f"{profile.random} random points, {', '.join(layouts)} layouts; "
        f"{', '.join(modes[m] for m in profile.modes)}; {truth}"
    )


def scope(results: Sequence[Result | Case], profile: Profile | str | None = None) -> str:
    """What a run (its results, or the cases it is about to run) covers, in a few words:
    ``float32 only, quick profile, CPU``."""
    cases = [getattr(r, "case", r) for r in results]
    dtypes = [d for d in _DTYPES if d in {c.dtype for c in cases}]
    devices = sorted({c.device for c in cases})
    parts = [f"{dtypes[0]} only" if len(dtypes) == 1 else ", ".join(dtypes)]
    profile = _profile(profile)
    if profile is not None:
        parts.append(f"{profile.name} profile")
    parts.append(" and ".join(d.upper() for d in devices))
    return ", ".join(parts)


def summary_line(
    results: Sequence[Result], elapsed: float | None = None, profile: Profile | str | None = None
) -> str:
    """``4 328 cases (float32 only, quick profile, CPU) in 46.8 s: all passed``."""
    c = counts(results)
    took = f" in {elapsed:.1f} s" if elapsed is not None else ""
    labels = {r.case.label for r in results}
    activations = {r.case.activation for r in results}
    targets = {r.case.target for r in results}
    covered = (
        f"{_terminal.count(len(activations))} activation{'s' * (len(activations) != 1)} in "
        f"{len(labels)} parameterisations on {len(targets)} backend{'s' * (len(targets) != 1)}"
    )
    if c["fail"]:
        verdict = f"{_terminal.count(c['fail'])} FAILED, {_terminal.count(c['pass'])} passed"
    elif c["pass"]:
        verdict = "all passed" if not c["skip"] else f"all {_terminal.count(c['pass'])} run passed"
    else:
        verdict = "none run"
    if c["skip"]:
        verdict += f", {_terminal.count(c['skip'])} skipped"
    return (
        f"{_terminal.count(len(results))} cases ({scope(results, profile)}; {covered})"
        f"{took}: {verdict}"
    )


def _columns_legend(targets: Sequence[str]) -> list[tuple[str, str]]:
    """What each column (target) is: a native kernel, or the array-API implementation."""
    native, generic_on_own, forced = [], [], []
    for name in targets:
        t = by_name(name)
        if t.forced_generic:
            forced.append(name)
        elif t.backend == t.name:
            native.append(name)
        else:
            generic_on_own.append(name)
    items = []
    if native:
        items.append((", ".join(native), "multiact's native kernels for that library"))
    if generic_on_own:
        items.append(
            (", ".join(generic_on_own), "multiact's array-API implementation on that library")
        )
    if forced:
        titles = [by_name(name).adapter.title for name in forced]
        onto = ", ".join(titles[:-1]) + f" or {titles[-1]}" if len(titles) > 1 else titles[0]
        items.append(
            (
                ", ".join(forced),
                f"the same array-API implementation forced onto {onto} arrays "
                "(the path CuPy and every library without a native backend take)",
            )
        )
    return items


def legend(results: Sequence[Result]) -> list[tuple[str, str]]:
    """The key to the pass/fail table: its cells, its columns and its rows."""
    labels, targets, _ = _order(results)
    _, rows = _grid(results)
    shown = {cell.split()[0] for row in rows for cell in row[1:]}
    cells = {
        "ok": (
            "ok N",
            "all N cases of that activation on that backend passed (value kinds, layouts, "
            "forward and gradients)",
        ),
        "FAIL": ("FAIL f/N", "f of its N cases failed (listed below the table)"),
        "skip": ("skip", "not judged (the reason is in the report)"),
        "-": ("-", "not run there"),
    }
    items = [item for key, item in cells.items() if key in shown]
    items += _columns_legend(targets)
    example = next((label for label in labels if "[" in label), None)
    if example is not None:
        r = next(r for r in results if r.case.label == example)
        params = ", ".join(f"{k}={v!r}" for k, v in r.case.params)
        items.append(
            (
                "rows",
                f"an activation with its default parameters; name[...] with the other values "
                f"the registry tests ({example}: {params})",
            )
        )
    return items


def check_figures(results: Sequence[Result]) -> list[str]:
    """Every figure of the run that cannot be true (see ``results.impossible_figures``): a
    bug in the conformance suite if any, said in the summary and the reports."""
    problems: list[str] = []
    for r in results:
        problems += impossible_figures(r.record())
    return problems


def summary_table(
    results: Sequence[Result],
    elapsed: float | None = None,
    limit: int = 30,
    profile: Profile | str | None = None,
    columns: int | None = None,
) -> str:
    """The terminal summary: pass/fail per activation and target with its legend, the run's
    scope and verdict, then the failures; laid out for ``columns`` (the terminal's width)."""
    if not results:
        return "no cases selected"
    columns = columns or _terminal.width()
    header, rows = _grid(results)
    c = counts(results)
    out = [_terminal.table(header, rows, columns), "", _terminal.legend(legend(results), columns)]
    out += ["", textwrap.fill(summary_line(results, elapsed, profile), columns)]
    if not c["fail"] and c["pass"]:
        out.append(
            _terminal.legend(
                [
                    (
                        "",
                        "passed: every element within PyTorch's tolerance (NaN only where "
                        "PyTorch has NaN, each infinity where it has that infinity), and "
                        "multiact's own kernels within their accuracy budgets against the "
                        "exact value" + ("" if _has_truth(results) else " where it was computed"),
                    )
                ],
                columns,
            ).strip()
        )
    failures = [r for r in results if r.status == "fail"]
    if failures:
        out += ["", "failures:"]
        out += [f"  {r.case.id}: {r.message}" for r in failures[:limit]]
        if len(failures) > limit:
            out.append(f"  ... and {len(failures) - limit} more (see --report)")
    problems = check_figures(results)
    if problems:
        out += ["", f"{len(problems)} figures that cannot be true (a bug in the suite):"]
        out += [f"  {p}" for p in problems[:limit]]
    return "\n".join(out)


def _has_truth(results: Sequence[Result]) -> bool:
    return any(r.ulp_truth is not None for r in results)


def _accuracy(
    results: Sequence[Result], gradient: bool = False
) -> dict[tuple[str, str], dict[str, Any]]:
    """(label, dtype) -> the largest ULP distance from the truth over the value kinds, in the
    normal range (and overall), per target and for PyTorch; forward, or gradients by vjp."""
    table: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"targets": {}})
    for r in results:
        c = r.case
        wanted = c.mode == "vjp" if gradient else not c.gradient
        if not wanted or c.kind not in _VALUE_KINDS or r.status == "skip":
            continue
        entry = table[(c.label, c.dtype)]
        if r.ulp_truth_normal is not None:
            best = entry["targets"].get(c.target)
            if best is None or r.ulp_truth_normal > best[0]:
                entry["targets"][c.target] = (r.ulp_truth_normal, r.ulp_truth)
            elif r.ulp_truth is not None and r.ulp_truth > best[1]:
                entry["targets"][c.target] = (best[0], r.ulp_truth)
            if r.ulp_budget is not None:
                budgets = entry.setdefault("budgets", {})
                budgets[c.target] = max(budgets.get(c.target, 0), r.ulp_budget)
        if r.torch_ulp_truth_normal is not None:
            best = entry.get("torch")
            if best is None or r.torch_ulp_truth_normal > best[0]:
                entry["torch"] = (r.torch_ulp_truth_normal, r.torch_ulp_truth)
    return table


def _largest_vs_torch(results: Sequence[Result], limit: int = 40) -> list[Result]:
    """The passing cases closest to their tolerance (the most of it used)."""
    rs = [
        r
        for r in results
        if r.status == "pass"
        and r.tolerance_used is not None
        and not by_name(r.case.target).runs_reference_kernels
    ]
    rs.sort(key=lambda r: -r.tolerance_used)
    return rs[:limit]


def _skips(results: Sequence[Result]) -> Counter:
    return Counter(r.message for r in results if r.status == "skip")


def _signs(results: Sequence[Result]) -> list[Result]:
    return [r for r in results if r.sign_of_zero]


# ---------------------------------------------------------------------------------------------
# Writers


def write_reports(
    results: Sequence[Result],
    directory: Path,
    meta: dict[str, Any],
    plots: bool = True,
    images: dict[str, str] | None = None,
) -> list[Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` into ``directory``.

    ``images`` (label -> base64 PNG, from ``render_plots``, e.g. made in the worker processes)
    are used for the plots where given; otherwise they are drawn here from the results.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.json", directory / "report.md", directory / "report.html"]
    _write_json(results, paths[0], meta)
    paths[1].write_text(_markdown(results, meta))
    if plots and images is None:
        images = render_plots(results)
    paths[2].write_text(_html(results, meta, images or {}))
    return paths


def _write_json(results: Sequence[Result], path: Path, meta: dict[str, Any]) -> None:
    c = counts(results)
    head = {
        "meta": meta,
        "summary": {
            "cases": len(results),
            "passed": c["pass"],
            "failed": c["fail"],
            "skipped": c["skip"],
        },
    }
    with path.open("w") as f:
        f.write(json.dumps(head, indent=1)[:-2] + ',\n "cases": [\n')
        for i, r in enumerate(results):
            f.write("  " + json.dumps(r.record(), separators=(",", ":")))
            f.write(",\n" if i + 1 < len(results) else "\n")
        f.write(" ]\n}\n")


_ACCURACY_NOTE = (
    "Largest distance, in ULPs of the dtype (the count of representable numbers between the "
    "two), from the correctly rounded exact value (mpmath), over the special, kink, grid, "
    "random (and row) inputs where the exact value is a number, leaving out subnormal inputs "
    "and results; `(all: N)` is the largest with them, where flushing subnormals to zero (XLA "
    "on CPU) or underflow makes it larger. 0 is correctly rounded. `N / B`: B is the kernel's "
    "accuracy budget (`conformance/budgets.json`), the most it may reach: a case beyond it "
    "fails even inside PyTorch's tolerance."
)


def _disagreements(results: Sequence[Result]) -> list[list[str]]:
    """Where PyTorch's vectorised and scalar loops disagreed, by activation, dtype and mode."""
    seen: dict[tuple[str, str, str, str], tuple[int, set[str]]] = {}
    for r in results:
        if not r.torch_disagreements:
            continue
        c = r.case
        key = (c.label, c.dtype, "gradient" if c.gradient else "forward", c.kind)
        n, targets = seen.get(key, (0, set()))
        seen[key] = (max(n, r.torch_disagreements), targets | {c.target})
    return [
        [label, dtype, kind, case, str(n), ", ".join(sorted(targets))]
        for (label, dtype, kind, case), (n, targets) in sorted(seen.items())
    ]


_NO_TRUTH = "(no exact value was computed for these cases)"

_DISAGREEMENT_NOTE = (
    "PyTorch computes the reference by three code paths on this CPU: as laid out in the case, "
    "padded so that every value falls in its vectorised loop, and strided so that every value "
    "takes its scalar loop. Where they disagree, multiact's kernels are held to the exact "
    "value (to any one of PyTorch's answers where the exact value is not defined, as for "
    "gradients at NaN), and PyTorch's own kernels on tensors to any of their answers. "
    "`docs/conformance/torch-paths.md` lists PyTorch's disagreements with itself under every "
    "CPU capability."
)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _meta_lines(meta: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
    lines = [
        f"- command: `{meta.get('command', '')}`",
        f"- profile: {meta.get('profile', '')}; device: {meta.get('device', '')}; "
        f"run time: {_fmt(meta.get('seconds'))} s with {meta.get('jobs', 1)} worker process(es)",
        f"- machine: {meta.get('processor')} ({meta.get('cpus')} CPUs), {meta.get('platform')}",
        f"- Python {meta.get('python')}; {versions}",
        f"- date: {meta.get('date')}",
    ]
    return lines


def _accuracy_cell(value: tuple[float, float | None] | None, budget: int | None = None) -> str:
    """``normal-range max``, ``/ budget`` where the kernel is held to one, and, where
    subnormals push it higher, ``(all: max)``."""
    if value is None:
        return "-"
    normal, everything = value
    cell = _fmt(normal)
    if budget is not None:
        cell += f" / {budget}"
    if everything is not None and everything > max(normal, 1) * 2:
        cell += f" (all: {_fmt(everything)})"
    return cell


def _accuracy_rows(
    results: Sequence[Result], gradient: bool = False
) -> tuple[list[str], list[list[str]]]:
    labels, targets, dtypes = _order(results)
    acc = _accuracy(results, gradient)
    if gradient:
        targets = [t for t in targets if not by_name(t).forced_generic]
    header = ["activation", "dtype", "PyTorch", *targets]
    rows = []
    for label in labels:
        for dtype in dtypes:
            entry = acc.get((label, dtype))
            if entry is None or (not entry["targets"] and "torch" not in entry):
                continue
            budgets = entry.get("budgets", {})
            cells = [_accuracy_cell(entry["targets"].get(t), budgets.get(t)) for t in targets]
            rows.append([label, dtype, _accuracy_cell(entry.get("torch")), *cells])
    return header, rows


def _case_keys(results: Sequence[Result]) -> set[tuple]:
    """The distinct (activation, params, kind, target, dtype, mode, device) the run judged."""
    return {
        (
            r.case.activation,
            r.case.params,
            "gradient" if r.case.gradient else "forward",
            r.case.target,
            r.case.dtype,
            r.case.mode if r.case.gradient else None,
            r.case.device,
        )
        for r in results
        if r.status != "skip"
    }


def _override_rows(results: Sequence[Result]) -> list[list[str]]:
    """The tolerance overrides that applied to cases of this run (none else)."""
    applied = {(a, kind, dtype) for a, _, kind, _, dtype, _, _ in _case_keys(results)}
    return [
        [o.activation, o.kind, o.dtype, f"rtol={o.rtol:g} atol={o.atol:g}", o.reason]
        for o in OVERRIDES
        if (o.activation, o.kind, o.dtype) in applied
    ]


_DIFFERENCE_HEADER = [
    "activation",
    "params",
    "kind",
    "modes",
    "targets",
    "dtypes",
    "devices",
    "reason",
]


def _difference_rows(results: Sequence[Result]) -> list[list[str]]:
    """The known differences that applied to cases of this run, each with the targets,
    dtypes and devices of the run it applied to (none else)."""
    keys = _case_keys(results)
    rows = []
    for d in KNOWN_DIFFERENCES:
        hits = [
            (activation, target, dtype, device)
            for activation, params, kind, target, dtype, mode, device in keys
            if d.applies(activation, dict(params), kind, target, dtype, mode, device)
        ]
        if not hits:
            continue
        params = ", ".join(f"{k}={v}" for k, v in d.params.items()) or "all"
        modes = ", ".join(getattr(d, "modes", ()) or ("all",))
        activations = ", ".join(sorted({h[0] for h in hits})) if d.activation == "*" else None
        rows.append(
            [
                d.activation if activations is None else f"* ({activations})",
                params,
                d.kind,
                modes,
                ", ".join(t for t in d.targets if any(h[1] == t for h in hits)),
                ", ".join(x for x in d.dtypes if any(h[2] == x for h in hits)),
                ", ".join(sorted({h[3] for h in hits})),
                d.reason,
            ]
        )
    return rows


_TABLES_NOTE = (
    "Only those that applied to a case of this run are listed, with the targets, dtypes and "
    "devices of the run they applied to; `conformance/tolerances.py` holds them all."
)


def _scope_lines(results: Sequence[Result], meta: dict[str, Any]) -> list[str]:
    """What the run covered and what it was judged against, in plain words."""
    labels, targets, _ = _order(results)
    activations = list(dict.fromkeys(r.case.activation for r in results))
    lines = [
        f"- scope: {scope(results, meta.get('profile'))}; {len(activations)} activations "
        f"({len(labels)} parameterisations); targets: {', '.join(targets)}",
    ]
    described = describe_profile(meta.get("profile"))
    if described:
        lines.append(f"- {described}")
    if not _has_truth(results):
        lines.append(
            "- no exact value was computed in this run: the distance tables are empty, and "
            "the accuracy budgets were not checked"
        )
    return lines


def _markdown(results: Sequence[Result], meta: dict[str, Any]) -> str:
    out = ["# multiact conformance report", ""]
    out += _meta_lines(meta)
    out += _scope_lines(results, meta)
    out += [
        "",
        f"**{summary_line(results, meta.get('seconds'), meta.get('profile'))}.**",
        "",
        "Each case is one activation (and parameterisation) x target x dtype x device x case "
        "kind x mode (forward, `multiact.vjp`, autograd), judged against PyTorch on the same "
        "device in the same dtype (or, where PyTorch has no such function, against the exact "
        "value). ULP figures are distances, in units in the last place of the dtype, from "
        "PyTorch's result or from the correctly rounded exact value (mpmath).",
        "",
        "## Pass / fail by activation and target",
        "",
    ]
    header, rows = _grid(results)
    out += [_md_table(header, rows), ""]
    out += [f"- {term}: {text}" for term, text in legend(results)]
    out.append("")
    problems = check_figures(results)
    if problems:
        out += ["## Figures that cannot be true (a bug in the conformance suite)", ""]
        out += [f"- {p}" for p in problems[:500]]
        out.append("")
    failures = [r for r in results if r.status == "fail"]
    out += ["## Failures", ""]
    if failures:
        out += [f"- `{r.case.id}`: {r.message}" for r in failures[:500]]
        if len(failures) > 500:
            out.append(f"- ... and {len(failures) - 500} more (report.json has them all)")
    else:
        out.append("None.")
    out += [
        "",
        "## Distance from the exact value",
        "",
        _ACCURACY_NOTE,
        "",
        "### Forward",
        "",
    ]
    header, rows = _accuracy_rows(results)
    out += [_md_table(header, rows) if rows else _NO_TRUTH, ""]
    out += ["### Gradients (`multiact.vjp`; PyTorch: its autograd)", ""]
    header, rows = _accuracy_rows(results, gradient=True)
    out += [_md_table(header, rows) if rows else _NO_TRUTH, ""]
    out += ["## Where PyTorch disagrees with itself", "", _DISAGREEMENT_NOTE, ""]
    rows = _disagreements(results)
    header = ["activation", "dtype", "kind", "case", "inputs", "targets judged there"]
    out += [_md_table(header, rows) if rows else "Nowhere in this run.", ""]
    out += [
        "## Closest to the tolerance (passing cases)",
        "",
        "The fraction of the tolerance used, max |error| / (atol + rtol |reference|), where "
        "the values are compared (1 would fail); ULPs from the reference beside it (large where "
        "the reference is 0 or tiny, as when PyTorch underflows where the backend does not).",
        "",
    ]
    largest = _largest_vs_torch(results)
    out += [
        _md_table(
            ["case", "tolerance used", "max ULP vs reference", "max abs error"],
            [
                [f"`{r.case.id}`", _fmt(r.tolerance_used), _fmt(r.max_ulp), _fmt(r.max_abs_error)]
                for r in largest
            ],
        ),
        "",
    ]
    signs = _signs(results)
    out += ["## Signs of zero that differ from PyTorch's (reported, not failed)", ""]
    out += (
        [f"- `{r.case.id}`: {r.sign_of_zero} element(s)" for r in signs[:200]]
        if signs
        else ["None."]
    )
    out += ["", "## Skipped", ""]
    skips = _skips(results)
    out += [f"- {n} case(s): {why}" for why, n in skips.most_common()] if skips else ["None."]
    out += ["", "## Tolerance overrides in force", "", _TABLES_NOTE, ""]
    rows = _override_rows(results)
    header = ["activation", "kind", "dtype", "tolerance", "reason"]
    out += [_md_table(header, rows) if rows else "None in this run.", ""]
    out += ["## Known differences from PyTorch in force", ""]
    rows = _difference_rows(results)
    out += [_md_table(_DIFFERENCE_HEADER, rows) if rows else "None in this run.", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# HTML with plots

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0;position:sticky;top:0}
.fail{background:#fdd}.ok{background:#efe}.skip{color:#888}
code{font-size:12px}img{max-width:100%}h2{margin-top:2em}
"""


def _h(text: object) -> str:
    return html.escape(str(text))


def _html_table(header: list[str], rows: list[list[str]], classify: bool = False) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_h(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for cell in row:
            cls = ""
            if classify:
                cls = (
                    " class='fail'"
                    if cell.startswith("FAIL")
                    else (
                        " class='ok'"
                        if cell.startswith("ok")
                        else (" class='skip'" if cell == "skip" else "")
                    )
                )
            cells.append(f"<td{cls}>{_h(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _symlog_ticks(ax: Any, top: float) -> None:
    """0, 1 and at most five powers of ten up to ``top`` (symlog's own ticks crowd)."""
    decades = max(1, math.ceil(math.log10(max(top, 1.0))))
    step = max(1, math.ceil(decades / 5))
    ticks = [0.0, *(10.0**k for k in range(0, decades + 1, step))]
    ax.set_yticks(ticks)
    ax.set_ylim(-0.1, max(ticks[-1], 1.0) * 1.5)


def render_plots(results: Sequence[Result]) -> dict[str, str]:
    """label -> base64 PNG of the error against x, per parameterisation with grid results."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    series: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    for r in results:
        if r.series is not None:
            series[r.case.label][r.case.dtype][r.case.target] = r.series
    # One colour per target in every panel and plot.
    colours = {t.name: f"C{i % 10}" for i, t in enumerate(TARGETS)}
    out = {}
    dtype_order = ("float16", "bfloat16", "float32", "float64")
    for label, by_dtype in series.items():
        dtypes = [d for d in dtype_order if d in by_dtype]
        fig, axes = plt.subplots(
            2, len(dtypes), figsize=(3.6 * len(dtypes) + 1, 5.2), squeeze=False, sharex=True
        )
        for col, dtype in enumerate(dtypes):
            top, bottom = axes[0][col], axes[1][col]
            highest = [1.0, 1.0]
            torch_drawn = False
            for target, s in sorted(by_dtype[dtype].items()):
                colour = colours.get(target, "C9")
                top.plot(s.x, s.ulp_reference, ".", ms=2, color=colour, label=target)
                highest[0] = max(highest[0], float(np.nanmax(s.ulp_reference, initial=0)))
                if s.ulp_truth is not None:
                    bottom.plot(s.x, s.ulp_truth, ".", ms=2, color=colour, label=target)
                    highest[1] = max(highest[1], float(np.nanmax(s.ulp_truth, initial=0)))
                if s.torch_ulp_truth is not None and not torch_drawn:
                    bottom.plot(s.x, s.torch_ulp_truth, "k+", ms=3, mew=0.6, label="PyTorch itself")
                    highest[1] = max(highest[1], float(np.nanmax(s.torch_ulp_truth, initial=0)))
                    torch_drawn = True
            for ax, most in zip((top, bottom), highest, strict=True):
                ax.set_yscale("symlog", linthresh=1)
                _symlog_ticks(ax, most if np.isfinite(most) else 1e300)
                ax.grid(True, alpha=0.3)
                ax.tick_params(labelsize=7)
            if not bottom.lines:
                bottom.text(
                    0.5,
                    0.5,
                    "exact value not computed",
                    ha="center",
                    va="center",
                    transform=bottom.transAxes,
                    fontsize=8,
                    color="gray",
                )
            top.set_title(dtype, fontsize=10)
            bottom.set_xlabel("x", fontsize=9)
            if col == 0:
                top.set_ylabel("ULP from PyTorch", fontsize=9)
                bottom.set_ylabel("ULP from exact", fontsize=9)
        handles, names = [], []
        for ax in axes.flat:
            for h, n in zip(*ax.get_legend_handles_labels(), strict=True):
                if n not in names:
                    handles.append(h)
                    names.append(n)
        fig.legend(handles, names, loc="center right", fontsize=8, markerscale=4)
        fig.suptitle(f"{label}: error against x on the grid", fontsize=11)
        fig.subplots_adjust(left=0.06, right=0.86, top=0.88, bottom=0.1, wspace=0.25)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=72)
        plt.close(fig)
        out[label] = base64.b64encode(buffer.getvalue()).decode("ascii")
    return out


def _html(results: Sequence[Result], meta: dict[str, Any], images: dict[str, str]) -> str:
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>multiact conformance report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>multiact conformance report</h1><ul>",
    ]
    parts += [
        f"<li>{_h(line[2:])}</li>" for line in _meta_lines(meta) + _scope_lines(results, meta)
    ]
    parts += [
        "</ul>",
        f"<p><b>{_h(summary_line(results, meta.get('seconds'), meta.get('profile')))}.</b></p>",
        "<h2>Pass / fail by activation and target</h2>",
    ]
    header, rows = _grid(results)
    parts.append(_html_table(header, rows, classify=True))
    parts.append(
        "<ul>" + "".join(f"<li>{_h(t)}: {_h(x)}</li>" for t, x in legend(results)) + "</ul>"
    )
    problems = check_figures(results)
    if problems:
        parts.append("<h2>Figures that cannot be true (a bug in the conformance suite)</h2>")
        parts.append("<ul>" + "".join(f"<li>{_h(p)}</li>" for p in problems[:500]) + "</ul>")
    failures = [r for r in results if r.status == "fail"]
    parts.append("<h2>Failures</h2>")
    if failures:
        parts.append(
            _html_table(["case", "message"], [[r.case.id, r.message] for r in failures[:1000]])
        )
    else:
        parts.append("<p>None.</p>")
    parts.append("<h2>Distance from the exact value</h2>")
    parts.append(f"<p>{_h(_ACCURACY_NOTE)}</p><h3>Forward</h3>")
    header, rows = _accuracy_rows(results)
    parts.append(_html_table(header, rows) if rows else f"<p>{_NO_TRUTH}</p>")
    parts.append("<h3>Gradients (multiact.vjp; PyTorch: its autograd)</h3>")
    header, rows = _accuracy_rows(results, gradient=True)
    parts.append(_html_table(header, rows) if rows else f"<p>{_NO_TRUTH}</p>")
    labels = [label for label in dict.fromkeys(r.case.label for r in results) if label in images]
    if labels:
        parts.append("<h2>Error against x</h2>")
        parts.append(
            "<p>Top row: ULP distance from PyTorch's result; bottom row: from the correctly "
            "rounded exact value, for each backend and (black line) PyTorch itself. "
            "Symmetric log scale: below 1 ULP it is linear.</p>"
        )
        for label in labels:
            image = f"<img alt='{_h(label)}' src='data:image/png;base64,{images[label]}'>"
            parts.append(f"<h3>{_h(label)}</h3>{image}")
    parts.append(f"<h2>Where PyTorch disagrees with itself</h2><p>{_h(_DISAGREEMENT_NOTE)}</p>")
    rows = _disagreements(results)
    header = ["activation", "dtype", "kind", "case", "inputs", "targets judged there"]
    parts.append(_html_table(header, rows) if rows else "<p>Nowhere in this run.</p>")
    parts.append("<h2>Closest to the tolerance (passing cases)</h2>")
    largest = _largest_vs_torch(results)
    parts.append(
        _html_table(
            ["case", "tolerance used", "max ULP vs reference", "max abs error"],
            [
                [r.case.id, _fmt(r.tolerance_used), _fmt(r.max_ulp), _fmt(r.max_abs_error)]
                for r in largest
            ],
        )
    )
    signs = _signs(results)
    parts.append("<h2>Signs of zero that differ from PyTorch's (reported, not failed)</h2>")
    parts.append(
        _html_table(["case", "elements"], [[r.case.id, str(r.sign_of_zero)] for r in signs])
        if signs
        else "<p>None.</p>"
    )
    parts.append("<h2>Skipped</h2>")
    skips = _skips(results)
    parts.append(
        _html_table(["cases", "reason"], [[str(n), why] for why, n in skips.most_common()])
        if skips
        else "<p>None.</p>"
    )
    parts.append(f"<h2>Tolerance overrides in force</h2><p>{_h(_TABLES_NOTE)}</p>")
    rows = _override_rows(results)
    header = ["activation", "kind", "dtype", "tolerance", "reason"]
    parts.append(_html_table(header, rows) if rows else "<p>None in this run.</p>")
    parts.append("<h2>Known differences from PyTorch in force</h2>")
    rows = _difference_rows(results)
    parts.append(_html_table(_DIFFERENCE_HEADER, rows) if rows else "<p>None in this run.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
