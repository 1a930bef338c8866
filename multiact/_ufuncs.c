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
#define MA_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define MA_CLONES
#endif

/* --- Threads. Large contiguous float32 arrays are split over threads, as PyTorch splits its
 * CPU kernels: NumPy has released the GIL around the loop, and the chunks are independent.
 * The chunks are claimed one at a time from a shared counter by the calling thread and the
 * workers alike, so that a worker the OS does not schedule (a busy machine) costs nothing: the
 * caller does its chunks, and waits only for chunks already begun. The workers are detached
 * and share the job (counted references), so one that starts after the call has returned
 * finds nothing to claim and frees the job. ma_num_threads is set from Python
 * (backends/_compiled.py: MULTIACT_NUM_THREADS, multiact.set_num_threads). */
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#define MA_HAVE_THREADS 1
#else
#define MA_HAVE_THREADS 0
#endif
#define MA_MAX_THREADS 64
/* Elements per chunk, and the fewest elements worth a thread (one thread's start costs some
 * 10-30 us, a float32 element of these loops 1-2 ns). */
#define MA_GRAIN 16384
#define MA_PARALLEL_FROM 131072

static int ma_num_threads = 1;

typedef void (*ma_range_fn)(void *context, npy_intp begin, npy_intp end);

#if MA_HAVE_THREADS
typedef struct {
    ma_range_fn fn;
    void *context;
    npy_intp n, grain, chunks;
    npy_intp next, done; /* atomics: the next chunk to claim, the chunks finished */
    int references;      /* atomic: the caller and the workers still holding the job */
} ma_job;

static void ma_work(ma_job *job) {
    for (;;) {
        npy_intp c = __atomic_fetch_add(&job->next, 1, __ATOMIC_ACQ_REL);
        if (c >= job->chunks) return; /* nothing left: the context may be gone */
        npy_intp begin = c * job->grain;
        npy_intp end = job->n - begin < job->grain ? job->n : begin + job->grain;
        job->fn(job->context, begin, end);
        __atomic_fetch_add(&job->done, 1, __ATOMIC_RELEASE);
    }
}

static void ma_release(ma_job *job) {
    if (__atomic_sub_fetch(&job->references, 1, __ATOMIC_ACQ_REL) == 0) free(job);
}

static void *ma_worker(void *arg) {
    ma_job *job = (ma_job *)arg;
    ma_work(job);
    feclearexcept(FE_ALL_EXCEPT); /* this thread's flags: see the loops */
    ma_release(job);
    return NULL;
}
#endif

/* fn(context, begin, end) over [0, n) in chunks of grain items; on up to ma_num_threads
 * threads where parallel is true. */
static void ma_run_chunks(ma_range_fn fn, void *context, npy_intp n, npy_intp grain,
                          int parallel) {
#if MA_HAVE_THREADS
    npy_intp chunks = (n + grain - 1) / grain;
    npy_intp threads = ma_num_threads < chunks ? ma_num_threads : chunks;
    ma_job *job = parallel && threads > 1 ? (ma_job *)malloc(sizeof(ma_job)) : NULL;
    if (job != NULL) {
        job->fn = fn;
        job->context = context;
        job->n = n;
        job->grain = grain;
        job->chunks = chunks;
        job->next = 0;
        job->done = 0;
        job->references = 1;
        pthread_attr_t attributes;
        int detached = pthread_attr_init(&attributes) == 0;
        if (detached) pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        for (npy_intp t = 1; detached && t < threads; t++) {
            pthread_t id;
            __atomic_add_fetch(&job->references, 1, __ATOMIC_ACQ_REL);
            if (pthread_create(&id, &attributes, ma_worker, job) != 0) {
                __atomic_sub_fetch(&job->references, 1, __ATOMIC_ACQ_REL);
                break; /* no more threads: the caller does the rest */
            }
        }
        if (detached) pthread_attr_destroy(&attributes);
        ma_work(job);
        while (__atomic_load_n(&job->done, __ATOMIC_ACQUIRE) < chunks) sched_yield();
        ma_release(job);
        return;
    }
#endif
    (void)grain;
    (void)parallel;
    fn(context, 0, n);
}

/* An elementwise loop over n elements: threads from MA_PARALLEL_FROM on. */
static void ma_run(ma_range_fn fn, void *context, npy_intp n) {
    ma_run_chunks(fn, context, n, MA_GRAIN, n >= MA_PARALLEL_FROM);
}

static PyObject *ma_set_num_threads(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1) {
        PyErr_SetString(PyExc_ValueError, "the thread count must be at least 1");
        return NULL;
    }
    ma_num_threads = n > MA_MAX_THREADS ? MA_MAX_THREADS : (int)n;
    Py_RETURN_NONE;
}

static PyObject *ma_get_num_threads(PyObject *self, PyObject *unused) {
    return PyLong_FromLong(ma_num_threads);
}

/* The elementwise functions below are inlined into every loop, whatever GCC's size limits
 * (beyond them it calls ma_exp out of line, and the loop is no longer vectorised). */
#if defined(__GNUC__)
#define MA_INLINE static inline __attribute__((always_inline))
#else
#define MA_INLINE static inline
#endif

#if defined(__FLT16_MAX__)
#define MA_HAVE_HALF 1
typedef _Float16 ma_half;

/* d rounded once to float16. A plain cast may go through float (vcvtpd2ps, vcvtps2ph), two
 * roundings that miss a tie's side; rounding to float with round-to-odd first does not: a
 * float has 13 bits more than a float16, and its odd last bit keeps the sticky information. */
MA_INLINE ma_half ma_to_half(double d) {
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

MA_INLINE double ma_bits_to_double(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

MA_INLINE uint64_t ma_double_to_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* The reduction exp and expm1 share: x = k ln2 + r, |r| <= ln2 / 2 (Cody-Waite, ln2 in two
 * parts), 2^k built in the exponent bits into *scale, and the Taylor polynomial's tail
 * q(r) = 1/2 + r/6 + ... + r^10/12!, so that e^r = 1 + r + r^2 q(r) (relative error below
 * 1e-15). Branch-free, so that it vectorises. */
MA_INLINE double ma_exp_reduced(double x, double *r_out, double *scale) {
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
    *r_out = r;
    *scale = ma_bits_to_double((ki + 1023) << 52);
    return p;
}

/* exp(x) for -700 <= x <= 700 (callers clamp; NaN is dealt with by the callers). */
MA_INLINE double ma_exp(double x) {
    double r, scale;
    double p = ma_exp_reduced(x, &r, &scale);
    p = p * r + 1.0;
    p = p * r + 1.0;
    return p * scale;
}

/* 1 / d for 1 <= d < 2^127: float's division (a quarter of double's cost per element, and
 * vectorised twice as wide) refined by one Newton step in double, relative error about 2^-46:
 * the division is what bounded these loops' speed. */
MA_INLINE double ma_recip(double d) {
    double r = (double)(1.0f / (float)d);
    return r + r * (1.0 - d * r);
}

/* expm1(x) for -40 <= x <= 0 (callers clamp; below -40 it is -1 in double): e^r - 1 as
 * r + r^2 q(r) (no constant term: exact for tiny x), then 2^k (e^r - 1) + (2^k - 1), whose two
 * parts are exact for these k. */
MA_INLINE double ma_expm1(double x) {
    double r, scale;
    double p = ma_exp_reduced(x, &r, &scale);
    p = p * r * r + r;
    return scale * p + (scale - 1.0);
}

MA_INLINE double ma_clamp(double x, double low, double high) {
    /* NaN comes out as low or high: every caller puts NaN back itself. */
    x = x < low ? low : x;
    return x > high ? high : x;
}

/* log1p(t) for 0 <= t <= 1 as t P(t), P a polynomial of degree 18 fitted to log1p(t) / t
 * (Chebyshev least squares; relative error 1.3e-15): no division, the slowest operation of
 * these loops, where 2 atanh(t / (2 + t)) needs one. */
MA_INLINE double ma_log1p_fraction(double t) {
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

MA_INLINE double ma_sigmoid(double x) {
    /* exp only ever sees -|x|: 1 / (1 + e) above 0, e / (1 + e) below. */
    double e = ma_exp(ma_clamp(-fabs(x), -700.0, 0.0));
    double r = ma_recip(1.0 + e);
    double y = x >= 0 ? r : e * r;
    y = x == -INFINITY ? 0.0 : y; /* where e^-700 stands for e^-inf */
    return x != x ? x : y;
}

MA_INLINE double ma_silu(double x) {
    double y = x * ma_sigmoid(x);
    /* -inf * sigmoid(-inf) = -inf * 0: NaN, as PyTorch gives. */
    return x == -INFINITY ? NAN : y;
}

/* Phi(-a) for a >= 0, a clamped to 14.5 (Phi(-14.5) = 6e-48 is 0 in float32 and float16):
 * exp(-a^2/2) N(a) / Q(a) (backends/numpy.py's _GELU_N / a and _GELU_Q: relative error 2e-16
 * on [0, 14.5]). */
MA_INLINE double ma_phi_left(double a) {
    a = ma_clamp(a, 0.0, 14.5);
    double n = 5.440323846929732e-06;
    n = n * a + 0.00013387446366465777;
    n = n * a + 0.0015861219555941403;
    n = n * a + 0.011677139097896765;
    n = n * a + 0.05811569636492424;
    n = n * a + 0.2001073924045858;
    n = n * a + 0.4676763675189344;
    n = n * a + 0.6865110247405519;
    n = n * a + 0.5;
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
    return ma_exp(-0.5 * (a * a)) * (n * ma_recip(q));
}

/* The exact GELU: x Phi(x) = relu(x) - h(|x|), h(a) = a Phi(-a). */
MA_INLINE double ma_gelu(double x) {
    double a = ma_clamp(fabs(x), 0.0, 14.5);
    double h = a * ma_phi_left(a);
    double y = (x > 0 ? x : 0.0) - h;
    /* -inf * Phi(-inf) = -inf * 0: NaN, as PyTorch. */
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* The tanh GELU as x * sigmoid(2u), u = sqrt(2/pi) (c + 0.044715 c^3), c = x clipped to
 * +-100 (_numerics.gelu_tanh): no 1 + tanh cancellation in the left tail. */
MA_INLINE double ma_gelu_tanh(double x) {
    double c = ma_clamp(x, -100.0, 100.0);
    double u2 = (2.0 * 0.7978845608028654) * (c + 0.044715 * (c * c * c));
    double y = x * ma_sigmoid(u2);
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* mish(x) = x tanh(softplus(x)) = x n / (n + 2), n = e^x (e^x + 2) (_numerics.mish_factor);
 * beyond 40 the factor is 1 in double. */
MA_INLINE double ma_mish(double x) {
    double e = ma_exp(ma_clamp(x, -700.0, 40.0));
    double n = e * (e + 2.0);
    double y = x * (n * ma_recip(n + 2.0));
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* softplus from bx = x * beta rounded to x's dtype (PyTorch compares that with threshold):
 * (max(bx, 0) + log1p(exp(-|bx|))) / beta, or x itself past the threshold. */
MA_INLINE double ma_softplus(double x, double bx, double inv_beta, double threshold) {
    double t = ma_exp(ma_clamp(-fabs(bx), -700.0, 0.0));
    double y = ((bx > 0 ? bx : 0.0) + ma_log1p_fraction(t)) * inv_beta;
    y = bx > threshold ? x : y;
    return bx != bx ? bx : y;
}

/* PyTorch's elu kernel, which also gives selu and celu: poscoef x above 0, negcoef
 * (e^(x input_scale) - 1) at and below it (negcoef, input_scale > 0; zeros keep their sign). For
 * float32 x and poscoef, poscoef x is exact in double: rounded once, it is float32's product. */
MA_INLINE double ma_elu(double x, double negcoef, double poscoef, double input_scale) {
    double negative = negcoef * ma_expm1(ma_clamp(x * input_scale, -40.0, 0.0));
    double y = x > 0 ? poscoef * x : negative;
    y = x == 0 ? x : y;
    return x != x ? x : y;
}

/* log sigmoid = min(x, 0) - log1p(e^-|x|): nothing cancels; +0.0 at +inf, as PyTorch. */
MA_INLINE double ma_logsigmoid(double x) {
    double t = ma_exp(ma_clamp(-fabs(x), -700.0, 0.0));
    double y = (x < 0 ? x : 0.0) - ma_log1p_fraction(t);
    y = x == INFINITY ? 0.0 : y; /* where e^-700 stands for e^-inf */
    return x != x ? x : y;
}

/* x sigmoid(1.702 x) (Transformers' QuickGELU with the factor exact, as the reference has it),
 * -0.0 at -inf: the limit, where x * sigmoid is -inf * 0. */
MA_INLINE double ma_quick_gelu(double x) {
    double y = x * ma_sigmoid(1.702 * ma_clamp(x, -1000.0, 1000.0));
    y = x == -INFINITY ? -0.0 : y;
    return x != x ? x : y;
}

/* e^x (Keras' "exponential"): float32 and float16 overflow to inf and underflow to 0 far
 * inside [-700, 700]. */
MA_INLINE double ma_exponential(double x) {
    double y = ma_exp(ma_clamp(x, -700.0, 700.0));
    return x != x ? x : y;
}

/* sparse_plus: 0 below -1, (x + 1)^2 / 4 between, x above 1. */
MA_INLINE double ma_sparse_plus(double x) {
    double c = ma_clamp(x, -1.0, 1.0) + 1.0;
    double y = 0.25 * (c * c);
    y = x >= 1.0 ? x : y;
    return x != x ? x : y;
}

/* softsign = x / (1 + |x|); NaN at +-inf, where PyTorch divides inf by inf. */
MA_INLINE double ma_softsign(double x) {
    double c = ma_clamp(x, -0x1p126, 0x1p126); /* ma_recip's range; the result rounds to 1 */
    double y = c * ma_recip(1.0 + fabs(c));
    y = x - x != 0 ? NAN : y; /* +-inf (and NaN) */
    return x != x ? x : y;
}

/* laplace = Phi((x - mu) / sigma), from the tail on either side. */
MA_INLINE double ma_laplace(double x, double mu, double inv_sigma) {
    double z = (x - mu) * inv_sigma;
    double tail = ma_phi_left(fabs(z));
    double y = z <= 0 ? tail : 1.0 - tail;
    return x != x ? x : y;
}

/* glu's product a sigmoid(b). PyTorch computes sigmoid(b) in float32 (for float16 too) as
 * 1 / (1 + e^-b), 0 where e^-b overflows (b < -log(FLT_MAX) = -88.72): an infinite a times it
 * is NaN there, as inf * 0 is. */
MA_INLINE double ma_glu(double a, double b) {
    double y = a * ma_sigmoid(b);
    return a - a != 0 && a == a && b < -88.72283905206835 ? NAN : y;
}

/* Derivatives, for multiact.vjp on NumPy arrays (g times them, rounded once): NaN at +-inf,
 * where PyTorch's backward formulas multiply x by a vanishing term (inf * 0). */

/* The exact GELU's Phi(x) + x phi(x). */
MA_INLINE double ma_gelu_slope(double x) {
    double a = ma_clamp(fabs(x), 0.0, 37.0); /* phi(x) is below 1e-297 beyond */
    double phi = 0.3989422804014327 * ma_exp(-0.5 * (a * a));
    /* Phi(-a); beyond ma_phi_left's 14.5, phi(a) / a (1 - 1 / a^2 + 3 / a^4) (relative error
     * below 1e-5 where the result is a float32 subnormal at most): the derivative's sign,
     * negative left of -0.75, holds to -inf. */
    double r = 1.0 / (a * a);
    double tail = a > 14.5 ? phi / a * (1.0 - r + 3.0 * r * r) : ma_phi_left(a);
    double d = (x < 0 ? tail : 1.0 - tail) + (x < 0 ? -a : a) * phi;
    d = x - x != 0 ? NAN : d; /* +-inf, and NaN stays NaN */
    return d;
}

/* silu's s (1 + x (1 - s)), 1 - s as sigmoid(-x) (no cancellation). */
MA_INLINE double ma_silu_slope(double x) {
    double e = ma_exp(ma_clamp(-fabs(x), -700.0, 0.0));
    double r = ma_recip(1.0 + e);
    double s = x >= 0 ? r : e * r, rest = x >= 0 ? e * r : r;
    double d = s * (1.0 + x * rest);
    return x - x != 0 ? NAN : d;
}

MA_INLINE double ma_gelu_vjp(double x, double g) { return g * ma_gelu_slope(x); }
MA_INLINE double ma_silu_vjp(double x, double g) { return g * ma_silu_slope(x); }

/* softplus at PyTorch's defaults (beta 1, threshold 20): a one-input ufunc, for the cost of a
 * call on small arrays. */
MA_INLINE double ma_softplus_default(double x) { return ma_softplus(x, x, 1.0, 20.0); }

#include "_ufuncs_dd.h"
#include "_ufuncs_phi.h"

/* --- Loops. */

/* The contiguous loops run as ranges (ma_run: threads on large arrays); TYPE float or
 * double, FN computing in double. */
typedef struct {
    const void *in;
    void *out;
} ma_io;

#define MA_RANGE_LOOPS(NAME, SUFFIX, TYPE, FN)                                               \
    MA_CLONES static void NAME##_##SUFFIX##_range(void *context, npy_intp begin,             \
                                                  npy_intp end) {                            \
        const ma_io *io = (const ma_io *)context;                                            \
        if (io->in == io->out) { /* in place: no restrict */                                 \
            TYPE *zs = (TYPE *)io->out;                                                      \
            for (npy_intp i = begin; i < end; i++) zs[i] = (TYPE)FN((double)zs[i]);          \
        } else {                                                                             \
            const TYPE *restrict xs = (const TYPE *)io->in;                                  \
            TYPE *restrict ys = (TYPE *)io->out;                                             \
            for (npy_intp i = begin; i < end; i++) ys[i] = (TYPE)FN((double)xs[i]);          \
        }                                                                                    \
    }                                                                                        \
    MA_CLONES static void NAME##_##SUFFIX(char **args, const npy_intp *dims,                 \
                                          const npy_intp *steps, void *data) {              \
        npy_intp n = dims[0], is = steps[0], os = steps[1];                                  \
        char *in = args[0], *out = args[1];                                                  \
        if (is == sizeof(TYPE) && os == sizeof(TYPE)) {                                      \
            ma_io io = {in, out};                                                            \
            ma_run(NAME##_##SUFFIX##_range, &io, n);                                         \
        } else {                                                                             \
            for (npy_intp i = 0; i < n; i++, in += is, out += os)                            \
                *(TYPE *)out = (TYPE)FN((double)*(const TYPE *)in);                          \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }

/* float32 (and float16) loops of ma_NAME. */
#define MA_UNARY_LOOPS(NAME)                                                                 \
    MA_RANGE_LOOPS(NAME, f, float, ma_##NAME)                                                \
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
MA_UNARY_LOOPS(logsigmoid)
MA_UNARY_LOOPS(quick_gelu)
MA_UNARY_LOOPS(exponential)
MA_UNARY_LOOPS(sparse_plus)
MA_UNARY_LOOPS(softsign)
MA_UNARY_LOOPS(softplus_default)

/* glu(a, b) and the gradients' (x, g): one more array input. */
typedef struct {
    const float *in, *other;
    float *out;
} ma_io2;

/* Loops of two float arrays: glu's halves, and the gradients' (x, g). */
#define MA_BINARY_LOOPS(NAME)                                                                \
    MA_CLONES static void NAME##_range(void *context, npy_intp begin, npy_intp end) {        \
        const ma_io2 *io = (const ma_io2 *)context;                                          \
        const float *restrict as = io->in, *restrict bs = io->other;                         \
        float *restrict ys = io->out;                                                        \
        for (npy_intp i = begin; i < end; i++)                                               \
            ys[i] = (float)ma_##NAME((double)as[i], (double)bs[i]);                          \
    }                                                                                        \
    MA_CLONES static void NAME##_f(char **args, const npy_intp *dims, const npy_intp *steps, \
                                   void *data) {                                            \
        npy_intp n = dims[0];                                                                \
        char *a = args[0], *b = args[1], *out = args[2];                                     \
        if (steps[0] == sizeof(float) && steps[1] == sizeof(float) &&                        \
            steps[2] == sizeof(float) && a != out && b != out) {                             \
            ma_io2 io = {(const float *)a, (const float *)b, (float *)out};                  \
            ma_run(NAME##_range, &io, n);                                                    \
        } else {                                                                             \
            for (npy_intp i = 0; i < n; i++, a += steps[0], b += steps[1], out += steps[2])  \
                *(float *)out =                                                              \
                    (float)ma_##NAME((double)*(const float *)a, (double)*(const float *)b);  \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }                                                                                        \
    MA_BINARY_HALF_LOOP(NAME)

#if MA_HAVE_HALF
#define MA_BINARY_HALF_LOOP(NAME)                                                            \
    MA_CLONES static void NAME##_e(char **args, const npy_intp *dims, const npy_intp *steps, \
                                   void *data) {                                            \
        npy_intp n = dims[0];                                                                \
        char *a = args[0], *b = args[1], *out = args[2];                                     \
        for (npy_intp i = 0; i < n; i++, a += steps[0], b += steps[1], out += steps[2]) {    \
            ma_half ha, hb;                                                                  \
            memcpy(&ha, a, sizeof ha);                                                       \
            memcpy(&hb, b, sizeof hb);                                                       \
            ha = ma_to_half(ma_##NAME((double)ha, (double)hb));                              \
            memcpy(out, &ha, sizeof ha);                                                     \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }
#else
#define MA_BINARY_HALF_LOOP(NAME)
#endif

MA_BINARY_LOOPS(glu)
MA_BINARY_LOOPS(gelu_vjp)
MA_BINARY_LOOPS(silu_vjp)

#define MA_AS_FLOAT(d) ((float)(d))
#define MA_AS_DOUBLE(d) (d)

/* float64 loops of the double-word functions (_ufuncs_dd.h). */
#define MA_DOUBLE_LOOP(NAME, FN) MA_RANGE_LOOPS(NAME, d, double, FN)

MA_DOUBLE_LOOP(sigmoid, ma_sigmoid_d)
MA_DOUBLE_LOOP(silu, ma_silu_d)
MA_DOUBLE_LOOP(mish, ma_mish_d)
MA_DOUBLE_LOOP(quick_gelu, ma_quick_gelu_d)
MA_DOUBLE_LOOP(gelu_tanh, ma_gelu_tanh_d)
MA_DOUBLE_LOOP(softplus_default, ma_softplus_default_d)
MA_DOUBLE_LOOP(selu, ma_selu_d)
MA_DOUBLE_LOOP(tanhshrink, ma_tanhshrink_d)
MA_DOUBLE_LOOP(gelu, ma_gelu_d)
MA_UNARY_LOOPS(tanhshrink)
MA_UNARY_LOOPS(log1mexp)

MA_CLONES static void glu_d(char **args, const npy_intp *dims, const npy_intp *steps,
                            void *data) {
    npy_intp n = dims[0];
    char *a = args[0], *b = args[1], *out = args[2];
    for (npy_intp i = 0; i < n; i++, a += steps[0], b += steps[1], out += steps[2])
        *(double *)out = ma_glu_d(*(const double *)a, *(const double *)b);
    feclearexcept(FE_ALL_EXCEPT);
}

/* Loops of one array and NPARAMS float64 parameters. With the parameters scalars (NumPy's
 * stride 0, the usual call) and the array contiguous: a loop with the parameters hoisted, which
 * GCC vectorises, as ranges (threads on large arrays); otherwise strided. */
typedef struct {
    const char *in;
    char *out;
    double p[4];
} ma_io_p;

#define MA_PARAMETER_LOOP(NAME, SUFFIX, TYPE, TO_TYPE, NPARAMS, CALL)                        \
    MA_CLONES static void NAME##_##SUFFIX##_prange(void *context, npy_intp begin,            \
                                                   npy_intp end) {                           \
        const ma_io_p *io = (const ma_io_p *)context;                                        \
        const TYPE *xs = (const TYPE *)io->in;                                               \
        TYPE *ys = (TYPE *)io->out;                                                          \
        const double p[4] = {io->p[0], io->p[1], io->p[2], io->p[3]};                        \
        for (npy_intp i = begin; i < end; i++) {                                             \
            TYPE v = xs[i];                                                                  \
            ys[i] = TO_TYPE(CALL);                                                           \
        }                                                                                    \
    }                                                                                        \
    MA_CLONES static void NAME##_##SUFFIX(char **args, const npy_intp *dims,                 \
                                          const npy_intp *steps, void *data) {              \
        npy_intp n = dims[0];                                                                \
        int scalars = 1;                                                                     \
        ma_io_p io = {args[0], args[1 + NPARAMS], {0.0, 0.0, 0.0, 0.0}};                      \
        for (int j = 0; j < NPARAMS; j++) {                                                  \
            scalars &= steps[1 + j] == 0;                                                    \
            memcpy(&io.p[j], args[1 + j], sizeof(double));                                   \
        }                                                                                    \
        if (scalars && steps[0] == sizeof(TYPE) && steps[1 + NPARAMS] == sizeof(TYPE)) {     \
            ma_run(NAME##_##SUFFIX##_prange, &io, n);                                        \
        } else {                                                                             \
            for (npy_intp i = 0; i < n; i++) {                                               \
                TYPE v;                                                                      \
                double p[4];                                                                 \
                memcpy(&v, args[0] + i * steps[0], sizeof v);                                \
                for (int j = 0; j < NPARAMS; j++)                                            \
                    memcpy(&p[j], args[1 + j] + i * steps[1 + j], sizeof(double));           \
                TYPE y = TO_TYPE(CALL);                                                      \
                memcpy(args[1 + NPARAMS] + i * steps[1 + NPARAMS], &y, sizeof y);            \
            }                                                                                \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }

MA_PARAMETER_LOOP(laplace, f, float, MA_AS_FLOAT, 2, ma_laplace((double)v, p[0], p[1]))
MA_PARAMETER_LOOP(elu, f, float, MA_AS_FLOAT, 3, ma_elu((double)v, p[0], p[1], p[2]))
MA_PARAMETER_LOOP(softplus, d, double, MA_AS_DOUBLE, 2, ma_softplus_d(v, p[0], p[1]))
MA_PARAMETER_LOOP(squareplus, d, double, MA_AS_DOUBLE, 1, ma_squareplus_d(v, p[0]))
MA_PARAMETER_LOOP(laplace64, d, double, MA_AS_DOUBLE, 2, ma_laplace_d(v, p[0], p[1]))
MA_PARAMETER_LOOP(squareplus, f, float, MA_AS_FLOAT, 1, ma_squareplus((double)v, p[0]))
MA_PARAMETER_LOOP(xielu, d, double, MA_AS_DOUBLE, 4, ma_xielu(v, p[0], p[1], p[2], p[3]))
MA_PARAMETER_LOOP(xielu, f, float, MA_AS_FLOAT, 4,
                  ma_xielu((double)v, p[0], p[1], p[2], p[3]))
#if MA_HAVE_HALF
MA_PARAMETER_LOOP(laplace, e, ma_half, ma_to_half, 2, ma_laplace((double)v, p[0], p[1]))
MA_PARAMETER_LOOP(elu, e, ma_half, ma_to_half, 3, ma_elu((double)v, p[0], p[1], p[2]))
MA_PARAMETER_LOOP(squareplus, e, ma_half, ma_to_half, 1,
                  ma_squareplus((double)v, p[0]))
MA_PARAMETER_LOOP(xielu, e, ma_half, ma_to_half, 4, ma_xielu((double)v, p[0], p[1], p[2], p[3]))
#endif


/* softplus(x, beta, threshold): beta and threshold arrive as float64 (0-d, stride 0), holding
 * the values rounded to float32 that the float32 computation uses. Dividing by beta is
 * multiplying by 1 / beta in double: one more rounding in double, invisible in float32. */
typedef struct {
    const float *in;
    float *out;
    float beta;
    double inv_beta, threshold;
} ma_softplus_io;

MA_CLONES static void softplus_range(void *context, npy_intp begin, npy_intp end) {
    const ma_softplus_io *io = (const ma_softplus_io *)context;
    const float *xs = io->in;
    float *ys = io->out;
    const float beta = io->beta;
    const double inv_beta = io->inv_beta, threshold = io->threshold;
    if (beta == 1.0f) { /* the default: x itself, no multiplication */
        for (npy_intp i = begin; i < end; i++)
            ys[i] = (float)ma_softplus((double)xs[i], (double)xs[i], 1.0, threshold);
    } else {
        for (npy_intp i = begin; i < end; i++) {
            float bx = xs[i] * beta;
            ys[i] = (float)ma_softplus((double)xs[i], (double)bx, inv_beta, threshold);
        }
    }
}

MA_CLONES static void softplus_f(char **args, const npy_intp *dims, const npy_intp *steps,
                                 void *data) {
    npy_intp n = dims[0];
    char *in = args[0], *pb = args[1], *pt = args[2], *out = args[3];
    if (steps[1] == 0 && steps[2] == 0 && steps[0] == sizeof(float) &&
        steps[3] == sizeof(float)) {
        float beta = (float)*(const double *)pb;
        ma_softplus_io io = {(const float *)in, (float *)out, beta, 1.0 / (double)beta,
                             *(const double *)pt};
        ma_run(softplus_range, &io, n);
    } else {
        for (npy_intp i = 0; i < n; i++, in += steps[0], pb += steps[1], pt += steps[2],
                      out += steps[3]) {
            float x = *(const float *)in, beta = (float)*(const double *)pb;
            float bx = x * beta;
            *(float *)out = (float)ma_softplus((double)x, (double)bx, 1.0 / (double)beta,
                                               *(const double *)pt);
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
        h = ma_to_half(
            ma_softplus((double)x, (double)bx, 1.0 / (double)beta, *(const double *)pt));
        memcpy(out, &h, sizeof h);
    }
    feclearexcept(FE_ALL_EXCEPT);
}
#endif

/* relu and leaky_relu in every float dtype: exact in each (slope x, rounded once from double, is
 * the product PyTorch rounds in float32 and float64 alike; float16 goes through double, whose
 * one rounding is the correctly rounded product). Unary ufuncs: a NumPy call with one array
 * costs less than np.maximum(x, 0) converting its 0. */
MA_INLINE double ma_relu(double x) { return x < 0 ? 0.0 : x; } /* -0.0, NaN stay */

MA_INLINE double ma_leaky(double x, double slope) { return x > 0 ? x : x * slope; }

#define MA_EXACT_LOOPS(SUFFIX, TYPE, TO_TYPE)                                                \
    MA_CLONES static void relu_##SUFFIX##_range(void *context, npy_intp begin, npy_intp end) { \
        const ma_io *io = (const ma_io *)context;                                            \
        if (io->in == io->out) { /* in place: no restrict */                                 \
            TYPE *zs = (TYPE *)io->out;                                                      \
            for (npy_intp i = begin; i < end; i++) zs[i] = TO_TYPE(ma_relu((double)zs[i]));  \
        } else {                                                                             \
            const TYPE *restrict xs = (const TYPE *)io->in;                                  \
            TYPE *restrict ys = (TYPE *)io->out;                                             \
            for (npy_intp i = begin; i < end; i++) ys[i] = TO_TYPE(ma_relu((double)xs[i]));  \
        }                                                                                    \
    }                                                                                        \
    MA_CLONES static void relu_##SUFFIX(char **args, const npy_intp *dims,                   \
                                        const npy_intp *steps, void *data) {                 \
        npy_intp n = dims[0], is = steps[0], os = steps[1];                                  \
        char *in = args[0], *out = args[1];                                                  \
        if (is == sizeof(TYPE) && os == sizeof(TYPE)) {                                      \
            ma_io io = {in, out};                                                            \
            ma_run(relu_##SUFFIX##_range, &io, n); /* threads on large arrays, as torch */    \
        } else {                                                                             \
            for (npy_intp i = 0; i < n; i++, in += is, out += os) {                          \
                TYPE x;                                                                      \
                memcpy(&x, in, sizeof x);                                                    \
                x = TO_TYPE(ma_relu((double)x));                                             \
                memcpy(out, &x, sizeof x);                                                   \
            }                                                                                \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT); /* x < 0 on NaN raises "invalid" */                    \
    }                                                                                        \
    MA_CLONES static void leaky_relu_##SUFFIX(char **args, const npy_intp *dims,             \
                                              const npy_intp *steps, void *data) {           \
        npy_intp n = dims[0], is = steps[0], ss = steps[1], os = steps[2];                   \
        char *in = args[0], *ps = args[1], *out = args[2];                                   \
        if (is == sizeof(TYPE) && os == sizeof(TYPE) && ss == 0 &&                           \
            (void *)in != (void *)out) {                                                     \
            const TYPE *restrict xs = (const TYPE *)in;                                      \
            TYPE *restrict ys = (TYPE *)out;                                                 \
            const double slope = *(const double *)ps;                                        \
            for (npy_intp i = 0; i < n; i++) ys[i] = TO_TYPE(ma_leaky((double)xs[i], slope)); \
        } else {                                                                             \
            for (npy_intp i = 0; i < n; i++, in += is, ps += ss, out += os) {                \
                TYPE x;                                                                      \
                memcpy(&x, in, sizeof x);                                                    \
                x = TO_TYPE(ma_leaky((double)x, *(const double *)ps));                       \
                memcpy(out, &x, sizeof x);                                                   \
            }                                                                                \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }

MA_EXACT_LOOPS(f, float, MA_AS_FLOAT)
MA_EXACT_LOOPS(d, double, MA_AS_DOUBLE)
#if MA_HAVE_HALF
MA_EXACT_LOOPS(e, ma_half, ma_to_half)
#endif

/* softmax and log_softmax along a row (generalised ufuncs, signature (n)->(n); the axis is
 * NumPy's axes= argument), in double whatever the dtype and rounded once. With m = max(x),
 * c the number of elements equal to m and r the sum of e^(x - m) over the others (x - m is
 * exact in double), the row's sum is S = c + r: softmax = e^(x - m) / S, and log_softmax =
 * (x - m) - log S with log S = log1p(r) for one maximum, accurate where r is tiny (log of a
 * sum rounded to 1 + r would lose r's digits: PyTorch's float32 log_softmax of the largest
 * element of [40, 0, 0] is 0, the exact value -8.5e-18). A row with NaN, +inf or only -inf has
 * a NaN r (NaN - m, inf - inf, -inf + inf), and every element of it becomes NaN, as in
 * PyTorch. r is summed in eight lanes (lane k takes the elements i = k mod 8, in order, for
 * every layout and dtype): a reduction the compiler vectorises, with a fixed order. */
/* e^d for d <= 0, 0 below -708.4 (where double's exp leaves the normal range; for float32
 * and float16 results far below their smallest), NaN for NaN. */
MA_INLINE double ma_exp_nonpositive(double d) {
    double e = ma_exp(ma_clamp(d, -708.0, 0.0));
    e = d < -708.0 ? 0.0 : e;
    return d != d ? d : e;
}

/* e^(x - m) for x <= m, x - m's rounding error (TwoSum) folded in: the difference is exact for
 * float32 and float16 x, but for float64 its half-ULP error would be multiplied by |x - m| in
 * the exponential (PyTorch's float64 softmax is up to 11 ULP off for that). */
MA_INLINE double ma_exp_diff(double x, double m) {
    double d = x - m;
    double t = d - x;
    double error = (x - (d - t)) - (m + t);
    double e = ma_exp_nonpositive(d);
    return e + e * (d - d == 0 ? error : 0.0);
}

/* The same error, for log_softmax's (x - m) - log S. */
MA_INLINE double ma_diff_error(double x, double m, double d) {
    double t = d - x;
    double error = (x - (d - t)) - (m + t);
    return d - d == 0 ? error : 0.0;
}

MA_INLINE double ma_rest_term(double x, double m) {
    double d = x - m;
    double e = ma_exp_diff(x, m);
    e = d == 0 ? 0.0 : e; /* the maxima are counted instead */
    return d != d ? d : e;
}

/* A row is summed in segments of MA_SEGMENT elements, each in eight lanes (lane k takes the
 * elements i = k mod 8, in order), the segments' sums added in order: the same order for every
 * layout and thread count, so results do not depend on them. Long rows split their segments
 * over threads; batches of short rows split their rows. softmin is softmax of -x (negate). */
#define MA_SEGMENT 65536

MA_INLINE double ma_lanes(const double *lane) {
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

typedef struct {
    double max, rest, count;
} ma_row;

MA_INLINE double ma_log_total(ma_row row) {
    return row.count == 1.0 ? log1p(row.rest) : log(row.count + row.rest);
}

/* A contiguous segment's max and sums, vectorised by hand with GCC's vector types: a
 * floating-point reduction is not vectorised without -ffast-math (which would also reorder
 * it). Other compilers take the generic loops further down, which give the same sums. */
#if defined(__GNUC__)
#define MA_VECTOR_ROWS 1
typedef double ma_v8d __attribute__((vector_size(64)));
#define MA_BLOCK 512
#define MA_SEGMENT_KERNELS(SUFFIX, TYPE, VECTOR, MASK, LANES)                                \
    MA_CLONES static double ma_segment_max_##SUFFIX(const TYPE *v, npy_intp n, int negate) { \
        const TYPE sign = negate ? (TYPE)-1 : (TYPE)1;                                       \
        VECTOR part;                                                                         \
        for (int k = 0; k < LANES; k++) part[k] = (TYPE)-INFINITY;                           \
        npy_intp i = 0;                                                                      \
        for (; i + LANES <= n; i += LANES) {                                                 \
            VECTOR t;                                                                        \
            memcpy(&t, v + i, sizeof t);                                                     \
            t = t * sign;                                                                    \
            MASK above = t > part; /* never for NaN: the sum finds it */                     \
            part = (VECTOR)(((MASK)t & above) | ((MASK)part & ~above));                      \
        }                                                                                    \
        double m = -INFINITY;                                                                \
        for (int k = 0; k < LANES; k++) m = (double)part[k] > m ? (double)part[k] : m;       \
        for (; i < n; i++) m = (double)(v[i] * sign) > m ? (double)(v[i] * sign) : m;        \
        return m;                                                                            \
    }                                                                                        \
    MA_CLONES static void ma_segment_sums_##SUFFIX(const TYPE *v, npy_intp n, double m,      \
                                                   int negate, double *rest, double *count) { \
        const double sign = negate ? -1.0 : 1.0;                                             \
        double terms[MA_BLOCK], maxima[MA_BLOCK];                                            \
        ma_v8d r = {0, 0, 0, 0, 0, 0, 0, 0}, c = r;                                          \
        for (npy_intp start = 0; start < n; start += MA_BLOCK) {                             \
            npy_intp size = n - start < MA_BLOCK ? n - start : MA_BLOCK;                     \
            const TYPE *block = v + start;                                                   \
            for (npy_intp j = 0; j < size; j++) {                                            \
                double x = (double)block[j] * sign;                                          \
                terms[j] = ma_rest_term(x, m);                                               \
                maxima[j] = x == m ? 1.0 : 0.0;                                              \
            }                                                                                \
            for (npy_intp j = size; j % 8; j++) terms[j] = maxima[j] = 0.0;                  \
            for (npy_intp j = 0; j < size; j += 8) {                                         \
                ma_v8d t, k;                                                                 \
                memcpy(&t, terms + j, sizeof t);                                             \
                memcpy(&k, maxima + j, sizeof k);                                            \
                r += t;                                                                      \
                c += k;                                                                      \
            }                                                                                \
        }                                                                                    \
        double lanes[8];                                                                     \
        memcpy(lanes, &r, sizeof lanes);                                                     \
        *rest = ma_lanes(lanes);                                                             \
        memcpy(lanes, &c, sizeof lanes);                                                     \
        *count = ma_lanes(lanes);                                                            \
    }
typedef float ma_v16f __attribute__((vector_size(64), aligned(4)));
typedef int32_t ma_v16i __attribute__((vector_size(64)));
typedef double ma_v8du __attribute__((vector_size(64), aligned(8)));
typedef int64_t ma_v8l __attribute__((vector_size(64)));
MA_SEGMENT_KERNELS(f, float, ma_v16f, ma_v16i, 16)
MA_SEGMENT_KERNELS(d, double, ma_v8du, ma_v8l, 8)
#else
#define MA_VECTOR_ROWS 0
static double ma_segment_max_f(const float *v, npy_intp n, int negate) { return 0.0; }
static void ma_segment_sums_f(const float *v, npy_intp n, double m, int negate, double *rest,
                              double *count) {}
static double ma_segment_max_d(const double *v, npy_intp n, int negate) { return 0.0; }
static void ma_segment_sums_d(const double *v, npy_intp n, double m, int negate,
                              double *rest, double *count) {}
#endif

/* The statistics and the output of contiguous float32 and float64 rows, on threads. */
#define MA_FAST_ROWS(SUFFIX, TYPE)                                                           \
    typedef struct {                                                                         \
        const TYPE *x;                                                                       \
        npy_intp n;                                                                          \
        int negate;                                                                          \
        double m;                                                                            \
        double *maxima, *rests, *counts;                                                     \
    } ma_segments_##SUFFIX;                                                                  \
    static void ma_segments_max_##SUFFIX(void *context, npy_intp begin, npy_intp end) {      \
        ma_segments_##SUFFIX *job = (ma_segments_##SUFFIX *)context;                         \
        for (npy_intp s = begin; s < end; s++) {                                             \
            npy_intp first = s * MA_SEGMENT, size = job->n - first;                          \
            job->maxima[s] = ma_segment_max_##SUFFIX(                                        \
                job->x + first, size < MA_SEGMENT ? size : MA_SEGMENT, job->negate);         \
        }                                                                                    \
    }                                                                                        \
    static void ma_segments_sums_##SUFFIX(void *context, npy_intp begin, npy_intp end) {     \
        ma_segments_##SUFFIX *job = (ma_segments_##SUFFIX *)context;                         \
        for (npy_intp s = begin; s < end; s++) {                                             \
            npy_intp first = s * MA_SEGMENT, size = job->n - first;                          \
            ma_segment_sums_##SUFFIX(job->x + first, size < MA_SEGMENT ? size : MA_SEGMENT,  \
                                     job->m, job->negate, &job->rests[s], &job->counts[s]);  \
        }                                                                                    \
    }                                                                                        \
    static ma_row ma_row_stats_##SUFFIX(const TYPE *x, npy_intp n, int negate, int parallel) { \
        npy_intp segments = (n + MA_SEGMENT - 1) / MA_SEGMENT;                               \
        ma_row row = {-INFINITY, 0.0, 0.0};                                                  \
        double *work = parallel && segments > 1 ? (double *)malloc(3 * segments * sizeof(double)) \
                                                : NULL;                                      \
        if (work == NULL) { /* on this thread, segment by segment: the same sums */          \
            for (npy_intp first = 0; first < n; first += MA_SEGMENT) {                       \
                double m = ma_segment_max_##SUFFIX(x + first, n - first < MA_SEGMENT ? n - first : MA_SEGMENT, negate); \
                row.max = m > row.max ? m : row.max;                                         \
            }                                                                                \
            for (npy_intp first = 0; first < n; first += MA_SEGMENT) {                       \
                double rest, count;                                                          \
                ma_segment_sums_##SUFFIX(x + first, n - first < MA_SEGMENT ? n - first : MA_SEGMENT, row.max, negate, &rest, &count); \
                row.rest += rest;                                                            \
                row.count += count;                                                          \
            }                                                                                \
            return row;                                                                      \
        }                                                                                    \
        ma_segments_##SUFFIX job = {x, n, negate, 0.0, work, work + segments, work + 2 * segments}; \
        ma_run_chunks(ma_segments_max_##SUFFIX, &job, segments, 1, 1);                       \
        for (npy_intp k = 0; k < segments; k++) row.max = work[k] > row.max ? work[k] : row.max; \
        job.m = row.max;                                                                     \
        ma_run_chunks(ma_segments_sums_##SUFFIX, &job, segments, 1, 1);                      \
        for (npy_intp k = 0; k < segments; k++) {                                            \
            row.rest += job.rests[k];                                                        \
            row.count += job.counts[k];                                                      \
        }                                                                                    \
        free(work);                                                                          \
        return row;                                                                          \
    }                                                                                        \
    typedef struct {                                                                         \
        const TYPE *x;                                                                       \
        TYPE *y;                                                                             \
        double m, scale, log_total, sign;                                                    \
        int take_log;                                                                        \
    } ma_row_output_##SUFFIX##_t;                                                            \
    MA_CLONES static void ma_row_output_##SUFFIX(void *context, npy_intp begin, npy_intp end) { \
        const ma_row_output_##SUFFIX##_t *o = (const ma_row_output_##SUFFIX##_t *)context;   \
        const TYPE *restrict v = o->x;                                                       \
        TYPE *restrict w = o->y;                                                             \
        const double m = o->m, scale = o->scale, log_total = o->log_total, sign = o->sign;   \
        if (o->take_log) {                                                                   \
            for (npy_intp i = begin; i < end; i++) {                                         \
                double x = (double)v[i] * sign, d = x - m;                                   \
                w[i] = (TYPE)((d - log_total) + ma_diff_error(x, m, d));                     \
            }                                                                                \
        } else {                                                                             \
            for (npy_intp i = begin; i < end; i++)                                           \
                w[i] = (TYPE)(ma_exp_diff((double)v[i] * sign, m) * scale);                  \
        }                                                                                    \
    }
MA_FAST_ROWS(f, float)
MA_FAST_ROWS(d, double)

/* mode: bit 0 log_softmax, bit 1 negate (softmin). FAST is the contiguous kernels' suffix
 * (f, d) or 0 where there are none (float16). */
#define MA_ROW_KERNELS(SUFFIX, TYPE, TO_TYPE, FAST_STATS, FAST_OUTPUT, FAST_IO)              \
    static ma_row stats_##SUFFIX(const char *x, npy_intp xs, npy_intp n, int negate) {       \
        const double sign = negate ? -1.0 : 1.0;                                             \
        ma_row row = {-INFINITY, 0.0, 0.0};                                                  \
        for (npy_intp i = 0; i < n; i++) {                                                   \
            TYPE v;                                                                          \
            memcpy(&v, x + i * xs, sizeof v);                                                \
            double d = (double)v * sign;                                                     \
            row.max = d > row.max ? d : row.max;                                             \
        }                                                                                    \
        for (npy_intp first = 0; first < n; first += MA_SEGMENT) {                           \
            double rest[8] = {0, 0, 0, 0, 0, 0, 0, 0}, count[8] = {0, 0, 0, 0, 0, 0, 0, 0};  \
            npy_intp last = n - first < MA_SEGMENT ? n : first + MA_SEGMENT;                 \
            for (npy_intp i = first; i < last; i++) {                                        \
                TYPE v;                                                                      \
                memcpy(&v, x + i * xs, sizeof v);                                            \
                double d = (double)v * sign;                                                 \
                rest[(i - first) % 8] += ma_rest_term(d, row.max);                           \
                count[(i - first) % 8] += d == row.max;                                      \
            }                                                                                \
            row.rest += ma_lanes(rest);                                                      \
            row.count += ma_lanes(count);                                                    \
        }                                                                                    \
        return row;                                                                          \
    }                                                                                        \
    static void softmax_row_##SUFFIX(const char *x, npy_intp xs, char *y, npy_intp ys,       \
                                     npy_intp n, int mode, int parallel) {                   \
        const int negate = (mode & 2) != 0, take_log = mode & 1;                             \
        const int fast = MA_VECTOR_ROWS && FAST_IO && xs == sizeof(TYPE);                    \
        parallel = parallel && n >= MA_PARALLEL_FROM;                                        \
        ma_row row = fast ? FAST_STATS((const void *)x, n, negate, parallel)                 \
                          : stats_##SUFFIX(x, xs, n, negate);                                \
        const double log_total = ma_log_total(row), scale = 1.0 / (row.count + row.rest);    \
        const double sign = negate ? -1.0 : 1.0;                                             \
        if (fast && ys == sizeof(TYPE) && x != y) {                                          \
            FAST_OUTPUT(x, y, n, row.max, scale, log_total, sign, take_log, parallel);       \
            return;                                                                          \
        }                                                                                    \
        for (npy_intp i = 0; i < n; i++) {                                                   \
            TYPE v;                                                                          \
            memcpy(&v, x + i * xs, sizeof v);                                                \
            double x_ = (double)v * sign, d = x_ - row.max;                                  \
            v = take_log ? TO_TYPE((d - log_total) + ma_diff_error(x_, row.max, d))          \
                         : TO_TYPE(ma_exp_diff(x_, row.max) * scale);                        \
            memcpy(y + i * ys, &v, sizeof v);                                                \
        }                                                                                    \
    }                                                                                        \
    typedef struct {                                                                         \
        char **args;                                                                         \
        const npy_intp *dims, *steps;                                                        \
        int mode;                                                                            \
    } rows_##SUFFIX;                                                                         \
    static void rows_range_##SUFFIX(void *context, npy_intp begin, npy_intp end) {           \
        const rows_##SUFFIX *r = (const rows_##SUFFIX *)context;                             \
        for (npy_intp i = begin; i < end; i++)                                               \
            softmax_row_##SUFFIX(r->args[0] + i * r->steps[0], r->steps[2],                  \
                                 r->args[1] + i * r->steps[1], r->steps[3], r->dims[1],      \
                                 r->mode, 0);                                                \
    }                                                                                        \
    static void rows_##SUFFIX##_run(char **args, const npy_intp *dims, const npy_intp *steps, \
                                    int mode) {                                              \
        npy_intp rows = dims[0], n = dims[1];                                                \
        if (n >= MA_PARALLEL_FROM || rows == 1) { /* long rows: threads inside each */       \
            for (npy_intp i = 0; i < rows; i++)                                              \
                softmax_row_##SUFFIX(args[0] + i * steps[0], steps[2], args[1] + i * steps[1], \
                                     steps[3], n, mode, 1);                                  \
        } else { /* short rows: rows on threads */                                           \
            rows_##SUFFIX r = {args, dims, steps, mode};                                     \
            npy_intp grain = n > 0 && MA_GRAIN / n > 1 ? MA_GRAIN / n : 1;                   \
            ma_run_chunks(rows_range_##SUFFIX, &r, rows, grain,                              \
                          rows * n >= MA_PARALLEL_FROM);                                     \
        }                                                                                    \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }                                                                                        \
    static void softmax_##SUFFIX(char **args, const npy_intp *dims, const npy_intp *steps,   \
                                 void *data) {                                               \
        rows_##SUFFIX##_run(args, dims, steps, 0);                                           \
    }                                                                                        \
    static void log_softmax_##SUFFIX(char **args, const npy_intp *dims,                      \
                                     const npy_intp *steps, void *data) {                    \
        rows_##SUFFIX##_run(args, dims, steps, 1);                                           \
    }                                                                                        \
    static void softmin_##SUFFIX(char **args, const npy_intp *dims, const npy_intp *steps,   \
                                 void *data) {                                               \
        rows_##SUFFIX##_run(args, dims, steps, 2);                                           \
    }

#define MA_FAST_OUTPUT(SUFFIX, TYPE)                                                         \
    static void ma_output_##SUFFIX(const char *x, char *y, npy_intp n, double m, double scale, \
                                   double log_total, double sign, int take_log, int parallel) { \
        ma_row_output_##SUFFIX##_t o = {(const TYPE *)x, (TYPE *)y, m, scale, log_total,     \
                                        sign, take_log};                                     \
        ma_run_chunks(ma_row_output_##SUFFIX, &o, n, MA_GRAIN, parallel);                    \
    }
MA_FAST_OUTPUT(f, float)
MA_FAST_OUTPUT(d, double)
static ma_row ma_stats_f(const void *x, npy_intp n, int negate, int parallel) {
    return ma_row_stats_f((const float *)x, n, negate, parallel);
}
static ma_row ma_stats_d(const void *x, npy_intp n, int negate, int parallel) {
    return ma_row_stats_d((const double *)x, n, negate, parallel);
}
static ma_row ma_stats_none(const void *x, npy_intp n, int negate, int parallel) {
    ma_row row = {0.0, 0.0, 0.0};
    return row;
}
static void ma_output_none(const char *x, char *y, npy_intp n, double m, double scale,
                           double log_total, double sign, int take_log, int parallel) {}

MA_ROW_KERNELS(f, float, MA_AS_FLOAT, ma_stats_f, ma_output_f, 1)
MA_ROW_KERNELS(d, double, MA_AS_DOUBLE, ma_stats_d, ma_output_d, 1)
#if MA_HAVE_HALF
MA_ROW_KERNELS(e, ma_half, ma_to_half, ma_stats_none, ma_output_none, 0)
#endif

static int add_gufunc(PyObject *module, const char *name, PyUFuncGenericFunction *loops,
                      char *types, int ntypes, const char *doc) {
    static void *no_data[4] = {NULL, NULL, NULL, NULL};
    PyObject *ufunc = PyUFunc_FromFuncAndDataAndSignature(
        loops, no_data, types, ntypes, 1, 1, PyUFunc_None, name, doc, 0, "(n)->(n)");
    if (ufunc == NULL) return -1;
    if (PyModule_AddObject(module, name, ufunc) < 0) {
        Py_DECREF(ufunc);
        return -1;
    }
    return 0;
}

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
#define MA_UNARY3(NAME)                                                            \
    static PyUFuncGenericFunction NAME##_loops[] = {NAME##_e, NAME##_f, NAME##_d}; \
    static char NAME##_types[] = {NPY_HALF,  NPY_HALF,   NPY_FLOAT,                  \
                                  NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction softplus_loops[] = {softplus_e, softplus_f, softplus_d};
static char softplus_types[] = {NPY_HALF,   NPY_DOUBLE, NPY_DOUBLE, NPY_HALF,
                                NPY_FLOAT,  NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT,
                                NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction squareplus_loops[] = {squareplus_e, squareplus_f, squareplus_d};
static char squareplus_types[] = {NPY_HALF,  NPY_DOUBLE, NPY_HALF,   NPY_FLOAT, NPY_DOUBLE,
                                  NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction xielu_loops[] = {xielu_e, xielu_f, xielu_d};
static char xielu_types[] = {NPY_HALF,   NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE,
                             NPY_HALF,   NPY_FLOAT,  NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE,
                             NPY_DOUBLE, NPY_FLOAT,  NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE,
                             NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction elu_loops[] = {elu_e, elu_f};
static PyUFuncGenericFunction relu_loops[] = {relu_e, relu_f, relu_d};
static char relu_types[] = {NPY_HALF, NPY_HALF, NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction leaky_relu_loops[] = {leaky_relu_e, leaky_relu_f, leaky_relu_d};
static char leaky_relu_types[] = {NPY_HALF,   NPY_DOUBLE, NPY_HALF,  NPY_FLOAT, NPY_DOUBLE,
                                  NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
#define MA_NEXACT 3
static PyUFuncGenericFunction laplace_loops[] = {laplace_e, laplace_f};
static char laplace_types[] = {NPY_HALF,  NPY_DOUBLE, NPY_DOUBLE, NPY_HALF,
                               NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
static PyUFuncGenericFunction glu_loops[] = {glu_e, glu_f, glu_d};
static char glu_types[] = {NPY_HALF,  NPY_HALF,   NPY_HALF,   NPY_FLOAT, NPY_FLOAT,
                           NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction gelu_vjp_loops[] = {gelu_vjp_e, gelu_vjp_f};
static PyUFuncGenericFunction silu_vjp_loops[] = {silu_vjp_e, silu_vjp_f};
static PyUFuncGenericFunction softmax_loops[] = {softmax_e, softmax_f, softmax_d};
static PyUFuncGenericFunction log_softmax_loops[] = {log_softmax_e, log_softmax_f, log_softmax_d};
static PyUFuncGenericFunction softmin_loops[] = {softmin_e, softmin_f, softmin_d};
static char softmax_types[] = {NPY_HALF, NPY_HALF, NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static char elu_types[] = {NPY_HALF,  NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_HALF,
                           NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
#else
#define MA_NTYPES 1
#define MA_UNARY(NAME)                                          \
    static PyUFuncGenericFunction NAME##_loops[] = {NAME##_f}; \
    static char NAME##_types[] = {NPY_FLOAT, NPY_FLOAT};
#define MA_UNARY3(NAME)                                                  \
    static PyUFuncGenericFunction NAME##_loops[] = {NAME##_f, NAME##_d}; \
    static char NAME##_types[] = {NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction softplus_loops[] = {softplus_f, softplus_d};
static char softplus_types[] = {NPY_FLOAT,  NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT,
                                NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction squareplus_loops[] = {squareplus_f, squareplus_d};
static char squareplus_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE,
                                  NPY_DOUBLE};
static PyUFuncGenericFunction xielu_loops[] = {xielu_f, xielu_d};
static char xielu_types[] = {NPY_FLOAT,  NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT,
                             NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction elu_loops[] = {elu_f};
static PyUFuncGenericFunction relu_loops[] = {relu_f, relu_d};
static char relu_types[] = {NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction leaky_relu_loops[] = {leaky_relu_f, leaky_relu_d};
static char leaky_relu_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_FLOAT,
                                  NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
#define MA_NEXACT 2
static PyUFuncGenericFunction laplace_loops[] = {laplace_f};
static char laplace_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
static PyUFuncGenericFunction glu_loops[] = {glu_f, glu_d};
static char glu_types[] = {NPY_FLOAT, NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction gelu_vjp_loops[] = {gelu_vjp_f};
static PyUFuncGenericFunction silu_vjp_loops[] = {silu_vjp_f};
static PyUFuncGenericFunction softmax_loops[] = {softmax_f, softmax_d};
static PyUFuncGenericFunction log_softmax_loops[] = {log_softmax_f, log_softmax_d};
static PyUFuncGenericFunction softmin_loops[] = {softmin_f, softmin_d};
static char softmax_types[] = {NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static char elu_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
#endif

MA_UNARY3(sigmoid)
MA_UNARY3(silu)
MA_UNARY3(gelu)
MA_UNARY3(gelu_tanh)
MA_UNARY3(mish)
MA_UNARY(logsigmoid)
MA_UNARY3(quick_gelu)
MA_UNARY(exponential)
MA_UNARY(sparse_plus)
MA_UNARY(softsign)
MA_UNARY3(softplus_default)
MA_UNARY3(tanhshrink)
MA_UNARY(log1mexp)
static PyUFuncGenericFunction selu_loops[] = {selu_d};
static char selu_types[] = {NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction laplace64_loops[] = {laplace64_d};
static char laplace64_types[] = {NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};

static PyMethodDef methods[] = {
    {"set_num_threads", ma_set_num_threads, METH_O,
     "set_num_threads(n): split large arrays over at most n threads."},
    {"get_num_threads", ma_get_num_threads, METH_NOARGS,
     "get_num_threads(): the most threads a call uses."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_ufuncs",
    "multiact's compiled activation loops (see backends/_compiled.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__ufuncs(void) {
    PyObject *module = PyModule_Create(&moduledef);
    if (module == NULL) return NULL;
    import_array();
    import_umath();
    if (add_ufunc(module, "sigmoid", sigmoid_loops, sigmoid_types, MA_NEXACT, 1,
                  "sigmoid(x)") < 0 ||
        add_ufunc(module, "silu", silu_loops, silu_types, MA_NEXACT, 1, "silu(x)") < 0 ||
        add_ufunc(module, "gelu", gelu_loops, gelu_types, MA_NEXACT, 1, "exact GELU(x)") < 0 ||
        add_ufunc(module, "gelu_tanh", gelu_tanh_loops, gelu_tanh_types, MA_NEXACT, 1,
                  "tanh GELU(x)") < 0 ||
        add_ufunc(module, "mish", mish_loops, mish_types, MA_NEXACT, 1, "mish(x)") < 0 ||
        add_ufunc(module, "logsigmoid", logsigmoid_loops, logsigmoid_types, MA_NTYPES, 1,
                  "logsigmoid(x)") < 0 ||
        add_ufunc(module, "quick_gelu", quick_gelu_loops, quick_gelu_types, MA_NEXACT, 1,
                  "quick_gelu(x)") < 0 ||
        add_ufunc(module, "exponential", exponential_loops, exponential_types, MA_NTYPES, 1,
                  "exponential(x)") < 0 ||
        add_ufunc(module, "sparse_plus", sparse_plus_loops, sparse_plus_types, MA_NTYPES, 1,
                  "sparse_plus(x)") < 0 ||
        add_ufunc(module, "softsign", softsign_loops, softsign_types, MA_NTYPES, 1,
                  "softsign(x)") < 0 ||
        add_ufunc(module, "softplus_default", softplus_default_loops, softplus_default_types,
                  MA_NEXACT, 1, "softplus(x) at beta 1, threshold 20") < 0 ||
        add_ufunc(module, "laplace", laplace_loops, laplace_types, MA_NTYPES, 3,
                  "laplace(x, mu, 1 / sigma)") < 0 ||
        add_ufunc(module, "laplace64", laplace64_loops, laplace64_types, 1, 3,
                  "laplace64(x, mu, sigma), float64") < 0 ||
        add_ufunc(module, "glu", glu_loops, glu_types, MA_NEXACT, 2, "glu(a, b): a sigmoid(b)") < 0 ||
        add_ufunc(module, "gelu_vjp", gelu_vjp_loops, glu_types, MA_NTYPES, 2,
                  "gelu_vjp(x, g): g times the exact GELU's derivative") < 0 ||
        add_ufunc(module, "silu_vjp", silu_vjp_loops, glu_types, MA_NTYPES, 2,
                  "silu_vjp(x, g): g times silu's derivative") < 0 ||
        add_ufunc(module, "softplus", softplus_loops, softplus_types, MA_NEXACT, 3,
                  "softplus(x, beta, threshold)") < 0 ||
        add_ufunc(module, "elu", elu_loops, elu_types, MA_NTYPES, 4,
                  "elu(x, negcoef, poscoef, input_scale)") < 0 ||
        add_ufunc(module, "tanhshrink", tanhshrink_loops, tanhshrink_types, MA_NEXACT, 1,
                  "tanhshrink(x)") < 0 ||
        add_ufunc(module, "log1mexp", log1mexp_loops, log1mexp_types, MA_NTYPES, 1,
                  "log1mexp(x) = log(1 - exp(-x))") < 0 ||
        add_ufunc(module, "selu", selu_loops, selu_types, 1, 1, "selu(x), float64") < 0 ||
        add_ufunc(module, "squareplus", squareplus_loops, squareplus_types, MA_NEXACT, 2,
                  "squareplus(x, b)") < 0 ||
        add_ufunc(module, "xielu", xielu_loops, xielu_types, MA_NEXACT, 5,
                  "xielu(x, alpha_p, alpha_n, beta, eps)") < 0 ||
        add_ufunc(module, "relu", relu_loops, relu_types, MA_NEXACT, 1, "relu(x)") < 0 ||
        add_ufunc(module, "leaky_relu", leaky_relu_loops, leaky_relu_types, MA_NEXACT, 2,
                  "leaky_relu(x, slope)") < 0 ||
        add_gufunc(module, "softmax", softmax_loops, softmax_types, MA_NEXACT,
                   "softmax(x) along the last axis (axes= for another)") < 0 ||
        add_gufunc(module, "log_softmax", log_softmax_loops, softmax_types, MA_NEXACT,
                   "log_softmax(x) along the last axis (axes= for another)") < 0 ||
        add_gufunc(module, "softmin", softmin_loops, softmax_types, MA_NEXACT,
                   "softmin(x) = softmax(-x) along the last axis (axes= for another)") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "HALF", MA_HAVE_HALF) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
