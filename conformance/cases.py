"""The conformance cases, derived from the registry: nothing here names an activation.

A case is one cell of the matrix: activation x parameterisation x target x dtype x device x
case kind x mode. Its id reads ``gelu[tanh]-jax-bfloat16-cpu-grid`` (forward) or
``relu-torch-float32-cpu-kinks-autograd`` (a gradient).

Case kinds
----------
Value kinds (the numbers): ``special`` (0, -0.0, +-inf, NaN, the smallest subnormal and normal,
+-1 and +-float max of the dtype), ``kinks`` (every probe point of the function and its two
neighbours in the dtype, see :func:`conformance.truth.probe_points`), ``grid`` (a dense grid over
``activation.domain``, rounded to bfloat16: the same points in every dtype, so the dtypes are
compared at the same x and the exact values are computed once) and ``random`` (fixed seed, per
dtype, with the dtype's full precision: mostly the domain widened by half its width, a quarter
log-uniform over the dtype's whole exponent range). Functions that reduce along an
axis get ``rows`` instead of ``special``/``kinks``: rows that are all -inf, all +inf, hold one
inf or NaN among numbers, huge or subnormal numbers; their ``grid`` and ``random`` values come
as rows too.

Shape kinds (the layout): ``0d``, ``empty``, ``strided`` (a non-contiguous view: every other
element of a larger array whose other elements are NaN), ``long`` (for elementwise functions:
the special values and kinks embedded in 1 093 grid values, where vectorised loops meet them,
at every lane and in the tail; in every dtype) and ``batched`` (a 3-d array; for
functions that reduce, ``batched-axisK`` for each axis K of it, unless the parameterisation
fixes the axis itself).

Modes: ``forward``; ``vjp`` (``multiact.vjp``, on every target reached through the public API);
``autograd`` (PyTorch autograd through multiact on tensors, ``jax.vjp`` on JAX arrays).

Execution batches the value kinds: for an elementwise function they are concatenated into one
array (one call per target, dtype and mode), for a reducing one stacked as rows; each kind is then
judged on its own slice. That is exact for functions that act element by element or row by row,
and it keeps the number of JAX compilations and Dask graphs small. The batch is padded (with
grid values that are not judged) to a multiple of ``PAD`` elements or ``PAD_ROWS`` rows, so that
every activation's batch has one of a few shapes and JAX's per-shape compilations of its
primitives are shared. The shape kinds are separate calls, since their layout is the point.
JAX arrays have no strides (slicing copies), so JAX targets have no ``strided`` kind, and for
elementwise functions only the ``0d`` layout (the adapters say so; see :func:`target_has_kind`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from multiact._checks import did_you_mean
from multiact._registry import ACTIVATIONS, Activation, lookup

from .distance import round_to
from .targets import ALL_TARGETS, TARGETS, Target

__all__ = [
    "FULL",
    "MODES",
    "PROFILES",
    "QUICK",
    "Batch",
    "Case",
    "Profile",
    "build_batch",
    "enumerate_cases",
    "target_cases",
]

MODES = ("forward", "vjp", "autograd")
_VALUE_KINDS_ELEMENTWISE = ("special", "kinks", "grid", "random")
_VALUE_KINDS_REDUCING = ("rows", "grid", "random")
_SHAPE_KINDS = ("0d", "empty", "strided", "long", "batched")
#: Length of a ``long`` case: many vectors of every SIMD width, with a tail beyond them.
LONG = 1093
#: Length of a row for functions that reduce (even: glu halves it).
ROW = 8
#: The 3-d shape of the ``batched`` kinds (even along every axis, for glu).
BATCHED_SHAPE = (4, 6, 8)
#: Value batches are padded to a multiple of this many elements (elementwise) or rows.
PAD = 256
PAD_ROWS = 32


@dataclass(frozen=True)
class Profile:
    """How much of the matrix to run: which kinds and modes, how many points."""

    name: str
    grid: int
    random: int
    kinds: tuple[str, ...]
    modes: tuple[str, ...]
    #: None: every dtype each target has.
    dtypes: tuple[str, ...] | None
    #: Compute the mpmath truth (always computed where PyTorch has no reference).
    truth: bool = True
    #: The kinds the gradient modes run (None: all of ``kinds``).
    gradient_kinds: tuple[str, ...] | None = None
    #: The dtypes the shape kinds run in (None: all). Layout code is dtype-independent, except
    #: the half-precision paths (computed in float32 and rounded), which float16 exercises.
    shape_dtypes: tuple[str, ...] | None = None
    #: The same for the gradient modes.
    gradient_shape_dtypes: tuple[str, ...] | None = None


FULL = Profile(
    "full",
    grid=513,
    random=256,
    kinds=(*_VALUE_KINDS_ELEMENTWISE, "rows", *_SHAPE_KINDS),
    modes=MODES,
    dtypes=None,
    shape_dtypes=("float16", "float32"),
    gradient_shape_dtypes=("float32",),
)
#: A CI-sized subset: every activation, parameterisation, target and mode, in float32, with
#: fewer points; the forward pass also on the layouts that catch most (0-d arrays,
#: non-contiguous views, long arrays). Judged against PyTorch and the exact value, as the full
#: profile is (with the accuracy budgets): the exact values of its points cost about 2 s of
#: CPU time on an empty cache (measured: 34.5 s against 32.6 s for the whole profile in one
#: process), and 1 MB in the cache.
QUICK = Profile(
    "quick",
    grid=129,
    random=64,
    kinds=(*_VALUE_KINDS_ELEMENTWISE, "rows", "0d", "strided", "long"),
    modes=MODES,
    dtypes=("float32",),
    gradient_kinds=(*_VALUE_KINDS_ELEMENTWISE, "rows", "long"),
)
PROFILES = {p.name: p for p in (FULL, QUICK)}


def _freeze(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())


@dataclass(frozen=True)
class Case:
    """One test of the conformance matrix."""

    activation: str
    #: The parameterisation, as the registry lists it (``()`` for the defaults).
    params: tuple[tuple[str, Any], ...]
    target: str
    dtype: str
    device: str
    kind: str
    mode: str = "forward"
    profile: str = "full"

    @property
    def spec(self) -> Activation:
        return lookup(self.activation)

    @property
    def label(self) -> str:
        """``gelu[tanh]``: the activation and its parameterisation."""
        return self.spec.variant_label(dict(self.params))

    @property
    def id(self) -> str:
        suffix = "" if self.mode == "forward" else f"-{self.mode}"
        return f"{self.label}-{self.target}-{self.dtype}-{self.device}-{self.kind}{suffix}"

    @property
    def gradient(self) -> bool:
        return self.mode != "forward"

    @property
    def batch(self) -> str:
        """The input this case is judged on: ``values`` for the value kinds, else its kind."""
        if self.kind in _VALUE_KINDS_ELEMENTWISE or self.kind == "rows":
            return "values"
        return self.kind

    @property
    def batch_key(self) -> tuple:
        """Cases with the same key are computed by one call."""
        return (
            self.activation,
            self.params,
            self.target,
            self.dtype,
            self.device,
            self.mode,
            self.batch,
            self.profile,
        )

    @property
    def job(self) -> tuple[str, tuple]:
        """The unit of parallel work: one parameterisation of one activation."""
        return (self.activation, self.params)

    def effective_params(self) -> dict[str, Any]:
        """The parameterisation, with the axis of a ``batched-axisK`` case."""
        params = dict(self.params)
        if self.kind.startswith("batched-axis"):
            axis_param = next(p.name for p in self.spec.params if p.kind == "axis")
            params[axis_param] = int(self.kind.removeprefix("batched-axis"))
        return params


def _axis_param(a: Activation) -> str | None:
    return next((p.name for p in a.params if p.kind == "axis"), None)


def kinds_for(a: Activation, params: Mapping[str, Any], profile: Profile) -> list[str]:
    """The case kinds of one parameterisation under ``profile``."""
    value = _VALUE_KINDS_REDUCING if a.reduces else _VALUE_KINDS_ELEMENTWISE
    kinds = [k for k in value if k in profile.kinds]
    for k in _SHAPE_KINDS:
        if k not in profile.kinds or (k == "long" and a.reduces):
            continue
        if k == "batched" and a.reduces and _axis_param(a) not in params:
            kinds += [f"batched-axis{i}" for i in range(len(BATCHED_SHAPE))]
        else:
            kinds.append(k)
    return kinds


def target_has_kind(target: Target, kind: str, reduces: bool = False) -> bool:
    """Which layout kinds a target runs.

    Where slicing copies (JAX arrays have no strides) a ``strided`` view would be a plain copy;
    where every shape runs the same elementwise kernel (XLA compiles one, shape-agnostic, per
    shape), an empty or 3-d array adds nothing to the 1-d batch, so such targets run only the
    0-d layout there (where kernels do special-case scalars); functions that reduce run every
    layout.
    """
    if kind == "strided" and not target.adapter.strided_views:
        return False
    if target.adapter.shape_agnostic_elementwise and not reduces:
        return kind not in ("empty", "batched")
    return True


def modes_for(target: Target) -> tuple[str, ...]:
    """``forward`` everywhere; ``vjp`` through the public API; autograd where the library has
    it (PyTorch, JAX)."""
    if target.forced_generic:
        # multiact.vjp dispatches on the array type: on these arrays it is exactly the
        # numpy/torch/jax target's vjp, already in the matrix.
        return ("forward",)
    if target.adapter.has_autograd:
        return MODES
    return ("forward", "vjp")


def _synonyms() -> dict[str, str]:
    """Other spellings of each backend's name: its library's import name, usual alias, title."""
    return {
        spelling.lower(): t.name
        for t in ALL_TARGETS
        if not t.forced_generic
        for spelling in (t.adapter.module, t.adapter.title, *t.adapter.aliases)
    }


def select_targets(names: Iterable[str] | None = None) -> list[Target]:
    """The targets called ``names`` (all of them for None); unknown names raise ValueError."""
    if names is None:
        return list(TARGETS)
    by_name = {t.name: t for t in TARGETS}
    known = {t.name: t for t in ALL_TARGETS}
    chosen = []
    for name in names:
        if name == "generic":  # shorthand for the generic kernels on every library
            chosen += [t for t in TARGETS if t.forced_generic]
            continue
        if name not in by_name and name in known:
            title = known[name].adapter.title
            raise ValueError(f"backend {name!r} needs {title}, which is not installed")
        if name not in by_name:
            meant = _synonyms().get(name.lower(), name)
            hint = did_you_mean(meant, by_name)
            raise ValueError(
                f"unknown backend {name!r}{hint} (the backends: {', '.join(by_name)}, or "
                "generic for the three generic ones)"
            )
        chosen.append(by_name[name])
    return list(dict.fromkeys(chosen))


def select_activations(names: Iterable[str] | None = None) -> list[Activation]:
    """The activations called ``names`` (canonical names or aliases; all for None)."""
    if names is None:
        return list(ACTIVATIONS.values())
    chosen: dict[str, Activation] = {}
    for name in names:
        try:
            a = lookup(name)
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        chosen.setdefault(a.name, a)
    return list(chosen.values())


def enumerate_cases(
    profile: Profile = FULL,
    *,
    activations: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
    device: str = "cpu",
    modes: Sequence[str] | None = None,
) -> list[Case]:
    """Every case of the matrix, from the registry and the targets; cheap (nothing runs).

    Targets that cannot place arrays on ``device`` are left out (CuPy on ``cpu``; NumPy, Dask
    and array-api-strict on ``cuda``); uninstalled targets stay in and are reported as skipped.
    """
    cases = []
    for a in select_activations(activations):
        for params in a.parameterisations:
            for target in select_targets(targets):
                cases += target_cases(a, params, target, profile, dtypes, device, modes)
    return cases


def target_cases(
    a: Activation,
    params: Mapping[str, Any],
    target: Target,
    profile: Profile = FULL,
    dtypes: Sequence[str] | None = None,
    device: str = "cpu",
    modes: Sequence[str] | None = None,
) -> list[Case]:
    """The cases of one parameterisation of ``a`` on one target (``enumerate_cases`` for
    one cell; ``conformance.verify`` for a target of its own)."""
    cases: list[Case] = []
    if device not in target.devices:
        return cases
    kinds = kinds_for(a, params, profile)
    for dtype in target.dtypes:
        if profile.dtypes is not None and dtype not in profile.dtypes:
            continue
        if dtypes is not None and dtype not in dtypes:
            continue
        for mode in modes_for(target):
            if mode not in profile.modes or (modes is not None and mode not in modes):
                continue
            for kind in kinds:
                if not target_has_kind(target, kind, a.reduces):
                    continue
                grad_kinds = profile.gradient_kinds
                if mode != "forward" and grad_kinds and kind not in grad_kinds:
                    continue
                shape_dtypes = (
                    profile.shape_dtypes if mode == "forward" else profile.gradient_shape_dtypes
                )
                # long is about values (special ones in vectorised loops), which differ by
                # dtype: every dtype runs it.
                is_shape = kind in _SHAPE_KINDS or kind.startswith("batched")
                is_shape = is_shape and kind != "long"
                if is_shape and shape_dtypes and dtype not in shape_dtypes:
                    continue
                cases.append(
                    Case(
                        a.name,
                        _freeze(params),
                        target.name,
                        dtype,
                        device,
                        kind,
                        mode,
                        profile.name,
                    )
                )
    return cases


# ---------------------------------------------------------------------------------------------
# Input values


#: (smallest subnormal, smallest normal, largest finite) of each dtype.
_LIMITS = {
    "float16": (2.0**-24, 2.0**-14, 65504.0),
    "bfloat16": (2.0**-133, 2.0**-126, 3.3895313892515355e38),
    "float32": (2.0**-149, 2.0**-126, 3.4028234663852886e38),
    "float64": (5e-324, 2.2250738585072014e-308, 1.7976931348623157e308),
}


def dtype_limits(dtype: str) -> tuple[float, float, float]:
    """(smallest subnormal, smallest normal, largest finite) of ``dtype``."""
    return _LIMITS[dtype]


def neighbours(value: float, dtype: str) -> tuple[float, float]:
    """The next representable numbers of ``dtype`` below and above ``value``."""
    v = float(round_to(value, dtype))
    if dtype == "float64":
        return float(np.nextafter(v, -np.inf)), float(np.nextafter(v, np.inf))
    if dtype == "float32":
        f = np.float32(v)
        return float(np.nextafter(f, np.float32(-np.inf))), float(
            np.nextafter(f, np.float32(np.inf))
        )
    if dtype == "float16":
        f = np.float16(v)
        return float(np.nextafter(f, np.float16(-np.inf))), float(
            np.nextafter(f, np.float16(np.inf))
        )
    # bfloat16: the upper half of a float32; step its bit pattern.
    bits = int(np.array(v, dtype=np.float32).view(np.uint32)) >> 16

    def from_bits(b: int) -> float:
        return float(np.array(b << 16, dtype=np.uint32).view(np.float32))

    if v == 0:
        tiny = from_bits(1)
        return -tiny, tiny
    if v > 0:
        return from_bits(bits - 1), from_bits(bits + 1)
    return from_bits(bits + 1), from_bits(bits - 1)


def special_values(dtype: str) -> np.ndarray:
    sub, normal, big = dtype_limits(dtype)
    return np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, sub, -sub, normal, -normal, 1.0, -1.0, big, -big]
    )


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, key)).encode()))


def _random_values(a: Activation, n: int, dtype: str, key: str) -> np.ndarray:
    rng = _rng(key, dtype, "random")
    low, high = a.domain
    width = high - low
    wide = rng.uniform(low - width / 2, high + width / 2, n - n // 4)
    sub, _, big = dtype_limits(dtype)
    exponents = rng.uniform(np.log2(sub), np.log2(big), n // 4)
    signs = rng.choice([-1.0, 1.0], n // 4)
    return np.concatenate([wide, signs * np.exp2(exponents)])


def _long_values(
    a: Activation, dtype: str, probes: Sequence[float], profile: Profile
) -> np.ndarray:
    """``LONG`` grid values with the special values and kinks embedded: where PyTorch (and
    NumPy) run their vectorised loops, at every offset within a vector, and in the tail.

    PyTorch's answer at a special value can depend on the loop that meets it (its vectorised
    float32 gelu(+inf) is NaN, its scalar one inf): short arrays alone would never show what
    users meet in real tensors.
    """
    low, high = a.domain
    values = np.resize(round_to(np.linspace(low, high, profile.grid), "bfloat16"), LONG)
    embedded = np.concatenate([special_values(dtype), probe_values(probes, dtype)])
    # Spread over the body at a stride coprime to every vector width (so each lands at a
    # different lane), and once more at the very end (the scalar tail).
    body = (37 + 67 * np.arange(embedded.size)) % (LONG - embedded.size)
    values[body] = embedded
    values[LONG - embedded.size :] = embedded
    return round_to(values, dtype)


def _special_rows(dtype: str) -> np.ndarray:
    sub, normal, big = dtype_limits(dtype)
    inf, nan = np.inf, np.nan
    rows = [
        [-inf] * ROW,
        [inf] * ROW,
        [1.0, -inf, 2.0, 0.5, -1.0, 3.0, 0.0, -2.0],
        [1.0, inf, 2.0, 0.5, -1.0, 3.0, 0.0, -2.0],
        [-inf, -inf, -inf, 1.0, -inf, -inf, 2.0, -inf],
        [inf, -inf, 0.0, 1.0, -1.0, 2.0, -2.0, 0.5],
        [nan, 1.0, 2.0, 0.5, -1.0, 3.0, 0.0, -2.0],
        [0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0],
        [big, big / 2, -big, 0.0, big, 1.0, -1.0, -big / 2],
        [sub, -sub, normal, -normal, 0.0, sub, -0.0, normal],
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [1e4, -1e4, 0.0, -0.0, 5.0, 1e4, -5.0, 6.0],
    ]
    return np.array(rows)


def probe_values(probes: Iterable[float], dtype: str) -> np.ndarray:
    """Each probe point rounded to ``dtype``, with its two neighbours there."""
    out: list[float] = []
    _, _, big = dtype_limits(dtype)
    for p in probes:
        v = float(round_to(p, dtype))
        if not np.isfinite(v) or abs(v) > big:
            continue
        below, above = neighbours(v, dtype)
        out += [below, v, above]
    return np.array(sorted(set(out), key=lambda v: (v, np.signbit(v))), dtype=np.float64)


@dataclass
class Batch:
    """One call's input: the values (float64, representable in the dtype) and their layout.

    ``rows`` is the input as a matrix of rows along the reduced axis (for elementwise functions,
    the flat values); ``segments`` maps each value kind to its rows. ``values`` is the array as
    handed to the backend (``axis`` says where the rows run), ``strided`` asks for it as a
    non-contiguous view.
    """

    values: np.ndarray
    axis: int | None
    params: dict[str, Any]
    segments: dict[str, slice] = field(default_factory=dict)
    strided: bool = False

    def rows_of(self, array: np.ndarray) -> np.ndarray:
        """An input- or output-shaped array as rows along the reduced axis."""
        if self.axis is None:
            return np.reshape(array, -1)
        if np.ndim(array) == 0:
            return np.reshape(array, (1, 1))
        moved = np.moveaxis(array, self.axis, -1)
        return moved.reshape(int(np.prod(moved.shape[:-1])), moved.shape[-1])

    def segment(self, array: np.ndarray, kind: str) -> np.ndarray:
        if kind not in self.segments:
            return np.asarray(array)
        return self.rows_of(array)[self.segments[kind]]


def _place_rows(rows: np.ndarray, axis: int) -> np.ndarray:
    """A (rows, ROW) matrix laid out so that its rows run along ``axis`` of a 2-d array."""
    return rows if axis in (-1, 1) else rows.T


def build_batch(
    a: Activation,
    params: Mapping[str, Any],
    dtype: str,
    batch: str,
    profile: Profile,
    probes: Sequence[float] = (),
    kinds: Sequence[str] | None = None,
) -> Batch:
    """The input of one batch (``values`` or a shape kind) for one parameterisation and dtype."""
    params = dict(params)
    key = a.variant_label(params)
    low, high = a.domain
    axis_name = _axis_param(a)
    if batch.startswith("batched-axis"):
        params[axis_name] = int(batch.removeprefix("batched-axis"))
    axis = params.get(axis_name, a.defaults.get(axis_name)) if axis_name else None
    rng = _rng(key, dtype, batch)

    if batch == "values":
        kinds = list(kinds or kinds_for(a, params, profile))
        parts: dict[str, np.ndarray] = {}
        # Rounded to bfloat16, whose numbers every dtype has (within the domains, which are
        # far from float16's limits): one set of grid points, and of exact values, for all.
        grid = round_to(np.linspace(low, high, profile.grid), "bfloat16")
        random = _random_values(a, profile.random, dtype, key)
        if axis is None:
            parts["special"] = special_values(dtype)
            parts["kinks"] = probe_values(probes, dtype)
            parts["grid"] = grid
            parts["random"] = random
        else:
            parts["rows"] = _special_rows(dtype)
            # A quarter of the points: rows of consecutive grid values test less than a grid
            # of an elementwise function does, and each row's exact gradient is costly.
            grid = np.linspace(low, high, profile.grid // 4)
            usable = len(grid) - len(grid) % ROW
            parts["grid"] = grid[:usable].reshape(-1, ROW)
            parts["random"] = (3.0 * rng.standard_normal(profile.random)).reshape(-1, ROW)
        segments, chunks, start = {}, [], 0
        for kind in kinds:
            if kind not in parts:
                continue
            chunk = round_to(parts[kind], dtype)
            segments[kind] = slice(start, start + len(chunk))
            start += len(chunk)
            chunks.append(chunk)
        # Pad with grid values (not judged) to a shape that other activations' batches share.
        multiple = PAD if axis is None else PAD_ROWS
        padding = -start % multiple
        if padding:
            pad = np.resize(parts["grid"], (padding, *np.shape(parts["grid"])[1:]))
            chunks.append(round_to(pad, dtype))
        rows = np.concatenate(chunks)
        values = rows if axis is None else _place_rows(rows, axis)
        return Batch(values, axis, params, segments)

    if batch == "0d":
        return Batch(round_to(np.array(low + (high - low) / 3), dtype), axis, params)
    if batch == "empty":
        if axis is None:
            return Batch(np.zeros((0,)), None, params)
        return Batch(_place_rows(np.zeros((2, 0)), axis), axis, params)
    if batch == "strided":
        if axis is None:
            values = np.concatenate([np.linspace(low, high, 61), special_values(dtype)[:5]])
            return Batch(round_to(values, dtype), None, params, strided=True)
        rows = round_to(3.0 * rng.standard_normal((6, ROW)), dtype)
        return Batch(_place_rows(rows, axis), axis, params, strided=True)
    if batch == "long":
        return Batch(_long_values(a, dtype, probes, profile), None, params)
    if batch.startswith("batched"):
        values = rng.uniform(low, high, BATCHED_SHAPE)
        return Batch(round_to(values, dtype), axis, params)
    raise ValueError(f"unknown case kind {batch!r}")
