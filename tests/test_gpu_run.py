"""The GPU script (conformance/gpu_run.py) runs end to end on the CPU, so that it still works
when a GPU machine is next available."""

from __future__ import annotations

import json

import pytest
from multiact.conformance import gpu_run

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    report = tmp_path_factory.mktemp("gpu-run")
    with pytest.MonkeyPatch.context() as patch:
        # main() sets JAX's preallocation switch for its workers: keep it out of this process.
        patch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
        status = gpu_run.main(["--device", "cpu", "--smoke", "--report", str(report)])
    return status, report


def test_smoke_run_passes(smoke_report):
    status, _ = smoke_report
    assert status == 0


def test_writes_the_conformance_report(smoke_report):
    _, report = smoke_report
    cases = json.loads((report / "report.json").read_text())["cases"]
    assert {c["activation"] for c in cases} == set(gpu_run.SMOKE_ACTIVATIONS)
    assert {c["device"] for c in cases} == {"cpu"}
    assert all(c["status"] == "pass" for c in cases)


def test_times_every_library_it_has(smoke_report):
    _, report = smoke_report
    result = json.loads((report / "throughput.json").read_text())
    timed = {(row["library"], row["activation"]) for row in result["rows"]}
    libraries = {"torch"} | ({"jax"} if "jax" not in result["skipped"] else set())
    assert timed == {(lib, a) for lib in libraries for a in gpu_run.SMOKE_ACTIVATIONS}
    assert all(row["native_ms"] > 0 and row["ratio"] > 0 for row in result["rows"])
    # CuPy arrays live only on a GPU: never timed on the CPU, and the report says why.
    assert "cupy" in result["skipped"]
    # The table closes the conformance report's page (a page of its own would be outside the
    # docs site's table of contents): once, after the conformance summary.
    markdown = (report / "report.md").read_text()
    assert markdown.count("\n| torch |") == len(gpu_run.SMOKE_ACTIVATIONS)
    assert markdown.count(gpu_run.THROUGHPUT_MARK) == 1
    assert markdown.index(gpu_run.THROUGHPUT_MARK) > markdown.index("| relu")
    assert not (report / "throughput.md").exists()


def test_a_second_run_replaces_the_throughput_section(smoke_report, tmp_path):
    _, report = smoke_report
    before = (report / "report.md").read_text()
    copy = tmp_path / "report.md"  # the module's report stays as the run left it
    copy.write_text(before)
    gpu_run._append_throughput(copy, "## Throughput again\n")
    after = copy.read_text()
    assert after.endswith("\n\n## Throughput again\n")
    assert after.split("## Throughput again")[0] == before.split(gpu_run.THROUGHPUT_MARK)[0]


def test_records_the_environment(smoke_report):
    _, report = smoke_report
    environment = json.loads((report / "environment.json").read_text())
    assert environment["device"] == "cpu"
    assert environment["versions"]["torch"] == torch.__version__
    # Every library whose adapter has a CUDA device, installed or not.
    assert set(environment["gpu_status"]) == {"torch", "jax", "tensorflow", "cupy"}


def test_says_which_packages_are_missing_and_how_to_bring_them():
    absent = gpu_run.Requirement("multiact_no_such_module", "no-such-wheel", "a test", True)
    missing = gpu_run.missing_requirements([absent, *gpu_run.REQUIREMENTS[:1]])
    assert missing == [absent]
    message = gpu_run._explain_missing(missing)
    assert "no-such-wheel" in message
    assert "pip install --no-index --find-links wheels/ no-such-wheel" in message


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_refuses_cuda_without_a_gpu(tmp_path, capsys):
    assert gpu_run.main(["--device", "cuda", "--report", str(tmp_path)]) == 2
    assert "PyTorch sees no GPU" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
