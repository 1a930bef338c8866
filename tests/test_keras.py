"""Keras 3 models with multiact activations (``Dense(..., activation=multiact.gelu)``) train,
save and load on Keras's JAX and PyTorch backends.

Keras picks its backend from KERAS_BACKEND once, at import, so each backend runs in
subprocesses (tests/keras_roundtrip.py): one trains and saves, a fresh one loads, as a user
would. docs/quickstart.md says how (registering the activations with Keras) and why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("keras") is None:  # not imported here: see above
    pytest.skip("keras missing", allow_module_level=True)

SCRIPT = Path(__file__).with_name("keras_roundtrip.py")
BACKENDS = [
    pytest.param(
        backend,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(backend) is None, reason=f"{backend} missing"
        ),
    )
    for backend in ("jax", "torch", "tensorflow")
]
#: One of each kind: names Keras has with other defaults (leaky_relu) or the same (gelu,
#: squareplus), names it lacks (softmin, rrelu), multiact's own autograd Functions on torch
#: (squareplus, sparse_sigmoid, sparsemax) and a softmax-like. (glu is not among them: it halves
#: the last axis, and Keras's Dense assumes its activation keeps the shape.)
ACTIVATIONS = [
    "gelu",
    "leaky_relu",
    "mish",
    "rrelu",
    "softmin",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
]


def _run(backend: str, mode: str, directory: Path) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), mode, str(directory), *ACTIVATIONS],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_models_with_multiact_activations_train_save_and_load(backend, tmp_path):
    # One test per backend, the activations checked together: a subprocess pair per backend
    # (a fixture shared by per-activation tests would run once per xdist worker).
    trained = _run(backend, "train", tmp_path)
    loaded = _run(backend, "load", tmp_path)
    assert trained["backend"] == loaded["backend"] == backend
    failures = []
    for name in ACTIVATIONS:
        losses = trained[name]["losses"]
        if not losses[-1] < losses[0]:
            failures.append(f"{name}: the loss did not decrease: {losses}")
        if not trained[name]["weights_changed"]:
            failures.append(f"{name}: training left weights unchanged")
        if not loaded[name]["is_multiacts"]:
            failures.append(f"{name}: the loaded model's activation is not multiact's")
        if not loaded[name]["same_outputs"]:
            failures.append(f"{name}: the loaded model predicts differently")
    assert not failures, "\n".join(failures)
    # Why the docs say to register: saved by its bare name, multiact.leaky_relu (PyTorch's
    # slope, 0.01) loads as keras.activations.leaky_relu (slope 0.2).
    unregistered = trained["unregistered"]
    assert unregistered["restored"].startswith("keras."), unregistered
    assert not unregistered["same_outputs"]
