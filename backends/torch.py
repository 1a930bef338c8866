"""PyTorch backend: PyTorch's own kernels, which define the reference semantics.

Calls go to the ``torch.*`` functions rather than through ``torch.nn.functional`` wherever
the two are the same kernel, to save the Python layer in between. The activations PyTorch
lacks (squareplus, sparse_plus, ...) run the generic array-API kernels on the tensor, which
stay PyTorch operations (autograd and devices included).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F

from multiact import _checks, _derivatives, _generic
from multiact._registry import ACTIVATIONS

NAME = "torch"
#: The dtypes seen to pass the dtype checks (the Backend contract in backends/__init__.py).
FLOATS: set[torch.dtype] = set()
REALS: set[torch.dtype] = set()

_KINDS = {
    torch.bool: "b",
    torch.uint8: "u",
    torch.uint16: "u",
    torch.uint32: "u",
    torch.uint64: "u",
    torch.int8: "i",
    torch.int16: "i",
    torch.int32: "i",
    torch.int64: "i",
    torch.float16: "f",
    torch.bfloat16: "f",
    torch.float32: "f",
    torch.float64: "f",
    torch.complex64: "c",
    torch.complex128: "c",
}


def dtype_kind(x: torch.Tensor) -> str:
    # Everything else (float8 variants, quantized dtypes...) is not supported: '?'.
    return _KINDS.get(x.dtype, "?")


_FLOATS_BY_NAME = {name: getattr(torch, name) for name in _checks.FLOAT_NAMES}


def float_dtype(fn: str, dtype: object, x: torch.Tensor) -> torch.dtype:
    """``dtype=`` as a torch floating dtype: a ``torch.dtype``, its name, or ``float``
    (float64), as ``torch.softmax`` takes it."""
    return _checks.dtype_argument(
        fn, dtype, "PyTorch", _FLOATS_BY_NAME, lambda d: torch.float64 if d is float else d
    )


def cast(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``x.to(dtype)``; a complex ``x``'s real part, taken first so that PyTorch does not warn
    a second time (multiact has)."""
    if x.is_complex():
        x = torch.real(x)
    return x.to(dtype)


def promote(x: torch.Tensor) -> torch.Tensor:
    """``x`` as it is: PyTorch's kernels promote integer and bool tensors themselves, to its
    default float dtype, and refuse the dtypes they have no kernel for (softsign of uint16)."""
    return x


def complex_kernel(name: str):
    """PyTorch's own kernels take complex tensors."""
    return globals()[name]


def _generator(x: torch.Tensor, generator: object) -> torch.Generator | None:
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        if not -(2**63) <= generator < 2**64:
            raise ValueError(
                "multiact.rrelu: argument 'generator' must be a seed between -2**63 and "
                f"2**64 - 1 for a torch.Tensor; got {generator}"
            )
        return torch.Generator(device=x.device).manual_seed(generator)
    raise TypeError(
        "multiact.rrelu: argument 'generator' must be None, an int seed or a torch.Generator "
        f"for a torch.Tensor; got {_checks._given(generator)}"
    )


#: What PyTorch says when it will not write into x (a leaf that requires grad, an inference
#: tensor, an expanded view) or convert a parameter to x's dtype.
# The kernels torch.nn.functional's Python functions call (F.elu is `torch._C._nn.elu(x,
# alpha)` behind a __torch_function__ check, which these builtins make themselves, in C++):
# called directly, a one-element call skips F's Python layer, about a fifth of its time.
_nn = torch._C._nn

_REFUSALS = (
    "in-place",
    "inplace",
    "Inplace",
    "written-to tensor",
    "without overflow",
    "must be in range",  # softshrink's lambd beyond the dtype's range
)


def _raise_if_refused(name: str, error: RuntimeError, inplace: bool, x: torch.Tensor) -> None:
    """PyTorch's refusals as multiact's errors naming its function: a ValueError for a
    tensor PyTorch will not write into or a parameter it will not convert, multiact's dtype
    error for a dtype PyTorch has no kernel for (relu of uint16: "not implemented for
    'UInt16'"). Any other RuntimeError (out of memory among them) returns, for the caller to
    re-raise unchanged. Called from an ``except`` in each kernel that writes in place,
    converts a real parameter or takes integers: a try costs nothing until it catches, where
    a wrapping function would cost a call on every use."""
    text = str(error)
    if isinstance(error, NotImplementedError) and "not implemented for" in text:
        why = f"PyTorch has no {name} kernel for it"
        raise _checks.dtype_error(name, x, ACTIVATIONS[name].dtype_kinds, why) from error
    if any(refusal in text for refusal in _REFUSALS):
        raise _checks.refused_by_torch(name, error, inplace) from error


def _connected_zero(x: torch.Tensor) -> torch.Tensor:
    """-0.0 everywhere, recorded by autograd as a function of ``x`` whose derivative is 0.

    Added to a first derivative that does not depend on ``x`` (sparse_sigmoid's, a constant
    where it is not 0) so that differentiating it again gives a zero tensor, as PyTorch's own
    backward-of-backward nodes do (relu's, hardtanh's), instead of autograd's "does not require
    grad" error. -0.0 leaves every value unchanged, zeros' signs included; nan_to_num keeps
    inf * 0 and NaN from reaching either the value or the derivative.
    """
    return -torch.nan_to_num(x * 0.0, nan=0.0, posinf=0.0, neginf=0.0).abs()


def _with_analytic_backward(name: str):
    """The generic kernel ``name`` as a torch.autograd.Function whose backward is
    ``_derivatives.NAME``: autograd through its where() branches would give 0 or NaN where
    the derivative is +inf or undefined (log1mexp at 0), and ignore the kink conventions.

    Written in the ``forward`` + ``setup_context`` style with a ``jvp`` and a generated vmap
    rule, so torch.func's transforms (grad, vmap, jvp, jacrev, jacfwd, hessian) accept it. The
    backward and the jvp are differentiable torch operations on tensors that keep their graph,
    so second derivatives (``create_graph=True``, torch.func.hessian) are the derivative of
    ``_derivatives.NAME``. The jvp is the same formula with the tangent for ``g``: the Jacobian
    is diagonal for an elementwise function and symmetric for sparsemax.
    """
    kernel = getattr(_generic, name)
    derivative = getattr(_derivatives, name)

    def apply_derivative(x: torch.Tensor, y: torch.Tensor, g: torch.Tensor, params) -> torch.Tensor:
        wide = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
        xp = _generic.namespace(x)
        d = derivative(x.to(wide), y.to(wide), g.to(wide), xp, *params).to(x.dtype)
        if torch.is_grad_enabled() and x.requires_grad and not d.requires_grad:
            d = d + _connected_zero(x)
        return d

    class Traced(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x: torch.Tensor, *params: object) -> torch.Tensor:
            return kernel(x, *params)

        @staticmethod
        def setup_context(ctx, inputs: tuple, output: torch.Tensor) -> None:
            x, *params = inputs
            ctx.save_for_backward(x, output)
            ctx.save_for_forward(x, output)
            ctx.params = params

        @staticmethod
        def backward(ctx, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            x, y = ctx.saved_tensors
            return (apply_derivative(x, y, g, ctx.params), *(None for _ in ctx.params))

    class Function(Traced):
        @staticmethod
        def jvp(ctx, t: torch.Tensor, *params: None) -> torch.Tensor:
            x, y = ctx.saved_tensors
            return apply_derivative(x, y, t, ctx.params)

    Traced.__name__ = Traced.__qualname__ = Function.__name__ = Function.__qualname__ = (
        f"{name}_backward"
    )
    # torch.compile traces Traced: dynamo refuses an autograd.Function with a jvp (forward-mode
    # AD, which compiled code does not use). Everywhere else Function, with its jvp.
    # Function.apply binds the arguments to forward's signature on every call when
    # setup_context is defined (inspect.signature: a fifth of a one-element squareplus). Outside
    # torch.func's transforms it then only calls the C++ apply, which this calls directly;
    # the transforms go through Function.apply, which they need.
    c_apply = super(torch.autograd.Function, Function).apply
    unwrap_if_dead = torch._C._functorch.unwrap_if_dead
    transforms_active = torch._C._are_functorch_transforms_active
    is_compiling = torch.compiler.is_compiling

    def apply(x: torch.Tensor, *params: object) -> torch.Tensor:
        if is_compiling():
            return Traced.apply(x, *params)
        if transforms_active():
            return Function.apply(x, *params)
        return c_apply(unwrap_if_dead(x), *params)

    apply.__name__ = apply.__qualname__ = name
    return apply


# The generic kernels look up their array namespace by type(x). Doing it now for tensors means
# a first call traced by torch.compile finds it cached: tracing array_api_compat's lookup
# instead makes dynamo warn about its lru_cache.
_generic.namespace(torch.empty(()))

_squareplus = _with_analytic_backward("squareplus")
_sparse_plus = _with_analytic_backward("sparse_plus")
_sparse_sigmoid = _with_analytic_backward("sparse_sigmoid")
_sparsemax = _with_analytic_backward("sparsemax")
_log1mexp = _with_analytic_backward("log1mexp")
_quick_gelu = _with_analytic_backward("quick_gelu")
_relu2 = _with_analytic_backward("relu2")
_laplace = _with_analytic_backward("laplace")
_clipped_gelu = _with_analytic_backward("clipped_gelu")
_hard_mish = _with_analytic_backward("hard_mish")
_sqrtsoftplus = _with_analytic_backward("sqrtsoftplus")
_xielu = _with_analytic_backward("xielu")


def relu(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    try:
        return torch.relu_(x) if inplace else torch.relu(x)
    except RuntimeError as error:
        _raise_if_refused("relu", error, inplace, x)
        raise


def relu6(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    try:
        return _nn.relu6_(x) if inplace else _nn.relu6(x)
    except RuntimeError as error:
        _raise_if_refused("relu6", error, inplace, x)
        raise


def leaky_relu(x: torch.Tensor, negative_slope: float, inplace: bool) -> torch.Tensor:
    try:
        return (_nn.leaky_relu_ if inplace else _nn.leaky_relu)(x, negative_slope)
    except RuntimeError as error:
        _raise_if_refused("leaky_relu", error, inplace, x)
        raise


def prelu(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return F.prelu(x, weight)


def rrelu(
    x: torch.Tensor,
    lower: float,
    upper: float,
    training: bool,
    inplace: bool,
    generator: object,
) -> torch.Tensor:
    gen = _generator(x, generator)
    try:
        if not training:
            # What PyTorch's rrelu computes in eval mode (its kernels and its backward call
            # leaky_relu's with the mean slope), called directly: torch.func.vmap has no rule
            # for aten::rrelu_with_noise, so vmap(grad(...)), jacfwd and hessian refused it.
            slope = (lower + upper) / 2
            return (_nn.leaky_relu_ if inplace else _nn.leaky_relu)(x, slope)
        if x.dtype == torch.float16 and x.device.type == "cpu":
            # PyTorch has no float16 rrelu on the CPU ("rrelu_with_noise_out_cpu" not
            # implemented for 'Half'): drawn and computed in float32, rounded once, as the
            # other backends compute float16.
            y = rrelu(x.float(), lower, upper, training, False, gen).to(torch.float16)
            return x.copy_(y) if inplace else y
        if gen is None:
            return F.rrelu(x, lower, upper, training, inplace)
        # F.rrelu takes no generator; torch.rrelu (the same kernel) does.
        kernel = torch.rrelu_ if inplace else torch.rrelu
        return kernel(x, lower, upper, training, gen)
    except RuntimeError as error:
        _raise_if_refused("rrelu", error, inplace, x)
        raise


def elu(x: torch.Tensor, alpha: float, inplace: bool) -> torch.Tensor:
    try:
        return (_nn.elu_ if inplace else _nn.elu)(x, alpha)
    except RuntimeError as error:
        _raise_if_refused("elu", error, inplace, x)
        raise


def selu(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    try:
        return F.selu(x, inplace)
    except RuntimeError as error:
        _raise_if_refused("selu", error, inplace, x)
        raise


def celu(x: torch.Tensor, alpha: float, inplace: bool) -> torch.Tensor:
    try:
        return F.celu(x, alpha, inplace)
    except RuntimeError as error:
        _raise_if_refused("celu", error, inplace, x)
        raise


def gelu(x: torch.Tensor, approximate: str) -> torch.Tensor:
    # Arguments left at PyTorch's defaults are not passed: parsing them costs PyTorch more
    # than a one-element kernel's tenth (softplus's two floats: 40%).
    return F.gelu(x) if approximate == "none" else F.gelu(x, approximate=approximate)


def silu(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    try:
        return _nn.silu_(x) if inplace else _nn.silu(x)
    except RuntimeError as error:
        _raise_if_refused("silu", error, inplace, x)
        raise


def mish(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    try:
        return _nn.mish_(x) if inplace else _nn.mish(x)
    except RuntimeError as error:
        _raise_if_refused("mish", error, inplace, x)
        raise


# PyTorch's own kernels, bound without a Python function around them: a frame costs ~7% of
# a one-element call. Only where the kernel is the builtin with x alone. The Tensor method
# rather than torch.sigmoid: its argument parser has one signature without out= to match
# (about 80 ns less of a 1.1 us one-element call, the cost of torch.nn.functional.sigmoid's
# x.sigmoid()).
sigmoid = torch.Tensor.sigmoid


# The softmax family along its default axis: the builtin needs the axis, hence a function,
# whose frame is still half of what the public function's checks cost.
def _softmax_at_defaults(x: torch.Tensor) -> torch.Tensor:
    return torch.softmax(x, -1)


def _log_softmax_at_defaults(x: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(x, -1)


def _softmin_at_defaults(x: torch.Tensor) -> torch.Tensor:
    return F.softmin(x, -1)


#: The kernels for a call with every parameter at its default (``Backend.AT_DEFAULTS``):
#: PyTorch's builtins, whose own defaults are multiact's, called by the public functions
#: (and, for x alone, their Dispatchers) without the frame of the kernels above (a tenth of
#: a one-element call). An error they raise sends the call on to the kernel above, which
#: words it. sigmoid, tanh and the other kernels without parameters are builtins already.
AT_DEFAULTS = ModuleType(f"{__name__}.AT_DEFAULTS")
# A module: its attributes are read at a module's speed (a namespace object's: 3x slower).
AT_DEFAULTS.__dict__.update(
    dict.fromkeys(ACTIVATIONS)
    | {
        "relu": torch.Tensor.relu,  # the method, as sigmoid's
        "relu6": _nn.relu6,
        "leaky_relu": _nn.leaky_relu,
        "elu": _nn.elu,
        "selu": torch.selu,
        "celu": torch.celu,
        "gelu": F.gelu,
        "silu": _nn.silu,
        "mish": _nn.mish,
        "hardsigmoid": _nn.hardsigmoid,
        "hardswish": _nn.hardswish,
        "hardshrink": torch.hardshrink,
        "softshrink": _nn.softshrink,
        "softplus": F.softplus,
        "softmax": _softmax_at_defaults,
        "log_softmax": _log_softmax_at_defaults,
        "softmin": _softmin_at_defaults,
    }
)


def kernel_at(name: str, arguments: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """PyTorch's builtin with these parameters (``Backend.kernel_at``), where it takes them as
    multiact passes them: without the frame of the kernels above (a tenth of a one-element
    call)."""
    if name == "gelu":
        return (F.gelu, arguments, ("approximate",))  # a keyword-only argument of the builtin
    if name in _WITH_PARAMETER and arguments[-1] is False:  # not in place
        return (_WITH_PARAMETER[name], arguments[:-1])
    return None


#: The builtins computing an activation with its one parameter, positional, out of place.
_WITH_PARAMETER = {"leaky_relu": _nn.leaky_relu, "elu": _nn.elu}


logsigmoid = F.logsigmoid  # a builtin (torch._C._nn.log_sigmoid)


def hardsigmoid(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    try:
        return _nn.hardsigmoid_(x) if inplace else _nn.hardsigmoid(x)
    except RuntimeError as error:
        _raise_if_refused("hardsigmoid", error, inplace, x)
        raise


def hardswish(x: torch.Tensor, inplace: bool) -> torch.Tensor:
    try:
        return _nn.hardswish_(x) if inplace else _nn.hardswish(x)
    except RuntimeError as error:
        _raise_if_refused("hardswish", error, inplace, x)
        raise


def hardtanh(x: torch.Tensor, min_val: float, max_val: float, inplace: bool) -> torch.Tensor:
    try:
        return (_nn.hardtanh_ if inplace else _nn.hardtanh)(x, min_val, max_val)
    except RuntimeError as error:
        _raise_if_refused("hardtanh", error, inplace, x)
        raise


def hardshrink(x: torch.Tensor, lambd: float) -> torch.Tensor:
    try:
        return F.hardshrink(x, lambd)
    except RuntimeError as error:
        _raise_if_refused("hardshrink", error, False, x)
        raise


def softshrink(x: torch.Tensor, lambd: float) -> torch.Tensor:
    try:
        return F.softshrink(x, lambd)
    except RuntimeError as error:
        _raise_if_refused("softshrink", error, False, x)
        raise


def tanhshrink(x: torch.Tensor) -> torch.Tensor:
    return F.tanhshrink(x)


tanh = torch.Tensor.tanh  # the method, as sigmoid's


def softsign(x: torch.Tensor) -> torch.Tensor:
    try:
        return F.softsign(x)
    except RuntimeError as error:  # uint16, uint32, uint64: no abs kernel
        _raise_if_refused("softsign", error, False, x)
        raise


def softplus(x: torch.Tensor, beta: float, threshold: float) -> torch.Tensor:
    try:
        if beta == 1.0 and threshold == 20.0:
            return F.softplus(x)
        return F.softplus(x, beta, threshold)
    except RuntimeError as error:
        _raise_if_refused("softplus", error, False, x)
        raise


def threshold(x: torch.Tensor, threshold: float, value: float, inplace: bool) -> torch.Tensor:
    try:
        return F.threshold(x, threshold, value, inplace)
    except RuntimeError as error:
        _raise_if_refused("threshold", error, inplace, x)
        raise


def glu(x: torch.Tensor, axis: int) -> torch.Tensor:
    return F.glu(x, axis)


def softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.softmax(x, axis)


def log_softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.log_softmax(x, axis)


def softmin(x: torch.Tensor, axis: int) -> torch.Tensor:
    return F.softmin(x, axis)


def squareplus(x: torch.Tensor, b: float) -> torch.Tensor:
    return _squareplus(x, b)


def sparse_plus(x: torch.Tensor) -> torch.Tensor:
    return _sparse_plus(x)


def sparse_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return _sparse_sigmoid(x)


def sparsemax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return _sparsemax(x, axis)


def log1mexp(x: torch.Tensor) -> torch.Tensor:
    return _log1mexp(x)


identity = torch.clone


exponential = torch.exp


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return _quick_gelu(x)


def relu2(x: torch.Tensor) -> torch.Tensor:
    return _relu2(x)


def laplace(x: torch.Tensor, mu: float, sigma: float) -> torch.Tensor:
    return _laplace(x, mu, sigma)


def clipped_gelu(x: torch.Tensor, min_val: float, max_val: float) -> torch.Tensor:
    return _clipped_gelu(x, min_val, max_val)


def hard_mish(x: torch.Tensor) -> torch.Tensor:
    return _hard_mish(x)


def sqrtsoftplus(x: torch.Tensor) -> torch.Tensor:
    return _sqrtsoftplus(x)


def xielu(x: torch.Tensor, alpha_p: float, alpha_n: float, beta: float, eps: float) -> torch.Tensor:
    return _xielu(x, alpha_p, alpha_n, beta, eps)


# --- Real parameters given as tensors (multiact._traced): 0-d tensors, learnable ones
# included. Python numbers never come here: they keep PyTorch's kernels above.


def _traced_function(name: str):
    """multiact._traced's formula for ``name`` as a torch.autograd.Function: the gradient
    with respect to x is PyTorch's (``_derivatives``, as with numbers), with respect to a
    parameter the sum of the cotangent times its partial derivative.

    In the ``forward`` + ``setup_context`` style with a generated vmap rule, so torch.func's
    grad and vmap accept it; torch.compile traces it.
    """
    from multiact._traced import FORMULAS

    # The formula's functions themselves in the closure: dynamo cannot wrap the dataclass.
    value, partials, derivative = (
        FORMULAS[name].value,
        FORMULAS[name].partials,
        FORMULAS[name].derivative,
    )
    xp = _generic.namespace(torch.empty(()))

    class Function(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x: torch.Tensor, *params: torch.Tensor) -> torch.Tensor:
            return value(x, xp, *params)

        @staticmethod
        def setup_context(ctx, inputs: tuple, output: torch.Tensor) -> None:
            ctx.save_for_backward(*inputs, output)

        @staticmethod
        def backward(ctx, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            x, *params, y = ctx.saved_tensors
            needs = ctx.needs_input_grad
            grads: list[torch.Tensor | None] = [None] * len(needs)
            if needs[0]:
                grads[0] = derivative(x, y, g, xp, *params)
            if any(needs[1:]):
                for i, partial in enumerate(partials(x, y, xp, *params), start=1):
                    if needs[i]:
                        grads[i] = (g * partial).sum()
            return tuple(grads)

    Function.__name__ = Function.__qualname__ = f"{name}_with_tensor_params"
    return Function


_traced_functions: dict[str, type[torch.autograd.Function]] = {}


def _as_param(value: object, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    # .to() is differentiable: the gradient reaches the caller's tensor in its own dtype
    # and on its own device (a CPU scalar with a CUDA x, as PyTorch allows).
    if isinstance(value, torch.Tensor):
        return value.to(device=device, dtype=dtype)
    return torch.tensor(value, dtype=dtype, device=device)


def with_array_params(name: str, x: torch.Tensor, *args: object) -> torch.Tensor:
    """``name`` with some real parameters as 0-d tensors (``multiact._traced``); ``args`` are
    all its parameters, checked, in registry order."""
    from multiact._traced import SIGNATURES

    signature = SIGNATURES[name]
    values = dict(zip(signature.names, args, strict=True))
    reals = [values[n] for n in signature.reals]
    if dtype_kind(x) != "f":
        # Converted to x's integer dtype, truncated, as PyTorch converts a number.
        from multiact._traced import FORMULAS

        xp = _generic.namespace(x)
        y = FORMULAS[name].value(x, xp, *(_as_param(p, x.dtype, x.device) for p in reals))
    else:
        wide = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
        params = [_as_param(p, wide, x.device) for p in reals]
        if name == "rrelu" and values["training"]:
            # Uniform slopes between the bounds, drawn from the generator given (PyTorch's
            # global one by default); differentiated by autograd.
            lower, upper = params
            u = torch.rand(
                x.shape, generator=_generator(x, values["generator"]), device=x.device, dtype=wide
            )
            w = x.to(wide)
            y = torch.where(w <= 0, w * (lower + (upper - lower) * u), w)
        else:
            function = _traced_functions.get(name)
            if function is None:
                function = _traced_functions[name] = _traced_function(name)
            y = function.apply(x.to(wide), *params)
        y = y.to(x.dtype)
    if values.get("inplace"):
        try:
            return x.copy_(y)
        except RuntimeError as error:
            _raise_if_refused(name, error, True)
            raise
    return y
