"""Where PyTorch disagrees with itself: its answers at special values and kinks by code path.

PyTorch's CPU result for one input can depend on the SIMD level its kernels were built for
(``ATEN_CPU_CAPABILITY=default|avx2|avx512``), on whether the element falls in a vectorised
loop or the scalar one (contiguous or strided memory, the tail of a tensor, its length), and on
autograd. This tool computes, for every activation PyTorch has, dtype, forward and gradient,
PyTorch's answer at each special value and kink by each path:

- ``one``: the value alone, in a one-element tensor;
- ``short``: all the values in one short contiguous tensor;
- ``long``: each value inside a long contiguous tensor, in the vectorised loop;
- ``strided``: every other element of a larger tensor (the scalar loop);

under every CPU capability this CPU supports (each in a subprocess, since PyTorch reads the
variable when it loads), lists every input where the answers differ, and what multiact returns
there (NumPy, and JAX where installed), beside the exact value where it is defined::

    python -m multiact.conformance.torch_paths --report docs/conformance/torch-paths.md

``--probe`` (used by the subprocesses) prints one capability's answers as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from multiact._registry import ACTIVATIONS, Activation

from . import machine
from .cases import probe_values, special_values
from .distance import ulp_distance

__all__ = ["capabilities", "find", "probe", "supported_capabilities"]

DTYPES = ("float16", "bfloat16", "float32", "float64")
LAYOUTS = ("one", "short", "long", "strided")
#: Length of the ``long`` layout, and where in it the probed value sits (inside the body).
_LONG, _AT = 1024, 517


def supported_capabilities() -> list[str]:
    """The values of ``ATEN_CPU_CAPABILITY`` this CPU can run, lowest first."""
    features = set(machine.cpu_features())
    found = ["default"]
    if "avx2" in features:
        found.append("avx2")
    if {"avx512f", "avx512bw", "avx512vl"} <= features:
        found.append("avx512")
    return found


def _inputs(a: Activation, params: Mapping[str, Any], dtype: str) -> np.ndarray:
    kinks = [k for k in a.kink_points(params) if math.isfinite(k)]
    values = np.concatenate([special_values(dtype), probe_values(kinks, dtype)])
    return np.unique(values)  # sorted; -0.0 and 0.0 are one value here, kept once


def _label(a: Activation, params: Mapping[str, Any]) -> str:
    return a.variant_label(dict(params))


def probe(activations: Sequence[str] | None = None, dtypes: Sequence[str] = DTYPES) -> dict:
    """PyTorch's answers in this process (at its capability), by label, dtype, kind, layout."""
    import torch

    from .reference import _torch_kwargs, torch_function

    out: dict[str, Any] = {"capability": machine.torch_capability(), "results": {}}
    for a in ACTIVATIONS.values():
        if a.names.torch is None or a.reduces or getattr(a, "random", False):
            continue
        if activations is not None and a.name not in activations:
            continue
        for params in map(dict, a.parameterisations):
            f = torch_function(a)
            for dtype in dtypes:
                values = _inputs(a, params, dtype)
                tdtype = getattr(torch, dtype)

                def call(
                    x: Any, gradient: bool, a: Activation = a, f: Any = f, params: Any = params
                ) -> Any:
                    kwargs = _torch_kwargs(a, params, x)
                    if not gradient:
                        return f(x, **kwargs).detach()
                    (g,) = torch.autograd.grad(f(x, **kwargs), x, torch.ones_like(x))
                    return g

                for gradient in (False, True):
                    answers: dict[str, list[float]] = {}
                    for layout in LAYOUTS:
                        answers[layout] = [
                            float(v)
                            for v in _by_layout(torch, values, tdtype, layout, gradient, call)
                        ]
                    key = f"{_label(a, params)}|{dtype}|{'gradient' if gradient else 'forward'}"
                    out["results"][key] = {
                        "activation": a.name,
                        "params": params,
                        "x": [float(v) for v in values],
                        "answers": answers,
                    }
    return out


def _by_layout(
    torch: Any, values: np.ndarray, tdtype: Any, layout: str, gradient: bool, call: Any
) -> np.ndarray:
    def tensor(v: np.ndarray) -> Any:
        return torch.as_tensor(np.asarray(v, dtype=np.float64)).to(tdtype)

    def run(x: Any) -> np.ndarray:
        if gradient:
            x.requires_grad_(True)
        return call(x, gradient).to(torch.float64).numpy()

    if layout == "one":
        return np.array([run(tensor(np.array([v])))[0] for v in values])
    if layout == "short":
        return run(tensor(values))
    if layout == "long":
        out = []
        for v in values:
            filler = np.full(_LONG, 0.5)
            filler[_AT] = v
            out.append(run(tensor(filler))[_AT])
        return np.array(out)
    base = tensor(np.repeat(values, 2))
    if gradient:
        base.requires_grad_(True)
        view = base[::2]
        return call(view, True).to(torch.float64).numpy()
    return call(base[::2], False).to(torch.float64).numpy()


def capabilities(
    wanted: Sequence[str] | None = None, activations: Sequence[str] | None = None
) -> dict[str, dict]:
    """``probe`` under each capability (default: all this CPU supports), in subprocesses."""
    runs = {}
    for capability in wanted or supported_capabilities():
        command = [sys.executable, "-m", "multiact.conformance.torch_paths", "--probe"]
        if activations:
            command += ["--activations", ",".join(activations)]
        env = {**os.environ, "ATEN_CPU_CAPABILITY": capability}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        runs[capability] = json.loads(done.stdout)
    return runs


def _key(v: float) -> str:
    return "nan" if math.isnan(v) else repr(v)


def find(runs: Mapping[str, dict]) -> list[dict[str, Any]]:
    """Every input where PyTorch's answers differ across capabilities and layouts."""
    found = []
    first = next(iter(runs.values()))["results"]
    for key, entry in first.items():
        label, dtype, kind = key.split("|")
        for i, x in enumerate(entry["x"]):
            answers: dict[str, list[str]] = {}
            for capability, run in runs.items():
                for layout, values in run["results"][key]["answers"].items():
                    answers.setdefault(_key(values[i]), []).append(f"{capability}/{layout}")
            if len(answers) > 1:
                found.append(
                    {
                        "label": label,
                        "activation": entry["activation"],
                        "params": entry["params"],
                        "dtype": dtype,
                        "kind": kind,
                        "x": x,
                        "answers": answers,
                    }
                )
    return found


def _multiact_answers(found: list[dict[str, Any]]) -> None:
    """What multiact returns at each input (NumPy; JAX where installed), and the exact value."""
    import importlib.util

    import multiact

    from .cases import round_to
    from .truth import Truth

    has_jax = importlib.util.find_spec("jax") is not None
    if has_jax:
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 is probed too
    truths: dict[str, Any] = {}
    for item in found:
        a = ACTIVATIONS[item["activation"]]
        params = item["params"]
        dtype = item["dtype"]
        x = np.array([item["x"]])
        item["multiact"] = {}
        libraries = ["numpy", *(["jax"] if has_jax else [])]
        for library in libraries:
            if library == "numpy" and dtype == "bfloat16":
                continue  # NumPy has no bfloat16
            arr = _array(library, x, dtype)
            if item["kind"] == "forward":
                y = getattr(multiact, a.name)(arr, **params)
            else:
                y = multiact.vjp(a.name, arr, _array(library, np.ones(1), dtype), **params)
            item["multiact"][library] = _key(float(np.asarray(y, dtype=np.float64)[0]))
        if item["label"] not in truths:
            truths[item["label"]] = Truth(a, params)
        truth = truths[item["label"]]
        if item["kind"] == "forward":
            exact, known = truth.forward(x)
        else:
            exact, known = truth.gradient(x, np.ones(1), dtype)
        item["exact"] = _key(float(round_to(exact, dtype)[0])) if known[0] else None


def _array(library: str, values: np.ndarray, dtype: str) -> Any:
    if library == "numpy":
        return values.astype(dtype)
    import jax.numpy as jnp

    return jnp.asarray(values, dtype=getattr(jnp, dtype))


def _spread(answers: Mapping[str, list[str]], dtype: str) -> str:
    numbers = [float(k) for k in answers if k != "nan" and math.isfinite(float(k))]
    if len(numbers) == len(answers) and len(set(numbers)) == 1:
        return "signs of zero"
    if len(numbers) == len(answers) and len(numbers) > 1:
        d = ulp_distance(np.array([max(numbers)]), np.array([min(numbers)]), dtype)[0]
        return f"{d:.0f} ULP apart"
    return "NaN/inf against a number" if numbers else "special values"


def markdown(found: list[dict[str, Any]], runs: Mapping[str, dict]) -> str:
    """The report: each input where PyTorch disagrees with itself, and multiact's answer."""
    caps = ", ".join(f"{c} (PyTorch reports {r['capability']})" for c, r in runs.items())
    lines = [
        "# Where PyTorch disagrees with itself",
        "",
        "Generated by `python -m multiact.conformance.torch_paths --report "
        "docs/conformance/torch-paths.md`; do not edit.",
        "",
        f"- machine: {machine.cpu_name()}; SIMD: {', '.join(machine.cpu_features())}",
        f"- capabilities probed (`ATEN_CPU_CAPABILITY`): {caps}",
        "- layouts: `one` (a one-element tensor), `short` (all probed values in one short "
        "tensor), `long` (the value inside a 1 024-element tensor, in the vectorised loop), "
        "`strided` (every other element of a larger tensor: the scalar loop)",
        "- inputs: the special values (0, -0.0, +-inf, NaN, the smallest subnormal and normal, "
        "+-1, +-max) and every kink with its neighbours, forward and autograd gradient "
        "(cotangent 1), for every activation PyTorch has and every dtype",
        "",
        f"**{len(found)} inputs where PyTorch's answers differ.** The conformance suite "
        "computes PyTorch's reference by its vectorised and scalar paths; where they disagree "
        "it holds multiact's kernels to the exact value (to any one of PyTorch's answers where "
        "the exact value is not defined, as for gradients at NaN), and PyTorch's own kernels "
        "on tensors (multiact on a `torch.Tensor` calls them) to any of their answers.",
        "",
        "| activation | dtype | kind | x | PyTorch's answers (capability/layout) | spread | "
        "exact | multiact (NumPy) | multiact (JAX) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for item in found:
        answers = "; ".join(
            f"**{value}**: {', '.join(_compact(paths, runs))}"
            for value, paths in item["answers"].items()
        )
        m = item.get("multiact", {})
        lines.append(
            f"| {item['label']} | {item['dtype']} | {item['kind']} | {item['x']!r} | {answers} | "
            f"{_spread(item['answers'], item['dtype'])} | {item.get('exact') or '-'} | "
            f"{m.get('numpy', '-')} | {m.get('jax', '-')} |"
        )
    return "\n".join(lines) + "\n"


def _compact(paths: list[str], runs: Mapping[str, dict]) -> list[str]:
    """``avx2/one, avx512/one, default/one`` -> ``all/one``."""
    by_layout: dict[str, list[str]] = {}
    for p in paths:
        capability, layout = p.split("/")
        by_layout.setdefault(layout, []).append(capability)
    out = []
    for layout, caps in by_layout.items():
        out.append(f"{'all' if len(caps) == len(runs) else '+'.join(caps)}/{layout}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m multiact.conformance.torch_paths",
        description="Find where PyTorch's CPU results depend on its code path.",
    )
    parser.add_argument("--probe", action="store_true", help="print this process's answers")
    parser.add_argument("--activations", help="comma-separated activation names (default: all)")
    parser.add_argument("--capabilities", help="comma-separated (default: all this CPU has)")
    parser.add_argument("--report", type=Path, help="write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write the findings as JSON here")
    args = parser.parse_args(argv)
    names = args.activations.split(",") if args.activations else None
    if args.probe:
        json.dump(probe(names), sys.stdout)
        return 0
    wanted = args.capabilities.split(",") if args.capabilities else None
    runs = capabilities(wanted, names)
    found = find(runs)
    _multiact_answers(found)
    if args.json:
        args.json.write_text(json.dumps(found, indent=1) + "\n")
    text = markdown(found, runs)
    if args.report:
        args.report.write_text(text)
        print(f"{len(found)} inputs where PyTorch disagrees with itself: {args.report}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
