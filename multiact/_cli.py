"""The ``multiact`` command.

Exit status, for every subcommand: 0 success; 1 the command ran and found failures (a backend
that fails an activation, a conformance case outside tolerance); 2 usage error (an unknown
command, option, activation, backend or parameter), with the reason on stderr.

``multiact list`` shows every activation against every installed backend: each cell is a real
call on a small float32 array of that library, checked to return the same array type and
shape. The exit status is 1 if any installed backend fails any activation.

``multiact plot NAME`` draws the activation and its derivative (``multiact.vjp``) on a chosen
backend, with the registry's parameter variants or the ``--param`` values given, into a PNG.

``multiact conformance`` runs the conformance suite (``multiact.conformance``): every
activation, parameterisation, backend, dtype and case kind against PyTorch and the exact value,
with a progress bar on stderr, a summary table on stdout and, with ``--report DIR``, the JSON,
Markdown and HTML reports. Exit status 1 if any case fails, 2 for a usage error (an unknown
name, or ``--device cuda`` without a GPU).

``multiact verify PACKAGE.MODULE:FUNCTION --as ACTIVATION`` runs someone else's function on the
same cases and judges it against PyTorch (``multiact.conformance.verify``): exit status 0 if it
conforms, 1 if not, 2 for a usage error (an unknown activation, a function that cannot be
imported).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

import multiact
from multiact import ACTIVATIONS, _bench
from multiact._checks import did_you_mean

#: The exit statuses scripts can rely on (documented in every ``--help``).
EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2
EXIT_STATUS_HELP = """exit status:
  0  success
  1  {failures}
  2  usage error (the reason is printed on stderr)"""


def _paragraph(text: str) -> str:
    """A description wrapped for the terminal (the raw formatter keeps the epilog's layout)."""
    import textwrap

    return textwrap.fill(text, 79)


def _check(target, name: str) -> str:
    activation = ACTIVATIONS[name]
    # The defaults, or the first variant where a parameter is required (threshold, prelu).
    params = dict(activation.parameterisations[0])
    try:
        # Even sizes, so glu can halve the last axis.
        x = target.asarray(np.linspace(-2.0, 2.0, 8).reshape(2, 4), "float32")
        y = target.call(name, x, params)
    except Exception as error:  # a cell reports any failure rather than stopping the table
        return f"FAIL: {type(error).__name__}"
    expected = list(x.shape)
    if activation.halves_axis:
        expected[params.get("axis", -1)] //= 2
    if type(y) is not type(x) or list(y.shape) != expected:
        return f"FAIL: returned {type(y).__name__}{tuple(y.shape)}"
    return "ok"


def _heading(text: str) -> None:
    """A command's title on stdout, before its progress bar starts on stderr: between two
    commands run one after the other (the README's first command) it says where the next
    one's output begins."""
    from multiact import _terminal

    print(_terminal.heading(text), flush=True)


def _compiled_note() -> str:
    """Whether NumPy arrays run the compiled loops (multiact._ufuncs) or the NumPy kernels."""
    from multiact.backends import _compiled

    if _compiled.available():
        loops = ", ".join(
            f"{name} ({', '.join(_compiled.available_dtypes(name))})" for name in _compiled.NAMES
        )
        return f"; compiled loops for {loops}; up to {_compiled.get_num_threads()} threads"
    return f"; NumPy kernels only, compiled loops not in use: {_compiled.UNAVAILABLE}"


def command_list(args: argparse.Namespace) -> int:
    from multiact import _terminal
    from multiact.conformance.progress import Progress
    from multiact.conformance.targets import TARGETS

    targets = [t for t in TARGETS if not t.forced_generic]
    # Short column names keep the table narrow; versions and paths go in a legend below it.
    header = ["activation", "aliases", *(target.name for target in targets)]
    installed = []
    legend = []
    for target in targets:
        version = target.adapter.version() if target.available() else None
        installed.append(version is not None)
        if version is None:
            legend.append((target.name, "not installed"))
        else:
            path = (
                "multiact's native kernels"
                if target.backend == target.name
                else "multiact's array-API implementation"
            )
            note = _compiled_note() if target.name == "numpy" else ""
            legend.append((target.name, f"{target.adapter.distribution} {version}, {path}{note}"))
    from multiact import _dispatch

    legend.append(
        (
            "dispatch",
            "calls with x alone or one parameter from C to the learned kernel "
            "(multiact._dispatcher)"
            if not _dispatch.DISPATCHER_UNAVAILABLE
            else f"Python functions only: {_dispatch.DISPATCHER_UNAVAILABLE}",
        )
    )
    libraries = sum(installed)
    _heading(
        f"multiact list: multiact {multiact.__version__}, {len(ACTIVATIONS)} activations on "
        f"{libraries} installed array librar{'ies' if libraries != 1 else 'y'}"
    )
    rows = []
    failed = 0
    calls = len(ACTIVATIONS) * libraries
    # The first call on each library compiles or imports kernels: seconds, hence the bar.
    with Progress(calls, unit="calls") as bar:
        for activation in ACTIVATIONS.values():
            row = [activation.name, ", ".join(activation.aliases) or "-"]
            for target, present in zip(targets, installed, strict=True):
                cell = "-"
                if present:
                    cell = _check(target, activation.name)
                    bar.update(1, f"{activation.name} on {target.name}")
                failed += cell.startswith("FAIL")
                row.append(cell)
            rows.append(row)
    columns = _terminal.width()
    print(_terminal.table(header, rows, columns, wrap=[1]))
    print()
    cells = [
        (
            "ok",
            "multiact's function, called on a small float32 array of that library, returned "
            "an array of the same library and the expected shape",
        ),
        ("FAIL", "the error it raised, or what it returned instead"),
        ("-", "library not installed"),
    ]
    shown = {cell.split(":")[0] for row in rows for cell in row[2:]}
    cells = [item for item in cells if item[0] in shown]
    cells.append(("aliases", "other names of the same function (JAX's and Keras's)"))
    print(_terminal.legend([*cells, *legend], columns))
    print()
    verdict = f"{failed} FAILED" if failed else "all ok"
    print(
        f"{_terminal.count(calls)} calls ({len(ACTIVATIONS)} activations x {libraries} "
        f"libraries): {verdict}"
    )
    return EXIT_FAILURES if failed else EXIT_OK


def _names(values: list[str] | None) -> list[str] | None:
    """``--x a,b --x c`` -> ["a", "b", "c"]; None when the option was not given."""
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _under_capability(args: argparse.Namespace) -> int | None:
    """Run this command again with PyTorch's kernels at ``--cpu-capability`` (PyTorch reads
    ``ATEN_CPU_CAPABILITY`` once, when it loads); None where this process already is."""
    import os
    import subprocess

    from multiact.conformance.torch_paths import supported_capabilities

    wanted = args.cpu_capability
    if wanted not in supported_capabilities():
        supported = ", ".join(supported_capabilities())
        return _usage(f"--cpu-capability {wanted}: this CPU supports {supported}")
    if os.environ.get("ATEN_CPU_CAPABILITY") == wanted:
        return None
    argv = args.argv if args.argv is not None else sys.argv[1:]
    command = [sys.executable, "-c", "import sys, multiact._cli as c; sys.exit(c.main())", *argv]
    env = {**os.environ, "ATEN_CPU_CAPABILITY": wanted}
    return subprocess.run(command, env=env, check=False).returncode


def command_conformance(args: argparse.Namespace) -> int:
    import shlex
    import time
    from pathlib import Path

    from multiact import _terminal
    from multiact._terminal import count
    from multiact.conformance import cases as conformance_cases
    from multiact.conformance import engine, report
    from multiact.conformance.progress import Progress
    from multiact.conformance.targets import gpu_status
    from multiact.conformance.truth import default_cache_dir

    if args.cpu_capability is not None:
        rerun = _under_capability(args)
        if rerun is not None:
            return rerun
    profile = conformance_cases.QUICK if args.quick else conformance_cases.FULL
    dtypes = _names(args.dtypes)
    known_dtypes = ("float16", "bfloat16", "float32", "float64")
    for dtype in dtypes or ():
        if dtype not in known_dtypes:
            hint = did_you_mean(dtype, known_dtypes)
            return _usage(
                f"unknown dtype {dtype!r}{hint} (expected one of {', '.join(known_dtypes)})"
            )
    try:
        selected = conformance_cases.enumerate_cases(
            profile,
            activations=_names(args.activations),
            targets=_names(args.backends),
            dtypes=dtypes,
            device=args.device,
        )
    except ValueError as error:
        return _usage(str(error))
    if args.device == "cuda":
        status = gpu_status()
        wanted = {
            t.adapter.package
            for t in conformance_cases.select_targets(_names(args.backends))
            if "cuda" in t.devices
        }
        if not wanted or all(status.get(lib) is not None for lib in wanted):
            reasons = "; ".join(f"{lib}: {status.get(lib)}" for lib in sorted(wanted)) or (
                "none of the chosen backends runs on a GPU"
            )
            return _usage(f"--device cuda: no GPU available ({reasons})")
    if not selected:
        return _usage("no cases selected (check --backends, --dtypes and --activations)")

    cache_dir = None if args.no_cache else default_cache_dir()
    jobs = args.jobs if args.jobs is not None else engine.default_jobs()
    images: dict[str, str] | None = {} if args.report is not None else None
    _heading(
        f"multiact conformance: {count(len(selected))} cases ({report.scope(selected, profile)})"
    )
    print(
        _terminal.legend([("", report.describe_profile(profile))]).strip(),
        end="\n\n",
        flush=True,
    )
    start = time.perf_counter()
    with Progress(len(selected)) as bar:
        results = engine.run(
            selected,
            profile=profile,
            jobs=jobs,
            cache_dir=cache_dir,
            progress=bar.update,
            images=images,
        )
    elapsed = time.perf_counter() - start
    print(report.summary_table(results, elapsed, profile=profile))
    if args.report is not None:
        argv = ["multiact", *(args.argv if args.argv is not None else sys.argv[1:])]
        meta = report.metadata(
            command=shlex.join(argv),
            profile=profile.name,
            device=args.device,
            jobs=jobs,
            seconds=round(elapsed, 1),
        )
        paths = report.write_reports(results, Path(args.report), meta, images=images)
        print("reports: " + ", ".join(str(p) for p in paths))
    return EXIT_FAILURES if any(r.status == "fail" for r in results) else EXIT_OK


def _usage(message: str, command: str = "conformance") -> int:
    print(f"multiact {command}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _parse_param(name: str, text: str) -> tuple[str, object]:
    """``k=v`` from the command line, typed by the registry's declaration of ``k``."""
    key, sep, value = text.partition("=")
    activation = ACTIVATIONS[name]
    if not sep:
        raise ValueError(f"--param {text!r}: expected NAME=VALUE")
    try:
        param = activation.param("axis" if key == "dim" else key)
    except KeyError:
        names = [p.name for p in activation.math_params]
        hint = did_you_mean(key, names)
        known = ", ".join(names) or "none"
        raise ValueError(
            f"{name} has no parameter {key!r}{hint} (its parameters: {known})"
        ) from None
    try:
        if param.kind == "real":
            return param.name, float(value)
        if param.kind == "axis":
            return param.name, int(value)
        if param.kind == "array":
            return param.name, tuple(float(v) for v in value.split(","))
    except ValueError:
        raise ValueError(f"--param {text!r}: {value!r} is not a valid {param.kind}") from None
    if param.kind == "flag":
        if value.lower() not in ("true", "false"):
            raise ValueError(f"--param {text!r}: expected true or false")
        return param.name, value.lower() == "true"
    if param.kind == "generator":
        raise ValueError(f"--param {text!r}: plots use the deterministic mean slope")
    return param.name, value  # a choice: multiact itself says which values it takes


def command_plot(args: argparse.Namespace) -> int:
    import importlib.util

    from multiact import _plot

    if importlib.util.find_spec("matplotlib") is None:
        return _usage("needs matplotlib: pip install matplotlib", "plot")

    try:
        activation = multiact.lookup(args.name)
    except KeyError as error:
        return _usage(error.args[0], "plot")
    try:
        params = dict(_parse_param(activation.name, text) for text in args.param or ())
    except ValueError as error:
        return _usage(str(error), "plot")
    if args.backend not in _plot.BACKENDS:
        hint = did_you_mean(args.backend, _plot.BACKENDS)
        return _usage(
            f"unknown backend {args.backend!r}{hint} (expected one of {', '.join(_plot.BACKENDS)})",
            "plot",
        )
    variants = [params] if params else None
    try:
        figure = _plot.render(activation.name, variants, backend=args.backend, dpi=args.dpi)
    except (ValueError, TypeError) as error:  # multiact's own message for a bad value
        return _usage(str(error), "plot")
    figure.savefig(args.output)
    print(f"wrote {args.output}")
    return EXIT_OK


def command_verify(args: argparse.Namespace) -> int:
    """``multiact verify PACKAGE.MODULE:FUNCTION --as ACTIVATION``: someone else's function
    against PyTorch (``multiact.conformance.verify``)."""
    from pathlib import Path

    from multiact.conformance.verifying import UsageError, load_function, verify

    try:
        activation = multiact.lookup(args.activation)
    except KeyError as error:
        return _usage(error.args[0], "verify")
    try:
        params = dict(_parse_param(activation.name, text) for text in args.param or ())
        fn = load_function(args.function)
        grad: object = None
        if args.grad == "autograd":
            grad = True
        elif args.grad is not None:
            grad = load_function(args.grad)
        dtypes = _names(args.dtypes)
        result = verify(
            fn,
            activation.name,
            library=args.library,
            dtypes=dtypes,
            device=args.device,
            grad=grad,
            quick=args.quick,
            pass_params=args.pass_params,
            name=args.function,
            **params,
        )
    except (UsageError, ValueError) as error:
        return _usage(str(error), "verify")
    print(result.message(limit=args.limit))
    if args.report is not None:
        paths = result.write_report(Path(args.report))
        print("reports: " + ", ".join(str(p) for p in paths))
    return EXIT_OK if result.ok else EXIT_FAILURES


def _add_verify_parser(commands: argparse._SubParsersAction) -> None:
    verify = commands.add_parser(
        "verify",
        help="someone else's implementation of an activation against PyTorch",
        description=_paragraph(
            "Run a function on the conformance cases of an activation (special values, kinks, "
            "grids, random and subnormal inputs, 0-d, empty, strided, long and batched arrays, "
            "in every dtype) and judge every result against PyTorch's, with the exact value "
            "(mpmath) beside it. Prints whether it conforms and the worst failures: the "
            "input, PyTorch's result and the function's, their distance in ULPs. The "
            "function is called as FUNCTION(x) on arrays of --library (FUNCTION(x, **params) "
            "with --pass-params); a class is instantiated without arguments first. Its errors "
            "are failures of their cases, never the end of the run."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  multiact verify numpy:tanh --as tanh\n"
        "  multiact verify jax.nn:gelu --as gelu --library jax --grad autograd\n"
        "  multiact verify jax.nn:gelu --as gelu --param approximate=tanh --library jax "
        "--pass-params\n"
        "  multiact verify scipy.special:expit --as sigmoid --dtypes float32,float64\n"
        "  multiact verify torch.nn:SiLU --as silu --library torch --grad autograd --report out/\n"
        "  multiact verify mypkg.ops:fast_gelu --as gelu --quick\n\n"
        + EXIT_STATUS_HELP.format(failures="the function does not conform (a case failed)"),
    )
    verify.add_argument(
        "function", metavar="PACKAGE.MODULE:FUNCTION", help="the function to verify"
    )
    verify.add_argument(
        "--as",
        dest="activation",
        required=True,
        metavar="ACTIVATION",
        help="which of PyTorch's activations it computes (a name or alias, see multiact list)",
    )
    verify.add_argument(
        "--param",
        action="append",
        metavar="K=V",
        help="PyTorch's setting to compare with, repeatable (approximate=tanh, "
        "negative_slope=0.2, dim=0...; default: PyTorch's defaults)",
    )
    verify.add_argument(
        "--pass-params",
        action="store_true",
        help="call FUNCTION(x, **params) with the --param values (multiact's names: axis for dim)",
    )
    verify.add_argument(
        "--library",
        default="numpy",
        metavar="LIB",
        help="the arrays FUNCTION takes: numpy (default), torch, jax, dask, array_api_strict, "
        "or any array-API namespace module",
    )
    verify.add_argument(
        "--grad",
        metavar="autograd|PACKAGE.MODULE:FUNCTION",
        help="also check the gradient: by the library's autograd through FUNCTION (torch, "
        "jax), or by a function grad(x, g) returning g * f'(x)",
    )
    verify.add_argument(
        "--dtypes",
        action="append",
        metavar="NAMES",
        help="comma-separated: float16, bfloat16, float32, float64 (default: every dtype "
        "the library has here)",
    )
    verify.add_argument(
        "--device", default="cpu", help="where the arrays live: cpu (default) or cuda"
    )
    verify.add_argument(
        "--quick", action="store_true", help="a CI-sized subset (float32, fewer points)"
    )
    verify.add_argument(
        "--limit", type=int, default=8, metavar="N", help="failures to list (default: 8)"
    )
    verify.add_argument(
        "--report", metavar="DIR", help="write report.json, report.md and report.html into DIR"
    )
    verify.set_defaults(run=command_verify)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="multiact",
        description=_paragraph(
            "One activation-function API for NumPy, PyTorch, JAX and array-API arrays."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  multiact list\n"
        "  multiact plot gelu -o gelu.png\n"
        "  multiact conformance --quick\n"
        "  multiact verify numpy:tanh --as tanh\n"
        "  multiact COMMAND --help\n\n"
        + EXIT_STATUS_HELP.format(failures="failures found (see each command's --help)"),
    )
    parser.add_argument("--version", action="version", version=f"multiact {multiact.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser(
        "list",
        help="every activation against the installed backends",
        description=_paragraph(
            "Run every activation on each installed array library and show the result (ok, or "
            "the error), with a progress bar on stderr."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  multiact list\n"
        "  multiact list > backends.txt   # the table on stdout, the progress bar on stderr\n\n"
        + EXIT_STATUS_HELP.format(failures="an installed backend fails an activation"),
    )
    listing.set_defaults(run=command_list)
    conformance = commands.add_parser(
        "conformance",
        help="every backend against PyTorch and the exact value",
        description=_paragraph(
            "Run the conformance suite: every activation, parameterisation, backend, dtype and "
            "case kind (special values, kinks, grids, random inputs, shapes), forward and "
            "gradient, against PyTorch on the CPU in the same dtype and against the exact value "
            "(mpmath). Prints a summary table, with a progress bar on stderr."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  multiact conformance --quick\n"
        "  multiact conformance --backends jax,numpy --dtypes float32 --report out/\n"
        "  multiact conformance --activations gelu,softplus --device cuda\n"
        "  multiact conformance --quick --cpu-capability avx2\n\n"
        + EXIT_STATUS_HELP.format(failures="a case failed (outside its tolerance, or an error)"),
    )
    conformance.add_argument(
        "--backends",
        action="append",
        metavar="NAMES",
        help="comma-separated targets: numpy, torch, jax, tensorflow, mlx, array-api-strict, "
        "dask, generic-numpy, generic-torch, generic-jax, generic-dask, generic-tensorflow, "
        "generic-mlx (or 'generic' for those six), and cupy where CuPy is installed "
        "(default: all)",
    )
    conformance.add_argument(
        "--dtypes",
        action="append",
        metavar="NAMES",
        help="comma-separated: float16, bfloat16, float32, float64 (default: every dtype each "
        "backend has)",
    )
    conformance.add_argument(
        "--activations",
        action="append",
        metavar="NAMES",
        help="comma-separated activation names or aliases (default: all)",
    )
    conformance.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where the arrays live: cpu (default) or cuda (torch, JAX and CuPy; needs a GPU)",
    )
    conformance.add_argument(
        "--quick", action="store_true", help="a CI-sized subset (float32, fewer points)"
    )
    conformance.add_argument(
        "--report", metavar="DIR", help="write report.json, report.md and report.html into DIR"
    )
    conformance.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes (default: the number of CPUs, at most 8; 1 runs in-process)",
    )
    conformance.add_argument(
        "--cpu-capability",
        choices=("default", "avx2", "avx512"),
        help="run PyTorch's CPU kernels (the reference, and multiact on tensors) at this SIMD "
        "level, as ATEN_CPU_CAPABILITY does (default: the CPU's highest)",
    )
    conformance.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the cache of exact values (~/.cache/multiact/conformance)",
    )
    conformance.set_defaults(run=command_conformance)
    _bench.add_parser(commands)
    _add_verify_parser(commands)
    plot = commands.add_parser(
        "plot",
        help="draw an activation and its derivative",
        description=_paragraph(
            "Draw an activation (left) and its derivative from multiact.vjp (right), computed "
            "in float32 on the chosen backend, into an image file. Without --param, one curve "
            "per parameter variant the registry declares (gelu exact and tanh, leaky_relu's "
            "slopes, ...); with --param, one curve with those values."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  multiact plot gelu -o gelu.png\n"
        "  multiact plot leaky_relu --param negative_slope=0.2 -o leaky.png\n"
        "  multiact plot softplus --backend torch --param beta=2 --param threshold=5 -o sp.png\n"
        "  multiact plot prelu --param weight=0.25 -o prelu.png\n\n"
        + EXIT_STATUS_HELP.format(failures="not used (a plot has nothing to check)"),
    )
    plot.add_argument("name", metavar="NAME", help="activation name or alias (see multiact list)")
    plot.add_argument(
        "--backend",
        default="numpy",
        metavar="B",
        help="array library to compute on: numpy (default), torch, jax, dask, array-api-strict",
    )
    plot.add_argument(
        "--param",
        action="append",
        metavar="K=V",
        help="a parameter value, repeatable (dim=, true/false for flags, "
        "comma-separated numbers for prelu's weight)",
    )
    plot.add_argument("-o", "--output", required=True, metavar="FILE", help="image to write (.png)")
    plot.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
    plot.set_defaults(run=command_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = None if argv is None else list(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
