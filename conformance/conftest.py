"""``pytest conformance/``: the conformance suite as one pytest test per case.

The cases are the engine's (``multiact.conformance.cases.enumerate_cases``), with ids such as
``gelu[tanh]-jax-bfloat16-cpu-grid``; ``-k`` selects among them as usual. Options narrow the
matrix the same way ``multiact conformance`` does::

    pytest conformance/ --conformance-quick
    pytest conformance/ --conformance-backends jax,numpy --conformance-dtypes float32
    pytest conformance/ --conformance-device cuda

A case computes its whole batch (all value kinds of one target, dtype and mode) the first time
one of them runs, and the others read the cached results; the exact values are cached in
``~/.cache/multiact/conformance`` unless ``--conformance-no-cache`` is given.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "multiact conformance suite")
    group.addoption(
        "--conformance-quick",
        action="store_true",
        help="run the CI-sized quick profile instead of the full matrix",
    )
    for name, what in (
        ("backends", "targets (numpy, torch, jax, array-api-strict, dask, generic-*, cupy)"),
        ("dtypes", "dtypes (float16, bfloat16, float32, float64)"),
        ("activations", "activation names or aliases"),
    ):
        group.addoption(
            f"--conformance-{name}",
            action="append",
            default=None,
            metavar="NAMES",
            help=f"comma-separated {what}; default: all",
        )
    group.addoption(
        "--conformance-device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where the arrays live (cuda needs a GPU)",
    )
    group.addoption(
        "--conformance-no-cache",
        action="store_true",
        help="do not read or write the cache of exact values",
    )


def _names(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _profile(config: pytest.Config) -> str:
    return "quick" if config.getoption("--conformance-quick") else "full"


def pytest_configure(config: pytest.Config) -> None:
    from multiact.conformance.engine import prepare

    prepare(_names(config.getoption("--conformance-backends")))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" not in metafunc.fixturenames:
        return
    from multiact.conformance.cases import PROFILES, enumerate_cases

    config = metafunc.config
    try:
        cases = enumerate_cases(
            PROFILES[_profile(config)],
            activations=_names(config.getoption("--conformance-activations")),
            targets=_names(config.getoption("--conformance-backends")),
            dtypes=_names(config.getoption("--conformance-dtypes")),
            device=config.getoption("--conformance-device"),
        )
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    metafunc.parametrize("case", cases, ids=[c.id for c in cases])


@pytest.fixture(scope="session")
def conformance_engine(request: pytest.FixtureRequest):
    from multiact.conformance.engine import Engine
    from multiact.conformance.truth import default_cache_dir

    config = request.config
    cache = None if config.getoption("--conformance-no-cache") else default_cache_dir()
    engine = Engine(_profile(config), cache)
    yield engine
    engine.save()
