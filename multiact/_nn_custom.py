"""The ``multiact.nn`` modules whose constructor is not their function's parameters.

``PReLU`` owns a weight (``num_parameters`` slopes initialised to ``init``), ``RReLU`` draws
random slopes while in training mode (modules start in it, as in PyTorch), and ``Softmax2d``
is softmax over the channel axis of image-shaped input.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import _checks
from . import _functional as _F
from ._module import Module
from ._typing import ArrayT

__all__ = ["PReLU", "RReLU", "Softmax2d"]


def _weight_like(weight: np.ndarray, x: Any) -> Any:
    """The module's NumPy weight as an array of x's library, device and dtype."""
    if isinstance(x, np.ndarray):
        return weight.astype(x.dtype)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return torch.as_tensor(weight).to(device=x.device, dtype=x.dtype)
    from ._dispatch import backend_for
    from ._namespace import namespace

    try:
        # Resolving x's backend first registers the namespace of a library that has a native
        # backend but no array-API namespace of its own (TensorFlow).
        backend_for(x)
        xp = namespace(x)
    except TypeError:  # not an array: multiact.prelu says so, naming the argument
        return weight
    device = getattr(x, "device", None)
    kwargs = {"device": device} if device is not None and not callable(device) else {}
    return xp.asarray(weight, dtype=x.dtype, **kwargs)


class PReLU(Module):
    """Parametric ReLU with ``num_parameters`` learnable-in-PyTorch slopes, ``torch.nn.PReLU``.

    The weight is a NumPy array (``self.weight``, float32 like PyTorch's default); each call
    converts it to the input's library, device and dtype. To train the slopes, keep them as
    your framework's own parameter and call :func:`multiact.prelu` instead.

    >>> import numpy as np
    >>> import multiact.nn as nn
    >>> m = nn.PReLU()
    >>> m
    PReLU(num_parameters=1)
    >>> m(np.array([1.0, -2.0, 3.0, -5.0]))
    array([ 1.  , -0.5 ,  3.  , -1.25])
    """

    _activation = "prelu"
    _owner = "nn.PReLU"
    _attributes = ("num_parameters", "init")

    def __init__(
        self,
        num_parameters: int = 1,
        init: float = 0.25,
        device: object = None,
        dtype: object = None,
    ) -> None:
        if (
            isinstance(num_parameters, bool)
            or not isinstance(num_parameters, int)
            or num_parameters < 1
        ):
            raise ValueError(
                f"multiact.{self._owner}: argument 'num_parameters' must be a positive integer; "
                f"got {num_parameters!r}"
            )
        self.num_parameters = num_parameters
        self.init = _checks.check_real(self._owner, "init", init)
        self.weight = self._new_weight(num_parameters, self.init, device, dtype)

    def _new_weight(self, num_parameters: int, init: float, device: object, dtype: object) -> Any:
        # device and dtype are accepted for torch.nn.PReLU's signature: the weight follows the
        # input's device and dtype at each call instead. (Each framework's family makes its
        # own parameter here.)
        return np.full(num_parameters, init, dtype=np.dtype(dtype or "float32"))

    def _weight_for(self, x: Any) -> Any:
        """The weight as ``forward`` passes it to :func:`multiact.prelu` for ``x``."""
        return _weight_like(self.weight, x)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"

    def forward(self, x: ArrayT) -> ArrayT:
        return _F.prelu(x, self._weight_for(x))


class RReLU(Module):
    """Randomized leaky ReLU, ``torch.nn.RReLU``: random slopes while training, else the mean.

    Modules start in training mode, as in PyTorch; ``.eval()`` makes the module deterministic.
    JAX arrays need an explicit key, so in training mode call :func:`multiact.rrelu` with
    ``generator=key`` on them.

    >>> import numpy as np
    >>> import multiact.nn as nn
    >>> nn.RReLU(0.1, 0.3)
    RReLU(lower=0.1, upper=0.3)
    >>> nn.RReLU(0.1, 0.3).eval()(np.array([1.0, -2.0]))
    array([ 1. , -0.4])
    """

    _activation = "rrelu"
    _owner = "nn.RReLU"
    _attributes = ("lower", "upper", "inplace")

    def __init__(
        self, lower: float = 0.125, upper: float = 1.0 / 3.0, inplace: bool = False
    ) -> None:
        self.lower = _checks.check_real(self._owner, "lower", lower)
        self.upper = _checks.check_real(self._owner, "upper", upper)
        if self.lower > self.upper:
            raise _checks.order_error(self._owner, "lower", lower, "upper", upper)
        self.inplace = _checks.check_flag(self._owner, "inplace", inplace)

    def forward(self, x: ArrayT) -> ArrayT:
        return _F.rrelu(x, self.lower, self.upper, self.training, self.inplace)


class Softmax2d(Module):
    """Softmax over the channel axis (-3) of ``(C, H, W)`` or ``(N, C, H, W)`` input.

    >>> import numpy as np
    >>> import multiact.nn as nn
    >>> nn.Softmax2d()(np.zeros((2, 1, 1))).ravel()
    array([0.5, 0.5])
    """

    _activation = "softmax"
    _owner = "nn.Softmax2d"
    _attributes = ()

    def __init__(self) -> None:
        pass

    def extra_repr(self) -> str:
        return ""

    def forward(self, x: ArrayT) -> ArrayT:
        ndim = getattr(x, "ndim", None)
        if ndim is not None and ndim not in (3, 4):
            raise ValueError(
                f"multiact.{self._owner}: argument 'x' must be 3-d (C, H, W) or 4-d (N, C, H, W); "
                f"got {ndim}-d"
            )
        return _F.softmax(x, -3)
