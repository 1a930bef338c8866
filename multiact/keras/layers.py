"""``torch.nn``'s activation modules as Keras 3 layers, on every Keras backend multiact has
(JAX, PyTorch, NumPy).

The layers have ``torch.nn``'s names, constructor signatures (plus Keras's own keywords:
``name``, ``dtype``, ``trainable``), attributes and ``repr``, and call multiact's function on
the backend's arrays. PReLU's slopes are a trainable weight named ``weight`` of shape
``(num_parameters,)`` set to ``init``, as in PyTorch, along axis 1 as in PyTorch (Keras's own
``keras.layers.PReLU`` has ``alpha`` over the last axes). Each layer is registered with Keras
(``"multiact>LeakyReLU"``) and has ``get_config``, so ``model.save`` and
``keras.models.load_model`` keep it: import this module before loading::

    >>> import numpy as np
    >>> import multiact.keras.layers as mlayers
    >>> layer = mlayers.LeakyReLU(0.2)
    >>> layer
    LeakyReLU(negative_slope=0.2)
    >>> np.asarray(layer(np.array([1.0, -2.0], dtype="float32")))
    array([ 1. , -0.4], dtype=float32)

Differences from ``torch.nn``: ``inplace=True`` is passed on to multiact, which refuses it for
JAX's immutable arrays (and writes into the tensor on the PyTorch backend, as ``torch.nn``
does); RReLU draws its slopes while training (Keras's ``training=True``, from a
``keras.random.SeedGenerator(seed)``; PyTorch's global generator on the PyTorch backend) and
uses the mean slope otherwise. Each class is built from its :mod:`multiact.nn` counterpart
when this module is imported.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import keras

from .. import _families
from .. import _functional as _F

__all__ = ["Layer", *(c.__name__ for c in _families.NEUTRAL)]


def __dir__() -> list[str]:
    # The classes only: the imports the classes need (Any, ClassVar, the framework) are not API.
    return list(__all__)


#: Keras's own constructor keywords, handed to keras.layers.Layer.
_LAYER_KEYWORDS = ("name", "trainable", "dtype", "autocast", "input_shape", "input_dim")


class Layer(keras.layers.Layer):
    """The base of :mod:`multiact.keras.layers`: a Keras layer with the borrowed constructor,
    ``get_config`` from the constructor's attributes, and ``torch.nn``'s ``repr``."""

    _neutral: ClassVar[type]
    _activation: ClassVar[str]
    _owner: ClassVar[str]
    _attributes: ClassVar[tuple[str, ...]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        takes = inspect.signature(type(self)._neutral).parameters
        layer = {k: kwargs[k] for k in _LAYER_KEYWORDS if k in kwargs}
        super().__init__(**layer)
        # PReLU's dtype is torch's too (the weight's): Keras's dtype policy serves both.
        mine = {k: v for k, v in kwargs.items() if k not in layer or k in takes}
        type(self)._neutral.__init__(self, *args, **mine)

    def call(self, inputs: Any) -> Any:
        # The borrowed forward, under another name: on Keras's PyTorch backend a layer is a
        # torch.nn.Module whose forward is Keras's own.
        return self._forward(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if self._activation == "glu":  # glu halves its axis
            shape = list(input_shape)
            if shape[self.dim] is not None:
                shape[self.dim] //= 2
            return tuple(shape)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **{a: getattr(self, a) for a in self._attributes}}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _new_weight(
    self: Layer, num_parameters: int, init: float, device: object, dtype: object
) -> keras.Variable:
    if device is not None:
        raise ValueError(
            f"multiact.{self._owner}: argument 'device' must be None for a Keras layer; place "
            "the model with `with keras.device(...)` instead"
        )
    return self.add_weight(
        name="weight",
        shape=(num_parameters,),
        initializer=keras.initializers.Constant(init),
        trainable=True,
    )


def _rrelu_init(
    self: Layer,
    lower: float = 0.125,
    upper: float = 1.0 / 3.0,
    inplace: bool = False,
    *,
    seed: int | None = None,
    **kwargs: Any,
) -> None:
    Layer.__init__(self, lower, upper, inplace, **kwargs)
    self.seed = seed
    self.seed_generator = keras.random.SeedGenerator(seed)


def _rrelu_call(self: Layer, inputs: Any, training: bool | None = None) -> Any:
    if not training:
        return _F.rrelu(inputs, self.lower, self.upper, False, self.inplace)
    # A JAX key from the layer's seed generator (its state advances inside Keras's traced
    # training step); the other backends draw from their own generator.
    key = self.seed_generator.next() if keras.backend.backend() == "jax" else None
    return _F.rrelu(inputs, self.lower, self.upper, True, self.inplace, generator=key)


def _rrelu_config(self: Layer) -> dict[str, Any]:
    return {**Layer.get_config(self), "seed": self.seed}


def _with_layer_keywords(sig: inspect.Signature) -> inspect.Signature:
    keywords = inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)
    return sig.replace(parameters=[*sig.parameters.values(), keywords])


_RRELU_SIGNATURE = inspect.signature(_rrelu_init).replace(
    parameters=list(inspect.signature(_rrelu_init).parameters.values())[1:]
)

_EXTRA: dict[str, dict[str, Any]] = {
    "PReLU": {
        "_new_weight": _new_weight,
        # Cast to the input's dtype: Keras computes in the layer's compute dtype.
        "_weight_for": lambda self, x: keras.ops.cast(self.weight, x.dtype),
    },
    "RReLU": {"__init__": _rrelu_init, "call": _rrelu_call, "get_config": _rrelu_config},
}

for _neutral in _families.NEUTRAL:
    globals()[_neutral.__name__] = _families.build(
        _neutral,
        Layer,
        "keras.layers",
        __name__,
        "a Keras 3 layer",
        _EXTRA.get(_neutral.__name__),
        sig=_RRELU_SIGNATURE
        if _neutral.__name__ == "RReLU"
        else _with_layer_keywords(_families.signature(_neutral)),
        finish=keras.saving.register_keras_serializable(package="multiact"),
        forward="_forward",
    )
del _neutral
