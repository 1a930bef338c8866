"""The quick profile of the conformance suite, as CI runs it (``multiact conformance --quick``).

One test per activation parameterisation, each running all of its quick cases (every target and
mode, float32, value kinds, 0-d and non-contiguous inputs) through the engine; a failure lists
the failing case ids and why. The full matrix runs with ``multiact conformance`` or
``pytest conformance/``.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from multiact.conformance import cases, engine

pytest.importorskip("torch")
pytest.importorskip("mpmath")


def _jobs() -> list:
    by_job = defaultdict(list)
    for case in cases.enumerate_cases(cases.QUICK):
        by_job[case.job].append(case)
    return [pytest.param(job_cases, id=job_cases[0].label) for job_cases in by_job.values()]


@pytest.mark.parametrize("job_cases", _jobs())
def test_quick_profile(job_cases):
    engine.prepare({c.target for c in job_cases})
    results = engine.Engine("quick").run(job_cases)
    assert len(results) == len(job_cases)
    failures = [f"{r.case.id}: {r.message}" for r in results if r.status == "fail"]
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures)
