"""The porting guide (``docs/porting.md``), written from the registry.

For every activation: its names in multiact, PyTorch, JAX and Keras 3, each one's parameters
and defaults, the registry's notes on where they differ, and the *recipes*: for each verified
difference, the framework's call, the multiact call a straight port would write (which gives
a different answer), and the multiact call that reproduces the framework. ``tests/test_porting.py``
runs every recipe against the installed frameworks, checks every recorded signature against
``inspect``, and fails while ``docs/porting.md`` differs from what ``python -m multiact._porting``
writes.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._registry import ACTIVATIONS, Activation

__all__ = [
    "FRAMEWORKS",
    "FRAMEWORK_SIGNATURES",
    "RECIPES",
    "Recipe",
    "guide",
    "main",
    "signature_text",
]

#: Framework key -> how the guide names it.
FRAMEWORKS = {"torch": "PyTorch", "jax": "JAX", "keras": "Keras 3"}

#: Each framework function's parameters after the input, as ``signature_text`` renders them.
#: Recorded (not read at build time) so the committed guide does not depend on what happens to
#: be installed; ``python -m multiact._porting`` records them afresh from the installed
#: frameworks, and tests/test_porting.py checks every entry against them.
SIGNATURES_PATH = Path(__file__).with_name("_framework_signatures.json")
FRAMEWORK_SIGNATURES: dict[str, str] = json.loads(SIGNATURES_PATH.read_text())

#: The framework versions the recorded signatures and recipes were last checked with.
CHECKED_WITH = "PyTorch 2.13.0, JAX 0.10.2 and Keras 3.15.1 (numpy backend)"


@dataclass(frozen=True)
class Recipe:
    """One verified difference between a framework and multiact, and how to bridge it.

    The calls are Python expressions in ``x`` (the input, as the framework's array) and the
    names ``np``, ``jnp``, ``jax``, ``torch``, ``F`` (``torch.nn.functional``), ``keras`` and
    ``multiact``. On ``inputs`` (reshaped to ``shape``, of ``dtype``), ``straight`` (what a
    straight port writes) must differ from ``framework`` (or raise), and ``reproduce`` (where
    there is one) must give the framework's answer, NaNs and signs of zero included.
    """

    activation: str
    framework: str
    topic: str
    difference: str
    framework_call: str
    straight: str
    reproduce: str | None
    inputs: tuple[float, ...]
    shape: tuple[int, ...] | None = None
    dtype: str = "float32"


_NO_OPTION = None  # the difference is at isolated points and no multiact option changes it


def _gradient_recipe(
    name: str, jax_name: str, difference: str, inputs: tuple[float, ...]
) -> Recipe:
    return Recipe(
        name,
        "jax",
        "gradient",
        difference,
        f"jax.vmap(jax.grad({jax_name}))(x)",
        f"multiact.vjp({name!r}, x, jnp.ones_like(x))",
        _NO_OPTION,
        inputs,
    )


_NAN = float("nan")
_INF = float("inf")

RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "gelu",
        "jax",
        "defaults",
        "jax.nn.gelu defaults to the tanh approximation (approximate=True, a bool); PyTorch and "
        "multiact default to the exact erf form.",
        "jax.nn.gelu(x)",
        "multiact.gelu(x)",
        "multiact.gelu(x, approximate='tanh')",
        (-3.0, -1.0, -0.5, 0.5, 1.0, 3.0),
    ),
    Recipe(
        "gelu",
        "keras",
        "parameters",
        "Keras' approximate is a bool (default False, the exact form, as PyTorch); True is "
        "multiact's approximate='tanh'.",
        "keras.activations.gelu(x, approximate=True)",
        "multiact.gelu(x)",
        "multiact.gelu(x, approximate='tanh')",
        (-3.0, -1.0, -0.5, 0.5, 1.0, 3.0),
    ),
    Recipe(
        "leaky_relu",
        "keras",
        "defaults",
        "Keras' default negative_slope is 0.2; PyTorch's, JAX's and multiact's is 0.01.",
        "keras.activations.leaky_relu(x)",
        "multiact.leaky_relu(x)",
        "multiact.leaky_relu(x, negative_slope=0.2)",
        (-3.0, -1.0, 0.0, 1.0),
    ),
    _gradient_recipe(
        "leaky_relu",
        "jax.nn.leaky_relu",
        "At x = 0 jax.nn.leaky_relu's gradient is 1; PyTorch's and multiact's is negative_slope.",
        (-1.0, 0.0, 1.0),
    ),
    Recipe(
        "softplus",
        "jax",
        "defaults",
        "jax.nn.softplus has no beta and no threshold: log(1 + exp(x)) everywhere (Keras' "
        "softplus has neither parameter either). PyTorch returns x itself where beta * x > "
        "threshold (20); a huge threshold turns that shortcut off (visible in float64).",
        "jax.nn.softplus(x)",
        "multiact.softplus(x)",
        "multiact.softplus(x, threshold=1e30)",
        (21.0, 25.0, 30.0),
        dtype="float64",
    ),
    *(
        Recipe(
            name,
            "torch",
            "axis",
            f"torch.nn.functional.{name} without dim picks the axis from ndim (0 for 0-, 1- and "
            "3-d input, else 1) and warns; multiact's function defaults to axis=-1, as jax.nn "
            f"and Keras. multiact.nn.{module}() (dim=None) makes PyTorch's choice, with its "
            "warning; better, pass the axis.",
            f"F.{name}(x)",
            f"multiact.{name}(x)",
            f"multiact.nn.{module}()(x)",
            (1.0, -2.0, 3.0, -5.0, 0.5, 0.25, -1.0, 2.0),
            shape=(2, 2, 2),
        )
        for name, module in (
            ("softmax", "Softmax"),
            ("log_softmax", "LogSoftmax"),
            ("softmin", "Softmin"),
        )
    ),
    *(
        Recipe(
            name,
            "jax",
            "sign of zero",
            f"jax.nn.{name}(-0.0) is +0.0; PyTorch and multiact return -0.0. Adding +0.0 turns "
            "-0.0 into +0.0 and changes nothing else.",
            f"jax.nn.{name}(x)",
            f"multiact.{name}(x)",
            f"multiact.{name}(x) + 0.0",
            (-0.0, 0.0, -1.0, 1.0),
        )
        for name in ("relu", "relu6")
    ),
    _gradient_recipe(
        "relu",
        "jax.nn.relu",
        "At NaN jax.nn.relu's gradient is 0; PyTorch's and multiact's is 1.",
        (_NAN, -1.0, 1.0),
    ),
    _gradient_recipe(
        "hardtanh",
        "jax.nn.hard_tanh",
        "At x = -1 and 1 (and NaN) jax.nn.hard_tanh's gradient is 1; PyTorch's and multiact's "
        "is 0.",
        (-1.0, 1.0, _NAN, 0.5),
    ),
    _gradient_recipe(
        "sparse_sigmoid",
        "jax.nn.sparse_sigmoid",
        "At x = -1 and 1 jax.nn.sparse_sigmoid's gradient is 0.25 (the mean of the one-sided "
        "slopes); multiact's is 0, the convention of PyTorch's clamps (hardtanh, hardsigmoid).",
        (-1.0, 1.0, 0.0),
    ),
    *(
        Recipe(
            name,
            "keras",
            "NaN",
            f"keras.activations.{keras_name} returns 0 for NaN; PyTorch and multiact return NaN "
            "(and Keras calls lambd threshold).",
            f"keras.activations.{keras_name}(x)",
            f"multiact.{name}(x)",
            f"multiact.{name}(np.where(np.isnan(x), 0.0, x))",
            (_NAN, -1.0, 0.2, 1.0),
        )
        for name, keras_name in (("hardshrink", "hard_shrink"), ("softshrink", "soft_shrink"))
    ),
    Recipe(
        "threshold",
        "keras",
        "NaN",
        "keras.activations.threshold(x, threshold, default_value) returns default_value for NaN; "
        "PyTorch and multiact keep NaN.",
        "keras.activations.threshold(x, 0.5, 20.0)",
        "multiact.threshold(x, 0.5, 20.0)",
        "multiact.threshold(np.where(np.isnan(x), -np.inf, x), 0.5, 20.0)",
        (_NAN, -1.0, 0.5, 1.0),
    ),
    Recipe(
        "squareplus",
        "jax",
        "infinities",
        "jax.nn.squareplus(-inf) is NaN (-inf + inf); multiact returns the limit, 0.",
        "jax.nn.squareplus(x)",
        "multiact.squareplus(x)",
        "jnp.where(x == -jnp.inf, jnp.nan, multiact.squareplus(x))",
        (-_INF, -1.0, 0.0, 1.0, _INF),
    ),
)

_TOPICS = {
    "defaults": "Default parameters",
    "parameters": "Parameter types and names",
    "axis": "The default axis",
    "sign of zero": "Signs of zero",
    "NaN": "NaN",
    "infinities": "Infinities",
    "gradient": "Gradients at kinks and special values",
}


def _framework_function(qualname: str) -> Callable[..., object]:
    import importlib
    import os

    # Keras imports TensorFlow, its default backend, unless told otherwise; its signatures are
    # the same on every backend.
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    module, _, attribute = qualname.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def signature_text(function: Callable[..., object]) -> str:
    """The parameters after the input, ``name=default`` (or ``name`` if required).

    PyTorch's C functions have no ``inspect`` signature: their docstring's first line
    (``gelu(input, approximate = 'none') -> Tensor``) is read instead. Private parameters
    (``_stacklevel``) are left out.
    """
    try:
        items = [(p.name, p.default) for p in inspect.signature(function).parameters.values()]
    except ValueError:
        first_line = (function.__doc__ or "").strip().splitlines()[0]
        match = re.match(r"\w+(\(.*\))", first_line)
        if match is None:
            raise
        arguments = ast.parse(f"def f{match.group(1)}: pass").body[0].args  # type: ignore[attr-defined]
        names = [a.arg for a in arguments.args]
        defaults = [ast.literal_eval(d) for d in arguments.defaults]
        padding = [inspect.Parameter.empty] * (len(names) - len(defaults))
        items = list(zip(names, padding + defaults, strict=True))
    return ", ".join(
        name if default is inspect.Parameter.empty else f"{name}={default!r}"
        for name, default in items[1:]
        if not name.startswith("_")
    )


def installed_signature(qualname: str) -> str:
    """``signature_text`` of the framework function as installed (imports it)."""
    return signature_text(_framework_function(qualname))


def _code(text: str | None) -> str:
    return f"`{text}`" if text else "—"


def _params_cell(text: str) -> str:
    return f"`{text}`" if text else "(none)"


def _anchor(name: str) -> str:
    return name  # the heading's slug, as GitHub and MyST make it


def _names_table(a: Activation) -> list[str]:
    import multiact

    names = a.names
    ours = ", ".join(f"`multiact.{n}`" for n in (a.name, *a.aliases))
    rows = [
        "| | function | module | parameters and defaults |",
        "|---|---|---|---|",
        f"| multiact | {ours} | `multiact.nn.{a.module}` | "
        f"{_params_cell(signature_text(getattr(multiact, a.name)))} |",
    ]
    for key, label in FRAMEWORKS.items():
        function = getattr(names, key)
        module = names.torch_module if key == "torch" else None
        if function is None and module is None:
            rows.append(f"| {label} | — | — | |")
            continue
        params = FRAMEWORK_SIGNATURES[function] if function else ""
        rows.append(
            f"| {label} | {_code(function)} | {_code(module)} | "
            f"{_params_cell(params) if function else ''} |"
        )
    return rows


def _inputs_text(r: Recipe) -> str:
    values = ", ".join(f"{v:g}" if v == v else "nan" for v in r.inputs)
    shape = f", shape {r.shape}" if r.shape else ""
    return f"[{values}] ({r.dtype}{shape})"


def _recipe_rows(recipes: list[Recipe]) -> list[str]:
    rows = [
        "| framework | what differs | the framework | a straight port (differs) "
        "| reproduces the framework | checked on x = |",
        "|---|---|---|---|---|---|",
    ]
    for r in recipes:
        reproduce = _code(r.reproduce) if r.reproduce else "no option: isolated points only"
        rows.append(
            f"| {FRAMEWORKS[r.framework]} | {r.difference} | `{r.framework_call}` "
            f"| `{r.straight}` | {reproduce} | {_inputs_text(r)} |"
        )
    return rows


def _overview() -> list[str]:
    lines = [
        "## Names at a glance",
        "",
        "| multiact | PyTorch | JAX | Keras 3 |",
        "|---|---|---|---|",
    ]
    for a in ACTIVATIONS.values():
        n = a.names
        torch = n.torch or n.torch_module
        lines.append(
            f"| [{a.name}](#{_anchor(a.name)}) | {_code(torch)} | {_code(n.jax)} "
            f"| {_code(n.keras)} |"
        )
    lines += ["", "## Differences at a glance", ""]
    for topic, title in _TOPICS.items():
        found = [r for r in RECIPES if r.topic == topic]
        if not found:
            continue
        items = ", ".join(
            f"[{r.activation}](#{_anchor(r.activation)}) ({FRAMEWORKS[r.framework]})" for r in found
        )
        lines.append(f"- **{title}**: {items}.")
    return lines


_GENERAL = """\
## What holds everywhere

- **Names.** multiact's functions have `torch.nn.functional`'s names, parameter names and
  defaults; the JAX and Keras spellings (`log_sigmoid`, `hard_swish`, `soft_sign`, `swish`,
  ...) are aliases of the same functions. `multiact.nn` has `torch.nn`'s classes, constructor
  signatures and `repr`.
- **Axes.** Functions that normalise along an axis take `axis=-1` (jax.nn's and Keras'
  spelling and default) and accept PyTorch's `dim=` too. PyTorch's functions have no default;
  see the recipes for softmax, log_softmax and softmin.
- **Special values.** NaN in gives NaN out, infinities and signs of zero follow PyTorch on
  every backend; where JAX or Keras differ, the recipes below show it and how to get their
  answer.
- **Gradients.** `torch.autograd`, `jax.grad` and `multiact.vjp` give PyTorch's gradient
  through multiact on every backend, including at kinks, where jax.nn's own functions often
  pick the other one-sided slope.
- **In place.** `inplace=True` and the `relu_`-style functions work where arrays are mutable
  (NumPy, PyTorch); JAX arrays are immutable, and multiact says so with a clear error.

Every recipe below is run by `tests/test_porting.py` against the installed frameworks: the
straight port must give a different answer from the framework on the inputs shown (or raise),
and the reproducing call must give the framework's answer exactly, NaN and signs of zero
included.
"""


def guide() -> str:
    """The text of ``docs/porting.md``."""
    lines = [
        "# Porting guide: PyTorch, JAX, Keras 3 and multiact",
        "",
        "<!-- Generated by `python -m multiact._porting` from the registry: do not edit. "
        "tests/test_porting.py checks that it is current. -->",
        "",
        "For every activation: its name and default parameters in PyTorch, JAX, Keras 3 and "
        "multiact, every place where they differ, and what to write in multiact to reproduce "
        f"each framework's behaviour. Signatures and recipes checked with {CHECKED_WITH}.",
        "",
        _GENERAL,
        *_overview(),
        "",
        "## Activation by activation",
        "",
    ]
    for a in ACTIVATIONS.values():
        lines += [f"### {a.name}", "", a.summary, "", *_names_table(a), ""]
        if a.names.differences:
            lines += ["Notes from the registry:", ""]
            lines += [f"- {d}" for d in a.names.differences]
            lines.append("")
        recipes = [r for r in RECIPES if r.activation == a.name]
        if recipes:
            lines += ["Differences verified on the installed frameworks, and the recipes:", ""]
            lines += [*_recipe_rows(recipes), ""]
    lines += _conventions_section()
    return "\n".join(lines).rstrip() + "\n"


def _conventions_section() -> list[str]:
    """The names of every convention (multiact._conventions), and where one name means
    different functions in different libraries."""
    from ._conventions import CONVENTIONS, LIBRARIES, Meaning

    lines = [
        "## Activation names of the model zoos",
        "",
        "`multiact.get(name, convention=...)` returns the function a library means by a name, "
        "with that library's defaults, on every backend; `multiact.nn.get` the module "
        "(learnable parameters initialised as the library does). The tables below are "
        "`multiact/_conventions.py`, checked against the libraries themselves by "
        "`tests/test_conventions.py` (forward on NumPy, PyTorch and JAX arrays, float32 and "
        "float64, with extremes, zeros, infinities and NaN; torch autograd for Transformers "
        "and timm). *Differs at* lists the special inputs where the library's answer is not "
        "multiact's, and why in the note.",
        "",
        "### One name, several functions",
        "",
        "| name | " + " | ".join(CONVENTIONS) + " |",
        "|---|" + "---|" * len(CONVENTIONS),
    ]
    libraries = [c for c in CONVENTIONS if c != "torch"]

    def function(m: Meaning) -> tuple[object, ...]:
        """What is computed: the activation, its parameters with the registry's defaults
        filled in, or the module's initial parameters."""
        a = ACTIVATIONS[m.activation]
        params = {p.name: p.default for p in a.params if p.kind in ("real", "choice", "axis")}
        params.update(m.params)
        return (m.activation, sorted(params.items(), key=str), sorted((m.init or {}).items()))

    names = sorted({n for c in libraries for n in CONVENTIONS[c]}, key=str.lower)
    for name in names:
        found = {c: CONVENTIONS[c][name] for c in CONVENTIONS if name in CONVENTIONS[c]}
        if len({repr(function(m)) for m in found.values()}) < 2:
            continue
        cells = [_code(found[c].describe()) if c in found else "—" for c in CONVENTIONS]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Under `convention='torch'` (the default) every name is multiact's own: PyTorch's "
        "semantics, so `multiact.get('gelu')` is the exact GELU.",
        "",
    ]
    for convention in libraries:
        library, how = LIBRARIES[convention]
        lines += [
            f"### {library} (`convention={convention!r}`)",
            "",
            f"Called in the library as `{how}`.",
            "",
            "| name | multiact computes | differs at | note |",
            "|---|---|---|---|",
        ]
        for name, m in sorted(CONVENTIONS[convention].items(), key=lambda kv: kv[0].lower()):
            differs = ", ".join(m.differs_at)
            lines.append(f"| `{name}` | `{m.describe()}` | {differs} | {m.note} |")
        lines.append("")
    return lines


GUIDE_PATH = Path(__file__).resolve().parent.parent / "docs" / "porting.md"


def record_signatures() -> bool:
    """Record every registry activation's framework signatures from the installed frameworks
    (those not installed keep their recorded ones); True if the record changed."""
    names = sorted(
        {n for a in ACTIVATIONS.values() for n in (a.names.torch, a.names.jax, a.names.keras) if n}
    )
    recorded = {
        name: installed_signature(name)
        if importlib.util.find_spec(name.split(".")[0]) is not None
        else FRAMEWORK_SIGNATURES[name]
        for name in names
    }
    if recorded == FRAMEWORK_SIGNATURES:
        return False
    SIGNATURES_PATH.write_text(json.dumps(recorded, indent=1) + "\n")
    FRAMEWORK_SIGNATURES.clear()
    FRAMEWORK_SIGNATURES.update(recorded)
    return True


def main(argv: list[str] | None = None) -> int:
    """Record the framework signatures, then write ``docs/porting.md`` (or the path given) if
    its text changed."""
    if record_signatures():
        print(f"wrote {SIGNATURES_PATH}")
    path = Path(argv[0]) if argv else GUIDE_PATH
    text = guide()
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
