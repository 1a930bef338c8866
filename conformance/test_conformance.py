"""One test per conformance case (the cases come from ``conftest.py``)."""

from __future__ import annotations

import pytest


def test_case(case, conformance_engine):
    result = conformance_engine.run_case(case)
    if result.status == "skip":
        pytest.skip(result.message)
    assert result.status == "pass", result.message
