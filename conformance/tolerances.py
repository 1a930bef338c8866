"""Per-dtype tolerances and the comparison of a result with the reference.

The table starts from ``torch.testing.assert_close``'s defaults. Every element is judged,
special values included: NaN only matches NaN, and an infinity only the same infinity,
whichever side has it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .distance import DTYPE_LIMITS, special_mismatch, ulp_distance

__all__ = [
    "KNOWN_DIFFERENCES",
    "OVERRIDES",
    "TOLERANCES",
    "WIDENED_REFERENCES",
    "Comparison",
    "KnownDifference",
    "Override",
    "WidenedReference",
    "compare",
    "judge",
    "known_difference_inputs",
    "known_difference_mask",
    "reference_dtype",
    "tolerance",
    "within",
]

#: dtype -> (rtol, atol), torch.testing.assert_close's defaults.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}

Kind = Literal["forward", "gradient"]
Params = Mapping[str, object]


@dataclass(frozen=True)
class Override:
    """A looser tolerance for one activation, kind and dtype, and why it is needed."""

    activation: str
    kind: Kind
    dtype: str
    rtol: float
    atol: float
    reason: str


_HALF_SOFTMAX = (
    "PyTorch's float16/bfloat16 softmax kernels round intermediates to half precision (softmax "
    "along a non-last axis, log_softmax along the last), so about a third of their outputs are "
    "one ULP from the correctly rounded value multiact returns. The gradient is computed from "
    "that output, and the ULP is amplified up to ~8x."
)

_HALF_LOG_SOFTMAX_GRADIENT = (
    _HALF_SOFTMAX + " For log_softmax the gradient g - exp(y) * sum(g) cancels: computed from "
    "a half-precision output y, whose rounding alone is 2^-11 (float16) or 2^-8 (bfloat16) of "
    "exp(y) * sum(g), and PyTorch's half-precision y is itself up to 158 (float16) and 213 "
    "(bfloat16) ULP from the exact value (multiact's is correctly rounded), the two gradients "
    "differ by up to ~2e-3 (float16) and ~1.7e-2 (bfloat16) of the cotangent's row sum (8 here), "
    "and both are 100+ ULP from the exact gradient (measured by the conformance suite)."
)

#: Every per-activation tolerance override, with its reason. Nothing else loosens a comparison.
OVERRIDES: tuple[Override, ...] = (
    Override("softmax", "gradient", "float16", 4e-3, 1e-5, _HALF_SOFTMAX),
    Override("log_softmax", "gradient", "float16", 4e-3, 4e-3, _HALF_LOG_SOFTMAX_GRADIENT),
    # bfloat16 has 8 significant bits: y * (g - sum(g * y)) cancels, and a 1-ULP difference
    # in y leaves an absolute error of ~1e-3 of the cotangent's scale (here ~1).
    Override("softmax", "gradient", "bfloat16", 3.2e-2, 2e-3, _HALF_SOFTMAX),
    Override("log_softmax", "gradient", "bfloat16", 3.2e-2, 3.2e-2, _HALF_LOG_SOFTMAX_GRADIENT),
)


@dataclass(frozen=True)
class WidenedReference:
    """A half-precision result compared with PyTorch's float32 result rounded to the dtype."""

    activation: str
    kind: Kind
    reason: str


_COMPOSITE_HALF = (
    "PyTorch implements {name} as a composite of several ops and, in float16/bfloat16, rounds "
    "every intermediate to half precision; {detail}. multiact computes in float32 and rounds "
    "once, so the fair reference is PyTorch's float32 result rounded to the dtype."
)

#: Where PyTorch's own half-precision result is not a usable reference, and why.
WIDENED_REFERENCES: tuple[WidenedReference, ...] = (
    WidenedReference(
        "log_softmax",
        "forward",
        "PyTorch's float16/bfloat16 log_softmax along the last axis computes x - max - "
        "log(sum(exp(x - max))) in half precision, and the subtraction cancels: measured up to "
        "158 ULP (float16) and 213 ULP (bfloat16) from the exact value, where multiact, computing "
        "in float32 and rounding once, is correctly rounded (0 ULP). The fair reference is "
        "PyTorch's float32 result rounded to the dtype.",
    ),
    WidenedReference(
        "tanhshrink",
        "forward",
        _COMPOSITE_HALF.format(
            name="tanhshrink (x - tanh(x))",
            detail="the subtraction then cancels the rounded tanh, so small |x| lose all digits",
        ),
    ),
    WidenedReference(
        "tanhshrink",
        "gradient",
        _COMPOSITE_HALF.format(
            name="tanhshrink's backward (g - g * (1 - tanh^2))",
            detail="measured: up to 273 ULP (float16) and 139% (bfloat16) from the exact value",
        ),
    ),
    WidenedReference(
        "softsign",
        "gradient",
        _COMPOSITE_HALF.format(
            name="softsign's backward (x / (1 + |x|) through autograd)",
            detail="measured: up to 18 ULP (float16) and 8% (bfloat16)",
        ),
    ),
    WidenedReference(
        "glu",
        "gradient",
        _COMPOSITE_HALF.format(
            name="glu's backward",
            detail="measured: up to 84 ULP (float16) and 28% (bfloat16)",
        ),
    ),
)


def reference_dtype(activation: str, kind: Kind, dtype: str) -> str:
    """The dtype PyTorch computes the reference in (the result is then rounded to ``dtype``)."""
    if dtype in ("float16", "bfloat16") and any(
        (w.activation, w.kind) == (activation, kind) for w in WIDENED_REFERENCES
    ):
        return "float32"
    return dtype


def tolerance(activation: str, kind: Kind, dtype: str) -> tuple[float, float]:
    """(rtol, atol) for comparing ``activation``'s ``kind`` result in ``dtype`` with PyTorch."""
    for o in OVERRIDES:
        if (o.activation, o.kind, o.dtype) == (activation, kind, dtype):
            return o.rtol, o.atol
    return TOLERANCES[dtype]


@dataclass(frozen=True)
class KnownDifference:
    """Inputs where a backend is documented to differ from PyTorch, and why.

    ``affected(values, dtype, params)`` marks the inputs concerned; there, the comparison with
    PyTorch is replaced by ``expected(values, cotangent)`` (what the backend returns instead: for a
    gradient, the vector-Jacobian product with ``cotangent``), or by PyTorch's own result
    computed in ``expected_dtype`` (float32 where PyTorch's half-precision result is no
    reference) and rounded to the dtype, or skipped where neither is given. PyTorch's result is
    the caller's to give (``judge``'s ``pytorch_on_cpu``): this module computes no reference.

    ``modes`` restricts it to the ways a gradient is taken (``vjp``: ``multiact.vjp``;
    ``autograd``: PyTorch autograd or ``jax.vjp`` through multiact); empty means every mode. A
    caller of ``judge`` that does not say (``mode=None``) is judging ``multiact.vjp`` or a
    forward value.
    """

    activation: str  # "*" for every activation
    params: Mapping[str, object]  # the parameterisation concerned ({} for all)
    kind: Kind
    targets: tuple[str, ...]  # the targets concerned (conformance.targets names)
    dtypes: tuple[str, ...]
    affected: Callable[[np.ndarray, str, Params], np.ndarray]
    expected: Callable[[np.ndarray, np.ndarray | None], np.ndarray] | None
    reason: str
    modes: tuple[str, ...] = ()
    expected_dtype: str | None = None
    # A condition on the parameters (and dtype) beyond ``params``' exact values; None: always.
    when: Callable[[Mapping[str, object], str], bool] | None = None
    devices: tuple[str, ...] = ()  # the devices concerned ("cpu", "cuda"); empty: every one
    # Held to PyTorch's own result on the CPU, in the case's dtype (where PyTorch's kernels on
    # another device differ from its CPU ones, and multiact gives the CPU's on every device).
    expected_on_cpu: bool = False

    def applies(
        self,
        activation: str,
        params: Mapping[str, object],
        kind: Kind,
        target: str,
        dtype: str,
        mode: str | None = None,
        device: str = "cpu",
    ) -> bool:
        if self.activation not in ("*", activation) or self.kind != kind:
            return False
        if self.devices and device not in self.devices:
            return False
        if target not in self.targets or dtype not in self.dtypes:
            return False
        if self.modes and (mode or "vjp") not in self.modes:
            return False
        if self.when is not None and not self.when(params, dtype):
            return False
        return all(params.get(k) == v for k, v in self.params.items())


def _subnormal(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    return (values != 0) & (np.abs(values) < DTYPE_LIMITS[dtype][1])


def _at_zero(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    return values == 0


def _subnormal_threshold(params: Mapping[str, object], dtype: str) -> bool:
    # XLA computes half precision in float32 (multiact's opmath), float64 in float64.
    threshold = params.get("threshold")
    if threshold is None:  # the default, 20, is normal in every dtype
        return False
    computed_in = "float64" if dtype == "float64" else "float32"
    return 0 < abs(float(threshold)) < DTYPE_LIMITS[computed_in][1]


def _softplus_exp_overflows(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    beta = float(params.get("beta", 1.0))  # type: ignore[arg-type]
    threshold = float(params.get("threshold", 20.0))  # type: ignore[arg-type]
    largest = np.finfo(np.float64 if dtype == "float64" else np.float32).max
    with np.errstate(over="ignore", invalid="ignore"):
        t = beta * np.asarray(values, dtype=np.float64)
    return np.isfinite(values) & (t > np.log(largest)) & ~(t > threshold)


def _subnormal_weight(params: Mapping[str, object], dtype: str) -> bool:
    weight = np.abs(np.asarray(params.get("weight", 0.25), dtype=np.float64))
    tiny = DTYPE_LIMITS["float64" if dtype == "float64" else "float32"][1]
    return bool(np.any((weight > 0) & (weight < tiny)))


def _square_overflows(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    """Where x * x overflows in the dtype PyTorch computes in (float32 for half precision)."""
    largest = np.finfo(np.float64 if dtype == "float64" else np.float32).max
    return np.isfinite(values) & (np.abs(values) > np.sqrt(largest))


def _double_overflows(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    """Where 2 x overflows in the dtype the gradient is computed in."""
    largest = np.finfo(np.float64 if dtype == "float64" else np.float32).max
    return np.isfinite(values) & (np.abs(values) > largest / 2)


_EVERY_BACKEND_BUT_TORCH = (
    "numpy",
    "jax",
    "array-api-strict",
    "dask",
    "generic-numpy",
    "generic-torch",
    "generic-jax",
    "generic-dask",
    "tensorflow",
    "mlx",
    "generic-tensorflow",
    "generic-mlx",
    "cupy",
)

#: The targets whose CPU kernels flush subnormal numbers to zero: XLA's (JAX) and
#: TensorFlow's (which sets the CPU's flush-to-zero and denormals-are-zero modes around its
#: kernels).
_FLUSHING = ("jax", "generic-jax", "tensorflow", "generic-tensorflow")

_NAN_GRADIENT = (
    "PyTorch's backward at NaN for {name} depends on the dtype and on whether the element "
    "falls in its vectorized or its scalar loop (the two test the interval differently): the "
    "same NaN gets 0 in one tensor and the incoming gradient in another. multiact always "
    "gives 0 there (NaN is not inside the interval where the derivative is 1)."
)


def _nan(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    return np.isnan(values)


def _everywhere(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    return np.ones(np.shape(values), dtype=bool)


def _zero(values: np.ndarray, cotangent: np.ndarray | None) -> np.ndarray:
    return np.zeros(np.shape(values))


_HALF = ("float16", "bfloat16")


def _glu_saturated_gate(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    """The gate half of glu's rows (the last axis, as the judge sees them) where b > 2."""
    mask = np.zeros(np.shape(values), dtype=bool)
    if np.ndim(values) and np.shape(values)[-1] % 2 == 0:
        half = np.shape(values)[-1] // 2
        mask[..., half:] = values[..., half:] > 2.0
    return mask


_ALL_FLOATS = ("float16", "bfloat16", "float32", "float64")

_TORCH_NAN_LAYOUT = (
    "PyTorch autograd on tensors is PyTorch's own backward kernel, and for {name} at NaN it "
    "disagrees with itself: in a non-contiguous (strided) tensor the same NaN gets the incoming "
    "gradient where a contiguous one gets 0 (measured on CPU, float32). Not compared there."
)

_JAX_HALF_GRADIENT = (
    "jax.grad through multiact's JAX {name} differentiates the float32 computation the kernel "
    "runs in (half-precision inputs are computed in float32 and rounded once), so its gradient is "
    "within a few ULP of the exact value; PyTorch's float16/bfloat16 backward is computed from "
    "the half-precision output and loses up to all its digits where the output saturates "
    "(measured: sigmoid 2016 ULP, tanh 2038 ULP, softmin 903 ULP, log_softmax 3175 ULP from the "
    "exact value, where JAX is 0-5 ULP). JAX is held to PyTorch's float32 gradient rounded to "
    "the dtype instead. multiact.vjp follows PyTorch's half-precision formula and is compared "
    "with PyTorch as usual."
)


def _mlx_exp_inexact(values: np.ndarray, dtype: str, params: Params) -> np.ndarray:
    return np.isfinite(values) & (values > 20.0)


_MLX_EXP = (
    "mx.exp, which the generic kernels call on MLX arrays, is up to 3.8e-6 relative (32 ULP) "
    "off in float32 and overflows to inf below float32's largest exp (from x = 88.4; measured "
    "on a 2M-point grid of [-104, 89] against float64): beyond PyTorch's tolerance for exp(x) "
    "itself above x = 20 (below, it is within 1e-6, and small results fall within the "
    "absolute tolerance). multiact's MLX backend (the mlx target) computes exponential by "
    "range reduction, within an ULP; the generic kernels keep the library's exp."
)


KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    *(
        KnownDifference(
            "exponential",
            {},
            kind,
            ("generic-mlx",),
            ("float32",),
            _mlx_exp_inexact,
            None,
            _MLX_EXP,
        )
        for kind in ("forward", "gradient")
    ),
    *(
        KnownDifference(
            name,
            {},
            "gradient",
            _EVERY_BACKEND_BUT_TORCH,
            _ALL_FLOATS,
            _nan,
            _zero,
            _NAN_GRADIENT.format(name=name),
        )
        for name in ("relu6", "hardtanh", "hardshrink", "softshrink")
    ),
    # multiact.vjp on tensors gives 0 at NaN as everywhere; autograd is PyTorch's own kernel.
    *(
        KnownDifference(
            name,
            {},
            "gradient",
            ("torch",),
            _ALL_FLOATS,
            _nan,
            _zero,
            _NAN_GRADIENT.format(name=name),
            modes=("vjp",),
        )
        for name in ("relu6", "hardtanh", "hardshrink", "softshrink")
    ),
    *(
        KnownDifference(
            name,
            {},
            "gradient",
            ("torch",),
            _ALL_FLOATS,
            _nan,
            None,
            _TORCH_NAN_LAYOUT.format(name=name),
            modes=("autograd",),
        )
        for name in ("relu6", "hardtanh", "hardshrink", "softshrink")
    ),
    *(
        KnownDifference(
            name,
            {},
            "gradient",
            ("jax",),
            _HALF,
            _everywhere,
            None,
            _JAX_HALF_GRADIENT.format(name=name),
            modes=("autograd",),
            expected_dtype="float32",
        )
        for name in ("sigmoid", "tanh", "softmax", "log_softmax", "softmin")
    ),
    KnownDifference(
        "*",
        {},
        "gradient",
        _FLUSHING,
        ("float16", "bfloat16", "float32", "float64"),
        _subnormal,
        None,
        "XLA on CPU and TensorFlow's CPU kernels flush subnormal numbers to zero, so a "
        "subnormal input is 0 to JAX and TensorFlow: at a "
        "kink at 0 (relu, leaky_relu, ...) its gradient is the one at 0, not at a positive or "
        "negative number. The forward values differ by less than a subnormal, within tolerance.",
    ),
    KnownDifference(
        "sparsemax",
        {},
        "gradient",
        ("torch", *_EVERY_BACKEND_BUT_TORCH, "cupy"),
        ("float16", "bfloat16", "float32", "float64"),
        lambda values, dtype, params: np.abs(values) > 1e15,
        None,
        "Not a backend difference: the reference itself. sparsemax has no PyTorch function, "
        "so its gradient is judged against mpmath's numerical derivative, whose step is "
        "relative to |x|; at rows holding +-float max (and ties there) that step is far wider "
        "than sparsemax's unit scale, and the difference quotient misses the support. Inputs "
        "beyond 1e15 in magnitude are not judged.",
    ),
    KnownDifference(
        "softplus",
        {},
        "forward",
        _EVERY_BACKEND_BUT_TORCH,
        _ALL_FLOATS,
        _softplus_exp_overflows,
        lambda values, cotangent: values,
        "PyTorch's softplus computes log1p(exp(beta * x)) / beta wherever beta * x is at or "
        "below the threshold, and exp overflows once beta * x passes 88.7 (float32; 709.8 in "
        "float64): with a threshold above that (never the default, 20) PyTorch returns "
        "+-inf where softplus is x to every digit (log(1 + e^t) = t + log1p(e^-t)); multiact "
        "computes it stably and returns x (found by tests/test_properties.py at beta = -3.5, "
        "threshold = 1.2e21, x = -5.9e16 in float64: PyTorch -inf).",
    ),
    KnownDifference(
        "prelu",
        {},
        "forward",
        _FLUSHING,
        ("float16", "bfloat16", "float32", "float64"),
        lambda values, dtype, params: np.isinf(values) & (values < 0),
        None,
        "TensorFlow's CPU kernels flush subnormal numbers to zero too. "
        "XLA on CPU flushes subnormal numbers to zero, prelu's weight included: a subnormal "
        "weight times -inf is 0 * -inf = NaN on JAX, where PyTorch gives -inf (found by "
        "tests/test_properties.py with the weight 1.4e-45 in float32). Only for weights that "
        "are subnormal in the dtype XLA computes in.",
        when=_subnormal_weight,
    ),
    KnownDifference(
        "log1mexp",
        {},
        "forward",
        _FLUSHING,
        ("float16", "bfloat16", "float32", "float64"),
        _subnormal,
        None,
        "TensorFlow's CPU kernels flush subnormal numbers to zero too. "
        "XLA on CPU flushes subnormal numbers to zero: log1mexp of the smallest positive "
        "subnormal is log1mexp(0) = -inf on JAX, instead of about -103 (float32).",
    ),
    KnownDifference(
        "relu2",
        {},
        "gradient",
        ("torch", *_EVERY_BACKEND_BUT_TORCH, "cupy"),
        ("float16", "bfloat16", "float32", "float64"),
        _double_overflows,
        None,
        "Computed as PyTorch's autograd of torch.square(relu(x)) (Transformers' relu2) computes "
        "it, g * (2 x): +-inf from x = max / 2, where the exact g 2 x is finite for |g| < 1.",
    ),
    KnownDifference(
        "xielu",
        {},
        "gradient",
        ("torch", *_EVERY_BACKEND_BUT_TORCH, "cupy"),
        ("float16", "bfloat16", "float32", "float64"),
        _double_overflows,
        None,
        "g (2 alpha_p x + beta) for x > 0: +inf from x = max / (2 alpha_p), where the exact "
        "gradient is finite for |g| < 1 (PyTorch's autograd of Transformers' x (alpha_p x + beta) "
        "sums g (alpha_p x + beta) + (g x) alpha_p and stays finite there).",
    ),
    KnownDifference(
        "xielu",
        {},
        "forward",
        _FLUSHING,
        ("float16", "bfloat16", "float32", "float64"),
        _subnormal,
        None,
        "XLA and TensorFlow's CPU kernels flush subnormal numbers to zero: a positive subnormal "
        "x is 0 to JAX and TensorFlow, where "
        "xielu jumps (x > 0 is the quadratic branch, about 0; x = 0 the negative one, "
        "alpha_n expm1(eps), -8e-7 with the defaults).",
    ),
    KnownDifference(
        "softplus",
        {},
        "forward",
        _FLUSHING,
        ("float16", "bfloat16", "float32", "float64"),
        _subnormal,
        None,
        "TensorFlow's CPU kernels flush subnormal numbers to zero too. "
        "XLA on CPU flushes subnormal numbers to zero: beta * x for a subnormal x is 0 to JAX, "
        "so against a threshold in the subnormal range (0 or -0.0 included) it takes the "
        "log1p(exp(beta * x)) / beta branch, log(2) / beta, where PyTorch returns x (found by "
        "tests/test_properties.py at x=-9.2e-41 in bfloat16, beta=-0.92, threshold=-1.3e-127).",
    ),
    KnownDifference(
        "softplus",
        {},
        "forward",
        _FLUSHING,
        ("float16", "bfloat16", "float32", "float64"),
        _at_zero,
        None,
        "TensorFlow's CPU kernels flush subnormal numbers to zero too. "
        "XLA on CPU flushes subnormal numbers to zero, the threshold included: with a negative "
        "subnormal threshold, beta * 0 > threshold is 0 > -0 to JAX, false, and softplus(0) is "
        "log(2) / beta where PyTorch returns 0 (found by tests/test_properties.py at "
        "threshold=-2.2e-311 in float64). Only for thresholds that are subnormal in the "
        "dtype XLA computes in.",
        when=_subnormal_threshold,
    ),
    KnownDifference(
        "threshold",
        {},
        "forward",
        _FLUSHING,
        ("float16", "bfloat16", "float32", "float64"),
        _subnormal,
        None,
        "TensorFlow's CPU kernels flush subnormal numbers to zero too. "
        "XLA on CPU flushes subnormal numbers to zero before comparing them with the threshold: "
        "a subnormal x beside a threshold in the subnormal range (0 or -0.0 included) is taken "
        "for 0 and gets `value` on JAX, where PyTorch keeps x (found by tests/test_properties.py "
        "at threshold=-3e-269, x=3.7e-40 in bfloat16).",
    ),
    # Found by the first GPU run (H100, CUDA 13, PyTorch 2.11, JAX 0.11.2, CuPy 14.2).
    KnownDifference(
        "*",
        {},
        "gradient",
        ("cupy",),
        ("float32",),
        _subnormal,
        None,
        "CuPy's float32 kernels on CUDA flush subnormal numbers to zero, as XLA does: a "
        "subnormal input is 0 to CuPy, and at a kink at 0 (relu, leaky_relu, prelu, rrelu, "
        "relu6, elu, selu) its gradient is the one at 0 (measured at the smallest float32 "
        "subnormal, 1.4e-45, and random subnormals down to 1.3e-39).",
    ),
    KnownDifference(
        "log1mexp",
        {},
        "forward",
        ("cupy",),
        ("float32",),
        _subnormal,
        None,
        "CuPy's float32 kernels on CUDA flush subnormal numbers to zero: log1mexp of a "
        "subnormal is log1mexp(0) = -inf on CuPy, instead of about -103 (smallest subnormal).",
    ),
    *(
        KnownDifference(
            name,
            {},
            "gradient",
            ("torch", "jax", "cupy", "generic-torch", "generic-jax"),
            dtypes,
            _everywhere,
            None,
            f"PyTorch's {' and '.join(dtypes)} backward of {name} on CUDA is not its CPU one: "
            f"{detail}. multiact.vjp computes the same formula on every device and matches "
            "PyTorch on the CPU (0 to 1 ULP): on CUDA it is held to PyTorch's CPU result.",
            modes=("vjp",),
            devices=("cuda",),
            expected_on_cpu=True,
        )
        for name, dtypes, detail in (
            (
                "tanh",
                _HALF,
                "g (1 - y^2) cancels where |y| nears 1, and the two devices round differently, "
                "up to 15 ULP (float16) and 5 ULP (bfloat16) apart, both about 555 to 2038 ULP "
                "from the exact value",
            ),
            (
                "softmax",
                ("float16",),
                "up to 143 ULP apart, both up to 178 ULP from the exact value (the CPU's about "
                "as far as CUDA's)",
            ),
            (
                "softmin",
                _HALF,
                "up to 197 ULP (float16) and 1264 ULP (bfloat16) apart, both up to 900 to "
                "4000 ULP from the exact value",
            ),
        )
    ),
    KnownDifference(
        "glu",
        {},
        "gradient",
        ("jax",),
        ("float32",),
        _glu_saturated_gate,
        None,
        "glu's gradient through its gate b is a * s (1 - s) * g with s = sigmoid(b) and 1 - s "
        "computed from s, as PyTorch computes it: for b > 2 the subtraction amplifies s's "
        "rounding by s / (1 - s) > 7. XLA's float32 sigmoid on CUDA is an ULP from PyTorch's in "
        "places, which becomes up to 84 ULP there (measured at b = 5 beside a = 1e4, where "
        "PyTorch itself is 34 ULP from the exact value and multiact on XLA 50). Not compared "
        "there on JAX on CUDA; the gradient through a, and on the CPU, are.",
        devices=("cuda",),
    ),
    *(
        KnownDifference(
            "gelu",
            {"approximate": "tanh"},
            "gradient",
            targets,
            ("float32", "bfloat16", "float64"),
            _square_overflows,
            lambda values, cotangent: np.where(values > 0, cotangent, 0.0),
            "PyTorch's tanh-GELU backward squares x, which overflows for |x| > 1.8e19 in "
            "float32 (and bfloat16, computed in float32) and |x| > 1.3e154 in float64, and then "
            "gives NaN (0 * inf); the derivative there is exactly 1 (x > 0) or 0 (x < 0), which "
            "multiact returns (multiact.vjp on tensors too; autograd on tensors is PyTorch's "
            "own).",
            modes=modes,
        )
        for targets, modes in ((_EVERY_BACKEND_BUT_TORCH, ()), (("torch",), ("vjp",)))
    ),
)


#: PyTorch's own result on the CPU computed in a dtype (float32 or the case's own) and rounded
#: to the case's dtype, for the values being judged: given by the caller of :func:`judge`, so
#: that this module computes nothing with PyTorch.
PyTorchOnCPU = Callable[[str], np.ndarray]


def known_difference_mask(
    activation: str,
    params: Mapping[str, object],
    kind: Kind,
    target: str,
    dtype: str,
    values: np.ndarray,
    cotangent: np.ndarray | None = None,
    *,
    mode: str | None = None,
    device: str = "cpu",
    pytorch_on_cpu: PyTorchOnCPU | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(mask of inputs under a known difference, what the backend returns there or None)."""
    mask, expected, _ = _known_differences(
        activation, params, kind, target, dtype, values, cotangent, mode, device, pytorch_on_cpu
    )
    return mask, expected


def known_difference_inputs(
    activation: str,
    params: Mapping[str, object],
    kind: Kind,
    target: str,
    dtype: str,
    values: np.ndarray,
    *,
    mode: str | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """The mask of inputs under a known difference (what is expected there left aside)."""
    mask = np.zeros(np.shape(values), dtype=bool)
    for d in _applying(activation, params, kind, target, dtype, mode, device):
        mask |= d.affected(np.asarray(values, dtype=np.float64), dtype, params)
    return mask


def _applying(
    activation: str,
    params: Mapping[str, object],
    kind: Kind,
    target: str,
    dtype: str,
    mode: str | None,
    device: str,
) -> list[KnownDifference]:
    return [
        d
        for d in KNOWN_DIFFERENCES
        if d.applies(activation, params, kind, target, dtype, mode, device)
    ]


def _known_differences(
    activation: str,
    params: Mapping[str, object],
    kind: Kind,
    target: str,
    dtype: str,
    values: np.ndarray,
    cotangent: np.ndarray | None = None,
    mode: str | None = None,
    device: str = "cpu",
    pytorch_on_cpu: PyTorchOnCPU | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(mask of inputs under a known difference, the values expected there or None, mask of
    inputs not compared at all)."""
    mask = np.zeros(np.shape(values), dtype=bool)
    skip = np.zeros(np.shape(values), dtype=bool)
    expected = None
    for d in _applying(activation, params, kind, target, dtype, mode, device):
        hit = d.affected(np.asarray(values, dtype=np.float64), dtype, params)
        if d.expected is not None or d.expected_dtype is not None or d.expected_on_cpu:
            if d.expected is not None:
                instead = d.expected(values, cotangent)
            else:
                compute = d.expected_dtype or dtype
                if pytorch_on_cpu is None:
                    raise ValueError(
                        f"a known difference of {activation} on {target} in {dtype} holds it to "
                        f"PyTorch's own result computed in {compute} on the CPU: judge needs "
                        "pytorch_on_cpu"
                    )
                instead = pytorch_on_cpu(compute)
            if np.shape(instead) != np.shape(values):
                skip |= hit  # a different output shape (glu): not compared there
            else:
                expected = np.where(hit, instead, np.nan if expected is None else expected)
        else:
            skip |= hit
        mask |= hit
    return mask, expected, skip


@dataclass(frozen=True)
class Comparison:
    """How far ``actual`` is from ``expected``; ``ok`` when every element is within tolerance.

    ``max_abs_error`` and ``max_ulp_error`` are taken over the positions where both sides are
    finite numbers (equal special values are agreement, not an error of 0 or inf); a NaN or an
    infinity on one side without the same on the other is a ``special_mismatches`` count, and
    always a failure.
    """

    ok: bool
    max_abs_error: float
    max_ulp_error: float
    mismatched: int
    size: int
    worst_index: tuple[int, ...] | None
    message: str
    special_mismatches: int = 0
    #: Elements where PyTorch's own paths (vectorised and scalar loop) disagree, judged by the
    #: exact value instead (see :func:`judge`).
    torch_disagreements: int = 0
    #: At ``worst_index``: the result, and what it was compared with.
    worst_actual: float | None = None
    worst_expected: float | None = None


def within(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Per element: does ``actual`` pass against ``expected`` (special values exactly)?"""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    finite = np.isfinite(a) & np.isfinite(e)
    with np.errstate(over="ignore", invalid="ignore"):
        error = np.where(finite, np.abs(a - e), 0.0)
        return ~special_mismatch(a, e) & (error <= atol + rtol * np.abs(np.where(finite, e, 0.0)))


def compare(
    actual: np.ndarray,
    expected: np.ndarray,
    dtype: str,
    *,
    rtol: float | None = None,
    atol: float | None = None,
) -> Comparison:
    """Compare two arrays of ``dtype``'s values (given in float32 or float64), element by element.

    A finite pair passes when ``|actual - expected| <= atol + rtol * |expected|``; NaN matches
    only NaN and an infinity only the same infinity, whichever side has it.
    """
    default_rtol, default_atol = TOLERANCES[dtype]
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return Comparison(
            False,
            np.inf,
            np.inf,
            a.size,
            a.size,
            None,
            f"shape {a.shape} differs from the reference's {e.shape}",
            special_mismatches=0,
        )
    if a.size == 0:
        return Comparison(True, 0.0, 0.0, 0, 0, None, "empty")
    finite = np.isfinite(a) & np.isfinite(e)
    special = special_mismatch(a, e)
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is masked; max + max: inf
        error = np.where(finite, np.abs(a - e), 0.0)
    bad = ~within(a, e, rtol, atol)
    ulps = np.where(finite, ulp_distance(a, e, dtype), 0.0)
    mismatched = int(np.count_nonzero(bad))
    n_special = int(np.count_nonzero(special))
    # The worst element: a special-value mismatch first, then the largest error.
    badness = np.where(special, np.inf, np.where(bad, error, -1.0))
    worst = np.unravel_index(int(np.argmax(badness)), a.shape)
    message = "ok"
    if mismatched:
        specials = f" ({n_special} NaN/inf mismatches)" if n_special else ""
        message = (
            f"{mismatched} of {a.size} elements outside rtol={rtol:g} atol={atol:g}{specials}; "
            f"worst at index {tuple(int(i) for i in worst)}: got {a[worst]!r}, reference "
            f"{e[worst]!r}"
        )
    return Comparison(
        ok=not mismatched,
        max_abs_error=float(np.max(error)),
        max_ulp_error=float(np.max(ulps)),
        mismatched=mismatched,
        size=int(a.size),
        worst_index=tuple(int(i) for i in worst) if mismatched else None,
        message=message,
        special_mismatches=n_special,
        worst_actual=float(a[worst]) if mismatched else None,
        worst_expected=float(e[worst]) if mismatched else None,
    )


def judge(
    activation: str,
    params: Mapping[str, object],
    kind: Kind,
    target: str,
    dtype: str,
    values: np.ndarray,
    actual: np.ndarray,
    reference: np.ndarray,
    cotangent: np.ndarray | None = None,
    *,
    mode: str | None = None,
    device: str = "cpu",
    other_paths: Sequence[np.ndarray] = (),
    exact: np.ndarray | None = None,
    exact_known: np.ndarray | None = None,
    any_path: bool = False,
    pytorch_on_cpu: PyTorchOnCPU | None = None,
) -> Comparison:
    """Compare a backend's result with PyTorch's under the tolerance and known differences.

    Where a known difference applies, the backend is held to what it documents instead
    (or not compared, if the difference documents no particular value). ``mode`` is how a
    gradient was taken (``vjp`` or ``autograd``; None: ``multiact.vjp``); ``device`` where the
    backend and the reference ran.

    PyTorch is not one reference: ``other_paths`` are its results for the same inputs by
    other code paths (the scalar loop of a strided tensor beside the vectorised loop of
    ``reference``). Where they disagree with ``reference``, no one of them is *the* answer:
    the backend is held to ``exact`` (the exact value rounded to the dtype) where it is known
    there, and to any one of PyTorch's answers where it is not, or where ``any_path`` (the
    result *is* PyTorch's own kernel, on a path of its own).

    ``pytorch_on_cpu(compute)`` is PyTorch's own result for ``values`` on the CPU, computed in
    ``compute`` and rounded to ``dtype`` (``reference.torch_computed_in``): needed only where
    a known difference holds the backend to it (``expected_dtype``, ``expected_on_cpu``).
    """
    rtol, atol = tolerance(activation, kind, dtype)
    actual = np.asarray(actual, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    mask, instead, skip = _known_differences(
        activation, params, kind, target, dtype, values, cotangent, mode, device, pytorch_on_cpu
    )
    known_difference = mask.shape == reference.shape and mask.any()
    if known_difference:
        if instead is not None:
            reference = np.where(mask & ~skip, instead, reference)
        reference = np.where(skip, actual, reference)
    disagree = np.zeros(reference.shape, dtype=bool)
    for path in other_paths:
        if np.shape(path) == reference.shape:
            disagree |= ~within(path, reference, rtol, atol)
    if known_difference:
        disagree &= ~mask
    if disagree.any():
        use_exact = np.zeros_like(disagree)
        if exact is not None and not any_path and np.shape(exact) == reference.shape:
            use_exact = disagree & (True if exact_known is None else exact_known)
            reference = np.where(use_exact, exact, reference)
        for path in other_paths:  # elsewhere, whichever of PyTorch's answers matches
            if np.shape(path) == reference.shape:
                take = disagree & ~use_exact & within(actual, path, rtol, atol)
                reference = np.where(take, path, reference)
    result = compare(actual, reference, dtype, rtol=rtol, atol=atol)
    return dataclasses.replace(result, torch_disagreements=int(np.count_nonzero(disagree)))
