"""The activation registry: every activation, declared once in ``_catalog.py``, indexed here.

The public functions (``multiact/_functional.py``) and the ``multiact.nn`` classes
(``multiact/nn.py``) are generated from the declarations by ``python -m multiact._codegen``;
the backends are checked against them, and the tests, the conformance cases and
``multiact list`` read them. Nothing about an activation (its name, parameters, defaults,
dtype policy, names in other frameworks) is typed anywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from ._activation import REQUIRED, Activation, FrameworkNames, Param
from ._catalog import DECLARATIONS

__all__ = ["ACTIVATIONS", "REQUIRED", "Activation", "FrameworkNames", "Param", "lookup"]

#: Every activation by canonical name, in declaration order.
ACTIVATIONS: Mapping[str, Activation] = MappingProxyType({a.name: a for a in DECLARATIONS})

_BY_ANY_NAME: Mapping[str, Activation] = MappingProxyType(
    {alias: a for a in DECLARATIONS for alias in (a.name, *a.aliases)}
)


def lookup(name: str) -> Activation:
    """The activation called ``name`` (canonical name or alias)."""
    try:
        return _BY_ANY_NAME[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name
        from ._checks import did_you_mean

        hint = did_you_mean(name, _BY_ANY_NAME) or "; multiact.ACTIVATIONS lists them all"
        raise KeyError(f"multiact has no activation named {name!r}{hint}") from None


def _check_declarations() -> None:
    # Invariants the code generator relies on: a broken declaration fails at import.
    for a in DECLARATIONS:
        names = [p.name for p in a.params]
        problems = []
        if len(set(names)) != len(names):
            problems.append("repeated parameter names")
        if sum(p.kind == "axis" for p in a.params) > 1:
            problems.append("more than one axis parameter")
        for p in a.params:
            if p.required or p.kind in ("array", "generator"):
                continue
            if p.kind == "real" and not (isinstance(p.default, float) and math.isfinite(p.default)):
                problems.append(f"{p.name}'s default is not a finite float")
            if p.kind == "choice" and p.default not in p.choices:
                problems.append(f"{p.name}'s default is not one of its choices")
        for low, high in a.ordered:
            if low not in names or high not in names:
                problems.append(f"ordered pair ({low}, {high}) names an unknown parameter")
        if a.promoted_kinds and a.supports_inplace:
            problems.append("promotes integers but has inplace (the result's dtype differs)")
        if a.complex_inputs and a.math_params:
            problems.append("takes complex arrays but has parameters (complex kernels take x)")
        if a.bools != "refuse" and a.integers == "refuse":
            problems.append("takes bool arrays but not integer ones")
        if any(p.required for p in a.params) and not a.variants:
            problems.append("required parameters but no variant to test them with")
        if problems:
            raise ValueError(f"registry entry {a.name!r}: {'; '.join(problems)}")
    if len(_BY_ANY_NAME) != sum(1 + len(a.aliases) for a in DECLARATIONS):
        raise ValueError("two activations share a name or alias")


_check_declarations()
