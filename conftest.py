"""Repository-wide pytest set-up: names every doctest may use."""

import numpy as np
import pytest

import multiact


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    doctest_namespace["np"] = np
    doctest_namespace["multiact"] = multiact
