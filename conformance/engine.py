"""Running the cases: each target against the PyTorch reference, with the exact value beside it.

For every batch (see :mod:`conformance.cases`) the engine computes what all targets are judged
against once (:mod:`conformance.expected`: the input, PyTorch's result on CPU in the same dtype
and on the case's device, PyTorch's other code paths, the mpmath truth), then calls every target
on it (:mod:`conformance.running`) and judges each case kind on its slice
(:mod:`conformance.judging`, around :func:`conformance.tolerances.judge`), so the
per-activation overrides and documented known differences apply. A case passes when the
backend agrees with PyTorch within tolerance everywhere (special values exactly: NaN with NaN,
inf with the same inf); a sign of zero that differs from PyTorch's is counted and reported, not
failed. Where PyTorch has no such function (``names.torch`` is None) the truth, rounded to the
dtype, is the reference instead, judged with the same tolerance wherever it is known.

Beside pass/fail each result (:class:`conformance.results.Result`) carries the figures of the
report: the largest absolute error and ULP distance from PyTorch, and the ULP distance from the
correctly rounded exact value, for the backend and for PyTorch itself.

``Engine.run_case`` computes one case (and caches the rest of its batch: that is what
``pytest conformance/`` calls per test); :func:`run` runs a list of cases, in worker processes
when ``jobs > 1`` (:mod:`conformance.pool`).
"""

from __future__ import annotations

import functools
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from multiact._registry import lookup

from . import cases as _cases
from . import expected
from .cases import PROFILES, Case, Profile
from .judging import judge_case
from .pool import default_jobs, run_jobs
from .results import UNJUDGED, Result, first_line
from .running import call, skip_reason
from .targets import by_name, prepare

__all__ = ["Engine", "Result", "default_jobs", "prepare", "run"]


class Engine:
    """Runs cases, caching per parameterisation what all targets share."""

    def __init__(self, profile: Profile | str = "full", cache_dir: Path | None = None) -> None:
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.cache_dir = cache_dir
        self._truths: dict[tuple, Any] = {}
        self._expected: dict[tuple, expected.Expected] = {}
        self._results: dict[Case, Result] = {}
        #: Seconds spent on references and truths (not counted in the cases' own times).
        self.reference_seconds = 0.0

    # -- shared per parameterisation ------------------------------------------------------------

    def truth(self, activation: str, params: tuple) -> Any:
        from .truth import Truth

        key = (activation, params)
        if key not in self._truths:
            self._truths[key] = Truth(lookup(activation), dict(params), self.cache_dir)
        return self._truths[key]

    def save(self) -> None:
        """Write the truth caches to disk (when the engine has a cache directory)."""
        for truth in self._truths.values():
            truth.save()

    def forget(self, job: tuple) -> None:
        """Drop what was cached for one parameterisation (after its cases have all run)."""
        for key in [k for k in self._expected if k[:2] == job]:
            del self._expected[key]
        truth = self._truths.pop(job, None)
        if truth is not None:
            truth.save()

    def expected(self, case: Case) -> expected.Expected:
        """What ``case``'s batch is judged against (computed once per batch)."""
        key = (
            case.activation,
            case.params,
            case.dtype,
            case.device,
            case.batch,
            case.gradient,
        )
        if key not in self._expected:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._expected[key] = expected.compute(
                    case, self.profile, lambda: self.truth(case.activation, case.params)
                )
            self.reference_seconds += time.perf_counter() - start
        return self._expected[key]

    # -- running --------------------------------------------------------------------------------

    def run_case(self, case: Case) -> Result:
        """The result of ``case``; the other cases of its batch are computed and kept."""
        if case not in self._results:
            kinds = [case.kind] if case.batch != "values" else self._batch_kinds(case)
            siblings = [Case(**{**case.__dict__, "kind": k}) for k in kinds]
            for result in self.run_batch(siblings):
                self._results[result.case] = result
        return self._results.pop(case)

    def _batch_kinds(self, case: Case) -> list[str]:
        a = case.spec
        return [
            k
            for k in _cases.kinds_for(a, dict(case.params), self.profile)
            if Case(**{**case.__dict__, "kind": k}).batch == "values"
        ]

    def run_batch(self, batch_cases: Sequence[Case]) -> list[Result]:
        """Run cases that share one batch key (one call of the backend)."""
        first = batch_cases[0]
        assert all(c.batch_key == first.batch_key for c in batch_cases), "mixed batch"
        skip = skip_reason(first)
        if skip:
            return [Result(c, "skip", skip, reference=UNJUDGED) for c in batch_cases]
        try:
            ref = self.expected(first)
            start = time.perf_counter()
            target = by_name(first.target)
            actual, error, notes = call(target, first, ref)
            results = [judge_case(target, c, ref, actual, error, notes) for c in batch_cases]
        except Exception as error:  # the engine's own failure: reported on its cases, not raised
            why = f"conformance engine error: {type(error).__name__}: {first_line(error)}"
            return [
                Result(c, "fail", why, reference=UNJUDGED, check="engine error")
                for c in batch_cases
            ]
        elapsed = (time.perf_counter() - start) / len(batch_cases)
        for r in results:
            r.seconds = elapsed
        return results

    def run(
        self, cases: Sequence[Case], progress: Callable[[int, str], None] | None = None
    ) -> list[Result]:
        """Run ``cases`` here, in order of their batches; ``progress(n_done, label)``."""
        results = []
        job = None
        for key, group in _group(cases):
            if job is not None and key[:2] != job:
                self.forget(job)
            job = key[:2]
            results += self.run_batch(group)
            if progress is not None:
                progress(len(group), f"{group[0].label} {group[0].target} {group[0].dtype}")
        if job is not None:
            self.forget(job)
        self.save()
        return results


def _group(cases: Iterable[Case]) -> list[tuple[tuple, list[Case]]]:
    groups: dict[tuple, list[Case]] = defaultdict(list)
    for c in cases:
        groups[c.batch_key].append(c)
    # One parameterisation after the other, so its caches can be dropped when it is done.
    order = {job: i for i, job in enumerate(dict.fromkeys(k[:2] for k in groups))}
    return sorted(groups.items(), key=lambda item: order[item[0][:2]])


def run(
    cases: Sequence[Case],
    *,
    profile: Profile | str = "full",
    jobs: int = 1,
    cache_dir: Path | None = None,
    progress: Callable[[int, str], None] | None = None,
    images: dict[str, str] | None = None,
) -> list[Result]:
    """Run ``cases`` and return their results in the same order.

    ``jobs > 1`` spreads the parameterisations over that many worker processes (each imports
    the libraries itself); ``progress(n_done, label)`` is called as cases finish. With an
    ``images`` dict, each parameterisation's plot for the HTML report is drawn as soon as its
    cases are done (in the worker) and stored there, label -> base64 PNG.
    """
    profile = PROFILES[profile] if isinstance(profile, str) else profile
    by_job: dict[tuple, list[Case]] = defaultdict(list)
    for c in cases:
        by_job[c.job].append(c)
    make_engine = functools.partial(Engine, profile, cache_dir)
    results = run_jobs(
        make_engine, list(by_job.values()), jobs=jobs, progress=progress, images=images
    )
    index = {c: i for i, c in enumerate(cases)}
    return sorted(results, key=lambda r: index.get(r.case, len(index)))
