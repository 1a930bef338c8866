"""PyTorch at every SIMD level this CPU has: the suite must pass on AVX2 and AVX-512 machines.

``ATEN_CPU_CAPABILITY`` chooses PyTorch's kernels when it loads, so each level runs in a
subprocess. Where PyTorch's answers differ by level or by code path, multiact is judged by the
exact value (see ``conformance/torch_paths.py``).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from multiact.conformance.distance import ulp_distance
from multiact.conformance.torch_paths import supported_capabilities

pytest.importorskip("torch")
pytest.importorskip("mpmath")

#: The activations whose PyTorch answers depend on the code path (docs/conformance/
#: torch-paths.md), with relu as a control.
SENSITIVE = "gelu,elu,selu,hardswish,mish,tanh,softshrink,relu6,softplus,relu"


def _capability(name: str) -> object:
    return pytest.param(
        name,
        marks=pytest.mark.skipif(
            name not in supported_capabilities(), reason=f"this CPU has no {name}"
        ),
    )


@pytest.mark.parametrize("capability", [_capability(c) for c in ("default", "avx2", "avx512")])
def test_conformance_passes_at_every_cpu_capability(capability, tmp_path):
    command = [
        sys.executable,
        "-c",
        "import sys, multiact._cli as c; sys.exit(c.main())",
        "conformance",
        "--quick",
        "--jobs",
        "1",
        "--no-cache",
        "--cpu-capability",
        capability,
        "--activations",
        SENSITIVE,
        "--backends",
        "numpy,torch",
        "--report",
        str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    meta = json.loads((tmp_path / "report.json").read_text())["meta"]
    assert meta["cpu_capability"] == capability.upper()
    assert meta["simd_environment"]["ATEN_CPU_CAPABILITY"] == capability


def test_an_unsupported_capability_is_a_usage_error(capsys):
    from multiact import _cli

    missing = [c for c in ("default", "avx2", "avx512") if c not in supported_capabilities()]
    if not missing:
        pytest.skip("this CPU supports every capability")
    assert _cli.main(["conformance", "--quick", "--cpu-capability", missing[0]]) == 2
    assert "this CPU supports" in capsys.readouterr().err


def test_where_pytorch_disagrees_with_itself_multiact_gives_the_exact_value(tmp_path):
    out = tmp_path / "found.json"
    command = [
        sys.executable,
        "-m",
        "multiact.conformance.torch_paths",
        "--activations",
        "gelu,elu,mish,softplus",
        "--json",
        str(out),
        "--report",
        str(tmp_path / "report.md"),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = (tmp_path / "report.md").read_text()
    for capability in supported_capabilities():
        assert f"{capability} (PyTorch reports {capability.upper()})" in report
    found = json.loads(out.read_text())
    judged = 0
    for item in found:
        # Forward values: multiact.vjp follows PyTorch's backward formulas in the dtype, and is
        # held to them (and to its accuracy budget) by the conformance suite.
        exact, mine = item["exact"], item["multiact"].get("numpy")
        if exact is None or mine is None or item["kind"] != "forward":
            continue
        if math.isnan(float(exact)) or math.isinf(float(exact)):
            assert mine == exact, item
        else:
            d = ulp_distance(np.array([float(mine)]), np.array([float(exact)]), item["dtype"])
            assert d[0] <= 2, item
        judged += 1
    assert judged > 0
