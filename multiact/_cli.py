"""The ``multiact`` command.

``multiact list`` shows every activation against every installed backend: each cell is a real
call on a small float32 array of that library, checked to return the same array type and
shape. The exit status is 1 if any installed backend fails any activation.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Sequence

import numpy as np

import multiact
from multiact import ACTIVATIONS

# The distributions behind each target's array library, for the version line.
_DISTRIBUTIONS = {
    "numpy": "numpy",
    "torch": "torch",
    "jax.numpy": "jax",
    "array_api_strict": "array-api-strict",
    "dask.array": "dask",
}


def _version(library: str) -> str | None:
    try:
        return importlib.metadata.version(_DISTRIBUTIONS[library])
    except importlib.metadata.PackageNotFoundError:
        return None


def _check(target, name: str) -> str:
    try:
        x = target.asarray(np.linspace(-2.0, 2.0, 6).reshape(2, 3), "float32")
        y = target.call(name, x)
    except Exception as error:  # a cell reports any failure rather than stopping the table
        return f"FAIL: {type(error).__name__}"
    if type(y) is not type(x) or tuple(y.shape) != tuple(x.shape):
        return f"FAIL: returned {type(y).__name__}{tuple(y.shape)}"
    return "ok"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def command_list(args: argparse.Namespace) -> int:
    from multiact.conformance.targets import TARGETS

    targets = [t for t in TARGETS if not t.forced_generic]
    header = ["activation", "aliases"]
    installed = []
    for target in targets:
        version = _version(target.library) if target.available() else None
        path = "" if target.backend == target.name else f", {target.backend}"
        if version is None:
            header.append(f"{target.name} (not installed)")
        else:
            header.append(f"{target.name} {version}{path}")
        installed.append(version is not None)
    rows = [header]
    failed = False
    for activation in ACTIVATIONS.values():
        row = [activation.name, ", ".join(activation.aliases) or "-"]
        for target, present in zip(targets, installed, strict=True):
            cell = _check(target, activation.name) if present else "-"
            failed |= cell.startswith("FAIL")
            row.append(cell)
        rows.append(row)
    print(f"multiact {multiact.__version__}: {len(ACTIVATIONS)} activations")
    print()
    print(_table(rows))
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="multiact",
        description="One activation-function API for NumPy, PyTorch, JAX and array-API arrays.",
    )
    parser.add_argument("--version", action="version", version=f"multiact {multiact.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser(
        "list",
        help="every activation against the installed backends",
        description="Run every activation on each installed array library and show the result "
        "(ok, or the error). Exit status 1 if any call fails.",
        epilog="example: multiact list",
    )
    listing.set_defaults(run=command_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
