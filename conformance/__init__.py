"""The conformance engine: every backend against the PyTorch reference.

Installed as ``multiact.conformance``. The library's own test suite is built on it. Its modules,
by job (no import cycles among them, checked by ``tests/test_architecture.py``):

- ``adapters``: one adapter per array library (build its arrays from float64 values, read them
  back, their device, autograd, cost, dtypes, devices and layouts, distributions); ``targets``:
  the backends under test, each a library's adapter and the path multiact takes for it.
- ``cases``: the matrix of cases, derived from the registry and the targets.
- ``reference``: PyTorch's answer, straight from ``torch.nn.functional`` (never through
  multiact); ``truth``: the exact value (mpmath); ``distance``: ULP distances.
- ``tolerances``: the per-dtype tolerances, the known differences and the comparison (NumPy
  only: PyTorch's results are given to it); ``budgets``: the accuracy budgets.
- ``results``: a case's :class:`~conformance.results.Result` and its JSON record;
  ``expected``: what one batch is judged against; ``running``: calling a target in a mode,
  the output contract; ``judging``: a result against its reference, the figures, the budgets;
  ``pool``: worker processes; ``engine``: the :class:`~conformance.engine.Engine` tying them.
- ``report``: the terminal summary and the JSON, Markdown and HTML reports.
- ``verifying``: :func:`verify`, anyone's implementation of an activation against PyTorch
  (``multiact.testing.assert_conforms`` and ``multiact verify`` run it); ``libraries``: the
  page "Other libraries against PyTorch", made with it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Verification", "verify"]


def __getattr__(name: str) -> Any:
    # verify (the engine, the reference, the exact values) loads on first use: importing one
    # module of the package (``conformance.cases``) must not import them all.
    if name in ("verify", "Verification"):
        from . import verifying

        return getattr(verifying, name)
    raise AttributeError(f"module 'multiact.conformance' has no attribute {name!r}")
