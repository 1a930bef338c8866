"""The package's C extensions, loaded where ``setup.py`` could build them.

``multiact._ufuncs`` (the NumPy backend's compiled loops, ``backends/_compiled.py``) and
``multiact._dispatcher`` (the public functions' first step, ``multiact/_dispatch.py``) are
optional: without a C compiler the package installs without them and runs in Python.
``MULTIACT_NO_COMPILED=1`` in the environment (read at import) turns both off, so the suite runs
the package such a machine gets.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

__all__ = ["load"]


def load(name: str) -> tuple[ModuleType | None, str]:
    """``multiact.<name>`` and ``""``, or ``None`` and why it is not in use."""
    if os.environ.get("MULTIACT_NO_COMPILED"):
        return None, "MULTIACT_NO_COMPILED is set"
    try:
        return importlib.import_module(f"multiact.{name}"), ""
    except ImportError as error:
        return None, str(error) or type(error).__name__
