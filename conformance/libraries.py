"""Other libraries against PyTorch: the page ``docs/conformance/libraries.md``, and its data.

Every activation that jax.nn, Keras 3 (NumPy backend), Flax, scipy.special, Transformers and
timm offer under PyTorch's semantics, run by :func:`conformance.verify` at its
PyTorch-equivalent setting (``jax.nn.gelu(approximate=False)`` for PyTorch's default GELU,
Keras' ``leaky_relu(negative_slope=0.01)``...), forward and, where the library has autograd,
gradient, in every dtype the library has. The run writes ``libraries.json`` (per function,
dtype and mode: passed or not, the check that failed, the worst input, and the distances from
the exact value of the library's result and of PyTorch's); the page is rendered from that
file alone, so a test can tell when it is stale. Regenerate both with::

    python -m multiact.conformance.libraries --report docs/conformance/libraries.md

(a few minutes; Keras runs on its NumPy backend, set before Keras is imported: run it in a
process of its own). The libraries come with ``pip install -e ".[libraries]"`` and, for timm,
``pip install --no-deps timm`` (its torchvision dependency's PyPI wheels do not load beside the
CPU build of PyTorch). A library that is not installed is left out of the page, with a note.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multiact._registry import ACTIVATIONS, lookup

from .results import Result

__all__ = ["ENTRIES", "LIBRARIES", "Entry", "Library", "main", "render", "run"]

_FLOATS = ("float16", "bfloat16", "float32", "float64")
_MODES = ("forward", "gradient")


@dataclass(frozen=True)
class Library:
    """One library measured: how it is named, installed, and which arrays it takes."""

    key: str
    title: str
    distribution: str
    #: The array library its functions take (``conformance.adapters.adapter_for``).
    arrays: str
    #: Its functions are differentiated by the array library's autograd (PyTorch, JAX).
    autograd: bool
    note: str = ""


LIBRARIES: dict[str, Library] = {
    lib.key: lib
    for lib in (
        Library("jax", "jax.nn", "jax", "jax", True),
        Library(
            "keras",
            "Keras 3 (NumPy backend)",
            "keras",
            "numpy",
            False,
            "keras.activations on the NumPy backend (KERAS_BACKEND=numpy): forward only, the "
            "NumPy backend has no autograd. Keras converts its inputs to its floatx, float32 by "
            "default: a float64 input gives a float32 result.",
        ),
        Library(
            "flax",
            "Flax (flax.linen)",
            "flax",
            "jax",
            True,
            "Every activation function flax.linen exports is jax.nn's own function object "
            "(checked when this page is generated, listed below): its figures are jax.nn's. "
            "flax.linen.PReLU is a module of its own, measured here.",
        ),
        Library(
            "scipy",
            "scipy.special",
            "scipy",
            "numpy",
            False,
            "Forward only (SciPy has no autograd). The GELU is written as users write it: "
            "`0.5 * x * (1 + scipy.special.erf(x / math.sqrt(2)))`.",
        ),
        Library(
            "transformers",
            "Transformers",
            "transformers",
            "torch",
            True,
            "transformers.activations.ACT2FN, the table models look their activation up in.",
        ),
        Library(
            "timm",
            "timm",
            "timm",
            "torch",
            True,
            "timm.layers.activations and activations_me (hand-written backward). Importing timm "
            "needs torchvision, whose wheels on PyPI are CUDA builds that do not load beside "
            "the CPU build of PyTorch: where `import timm` fails, the two modules (which import "
            "only torch) are loaded from the installed timm by their file paths.",
        ),
    )
}


@dataclass(frozen=True)
class Entry:
    """One function of a library, with PyTorch's activation and setting it is compared with."""

    library: str
    #: How the page names it: ``jax.nn.gelu(approximate=False)``.
    name: str
    #: multiact's name of PyTorch's activation, and PyTorch's setting.
    activation: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Where the function is: ``module:attribute`` (a special loader for a few).
    path: str = ""
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.library}:{self.name}"

    @property
    def label(self) -> str:
        return lookup(self.activation).variant_label(dict(self.params))


def _registry_entries(library: str, column: str, settings: Mapping[str, Any]) -> list[Entry]:
    """One entry per activation the registry names in ``column`` (``jax``, ``keras``), at
    each parameterisation ``settings`` gives keyword arguments for (default: PyTorch's
    defaults, no arguments)."""
    out = []
    for a in ACTIVATIONS.values():
        path = getattr(a.names, column)
        if path is None:
            continue
        module, _, attribute = path.rpartition(".")
        variants = settings.get(a.name, [({}, {})])
        for params, kwargs in variants:
            shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            name = f"{path}({shown})" if shown else path
            out.append(Entry(library, name, a.name, params, f"{module}:{attribute}", kwargs))
    return out


_REQUIRED = {"threshold": {"threshold": 0.5, "value": 20.0}}

ENTRIES: tuple[Entry, ...] = (
    *_registry_entries(
        "jax",
        "jax",
        {
            "gelu": [
                ({}, {"approximate": False}),
                ({"approximate": "tanh"}, {"approximate": True}),
            ],
        },
    ),
    *_registry_entries(
        "keras",
        "keras",
        {
            "gelu": [
                ({}, {"approximate": False}),
                ({"approximate": "tanh"}, {"approximate": True}),
            ],
            "leaky_relu": [({}, {"negative_slope": 0.01})],
            "threshold": [(_REQUIRED["threshold"], {"threshold": 0.5, "default_value": 20.0})],
        },
    ),
    Entry(
        "flax", "flax.linen.PReLU(param_dtype=x.dtype)", "prelu", {"weight": (0.01,)}, "flax-prelu"
    ),
    Entry("scipy", "scipy.special.expit", "sigmoid", {}, "scipy.special:expit"),
    Entry("scipy", "scipy.special.log_expit", "logsigmoid", {}, "scipy.special:log_expit"),
    Entry(
        "scipy",
        "scipy.special.softmax(axis=-1)",
        "softmax",
        {"axis": -1},
        "scipy.special:softmax",
        {"axis": -1},
    ),
    Entry(
        "scipy",
        "scipy.special.log_softmax(axis=-1)",
        "log_softmax",
        {"axis": -1},
        "scipy.special:log_softmax",
        {"axis": -1},
    ),
    Entry("scipy", "GELU with scipy.special.erf", "gelu", {}, "scipy-gelu"),
    *(
        Entry("transformers", f'ACT2FN["{key}"]', activation, params, f"transformers:{key}")
        for key, activation, params in (
            ("gelu", "gelu", {}),
            ("gelu_python", "gelu", {}),
            ("gelu_new", "gelu", {"approximate": "tanh"}),
            ("gelu_fast", "gelu", {"approximate": "tanh"}),
            ("gelu_accurate", "gelu", {"approximate": "tanh"}),
            ("gelu_pytorch_tanh", "gelu", {"approximate": "tanh"}),
            ("gelu_python_tanh", "gelu", {"approximate": "tanh"}),
            ("silu", "silu", {}),
            ("swish", "silu", {}),
            ("mish", "mish", {}),
            ("relu", "relu", {}),
            ("relu6", "relu6", {}),
            ("leaky_relu", "leaky_relu", {}),
            ("sigmoid", "sigmoid", {}),
            ("tanh", "tanh", {}),
            ("hardswish", "hardswish", {}),
        )
    ),
    *(
        Entry("timm", f"{module}.{name}", activation, params, f"timm:{module}:{name}")
        for module, name, activation, params in (
            ("activations", "swish", "silu", {}),
            ("activations", "mish", "mish", {}),
            ("activations", "sigmoid", "sigmoid", {}),
            ("activations", "tanh", "tanh", {}),
            ("activations", "hard_sigmoid", "hardsigmoid", {}),
            ("activations", "hard_swish", "hardswish", {}),
            ("activations", "gelu", "gelu", {}),
            ("activations", "gelu_tanh", "gelu", {"approximate": "tanh"}),
            ("activations_me", "swish_me", "silu", {}),
            ("activations_me", "mish_me", "mish", {}),
            ("activations_me", "hard_sigmoid_me", "hardsigmoid", {}),
            ("activations_me", "hard_swish_me", "hardswish", {}),
        )
    ),
)


# ---------------------------------------------------------------------------------------------
# Loading the functions


def _timm_module(name: str) -> Any:
    """``timm.layers.NAME``, or where importing timm fails (no usable torchvision), the same
    file loaded on its own (it imports only torch)."""
    try:
        return importlib.import_module(f"timm.layers.{name}")
    except Exception:  # timm's __init__ imports torchvision, which may not load
        spec = importlib.util.find_spec("timm")
        if spec is None or not spec.submodule_search_locations:
            raise
        path = Path(next(iter(spec.submodule_search_locations))) / "layers" / f"{name}.py"
        file_spec = importlib.util.spec_from_file_location(f"_multiact_timm_{name}", path)
        assert file_spec is not None
        assert file_spec.loader is not None
        module = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(module)
        return module


def _scipy_gelu() -> Callable[[Any], Any]:
    from scipy.special import erf

    def gelu(x: Any) -> Any:
        return 0.5 * x * (1 + erf(x / math.sqrt(2)))

    return gelu


def _flax_prelu() -> Callable[[Any], Any]:
    import flax.linen as nn
    import jax

    def prelu(x: Any) -> Any:
        module = nn.PReLU(param_dtype=x.dtype)
        variables = module.init(jax.random.key(0), x)
        return module.apply(variables, x)

    return prelu


def load(entry: Entry) -> Callable[[Any], Any]:
    """The function of ``entry``, at its PyTorch-equivalent setting."""
    if entry.path == "scipy-gelu":
        return _scipy_gelu()
    if entry.path == "flax-prelu":
        return _flax_prelu()
    if entry.path.startswith("transformers:"):
        from transformers.activations import ACT2FN

        return ACT2FN[entry.path.partition(":")[2]]
    if entry.path.startswith("timm:"):
        _, module, name = entry.path.split(":")
        return getattr(_timm_module(module), name)
    module, _, attribute = entry.path.partition(":")
    fn = getattr(importlib.import_module(module), attribute)
    return functools.partial(fn, **entry.kwargs) if entry.kwargs else fn


def _installed(library: Library) -> str | None:
    try:
        return importlib.metadata.version(library.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _flax_aliases() -> list[str]:
    """The flax.linen activations that are jax.nn's (or jax.numpy's) own function objects."""
    import flax.linen as nn
    import jax.nn
    import jax.numpy as jnp

    same = []
    for name in sorted(n for n in dir(nn.activation) if not n.startswith("_")):
        f = getattr(nn, name, None)
        if callable(f) and any(getattr(m, name, None) is f for m in (jax.nn, jnp)):
            owner = "jax.nn" if getattr(jax.nn, name, None) is f else "jax.numpy"
            if name not in ("normalize", "standardize", "one_hot", "logsumexp"):
                same.append(f"{name} (= {owner}.{name})")
    return same


# ---------------------------------------------------------------------------------------------
# The run


def _summarise(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    """Per dtype and mode (forward, gradient): passed or not, and the figures of the page."""
    from .verifying import _badness  # the worst failure, as assert_conforms lists it

    groups: dict[str, list[Result]] = {}
    for r in results:
        mode = "forward" if not r.case.gradient else "gradient"
        groups.setdefault(f"{r.case.dtype}|{mode}", []).append(r)
    out = {}
    for key, rs in groups.items():
        ran = [r for r in rs if r.status != "skip"]
        fails = sorted((r for r in rs if r.status == "fail"), key=_badness)
        worst = fails[0] if fails else None
        out[key] = {
            "cases": len(ran),
            "failed": len(fails),
            "skipped": [r.message for r in rs if r.status == "skip"][:1],
            "checks": sorted({r.check or "value" for r in fails}),
            "ulp_truth": _largest(r.ulp_truth_normal for r in ran),
            "torch_ulp_truth": _largest(r.torch_ulp_truth_normal for r in ran),
            "signs_of_zero": sum(r.sign_of_zero for r in ran),
            "worst": None
            if worst is None
            else {
                "kind": worst.case.kind,
                "check": worst.check or "value",
                "message": _short(worst.message),
                **({} if worst.worst is None else _numbers(worst.worst)),
            },
        }
    return out


def _short(message: str) -> str:
    from .verifying import _WORST_NOTE

    return _WORST_NOTE.sub("", message)[:300]


def _numbers(worst: Mapping[str, float | None]) -> dict[str, Any]:
    return {k: _json(v) for k, v in worst.items()}


def _json(v: float | None) -> float | str | None:
    if v is None:
        return None
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v)


def _largest(values: Any) -> float | str | None:
    vs = [v for v in values if v is not None]
    return _json(max(vs)) if vs else None


def run(
    entries: Sequence[Entry] = ENTRIES,
    dtypes: Sequence[str] | None = None,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Verify every entry whose library is installed; the data the page is rendered from."""
    from .adapters import adapter_for
    from .report import metadata
    from .verifying import verify

    if "keras" in {e.library for e in entries} and "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "numpy"
    libraries: dict[str, dict[str, Any]] = {}
    wanted = {e.library for e in entries}
    for key, lib in LIBRARIES.items():
        if key not in wanted:
            continue
        version = _installed(lib)
        info: dict[str, Any] = {"title": lib.title, "version": version, "note": lib.note}
        if version is None:
            info["missing"] = f"{lib.distribution} is not installed"
        elif key == "keras":
            import keras

            if keras.backend.backend() != "numpy":
                info["missing"] = f"Keras runs on {keras.backend.backend()} in this process"
        elif key == "flax":
            info["same_as_jax"] = _flax_aliases()
        libraries[key] = info
    for lib in {LIBRARIES[e.library].arrays for e in entries}:
        adapter = adapter_for(lib)
        if adapter.available():
            adapter.prepare()  # JAX with float64
    out = []
    for entry in entries:
        lib = LIBRARIES[entry.library]
        if "missing" in libraries[entry.library]:
            continue
        if progress is not None:
            progress(entry.id)
        record: dict[str, Any] = {
            "id": entry.id,
            "library": entry.library,
            "function": entry.name,
            "activation": entry.activation,
            "label": entry.label,
            "reference": "torch" if lookup(entry.activation).names.torch else "truth",
        }
        try:
            fn = load(entry)
        except Exception as error:  # a function this version does not have
            record["error"] = f"{type(error).__name__}: {str(error)[:200]}"
            out.append(record)
            continue
        result = verify(
            fn,
            entry.activation,
            library=lib.arrays,
            dtypes=dtypes,
            grad=lib.autograd or None,
            quick=quick,
            name=entry.name,
            **entry.params,
        )
        record["ok"] = result.ok
        record["groups"] = _summarise(result.results)
        out.append(record)
    return {
        "meta": metadata(profile="quick" if quick else "full"),
        "libraries": libraries,
        "entries": out,
    }


# ---------------------------------------------------------------------------------------------
# The page


def _num(value: Any, dtype: str) -> str:
    """A value as its dtype prints it (every digit the dtype has, no more)."""
    from .verifying import _show

    if value is None:
        return "-"
    return _show(float(value), dtype)


def _ulp(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def _cell(group: Mapping[str, Any] | None) -> str:
    if group is None or not group["cases"]:
        return "-"
    if group["failed"]:
        return "**differs** (" + ", ".join(group["checks"]) + ")"
    return "ok"


def _conforming(entries: Sequence[Mapping[str, Any]], dtype: str, mode: str) -> str:
    """``conforming/measured`` functions in one dtype and mode, or ``-``."""
    groups = [e["groups"].get(f"{dtype}|{mode}") for e in entries if "groups" in e]
    measured = [g for g in groups if g is not None and g["cases"]]
    if not measured:
        return "-"
    return f"{sum(1 for g in measured if not g['failed'])}/{len(measured)}"


def _nearer(worst: Mapping[str, Any]) -> str:
    """Who is nearer the exact value at the worst input: the library, PyTorch, or neither."""
    got, expected, truth = worst.get("got"), worst.get("expected"), worst.get("truth")
    if truth is None or got is None or expected is None:
        return "-"
    values = [v if not isinstance(v, str) else float(v) for v in (got, expected, truth)]
    got_v, expected_v, truth_v = values
    if any(math.isnan(v) for v in values):
        if math.isnan(truth_v):
            return "library" if math.isnan(got_v) else "PyTorch" if math.isnan(expected_v) else "-"
        return "PyTorch" if math.isnan(got_v) else "library"
    a, b = abs(got_v - truth_v), abs(expected_v - truth_v)
    if a == b:
        return "tie"
    return "library" if a < b else "PyTorch"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
        *("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows),
    ]


def render(data: Mapping[str, Any], command: str) -> str:
    """The page, from :func:`run`'s data (nothing else: it can be rendered again to check)."""
    meta = data["meta"]
    versions = meta.get("versions", {})
    entries = data["entries"]
    lines = [
        "# Other libraries against PyTorch",
        "",
        "Every activation that jax.nn, Keras 3, Flax, scipy.special, Transformers and timm "
        "offer as PyTorch's, at its PyTorch-equivalent setting, run through "
        "`multiact.conformance.verify` (the conformance suite's cases, tolerances and exact "
        "values; see [How it runs](README.md)): forward and, where the library has autograd, "
        "gradient, in each dtype the library has. A function conforms where every element is "
        "within PyTorch's tolerance for the dtype (`torch.testing.assert_close`'s) of one of "
        "PyTorch's own answers, or of the exact value, with NaN and infinities where PyTorch "
        "has them, and a result of the input's array type, dtype and shape. Where it does not, "
        "the worst input is listed with PyTorch's result, the library's and the exact value "
        "(mpmath), and who of the two is nearer it.",
        "",
        f"Generated by `{command}` from `libraries.json` (the data beside this page) on "
        f"{meta.get('processor') or meta.get('machine')} "
        f"(PyTorch's CPU capability {meta.get('cpu_capability')}), "
        f"{meta.get('profile')} profile, PyTorch {versions.get('torch', '?')}, "
        f"NumPy {versions.get('numpy', '?')}, {meta.get('date')}.",
        "",
        "## Summary",
        "",
    ]
    lines += [
        "How many functions conform in every dtype and mode, then per dtype: forward · "
        "gradient (`-`: not measured).",
        "",
    ]
    rows = []
    for key, info in data["libraries"].items():
        mine = [e for e in entries if e["library"] == key]
        ok = sum(1 for e in mine if e.get("ok"))
        version = info.get("version") or "not installed"
        if "missing" in info:
            rows.append(
                [info["title"], version, "-", "-", *(["-"] * 4), f"not measured: {info['missing']}"]
            )
            continue
        per_dtype = [" · ".join(_conforming(mine, d, m) for m in _MODES) for d in _FLOATS]
        rows.append(
            [info["title"], version, str(len(mine)), str(ok), *per_dtype, info.get("note", "")]
        )
    lines += _table(["library", "version", "functions", "conform", *_FLOATS, "note"], rows)
    lines += ["", "## Where they differ from PyTorch", ""]
    lines += [
        "One row per function, dtype and mode that does not conform: the check that failed "
        "(`value`: outside the tolerance; `special value`: NaN or an infinity where PyTorch "
        "has another value, or the reverse; `dtype`, `array type`, `shape`: the result's; "
        "`raised`: an exception), the worst input of the worst case, PyTorch's result there, "
        "the library's and the exact value, and which of the two is nearer it; then the "
        "largest distance in ULPs from the exact value over the value inputs (normal range) "
        "of the library and of PyTorch. Where PyTorch has no such function (squareplus, "
        "sparse_plus, ...), the exact value is the reference.",
        "",
    ]
    for key, info in data["libraries"].items():
        mine = [e for e in entries if e["library"] == key and "groups" in e]
        rows = []
        for e in mine:
            for dtype in _FLOATS:
                for mode in _MODES:
                    g = e["groups"].get(f"{dtype}|{mode}")
                    if g is None or not g["failed"]:
                        continue
                    w = g["worst"] or {}
                    pytorch = e["reference"] == "torch"
                    judged = w.get("check") in ("value", "special value")
                    rows.append(
                        [
                            f"`{e['function']}`",
                            e["label"],
                            dtype,
                            mode,
                            f"{', '.join(g['checks'])} ({g['failed']}/{g['cases']} cases)",
                            _num(w.get("x"), dtype),
                            _num(w.get("expected"), dtype) if pytorch else "(none)",
                            _num(w.get("got"), dtype),
                            _num(w.get("truth") if pytorch else w.get("expected"), dtype),
                            _nearer(w) if judged and pytorch else "-",
                            f"{_ulp(g['ulp_truth'])} / {_ulp(g['torch_ulp_truth'])}",
                        ]
                    )
        if not mine:
            continue
        lines += [f"### {info['title']}", ""]
        if not rows:
            lines += ["Every function conforms in every dtype measured.", ""]
            continue
        lines += _table(
            [
                "function",
                "PyTorch's",
                "dtype",
                "mode",
                "check",
                "worst x",
                "PyTorch",
                "library",
                "exact",
                "nearer",
                "ULP from exact (library / PyTorch)",
            ],
            rows,
        )
        lines.append("")
        notes = sorted(
            {
                f"`{e['function']}` {dtype} {mode}: {g['worst']['message']}"
                for e in mine
                for dtype in _FLOATS
                for mode in _MODES
                if (g := e["groups"].get(f"{dtype}|{mode}"))
                and g["failed"]
                and g["worst"]
                and g["worst"].get("check") not in ("value", "special value")
            }
        )
        if notes:
            lines += ["What was raised or returned:", ""]
            lines += [f"- {n}" for n in notes]
            lines.append("")
    lines += ["## Every function", ""]
    lines += [
        "Each cell: forward, then gradient (`-`: not measured: no autograd, or the dtype is "
        "not the library's).",
        "",
    ]
    for key, info in data["libraries"].items():
        mine = [e for e in entries if e["library"] == key]
        if not mine and "same_as_jax" not in info:
            continue
        lines += [f"### {info['title']}", ""]
        if info.get("same_as_jax"):
            lines += ["jax.nn's own functions: " + ", ".join(info["same_as_jax"]) + ".", ""]
        if not mine:
            continue
        dtypes = [d for d in _FLOATS if any(f"{d}|forward" in e.get("groups", {}) for e in mine)]
        rows = []
        for e in mine:
            if "groups" not in e:
                rows.append([f"`{e['function']}`", e["label"], *(["-"] * len(dtypes)), "-"])
                continue
            cells = [" · ".join(_cell(e["groups"].get(f"{d}|{m}")) for m in _MODES) for d in dtypes]
            zeros = sum(g["signs_of_zero"] for g in e["groups"].values())
            rows.append([f"`{e['function']}`", e["label"], *cells, str(zeros)])
        lines += _table(["function", "PyTorch's", *dtypes, "signs of zero"], rows)
        lines.append("")
        errors = [e for e in mine if "error" in e]
        if errors:
            lines += [f"- `{e['function']}`: not found ({e['error']})" for e in errors]
            lines.append("")
    lines += [
        "The signs of zero column counts zeros of the other sign than PyTorch's: reported, "
        "not failed.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m multiact.conformance.libraries",
        description="Measure jax.nn, Keras, Flax, scipy.special, Transformers and timm against "
        "PyTorch and write the page (and its data, libraries.json, beside it).",
    )
    parser.add_argument("--report", type=Path, required=True, metavar="FILE.md")
    parser.add_argument("--libraries", help="comma-separated keys (default: all)")
    parser.add_argument("--quick", action="store_true", help="the CI-sized profile")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="render the page again from the JSON beside it, without running anything",
    )
    args = parser.parse_args(argv)
    data_path = args.report.with_suffix(".json")
    command = "python -m multiact.conformance.libraries --report " + shlex.quote(
        args.report.as_posix()
    )
    if not args.render_only:
        wanted = set(args.libraries.split(",")) if args.libraries else set(LIBRARIES)
        entries = [e for e in ENTRIES if e.library in wanted]
        start = time.perf_counter()
        data = run(entries, quick=args.quick, progress=lambda s: print(s, file=sys.stderr))
        data["meta"]["seconds"] = round(time.perf_counter() - start, 1)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        data_path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    data = json.loads(data_path.read_text())
    args.report.write_text(render(data, command))
    print(f"wrote {args.report} and {data_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
