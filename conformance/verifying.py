"""Verify anyone's implementation of an activation against PyTorch: :func:`verify`.

The same engine as the conformance suite, with someone else's function as the target: a
:class:`~conformance.targets.FunctionTarget` on one array library's arrays (its
:class:`~conformance.adapters.Adapter`), run on the suite's cases for one parameterisation
(:func:`conformance.cases.target_cases`), judged against PyTorch's reference and the exact
value by :mod:`conformance.judging`. ``multiact.testing.assert_conforms``, ``multiact verify``
and the page "Other libraries against PyTorch" (:mod:`conformance.libraries`) are its front ends.

What conforms: every element within PyTorch's tolerance for the dtype
(``torch.testing.assert_close``'s) of one of PyTorch's own answers (its vectorised and scalar
loops, its half-precision kernel), or of the exact value where that is not PyTorch's answer;
NaN where PyTorch has NaN, the same infinity where it has one; a result of the input's array
type, dtype, shape and device; the input left as it was; an exception only where PyTorch
raises. A zero of the other sign than PyTorch's is reported, not failed.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multiact._registry import Activation, lookup

from .adapters import Adapter, adapter_for
from .cases import PROFILES, Case, Profile, target_cases
from .engine import Engine
from .results import Result
from .targets import FunctionTarget, by_name, registered
from .tolerances import tolerance
from .truth import default_cache_dir

__all__ = ["UsageError", "Verification", "describe", "load_function", "verify"]

_FLOATS = ("float16", "bfloat16", "float32", "float64")
#: How a failure's check ranks in the listing: the contracts first (every element is wrong),
#: then special values, then the largest errors.
_CHECK_ORDER = (
    "raised",
    "array type",
    "dtype",
    "shape",
    "device",
    "input mutated",
    "special value",
    "value",
    "accuracy budget",
)


class UsageError(ValueError):
    """A call of :func:`~multiact.conformance.verify` that cannot run: an unknown activation,
    parameter, dtype or library, or a gradient the library cannot take (``multiact verify``
    exits with 2)."""


@dataclass
class Verification:
    """What :func:`~multiact.conformance.verify` found: the results of every case, and how to
    read them.

    ``ok`` is True when no case failed and at least one ran; ``failures`` lists the failing
    cases, the worst first; ``summary()`` says it in a few lines, ``message()`` lists the
    worst failures (what ``assert_conforms`` raises), and ``write_report(directory)`` writes
    the conformance suite's JSON, Markdown and HTML reports.
    """

    name: str
    activation: str
    label: str
    params: dict[str, Any]
    library: str
    profile: str
    results: list[Result]
    meta: dict[str, Any] = field(default_factory=dict)
    #: The target the cases name (the reports look it up by that name).
    target: FunctionTarget | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failures and any(r.status == "pass" for r in self.results)

    @property
    def failures(self) -> list[Result]:
        """The failing cases, worst first (see ``_badness``)."""
        return sorted((r for r in self.results if r.status == "fail"), key=_badness)

    @property
    def passed(self) -> list[Result]:
        return [r for r in self.results if r.status == "pass"]

    @property
    def skipped(self) -> list[Result]:
        return [r for r in self.results if r.status == "skip"]

    @property
    def signs_of_zero(self) -> int:
        """Zeros of the other sign than PyTorch's, over every case (reported, not failed)."""
        return sum(r.sign_of_zero for r in self.results)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.summary()

    def _what(self) -> str:
        return f"{self.name} as PyTorch's {self.label}"

    def summary(self) -> str:
        """A few lines: conforms or not, how many cases, the dtypes and modes, the notes."""
        ran = [r for r in self.results if r.status != "skip"]
        dtypes = [d for d in _FLOATS if any(r.case.dtype == d for r in ran)]
        modes = list(dict.fromkeys(r.case.mode for r in ran))
        n = len(self.results)
        if not self.passed and not self.failures:
            verdict = f"{self._what()}: nothing was verified"
        elif self.ok:
            verdict = f"{self._what()}: conforms"
        else:
            verdict = f"{self._what()}: does NOT conform"
        lines = [
            verdict,
            f"  {n} cases on {self.library} ({self.profile} profile): {len(self.passed)} passed, "
            f"{len(self.failures)} failed, {len(self.skipped)} skipped",
        ]
        if dtypes or modes:
            lines.append(f"  dtypes: {', '.join(dtypes) or '-'}; modes: {', '.join(modes)}")
        lines += self._notes()
        return "\n".join(lines)

    def _notes(self) -> list[str]:
        lines = []
        if self.signs_of_zero:
            cases = sum(1 for r in self.results if r.sign_of_zero)
            lines.append(
                f"  note: {self.signs_of_zero} zeros of the other sign than PyTorch's in {cases} "
                "cases (reported, not failed)"
            )
        for why, count in _counted(r.message for r in self.skipped):
            lines.append(f"  skipped {count}: {why}")
        return lines

    def message(self, limit: int = 8) -> str:
        """The summary, then the worst failures: input, expected, got, ULPs, the check."""
        lines = [self.summary()]
        failures = self.failures
        if failures:
            lines += ["", "worst failures:"]
            for r in failures[:limit]:
                lines += _describe_failure(r)
            if len(failures) > limit:
                lines.append(f"  ... and {len(failures) - limit} more failing cases")
        return "\n".join(lines)

    def records(self) -> list[dict[str, Any]]:
        """Every case's JSON record (``Result.record``)."""
        return [r.record() for r in self.results]

    def write_report(self, directory: str | Path, plots: bool = True) -> list[Path]:
        """Write ``report.json``, ``report.md`` and ``report.html`` into ``directory`` (the
        conformance suite's reports) and return their paths."""
        from . import report

        meta = report.metadata(
            verified=self.name,
            activation=self.label,
            library=self.library,
            profile=self.profile,
            **self.meta,
        )
        if self.target is None:
            return report.write_reports(self.results, Path(directory), meta, plots=plots)
        with registered(self.target):
            return report.write_reports(self.results, Path(directory), meta, plots=plots)


def _counted(messages: Iterable[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for m in messages:
        counts[m] = counts.get(m, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])


def _badness(r: Result) -> tuple[int, float, float]:
    """The check's rank, then the worst element's relative error (to two digits: the same
    scale in every dtype, where ULPs are not), then the input's magnitude (of two equally
    wrong inputs, the ordinary one is the better example)."""
    check = (r.check or "value").split(", ")[0]
    rank = _CHECK_ORDER.index(check) if check in _CHECK_ORDER else len(_CHECK_ORDER)
    w = r.worst
    if w is None or w["got"] is None or w["expected"] is None:
        return rank, -math.inf, 0.0
    _, atol = tolerance(
        r.case.activation, "gradient" if r.case.gradient else "forward", r.case.dtype
    )
    with np.errstate(invalid="ignore", over="ignore"):
        error = abs(w["got"] - w["expected"]) / max(abs(w["expected"]), atol)
    error = float(f"{error:.2g}") if math.isfinite(error) else math.inf
    size = abs(w["x"]) if w["x"] is not None and not math.isnan(w["x"]) else math.inf
    return rank, -error, size


def _show(value: float | None, dtype: str) -> str:
    """A value as its dtype prints it (``0.1``, not ``0.10000000149011612``)."""
    if value is None:
        return "-"
    kind = {"float16": np.float16, "float64": np.float64}.get(dtype, np.float32)
    return repr(float(value)) if kind is np.float64 else str(kind(value))


def _ulps(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.0f}" if value >= 10 else f"{value:.3g}"


_WORST_NOTE = re.compile(
    r"; worst at index \([^)]*\): got (np\.float64\([^)]*\)|[^;,]*), "
    r"reference (np\.float64\([^)]*\)|[^;]*)"
)


def _describe_failure(r: Result) -> list[str]:
    c = r.case
    where = f"{c.dtype}, {c.kind} inputs, {c.mode}" + (f", {c.device}" if c.device != "cpu" else "")
    lines = [f"- [{r.check or 'value'}] {where}"]
    w = r.worst
    if w is not None:
        d = c.dtype
        reference = "PyTorch" if r.reference == "torch" else "the exact value"
        lines.append(
            f"    x = {_show(w['x'], d)}: expected {_show(w['expected'], d)}, got "
            f"{_show(w['got'], d)} ({_ulps(w['ulp'])} ULP from {reference}"
            + (
                f", {_ulps(w['ulp_truth'])} from the exact value {_show(w['truth'], d)})"
                if w.get("ulp_truth") is not None
                else ")"
            )
        )
    # (The comparison's own note of the worst element repeats the line above.)
    lines.append(f"    {_WORST_NOTE.sub('', r.message) if w else r.message}")
    return lines


# ---------------------------------------------------------------------------------------------
# The run


def verify(
    fn: Callable[..., Any],
    activation: str | Activation,
    /,
    *,
    library: Any = "numpy",
    dtypes: Sequence[str] | str | None = None,
    device: str = "cpu",
    grad: Callable[..., Any] | bool | None = None,
    quick: bool = False,
    pass_params: bool = False,
    name: str | None = None,
    cache_dir: str | Path | None = None,
    **params: Any,
) -> Verification:
    """Run ``fn`` on the conformance cases of ``activation`` (with ``params``: PyTorch's
    setting to compare with) and judge every result against PyTorch and the exact value.

    ``fn(x)`` gets arrays of ``library`` (``fn(x, **params)`` with ``pass_params``): a name
    (``numpy``, ``torch``, ``jax``, ``dask``, ``array_api_strict``...), any array-API namespace
    module, or a pair of converters ``(to_array, to_numpy)``. ``dtypes``: those to run (default:
    every floating dtype the library has here). ``grad``: also check the gradient, by a
    function ``grad(x, g)`` returning the vector-Jacobian product ``g * f'(x)`` (for a function
    that reduces along an axis, ``g @ J``), or ``True`` for the library's autograd through
    ``fn`` (PyTorch, JAX). ``quick``: the suite's CI-sized profile (float32 unless ``dtypes``
    says otherwise, fewer points, no exact values where PyTorch answers). Errors raised by
    ``fn`` are failures of their cases; a call that cannot run raises
    :class:`~multiact.conformance.verifying.UsageError`.
    """
    a = _activation(activation)
    params = _params(a, params)
    adapter = _adapter(library)
    profile = PROFILES["quick" if quick else "full"]
    wanted = _dtypes(dtypes, adapter, quick)
    if wanted is not None:
        profile = dataclasses.replace(profile, dtypes=None)
    if device not in adapter.devices:
        raise UsageError(
            f"{adapter.title} arrays cannot live on {device!r}; they can on "
            f"{', '.join(adapter.devices)}"
        )
    modes = ["forward"]
    gradient = None
    if grad is True:
        if not adapter.has_autograd:
            raise UsageError(f"grad=True needs autograd, and {adapter.title} has none here")
        modes.append("autograd")
    elif callable(grad):
        gradient = grad
        modes.append("vjp")
    elif grad not in (None, False):
        raise UsageError(f"grad must be a function grad(x, g), True or None; got {grad!r}")
    if not callable(fn):
        raise UsageError(f"the function to verify must be callable; got {type(fn).__name__}")
    target_name = _unique(name or describe(fn))
    target = FunctionTarget(
        target_name, adapter, function=fn, gradient=gradient, pass_params=pass_params
    )
    cases = target_cases(a, params, target, profile, wanted, device, modes)
    if not cases:
        raise UsageError(f"no cases to run ({adapter.title}, dtypes {wanted}, on {device})")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    with registered(target):
        results = _run(cases, profile, cache)
    return Verification(
        name=target_name,
        activation=a.name,
        label=a.variant_label(params),
        params=params,
        library=adapter.title,
        profile=profile.name,
        results=results,
        target=target,
    )


def _run(cases: Sequence[Case], profile: Profile, cache_dir: Path) -> list[Result]:
    engine = Engine(profile, cache_dir)
    try:
        return engine.run(cases)
    except OSError:  # an unwritable cache directory: the exact values are computed again
        return Engine(profile, None).run(cases)


def _activation(activation: str | Activation) -> Activation:
    name = activation if isinstance(activation, str) else getattr(activation, "name", None)
    if not isinstance(name, str):
        raise UsageError(f"activation must be a name (gelu, leaky_relu...); got {activation!r}")
    try:
        return lookup(name)
    except KeyError as error:
        raise UsageError(error.args[0]) from None


def _params(a: Activation, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` checked against the registry's parameters, typed as the engine keeps them
    (tuples for arrays), PyTorch's defaults left out, and the axis of a function that reduces
    always said (``fn`` reduces along one axis: the cases must not vary it)."""
    out: dict[str, Any] = {}
    names = {p.name: p for p in a.math_params}
    for key, value in given.items():
        key = "axis" if key == "dim" and "axis" in names else key
        if key not in names:
            known = ", ".join(names) or "none"
            raise UsageError(f"{a.name} has no parameter {key!r} to compare with; its: {known}")
        p = names[key]
        try:
            value = _typed(p, value)
        except (TypeError, ValueError):
            raise UsageError(f"{a.name}: {key}={value!r} is not a valid {p.kind}") from None
        if p.kind == "choice" and p.choices and value not in p.choices:
            raise UsageError(f"{a.name}: {key}={value!r}; expected one of {', '.join(p.choices)}")
        if p.kind == "flag" and key == "training" and value:
            raise UsageError(f"{a.name}: training=True is random: there is no reference")
        if p.required or value != p.default or p.kind == "axis":
            out[key] = value
    missing = [p.name for p in a.math_params if p.required and p.name not in out]
    if missing:
        raise UsageError(f"{a.name} needs {', '.join(missing)} (PyTorch's setting to compare with)")
    axis = next((p for p in a.math_params if p.kind == "axis"), None)
    if axis is not None and axis.name not in out:
        out[axis.name] = axis.default
    return {p.name: out[p.name] for p in a.math_params if p.name in out}


def _typed(p: Any, value: Any) -> Any:
    if p.kind == "real":
        return float(value)
    if p.kind == "axis":
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(value)
        return int(value)
    if p.kind == "array":
        return tuple(float(v) for v in np.atleast_1d(np.asarray(value, dtype=np.float64)))
    if p.kind == "flag":
        if not isinstance(value, bool | np.bool_):
            raise TypeError(value)
        return bool(value)
    return value


def _adapter(library: Any) -> Adapter:
    try:
        adapter = adapter_for(library)
    except (TypeError, ImportError) as error:
        raise UsageError(str(error)) from None
    if not adapter.available():
        raise UsageError(f"library {adapter.module!r} is not installed")
    return adapter


def _dtypes(dtypes: Sequence[str] | str | None, adapter: Adapter, quick: bool) -> list | None:
    """The dtypes asked for (None: the profile's), each checked."""
    if dtypes is None:
        if quick:
            return None
        return [d for d in adapter.dtypes if adapter.dtype_problem(d) is None]
    wanted = [dtypes] if isinstance(dtypes, str) else [str(d).rpartition(".")[2] for d in dtypes]
    for d in wanted:
        if d not in _FLOATS:
            raise UsageError(f"unknown dtype {d!r}; expected one of {', '.join(_FLOATS)}")
        if d not in adapter.dtypes:
            raise UsageError(f"{adapter.title} has no {d} here; it has {', '.join(adapter.dtypes)}")
        problem = adapter.dtype_problem(d)
        if problem is not None:
            raise UsageError(f"{d} cannot run here: {problem}")
    return wanted


def describe(fn: Any) -> str:
    """A readable name for ``fn``: ``jax.nn.gelu``, ``mypkg.act.fast_gelu``."""
    inner = getattr(fn, "func", None)  # functools.partial
    if inner is not None and not hasattr(fn, "__qualname__"):
        return describe(inner)
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = qualname.rpartition("<locals>.")[2]  # a function defined in a function
    if module in (None, "builtins", "__main__"):
        return qualname
    # A function its module does not hold (a doctest's, a test's local one): its own name.
    if inspect.isfunction(fn) and getattr(sys.modules.get(module), fn.__name__, None) is not fn:
        return qualname
    return f"{module}.{qualname}"


def _unique(name: str) -> str:
    """``name``, or ``name#2``... where a target is already called that (a built-in one)."""
    candidate, n = name, 1
    while True:
        try:
            by_name(candidate)
        except KeyError:
            return candidate
        n += 1
        candidate = f"{name}#{n}"


def load_function(spec: str) -> Any:
    """The object named ``PACKAGE.MODULE:FUNCTION`` (``:CLASS.METHOD`` too; a class is
    instantiated without arguments, as a ``torch.nn.Module`` is), or ``PACKAGE.MODULE.FUNCTION``."""
    module_name, colon, attribute = spec.partition(":")
    if not colon:
        module_name, _, attribute = spec.rpartition(".")
    if not module_name or not attribute:
        raise UsageError(f"{spec!r}: expected PACKAGE.MODULE:FUNCTION")
    try:
        obj = importlib.import_module(module_name)
    except Exception as error:  # whatever importing the user's module raises
        raise UsageError(
            f"cannot import {module_name!r}: {type(error).__name__}: {error}"
        ) from None
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"{module_name!r} has no attribute {attribute!r}") from None
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as error:
            raise UsageError(
                f"cannot instantiate {spec}: {type(error).__name__}: {error}"
            ) from None
    if not callable(obj):
        raise UsageError(f"{spec} is not callable ({type(obj).__name__})")
    return obj
