"""The GPU run: the conformance suite on CUDA, and multiact's throughput against the native calls.

On a machine with an NVIDIA GPU, from the repository root::

    python -m pip install --no-deps --no-build-isolation -e .
    python -m multiact.conformance.gpu_run

(the install needs setuptools >= 77, which reads pyproject.toml's package mapping).
It checks what it needs first (and says what is missing: a GPU machine often has PyTorch,
JAX and CuPy but not multiact's smaller dependencies, which then travel as wheels), then

1. runs ``multiact conformance --device cuda --report docs/conformance/cuda`` over the
   backends whose arrays live on the GPU (torch, jax, generic-torch, generic-jax, cupy);
2. times multiact against the library's own call on one large array per library and
   activation (``torch.nn.functional``, ``jax.nn`` under ``jax.jit``, and for CuPy, which has
   no activation functions, the formula written with CuPy's ufuncs), checking that every
   result stays on the GPU, and writes ``throughput.json`` and a Throughput section at the end
   of ``report.md`` (a page of the docs site, whose strict build refuses a page outside its
   table of contents: hence no page of its own);
3. writes ``environment.json``: the GPU, the driver, the library versions.

``--device cpu --smoke`` runs the same code on the CPU over a few activations and a small
array, in seconds: the test suite does, so the script cannot rot between GPU runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["REQUIREMENTS", "main", "missing_requirements", "throughput"]

DEFAULT_REPORT = Path("docs/conformance/cuda")
GPU_BACKENDS = ("torch", "jax", "generic-torch", "generic-jax", "cupy")
#: The activations timed: a piecewise-linear one, a transcendental one, a row reduction, and
#: one built from an exponential.
TIMED = ("relu", "gelu", "silu", "softmax")
SMOKE_ACTIVATIONS = ("relu", "softmax")
#: Where the throughput section starts in report.md (an HTML comment: invisible on the page).
THROUGHPUT_MARK = "<!-- gpu_run: throughput -->"


@dataclass(frozen=True)
class Requirement:
    module: str
    pip: str
    why: str
    required: bool


REQUIREMENTS = (
    Requirement("numpy", "numpy", "multiact itself", True),
    Requirement("array_api_compat", "array-api-compat", "multiact's generic path (CuPy)", True),
    Requirement("torch", "torch", "the reference: PyTorch on the GPU and the CPU", True),
    Requirement("mpmath", "mpmath", "the exact values the report measures against", True),
    Requirement("matplotlib", "matplotlib", "the report's plots (none without it)", False),
    Requirement("jax", "jax[cuda12]", "the jax and generic-jax backends on the GPU", False),
    Requirement("cupy", "cupy-cuda12x", "the cupy backend (the generic path on the GPU)", False),
)


def missing_requirements(requirements: Sequence[Requirement] = REQUIREMENTS) -> list[Requirement]:
    """The requirements whose module cannot be imported here."""
    return [r for r in requirements if importlib.util.find_spec(r.module) is None]


def _explain_missing(missing: Sequence[Requirement]) -> str:
    lines = [f"  {r.pip:<18} {r.why}{'' if r.required else ' (optional)'}" for r in missing]
    needed = " ".join(r.pip for r in missing if r.required)
    advice = (
        "Without a network, bring their wheels: on a connected machine with the GPU machine's "
        f"Python, `pip download {needed} -d wheels/`, then here "
        f"`pip install --no-index --find-links wheels/ {needed}`."
    )
    return "\n".join(["missing packages:", *lines, advice if needed else ""]).rstrip()


def _gpu_environment(device: str) -> dict[str, Any]:
    """What the report needs to say about the accelerators (and the CPU fallback)."""
    from .report import metadata
    from .targets import gpu_status

    env = metadata(device=device, gpu_status=gpu_status())
    import torch

    if torch.cuda.is_available():
        env["torch_gpus"] = [
            torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())
        ]
        env["torch_cuda"] = torch.version.cuda
    if importlib.util.find_spec("jax") is not None:
        import jax

        env["jax_devices"] = [str(d) for d in jax.devices()]
    return env


# --- Throughput: one library's array, multiact's call and the native one, timed alike.


@dataclass(frozen=True)
class Library:
    name: str
    make: Callable[[tuple[int, ...], str], Any]
    natives: dict[str, Callable[[Any], Any]]
    sync: Callable[[Any], None]
    device_of: Callable[[Any], str]


def _torch_library(device: str) -> Library:
    import torch
    import torch.nn.functional as F

    def make(shape: tuple[int, ...]) -> Any:
        generator = torch.Generator(device=device).manual_seed(0)
        return torch.randn(shape, generator=generator, device=device)

    def sync(y: Any) -> None:
        if y.is_cuda:
            torch.cuda.synchronize(y.device)

    natives = {
        "relu": torch.relu,
        "gelu": F.gelu,
        "silu": F.silu,
        "softmax": lambda x: torch.softmax(x, -1),
    }
    return Library("torch", make, natives, sync, lambda y: y.device.type)


def _jax_library(device: str) -> Library:
    import jax

    placement = jax.devices("gpu" if device == "cuda" else "cpu")[0]

    def make(shape: tuple[int, ...]) -> Any:
        return jax.device_put(jax.random.normal(jax.random.key(0), shape), placement)

    # Jitted, as a JAX user calls them in a hot loop (multiact's JAX kernels are jitted too).
    natives = {
        "relu": jax.jit(jax.nn.relu),
        "gelu": jax.jit(lambda x: jax.nn.gelu(x, approximate=False)),
        "silu": jax.jit(jax.nn.silu),
        "softmax": jax.jit(lambda x: jax.nn.softmax(x, axis=-1)),
    }

    def device_of(y: Any) -> str:
        return "cuda" if {d.platform for d in y.devices()} & {"gpu", "cuda"} else "cpu"

    return Library("jax", make, natives, lambda y: y.block_until_ready(), device_of)


def _cupy_library() -> Library:
    import cupy

    try:
        from cupyx.scipy.special import erf
    except ImportError:  # some cupyx.scipy modules import SciPy, which may be missing
        erf = None

    def make(shape: tuple[int, ...]) -> Any:
        return cupy.random.default_rng(0).standard_normal(shape, dtype=cupy.float32)

    def softmax(x: Any) -> Any:
        e = cupy.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    # CuPy has no activation functions: the formulas a CuPy user writes.
    natives = {
        "relu": lambda x: cupy.maximum(x, 0),
        "gelu": lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
        "silu": lambda x: x / (1.0 + cupy.exp(-x)),
        "softmax": softmax,
    }
    if erf is None:
        del natives["gelu"]

    def device_of(y: Any) -> str:
        # CuPy arrays live on the GPU: anything else (a NumPy fallback) came back to the host.
        return "cuda" if isinstance(y, cupy.ndarray) else "cpu"

    def sync(y: Any) -> None:
        cupy.cuda.get_current_stream().synchronize()

    return Library("cupy", make, natives, sync, device_of)


def libraries(device: str) -> tuple[list[Library], dict[str, str]]:
    """The libraries to time on ``device``, and why each other one is left out."""
    from .targets import gpu_status

    status = gpu_status() if device == "cuda" else {}
    chosen, skipped = [], {}
    for name, build in (("torch", _torch_library), ("jax", _jax_library), ("cupy", None)):
        if importlib.util.find_spec(name) is None:
            skipped[name] = "not installed"
        elif device == "cuda" and status.get(name) is not None:
            skipped[name] = status[name]
        elif name == "cupy":
            if device != "cuda":
                skipped[name] = "CuPy arrays live on the GPU only"
            else:
                chosen.append(_cupy_library())
        else:
            chosen.append(build(device))
    return chosen, skipped


def _seconds_per_call(fn: Callable[[Any], Any], x: Any, sync: Callable[[Any], None], repeats: int):
    """Median over ``repeats`` timed batches of the time per call, after a warm-up (which
    compiles JAX kernels); each batch ends with a device synchronisation."""
    for _ in range(3):
        y = fn(x)
    sync(y)
    start = time.perf_counter()
    sync(fn(x))
    calls = max(1, min(100, int(0.05 / max(time.perf_counter() - start, 1e-7))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            y = fn(x)
        sync(y)
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def throughput(
    device: str, shape: tuple[int, ...], activations: Sequence[str], repeats: int
) -> dict[str, Any]:
    """multiact's time per call against the native call, per library and activation."""
    import multiact

    chosen, skipped = libraries(device)
    rows = []
    for library in chosen:
        x = library.make(shape)
        for name in activations:
            if name not in library.natives:
                skipped[f"{library.name} {name}"] = "no native call to compare with"
                continue
            ours = getattr(multiact, name)
            y = ours(x)
            if library.device_of(y) != device:
                raise RuntimeError(f"multiact.{name} moved a {library.name} array to the host")
            native = _seconds_per_call(library.natives[name], x, library.sync, repeats)
            mine = _seconds_per_call(ours, x, library.sync, repeats)
            rows.append(
                {
                    "library": library.name,
                    "activation": name,
                    # Significant digits, not decimals: a time or a ratio rounded to a fixed
                    # number of decimals can read 0 (a load spike on a shared machine).
                    "native_ms": float(f"{native * 1e3:.4g}"),
                    "multiact_ms": float(f"{mine * 1e3:.4g}"),
                    "ratio": float(f"{mine / native:.4g}"),
                    "gb_per_s": round(2 * 4 * math.prod(shape) / mine / 1e9, 1),  # float32
                }
            )
    return {
        "device": device,
        "shape": list(shape),
        "dtype": "float32",
        "rows": rows,
        "skipped": skipped,
        "repeats": repeats,
    }


def throughput_markdown(result: dict[str, Any]) -> str:
    shape = " x ".join(str(n) for n in result["shape"])
    lines = [
        THROUGHPUT_MARK,
        f"## Throughput on {result['device']}: multiact against the native call",
        "",
        f"One {shape} {result['dtype']} array per library; median over {result['repeats']} "
        "batches of the time per call, each batch synchronised with the device. ratio = "
        "multiact / native (1.00: no overhead). Memory traffic: one read and one write of the "
        "array per call.",
        "",
        "| library | activation | native (ms) | multiact (ms) | ratio | multiact GB/s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['library']} | {row['activation']} | {row['native_ms']:.4f} | "
            f"{row['multiact_ms']:.4f} | {row['ratio']:.3f} | {row['gb_per_s']} |"
        )
    for name, why in result["skipped"].items():
        lines.append(f"\n{name}: not timed ({why}).")
    return "\n".join(lines) + "\n"


def _append_throughput(report: Path, section: str) -> None:
    """``section`` at the end of ``report`` (replacing one from an earlier run)."""
    text = report.read_text() if report.exists() else "# GPU run\n"
    text = text.split(THROUGHPUT_MARK)[0].rstrip("\n")
    report.write_text(f"{text}\n\n{section}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m multiact.conformance.gpu_run",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="output folder")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"a few seconds' check of the script: {', '.join(SMOKE_ACTIVATIONS)}, the quick "
        "conformance profile, one worker, a 64 x 64 array",
    )
    parser.add_argument("--quick", action="store_true", help="the quick conformance profile")
    parser.add_argument("--skip-conformance", action="store_true", help="throughput only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # JAX takes 75% of the GPU's memory in every process that starts it, and the conformance
    # engine starts one worker per CPU (at most 8): they would run out. Read by JAX at start,
    # and inherited by the workers.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    missing = missing_requirements()
    if missing:
        print(_explain_missing(missing), file=sys.stderr)
    if any(r.required for r in missing):
        return 2
    from multiact._cli import main as multiact_main

    from .targets import TARGETS, gpu_status

    if args.device == "cuda" and gpu_status()["torch"] is not None:
        print(f"gpu_run: PyTorch sees no GPU ({gpu_status()['torch']})", file=sys.stderr)
        return 2
    args.report.mkdir(parents=True, exist_ok=True)
    status = 0
    if not args.skip_conformance:
        available = {t.name for t in TARGETS if t.available()}
        backends = [b for b in GPU_BACKENDS if b in available]
        if args.smoke:
            backends = ["torch", "generic-torch"]
        command = ["conformance", "--device", args.device, "--report", str(args.report)]
        command += ["--backends", ",".join(backends)]
        if args.quick or args.smoke:
            command.append("--quick")
        if args.smoke:
            command += ["--activations", ",".join(SMOKE_ACTIVATIONS), "--jobs", "1"]
        print("multiact " + " ".join(command), flush=True)
        status = multiact_main(command)
    shape = (64, 64) if args.smoke else (4096, 4096)
    activations = SMOKE_ACTIVATIONS if args.smoke else TIMED
    result = throughput(args.device, shape, activations, repeats=3 if args.smoke else 15)
    (args.report / "throughput.json").write_text(json.dumps(result, indent=1) + "\n")
    print(throughput_markdown(result))
    _append_throughput(args.report / "report.md", throughput_markdown(result))
    environment = _gpu_environment(args.device)
    (args.report / "environment.json").write_text(json.dumps(environment, indent=1) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
