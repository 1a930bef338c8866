"""Activation names of the model zoos: what each library means by each of its names.

A config says ``hidden_act: "gelu"``, a Keras model ``activation="leaky_relu"``, a Flax model
calls ``nn.gelu``: the same word names different functions in different libraries
(``gelu`` is exact in PyTorch, Keras and timm, tanh-approximated in jax.nn and Flax;
``leaky_relu``'s slope is 0.01 in PyTorch and JAX, 0.2 in Keras). The tables below say, for
every name of every convention, which registry activation with which parameters reproduces
that library's function called by that name with its defaults. They are data, checked against
the libraries themselves by ``tests/test_conventions.py``; ``docs/porting.md``'s section on
names is generated from them.

:func:`get` resolves a name to a function of ``x`` on every backend; ``multiact.nn.get``
(with :func:`module_arguments`) to a ``multiact.nn`` module, learnable parameters initialised as the
library initialises them.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from . import _functional, _nn_custom
from ._registry import ACTIVATIONS

__all__ = ["CONVENTIONS", "LIBRARIES", "Meaning", "Resolved", "get", "meaning", "module_arguments"]


@dataclass(frozen=True)
class Meaning:
    """What one library means by one name.

    ``activation`` is the registry's activation, called with ``params`` (the library's
    defaults, in multiact's parameter names). ``arguments`` maps the library's own argument
    names to multiact's, so that ``get(...)(x, negative_slope=0.1)`` takes the library's
    spelling; ``choices`` maps a library's value of such an argument to multiact's (Keras's
    ``approximate=True`` is ``approximate='tanh'``). ``init`` marks a learnable module, built
    with these ``multiact.nn`` constructor arguments (the function is then that module with
    its initial parameters). ``note`` says what a port must know: where the name means
    another function elsewhere, or where the library's formula rounds differently from the
    one multiact computes. ``differs_at`` lists the special inputs (``"nan"``, ``"inf"``,
    ``"-inf"``) where the library's answer is not multiact's: its formula computes
    ``inf * 0`` or ``inf - inf`` there (NaN) where multiact returns the function's limit, or
    it maps NaN to a number where multiact keeps NaN (PyTorch's semantics).
    """

    activation: str
    params: Mapping[str, Any] = field(default_factory=dict)
    arguments: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)
    init: Mapping[str, Any] | None = None
    note: str = ""
    differs_at: tuple[str, ...] = ()

    def describe(self) -> str:
        """``multiact.gelu(x, approximate='tanh')``, or the module's constructor."""
        if self.init is not None:
            a = ACTIVATIONS[self.activation]
            args = ", ".join(f"{k}={v!r}" for k, v in self.init.items())
            return f"multiact.nn.{a.module}({args})"
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"multiact.{self.activation}(x{args})"


def _m(activation: str, note: str = "", **params: Any) -> Meaning:
    return Meaning(activation, MappingProxyType(params), note=note)


_GELU_EXACT = "the exact (erf) GELU, as PyTorch's default"
_GELU_TANH = "the tanh approximation (jax.nn's and Flax's default)"
_TANH_ROUNDING = (
    "computed as PyTorch's tanh GELU (multiact.gelu(x, approximate='tanh')); the library's "
    "formula rounds differently ({detail}). Measured on 200 001 points of [-10, 10]: at most "
    "{f32} apart in float32 (relative 2.4e-5 near x = -3, where 1 + tanh cancels in the "
    "library's form), {f64} in float64"
)
_PYTHON_FORM = dict(f32="4.8e-7", f64="8.9e-16")

#: Transformers' ACT2FN (transformers.activations), by config name (``hidden_act``).
TRANSFORMERS: dict[str, Meaning] = {
    "gelu": _m("gelu", f"{_GELU_EXACT} (torch.nn.functional.gelu)", approximate="none"),
    "gelu_10": _m(
        "clipped_gelu",
        "the exact GELU clipped to [-10, 10] (ClippedGELUActivation), for quantisation",
        min_val=-10.0,
        max_val=10.0,
    ),
    "gelu_accurate": _m(
        "gelu",
        _TANH_ROUNDING.format(
            detail="sqrt(2/pi) precomputed, 0.5 x (1 + tanh(...))", **_PYTHON_FORM
        ),
        approximate="tanh",
    ),
    "gelu_fast": _m(
        "gelu",
        _TANH_ROUNDING.format(
            detail="its constant 0.7978845608 is sqrt(2/pi) cut to 10 digits, 3.5e-12 relative",
            f32="4.8e-7",
            f64="9.1e-13",
        ),
        approximate="tanh",
    ),
    "gelu_new": _m(
        "gelu",
        _TANH_ROUNDING.format(
            detail="0.5 x (1 + tanh(...)) in Python operations",
            **_PYTHON_FORM,
        ),
        approximate="tanh",
    ),
    "gelu_python": _m(
        "gelu",
        "the exact GELU written x/2 (1 + erf(x / sqrt 2)) in Python operations; multiact "
        "computes PyTorch's exact GELU, at most 1.2e-6 apart in float32 and 1.8e-15 in "
        "float64 on [-10, 10]",
        approximate="none",
    ),
    "gelu_python_tanh": _m(
        "gelu",
        _TANH_ROUNDING.format(detail="x/2 (1 + tanh(...)) in Python operations", **_PYTHON_FORM),
        approximate="tanh",
    ),
    "gelu_pytorch_tanh": _m(
        "gelu", "torch.nn.functional.gelu(x, approximate='tanh') itself", approximate="tanh"
    ),
    "hardswish": _m("hardswish"),
    "laplace": _m("laplace", "Transformers' LaplaceActivation, mu=0.707107, sigma=0.282095"),
    "leaky_relu": _m("leaky_relu", "torch.nn.LeakyReLU(): slope 0.01", negative_slope=0.01),
    "linear": _m("identity"),
    "mish": _m("mish"),
    "prelu": Meaning(
        "prelu",
        init=MappingProxyType({"num_parameters": 1, "init": 0.25}),
        note="torch.nn.PReLU(): one learnable slope, initialised to 0.25",
    ),
    "quick_gelu": _m("quick_gelu", "x sigmoid(1.702 x) (CLIP's GELU approximation)"),
    "relu": _m("relu"),
    "relu2": _m("relu2", "relu(x)^2 (Primer's squared ReLU)"),
    "relu6": _m("relu6"),
    "sigmoid": _m("sigmoid"),
    "silu": _m("silu"),
    "sqrtsoftplus": _m("sqrtsoftplus", "sqrt(softplus(x)), softplus with PyTorch's threshold"),
    "swish": _m("silu"),
    "tanh": _m("tanh"),
    "xielu": Meaning(
        "xielu",
        init=MappingProxyType({}),
        note="Transformers' XIELUActivation: learnable alpha_p, alpha_n through softplus, "
        "initialised in bfloat16 (coefficients 0.80078125, not 0.8)",
    ),
}

#: timm's get_act_layer / get_act_fn names (timm.layers.create_act), lower-cased as timm does.
TIMM: dict[str, Meaning] = {
    "celu": _m("celu", alpha=1.0),
    "elu": _m("elu", alpha=1.0),
    "gelu": _m("gelu", _GELU_EXACT, approximate="none"),
    "gelu_tanh": _m("gelu", "the tanh approximation", approximate="tanh"),
    "hard_mish": _m("hard_mish", "timm's 0.5 x clamp(x + 2, 0, 2)"),
    "hard_sigmoid": _m("hardsigmoid"),
    "hard_swish": _m("hardswish"),
    "hardsigmoid": _m("hardsigmoid"),
    "hardswish": _m("hardswish"),
    "identity": _m("identity"),
    "leaky_relu": _m("leaky_relu", "slope 0.01", negative_slope=0.01),
    "mish": _m("mish"),
    "prelu": Meaning(
        "prelu",
        init=MappingProxyType({"num_parameters": 1, "init": 0.25}),
        note="timm's PReLU (torch.nn.PReLU): one learnable slope, initialised to 0.25",
    ),
    "quick_gelu": _m("quick_gelu", "x sigmoid(1.702 x)"),
    "relu": _m("relu"),
    "relu6": _m("relu6"),
    "selu": _m("selu"),
    "sigmoid": _m("sigmoid"),
    "silu": _m("silu"),
    "swish": _m("silu"),
    "tanh": _m("tanh"),
}

_SLOPE = {"negative_slope": "negative_slope"}


def _lib(
    activation: str,
    note: str = "",
    arguments: Mapping[str, str] | None = None,
    choices: Mapping[str, Mapping[Any, Any]] | None = None,
    **params: Any,
) -> Meaning:
    return Meaning(
        activation,
        MappingProxyType(params),
        MappingProxyType(dict(arguments or {})),
        MappingProxyType(dict(choices or {})),
        note=note,
    )


_APPROXIMATE = {"approximate": {False: "none", True: "tanh"}}

#: jax.nn's activation functions, with their defaults.
JAX: dict[str, Meaning] = {
    "celu": _lib("celu", arguments={"alpha": "alpha"}, alpha=1.0),
    "elu": _lib("elu", arguments={"alpha": "alpha"}, alpha=1.0),
    "gelu": _lib(
        "gelu",
        f"{_GELU_TANH}: approximate=True by default, where PyTorch's gelu is exact",
        arguments={"approximate": "approximate"},
        choices=_APPROXIMATE,
        approximate="tanh",
    ),
    "glu": _lib("glu", arguments={"axis": "axis"}, axis=-1),
    "hard_sigmoid": _lib("hardsigmoid"),
    "hard_silu": _lib("hardswish"),
    "hard_swish": _lib("hardswish"),
    "hard_tanh": _lib("hardtanh"),
    "identity": _lib("identity"),
    "leaky_relu": _lib("leaky_relu", "slope 0.01", _SLOPE, negative_slope=0.01),
    "log1mexp": _lib("log1mexp"),
    "log_sigmoid": _lib("logsigmoid"),
    "log_softmax": _lib("log_softmax", arguments={"axis": "axis"}, axis=-1),
    "mish": _lib("mish"),
    "relu": _lib("relu"),
    "relu6": _lib("relu6"),
    "selu": _lib("selu"),
    "sigmoid": _lib("sigmoid"),
    "silu": _lib("silu"),
    "soft_sign": _lib("softsign"),
    "softmax": _lib("softmax", arguments={"axis": "axis"}, axis=-1),
    "softplus": _lib("softplus", "log(1 + e^x) without PyTorch's threshold (same values)"),
    "sparse_plus": _lib("sparse_plus"),
    "sparse_sigmoid": _lib("sparse_sigmoid"),
    "squareplus": _lib("squareplus", arguments={"b": "b"}, b=4.0),
    "swish": _lib("silu"),
    "tanh": _lib("tanh"),
}

#: flax.linen's activation functions (jax.nn's, re-exported) and its PReLU module.
FLAX: dict[str, Meaning] = {
    **{
        name: JAX[name]
        for name in [
            "celu",
            "elu",
            "gelu",
            "glu",
            "hard_sigmoid",
            "hard_silu",
            "hard_swish",
            "hard_tanh",
            "leaky_relu",
            "log_sigmoid",
            "log_softmax",
            "relu",
            "relu6",
            "selu",
            "sigmoid",
            "silu",
            "soft_sign",
            "softmax",
            "softplus",
            "swish",
            "tanh",
        ]
    },
    "PReLU": Meaning(
        "prelu",
        init=MappingProxyType({"num_parameters": 1, "init": 0.01}),
        note="flax.linen.PReLU(): one learnable slope initialised to 0.01 "
        "(negative_slope_init), where PyTorch's starts at 0.25",
    ),
}

#: Keras 3's keras.activations.get names, with their defaults.
KERAS: dict[str, Meaning] = {
    "celu": _lib("celu", arguments={"alpha": "alpha"}, alpha=1.0),
    "elu": _lib("elu", arguments={"alpha": "alpha"}, alpha=1.0),
    "exponential": _lib("exponential"),
    "gelu": _lib(
        "gelu",
        f"{_GELU_EXACT}: approximate=False by default (jax.nn's and Flax's are tanh)",
        arguments={"approximate": "approximate"},
        choices=_APPROXIMATE,
        approximate="none",
    ),
    "glu": _lib("glu", arguments={"axis": "axis"}, axis=-1),
    "hard_shrink": _lib("hardshrink", arguments={"threshold": "lambd"}, lambd=0.5),
    "hard_sigmoid": _lib("hardsigmoid", "relu6(x + 3) / 6, as PyTorch's (Keras 2's was 0.2x+0.5)"),
    "hard_silu": _lib("hardswish"),
    "hard_swish": _lib("hardswish"),
    "hard_tanh": _lib("hardtanh"),
    "leaky_relu": _lib(
        "leaky_relu", "slope 0.2, where PyTorch's and JAX's is 0.01", _SLOPE, negative_slope=0.2
    ),
    "linear": _lib("identity"),
    "log_sigmoid": _lib("logsigmoid"),
    "log_softmax": _lib("log_softmax", arguments={"axis": "axis"}, axis=-1),
    "mish": _lib("mish"),
    "relu": _lib(
        "relu", "with its defaults (negative_slope=0, max_value=None, threshold=0): plain relu"
    ),
    "relu6": _lib("relu6"),
    "selu": _lib("selu"),
    "sigmoid": _lib("sigmoid"),
    "silu": _lib("silu"),
    "soft_shrink": _lib("softshrink", arguments={"threshold": "lambd"}, lambd=0.5),
    "softmax": _lib("softmax", arguments={"axis": "axis"}, axis=-1),
    "softplus": _lib("softplus", "log(1 + e^x) without PyTorch's threshold (same values)"),
    "softsign": _lib("softsign"),
    "sparse_plus": _lib("sparse_plus"),
    "sparse_sigmoid": _lib("sparse_sigmoid"),
    "sparsemax": _lib("sparsemax", arguments={"axis": "axis"}, axis=-1),
    "squareplus": _lib("squareplus", arguments={"b": "b"}, b=4.0),
    "swish": _lib("silu"),
    "tanh": _lib("tanh"),
    "tanh_shrink": _lib("tanhshrink"),
    "threshold": _lib(
        "threshold",
        "threshold and default_value have no defaults: pass them (x if x > threshold else "
        "default_value, as torch's threshold)",
        arguments={"threshold": "threshold", "default_value": "value"},
    ),
}


def _differing(table: dict[str, Meaning], where: dict[str, tuple[str, ...]]) -> None:
    for name, special in where.items():
        table[name] = dataclasses.replace(table[name], differs_at=special)


#: The library computes inf * 0 (NaN) at -inf where multiact returns the limit.
_MINUS_INF = ("-inf",)
#: PyTorch's float32 vectorised exact GELU gives NaN at +inf (one of its CPU code paths; its
#: scalar path and float64 give +inf, as multiact does on NumPy and JAX arrays).
_TORCH_GELU_INF = ("inf",)
_differing(
    TRANSFORMERS,
    {
        "gelu": _TORCH_GELU_INF,
        "gelu_python": _TORCH_GELU_INF,
        "gelu_10": ("-inf", *_TORCH_GELU_INF),
        "quick_gelu": _MINUS_INF,
        "xielu": _MINUS_INF,
    },
)
#: timm's hard_mish backward gives 0 at NaN, multiact's NaN.
_differing(TIMM, {"gelu": _TORCH_GELU_INF, "quick_gelu": _MINUS_INF, "hard_mish": ("-inf", "nan")})
#: jax.nn's and Keras's squareplus, (x + sqrt(x^2 + b)) / 2, overflow in x^2 beyond about
#: 1e19 (float32) and 1e154 (float64): inf or NaN where the value is finite (multiact's).
_OVERFLOW = ("-inf", "overflow")
_differing(JAX, {"squareplus": _OVERFLOW})
#: Keras's shrinks map NaN to 0 (its comparisons are false for NaN); multiact keeps NaN.
_differing(
    KERAS,
    {
        "gelu": _TORCH_GELU_INF,
        "hard_shrink": ("nan",),
        "soft_shrink": ("nan",),
        "squareplus": _OVERFLOW,
        "threshold": ("nan",),  # Keras: default_value (x > threshold is false); multiact NaN
    },
)


def _torch_table() -> dict[str, Meaning]:
    """multiact's own names and aliases: PyTorch's semantics, parameters as the registry has
    them (required ones, such as threshold's, stay required)."""
    table: dict[str, Meaning] = {}
    for a in ACTIVATIONS.values():
        own = {p.name: p.name for p in a.params}
        for name in (a.name, *a.aliases):
            table[name] = _lib(a.name, arguments=own)
    return table


#: convention -> (library, how the library is called by name).
LIBRARIES: dict[str, tuple[str, str]] = {
    "torch": ("PyTorch (and multiact's own names)", "torch.nn.functional.<name>"),
    "jax": ("jax.nn", "jax.nn.<name>"),
    "flax": ("Flax (flax.linen)", "flax.linen.<name>"),
    "keras": ("Keras 3", "keras.activations.get(name)"),
    "transformers": ("Hugging Face Transformers", "transformers.activations.ACT2FN[name]"),
    "timm": ("timm", "timm.layers.get_act_layer(name)() / get_act_fn(name)"),
}

#: convention -> name -> Meaning.
CONVENTIONS: Mapping[str, Mapping[str, Meaning]] = MappingProxyType(
    {
        "torch": MappingProxyType(_torch_table()),
        "jax": MappingProxyType(JAX),
        "flax": MappingProxyType(FLAX),
        "keras": MappingProxyType(KERAS),
        "transformers": MappingProxyType(TRANSFORMERS),
        "timm": MappingProxyType(TIMM),
    }
)


def _close(word: str, candidates: list[str]) -> str:
    # Compared lower-cased, so that "PRelu" finds "PReLU"; shown as the table spells them.
    spelled = {c.lower(): c for c in candidates}
    close = [spelled[c] for c in difflib.get_close_matches(word.lower(), spelled, 5, 0.6)]
    return f"; close names: {', '.join(map(repr, close))}" if close else ""


def meaning(fn: str, name: object, convention: object) -> Meaning:
    """The table entry of ``name`` in ``convention``, or a ValueError from ``fn`` listing the
    close names (and the conventions that do have the name)."""
    if not isinstance(convention, str) or convention not in CONVENTIONS:
        raise ValueError(
            f"multiact.{fn}: argument 'convention' must be one of {', '.join(CONVENTIONS)}; "
            f"got {convention!r}" + _close(str(convention), list(CONVENTIONS))
        )
    if not isinstance(name, str):
        raise TypeError(f"multiact.{fn}: argument 'name' must be a string; got {name!r}")
    table = CONVENTIONS[convention]
    key = name.lower() if convention == "timm" else name  # timm lower-cases names itself
    if key in table:
        return table[key]
    elsewhere = [c for c, t in CONVENTIONS.items() if name in t]
    hint = f"; {name!r} is a name of {', '.join(elsewhere)}" if elsewhere else ""
    raise ValueError(
        f"multiact.{fn}: argument 'name' must be an activation name of the {convention!r} "
        f"convention; got {name!r}" + _close(key, list(table)) + hint
    )


def _translate(fn: str, m: Meaning, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The library's keyword arguments in multiact's names and values."""
    out = {}
    for key, value in kwargs.items():
        if key not in m.arguments:
            known = ", ".join(m.arguments) or "none"
            raise TypeError(
                f"multiact.{fn}: unexpected argument {key!r}; the library's arguments here: {known}"
            )
        if key in m.choices and value in m.choices[key] and not isinstance(value, str):
            value = m.choices[key][value]
        out[m.arguments[key]] = value
    return out


class Resolved:
    """A library's activation, resolved: ``multiact.<activation>`` with the library's
    defaults; keyword arguments in the library's spelling override them."""

    def __init__(self, name: str, convention: str, m: Meaning) -> None:
        self.name, self.convention, self.meaning = name, convention, m
        self._function: Callable[..., Any] = getattr(_functional, m.activation)
        self.__name__ = name
        self.__doc__ = f"{name!r} as {LIBRARIES[convention][0]} means it: {m.describe()}."

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        params = {**self.meaning.params, **_translate("get", self.meaning, kwargs)}
        return self._function(x, **params)

    def __repr__(self) -> str:
        return (
            f"<multiact.get({self.name!r}, convention={self.convention!r}): "
            f"{self.meaning.describe()}>"
        )


def get(name: str, *, convention: str = "torch") -> Callable[..., Any]:
    """The activation ``convention``'s library calls ``name``, with that library's defaults,
    as a function of ``x`` on every backend.

    ``convention`` is one of ``"torch"`` (multiact's own names, PyTorch's semantics),
    ``"jax"``, ``"flax"``, ``"keras"``, ``"transformers"`` (``ACT2FN``, the ``hidden_act``
    of a config) and ``"timm"``. The same name can mean different functions:

    >>> import numpy as np
    >>> import multiact
    >>> x = np.array([-1.0, 0.5, 2.0])
    >>> multiact.get("gelu", convention="jax")
    <multiact.get('gelu', convention='jax'): multiact.gelu(x, approximate='tanh')>
    >>> multiact.get("gelu", convention="keras")(x)
    array([-0.15865525,  0.34573123,  1.95449974])
    >>> multiact.get("leaky_relu", convention="keras")(x)
    array([-0.2,  0.5,  2. ])

    Keyword arguments take the library's own spelling (``negative_slope=`` for Keras,
    ``approximate=True`` for jax.nn). A learnable activation (PReLU, Transformers' xIELU)
    comes back as its :func:`multiact.nn.get` module, with the library's initial parameters.
    An unknown name or convention is a ValueError listing the close names; nothing is
    guessed.
    """
    m = meaning("get", name, convention)
    if m.init is not None:
        # The learnable ones are multiact.nn's hand-written modules (PReLU, XIELU).
        return getattr(_nn_custom, ACTIVATIONS[m.activation].module)(**m.init)
    return Resolved(name, convention, m)


def module_arguments(
    name: str, convention: str, kwargs: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """For ``multiact.nn.get``: the ``multiact.nn`` class's name and its constructor's
    arguments for ``name`` in ``convention`` (``kwargs`` in the library's spelling)."""
    m = meaning("nn.get", name, convention)
    a = ACTIVATIONS[m.activation]
    if m.init is not None:
        return a.module, {**m.init, **kwargs}
    params = {**m.params, **_translate("nn.get", m, kwargs)}
    if a.reduces:
        # The function's axis (-1), not torch.nn's implicit dim=None.
        params.setdefault("axis", a.defaults.get("axis", -1))
    return a.module, {("dim" if k == "axis" else k): v for k, v in params.items()}
