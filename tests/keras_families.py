"""Run by tests/test_families.py in a subprocess per Keras backend (Keras reads KERAS_BACKEND
once, at import): ``python keras_families.py train|load DIR``.

``train`` calls every multiact.keras.layers class on DIR/x.npy and compares with DIR's expected
values (torch.nn's), takes one SGD step of a PReLU(4) on DIR's data (the weight after it is
compared with torch.nn.PReLU's by the test), fits a model with multiact layers and saves it;
``load`` loads it in a fresh process and predicts again. Both print JSON on the last line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _model():
    import keras

    import multiact.keras.layers as layers

    return keras.Sequential(
        [
            keras.Input((4, 3)),
            keras.layers.Dense(3),
            layers.PReLU(4, 0.1),
            layers.RReLU(seed=0),
            layers.GELU(approximate="tanh"),
            layers.Softmax(dim=-1),
        ]
    )


def train(directory: Path) -> dict:
    import keras
    import numpy as np

    import multiact.keras.layers as layers

    keras.utils.set_random_seed(0)
    x = np.load(directory / "x.npy")
    expected = np.load(directory / "expected.npz")
    configs = json.loads((directory / "configs.json").read_text())
    mismatches = []
    for key, (name, kwargs) in configs.items():
        y = np.asarray(keras.ops.convert_to_numpy(getattr(layers, name)(**kwargs)(x)))
        if y.shape != expected[key].shape or not np.allclose(
            y, expected[key], rtol=2e-6, atol=1e-6, equal_nan=True
        ):
            mismatches.append(key)
    # One SGD step of PReLU(4) alone, as tests/test_families.py takes it with torch.nn.PReLU.
    train_x, target = np.load(directory / "train_x.npy"), np.load(directory / "train_target.npy")
    prelu = keras.Sequential([keras.Input(train_x.shape[1:]), layers.PReLU(4)])
    prelu.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    prelu.train_on_batch(train_x, target)
    stepped = np.asarray(prelu.layers[0].weight.numpy()).tolist()
    # A model that trains (RReLU random in training), saves and loads.
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = np.asarray(model.layers[1].weight.numpy()).copy()
    model.fit(train_x, target / target.sum(axis=-1, keepdims=True), epochs=2, verbose=0)
    after = np.asarray(model.layers[1].weight.numpy())
    model.save(directory / "model.keras")
    np.save(directory / "predicted.npy", np.asarray(model.predict(train_x, verbose=0)))
    return {
        "backend": keras.backend.backend(),
        "mismatches": mismatches,
        "stepped": stepped,
        "weights_changed": bool(not np.array_equal(before, after)),
        "classes": [type(layer).__module__ + "." + type(layer).__name__ for layer in model.layers],
    }


def load(directory: Path) -> dict:
    import keras
    import numpy as np

    import multiact.keras.layers  # noqa: F401  (registers the layers with Keras)

    model = keras.models.load_model(directory / "model.keras")
    train_x = np.load(directory / "train_x.npy")
    predicted = np.asarray(model.predict(train_x, verbose=0))
    return {
        "backend": keras.backend.backend(),
        "classes": [type(layer).__module__ + "." + type(layer).__name__ for layer in model.layers],
        "same_outputs": bool(np.array_equal(predicted, np.load(directory / "predicted.npy"))),
    }


if __name__ == "__main__":
    mode, directory = sys.argv[1:]
    print(json.dumps({"train": train, "load": load}[mode](Path(directory))))
