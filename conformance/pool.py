"""Running many cases: in this process, or spread over worker processes with progress messages.

Cases are grouped by parameterisation (a *job*: its cases share the input, PyTorch's results and
the exact values, cached by the runner that computes them). With ``jobs > 1`` the jobs go to
that many ``spawn``-ed worker processes, the costliest first (``Adapter.cost``); each worker
configures its libraries, runs one thread, reports progress over a queue and, where the HTML
report wants them, draws its jobs' plots itself, so that only light results travel back.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import queue
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .adapters import ADAPTERS
from .cases import Case
from .report import render_plots
from .results import Result
from .targets import by_name, prepare

__all__ = ["Runner", "default_jobs", "run_jobs"]

Progress = Callable[[int, str], None]


class Runner(Protocol):
    """What runs one job's cases (``engine.Engine``)."""

    def run(self, cases: Sequence[Case], progress: Progress | None = None) -> list[Result]: ...


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_jobs(
    make_runner: Callable[[], Runner],
    jobs_cases: Sequence[list[Case]],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    images: dict[str, str] | None = None,
) -> list[Result]:
    """Run each list of ``jobs_cases`` (one parameterisation's cases) on a runner made by
    ``make_runner`` (picklable: the workers make their own), here or in ``jobs`` processes.

    ``progress(n_done, label)`` is called as cases finish; with an ``images`` dict, each job's
    plots are drawn as soon as its cases are done and stored there (label -> base64 PNG).
    Results come in the order they finished.
    """
    targets = sorted({c.target for cases in jobs_cases for c in cases})
    plots = images is not None
    results: list[Result] = []
    if jobs <= 1 or len(jobs_cases) <= 1:
        prepare(targets)
        runner = make_runner()
        for job_cases in jobs_cases:
            job_results = runner.run(job_cases, progress)
            if images is not None:  # (without, the results keep their series for the caller)
                images.update(_images(job_results, plots))
            results += job_results
        return results
    work = sorted(jobs_cases, key=lambda cs: -sum(by_name(c.target).adapter.cost for c in cs))
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(work)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(make_runner, targets, messages, plots),
    ) as pool:
        pending = {pool.submit(_run_job, w) for w in work}
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=0.1)
            _drain(messages, progress)
            for future in done:
                job_results, job_images = future.result()
                results += job_results
                if images is not None:
                    images.update(job_images)
        _drain(messages, progress)
    return results


_WORKER: dict[str, Any] = {}


def _init_worker(
    make_runner: Callable[[], Runner], targets: list[str], messages: Any, plots: bool
) -> None:
    _WORKER["runner"] = make_runner()
    _WORKER["messages"] = messages
    _WORKER["plots"] = plots
    prepare(targets)
    for adapter in ADAPTERS.values():
        if adapter.available():
            adapter.single_thread()


def _run_job(job_cases: list[Case]) -> tuple[list[Result], dict[str, str]]:
    runner: Runner = _WORKER["runner"]
    messages = _WORKER["messages"]

    def progress(n: int, label: str) -> None:
        messages.put((n, label))

    results = runner.run(job_cases, progress)
    return results, _images(results, _WORKER["plots"])


def _images(results: list[Result], plots: bool) -> dict[str, str]:
    """The job's plots (drawn where the job ran), and its results lightened of their series."""
    images = render_plots(results) if plots else {}
    for r in results:
        r.series = None
    return images


def _drain(messages: Any, progress: Progress | None) -> None:
    while True:
        try:
            n, label = messages.get_nowait()
        except (queue.Empty, OSError, EOFError):
            return
        if progress is not None:
            progress(n, label)
