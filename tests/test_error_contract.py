"""The error contract of docs/errors.md, checked row by row on every function, class and backend.

The table in the docs is the specification: this module parses it (id, exception, message
shape) and has one case builder per row; a row without builder, or a builder without row,
fails. Each case is a call that must raise the row's exception with a message matching the
row's shape, its ``{fn}`` filled in with the function (or ``nn.Class``) that must be named.
The examples under each row's heading must match that row too (pytest runs them as doctests,
``--doctest-glob=*.md``).
"""

from __future__ import annotations

import builtins
import doctest
import inspect
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from multiact.conformance.targets import TARGETS, Target

import multiact
import multiact.nn as nn
from multiact import ACTIVATIONS, Activation

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
_TABLE = re.compile(r"<!-- contract table:.*?-->\n(.*?)<!-- end of contract table -->", re.DOTALL)


@dataclass(frozen=True)
class Row:
    id: str
    error: type[BaseException]
    message: str

    def pattern(self, owner: str | None) -> re.Pattern[str]:
        """The message shape as a regex: ``{fn}`` is ``owner``, other ``{...}`` and ``…``
        anything."""
        parts = re.split(r"(\{[^{}]*\}|…)", self.message)
        regex = []
        for part in parts:
            if part == "{fn}":
                regex.append(re.escape(owner) if owner else r"[\w.]+")
            elif part == "…" or (part.startswith("{") and part.endswith("}")):
                regex.append(".+?" if part != "…" else ".*")
            else:
                regex.append(re.escape(part))
        return re.compile("".join(regex) + "$", re.DOTALL)


def _exception(cell: str) -> type[BaseException]:
    name = re.search(r"`([\w.]+)`", cell).group(1)
    if name.startswith("multiact."):
        return getattr(multiact, name.removeprefix("multiact."))
    return getattr(builtins, name)


def _rows() -> dict[str, Row]:
    table = _TABLE.search(DOC.read_text()).group(1).strip().splitlines()
    rows = {}
    for line in table[2:]:  # after the header and its rule
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        row_id = cells[0].strip("`")
        rows[row_id] = Row(row_id, _exception(cells[2]), cells[3].strip("`"))
    return rows


ROWS = _rows()

# ----------------------------------------------------------------------------------------------
# What to call: every public function, every multiact.nn class, every backend.

FUNCTIONS = list(ACTIVATIONS.values())
TYPICAL = {a.name: dict(a.parameterisations[0]) for a in FUNCTIONS}
BACKENDS = [t for t in TARGETS if not t.forced_generic]


def _module_for(a: Activation) -> Callable[[], nn.Module]:
    """A module of ``a`` with its typical parameters (``axis`` spelled ``dim``)."""
    cls = getattr(nn, a.module)
    if a.custom_module:
        return cls
    params = {("dim" if k == "axis" else k): v for k, v in TYPICAL[a.name].items()}
    if a.reduces:
        params.setdefault("dim", -1)
    return lambda: cls(**params)


MODULES = [(a.module, a, _module_for(a)) for a in FUNCTIONS] + [
    ("Softmax2d", ACTIVATIONS["softmax"], nn.Softmax2d)
]


def _call(a: Activation, x: object, **params: object) -> object:
    """``a`` on ``x`` with its typical parameters, prelu's weight made an array like ``x``."""
    merged = {**TYPICAL[a.name], **params}
    if isinstance(merged.get("weight"), tuple):
        merged["weight"] = _like(x, np.asarray(merged["weight"]))
    return getattr(multiact, a.name)(x, **merged)


def _like(x: object, values: np.ndarray) -> object:
    target = next(t for t in BACKENDS if t.available() and _is(t, x))
    return target.asarray(values, target.adapter.dtype_name(x.dtype))


def _is(target: Target, x: object) -> bool:
    return type(x).__module__.partition(".")[0] in (
        target.library.partition(".")[0],
        "jaxlib" if target.library == "jax.numpy" else "-",
    )


def _backends_for(index: int) -> list[Target]:
    """Every backend for the first bad value of a list; NumPy alone for the others. (Values
    are checked by the same generated code whatever the backend: one value per backend shows
    that no backend skips the check, and every value on one shows what the check accepts.)"""
    return BACKENDS if index == 0 else [BACKENDS[0]]


def _case(
    row: str, owner: str | None, call: Callable[[], object], label: str, target: Target | None
) -> object:
    marks = []
    if target is not None and not target.available():
        marks.append(pytest.mark.skip(reason=f"{target.library} missing"))
    return pytest.param(row, owner, call, id=f"{row}-{label}", marks=marks)


def _array(target: Target, shape: tuple[int, ...] = (2, 4), dtype: str = "float64") -> object:
    """``target``'s array of ``shape`` (built when a case runs, not at collection)."""
    values = np.linspace(-2.0, 2.0, int(np.prod(shape))).reshape(shape)
    return target.asarray(values, dtype)


# ----------------------------------------------------------------------------------------------
# One builder per row of the table.

CASES: dict[str, Callable[[], Iterator[object]]] = {}


def builds(row: str) -> Callable:
    def register(builder: Callable[[], Iterator[object]]) -> Callable:
        CASES[row] = builder
        return builder

    return register


_NOT_ARRAYS = {
    "list": [1.0, -2.0],
    "tuple": (1.0,),
    "float": 1.0,
    "int": 3,
    "bool": True,
    "str": "relu",
    "None": None,
    "dict": {"x": 1.0},
}


@builds("not-an-array")
def _() -> Iterator[object]:
    names = [n for n in multiact.__all__ if n in _functional_names()]
    for label, bad in _NOT_ARRAYS.items():
        for name in names:
            a = multiact.lookup(name.rstrip("_"))
            fn = getattr(multiact, name)
            kwargs = {k: v for k, v in TYPICAL[a.name].items() if k != "weight"}
            if a.name == "prelu":
                kwargs["weight"] = np.array([0.25])
            yield _case(
                "not-an-array",
                a.name,
                lambda fn=fn, b=bad, k=kwargs: fn(b, **k),
                f"{name}-{label}",
                None,
            )
        for cls, a, make in MODULES:
            yield _case(
                "not-an-array", a.name, lambda m=make, b=bad: m()(b), f"nn.{cls}-{label}", None
            )


def _functional_names() -> set[str]:
    from multiact._codegen import functional_names

    return set(functional_names())


def _matrix() -> np.ndarray:
    with warnings.catch_warnings():  # NumPy discourages np.matrix, which is the point here
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix([[1.0, -2.0, 3.0, -5.0]])


@builds("numpy-subclass")
def _() -> Iterator[object]:
    makers = {
        "masked": lambda: np.ma.array([[1.0, -2.0, 3.0, -5.0]], mask=False),
        "matrix": _matrix,
    }
    for label, make in makers.items():
        for a in FUNCTIONS:
            yield _case(
                "numpy-subclass",
                a.name,
                lambda a=a, m=make: _call(a, m()),
                f"{a.name}-{label}",
                None,
            )


def _dtypes(target: Target, a: Activation) -> list[str]:
    """The dtypes ``a`` refuses (as PyTorch does: see tests/test_dtypes.py) on ``target``."""
    kinds = {"bool": "b", "int32": "i", "uint8": "u"}
    if target.library != "dask.array":
        kinds["complex64"] = "c"
    dtypes = [dtype for dtype, kind in kinds.items() if kind not in a.dtype_kinds]
    if target.library == "jax.numpy":
        dtypes.append("float8_e4m3fn")
    return dtypes


@builds("dtype")
def _() -> Iterator[object]:
    for target in BACKENDS:
        for a in FUNCTIONS:
            for dtype in _dtypes(target, a):
                make = lambda t=target, d=dtype: t.asarray(np.array([[1, 0, 1, 0]]), d)  # noqa: E731
                yield _case(
                    "dtype",
                    a.name,
                    lambda a=a, m=make: _call(a, m()),
                    f"{target.name}-{a.name}-{dtype}",
                    target,
                )
        for cls, a, module in MODULES:
            if "b" in a.dtype_kinds:
                continue
            yield _case(
                "dtype",
                a.name,
                lambda mod=module, t=target: mod()(t.asarray(np.ones((1, 2, 2, 2)), "bool")),
                f"{target.name}-nn.{cls}",
                target,
            )
    yield _case(
        "dtype",
        "gelu",
        lambda: multiact.gelu(np.ones(2, dtype=_ml_bfloat16())),
        "numpy-bfloat16",
        None,
    )


def _other_library_dtype(target: Target) -> object:
    """A floating dtype object of another library than ``target``'s."""
    if target.library == "torch":
        return np.float32
    import torch

    return torch.float32


@builds("dtype-argument")
def _() -> Iterator[object]:
    bad_values = {
        "int-name": lambda t: "int32",
        "unknown-name": lambda t: "f4",
        "int-dtype": lambda t: t.asarray(np.ones(1), "int32").dtype,
        "complex-dtype": lambda t: t.asarray(np.ones(1), "complex64").dtype,
        "other-library": _other_library_dtype,
        "number": lambda t: 32,
    }
    for a in (a for a in FUNCTIONS if a.dtype_arg):
        for target in BACKENDS:
            for label, bad in bad_values.items():
                if label == "complex-dtype" and target.library == "dask.array":
                    continue  # as the dtype row: no complex Dask arrays in these tests
                yield _case(
                    "dtype-argument",
                    a.name,
                    lambda a=a, t=target, b=bad: _call(a, _array(t), dtype=b(t)),
                    f"{target.name}-{a.name}-{label}",
                    target,
                )


def _ml_bfloat16() -> object:
    import ml_dtypes

    return ml_dtypes.bfloat16


def _real_params() -> Iterator[tuple[Activation, str]]:
    for a in FUNCTIONS:
        for p in a.params:
            if p.kind == "real":
                yield a, p.name


def _module_constructor(a: Activation) -> Callable[..., nn.Module]:
    return getattr(nn, a.module)


def _module_kwargs(a: Activation, **params: object) -> dict:
    merged = {**TYPICAL[a.name], **params}
    return {("dim" if k == "axis" else k): v for k, v in merged.items() if k != "weight"}


def _constructor_takes(a: Activation, name: str) -> bool:
    """Whether the module's constructor takes the function's parameter ``name``: not PReLU's
    weight, nor XIELU's alpha_p and alpha_n (it takes Transformers' initial values)."""
    return name in inspect.signature(_module_constructor(a)).parameters


def _constructor_case(row: str, a: Activation, name: str, bad: object, label: str) -> object:
    """``row`` on the module's constructor given ``bad`` for parameter ``name``."""
    return _case(
        row,
        f"nn.{a.module}",
        lambda: _module_constructor(a)(**_module_kwargs(a, **{name: bad})),
        f"nn.{a.module}-{name}-{label}",
        None,
    )


def _parameter_cases(row: str, bad_values: dict[str, object], applies=lambda a, p: True):
    """``row`` for each real parameter given each bad value: on the function on every backend,
    and on the module's constructor."""
    for a, name in _real_params():
        if not applies(a, a.param(name)):
            continue
        for index, (label, bad) in enumerate(bad_values.items()):
            for target in _backends_for(index):
                yield _case(
                    row,
                    a.name,
                    lambda a=a, n=name, b=bad, t=target: _call(a, _array(t), **{n: b}),
                    f"{target.name}-{a.name}-{name}-{label}",
                    target,
                )
            if _constructor_takes(a, name):
                yield _constructor_case(row, a, name, bad, label)


@builds("not-a-number")
def _() -> Iterator[object]:
    yield from _parameter_cases("not-a-number", {"str": "0.5", "bool": True, "None": None})
    # A constructor takes numbers only (the library of an array is not known there).
    for a, name in _real_params():
        if _constructor_takes(a, name):
            yield _constructor_case("not-a-number", a, name, np.array(0.5), "array")


def _param_array(target: Target, values: object, dtype: str) -> object:
    return target.asarray(np.asarray(values), dtype)


def _array_parameter_cases(row: str, bad: Callable[[Target], object], label: str):
    """``row`` for each real parameter given ``bad(target)``, on the function, every backend."""
    for a, name in _real_params():
        for target in BACKENDS:
            yield _case(
                row,
                a.name,
                lambda a=a, n=name, t=target: _call(a, _array(t), **{n: bad(t)}),
                f"{target.name}-{a.name}-{name}-{label}",
                target,
            )


def _other_library(target: Target) -> object:
    # NumPy's 0-d array for every other library; a 0-d tensor for NumPy.
    if target.library == "numpy":
        import torch

        return torch.tensor(0.5, dtype=torch.float64)
    return np.array(0.5)


@builds("param-library")
def _() -> Iterator[object]:
    yield from _array_parameter_cases("param-library", _other_library, "other-library")


@builds("param-shape")
def _() -> Iterator[object]:
    for shape in ((1,), (2, 2)):
        yield from _array_parameter_cases(
            "param-shape",
            lambda t, s=shape: _param_array(t, np.full(s, 0.5), "float64"),
            "x".join(map(str, shape)),
        )


@builds("param-dtype")
def _() -> Iterator[object]:
    def bad(t: Target, dtype: str) -> object:
        return _param_array(t, np.array(1), dtype)

    yield from _array_parameter_cases("param-dtype", lambda t: bad(t, "bool"), "bool")


@builds("not-finite")
def _() -> Iterator[object]:
    yield from _parameter_cases(
        "not-finite", {"nan": float("nan"), "inf": float("inf"), "-inf": -float("inf")}
    )


@builds("out-of-domain")
def _() -> Iterator[object]:
    bad = {"nonnegative": -0.5, "nonzero": 0.0, "positive": 0.0}
    for constraint, value in bad.items():
        yield from _parameter_cases(
            "out-of-domain", {constraint: value}, lambda a, p, c=constraint: p.constraint == c
        )


@builds("misordered")
def _() -> Iterator[object]:
    for a in FUNCTIONS:
        for low, high in a.ordered:
            swapped = {low: 1.0, high: -1.0}
            for target in BACKENDS:
                yield _case(
                    "misordered",
                    a.name,
                    lambda a=a, s=swapped, t=target: _call(a, _array(t), **s),
                    f"{target.name}-{a.name}",
                    target,
                )
            yield _case(
                "misordered",
                f"nn.{a.module}",
                lambda a=a, s=swapped: _module_constructor(a)(**_module_kwargs(a, **s)),
                f"nn.{a.module}",
                None,
            )


@builds("does-not-fit-dtype")
def _() -> Iterator[object]:
    for a in FUNCTIONS:
        reals = [p.name for p in a.params if p.kind == "real"]
        if not (a.integers == "keep" and reals):
            continue
        for name in reals:
            for dtype, value in (("uint8", -1.0), ("int8", 128.0), ("int32", 2.0**31)):
                params = {**a.defaults, **TYPICAL[a.name], name: value}
                params = {k: v for k, v in params.items() if k in reals}
                for low, high in a.ordered:  # keep the pair ordered: misordered is its own row
                    params[low], params[high] = (
                        min(params[low], params[high]),
                        max(params[low], params[high]),
                    )
                for target in BACKENDS:
                    make = lambda t=target, d=dtype: t.asarray(np.array([3, 0, 7, 1]), d)  # noqa: E731
                    yield _case(
                        "does-not-fit-dtype",
                        a.name,
                        lambda a=a, p=params, m=make: _call(a, m(), **p),
                        f"{target.name}-{a.name}-{name}-{dtype}",
                        target,
                    )


def _flag_params() -> Iterator[tuple[Activation, str]]:
    for a in FUNCTIONS:
        for p in a.params:
            if p.kind == "flag":
                yield a, p.name


@builds("not-a-flag")
def _() -> Iterator[object]:
    for a, name in _flag_params():
        for index, (label, bad) in enumerate({"int": 1, "str": "yes", "None": None}.items()):
            for target in _backends_for(index):
                yield _case(
                    "not-a-flag",
                    a.name,
                    lambda a=a, n=name, b=bad, t=target: _call(a, _array(t), **{n: b}),
                    f"{target.name}-{a.name}-{name}-{label}",
                    target,
                )
            if name != "training":
                yield _constructor_case("not-a-flag", a, name, bad, label)


@builds("not-a-choice")
def _() -> Iterator[object]:
    for a in FUNCTIONS:
        for p in a.params:
            if p.kind != "choice":
                continue
            choices = {"True": True, "False": False, "exact": "exact", "None": None}
            for index, (label, bad) in enumerate(choices.items()):
                for target in _backends_for(index):
                    yield _case(
                        "not-a-choice",
                        a.name,
                        lambda a=a, n=p.name, b=bad, t=target: _call(a, _array(t), **{n: b}),
                        f"{target.name}-{a.name}-{label}",
                        target,
                    )
                yield _case(
                    "not-a-choice",
                    f"nn.{a.module}",
                    lambda a=a, n=p.name, b=bad: _module_constructor(a)(**{n: b}),
                    f"nn.{a.module}-{label}",
                    None,
                )


REDUCING = [a for a in FUNCTIONS if a.reduces]


@builds("axis-not-an-integer")
def _() -> Iterator[object]:
    for a in REDUCING:
        bad_values = {"float": 1.0, "str": "0", "bool": True, "array": np.array(0)}
        for index, (label, bad) in enumerate(bad_values.items()):
            for keyword in ("axis", "dim"):
                for target in _backends_for(index):
                    yield _case(
                        "axis-not-an-integer",
                        a.name,
                        lambda a=a, k=keyword, b=bad, t=target: _call(a, _array(t), **{k: b}),
                        f"{target.name}-{a.name}-{keyword}-{label}",
                        target,
                    )


@builds("axis-out-of-range")
def _() -> Iterator[object]:
    for a in REDUCING:
        for shape, axis in (((2, 4), 2), ((2, 4), -3), ((4,), 1), ((), 1), ((), -2)):
            if a.halves_axis and shape == ():
                continue  # nothing-to-halve comes first
            for target in BACKENDS:
                yield _case(
                    "axis-out-of-range",
                    a.name,
                    lambda a=a, ax=axis, t=target, s=shape: _call(a, _array(t, s), axis=ax),
                    f"{target.name}-{a.name}-{len(shape)}d-{axis}",
                    target,
                )
        yield _case(
            "axis-out-of-range",
            a.name,
            lambda a=a: getattr(nn, a.module)(dim=5)(np.ones((2, 4))),
            f"nn.{a.module}",
            None,
        )


@builds("axis-and-dim")
def _() -> Iterator[object]:
    for a in REDUCING:
        for target in BACKENDS:
            yield _case(
                "axis-and-dim",
                a.name,
                lambda a=a, t=target: _call(a, _array(t), axis=0, dim=1),
                f"{target.name}-{a.name}",
                target,
            )


@builds("odd-axis")
def _() -> Iterator[object]:
    for a in (a for a in FUNCTIONS if a.halves_axis):
        for shape, axis in (((2, 3), -1), ((3, 2), 0), ((5,), 0), ((2, 0, 3), 2)):
            for target in BACKENDS:
                yield _case(
                    "odd-axis",
                    a.name,
                    lambda a=a, ax=axis, t=target, s=shape: _call(a, _array(t, s), axis=ax),
                    f"{target.name}-{shape}-{axis}",
                    target,
                )
        yield _case("odd-axis", a.name, lambda a=a: nn.GLU(dim=0)(np.ones((3, 2))), "nn.GLU", None)


@builds("nothing-to-halve")
def _() -> Iterator[object]:
    for a in (a for a in FUNCTIONS if a.halves_axis):
        for target in BACKENDS:
            yield _case(
                "nothing-to-halve",
                a.name,
                lambda a=a, t=target: _call(a, _array(t, ())),
                target.name,
                target,
            )


def _prelu_cases(row: str, weights: dict[str, Callable[[Target], object]]) -> Iterator[object]:
    for target in BACKENDS:
        for label, weight in weights.items():
            yield _case(
                row,
                "prelu",
                lambda t=target, w=weight: multiact.prelu(_array(t, (2, 3)), w(t)),
                f"{target.name}-{label}",
                target,
            )


@builds("weight-library")
def _() -> Iterator[object]:
    for target in BACKENDS:
        for other in BACKENDS:
            if other is target:
                continue
            marks_target = other if not other.available() else target
            yield _case(
                "weight-library",
                "prelu",
                lambda t=target, o=other: multiact.prelu(
                    _array(t, (2, 3)), o.asarray(np.array([0.25]), "float64")
                ),
                f"{target.name}-weight-from-{other.name}",
                marks_target,
            )
        yield _case(
            "weight-library",
            "prelu",
            lambda t=target: multiact.prelu(_array(t, (2, 3)), [0.25]),
            f"{target.name}-list",
            target,
        )


@builds("weight-dtype")
def _() -> Iterator[object]:
    yield from _prelu_cases(
        "weight-dtype", {"float32": lambda t: t.asarray(np.array([0.25]), "float32")}
    )


@builds("weight-shape")
def _() -> Iterator[object]:
    yield from _prelu_cases(
        "weight-shape",
        {
            "two-for-three-channels": lambda t: t.asarray(np.array([0.1, 0.2]), "float64"),
            "2d": lambda t: t.asarray(np.array([[0.1, 0.2, 0.3]]), "float64"),
            "empty": lambda t: t.asarray(np.zeros(0), "float64"),
        },
    )
    yield _case("weight-shape", "prelu", lambda: nn.PReLU(3)(np.ones((2, 2))), "nn.PReLU", None)


INPLACE = [a for a in FUNCTIONS if a.supports_inplace]


@builds("immutable")
def _() -> Iterator[object]:
    # The libraries whose arrays cannot be written into: JAX's, TensorFlow's tensors.
    immutable = [t for t in BACKENDS if not t.adapter.mutable]
    for a in INPLACE:
        for target in immutable:
            yield _case(
                "immutable",
                a.name,
                lambda a=a, t=target: _call(a, _array(t), inplace=True),
                f"{target.name}-{a.name}",
                target,
            )
        yield _case(
            "immutable",
            a.name,
            lambda a=a: _call(a, np.float64(-1.0), inplace=True),
            f"numpy-scalar-{a.name}",
            None,
        )
        if a.inplace_variant:
            yield _case(
                "immutable",
                a.name,
                lambda a=a: getattr(multiact, f"{a.name}_")(np.float64(-1.0), **TYPICAL[a.name]),
                f"numpy-scalar-{a.name}_",
                None,
            )
        module_kwargs = _module_kwargs(a, inplace=True)
        for target in immutable:
            yield _case(
                "immutable",
                a.name,
                lambda a=a, k=module_kwargs, t=target: getattr(nn, a.module)(**k).eval()(_array(t)),
                f"{target.name}-nn.{a.module}",
                target,
            )


def _read_only() -> np.ndarray:
    x = np.linspace(-2.0, 2.0, 8)
    x.flags.writeable = False
    return x


@builds("read-only")
def _() -> Iterator[object]:
    for a in INPLACE:
        for label, make in {
            "flag": _read_only,
            "broadcast": lambda: np.broadcast_to(np.ones(1), (4,)),
        }.items():
            yield _case(
                "read-only",
                a.name,
                lambda a=a, m=make: _call(a, m(), inplace=True),
                f"{a.name}-{label}",
                None,
            )


def _torch_target() -> Target:
    return next(t for t in BACKENDS if t.library == "torch")


@builds("refused-by-pytorch")
def _() -> Iterator[object]:
    target = _torch_target()

    def leaf():
        import torch

        return torch.linspace(-2.0, 2.0, 8, dtype=torch.float64, requires_grad=True)

    for a in INPLACE:
        yield _case(
            "refused-by-pytorch",
            a.name,
            lambda a=a: _call(a, leaf(), inplace=True),
            f"leaf-{a.name}",
            target,
        )

    def half():
        import torch

        return torch.ones(4, dtype=torch.float16)

    for name, params in {
        "threshold": {"threshold": 2.0, "value": 1e10},
        "hardtanh": {"min_val": -1e10, "max_val": 1e10},
        "softplus": {"beta": 1e300},
    }.items():
        yield _case(
            "refused-by-pytorch",
            name,
            lambda n=name, p=params: getattr(multiact, n)(half(), **p),
            f"float16-{name}",
            target,
        )


_GENERATORS = {
    "numpy": ("str", "torch.Generator", "jax-key", "RandomState", "float"),
    "torch": ("str", "numpy-Generator", "jax-key", "float", "numpy-int"),
    "jax": ("None", "str", "numpy-Generator", "torch.Generator", "float"),
}


def _generator(label: str) -> object:
    if label == "str":
        return "seed"
    if label == "float":
        return 1.5
    if label == "None":
        return None
    if label == "numpy-int":
        return np.int64(3)
    if label == "RandomState":
        return np.random.RandomState(0)
    if label == "numpy-Generator":
        return np.random.default_rng(0)
    if label == "torch.Generator":
        import torch

        return torch.Generator()
    import jax

    return jax.random.key(0)


@builds("generator-type")
def _() -> Iterator[object]:
    for target in BACKENDS:
        labels = _GENERATORS.get(target.backend, _GENERATORS["numpy"])
        for label in labels:
            needs = "torch" if label == "torch.Generator" else "jax" if label == "jax-key" else None
            yield _case(
                "generator-type",
                "rrelu",
                lambda t=target, g=label: multiact.rrelu(
                    _array(t), training=True, generator=_generator(g)
                ),
                f"{target.name}-{label}",
                target
                if needs is None or target.library.startswith(needs)
                else _needing(needs, target),
            )


def _needing(library: str, target: Target) -> Target:
    other = next(t for t in BACKENDS if t.library.startswith(library))
    return other if not other.available() else target


@builds("generator-seed")
def _() -> Iterator[object]:
    for target in BACKENDS:
        seeds = {
            "numpy": [-1],
            "torch": [2**64, -(2**63) - 1],
            "jax": [2**63, -(2**63) - 1],
            "tensorflow": [2**64, -1],
            "mlx": [2**64, -1],
        }
        for seed in seeds.get(target.backend, [-1]):
            yield _case(
                "generator-seed",
                "rrelu",
                lambda t=target, s=seed: multiact.rrelu(_array(t), training=True, generator=s),
                f"{target.name}-{seed}",
                target,
            )


@builds("module-dim")
def _() -> Iterator[object]:
    for a in REDUCING:
        for label, bad in {"float": 1.5, "str": "0", "bool": True}.items():
            yield _case(
                "module-dim",
                f"nn.{a.module}",
                lambda a=a, b=bad: getattr(nn, a.module)(dim=b),
                f"nn.{a.module}-{label}",
                None,
            )


@builds("module-rank")
def _() -> Iterator[object]:
    for target in BACKENDS:
        for shape in ((), (4,), (2, 4), (1, 2, 2, 2, 2)):
            yield _case(
                "module-rank",
                "nn.Softmax2d",
                lambda t=target, s=shape: nn.Softmax2d()(_array(t, s)),
                f"{target.name}-{len(shape)}d",
                target,
            )


@builds("module-size")
def _() -> Iterator[object]:
    for bad in (0, -1, 1.0, True, "2"):
        yield _case("module-size", "nn.PReLU", lambda b=bad: nn.PReLU(b), repr(bad), None)


@builds("unknown-name")
def _() -> Iterator[object]:
    for name in ("gelux", "ReLU", "", "softmax2d"):
        yield _case("unknown-name", None, lambda n=name: multiact.lookup(n), repr(name), None)


def _all_cases() -> list[object]:
    return [case for builder in CASES.values() for case in builder()]


# ----------------------------------------------------------------------------------------------


def test_every_row_has_cases_and_every_case_a_row():
    assert set(CASES) == set(ROWS)
    assert all(any(True for _ in CASES[row]()) for row in ROWS)


@pytest.mark.parametrize(("row", "owner", "call"), _all_cases())
def test_bad_input_raises_what_the_contract_says(row, owner, call):
    contract = ROWS[row]
    with pytest.raises(contract.error) as caught:
        call()
    message = caught.value.args[0]
    assert contract.pattern(owner).match(message), (
        f"{message!r} does not match {contract.message!r}"
    )


def _examples() -> Iterator[tuple[str, doctest.Example]]:
    text = DOC.read_text()
    sections = re.split(r"^### `([\w-]+)`\n", text, flags=re.MULTILINE)
    for row, body in zip(sections[1::2], sections[2::2], strict=True):
        for example in doctest.DocTestParser().get_examples(body):
            yield row, example


def test_every_row_has_an_example_that_matches_it():
    rows_with_errors = set()
    for row, example in _examples():
        assert row in ROWS, f"example heading {row!r} is not a row of the table"
        if example.exc_msg is None:
            continue
        contract = ROWS[row]
        raised, _, message = example.exc_msg.partition(": ")
        assert raised.rpartition(".")[2] == contract.error.__name__, example.source
        message = message.strip().replace("...", "…")
        if contract.error is KeyError:
            message = message.strip('"')
        assert contract.pattern(None).match(message), f"{message!r} vs {contract.message!r}"
        rows_with_errors.add(row)
    assert rows_with_errors == set(ROWS)
