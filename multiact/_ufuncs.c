/* multiact._ufuncs: compiled NumPy ufuncs for the smooth activations.
 *
 * One loop per activation and dtype. float32 and float16 are computed in double and rounded
 * once, so the results are the correctly rounded ones except within about 1e-13 (relative)
 * of a rounding tie. The double-precision functions here use no libm call: exp is written out
 * (Cody-Waite reduction and a polynomial), so that GCC vectorises the loops, and the loops
 * are compiled for AVX-512, AVX2 and the baseline (target_clones, chosen at load time by the
 * CPU). NumPy releases the GIL around these loops. Floating-point exception flags raised by
 * the branches not taken (inf * 0 in a lane that is then replaced) are cleared at the end of
 * each loop: the activations give PyTorch's values at the special points without warnings.
 *
 * backends/_compiled.py installs these into the NumPy backend; without a compiler the package
 * installs without this module and the NumPy kernels of backends/numpy.py run instead.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/arrayobject.h>
#include <numpy/ufuncobject.h>

#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MA_CLONES
#endif

#if defined(__FLT16_MAX__)
#define MA_HAVE_HALF 1
typedef _Float16 ma_half;

/* d rounded once to float16. A plain cast may go through float (vcvtpd2ps, vcvtps2ph), two
 * roundings that miss a tie's side; rounding to float with round-to-odd first does not: a
 * float has 13 bits more than a float16, and its odd last bit keeps the sticky information. */
static inline ma_half ma_to_half(double d) {
    float f = (float)d;
    if ((double)f != d && f == f && f - f == 0) {
        uint32_t b;
        memcpy(&b, &f, sizeof b);
        if (!(b & 1)) {
            b += (fabs((double)f) > fabs(d)) ? -1 : 1; /* the odd neighbour toward d */
            memcpy(&f, &b, sizeof f);
        }
    }
    return (ma_half)f;
}
#else
#define MA_HAVE_HALF 0
#endif

static inline double ma_bits_to_double(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t ma_double_to_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* exp(x) for -700 <= x <= 700 (callers clamp; NaN is dealt with by the callers): x = k ln2 + r,
 * |r| <= ln2 / 2, e^r by its Taylor polynomial to r^12 (relative error below 1e-15), times 2^k
 * built in the exponent bits. Branch-free, so that it vectorises. */
static inline double ma_exp(double x) {
    const double shifter = 0x1.8p52;
    double kd = x * 1.4426950408889634 + shifter;
    uint64_t ki = ma_double_to_bits(kd);
    kd -= shifter;
    double r = x - kd * 0x1.62e42fefa39efp-1;
    r = r - kd * 0x1.abc9e3b39803fp-56;
    double p = 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    double scale = ma_bits_to_double((ki + 1023) << 52);
    return p * scale;
}

static inline double ma_clamp(double x, double low, double high) {
    /* NaN comes out as low or high: every caller puts NaN back itself. */
    x = x < low ? low : x;
    return x > high ? high : x;
}

/* log1p(t) for 0 <= t <= 1 as t P(t), P a polynomial of degree 18 fitted to log1p(t) / t
 * (Chebyshev least squares; relative error 1.3e-15): no division, the slowest operation of
 * these loops, where 2 atanh(t / (2 + t)) needs one. */
static inline double ma_log1p_fraction(double t) {
    double p = 5.887181607646566e-05;
    p = p * t + -0.0006204234296864539;
    p = p * t + 0.0030948084180887174;
    p = p * t + -0.009788122436627224;
    p = p * t + 0.02226940713806488;
    p = p * t + -0.03942029933645409;
    p = p * t + 0.05773800608501508;
    p = p * t + -0.07397282967838305;
    p = p * t + 0.08725371421935445;
    p = p * t + -0.09887570299945835;
    p = p * t + 0.11084358992441494;
    p = p * t + -0.12495183601640118;
    p = p * t + 0.1428507707398459;
    p = p * t + -0.16666607156812438;
    p = p * t + 0.19999996297429024;
    p = p * t + -0.24999999859569225;
    p = p * t + 0.33333333330540826;
    p = p * t + -0.4999999999997866;
    p = p * t + 0.9999999999999996;
    return t * p;
}

static inline double ma_sigmoid(double x) {
    /* exp only ever sees -|x|: 1 / (1 + e) above 0, e / (1 + e) below. */
    double e = ma_exp(ma_clamp(-fabs(x), -700.0, 0.0));
    double r = 1.0 / (1.0 + e);
    double y = x >= 0 ? r : e * r;
    return x != x ? x : y;
}

static inline double ma_silu(double x) {
    double y = x * ma_sigmoid(x);
    /* -inf * sigmoid(-inf) = -inf * 0: NaN, as PyTorch gives. */
    return x == -INFINITY ? NAN : y;
}

/* The exact GELU: x Phi(x) = relu(x) - h(|x|), h(a) = a Phi(-a) = exp(-a^2/2) N(a) / Q(a)
 * (backends/numpy.py's _GELU_N and _GELU_Q: relative error 2e-16 on [0, 14.5]). */
static inline double ma_gelu(double x) {
    double a = ma_clamp(fabs(x), 0.0, 14.5);
    double n = 5.440323846929732e-06;
    n = n * a + 0.00013387446366465777;
    n = n * a + 0.0015861219555941403;
    n = n * a + 0.011677139097896765;
    n = n * a + 0.05811569636492424;
    n = n * a + 0.2001073924045858;
    n = n * a + 0.4676763675189344;
    n = n * a + 0.6865110247405519;
    n = n * a + 0.5;
    n = n * a;
    double q = 1.3636869550833855e-05;
    q = q * a + 0.00033557351883004043;
    q = q * a + 0.003989454859252001;
    q = q * a + 0.029605825369158817;
    q = q * a + 0.14962288408721638;
    q = q * a + 0.5301957596547591;
    q = q * a + 1.3101262978038772;
    q = q * a + 2.1674856023276132;
    q = q * a + 2.170906610283989;
    q = q * a + 1.0;
    double h = ma_exp(-0.5 * (a * a)) * (n / q);
    double y = (x > 0 ? x : 0.0) - h;
    /* -inf * Phi(-inf) = -inf * 0: NaN, as PyTorch. */
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* The tanh GELU as x * sigmoid(2u), u = sqrt(2/pi) (c + 0.044715 c^3), c = x clipped to
 * +-100 (_numerics.gelu_tanh): no 1 + tanh cancellation in the left tail. */
static inline double ma_gelu_tanh(double x) {
    double c = ma_clamp(x, -100.0, 100.0);
    double u2 = (2.0 * 0.7978845608028654) * (c + 0.044715 * (c * c * c));
    double y = x * ma_sigmoid(u2);
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* mish(x) = x tanh(softplus(x)) = x n / (n + 2), n = e^x (e^x + 2) (_numerics.mish_factor);
 * beyond 40 the factor is 1 in double. */
static inline double ma_mish(double x) {
    double e = ma_exp(ma_clamp(x, -700.0, 40.0));
    double n = e * (e + 2.0);
    double y = x * (n / (n + 2.0));
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* softplus from bx = x * beta rounded to x's dtype (PyTorch compares that with threshold):
 * (max(bx, 0) + log1p(exp(-|bx|))) / beta, or x itself past the threshold. */
static inline double ma_softplus(double x, double bx, double beta, double threshold) {
    double t = ma_exp(ma_clamp(-fabs(bx), -700.0, 0.0));
    double y = ((bx > 0 ? bx : 0.0) + ma_log1p_fraction(t)) / beta;
    y = bx > threshold ? x : y;
    return bx != bx ? bx : y;
}

/* --- Loops. */

#define MA_UNARY_LOOPS(NAME)                                                                 \
    MA_CLONES static void NAME##_f(char **args, const npy_intp *dims, const npy_intp *steps, \
                                   void *data) {                                            \
        npy_intp n = dims[0], is = steps[0], os = steps[1];                                  \
        char *in = args[0], *out = args[1];                                                  \
        if (is == sizeof(float) && os == sizeof(float)) {                                    \
            const float *restrict xs = (const float *)in;                                    \
            float *restrict ys = (float *)out;                                               \
            if ((void *)xs == (void *)ys) {                                                  \
                float *zs = (float *)out;                                                    \
                for (npy_intp i = 0; i < n; i++) zs[i] = (float)ma_##NAME((double)zs[i]);    \
            } else {                                                                         \
                for (npy_intp i = 0; i < n; i++) ys[i] = (float)ma_##NAME((double)xs[i]);    \
            }                                                                                \
        } else {                                                                             \
            for (npy_intp i = 0; i < n; i++, in += is, out += os)                            \
                *(float *)out = (float)ma_##NAME((double)*(const float *)in);                \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }                                                                                        \
    MA_HALF_LOOP(NAME)

#if MA_HAVE_HALF
#define MA_HALF_LOOP(NAME)                                                                   \
    MA_CLONES static void NAME##_e(char **args, const npy_intp *dims, const npy_intp *steps, \
                                   void *data) {                                            \
        npy_intp n = dims[0], is = steps[0], os = steps[1];                                  \
        char *in = args[0], *out = args[1];                                                  \
        for (npy_intp i = 0; i < n; i++, in += is, out += os) {                              \
            ma_half h;                                                                       \
            memcpy(&h, in, sizeof h);                                                        \
            h = ma_to_half(ma_##NAME((double)h));                                             \
            memcpy(out, &h, sizeof h);                                                       \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }
#else
#define MA_HALF_LOOP(NAME)
#endif

MA_UNARY_LOOPS(sigmoid)
MA_UNARY_LOOPS(silu)
MA_UNARY_LOOPS(gelu)
MA_UNARY_LOOPS(gelu_tanh)
MA_UNARY_LOOPS(mish)

/* softplus(x, beta, threshold): beta and threshold arrive as float64 (0-d, stride 0), holding
 * the values rounded to float32 that the float32 computation uses. */
MA_CLONES static void softplus_f(char **args, const npy_intp *dims, const npy_intp *steps,
                                 void *data) {
    npy_intp n = dims[0];
    char *in = args[0], *pb = args[1], *pt = args[2], *out = args[3];
    if (steps[1] == 0 && steps[2] == 0 && steps[0] == sizeof(float) &&
        steps[3] == sizeof(float)) {
        const float beta = (float)*(const double *)pb;
        const double threshold = *(const double *)pt;
        const float *xs = (const float *)in;
        float *ys = (float *)out;
        if (beta == 1.0f) { /* the default: no division by beta, the slowest operation here */
            for (npy_intp i = 0; i < n; i++)
                ys[i] = (float)ma_softplus((double)xs[i], (double)xs[i], 1.0, threshold);
        } else {
            for (npy_intp i = 0; i < n; i++) {
                float bx = xs[i] * beta;
                ys[i] = (float)ma_softplus((double)xs[i], (double)bx, (double)beta, threshold);
            }
        }
    } else {
        for (npy_intp i = 0; i < n; i++, in += steps[0], pb += steps[1], pt += steps[2],
                      out += steps[3]) {
            float x = *(const float *)in, beta = (float)*(const double *)pb;
            float bx = x * beta;
            *(float *)out =
                (float)ma_softplus((double)x, (double)bx, (double)beta, *(const double *)pt);
        }
    }
    feclearexcept(FE_ALL_EXCEPT);
}

#if MA_HAVE_HALF
/* float16: bx = x * beta in float32, as PyTorch computes half in float32. */
MA_CLONES static void softplus_e(char **args, const npy_intp *dims, const npy_intp *steps,
                                 void *data) {
    npy_intp n = dims[0];
    char *in = args[0], *pb = args[1], *pt = args[2], *out = args[3];
    for (npy_intp i = 0; i < n;
         i++, in += steps[0], pb += steps[1], pt += steps[2], out += steps[3]) {
        ma_half h;
        memcpy(&h, in, sizeof h);
        float x = (float)h, beta = (float)*(const double *)pb;
        float bx = x * beta;
        h = ma_to_half(ma_softplus((double)x, (double)bx, (double)beta, *(const double *)pt));
        memcpy(out, &h, sizeof h);
    }
    feclearexcept(FE_ALL_EXCEPT);
}
#endif

/* --- The module. */

static int add_ufunc(PyObject *module, const char *name, PyUFuncGenericFunction *loops,
                     char *types, int ntypes, int nin, const char *doc) {
    static void *no_data[4] = {NULL, NULL, NULL, NULL};
    PyObject *ufunc = PyUFunc_FromFuncAndData(loops, no_data, types, ntypes, nin, 1,
                                              PyUFunc_None, name, doc, 0);
    if (ufunc == NULL) return -1;
    if (PyModule_AddObject(module, name, ufunc) < 0) {
        Py_DECREF(ufunc);
        return -1;
    }
    return 0;
}

#if MA_HAVE_HALF
#define MA_NTYPES 2
/* float16 first: NumPy takes the first loop its inputs cast to safely, and float16 casts
 * safely to float32 (whose loop would then round twice). */
#define MA_UNARY(NAME)                                                    \
    static PyUFuncGenericFunction NAME##_loops[] = {NAME##_e, NAME##_f}; \
    static char NAME##_types[] = {NPY_HALF, NPY_HALF, NPY_FLOAT, NPY_FLOAT};
static PyUFuncGenericFunction softplus_loops[] = {softplus_e, softplus_f};
static char softplus_types[] = {NPY_HALF,  NPY_DOUBLE, NPY_DOUBLE, NPY_HALF,
                                NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
#else
#define MA_NTYPES 1
#define MA_UNARY(NAME)                                          \
    static PyUFuncGenericFunction NAME##_loops[] = {NAME##_f}; \
    static char NAME##_types[] = {NPY_FLOAT, NPY_FLOAT};
static PyUFuncGenericFunction softplus_loops[] = {softplus_f};
static char softplus_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
#endif

MA_UNARY(sigmoid)
MA_UNARY(silu)
MA_UNARY(gelu)
MA_UNARY(gelu_tanh)
MA_UNARY(mish)

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_ufuncs",
    "multiact's compiled activation loops (see backends/_compiled.py).", -1, NULL,
};

PyMODINIT_FUNC PyInit__ufuncs(void) {
    PyObject *module = PyModule_Create(&moduledef);
    if (module == NULL) return NULL;
    import_array();
    import_umath();
    if (add_ufunc(module, "sigmoid", sigmoid_loops, sigmoid_types, MA_NTYPES, 1,
                  "sigmoid(x)") < 0 ||
        add_ufunc(module, "silu", silu_loops, silu_types, MA_NTYPES, 1, "silu(x)") < 0 ||
        add_ufunc(module, "gelu", gelu_loops, gelu_types, MA_NTYPES, 1, "exact GELU(x)") < 0 ||
        add_ufunc(module, "gelu_tanh", gelu_tanh_loops, gelu_tanh_types, MA_NTYPES, 1,
                  "tanh GELU(x)") < 0 ||
        add_ufunc(module, "mish", mish_loops, mish_types, MA_NTYPES, 1, "mish(x)") < 0 ||
        add_ufunc(module, "softplus", softplus_loops, softplus_types, MA_NTYPES, 3,
                  "softplus(x, beta, threshold)") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "HALF", MA_HAVE_HALF) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
