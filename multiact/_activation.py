"""What an activation declaration holds: ``Activation``, its ``Param``s and ``FrameworkNames``.

The declarations themselves are in ``_catalog.py``; ``_registry.py`` indexes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["REQUIRED", "Activation", "FrameworkNames", "Param"]

ParamKind = Literal["real", "flag", "choice", "axis", "array", "generator"]
Constraint = Literal["nonnegative", "nonzero", "positive"]
#: What an activation does with integer (or bool) arrays: refuse them (``TypeError``), keep
#: their dtype (computed in integers) or promote them to a float dtype first.
DtypeRule = Literal["refuse", "keep", "promote"]


class _Required:
    """The default of a parameter that has none (``threshold``'s ``threshold`` and ``value``)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()
_SAME = object()


@dataclass(frozen=True)
class Param:
    """One parameter of an activation, with PyTorch's name and default.

    ``kind`` decides how a value is validated:

    - ``"real"``: a finite real number (``bool`` is rejected), further restricted by
      ``constraint`` (``"nonnegative"``, ``"nonzero"`` or ``"positive"``).
    - ``"flag"``: exactly ``True`` or ``False``.
    - ``"choice"``: one of ``choices`` (compared with ``==``; anything else is a ``ValueError``).
    - ``"axis"``: an integer axis, checked against the input's ``ndim``. The functional API spells
      it ``axis`` (array-API) and accepts ``dim`` as an alias; ``multiact.nn`` classes spell it
      ``dim``, with default ``module_default`` (``None`` for softmax-like modules, as in torch).
    - ``"array"``: an array of the same library, device and dtype as the input (prelu's weight).
    - ``"generator"``: a random generator, key or seed appropriate to the backend, keyword-only.

    ``default`` is :data:`REQUIRED` for a parameter without one.
    """

    name: str
    default: object
    kind: ParamKind
    doc: str
    choices: tuple[str, ...] = ()
    constraint: Constraint | None = None
    module_default: object = _SAME

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def default_in_module(self) -> object:
        return self.default if self.module_default is _SAME else self.module_default

    @property
    def annotation(self) -> str:
        """The type annotation written into the generated signatures."""
        if self.kind == "choice":
            return "Literal[" + ", ".join(repr(c) for c in self.choices) + "]"
        return {
            "real": "float",
            "flag": "bool",
            "axis": "int",
            "array": "ArrayT",
            "generator": "object",
        }[self.kind]


@dataclass(frozen=True)
class FrameworkNames:
    """Where the activation lives in other libraries (``None``: it has no such function)."""

    torch: str | None
    torch_module: str | None
    jax: str | None
    keras: str | None
    #: Where the frameworks' defaults or semantics differ from PyTorch's, in words.
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Activation:
    """The declaration of one activation function.

    ``name`` is PyTorch's ``torch.nn.functional`` name, ``module`` the ``torch.nn`` class name.
    ``reduces`` marks functions that normalise along an axis (their ``axis`` parameter).

    Dtypes follow PyTorch's rules for its function, measured on torch (tests/test_dtypes.py
    checks every activation against torch on every integer, bool and complex dtype): every
    activation takes float16, bfloat16, float32 and float64; ``integers`` and ``bools`` say
    what integer and bool arrays get (``"refuse"``: a ``TypeError``; ``"keep"``: computed in
    their own dtype, as PyTorch's piecewise-linear kernels do; ``"promote"``: cast to float32,
    PyTorch's default float dtype, on every backend, and to ``torch.get_default_dtype()`` on
    tensors, as torch itself does); ``complex_inputs`` whether complex64/complex128 arrays are
    computed (with PyTorch's formula) rather than refused. ``dtype_arg`` adds PyTorch's
    ``dtype=`` keyword (softmax and its kin): ``x`` is cast to that dtype first.

    ``exact(mp, x, **params)`` is the mathematical definition, evaluated with mpmath (passed in
    as ``mp``) to give the conformance suite its "truth": ``x`` is an ``mpf``, or for functions
    that reduce, one row as a list of ``mpf`` (and the result a list too). Parameters arrive by
    their registry names, except the axis (the row is already along it) and ``inplace``.
    """

    name: str
    module: str
    summary: str
    formula: str
    derivative: str
    params: tuple[Param, ...]
    names: FrameworkNames
    example: str
    exact: Callable[..., object]
    integers: DtypeRule = "refuse"
    bools: DtypeRule = "refuse"
    complex_inputs: bool = False
    dtype_arg: bool = False
    aliases: tuple[str, ...] = ()
    #: Non-default parameterisations worth testing and reporting separately.
    variants: tuple[Mapping[str, object], ...] = ()
    #: The interval where the function is interesting (grids in tests and plots).
    domain: tuple[float, float] = (-6.0, 6.0)
    extra_doc: str = ""
    #: Pairs of parameters that must be ordered, ``low <= high`` (hardtanh's min_val, max_val).
    ordered: tuple[tuple[str, str], ...] = ()
    #: How ``torch.nn``'s ``repr`` shows the parameters: ``keywords`` (``ELU(alpha=1.0)``),
    #: ``positional`` (``Hardshrink(0.5)``) or ``hidden`` (``Hardswish()``, even with inplace).
    module_repr: Literal["keywords", "positional", "hidden"] = "keywords"
    #: The module class is written by hand (its constructor is not the function's parameters).
    custom_module: bool = False
    #: ``torch.nn.functional`` also has ``NAME_`` (the in-place form); so does multiact.
    inplace_variant: bool = False
    #: The output is half the input's size along the axis (glu).
    halves_axis: bool = False
    #: The values at -inf and +inf (the limits): the exact value there, for activations without
    #: a PyTorch reference and wherever PyTorch's own code paths disagree. NaN always gives NaN.
    #: Where they depend on the parameters (clipped_gelu's max_val), a function of them (by
    #: name, as ``kinks``) returning the pair; :meth:`limits_at` evaluates either form.
    limits: tuple[float, float] | Callable[..., tuple[float, float]] | None = None
    #: Where the function or its derivative is not smooth, given the parameters (by name):
    #: kinks, thresholds, clipping points. Tests and conformance probe them, and skip them
    #: when comparing with a numerical derivative.
    kinks: Callable[..., tuple[float, ...]] = lambda **params: ()
    defaults: Mapping[str, object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "defaults", MappingProxyType({p.name: p.default for p in self.params})
        )

    @property
    def reduces(self) -> bool:
        return any(p.kind == "axis" for p in self.params)

    @property
    def dtype_kinds(self) -> str:
        """The dtype kinds accepted (NumPy's letters): ``f``, then ``iu``, ``b``, ``c`` as
        declared."""
        return (
            "f"
            + ("iu" if self.integers != "refuse" else "")
            + ("b" if self.bools != "refuse" else "")
            + ("c" if self.complex_inputs else "")
        )

    @property
    def promoted_kinds(self) -> str:
        """The dtype kinds cast to a float dtype before the computation: ``iu``, ``b``, both
        or none."""
        return ("iu" if self.integers == "promote" else "") + (
            "b" if self.bools == "promote" else ""
        )

    @property
    def supports_inplace(self) -> bool:
        return "inplace" in self.defaults

    @property
    def parameterisations(self) -> tuple[Mapping[str, object], ...]:
        """The parameterisations to test and report: the defaults, then every variant.

        An activation with required parameters has no "defaults" case: only its variants.
        """
        if any(p.required for p in self.params):
            return tuple(self.variants)
        return ({}, *self.variants)

    @property
    def math_params(self) -> tuple[Param, ...]:
        """The parameters that change the value: all but ``inplace`` and ``generator``."""
        return tuple(p for p in self.params if p.name != "inplace" and p.kind != "generator")

    def limits_at(self, params: Mapping[str, object] | None = None) -> tuple[float, float] | None:
        """``limits`` at ``params`` (PyTorch's defaults filled in), or None where undeclared."""
        if self.limits is None or not callable(self.limits):
            return self.limits
        values = dict(zip(self.defaults, self.kernel_args(params), strict=True))
        return self.limits(**{p.name: values[p.name] for p in self.math_params})

    def kink_points(self, params: Mapping[str, object] | None = None) -> tuple[float, ...]:
        """``kinks`` evaluated at ``params`` (PyTorch's defaults filled in)."""
        values = dict(zip(self.defaults, self.kernel_args(params), strict=True))
        return self.kinks(**{p.name: values[p.name] for p in self.math_params})

    @property
    def random(self) -> bool:
        """Its result depends on a random generator (rrelu in training mode)."""
        return any(p.kind == "generator" for p in self.params)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r}")

    def kernel_args(self, params: Mapping[str, object] | None = None) -> tuple[object, ...]:
        """The positional arguments a backend kernel takes, defaults filled from PyTorch's."""
        params = dict(params or {})
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise TypeError(f"multiact.{self.name}: unexpected parameters {sorted(unknown)}")
        missing = [p.name for p in self.params if p.required and p.name not in params]
        if missing:
            raise TypeError(f"multiact.{self.name}: missing required parameters {missing}")
        return tuple(params.get(p.name, p.default) for p in self.params)

    def variant_label(self, params: Mapping[str, object]) -> str:
        """A short, readable id for a parameterisation: ``gelu[tanh]``, ``leaky_relu[0.2]``."""
        if not params:
            return self.name
        shown = [
            "x".join(str(w) for w in v) if isinstance(v, tuple) else str(v) for v in params.values()
        ]
        return f"{self.name}[{','.join(shown)}]"
