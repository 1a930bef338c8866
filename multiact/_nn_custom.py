"""The ``multiact.nn`` modules whose constructor is not their function's parameters.

``PReLU`` owns a weight (``num_parameters`` slopes initialised to ``init``), ``RReLU`` draws
random slopes while in training mode (modules start in it, as in PyTorch), ``Softmax2d``
is softmax over the channel axis of image-shaped input, and ``XIELU`` keeps Transformers'
softplus-parameterised coefficients, initialised in bfloat16 as Transformers does.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import _checks
from . import _functional as _F
from ._module import Module
from ._typing import ArrayT

__all__ = ["XIELU", "PReLU", "RReLU", "Softmax2d"]


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


#: The dtypes XIELU keeps its parameters in, by name, and the dtype PyTorch computes each
#: operation on them in (its "opmath" type: float32 for the half-precision dtypes).
_PARAMETER_DTYPES = {
    "bfloat16": np.float32,
    "float16": np.float32,
    "float32": np.float32,
    "float64": np.float64,
}


def _dtype_name(fn: str, dtype: object) -> str:
    """A dtype given as a name, a NumPy dtype or a framework's (``torch.bfloat16``: its
    ``str`` ends with the name) as one of ``_PARAMETER_DTYPES``."""
    name = str(dtype).rpartition(".")[2] if not isinstance(dtype, str) else dtype
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        name = np.dtype(dtype).name
    if name not in _PARAMETER_DTYPES:
        raise ValueError(
            f"multiact.{fn}: argument 'dtype' must be one of {sorted(_PARAMETER_DTYPES)} (a "
            f"name, a NumPy dtype or a framework's dtype); got {dtype!r}"
        )
    return name


def round_to(value: float, dtype: str) -> float:
    """``value`` rounded to ``dtype`` (to nearest, ties to even), as PyTorch stores it: a half
    precision value is rounded to float32 first, as PyTorch converts a Python float."""
    if dtype == "float64":
        return float(value)
    single = np.float32(value)
    if dtype == "float32":
        return float(single)
    if dtype == "float16":
        return float(np.float16(single))
    bits = int(single.view(np.uint32))  # bfloat16: float32's upper 16 bits, rounded
    if np.isfinite(single):
        bits += 0x7FFF + ((bits >> 16) & 1)
    return float(np.uint32(bits & 0xFFFF0000).view(np.float32))


def _softplus(t: float, computed_in: type) -> float:
    """PyTorch's softplus of one parameter value, in its computation dtype."""
    v = computed_in(t)
    if v > 20:  # PyTorch's threshold
        return float(v)
    return float(np.log1p(np.exp(v)))


class XIELU(Module):
    """xIELU with Transformers' parameters, ``transformers.activations.XIELUActivation``.

    ``alpha_p`` and ``alpha_n`` are the raw parameters Transformers learns (NumPy arrays of
    one element): the coefficients are ``softplus(alpha_p)`` and ``beta + softplus(alpha_n)``.
    They are initialised as Transformers does, ``log(expm1(alpha_p_init))`` and
    ``log(expm1(alpha_n_init - beta))``, each operation rounded to ``dtype`` (bfloat16 by
    default, as Transformers): with the defaults the coefficients are 0.80078125, not 0.8.
    ``beta`` and ``eps`` are fixed, rounded to ``dtype`` too. Each call computes
    :func:`multiact.xielu` with the coefficients, in the input's own dtype (Transformers
    promotes its bfloat16 parameters to a float32 input's dtype likewise). To train them, keep
    them as your framework's parameters and call :func:`multiact.xielu`.

    >>> import numpy as np
    >>> import multiact.nn as nn
    >>> m = nn.XIELU()
    >>> m
    XIELU(alpha_p_init=0.8, alpha_n_init=0.8, beta=0.5, eps=-1e-06, dtype='bfloat16')
    >>> m.coefficients()
    {'alpha_p': 0.80078125, 'alpha_n': 0.80078125, 'beta': 0.5, 'eps': -9.98377799987793e-07}
    >>> m(np.array([1.0, -2.0, 3.0, -5.0])).round(4)
    array([ 1.3008, -0.0908,  8.707 ,  0.7085])
    """

    _activation = "xielu"

    def __init__(
        self,
        alpha_p_init: float = 0.8,
        alpha_n_init: float = 0.8,
        beta: float = 0.5,
        eps: float = -1e-6,
        dtype: object = "bfloat16",
    ) -> None:
        name = "nn.XIELU"
        self.alpha_p_init = _checks.check_real(name, "alpha_p_init", alpha_p_init)
        self.alpha_n_init = _checks.check_real(name, "alpha_n_init", alpha_n_init)
        beta = _checks.check_real(name, "beta", beta)
        eps = _checks.check_real(name, "eps", eps)
        for arg, value in (("alpha_p_init", alpha_p_init), ("alpha_n_init - beta", None)):
            shifted = alpha_n_init - beta if value is None else value
            if not shifted > 0:
                raise ValueError(
                    f"multiact.nn.XIELU: {arg} must be > 0 (its softplus inverse, "
                    f"log(expm1(.)), is undefined otherwise); got {shifted!r}"
                )
        self.dtype = _dtype_name(name, dtype)
        self._beta_init, self._eps_init = beta, eps
        computed_in = _PARAMETER_DTYPES[self.dtype]

        def inverse_softplus(value: float) -> float:
            t = round_to(value, self.dtype)
            t = round_to(float(np.expm1(computed_in(t))), self.dtype)
            return round_to(float(np.log(computed_in(t))), self.dtype)

        stored = np.float64 if self.dtype == "float64" else np.float32
        self.alpha_p = np.array([inverse_softplus(alpha_p_init)], dtype=stored)
        self.alpha_n = np.array([inverse_softplus(alpha_n_init - beta)], dtype=stored)
        self.beta = round_to(beta, self.dtype)
        self.eps = round_to(eps, self.dtype)

    def coefficients(self) -> dict[str, float]:
        """The arguments of :func:`multiact.xielu` the module computes with: the softplus of
        its raw parameters, each operation rounded to its dtype as PyTorch computes them."""
        computed_in = _PARAMETER_DTYPES[self.dtype]
        alpha_p = round_to(_softplus(float(self.alpha_p[0]), computed_in), self.dtype)
        alpha_n = round_to(_softplus(float(self.alpha_n[0]), computed_in), self.dtype)
        alpha_n = round_to(float(computed_in(self.beta) + computed_in(alpha_n)), self.dtype)
        return {"alpha_p": alpha_p, "alpha_n": alpha_n, "beta": self.beta, "eps": self.eps}

    def extra_repr(self) -> str:
        return (
            f"alpha_p_init={self.alpha_p_init}, alpha_n_init={self.alpha_n_init}, "
            f"beta={self._beta_init}, eps={self._eps_init}, dtype={self.dtype!r}"
        )

    def forward(self, x: ArrayT) -> ArrayT:
        return _F.xielu(x, **self.coefficients())
