"""multiact's pytest plugin: the fixture ``assert_conforms``, with no import to write.

Registered under the name ``multiact`` (the ``pytest11`` entry point) wherever multiact is
installed; ``-p no:multiact`` turns it off. The fixture is :func:`multiact.testing.assert_conforms`;
``--multiact-quick`` makes its checks use the CI-sized profile unless a test says
``quick=False``::

    def test_my_gelu_is_pytorchs(assert_conforms):
        assert_conforms(my_gelu, "gelu", library="torch", grad=True)

Loading the plugin imports nothing beyond pytest and multiact itself: the conformance engine
loads when a check runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["assert_conforms", "pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("multiact", "multiact conformance checks")
    group.addoption(
        "--multiact-quick",
        action="store_true",
        default=False,
        help="assert_conforms: the CI-sized profile (float32, fewer points) unless a test "
        "passes quick=False",
    )


@pytest.fixture
def assert_conforms(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """:func:`multiact.testing.assert_conforms` (with ``quick=True`` by default under
    ``--multiact-quick``)."""
    from multiact.testing import assert_conforms as check

    if request.config.getoption("multiact_quick"):
        return functools.partial(check, quick=True)
    return check
