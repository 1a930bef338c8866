"""pytest runs the ``>>>`` examples of the docs pages (``--doctest-glob=*.md``), not these."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np
import pytest

# Sphinx's configuration and extension are not test modules; the conformance reports, the
# generated gallery and API pages and the built site hold no examples of their own.
collect_ignore = ["conf.py", "_ext", "_build"]
collect_ignore_glob = ["conformance/*/report.*", "api/generated/*", "gallery/*"]


@pytest.fixture(autouse=True)
def _print_options_restored() -> Iterator[None]:
    """The home page sets NumPy's and PyTorch's print options, as a reader would; they are
    process-wide, so they are put back for the examples that run after it."""
    with np.printoptions():
        yield
    if "torch" in sys.modules:
        sys.modules["torch"].set_printoptions(profile="default")
