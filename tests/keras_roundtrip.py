"""Run by tests/test_keras.py in a subprocess, one per Keras backend (Keras reads
KERAS_BACKEND once, at import): ``python keras_roundtrip.py train|load DIR NAME...``.

``train`` builds ``Dense(8, activation=multiact.NAME)`` models, fits them for a few steps and
saves each (with its predictions) to DIR; ``load`` loads them in a fresh process and predicts
again. Both print their findings as JSON on the last line of stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _data():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def _model(activation):
    import keras

    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation=activation), keras.layers.Dense(1)]
    )


def _register(names: list[str]) -> None:
    # Without this, Keras saves a function by its bare name and loads its own function of that
    # name where it has one (leaky_relu with Keras's slope, 0.2), or fails where it has none.
    import keras

    import multiact

    for name in names:
        keras.saving.register_keras_serializable(package="multiact")(getattr(multiact, name))


def train(directory: Path, names: list[str]) -> dict:
    import keras
    import numpy as np

    import multiact

    keras.utils.set_random_seed(0)
    x, y = _data()
    results: dict = {"backend": keras.backend.backend()}
    # Before registering: what an unregistered multiact activation becomes once saved.
    unregistered = _model(multiact.leaky_relu)
    unregistered.save(directory / "unregistered.keras")
    restored = keras.models.load_model(directory / "unregistered.keras").layers[0].activation
    results["unregistered"] = {
        "restored": f"{restored.__module__}.{restored.__name__}",
        "same_outputs": bool(
            np.array_equal(
                unregistered.predict(x, verbose=0),
                keras.models.load_model(directory / "unregistered.keras").predict(x, verbose=0),
            )
        ),
    }
    _register(names)
    for name in names:
        model = _model(getattr(multiact, name))
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        before = [w.copy() for w in model.get_weights()]
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        after = model.get_weights()
        model.save(directory / f"{name}.keras")
        np.save(directory / f"{name}.npy", np.asarray(model.predict(x, verbose=0)))
        results[name] = {
            "losses": [float(v) for v in history.history["loss"]],
            "weights_changed": all(
                not np.array_equal(a, b) for a, b in zip(before, after, strict=True)
            ),
        }
    return results


def load(directory: Path, names: list[str]) -> dict:
    import keras
    import numpy as np

    import multiact

    _register(names)
    x, _ = _data()
    results: dict = {"backend": keras.backend.backend()}
    for name in names:
        model = keras.models.load_model(directory / f"{name}.keras")
        saved = np.load(directory / f"{name}.npy")
        results[name] = {
            "is_multiacts": model.layers[0].activation is getattr(multiact, name),
            "same_outputs": bool(np.array_equal(np.asarray(model.predict(x, verbose=0)), saved)),
        }
    return results


if __name__ == "__main__":
    mode, directory, *activations = sys.argv[1:]
    run = {"train": train, "load": load}[mode]
    print(json.dumps(run(Path(directory), activations)))
