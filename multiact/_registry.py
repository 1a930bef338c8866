"""The activation registry: every activation is declared here, once.

The public functions (``multiact/_functional.py``) and the ``multiact.nn`` classes
(``multiact/nn.py``) are generated from these declarations by ``python -m multiact._codegen``;
the tests, the conformance cases and ``multiact list`` read them too. Nothing about an
activation (its name, parameters, defaults, dtype policy, names in other frameworks) is typed
anywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["ACTIVATIONS", "Activation", "FrameworkNames", "Param", "lookup"]

ParamKind = Literal["real", "flag", "choice", "axis"]


@dataclass(frozen=True)
class Param:
    """One parameter of an activation, with PyTorch's name and default.

    ``kind`` decides how a value is validated:

    - ``"real"``: a finite real number (``bool`` is rejected).
    - ``"flag"``: exactly ``True`` or ``False``.
    - ``"choice"``: one of ``choices`` (compared with ``==``; anything else is a ``ValueError``).
    - ``"axis"``: an integer axis, checked against the input's ``ndim``. The functional API spells
      it ``axis`` (array-API) and accepts ``dim`` as an alias; ``multiact.nn`` classes spell it
      ``dim`` with default ``None``, as ``torch.nn`` does.
    """

    name: str
    default: object
    kind: ParamKind
    doc: str
    choices: tuple[str, ...] = ()

    @property
    def annotation(self) -> str:
        """The type annotation written into the generated signatures."""
        if self.kind == "choice":
            return "Literal[" + ", ".join(repr(c) for c in self.choices) + "]"
        return {"real": "float", "flag": "bool", "axis": "int"}[self.kind]


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
    ``integer_inputs`` says whether integer arrays are accepted (only where PyTorch computes an
    integer result for them); every activation rejects bool and complex arrays. ``reduces`` marks
    functions that normalise along an axis (their ``axis`` parameter).

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
    integer_inputs: bool = False
    aliases: tuple[str, ...] = ()
    #: Non-default parameterisations worth testing and reporting separately.
    variants: tuple[Mapping[str, object], ...] = ()
    #: The interval where the function is interesting (grids in tests and plots).
    domain: tuple[float, float] = (-6.0, 6.0)
    extra_doc: str = ""
    defaults: Mapping[str, object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "defaults", MappingProxyType({p.name: p.default for p in self.params})
        )

    @property
    def reduces(self) -> bool:
        return any(p.kind == "axis" for p in self.params)

    @property
    def supports_inplace(self) -> bool:
        return "inplace" in self.defaults

    @property
    def parameterisations(self) -> tuple[Mapping[str, object], ...]:
        """The parameterisations to test and report: the defaults, then every variant."""
        return ({}, *self.variants)

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
        return tuple(params.get(p.name, p.default) for p in self.params)

    def variant_label(self, params: Mapping[str, object]) -> str:
        """A short, readable id for a parameterisation: ``gelu[tanh]``, ``leaky_relu[0.2]``."""
        if not params:
            return self.name
        return f"{self.name}[{','.join(str(v) for v in params.values())}]"


def _exact_softmax(mp: object, row: list) -> list:
    top = max(row)
    exps = [mp.exp(v - top) for v in row]
    total = mp.fsum(exps)
    return [e / total for e in exps]


def _exact_log_softmax(mp: object, row: list) -> list:
    top = max(row)
    log_total = mp.log(mp.fsum(mp.exp(v - top) for v in row))
    return [v - top - log_total for v in row]


def _exact_gelu(mp: object, x: object, approximate: str) -> object:
    if approximate == "tanh":
        inner = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
        return x / 2 * (1 + mp.tanh(inner))
    return x / 2 * mp.erfc(-x / mp.sqrt(2))


_INPLACE = Param("inplace", False, "flag", "Overwrite ``x`` with the result and return it.")
_AXIS = Param(
    "axis",
    -1,
    "axis",
    "The axis to normalise along (``dim=`` is accepted as an alias, as PyTorch spells it).",
)

_TUTORIAL_INPUT = ">>> x = np.array([1.0, -2.0, 3.0, -5.0])"

_DECLARATIONS = (
    Activation(
        name="relu",
        module="ReLU",
        summary="Rectified linear unit.",
        formula=r"\mathrm{relu}(x) = \max(x, 0)",
        derivative=r"\mathrm{relu}'(x) = 1 \text{ if } x > 0 \text{ else } 0"
        r" \quad (0 \text{ at } x = 0, \text{ as PyTorch})",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.relu",
            torch_module="torch.nn.ReLU",
            jax="jax.nn.relu",
            keras="keras.activations.relu",
            differences=(
                "jax.nn.relu(-0.0) is +0.0; PyTorch and multiact return -0.0.",
                "keras.activations.relu also takes negative_slope, max_value and threshold.",
            ),
        ),
        integer_inputs=True,
        exact=lambda mp, x: x if x > 0 else mp.mpf(0),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.relu(x)\narray([1., 0., 3., 0.])",
    ),
    Activation(
        name="leaky_relu",
        module="LeakyReLU",
        summary="Leaky rectified linear unit.",
        formula=r"\mathrm{leaky\_relu}(x) = x \text{ if } x > 0"
        r" \text{ else } \mathrm{negative\_slope} \cdot x",
        derivative=r"1 \text{ if } x > 0 \text{ else } \mathrm{negative\_slope}"
        r" \quad (\mathrm{negative\_slope} \text{ at } x = 0, \text{ as PyTorch})",
        params=(
            Param("negative_slope", 0.01, "real", "The slope for negative inputs."),
            _INPLACE,
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.leaky_relu",
            torch_module="torch.nn.LeakyReLU",
            jax="jax.nn.leaky_relu",
            keras="keras.activations.leaky_relu",
            differences=(
                "Keras' default negative_slope is 0.2; PyTorch's, JAX's and multiact's is 0.01.",
                "jax.nn.leaky_relu's gradient at 0 is 1; PyTorch's is negative_slope.",
            ),
        ),
        variants=({"negative_slope": 0.2},),
        exact=lambda mp, x, negative_slope: x if x > 0 else negative_slope * x,
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.leaky_relu(x, 0.2)\n"
        "array([ 1. , -0.4,  3. , -1. ])",
    ),
    Activation(
        name="sigmoid",
        module="Sigmoid",
        summary="Logistic sigmoid.",
        formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        derivative=r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))",
        params=(),
        names=FrameworkNames(
            torch="torch.nn.functional.sigmoid",
            torch_module="torch.nn.Sigmoid",
            jax="jax.nn.sigmoid",
            keras="keras.activations.sigmoid",
            differences=(
                "torch.sigmoid promotes integer tensors to float32; multiact raises TypeError.",
            ),
        ),
        domain=(-10.0, 10.0),
        exact=lambda mp, x: 1 / (1 + mp.exp(-x)),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.sigmoid(x).round(4)\n"
        "array([0.7311, 0.1192, 0.9526, 0.0067])",
    ),
    Activation(
        name="tanh",
        module="Tanh",
        summary="Hyperbolic tangent.",
        formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        derivative=r"\tanh'(x) = 1 - \tanh^2(x)",
        params=(),
        names=FrameworkNames(
            torch="torch.nn.functional.tanh",
            torch_module="torch.nn.Tanh",
            jax="jax.numpy.tanh",
            keras="keras.activations.tanh",
            differences=(
                "torch.tanh promotes integer tensors to float32; multiact raises TypeError.",
            ),
        ),
        domain=(-4.0, 4.0),
        exact=lambda mp, x: mp.tanh(x),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.tanh(x).round(4)\n"
        "array([ 0.7616, -0.964 ,  0.9951, -0.9999])",
    ),
    Activation(
        name="softmax",
        module="Softmax",
        summary="Softmax along an axis: exponentials normalised to sum to one.",
        formula=r"\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
        derivative=r"\frac{\partial\, \mathrm{softmax}_i}{\partial x_j}"
        r" = \mathrm{softmax}_i (\delta_{ij} - \mathrm{softmax}_j)",
        params=(_AXIS,),
        names=FrameworkNames(
            torch="torch.nn.functional.softmax",
            torch_module="torch.nn.Softmax",
            jax="jax.nn.softmax",
            keras="keras.activations.softmax",
            differences=(
                "torch.nn.functional.softmax has no default dim (dim=None picks one by ndim and "
                "warns); jax.nn, Keras and multiact.softmax default to axis=-1. "
                "multiact.nn.Softmax(dim=None) reproduces PyTorch's implicit choice and warning.",
                "A row of all -inf gives NaN in PyTorch, JAX and multiact.",
            ),
        ),
        variants=({"axis": 0},),
        extra_doc="A row that is all ``-inf``, or holds ``+inf``, gives ``NaN`` as in PyTorch.",
        exact=_exact_softmax,
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.softmax(x, axis=0)\n"
        "array([1.18464858e-01, 5.89801797e-03, 8.75343479e-01, 2.93645024e-04])",
    ),
    Activation(
        name="log_softmax",
        module="LogSoftmax",
        summary="Logarithm of the softmax along an axis, computed without overflow.",
        formula=r"\mathrm{log\_softmax}(x)_i = x_i - \log \sum_j e^{x_j}",
        derivative=r"\frac{\partial\, \mathrm{log\_softmax}_i}{\partial x_j}"
        r" = \delta_{ij} - \mathrm{softmax}_j",
        params=(_AXIS,),
        names=FrameworkNames(
            torch="torch.nn.functional.log_softmax",
            torch_module="torch.nn.LogSoftmax",
            jax="jax.nn.log_softmax",
            keras="keras.activations.log_softmax",
            differences=(
                "torch.nn.functional.log_softmax has no default dim; jax.nn, Keras and "
                "multiact.log_softmax default to axis=-1.",
            ),
        ),
        variants=({"axis": 0},),
        exact=_exact_log_softmax,
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.log_softmax(x, axis=0).round(4)\n"
        "array([-2.1331, -5.1331, -0.1331, -8.1331])",
    ),
    Activation(
        name="gelu",
        module="GELU",
        summary="Gaussian error linear unit, exact or with the tanh approximation.",
        formula=r"\mathrm{gelu}(x) = x\,\Phi(x) = \frac{x}{2}"
        r"\left(1 + \mathrm{erf}\left(\frac{x}{\sqrt 2}\right)\right);"
        r" \text{tanh: } \frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}"
        r"\,(x + 0.044715\,x^3)\right)\right)",
        derivative=r"\mathrm{gelu}'(x) = \Phi(x) + x\,\varphi(x)",
        params=(
            Param(
                "approximate",
                "none",
                "choice",
                "``'none'`` for the exact GELU, ``'tanh'`` for the tanh approximation.",
                choices=("none", "tanh"),
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.gelu",
            torch_module="torch.nn.GELU",
            jax="jax.nn.gelu",
            keras="keras.activations.gelu",
            differences=(
                "jax.nn.gelu and Keras take approximate as a bool and default to the tanh form "
                "(True); PyTorch and multiact take 'none' | 'tanh' and default to the exact form. "
                "A bool, or any other string, is a ValueError in multiact: JAX and Keras would "
                "silently treat the string 'none' as true.",
                "PyTorch's float32 exact GELU is far from the exact value for x in [-10, -2] "
                "(gelu(-5) is -1.49e-6 where the exact value is -1.43e-6); multiact's NumPy and "
                "generic kernels are accurate to a few ULP there.",
            ),
        ),
        variants=({"approximate": "tanh"},),
        exact=_exact_gelu,
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.gelu(x).round(4)\n"
        "array([ 0.8413, -0.0455,  2.996 , -0.    ])\n"
        ">>> multiact.gelu(x, approximate='tanh').round(4)\n"
        "array([ 0.8412, -0.0454,  2.9964, -0.    ])",
    ),
)

#: Every activation by canonical name, in declaration order.
ACTIVATIONS: Mapping[str, Activation] = MappingProxyType({a.name: a for a in _DECLARATIONS})

_BY_ANY_NAME: Mapping[str, Activation] = MappingProxyType(
    {alias: a for a in _DECLARATIONS for alias in (a.name, *a.aliases)}
)


def lookup(name: str) -> Activation:
    """The activation called ``name`` (canonical name or alias)."""
    try:
        return _BY_ANY_NAME[name]
    except KeyError:
        close = sorted(n for n in _BY_ANY_NAME if n[:3] == name[:3])
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"multiact has no activation named {name!r}{hint}") from None


def _check_declarations() -> None:
    # Invariants the code generator relies on: a broken declaration fails at import.
    for a in _DECLARATIONS:
        names = [p.name for p in a.params]
        problems = []
        if len(set(names)) != len(names):
            problems.append("repeated parameter names")
        if sum(p.kind == "axis" for p in a.params) > 1:
            problems.append("more than one axis parameter")
        for p in a.params:
            if p.kind == "real" and not (isinstance(p.default, float) and math.isfinite(p.default)):
                problems.append(f"{p.name}'s default is not a finite float")
            if p.kind == "choice" and p.default not in p.choices:
                problems.append(f"{p.name}'s default is not one of its choices")
        if problems:
            raise ValueError(f"registry entry {a.name!r}: {'; '.join(problems)}")
    if len(_BY_ANY_NAME) != sum(1 + len(a.aliases) for a in _DECLARATIONS):
        raise ValueError("two activations share a name or alias")


_check_declarations()
