"""The catalog: every activation multiact has, declared once.

PyTorch's ``torch.nn.functional`` activations under their PyTorch names, parameters and
defaults; then the ones JAX or Keras have and PyTorch lacks, with JAX/Keras spellings as
aliases. ``_registry.py`` indexes these declarations; ``_activation.py`` says what each field
means. Examples are doctested (their outputs come from running them).
"""

from __future__ import annotations

from ._activation import REQUIRED, Activation, FrameworkNames, Param
from ._constants import SELU_ALPHA_DIGITS, SELU_SCALE_DIGITS

__all__ = ["DECLARATIONS"]


def _exact_softmax(mp: object, row: list) -> list:
    top = max(row)
    exps = [mp.exp(v - top) for v in row]
    total = mp.fsum(exps)
    return [e / total for e in exps]


def _exact_log_softmax(mp: object, row: list) -> list:
    top = max(row)
    log_total = mp.log(mp.fsum(mp.exp(v - top) for v in row))
    return [v - top - log_total for v in row]


def _exact_gelu(mp: object, x: object, approximate: str) -> object:
    if approximate == "tanh":
        inner = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
        return x / 2 * (1 + mp.tanh(inner))
    return x / 2 * mp.erfc(-x / mp.sqrt(2))


_TUTORIAL_INPUT = ">>> x = np.array([1.0, -2.0, 3.0, -5.0])"


def _ex(call: str, output: str) -> str:
    return f"{_TUTORIAL_INPUT}\n>>> {call}\n{output}"


def _exact_selu(mp: object, x: object) -> object:
    alpha, scale = mp.mpf(SELU_ALPHA_DIGITS), mp.mpf(SELU_SCALE_DIGITS)
    return scale * (x if x > 0 else alpha * mp.expm1(x))


def _exact_softplus(mp: object, x: object, beta: float, threshold: float) -> object:
    if x * beta > threshold:  # PyTorch reverts to the identity there: part of the definition
        return x
    return mp.log1p(mp.exp(beta * x)) / beta


def _exact_softmin(mp: object, row: list) -> list:
    return _exact_softmax(mp, [-v for v in row])


def _exact_glu(mp: object, row: list) -> list:
    half = len(row) // 2
    return [a / (1 + mp.exp(-b)) for a, b in zip(row[:half], row[half:], strict=True)]


def _exact_sparsemax(mp: object, row: list) -> list:
    # In exact rational arithmetic (sparsemax needs only sorting, sums and one division), so
    # the support is right at any working precision: in mpf, 1 + z1 beside z1 = float64's max
    # needs 310 digits, and the precision driver, seeing two too-low precisions agree, kept
    # a support of one where two maxima tie (0 and 1 for two halves; found by the GPU run).
    from fractions import Fraction  # here: the truth is computed only by the conformance suite

    def exact(v: object) -> Fraction:  # a finite mpf is +-mantissa * 2**exponent
        mantissa, exponent = mp.mpf(v).man_exp  # the mantissa without its sign
        magnitude = Fraction(mantissa) * Fraction(2) ** exponent
        return -magnitude if v < 0 else magnitude

    q = [exact(v) for v in row]
    z = sorted(q, reverse=True)
    total, k, tau_total = Fraction(0), 1, z[0]
    for i, v in enumerate(z, start=1):
        total += v
        if 1 + i * v > total:
            k, tau_total = i, total
    tau = (tau_total - 1) / k
    shifted = (v - tau for v in q)
    return [mp.mpf(d.numerator) / d.denominator if d > 0 else mp.mpf(0) for d in shifted]


def _exact_log1mexp(mp: object, x: object) -> object:
    if x < 0:  # undefined (complex): NaN, as jax.nn.log1mexp
        return mp.mpf("nan")
    if x == 0:
        return mp.mpf("-inf")
    return mp.log(-mp.expm1(-x))


#: QuickGELU's factor: x * sigmoid(1.702 x) approximates x * Phi(x) (Hendrycks & Gimpel).
QUICK_GELU_FACTOR = 1.702


def _exact_quick_gelu(mp: object, x: object) -> object:
    return x / (1 + mp.exp(-mp.mpf("1.702") * x))


def _exact_laplace(mp: object, x: object, mu: float, sigma: float) -> object:
    # Beyond |z| = 1e6 the value is within e^-1e12 of 0 or 1, which every dtype rounds to
    # that; mpmath's erfc overflows a float near z = 1e308.
    z = (x - mu) / (sigma * mp.sqrt(2))
    return mp.erfc(-min(max(z, mp.mpf(-1e6)), mp.mpf(1e6))) / 2


def _exact_clipped_gelu(mp: object, x: object, min_val: float, max_val: float) -> object:
    # Beyond |x| = 1e6, x Phi(x) is x, or a negative number above -e^-1e11, to far more than
    # any dtype's precision; mpmath's erfc overflows a float near 1e308.
    gelu = x if x > 1e6 else _exact_gelu(mp, max(x, mp.mpf(-1e6)), "none")
    return min(max(gelu, mp.mpf(min_val)), mp.mpf(max_val))


def gelu_crossings(level: float) -> tuple[float, ...]:
    """Where the exact GELU x Phi(x) equals ``level`` (to 1e-15): none below its minimum
    (-0.17 at x = -0.75), two between that and 0, one from 0 up. clipped_gelu's kinks."""
    import math

    def gelu(x: float) -> float:
        return 0.5 * x * math.erfc(-x / math.sqrt(2.0))

    def solve(low: float, high: float) -> float:  # gelu - level changes sign on [low, high]
        rising = gelu(high) > gelu(low)
        for _ in range(200):
            middle = (low + high) / 2
            if middle in (low, high):
                break
            if (gelu(middle) < level) == rising:
                low = middle
            else:
                high = middle
        return (low + high) / 2

    turn = -0.7517915241  # where x Phi(x) is least
    if level < gelu(turn):
        return ()
    if level >= 0:
        return (solve(0.0, max(1.0, 2.0 * level)),) if level > 0 else (0.0,)
    return (solve(-40.0, turn), solve(turn, 0.0))


def _clipped_gelu_kinks(min_val: float, max_val: float) -> tuple[float, ...]:
    return tuple(sorted({*gelu_crossings(min_val), *gelu_crossings(max_val)}))


def _clip_limit(value: float, min_val: float, max_val: float) -> float:
    return min(max(value, min_val), max_val)


def _hard_mish_exact(mp: object, x: object) -> object:
    # timm's 0.5 x clamp(x + 2, 0, 2): x from 0 up, x (x + 2) / 2 on (-2, 0), 0 up to -2.
    return x * min(max(x + 2, mp.mpf(0)), mp.mpf(2)) / 2


def _exact_sqrtsoftplus(mp: object, x: object) -> object:
    # sqrt of PyTorch's softplus, whose threshold (20, beyond which it is x) is part of it.
    return mp.sqrt(x if x > 20 else mp.log1p(mp.exp(x)))


def _exact_xielu(
    mp: object, x: object, alpha_p: float, alpha_n: float, beta: float, eps: float
) -> object:
    if x > 0:
        return alpha_p * x * x + beta * x
    return (mp.expm1(min(x, mp.mpf(eps))) - x) * alpha_n + beta * x


def _infinite_sign(c: float, at_zero: float) -> float:
    """c * inf, and ``at_zero`` where c is 0."""
    return at_zero if c == 0 else (float("inf") if c > 0 else float("-inf"))


def _xielu_limits(alpha_p: float, alpha_n: float, beta: float, eps: float) -> tuple[float, float]:
    # x -> -inf: -alpha_n + (beta - alpha_n) x; x -> inf: alpha_p x^2 + beta x.
    low = _infinite_sign(alpha_n - beta, -alpha_n)
    return low, _infinite_sign(alpha_p, _infinite_sign(beta, 0.0))


_INPLACE = Param("inplace", False, "flag", "Overwrite ``x`` with the result and return it.")
# Softmax-like modules default to dim=None, PyTorch's legacy implicit axis (with a warning).
_AXIS_IMPLICIT = Param(
    "axis",
    -1,
    "axis",
    "The axis to normalise along (``dim=`` is accepted as an alias, as PyTorch spells it).",
    module_default=None,
)


DECLARATIONS: tuple[Activation, ...] = (
    Activation(
        name="relu",
        module="ReLU",
        summary="Rectified linear unit.",
        formula=r"\mathrm{relu}(x) = \max(x, 0)",
        derivative=r"\mathrm{relu}'(x) = 1 \text{ if } x > 0 \text{ else } 0"
        r" \quad (0 \text{ at } x = 0, \text{ as PyTorch})",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.relu",
            torch_module="torch.nn.ReLU",
            jax="jax.nn.relu",
            keras="keras.activations.relu",
            differences=(
                "jax.nn.relu(-0.0) is +0.0; PyTorch and multiact return -0.0.",
                "keras.activations.relu also takes negative_slope, max_value and threshold.",
            ),
        ),
        integers="keep",
        inplace_variant=True,
        exact=lambda mp, x: x if x > 0 else mp.mpf(0),
        kinks=lambda: (0.0,),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.relu(x)\narray([1., 0., 3., 0.])",
    ),
    Activation(
        name="leaky_relu",
        module="LeakyReLU",
        summary="Leaky rectified linear unit.",
        formula=r"\mathrm{leaky\_relu}(x) = x \text{ if } x > 0"
        r" \text{ else } \mathrm{negative\_slope} \cdot x",
        derivative=r"1 \text{ if } x > 0 \text{ else } \mathrm{negative\_slope}"
        r" \quad (\mathrm{negative\_slope} \text{ at } x = 0, \text{ as PyTorch})",
        params=(
            Param("negative_slope", 0.01, "real", "The slope for negative inputs."),
            _INPLACE,
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.leaky_relu",
            torch_module="torch.nn.LeakyReLU",
            jax="jax.nn.leaky_relu",
            keras="keras.activations.leaky_relu",
            differences=(
                "Keras' default negative_slope is 0.2; PyTorch's, JAX's and multiact's is 0.01.",
                "jax.nn.leaky_relu's gradient at 0 is 1; PyTorch's is negative_slope.",
            ),
        ),
        variants=({"negative_slope": 0.2},),
        inplace_variant=True,
        exact=lambda mp, x, negative_slope: x if x > 0 else negative_slope * x,
        kinks=lambda negative_slope: (0.0,),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.leaky_relu(x, 0.2)\n"
        "array([ 1. , -0.4,  3. , -1. ])",
    ),
    Activation(
        name="sigmoid",
        module="Sigmoid",
        summary="Logistic sigmoid.",
        formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        derivative=r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))",
        params=(),
        names=FrameworkNames(
            torch="torch.nn.functional.sigmoid",
            torch_module="torch.nn.Sigmoid",
            jax="jax.nn.sigmoid",
            keras="keras.activations.sigmoid",
            differences=(
                "Integer and bool arrays are promoted to float32 first, as torch.sigmoid "
                "promotes them to its default float dtype; jax.nn.sigmoid refuses them.",
            ),
        ),
        integers="promote",
        bools="promote",
        complex_inputs=True,
        domain=(-10.0, 10.0),
        exact=lambda mp, x: 1 / (1 + mp.exp(-x)),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.sigmoid(x).round(4)\n"
        "array([0.7311, 0.1192, 0.9526, 0.0067])",
    ),
    Activation(
        name="tanh",
        module="Tanh",
        summary="Hyperbolic tangent.",
        formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        derivative=r"\tanh'(x) = 1 - \tanh^2(x)",
        params=(),
        names=FrameworkNames(
            torch="torch.nn.functional.tanh",
            torch_module="torch.nn.Tanh",
            jax="jax.numpy.tanh",
            keras="keras.activations.tanh",
            differences=(
                "Integer and bool arrays are promoted to float32 first, as torch.tanh promotes "
                "them to its default float dtype.",
            ),
        ),
        integers="promote",
        bools="promote",
        complex_inputs=True,
        domain=(-4.0, 4.0),
        exact=lambda mp, x: mp.tanh(x),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.tanh(x).round(4)\n"
        "array([ 0.7616, -0.964 ,  0.9951, -0.9999])",
    ),
    Activation(
        name="softmax",
        module="Softmax",
        summary="Softmax along an axis: exponentials normalised to sum to one.",
        formula=r"\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
        derivative=r"\frac{\partial\, \mathrm{softmax}_i}{\partial x_j}"
        r" = \mathrm{softmax}_i (\delta_{ij} - \mathrm{softmax}_j)",
        params=(_AXIS_IMPLICIT,),
        dtype_arg=True,
        names=FrameworkNames(
            torch="torch.nn.functional.softmax",
            torch_module="torch.nn.Softmax",
            jax="jax.nn.softmax",
            keras="keras.activations.softmax",
            differences=(
                "torch.nn.functional.softmax has no default dim (dim=None picks one by ndim and "
                "warns); jax.nn, Keras and multiact.softmax default to axis=-1. "
                "multiact.nn.Softmax(dim=None) reproduces PyTorch's implicit choice and warning.",
                "A row of all -inf gives NaN in PyTorch, JAX and multiact.",
            ),
        ),
        variants=({"axis": 0},),
        extra_doc="A row that is all ``-inf``, or holds ``+inf``, gives ``NaN`` as in PyTorch.",
        exact=_exact_softmax,
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.softmax(x, axis=0)\n"
        "array([1.18464858e-01, 5.89801797e-03, 8.75343479e-01, 2.93645024e-04])",
    ),
    Activation(
        name="log_softmax",
        module="LogSoftmax",
        summary="Logarithm of the softmax along an axis, computed without overflow.",
        formula=r"\mathrm{log\_softmax}(x)_i = x_i - \log \sum_j e^{x_j}",
        derivative=r"\frac{\partial\, \mathrm{log\_softmax}_i}{\partial x_j}"
        r" = \delta_{ij} - \mathrm{softmax}_j",
        params=(_AXIS_IMPLICIT,),
        dtype_arg=True,
        names=FrameworkNames(
            torch="torch.nn.functional.log_softmax",
            torch_module="torch.nn.LogSoftmax",
            jax="jax.nn.log_softmax",
            keras="keras.activations.log_softmax",
            differences=(
                "torch.nn.functional.log_softmax has no default dim; jax.nn, Keras and "
                "multiact.log_softmax default to axis=-1.",
            ),
        ),
        variants=({"axis": 0},),
        exact=_exact_log_softmax,
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.log_softmax(x, axis=0).round(4)\n"
        "array([-2.1331, -5.1331, -0.1331, -8.1331])",
    ),
    Activation(
        name="gelu",
        module="GELU",
        summary="Gaussian error linear unit, exact or with the tanh approximation.",
        formula=r"\mathrm{gelu}(x) = x\,\Phi(x) = \frac{x}{2}"
        r"\left(1 + \mathrm{erf}\left(\frac{x}{\sqrt 2}\right)\right);"
        r" \text{tanh: } \frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}"
        r"\,(x + 0.044715\,x^3)\right)\right)",
        derivative=r"\mathrm{gelu}'(x) = \Phi(x) + x\,\varphi(x)",
        params=(
            Param(
                "approximate",
                "none",
                "choice",
                "``'none'`` for the exact GELU, ``'tanh'`` for the tanh approximation.",
                choices=("none", "tanh"),
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.gelu",
            torch_module="torch.nn.GELU",
            jax="jax.nn.gelu",
            keras="keras.activations.gelu",
            differences=(
                "jax.nn.gelu and Keras take approximate as a bool: jax.nn.gelu defaults to the "
                "tanh form (True), Keras 3 to the exact form (False). PyTorch and multiact take "
                "'none' or 'tanh' and default to the exact form. A bool, or any other string, is "
                "a ValueError in multiact: JAX and Keras would silently treat the string 'none' "
                "as true.",
                "PyTorch's float32 exact GELU is far from the exact value for x in [-10, -2] "
                "(gelu(-5) is -1.49e-6 where the exact value is -1.43e-6); multiact's NumPy and "
                "generic kernels are accurate to a few ULP there.",
            ),
        ),
        variants=({"approximate": "tanh"},),
        exact=_exact_gelu,
        # PyTorch's vectorised loop gives gelu(+inf) = NaN, its scalar loop inf: the limit
        # decides.
        limits=(0.0, float("inf")),
        example=f"{_TUTORIAL_INPUT}\n>>> multiact.gelu(x).round(4)\n"
        "array([ 0.8413, -0.0455,  2.996 , -0.    ])\n"
        ">>> multiact.gelu(x, approximate='tanh').round(4)\n"
        "array([ 0.8412, -0.0454,  2.9964, -0.    ])",
    ),
    Activation(
        name="relu6",
        module="ReLU6",
        summary="ReLU capped at 6.",
        formula=r"\mathrm{relu6}(x) = \min(\max(x, 0), 6)",
        derivative=r"1 \text{ if } 0 < x < 6 \text{ else } 0",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.relu6",
            torch_module="torch.nn.ReLU6",
            jax="jax.nn.relu6",
            keras="keras.activations.relu6",
            differences=("jax.nn.relu6(-0.0) is +0.0; PyTorch and multiact return -0.0.",),
        ),
        exact=lambda mp, x: min(max(x, mp.mpf(0)), mp.mpf(6)),
        integers="keep",
        domain=(-2.0, 8.0),
        kinks=lambda: (0.0, 6.0),
        example=_ex("multiact.relu6(x * 3)", "array([3., 0., 6., 0.])"),
    ),
    Activation(
        name="prelu",
        module="PReLU",
        summary="Parametric ReLU: a learned slope for negative inputs, per channel.",
        formula=r"\mathrm{prelu}(x) = x \text{ if } x > 0 \text{ else } w_c \cdot x",
        derivative=r"\partial/\partial x: 1 \text{ if } x > 0 \text{ else } w_c",
        params=(
            Param(
                "weight",
                REQUIRED,
                "array",
                "The slopes: one element, or one per channel (axis 1 of ``x``), as in PyTorch. "
                "An array of the same library as ``x``.",
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.prelu",
            torch_module="torch.nn.PReLU",
            jax=None,
            keras=None,
            differences=(
                "jax.nn has no prelu; Keras has a PReLU layer only (keras.layers.PReLU), whose "
                "alpha is applied as -alpha * relu(-x), with per-axis sharing options.",
                "multiact.nn.PReLU keeps its weight as a NumPy array and converts it to the "
                "input's library, device and dtype at each call; to train it, call "
                "multiact.prelu(x, weight) with your framework's own parameter.",
            ),
        ),
        exact=lambda mp, x, weight: x if x > 0 else weight * x,
        variants=({"weight": (0.25,)}, {"weight": (-0.5,)}),
        custom_module=True,
        kinks=lambda weight: (0.0,),
        example=">>> multiact.prelu(np.array([1.0, -2.0, 3.0, -5.0]), np.array([0.25]))\n"
        "array([ 1.  , -0.5 ,  3.  , -1.25])",
    ),
    Activation(
        name="rrelu",
        module="RReLU",
        summary="Randomized leaky ReLU: a random negative slope in training, the mean otherwise.",
        formula=r"\mathrm{rrelu}(x) = x \text{ if } x \ge 0 \text{ else } a x, \quad "
        r"a \sim U(\mathrm{lower}, \mathrm{upper}) \text{ (training) or }"
        r" a = \frac{\mathrm{lower} + \mathrm{upper}}{2}",
        derivative=r"1 \text{ if } x > 0 \text{ else } a",
        params=(
            Param("lower", 0.125, "real", "Lower bound of the negative slope."),
            Param("upper", 1.0 / 3.0, "real", "Upper bound of the negative slope."),
            Param(
                "training",
                False,
                "flag",
                "Draw a random slope per element (True) or use the mean slope (False).",
            ),
            _INPLACE,
            Param(
                "generator",
                None,
                "generator",
                "Randomness for training mode: a seed (int) on every backend, a "
                "``numpy.random.Generator`` (NumPy and generic arrays), a ``torch.Generator`` "
                "(PyTorch) or a JAX PRNG key (JAX, required there). ``None`` uses the backend's "
                "default source (a fresh NumPy generator; PyTorch's global RNG).",
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.rrelu",
            torch_module="torch.nn.RReLU",
            jax=None,
            keras=None,
            differences=(
                "torch.nn.RReLU is random by default (modules start in training mode); "
                "multiact.nn.RReLU too, with .eval() for the deterministic mean slope.",
                "The same seed gives the same slopes on one backend; different backends draw "
                "from different generators.",
            ),
        ),
        exact=lambda mp, x, lower, upper, training, generator: (
            x if x >= 0 else (mp.mpf(lower) + mp.mpf(upper)) / 2 * x
        ),
        ordered=(("lower", "upper"),),
        variants=({"lower": 0.1, "upper": 0.3},),
        custom_module=True,
        inplace_variant=True,
        kinks=lambda lower, upper, training: (0.0,),
        example=_ex("multiact.rrelu(x).round(4)", "array([ 1.    , -0.4583,  3.    , -1.1458])"),
    ),
    Activation(
        name="elu",
        module="ELU",
        summary="Exponential linear unit.",
        formula=r"\mathrm{elu}(x) = x \text{ if } x > 0 \text{ else } \alpha (e^x - 1)",
        derivative=r"1 \text{ if } x > 0 \text{ else } \alpha e^x",
        params=(
            Param("alpha", 1.0, "real", "The value elu approaches as x goes to -inf."),
            _INPLACE,
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.elu",
            torch_module="torch.nn.ELU",
            jax="jax.nn.elu",
            keras="keras.activations.elu",
        ),
        exact=lambda mp, x, alpha: x if x > 0 else alpha * mp.expm1(x),
        variants=({"alpha": 0.5},),
        domain=(-6.0, 3.0),
        inplace_variant=True,
        kinks=lambda alpha: (0.0,),
        example=_ex("multiact.elu(x).round(4)", "array([ 1.    , -0.8647,  3.    , -0.9933])"),
    ),
    Activation(
        name="selu",
        module="SELU",
        summary="Scaled exponential linear unit (self-normalising constants).",
        formula=r"\mathrm{selu}(x) = \lambda\,(x \text{ if } x > 0 \text{ else } \alpha (e^x - 1)),"
        r"\ \alpha \approx 1.6733,\ \lambda \approx 1.0507",
        derivative=r"\lambda \text{ if } x > 0 \text{ else } \lambda \alpha e^x",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.selu",
            torch_module="torch.nn.SELU",
            jax="jax.nn.selu",
            keras="keras.activations.selu",
        ),
        exact=_exact_selu,
        domain=(-6.0, 3.0),
        inplace_variant=True,
        kinks=lambda: (0.0,),
        example=_ex("multiact.selu(x).round(4)", "array([ 1.0507, -1.5202,  3.1521, -1.7463])"),
    ),
    Activation(
        name="celu",
        module="CELU",
        summary="Continuously differentiable exponential linear unit.",
        formula=r"\mathrm{celu}(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))",
        derivative=r"1 \text{ if } x > 0 \text{ else } e^{x/\alpha}",
        params=(
            Param("alpha", 1.0, "real", "The scale of the negative part.", constraint="nonzero"),
            _INPLACE,
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.celu",
            torch_module="torch.nn.CELU",
            jax="jax.nn.celu",
            keras="keras.activations.celu",
        ),
        exact=lambda mp, x, alpha: x if x > 0 else alpha * mp.expm1(x / alpha),
        variants=({"alpha": 2.0},),
        domain=(-6.0, 3.0),
        inplace_variant=True,
        kinks=lambda alpha: (0.0,),
        example=_ex(
            "multiact.celu(x, alpha=2.0).round(4)", "array([ 1.    , -1.2642,  3.    , -1.8358])"
        ),
    ),
    Activation(
        name="silu",
        module="SiLU",
        summary="Sigmoid linear unit (swish): x times its sigmoid.",
        formula=r"\mathrm{silu}(x) = x\,\sigma(x)",
        derivative=r"\sigma(x)\,(1 + x (1 - \sigma(x)))",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.silu",
            torch_module="torch.nn.SiLU",
            jax="jax.nn.silu",
            keras="keras.activations.silu",
            differences=(
                "swish is the JAX and Keras alias of silu; none of them has a beta parameter.",
            ),
        ),
        exact=lambda mp, x: x / (1 + mp.exp(-x)),
        aliases=("swish",),
        complex_inputs=True,
        domain=(-8.0, 6.0),
        example=_ex("multiact.silu(x).round(4)", "array([ 0.7311, -0.2384,  2.8577, -0.0335])"),
    ),
    Activation(
        name="mish",
        module="Mish",
        summary="Mish: x times tanh(softplus(x)).",
        formula=r"\mathrm{mish}(x) = x \tanh(\log(1 + e^x))",
        derivative=r"\tanh(\mathrm{sp}(x)) + x\,\sigma(x)\,(1 - \tanh^2(\mathrm{sp}(x)))",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.mish",
            torch_module="torch.nn.Mish",
            jax="jax.nn.mish",
            keras="keras.activations.mish",
        ),
        exact=lambda mp, x: x * mp.tanh(mp.log1p(mp.exp(x))),
        domain=(-8.0, 6.0),
        example=_ex("multiact.mish(x).round(4)", "array([ 0.8651, -0.2525,  2.9865, -0.0336])"),
    ),
    Activation(
        name="logsigmoid",
        module="LogSigmoid",
        summary="Logarithm of the sigmoid, without overflow.",
        formula=r"\log \sigma(x) = -\log(1 + e^{-x})",
        derivative=r"1 - \sigma(x)",
        params=(),
        names=FrameworkNames(
            torch="torch.nn.functional.logsigmoid",
            torch_module="torch.nn.LogSigmoid",
            jax="jax.nn.log_sigmoid",
            keras="keras.activations.log_sigmoid",
        ),
        exact=lambda mp, x: -mp.log1p(mp.exp(-x)),
        aliases=("log_sigmoid",),
        domain=(-20.0, 20.0),
        example=_ex(
            "multiact.logsigmoid(x).round(4)", "array([-0.3133, -2.1269, -0.0486, -5.0067])"
        ),
    ),
    Activation(
        name="hardsigmoid",
        module="Hardsigmoid",
        summary="Piecewise-linear sigmoid: relu6(x + 3) / 6.",
        formula=r"\mathrm{hardsigmoid}(x) = \min(\max(x/6 + 1/2, 0), 1)",
        derivative=r"1/6 \text{ if } -3 < x < 3 \text{ else } 0",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.hardsigmoid",
            torch_module="torch.nn.Hardsigmoid",
            jax="jax.nn.hard_sigmoid",
            keras="keras.activations.hard_sigmoid",
            differences=(
                "Keras 2's hard_sigmoid was 0.2 x + 0.5 clipped; Keras 3, JAX, PyTorch and "
                "multiact use x/6 + 1/2.",
            ),
        ),
        exact=lambda mp, x: min(max(x / 6 + mp.mpf(1) / 2, mp.mpf(0)), mp.mpf(1)),
        aliases=("hard_sigmoid",),
        domain=(-4.0, 4.0),
        module_repr="hidden",
        kinks=lambda: (-3.0, 3.0),
        example=_ex("multiact.hardsigmoid(x).round(4)", "array([0.6667, 0.1667, 1.    , 0.    ])"),
    ),
    Activation(
        name="hardswish",
        module="Hardswish",
        summary="Piecewise-quadratic swish: x * relu6(x + 3) / 6.",
        formula=r"\mathrm{hardswish}(x) = x \cdot \min(\max(x + 3, 0), 6) / 6",
        derivative=r"0 \text{ if } x \le -3;\ x/3 + 1/2 \text{ if } -3 < x < 3;"
        r"\ 1 \text{ if } x \ge 3",
        params=(_INPLACE,),
        names=FrameworkNames(
            torch="torch.nn.functional.hardswish",
            torch_module="torch.nn.Hardswish",
            jax="jax.nn.hard_swish",
            keras="keras.activations.hard_swish",
            differences=(
                "At NaN PyTorch's derivative passes the gradient (1); jax.nn.hard_swish's "
                "is NaN. multiact follows PyTorch on every backend.",
            ),
        ),
        exact=lambda mp, x: x * min(max(x + 3, mp.mpf(0)), mp.mpf(6)) / 6,
        aliases=("hard_swish", "hard_silu"),
        domain=(-4.0, 4.0),
        module_repr="hidden",
        kinks=lambda: (-3.0, 3.0),
        example=_ex(
            "multiact.hardswish(x).round(4)", "array([ 0.6667, -0.3333,  3.    , -0.    ])"
        ),
    ),
    Activation(
        name="hardtanh",
        module="Hardtanh",
        summary="tanh's piecewise-linear stand-in: x clipped to [min_val, max_val].",
        formula=r"\mathrm{hardtanh}(x) = \min(\max(x, \mathrm{min\_val}), \mathrm{max\_val})",
        derivative=r"1 \text{ if } \mathrm{min\_val} < x < \mathrm{max\_val} \text{ else } 0",
        params=(
            Param("min_val", -1.0, "real", "The lower end of the linear region."),
            Param("max_val", 1.0, "real", "The upper end of the linear region."),
            _INPLACE,
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.hardtanh",
            torch_module="torch.nn.Hardtanh",
            jax="jax.nn.hard_tanh",
            keras="keras.activations.hard_tanh",
            differences=(
                "jax.nn.hard_tanh and Keras' hard_tanh have no min_val/max_val (always [-1, 1]).",
                "At x = min_val and max_val PyTorch's derivative is 0; jax.nn.hard_tanh's is 1.",
            ),
        ),
        exact=lambda mp, x, min_val, max_val: min(max(x, mp.mpf(min_val)), mp.mpf(max_val)),
        aliases=("hard_tanh",),
        integers="keep",
        ordered=(("min_val", "max_val"),),
        variants=({"min_val": -2.0, "max_val": 0.5},),
        domain=(-3.0, 3.0),
        inplace_variant=True,
        kinks=lambda min_val, max_val: (min_val, max_val),
        example=_ex("multiact.hardtanh(x)", "array([ 1., -1.,  1., -1.])"),
    ),
    Activation(
        name="hardshrink",
        module="Hardshrink",
        summary="Hard shrinkage: zero inside [-lambd, lambd], x outside.",
        formula=r"\mathrm{hardshrink}(x) = x \text{ if } |x| > \lambda \text{ else } 0",
        derivative=r"1 \text{ if } |x| > \lambda \text{ else } 0",
        params=(
            Param(
                "lambd",
                0.5,
                "real",
                "The half-width of the zero region. A negative lambd makes the region empty "
                "(hardshrink returns x), as in PyTorch.",
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.hardshrink",
            torch_module="torch.nn.Hardshrink",
            jax=None,
            keras="keras.activations.hard_shrink",
            differences=(
                "Keras' hard_shrink calls the parameter threshold and returns 0 for NaN; "
                "PyTorch and multiact return NaN.",
            ),
        ),
        exact=lambda mp, x, lambd: x if abs(x) > lambd else mp.mpf(0),
        aliases=("hard_shrink",),
        variants=({"lambd": 1.5}, {"lambd": -0.5}),
        domain=(-2.0, 2.0),
        module_repr="positional",
        kinks=lambda lambd: (-lambd, lambd),
        example=_ex("multiact.hardshrink(x, 2.5)", "array([ 0.,  0.,  3., -5.])"),
    ),
    Activation(
        name="softshrink",
        module="Softshrink",
        summary="Soft shrinkage: x moved towards 0 by lambd, zero inside [-lambd, lambd].",
        formula=r"\mathrm{softshrink}(x) = x - \lambda \text{ if } x > \lambda;"
        r"\ x + \lambda \text{ if } x < -\lambda;\ 0 \text{ otherwise}",
        derivative=r"1 \text{ if } |x| > \lambda \text{ else } 0",
        params=(
            Param(
                "lambd", 0.5, "real", "The half-width of the zero region.", constraint="nonnegative"
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.softshrink",
            torch_module="torch.nn.Softshrink",
            jax=None,
            keras="keras.activations.soft_shrink",
            differences=(
                "Keras' soft_shrink calls the parameter threshold and returns 0 for NaN; "
                "PyTorch and multiact return NaN.",
            ),
        ),
        exact=lambda mp, x, lambd: (
            x - lambd if x > lambd else (x + lambd if x < -lambd else mp.mpf(0))
        ),
        aliases=("soft_shrink",),
        variants=({"lambd": 1.5},),
        domain=(-2.0, 2.0),
        module_repr="positional",
        kinks=lambda lambd: (-lambd, lambd),
        example=_ex("multiact.softshrink(x, 1.0)", "array([ 0., -1.,  2., -4.])"),
    ),
    Activation(
        name="tanhshrink",
        module="Tanhshrink",
        summary="x minus tanh(x).",
        formula=r"\mathrm{tanhshrink}(x) = x - \tanh(x)",
        derivative=r"\tanh^2(x)",
        params=(),
        names=FrameworkNames(
            torch="torch.nn.functional.tanhshrink",
            torch_module="torch.nn.Tanhshrink",
            jax=None,
            keras="keras.activations.tanh_shrink",
            differences=(
                "Integer arrays are promoted to float32 first, as PyTorch promotes them to its "
                "default float dtype; bool arrays are a TypeError, as in PyTorch.",
            ),
        ),
        integers="promote",
        complex_inputs=True,
        exact=lambda mp, x: x - mp.tanh(x),
        aliases=("tanh_shrink",),
        domain=(-4.0, 4.0),
        example=_ex(
            "multiact.tanhshrink(x).round(4)", "array([ 0.2384, -1.036 ,  2.0049, -4.0001])"
        ),
    ),
    Activation(
        name="softsign",
        module="Softsign",
        summary="Softsign: x / (1 + abs(x)), a sigmoid-shaped curve with polynomial tails.",
        formula=r"\mathrm{softsign}(x) = \frac{x}{1 + |x|}",
        derivative=r"\frac{1}{(1 + |x|)^2}",
        params=(),
        names=FrameworkNames(
            torch="torch.nn.functional.softsign",
            torch_module="torch.nn.Softsign",
            jax="jax.nn.soft_sign",
            keras="keras.activations.softsign",
            differences=(
                "softsign(+-inf) is NaN in PyTorch (inf / inf); multiact keeps PyTorch's NaN.",
                "Integer arrays are promoted to float32 first, as PyTorch promotes them to its "
                "default float dtype; bool arrays are a TypeError, as in PyTorch.",
            ),
        ),
        integers="promote",
        complex_inputs=True,
        exact=lambda mp, x: x / (1 + abs(x)),
        aliases=("soft_sign",),
        domain=(-10.0, 10.0),
        example=_ex("multiact.softsign(x).round(4)", "array([ 0.5   , -0.6667,  0.75  , -0.8333])"),
    ),
    Activation(
        name="softplus",
        module="Softplus",
        summary="Smooth ReLU: log(1 + exp(beta x)) / beta, linear beyond the threshold.",
        formula=r"\mathrm{softplus}(x) = \frac{1}{\beta}\log(1 + e^{\beta x}),"
        r"\ x \text{ where } \beta x > \mathrm{threshold}",
        derivative=r"\sigma(\beta x) \text{, or } 1 \text{ where } \beta x > \mathrm{threshold}",
        params=(
            Param("beta", 1.0, "real", "The sharpness of the corner.", constraint="nonzero"),
            Param(
                "threshold",
                20.0,
                "real",
                "Where beta * x exceeds it, softplus returns x (PyTorch's linear shortcut).",
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.softplus",
            torch_module="torch.nn.Softplus",
            jax="jax.nn.softplus",
            keras="keras.activations.softplus",
            differences=(
                "jax.nn.softplus and Keras have no beta or threshold: they compute "
                "log(1 + exp(x)) everywhere, with no linear shortcut past 20. To reproduce them "
                "in multiact, pass a huge threshold such as 1e30 (parameters must be finite).",
            ),
        ),
        exact=_exact_softplus,
        variants=({"beta": 2.0, "threshold": 1.0},),
        domain=(-25.0, 25.0),
        kinks=lambda beta, threshold: (threshold / beta,),
        example=_ex("multiact.softplus(x).round(4)", "array([1.3133, 0.1269, 3.0486, 0.0067])"),
    ),
    Activation(
        name="threshold",
        module="Threshold",
        summary="x where x > threshold, else a fixed value.",
        formula=r"\mathrm{threshold}(x) = x \text{ if } x > \mathrm{threshold}"
        r" \text{ else } \mathrm{value}",
        derivative=r"1 \text{ if } x > \mathrm{threshold} \text{ else } 0",
        params=(
            Param("threshold", REQUIRED, "real", "Inputs at or below it are replaced."),
            Param("value", REQUIRED, "real", "The replacement."),
            _INPLACE,
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.threshold",
            torch_module="torch.nn.Threshold",
            jax=None,
            keras="keras.activations.threshold",
            differences=(
                "Keras' threshold(x, threshold, default_value) returns default_value for NaN; "
                "PyTorch and multiact keep NaN.",
            ),
        ),
        exact=lambda mp, x, threshold, value: x if x > threshold else mp.mpf(value),
        integers="keep",
        variants=({"threshold": 0.5, "value": 20.0}, {"threshold": -1.0, "value": -2.0}),
        domain=(-2.0, 2.0),
        inplace_variant=True,
        kinks=lambda threshold, value: (threshold,),
        example=_ex("multiact.threshold(x, 0.0, -1.0)", "array([ 1., -1.,  3., -1.])"),
    ),
    Activation(
        name="glu",
        module="GLU",
        summary="Gated linear unit: the first half of x along an axis, gated by the sigmoid of "
        "the second.",
        formula=r"\mathrm{glu}(a \Vert b) = a \otimes \sigma(b)",
        derivative=r"\partial/\partial a = \sigma(b),"
        r"\ \partial/\partial b = a\,\sigma(b)(1 - \sigma(b))",
        params=(
            Param(
                "axis",
                -1,
                "axis",
                "The axis to split in halves (its size must be even; ``dim=`` is an alias).",
            ),
        ),
        names=FrameworkNames(
            torch="torch.nn.functional.glu",
            torch_module="torch.nn.GLU",
            jax="jax.nn.glu",
            keras="keras.activations.glu",
        ),
        exact=_exact_glu,
        variants=({"axis": 0},),
        halves_axis=True,
        example=_ex("multiact.glu(x).round(4)", "array([ 0.9526, -0.0134])"),
    ),
    Activation(
        name="softmin",
        module="Softmin",
        summary="Softmin along an axis: the softmax of -x.",
        formula=r"\mathrm{softmin}(x)_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}}",
        derivative=r"\frac{\partial\, \mathrm{softmin}_i}{\partial x_j}"
        r" = -\mathrm{softmin}_i (\delta_{ij} - \mathrm{softmin}_j)",
        params=(_AXIS_IMPLICIT,),
        dtype_arg=True,
        names=FrameworkNames(
            torch="torch.nn.functional.softmin",
            torch_module="torch.nn.Softmin",
            jax=None,
            keras=None,
            differences=(
                "torch.nn.functional.softmin has no default dim (implicit, with a warning); "
                "multiact.softmin defaults to axis=-1.",
            ),
        ),
        exact=_exact_softmin,
        variants=({"axis": 0},),
        example=_ex(
            "multiact.softmin(x).round(4)", "array([2.40e-03, 4.73e-02, 3.00e-04, 9.50e-01])"
        ),
    ),
    Activation(
        name="squareplus",
        module="Squareplus",
        summary="Squareplus: a smooth ReLU from a square root, no exponentials.",
        formula=r"\mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}",
        derivative=r"\frac{1}{2}\left(1 + \frac{x}{\sqrt{x^2 + b}}\right)",
        params=(Param("b", 4.0, "real", "Smoothness of the corner.", constraint="nonnegative"),),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax="jax.nn.squareplus",
            keras="keras.activations.squareplus",
            differences=(
                "Reference: jax.nn.squareplus (and the formula, checked with mpmath). jax.nn "
                "returns NaN at -inf (-inf + inf); multiact returns the limit, 0, and computes "
                "the left tail as b / (2 (sqrt(x^2 + b) - x)) without cancellation.",
            ),
        ),
        exact=lambda mp, x, b: (x + mp.sqrt(x * x + b)) / 2,
        variants=({"b": 1.0},),
        limits=(0.0, float("inf")),
        example=_ex("multiact.squareplus(x).round(4)", "array([1.618 , 0.4142, 3.3028, 0.1926])"),
    ),
    Activation(
        name="sparse_plus",
        module="SparsePlus",
        summary="Sparse plus: 0 below -1, x above 1, a parabola (x + 1)^2 / 4 between.",
        formula=r"\mathrm{sparse\_plus}(x) = 0 \ (x \le -1);\ (x + 1)^2 / 4 \ (|x| < 1);"
        r"\ x \ (x \ge 1)",
        derivative=r"0 \ (x \le -1);\ (x + 1) / 2 \ (|x| < 1);\ 1 \ (x \ge 1)",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax="jax.nn.sparse_plus",
            keras="keras.activations.sparse_plus",
            differences=("Reference: jax.nn.sparse_plus and the formula (mpmath).",),
        ),
        exact=lambda mp, x: mp.mpf(0) if x <= -1 else (x if x >= 1 else (x + 1) ** 2 / 4),
        domain=(-2.0, 2.0),
        limits=(0.0, float("inf")),
        kinks=lambda: (-1.0, 1.0),
        example=_ex(
            "multiact.sparse_plus(x / 4).round(4)", "array([0.3906, 0.0625, 0.7656, 0.    ])"
        ),
    ),
    Activation(
        name="sparse_sigmoid",
        module="SparseSigmoid",
        summary="Sparse sigmoid: (x + 1) / 2 clipped to [0, 1].",
        formula=r"\mathrm{sparse\_sigmoid}(x) = \min(\max((x + 1)/2, 0), 1)",
        derivative=r"1/2 \text{ if } -1 < x < 1 \text{ else } 0",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax="jax.nn.sparse_sigmoid",
            keras="keras.activations.sparse_sigmoid",
            differences=("Reference: jax.nn.sparse_sigmoid and the formula (mpmath).",),
        ),
        exact=lambda mp, x: min(max((x + 1) / 2, mp.mpf(0)), mp.mpf(1)),
        domain=(-2.0, 2.0),
        limits=(0.0, 1.0),
        kinks=lambda: (-1.0, 1.0),
        example=_ex("multiact.sparse_sigmoid(x / 4)", "array([0.625, 0.25 , 0.875, 0.   ])"),
    ),
    Activation(
        name="sparsemax",
        module="Sparsemax",
        summary="Sparsemax along an axis: the Euclidean projection onto the simplex.",
        formula=r"\mathrm{sparsemax}(x)_i = \max(x_i - \tau(x), 0),"
        r"\ \textstyle\sum_i \mathrm{sparsemax}(x)_i = 1",
        derivative=r"J = \mathrm{diag}(s) - s s^\top / |S|, \ s = [\mathrm{sparsemax}(x) > 0]",
        params=(
            Param(
                "axis",
                -1,
                "axis",
                "The axis to project along (``dim=`` is accepted as an alias).",
            ),
        ),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras="keras.activations.sparsemax",
            differences=(
                "Reference: keras.activations.sparsemax and the formula (mpmath; Martins & "
                "Astudillo, 2016).",
            ),
        ),
        exact=_exact_sparsemax,
        variants=({"axis": 0},),
        domain=(-3.0, 3.0),
        example=_ex("multiact.sparsemax(x / 4).round(4)", "array([0.25, 0.  , 0.75, 0.  ])"),
    ),
    Activation(
        name="log1mexp",
        module="Log1mexp",
        summary="log(1 - exp(-x)) for x >= 0, accurate at both ends.",
        formula=r"\mathrm{log1mexp}(x) = \log(1 - e^{-x})",
        derivative=r"\frac{1}{e^{x} - 1}",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax="jax.nn.log1mexp",
            keras=None,
            differences=(
                "Reference: jax.nn.log1mexp and the formula (mpmath); Mächler's switch at "
                "log 2 between log(-expm1(-x)) and log1p(-exp(-x)). Undefined (NaN) for x < 0; "
                "-inf at 0.",
            ),
        ),
        exact=_exact_log1mexp,
        domain=(0.0, 6.0),
        limits=(float("nan"), -0.0),
        kinks=lambda: (0.0,),
        example=">>> multiact.log1mexp(np.array([1e-8, 0.5, 1.0, 40.0]))\n"
        "array([-1.84206807e+01, -9.32752130e-01, -4.58675145e-01, -4.24835426e-18])",
    ),
    Activation(
        name="identity",
        module="Identity",
        summary="The identity: x itself (a copy).",
        formula=r"\mathrm{identity}(x) = x",
        derivative=r"1",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module="torch.nn.Identity",
            jax="jax.nn.identity",
            keras="keras.activations.linear",
            differences=(
                "torch.nn.Identity returns its input object; multiact returns a copy, as every "
                "activation does without inplace.",
            ),
        ),
        exact=lambda mp, x: x,
        aliases=("linear",),
        integers="keep",
        bools="keep",
        complex_inputs=True,
        limits=(float("-inf"), float("inf")),
        example=_ex("multiact.identity(x)", "array([ 1., -2.,  3., -5.])"),
    ),
    Activation(
        name="exponential",
        module="Exponential",
        summary="The exponential function, as Keras' 'exponential' activation.",
        formula=r"\mathrm{exponential}(x) = e^x",
        derivative=r"e^x",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras="keras.activations.exponential",
            differences=(
                "Reference: keras.activations.exponential, i.e. exp (mpmath). Its dtype rules "
                "are torch.exp's: integer and bool arrays are promoted to float32, complex "
                "arrays computed.",
            ),
        ),
        integers="promote",
        bools="promote",
        complex_inputs=True,
        exact=lambda mp, x: mp.exp(x),
        domain=(-10.0, 10.0),
        limits=(0.0, float("inf")),
        example=_ex(
            "multiact.exponential(x).round(4)",
            "array([2.71830e+00, 1.35300e-01, 2.00855e+01, 6.70000e-03])",
        ),
    ),
    # --- The activations of model zoos (Transformers, timm) that the frameworks lack: the
    # conventions (multiact/_conventions.py) resolve their libraries' names to these.
    Activation(
        name="quick_gelu",
        module="QuickGELU",
        summary="QuickGELU: x * sigmoid(1.702 x), GELU's sigmoid approximation (CLIP).",
        formula=r"\mathrm{quick\_gelu}(x) = x\,\sigma(1.702\,x)",
        derivative=r"\sigma(1.702\,x) + 1.702\,x\,\sigma(1.702\,x)\,(1 - \sigma(1.702\,x))",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras=None,
            differences=(
                "Reference: transformers.activations.QuickGELUActivation and timm's quick_gelu "
                "(both x * torch.sigmoid(1.702 * x)), and the formula (mpmath).",
                "Both give NaN at -inf (-inf * 0) and, through autograd, a NaN gradient at "
                "+-inf; multiact returns the limits: -0.0 at -inf, and gradients 0 and 1.",
            ),
        ),
        exact=_exact_quick_gelu,
        domain=(-6.0, 4.0),
        limits=(-0.0, float("inf")),
        example=_ex(
            "multiact.quick_gelu(x).round(4)",
            "array([ 8.4580e-01, -6.4300e-02,  2.9819e+00, -1.0000e-03])",
        ),
    ),
    Activation(
        name="relu2",
        module="SquaredReLU",
        summary="Squared ReLU: relu(x) ** 2 (Primer; Transformers' relu2).",
        formula=r"\mathrm{relu2}(x) = \max(x, 0)^2",
        derivative=r"2 \max(x, 0)",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras=None,
            differences=(
                "Reference: transformers.activations.ReLUSquaredActivation, "
                "torch.square(torch.relu(x)), and the formula (mpmath). Its result is never "
                "-0.0 (the square of relu(-0.0) = -0.0 is +0.0).",
            ),
        ),
        exact=lambda mp, x: x * x if x > 0 else mp.mpf(0),
        aliases=("squared_relu",),
        domain=(-2.0, 2.0),
        limits=(0.0, float("inf")),
        # The derivative 2 max(x, 0) is continuous; the second derivative jumps at 0.
        kinks=lambda: (0.0,),
        example=_ex("multiact.relu2(x)", "array([1., 0., 9., 0.])"),
    ),
    Activation(
        name="laplace",
        module="Laplace",
        summary="The Laplace activation of MEGA: the normal CDF of (x - mu) / sigma.",
        formula=r"\mathrm{laplace}(x) = \frac{1}{2}\left(1 + \mathrm{erf}\left("
        r"\frac{x - \mu}{\sigma \sqrt 2}\right)\right)",
        derivative=r"\frac{1}{\sigma \sqrt{2\pi}}\, e^{-(x - \mu)^2 / (2 \sigma^2)}",
        params=(
            Param("mu", 0.707107, "real", "The centre: where the output is 1/2."),
            Param("sigma", 0.282095, "real", "The width of the step.", constraint="positive"),
        ),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras=None,
            differences=(
                "Reference: transformers.activations.LaplaceActivation (mu=0.707107 and "
                "sigma=0.282095, MEGA's sqrt(1/2) and sqrt(1/(4 pi)) to six digits), and the "
                "formula (mpmath).",
                "Transformers computes 0.5 * (1 + erf(z)), which cancels left of mu (every "
                "x < -0.72 gives 0 in float32, 1e-9 absolute); multiact computes "
                "0.5 * erfc(-z), accurate to a few ULP there.",
            ),
        ),
        exact=_exact_laplace,
        variants=({"mu": 0.0, "sigma": 1.0},),
        domain=(-1.0, 2.5),
        limits=(0.0, 1.0),
        example=_ex("multiact.laplace(x / 4).round(4)", "array([0.0526, 0.    , 0.5604, 0.    ])"),
    ),
    Activation(
        name="clipped_gelu",
        module="ClippedGELU",
        summary="The exact GELU clipped to [min_val, max_val] (Transformers' gelu_10).",
        formula=r"\mathrm{clipped\_gelu}(x) = \min(\max(x\,\Phi(x), \mathrm{min\_val}),"
        r" \mathrm{max\_val})",
        derivative=r"\Phi(x) + x\,\varphi(x) \text{ where } \mathrm{min\_val} \le x\,\Phi(x)"
        r" \le \mathrm{max\_val} \text{, else } 0",
        params=(
            Param("min_val", -10.0, "real", "The lowest output (GELU never goes below -0.17)."),
            Param("max_val", 10.0, "real", "The highest output."),
        ),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras=None,
            differences=(
                "Reference: transformers.activations.ClippedGELUActivation(-10, 10) (gelu_10), "
                "torch.clip(F.gelu(x), min, max), and the formula (mpmath). Its gradient is "
                "autograd's through torch.clip: GELU's derivative where min_val <= gelu(x) <= "
                "max_val, both ends included, 0 elsewhere, NaN at NaN.",
                "Transformers gives NaN at -inf (PyTorch's gelu(-inf) is -inf * 0) and, in "
                "PyTorch's vectorised loop, at +inf (clip(NaN)), with NaN gradients at +-inf; "
                "multiact returns the limits: clip(0) at -inf, max_val at +inf, gradient 0.",
            ),
        ),
        exact=_exact_clipped_gelu,
        ordered=(("min_val", "max_val"),),
        variants=({"min_val": -0.1, "max_val": 1.0},),
        domain=(-4.0, 12.0),
        limits=lambda min_val, max_val: (
            _clip_limit(-0.0, min_val, max_val),
            _clip_limit(float("inf"), min_val, max_val),
        ),
        kinks=_clipped_gelu_kinks,
        example=_ex(
            "multiact.clipped_gelu(x * 4).round(4)", "array([ 3.9999, -0.    , 10.    , -0.    ])"
        ),
    ),
    Activation(
        name="hard_mish",
        module="HardMish",
        summary="Hard Mish: x * clamp(x + 2, 0, 2) / 2, Mish's piecewise-quadratic stand-in "
        "(timm).",
        formula=r"\mathrm{hard\_mish}(x) = \frac{x}{2} \min(\max(x + 2, 0), 2)",
        derivative=r"0 \ (x < -2);\ x + 1 \ (-2 \le x \le 0);\ 1 \ (x > 0)",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras=None,
            differences=(
                "Reference: timm's hard_mish (0.5 * x * (x + 2).clamp(0, 2), with its own "
                "backward: x + 1 on [-2, 0], so -1 at x = -2), and the formula (mpmath).",
                "timm gives NaN at -inf (-inf * 0) and a gradient of 0 at NaN; multiact "
                "returns the limit, -0.0, and a NaN gradient for NaN.",
            ),
        ),
        exact=_hard_mish_exact,
        domain=(-3.0, 2.0),
        limits=(-0.0, float("inf")),
        kinks=lambda: (-2.0, 0.0),
        example=_ex("multiact.hard_mish(x / 2)", "array([ 0.5, -0.5,  1.5, -0. ])"),
    ),
    Activation(
        name="sqrtsoftplus",
        module="SqrtSoftplus",
        summary="The square root of softplus (PyTorch's, linear beyond 20): DeepSeek V4's "
        "router score.",
        formula=r"\mathrm{sqrtsoftplus}(x) = \sqrt{\log(1 + e^{x})},"
        r"\ \sqrt{x} \text{ where } x > 20",
        derivative=r"\frac{\sigma(x)}{2 \sqrt{\mathrm{softplus}(x)}},"
        r"\ \frac{1}{2\sqrt x} \text{ where } x > 20",
        params=(),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras=None,
            differences=(
                "Reference: transformers.activations.SqrtSoftplusActivation, "
                "F.softplus(x).sqrt() with PyTorch's threshold of 20, and the formula (mpmath).",
                "Where softplus underflows (x below -104 in float32, -745 in float64) PyTorch "
                "gives 0 and a NaN gradient (0 * inf), and NaN at -inf; multiact returns "
                "exp(x / 2), the value to every digit, and its derivative exp(x / 2) / 2 (0 at "
                "-inf).",
            ),
        ),
        exact=_exact_sqrtsoftplus,
        domain=(-8.0, 25.0),
        limits=(0.0, float("inf")),
        kinks=lambda: (20.0,),
        example=_ex("multiact.sqrtsoftplus(x).round(4)", "array([1.146 , 0.3563, 1.746 , 0.0819])"),
    ),
    Activation(
        name="xielu",
        module="XIELU",
        summary="xIELU (Huang and Schlag, 2024): quadratic for x > 0, an integrated ELU below, "
        "with learnable coefficients.",
        formula=r"\mathrm{xielu}(x) = \alpha_p x^2 + \beta x \ (x > 0);\ "
        r"\alpha_n\,(e^{\min(x, \epsilon)} - 1 - x) + \beta x \ (x \le 0)",
        derivative=r"2 \alpha_p x + \beta \ (x > 0);\ \alpha_n\,(e^{x} - 1) + \beta"
        r" \ (x < \epsilon);\ \beta - \alpha_n \ (\epsilon < x \le 0)",
        params=(
            Param(
                "alpha_p",
                0.8,
                "real",
                "The quadratic coefficient for x > 0 (Transformers learns it as a softplus).",
            ),
            Param(
                "alpha_n",
                0.8,
                "real",
                "The coefficient of the negative part (Transformers learns it as beta plus a "
                "softplus).",
            ),
            Param("beta", 0.5, "real", "The linear coefficient."),
            Param("eps", -1e-6, "real", "Where the negative part's exponential stops (x > eps)."),
        ),
        names=FrameworkNames(
            torch=None,
            torch_module=None,
            jax=None,
            keras=None,
            differences=(
                "Reference: transformers.activations.XIELUActivation (its Python form), and "
                "the formula (mpmath). multiact.xielu takes the coefficients themselves; "
                "multiact.nn.XIELU keeps Transformers' parameters (softplus-parameterised "
                "alpha_p and alpha_n, initialised in bfloat16 as Transformers does).",
                "Transformers gives NaN at -inf (inf - inf) and a NaN gradient there; multiact "
                "returns the limits (+inf and beta - alpha_n for alpha_n > beta). At x = eps "
                "the gradient is PyTorch's for torch.min at a tie: half of exp(eps) there.",
            ),
        ),
        exact=_exact_xielu,
        variants=({"alpha_p": 1.5, "alpha_n": 0.5, "beta": 0.25, "eps": -0.5},),
        domain=(-4.0, 2.0),
        limits=_xielu_limits,
        kinks=lambda alpha_p, alpha_n, beta, eps: tuple(sorted({min(eps, 0.0), 0.0})),
        custom_module=True,
        example=_ex("multiact.xielu(x).round(4)", "array([ 1.3   , -0.0917,  8.7   ,  0.7054])"),
    ),
)
