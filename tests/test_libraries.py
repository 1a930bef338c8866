"""The page "Other libraries against PyTorch" (``docs/conformance/libraries.md``) is not stale.

The page is rendered from ``libraries.json`` alone: rendering it again must give the committed
page; the JSON must hold every function the code's table (``conformance.libraries.ENTRIES``)
measures, for each library that was installed when it was generated; and a small re-run
(scipy.special's functions in float32, where the installed SciPy and PyTorch are the versions
recorded) must find what the JSON says. Regenerate with the command the page gives.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
from pathlib import Path

import pytest
from multiact.conformance import libraries

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "conformance" / "libraries.md"
DATA = PAGE.with_suffix(".json")
COMMAND = "python -m multiact.conformance.libraries --report docs/conformance/libraries.md"
STALE = f"docs/conformance/libraries.md is stale: regenerate it with `{COMMAND}`"


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(DATA.read_text())


def test_the_page_is_rendered_from_its_data(data):
    assert libraries.render(data, COMMAND) == PAGE.read_text(), STALE


def test_a_changed_result_changes_the_page(data):
    changed = copy.deepcopy(data)
    entry = next(e for e in changed["entries"] if e.get("ok"))
    group = next(iter(entry["groups"].values()))
    group["failed"], group["checks"] = 1, ["value"]
    entry["ok"] = False
    assert libraries.render(changed, COMMAND) != PAGE.read_text()


def test_the_data_holds_every_function_of_the_table(data):
    measured = {key for key, info in data["libraries"].items() if "missing" not in info}
    expected = {e.id: e.label for e in libraries.ENTRIES if e.library in measured}
    recorded = {e["id"]: e["label"] for e in data["entries"]}
    assert recorded == expected, STALE


def test_every_library_was_measured(data):
    assert set(data["libraries"]) == set(libraries.LIBRARIES), STALE
    missing = {k: v["missing"] for k, v in data["libraries"].items() if "missing" in v}
    assert not missing, f"the committed page leaves libraries out: {missing}"


def test_a_rerun_finds_what_the_data_says(data):
    pytest.importorskip("scipy")
    recorded_versions = {
        "scipy": data["libraries"]["scipy"]["version"],
        "torch": data["meta"]["versions"]["torch"],
        "numpy": data["meta"]["versions"]["numpy"],
    }
    for name, recorded in recorded_versions.items():
        if importlib.metadata.version(name) != recorded:
            pytest.skip(f"{name} {importlib.metadata.version(name)} here, {recorded} recorded")
    entries = [e for e in libraries.ENTRIES if e.library == "scipy"]
    rerun = libraries.run(entries, dtypes=["float32"])
    recorded = {e["id"]: e for e in data["entries"]}
    for entry in rerun["entries"]:
        group = entry["groups"]["float32|forward"]
        before = recorded[entry["id"]]["groups"]["float32|forward"]
        assert (group["failed"], group["checks"]) == (before["failed"], before["checks"]), (
            f"{entry['id']}: {STALE}"
        )
        assert group["worst"] == before["worst"], f"{entry['id']}: {STALE}"


def test_the_page_is_in_the_conformance_section():
    index = (ROOT / "docs" / "conformance" / "index.md").read_text()
    assert "libraries" in index.split("```{toctree}")[1]
