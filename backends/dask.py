"""Dask backend: one layer of tasks per call, each chunk computed by multiact on its own library.

A Dask array is a grid of chunks of another library (NumPy, CuPy, ...) that multiact already
computes with that library's own kernels. So an elementwise activation here is one ``blockwise``
layer, one task per chunk, calling multiact's public function on the chunk: the chunk's backend
does the work, with its dtype rules (integers promoted, complex formulas, float16 in float32).
The result's dtype, chunks and meta (an empty array of the chunk library) are declared from the
registry's rules, so building the graph computes nothing. The generic array-API kernels, which
Dask arrays took before this backend, make one layer per ``xp`` call instead (29 966 tasks for
the exact GELU of 64 chunks; the ``generic-dask`` conformance target still runs them).

A function of an axis whose axis lies in one chunk is elementwise for this purpose. Along an axis
cut into several chunks:

- softmax, log_softmax and softmin: one tree reduction (``dask.array.reduction``) carries each
  row's maximum ``m`` and its sum of exponentials ``s``, chunk by chunk, merged as
  ``(max(m1, m2), s1 e^(m1 - m) + s2 e^(m2 - m))`` in float64; then one blockwise layer computes
  ``exp(x - m) / s`` with the row's own maximum, the exponent PyTorch takes (rows whose maximum
  is not finite give NaN, as in PyTorch);
- glu: one task per output chunk, taking its piece of the first half and the matching pieces of
  the second half from whichever chunks hold them (the halves' chunks need not line up), and
  running the chunk library's glu on the two joined;
- sparsemax, and any other function of whole rows: it needs each sorted row, so one task per
  row of chunks joins the row and runs the chunk library's kernel, and one task per chunk takes
  its piece of the result (the memory of one row of chunks at a time).

``multiact.vjp`` on Dask arrays takes the same paths (:func:`vjp`); real parameters given as 0-d
Dask arrays stay lazy (:func:`with_array_params`). ``inplace=True`` never writes into a chunk
(chunks may be the caller's own arrays, as ``from_array`` shares them): like Dask's own
``x[...] = y``, ``x`` is rebound to the lazy result.
"""

from __future__ import annotations

import bisect
import functools
import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import dask.array as da
import numpy as np
from dask.array.utils import meta_from_array
from dask.base import tokenize
from dask.core import flatten
from dask.highlevelgraph import HighLevelGraph

from multiact import _checks, _derivatives, _dispatch, _functional, _numerics, _vjp
from multiact._namespace import namespace
from multiact._registry import ACTIVATIONS, Activation

NAME = "dask"
#: The dtypes seen to pass the dtype checks (the Backend contract in backends/__init__.py).
#: Dask's dtypes are NumPy's, whatever the chunks' library.
FLOATS: set[np.dtype] = set()
REALS: set[np.dtype] = set()
#: No kernels at the defaults (backends.Backend.AT_DEFAULTS): every call takes the kernels below.
AT_DEFAULTS = None

_FLOATS_BY_NAME = {name: np.dtype(name) for name in ("float16", "float32", "float64")}
_FLOATS_BY_DTYPE = {d: d for d in _FLOATS_BY_NAME.values()}


def dtype_kind(x: Any) -> str:
    return x.dtype.kind


def promote(x: Any) -> Any:
    """An integer or bool ``x`` as it is: each chunk is promoted by its own backend (to
    float32), and the kernels declare float32 for the result. A cast here would be a layer of
    tasks of its own."""
    return x


def float_dtype(fn: str, dtype: object, x: Any) -> np.dtype:
    """``dtype=`` as one of Dask's (NumPy's) floating dtypes: a name, or a NumPy dtype."""
    return _checks.dtype_argument(
        fn, dtype, "dask", _FLOATS_BY_NAME, lambda d: _FLOATS_BY_DTYPE[np.dtype(d)]
    )


def cast(x: Any, dtype: np.dtype) -> Any:
    """``x`` in ``dtype`` (a complex ``x``: its real part), as PyTorch's ``x.to(dtype)``."""
    if x.dtype.kind == "c":
        x = x.real
    return x.astype(dtype)


def complex_kernel(name: str) -> Callable[..., Any]:
    """The kernel itself: each chunk's backend picks its complex formula."""
    return globals()[name]


# --- What runs in a task, on one chunk (module-level functions: workers unpickle them).


def _call(
    name: str, params: dict[str, Any], arrays: tuple[str, ...], block: Any, *values: Any
) -> Any:
    """multiact's ``name`` on one chunk; ``arrays`` name the parameters given as 0-d chunks
    (``values``), read there as the numbers they hold."""
    if arrays:
        params = {**params, **dict(zip(arrays, values, strict=True))}
    return getattr(_functional, name)(block, **params)


def _gradient(
    name: str,
    params: dict[str, Any],
    arrays: tuple[str, ...],
    block: Any,
    cotangent: Any,
    *values: Any,
) -> Any:
    """``multiact.vjp`` of ``name`` on one chunk and its cotangent (glu's, in one chunk along
    its halved axis, comes as a list of that chunk)."""
    cotangent = _joined(cotangent, 0)
    if arrays:
        params = {**params, **dict(zip(arrays, values, strict=True))}
    return _vjp.vjp(name, block, cotangent, **params)


def _take(block: Any, axis: int, start: int, stop: int) -> Any:
    """``block[start:stop]`` along ``axis``."""
    return block[(slice(None),) * axis + (slice(start, stop), ...)]


def _joined(parts: Sequence[Any], axis: int) -> Any:
    """Chunks joined along ``axis`` by their own library (a nested list, as Dask hands the
    chunks of a reduction over, is flattened first)."""
    parts = list(flatten(parts)) if isinstance(parts, list) else [parts]
    if len(parts) == 1:
        return parts[0]
    return namespace(parts[0]).concat(parts, axis=axis)


def _on_rows(function: Callable[..., Any], axis: int, *groups: Sequence[Any]) -> Any:
    """``function`` of whole rows, each argument's chunks along ``axis`` joined."""
    return function(*(_joined(group, axis) for group in groups))


def _on_halves(
    function: Callable[..., Any], axis: int, first: Sequence[Any], second: Sequence[Any]
) -> Any:
    """glu of a piece of the first half joined to the matching piece of the second."""
    return function(_joined([*first, *second], axis))


def _halves_gradient(
    function: Callable[..., Any],
    axis: int,
    first: Sequence[Any],
    second: Sequence[Any],
    cotangent: Sequence[Any],
    keep_first: bool,
) -> Any:
    """The gradient of glu on one piece of x: the vjp of the piece's two matching halves joined,
    of which the half ``keep_first`` says is the piece's."""
    grad = function(_joined([*first, *second], axis), _joined(cotangent, axis))
    size = grad.shape[axis] // 2
    return _take(grad, axis, 0, size) if keep_first else _take(grad, axis, size, 2 * size)


def _weighted(
    function: Callable[..., Any],
    per_channel: tuple[int, int] | None,
    block: Any,
    weight: Sequence[Any],
    *rest: Any,
) -> Any:
    """prelu on one chunk (``function(block, *rest, weight)``), given the slopes of the
    chunk's own channels (axis 1), or the single slope."""
    w = _joined(weight, 0) if weight[0].ndim else weight[0]
    if per_channel is not None:
        w = w[per_channel[0] : per_channel[1]]
    return function(block, *rest, w)


def _rrelu_block(block: Any, slopes: np.ndarray, bound: float) -> Any:
    xp = namespace(block)
    return _numerics.rrelu_scaled(block, xp.asarray(slopes), bound, False)


def _narrow(y: Any, x: Any, xp: Any) -> Any:
    """``y``, computed in float32 for a float16 ``x``, rounded once to ``x``'s dtype (beyond
    float16's range: inf, as PyTorch rounds it)."""
    if y.dtype == x.dtype:
        return y
    with np.errstate(over="ignore"):
        return xp.astype(y, x.dtype)


def _stats_dtype(dtype: Any) -> np.dtype:
    """Row statistics are merged in float64 (or a wider float)."""
    return np.result_type(dtype, np.float64)


def _normalised_part(negated: bool, block: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """One chunk's ``(m, s)`` along the axis: its maximum (of ``-x`` for softmin) and
    ``sum(exp(x - m))``, joined along the axis."""
    (axis_,) = axis
    xp = namespace(block)
    w = _numerics.widen(block, xp)
    stats = xp.float64 if _numerics.float_bits(w, xp) < 64 else w.dtype
    with np.errstate(all="ignore"):  # non-finite values: NaN or 0 as below, as in PyTorch
        if w.shape[axis_] == 0:
            total = xp.sum(w, axis=axis_, keepdims=True)  # zeros of the row's shape
            m = total - xp.inf
        else:
            if negated:  # the maximum of -x, and -x - m as NumPy's kernel computes it
                m = -xp.min(w, axis=axis_, keepdims=True)
                s = (-m) - w
            else:
                m = xp.max(w, axis=axis_, keepdims=True)
                s = w - m
            total = xp.sum(xp.exp(s), axis=axis_, keepdims=True)
            # A chunk whose values are all -inf adds nothing to its row (its s is NaN).
            total = xp.where(m == -xp.inf, xp.zeros_like(total), total)
    return xp.concat([xp.astype(m, stats), xp.astype(total, stats)], axis=axis_)


def _normalised_merge(final: bool, parts: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """Several chunks' ``(m, s)`` as one: ``s`` rescaled to the largest ``m``. ``final``:
    NaN as the sum of a row whose maximum is not finite (PyTorch's NaN row)."""
    (axis_,) = axis
    parts = _joined(parts, axis_)
    xp = namespace(parts)
    before = (slice(None),) * axis_
    m_all, s_all = (
        parts[(*before, slice(0, None, 2), ...)],
        parts[(*before, slice(1, None, 2), ...)],
    )
    with np.errstate(all="ignore"):
        m = xp.max(m_all, axis=axis_, keepdims=True)
        scaled = s_all * xp.exp(m_all - m)
        scaled = xp.where(m_all == -xp.inf, xp.zeros_like(scaled), scaled)
        total = xp.sum(scaled, axis=axis_, keepdims=True)
    if final:
        total = xp.where(xp.isfinite(m), total, xp.full_like(total, xp.nan))
    return xp.concat([m, total], axis=axis_)


def _normalised(log: bool, negated: bool, axis: int, block: Any, stats: Any) -> Any:
    """softmax (log_softmax, softmin) of one chunk given its rows' ``(m, s)``."""
    xp = namespace(block)
    w = _numerics.widen(block, xp)
    stats = _joined(stats, axis)  # the one chunk of the rows' statistics
    m = xp.astype(_take(stats, axis, 0, 1), w.dtype)  # exact: the maximum is one of w's values
    total = _take(stats, axis, 1, 2)
    with np.errstate(all="ignore"):  # NaN rows: total is NaN there
        s = (-m) - w if negated else w - m
        if log:  # noqa: SIM108 (the comment belongs to one branch)
            # log(total) from the float64 sum, rounded once: the log of a sum first rounded
            # to float32 is up to an ULP off, which log_softmax's gradient, g - exp(y) sum(g),
            # magnifies where it cancels (4 917 ULP on a conformance case; NumPy's 1 227).
            y = s - xp.astype(xp.log(total), w.dtype)
        else:
            y = xp.exp(s) / xp.astype(total, w.dtype)
    return _narrow(y, block, xp)


def _product_part(y: Any, g: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """One chunk's ``sum(g * y)`` along the axis, in the computation dtype."""
    xp = namespace(y)
    w = _numerics.widen(y, xp)
    return xp.sum(w * xp.astype(g, w.dtype), axis=axis, keepdims=True)


def _sum_part(g: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """One chunk's ``sum(g)`` along the axis, in the computation dtype."""
    xp = namespace(g)
    return xp.sum(_numerics.widen(g, xp), axis=axis, keepdims=True)


def _sum_parts(parts: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    (axis_,) = axis
    parts = _joined(parts, axis_)
    return namespace(parts).sum(parts, axis=axis, keepdims=True)


def _normalised_gradient(name: str, y: Any, g: Any, total: Any) -> Any:
    """``_derivatives``' softmax, log_softmax and softmin, given their row sums
    (``sum(g * y)``; for log_softmax ``sum(g)``)."""
    xp = namespace(y)
    wy = _numerics.widen(y, xp)
    wg = xp.astype(g, wy.dtype)
    with np.errstate(all="ignore"):  # as multiact.vjp: inf * 0 is NaN, silently
        if name == "log_softmax":
            grad = wg - xp.exp(wy) * total
        else:
            grad = wy * (wg - total)
            if name == "softmin":
                grad = -grad
        return _narrow(grad, y, xp)  # y has x's dtype


# --- Building the graphs.


def _meta(x: Any, dtype: Any) -> Any:
    """An empty array of x's chunk library in ``dtype``: what the result's chunks will be."""
    return meta_from_array(x, dtype=dtype)


def _check_chunks(fn: str, x: Any) -> None:
    """Chunks multiact would refuse (masked NumPy arrays, non-arrays) are refused now, with the
    function's error, rather than when the graph computes."""
    if type(x._meta) not in _dispatch._BACKENDS:
        _dispatch.resolve(fn, x._meta)


def _result_dtype(a: Activation, x: Any) -> np.dtype:
    if x.dtype.kind in a.promoted_kinds:
        return np.dtype(np.float32)  # each chunk's backend promotes to float32
    return x.dtype


def _axis_name(a: Activation) -> str:
    return next(p.name for p in a.params if p.kind == "axis")


def _split(x: Any, axis: int) -> bool:
    """Is ``axis`` cut into several chunks?"""
    return x.ndim > 0 and x.numblocks[axis] > 1


def _bounds(chunks: Sequence[int]) -> list[int]:
    return [0, *itertools.accumulate(chunks)]


def _pieces(
    name: str, index: tuple[int, ...], axis: int, bounds: Sequence[int], start: int, stop: int
) -> list[Any]:
    """Tasks giving ``[start, stop)`` along ``axis`` of the chunks in row ``index``."""
    pieces = []
    i = bisect.bisect_right(bounds, start) - 1
    while start < stop:
        end = min(bounds[i + 1], stop)
        if end > start:
            key = (name, *index[:axis], i, *index[axis + 1 :])
            pieces.append((_take, key, axis, start - bounds[i], end - bounds[i]))
        start = end
        i += 1
    return pieces


def _array(
    name: str, tasks: dict[Any, Any], dependencies: Sequence[Any], chunks: Any, meta: Any
) -> Any:
    graph = HighLevelGraph.from_collections(name, tasks, dependencies=list(dependencies))
    return da.Array(graph, name, chunks=chunks, meta=meta)


def _keys(array: Any) -> list[Any]:
    return list(flatten(array.__dask_keys__()))


def _overwrite(x: Any, y: Any) -> Any:
    """``x`` rebound to the lazy result ``y``, as Dask's own ``x[...] = y`` rebinds it: no chunk
    is written, and ``x`` is the array returned."""
    x._meta = y._meta
    x.dask = y.dask
    x._name = y.name
    x._chunks = y.chunks
    return x


def _blockwise(
    function: Callable[..., Any],
    name: str,
    x: Any,
    others: Sequence[Any],
    arrays: Any,
    dtype: Any,
    halves: int | None = None,
    halved: bool = False,
) -> Any:
    """One task per chunk: ``function(x_chunk, *other_chunks, *array_params)``. ``others`` (a
    cotangent) have x's chunks, ``arrays`` are 0-d (parameters). ``halves`` is glu's axis, in
    one chunk: the result (``halved``) or else the others are half x's size along it."""
    index = tuple(range(x.ndim))
    args: list[Any] = [x, index]
    for other in others:
        if halves is None:
            args += [other.rechunk(x.chunks), index]
        else:  # the halved axis contracted: one chunk of either size
            args += [other, tuple(x.ndim if i == halves else i for i in index)]
    for array in arrays:
        args += [array, ()]
    return da.blockwise(
        function,
        index,
        *args,
        dtype=dtype,
        meta=_meta(x, dtype),
        name=name,
        adjust_chunks={halves: lambda n: n // 2} if halved else None,
        concatenate=False,
    )


def _rows(
    function: Callable[..., Any], name: str, x: Any, others: Sequence[Any], axis: int, dtype: Any
) -> Any:
    """``function`` of whole rows along ``axis``: one task per row of chunks, then one per chunk
    taking its piece (x's chunks). ``others`` (a cotangent) are rechunked to x's chunks."""
    others = [o.rechunk(x.chunks) for o in others]
    meta = _meta(x, dtype)
    rows_name = f"{name}-rows"
    blocks = list(range(x.numblocks[axis]))
    tasks = {}
    for index in np.ndindex(*(1 if i == axis else n for i, n in enumerate(x.numblocks))):
        groups = [
            [(a.name, *index[:axis], k, *index[axis + 1 :]) for k in blocks] for a in (x, *others)
        ]
        tasks[(rows_name, *index)] = (_on_rows, function, axis, *groups)
    whole = tuple(
        (n,) if i == axis else c for i, (n, c) in enumerate(zip(x.shape, x.chunks, strict=True))
    )
    rows = _array(rows_name, tasks, [x, *others], whole, meta)
    bounds = _bounds(x.chunks[axis])
    tasks = {}
    for index in np.ndindex(*x.numblocks):
        j = index[axis]
        row = (rows_name, *index[:axis], 0, *index[axis + 1 :])
        tasks[(name, *index)] = (_take, row, axis, bounds[j], bounds[j + 1])
    return _array(name, tasks, [rows], x.chunks, meta)


def _halves(function: Callable[..., Any], name: str, x: Any, axis: int) -> Any:
    """glu along an axis cut into several chunks: one task per output chunk (the chunks of x's
    first half), from the pieces of x it needs."""
    bounds = _bounds(x.chunks[axis])
    half = x.shape[axis] // 2
    cuts = sorted({b for b in bounds if b < half} | {half})
    tasks = {}
    for index in np.ndindex(*(1 if i == axis else n for i, n in enumerate(x.numblocks))):
        for j, (lo, hi) in enumerate(itertools.pairwise(cuts)):
            first = _pieces(x.name, index, axis, bounds, lo, hi)
            second = _pieces(x.name, index, axis, bounds, half + lo, half + hi)
            key = (name, *index[:axis], j, *index[axis + 1 :])
            tasks[key] = (_on_halves, function, axis, first, second)
    chunks = tuple(
        tuple(b - a for a, b in itertools.pairwise(cuts)) if i == axis else c
        for i, c in enumerate(x.chunks)
    )
    return _array(name, tasks, [x], chunks, _meta(x, x.dtype))


def _halves_gradient_graph(
    function: Callable[..., Any], name: str, x: Any, g: Any, axis: int
) -> Any:
    """glu's gradient along an axis cut into several chunks: one task per chunk of x, from the
    pieces of x and of the cotangent that its part of each half needs."""
    g = g.rechunk({i: c for i, c in enumerate(x.chunks) if i != axis})
    bounds, g_bounds = _bounds(x.chunks[axis]), _bounds(g.chunks[axis])
    half = x.shape[axis] // 2
    tasks = {}
    for index in np.ndindex(*x.numblocks):
        lo, hi = bounds[index[axis]], bounds[index[axis] + 1]
        parts = []
        # The piece's part in the first half, then its part in the second: each is the vjp of
        # glu on the matching pieces of the two halves, of which it keeps its own half.
        for start, stop, shift, keep_first in (
            (lo, min(hi, half), 0, True),
            (max(lo, half), hi, half, False),
        ):
            if start >= stop:
                continue
            a, b = start - shift, stop - shift  # the range in the first half
            parts.append(
                (
                    _halves_gradient,
                    function,
                    axis,
                    _pieces(x.name, index, axis, bounds, a, b),
                    _pieces(x.name, index, axis, bounds, half + a, half + b),
                    _pieces(g.name, index, axis, g_bounds, a, b),
                    keep_first,
                )
            )
        tasks[(name, *index)] = (_joined, parts, axis)
    return _array(name, tasks, [x, g], x.chunks, _meta(x, x.dtype))


def _prelu_graph(
    function: Callable[..., Any], name: str, x: Any, weight: Any, others: Sequence[Any]
) -> Any:
    """prelu: one task per chunk, given the whole weight (at most one slope per channel) and
    taking its own channels' slopes."""
    others = [o.rechunk(x.chunks) for o in others]
    per_channel = x.ndim >= 2 and weight.size > 1
    channels = _bounds(x.chunks[1]) if per_channel else None
    weight_keys = _keys(weight)
    tasks = {}
    for index in np.ndindex(*x.numblocks):
        window = (channels[index[1]], channels[index[1] + 1]) if channels else None
        rest = [(o.name, *index) for o in others]
        tasks[(name, *index)] = (_weighted, function, window, (x.name, *index), weight_keys, *rest)
    return _array(name, tasks, [x, weight, *others], x.chunks, _meta(x, x.dtype))


def _rrelu_training(name: str, x: Any, params: dict[str, Any]) -> Any:
    """rrelu's slopes drawn from the generator here, as the NumPy backend draws them (the same
    seed gives the same slopes), each chunk's piece embedded in its task."""
    rng = _numerics.rrelu_rng(params["generator"], True)
    computed_in = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
    lower = _numerics.as_factor(params["lower"], computed_in, np)
    upper = _numerics.as_factor(params["upper"], computed_in, np)
    slopes = _numerics.rrelu_slopes(rng, lower, upper, tuple(x.shape)).astype(computed_in)
    bound = max(abs(lower), abs(upper))
    bounds = [_bounds(c) for c in x.chunks]
    tasks = {}
    for index in np.ndindex(*x.numblocks):
        window = tuple(slice(b[i], b[i + 1]) for b, i in zip(bounds, index, strict=True))
        tasks[(name, *index)] = (_rrelu_block, (x.name, *index), slopes[window], bound)
    return _array(name, tasks, [x], x.chunks, _meta(x, x.dtype))


#: The functions normalised by their rows' exponentials: (in the log domain, of -x).
_NORMALISED = {"softmax": (False, False), "log_softmax": (True, False), "softmin": (False, True)}


def _normalised_graph(a: Activation, name: str, x: Any, axis: int) -> Any:
    log, negated = _NORMALISED[a.name]
    stats_dtype = _stats_dtype(x.dtype)
    stats = da.reduction(
        x,
        functools.partial(_normalised_part, negated),
        functools.partial(_normalised_merge, True),
        combine=functools.partial(_normalised_merge, False),
        axis=axis,
        keepdims=True,
        dtype=stats_dtype,
        concatenate=False,
        output_size=2,
        meta=_meta(x, stats_dtype),
        name=f"{name}-rows",
    )
    index = tuple(range(x.ndim))
    # The statistics' axis (two values, one chunk) is contracted: each task gets its row's.
    stats_index = tuple(x.ndim if i == axis else i for i in index)
    return da.blockwise(
        functools.partial(_normalised, log, negated, axis),
        index,
        x,
        index,
        stats,
        stats_index,
        dtype=x.dtype,
        meta=_meta(x, x.dtype),
        name=name,
        concatenate=False,
    )


def _compute(a: Activation, x: Any, params: dict[str, Any], arrays: dict[str, Any]) -> Any:
    """Activation ``a`` of ``x``: ``params`` are its validated parameters, ``arrays`` those given
    as 0-d Dask arrays."""
    _check_chunks(a.name, x)
    inplace = params.get("inplace", False)
    if inplace:  # computed as a new array, which x is then rebound to
        params = {**params, "inplace": False}
    name = f"{a.name}-{tokenize(x, a.name, params, *arrays.values())}"
    if a.random and params["training"]:
        y = _rrelu_training(name, x, params)
    elif "weight" in params:
        rest = {k: v for k, v in params.items() if k != "weight"}
        call = functools.partial(_call, a.name, rest, ("weight",))
        y = _prelu_graph(call, name, x, params["weight"], ())
    else:
        call = functools.partial(_call, a.name, params, tuple(arrays))
        axis = params[_axis_name(a)] if a.reduces else None
        if axis is not None and _split(x, axis):
            if a.halves_axis:
                y = _halves(call, name, x, axis)
            elif a.name in _NORMALISED:
                y = _normalised_graph(a, name, x, axis)
            else:
                y = _rows(call, name, x, (), axis, x.dtype)
        else:
            halves = axis if a.halves_axis and x.ndim else None
            dtype = _result_dtype(a, x)
            y = _blockwise(call, name, x, (), arrays.values(), dtype, halves, halved=True)
    return _overwrite(x, y) if inplace else y


def _kernel(a: Activation) -> Callable[..., Any]:
    names = tuple(p.name for p in a.params)

    def kernel(x: Any, *args: Any) -> Any:
        return _compute(a, x, dict(zip(names, args, strict=True)), {})

    kernel.__name__ = kernel.__qualname__ = a.name
    kernel.__doc__ = f"{a.name} of a Dask array: each chunk by multiact on its own library."
    # The Backend contract's signature, x then every parameter (tests/test_api.py checks it).
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    kernel.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, positional) for n in ("x", *names)]
    )
    return kernel


# One kernel per activation of the registry: nothing here is written per activation but the
# functions of an axis above.
for _activation in ACTIVATIONS.values():
    globals()[_activation.name] = _kernel(_activation)
del _activation


def with_array_params(name: str, x: Any, *values: Any) -> Any:
    """``name`` with some real parameters given as 0-d Dask arrays (``multiact._traced``):
    they stay lazy, each task gets them as 0-d chunks, and the chunk's backend reads and checks
    them as numbers when the graph computes."""
    a = ACTIVATIONS[name]
    params = dict(zip((p.name for p in a.params), values, strict=True))
    arrays = {n: v for n, v in params.items() if isinstance(v, da.Array)}
    if a.random and params["training"]:
        # The slopes are drawn when the graph is built, between the bounds' values.
        numbers = {n: float(v) for n, v in arrays.items()}  # computes the 0-d arrays
        return getattr(_functional, name)(x, **{**params, **numbers})
    for n in arrays:
        del params[n]
    return _compute(a, x, params, arrays)


def vjp(name: str, x: Any, y: Any, cotangent: Any, params: dict[str, Any]) -> Any:
    """``multiact.vjp`` of ``name`` on a Dask array (called by it once the arguments are
    checked, ``y`` the forward result): one task per chunk calling ``multiact.vjp`` on the chunk
    and its cotangent; for softmax-like functions along an axis cut into chunks, the row sums
    their gradients need as tree reductions, then one task per chunk."""
    a = ACTIVATIONS[name]
    if a.random and params.get("training"):
        _derivatives.rrelu(x, y, cotangent, None, params["lower"], params["upper"], True)
    _check_chunks(name, x)
    params = {k: v for k, v in params.items() if k != "inplace"}
    arrays = {n: v for n, v in params.items() if isinstance(v, da.Array) and n != "weight"}
    for n in arrays:
        del params[n]
    token = tokenize(x, cotangent, name, params, *arrays.values())
    out = f"{name}-vjp-{token}"
    if "weight" in params:
        rest = {k: v for k, v in params.items() if k != "weight"}
        grad = functools.partial(_gradient, name, rest, ("weight",))
        return _prelu_graph(grad, out, x, params["weight"], (cotangent,))
    grad = functools.partial(_gradient, name, params, tuple(arrays))
    axis = params[_axis_name(a)] if a.reduces else None
    if axis is None or not _split(x, axis):
        halves = axis if a.halves_axis and x.ndim else None
        return _blockwise(grad, out, x, (cotangent,), arrays.values(), x.dtype, halves)
    if a.halves_axis:
        return _halves_gradient_graph(grad, out, x, cotangent, axis)
    if a.name not in _NORMALISED:
        return _rows(grad, out, x, (cotangent,), axis, x.dtype)
    cotangent = cotangent.rechunk(y.chunks)
    computed_in = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
    # The row sums: sum(g) for log_softmax, sum(g * y) for the others.
    summed, part, weights = (
        (cotangent, _sum_part, None) if name == "log_softmax" else (y, _product_part, cotangent)
    )
    total = da.reduction(
        summed,
        part,
        _sum_parts,
        combine=_sum_parts,
        axis=axis,
        keepdims=True,
        dtype=computed_in,
        concatenate=False,
        meta=_meta(x, computed_in),
        weights=weights,
        name=f"{out}-rows",
    )
    index = tuple(range(x.ndim))
    return da.blockwise(
        functools.partial(_normalised_gradient, name),
        index,
        y,
        index,
        cotangent,
        index,
        total,
        index,
        dtype=x.dtype,
        meta=_meta(x, x.dtype),
        name=out,
    )
