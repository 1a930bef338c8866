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

/* 1 / d for 1 <= d < 2^127: float's division (a quarter of double's cost per element, and
 * vectorised twice as wide) refined by one Newton step in double, relative error about 2^-46:
 * the division is what bounded these loops' speed. */
static inline double ma_recip(double d) {
    double r = (double)(1.0f / (float)d);
    return r + r * (1.0 - d * r);
}

/* expm1(x) for -40 <= x <= 0 (callers clamp; below -40 it is -1 in double): the reduction of
 * ma_exp, e^r - 1 by its Taylor polynomial (no constant term: exact for tiny x), then
 * 2^k (e^r - 1) + (2^k - 1), whose two parts are exact for these k. */
static inline double ma_expm1(double x) {
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
    p = p * r * r + r;
    double scale = ma_bits_to_double((ki + 1023) << 52);
    return scale * p + (scale - 1.0);
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
    double r = ma_recip(1.0 + e);
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
    double h = ma_exp(-0.5 * (a * a)) * (n * ma_recip(q));
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
    double y = x * (n * ma_recip(n + 2.0));
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* softplus from bx = x * beta rounded to x's dtype (PyTorch compares that with threshold):
 * (max(bx, 0) + log1p(exp(-|bx|))) / beta, or x itself past the threshold. */
static inline double ma_softplus(double x, double bx, double inv_beta, double threshold) {
    double t = ma_exp(ma_clamp(-fabs(bx), -700.0, 0.0));
    double y = ((bx > 0 ? bx : 0.0) + ma_log1p_fraction(t)) * inv_beta;
    y = bx > threshold ? x : y;
    return bx != bx ? bx : y;
}

/* PyTorch's elu kernel, which also gives selu and celu: poscoef x above 0, negcoef
 * (e^(x input_scale) - 1) at and below it (negcoef, input_scale > 0; zeros keep their sign). For
 * float32 x and poscoef, poscoef x is exact in double: rounded once, it is float32's product. */
static inline double ma_elu(double x, double negcoef, double poscoef, double input_scale) {
    double negative = negcoef * ma_expm1(ma_clamp(x * input_scale, -40.0, 0.0));
    double y = x > 0 ? poscoef * x : negative;
    y = x == 0 ? x : y;
    return x != x ? x : y;
}

/* --- Loops. */

/* The contiguous float32 loops run as ranges (ma_run: threads on large arrays). */
typedef struct {
    const float *in;
    float *out;
} ma_io;

#define MA_UNARY_LOOPS(NAME)                                                                 \
    MA_CLONES static void NAME##_range(void *context, npy_intp begin, npy_intp end) {        \
        const ma_io *io = (const ma_io *)context;                                            \
        if ((const void *)io->in == (void *)io->out) { /* in place: no restrict */           \
            float *zs = io->out;                                                             \
            for (npy_intp i = begin; i < end; i++) zs[i] = (float)ma_##NAME((double)zs[i]);  \
        } else {                                                                             \
            const float *restrict xs = io->in;                                               \
            float *restrict ys = io->out;                                                    \
            for (npy_intp i = begin; i < end; i++) ys[i] = (float)ma_##NAME((double)xs[i]);  \
        }                                                                                    \
    }                                                                                        \
    MA_CLONES static void NAME##_f(char **args, const npy_intp *dims, const npy_intp *steps, \
                                   void *data) {                                            \
        npy_intp n = dims[0], is = steps[0], os = steps[1];                                  \
        char *in = args[0], *out = args[1];                                                  \
        if (is == sizeof(float) && os == sizeof(float)) {                                    \
            ma_io io = {(const float *)in, (float *)out};                                    \
            ma_run(NAME##_range, &io, n);                                                    \
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

/* elu(x, negcoef, poscoef, input_scale): the parameters as float64 0-d arrays (stride 0). */
typedef struct {
    const float *in;
    float *out;
    double negcoef, poscoef, input_scale;
} ma_elu_io;

MA_CLONES static void elu_range(void *context, npy_intp begin, npy_intp end) {
    const ma_elu_io *io = (const ma_elu_io *)context;
    const double negcoef = io->negcoef, poscoef = io->poscoef, input_scale = io->input_scale;
    if ((const void *)io->in == (void *)io->out) {
        float *zs = io->out;
        for (npy_intp i = begin; i < end; i++)
            zs[i] = (float)ma_elu((double)zs[i], negcoef, poscoef, input_scale);
    } else {
        const float *restrict xs = io->in;
        float *restrict ys = io->out;
        for (npy_intp i = begin; i < end; i++)
            ys[i] = (float)ma_elu((double)xs[i], negcoef, poscoef, input_scale);
    }
}

MA_CLONES static void elu_f(char **args, const npy_intp *dims, const npy_intp *steps,
                            void *data) {
    npy_intp n = dims[0];
    char *in = args[0], *pn = args[1], *pp = args[2], *pi = args[3], *out = args[4];
    if (steps[1] == 0 && steps[2] == 0 && steps[3] == 0 && steps[0] == sizeof(float) &&
        steps[4] == sizeof(float)) {
        ma_elu_io io = {(const float *)in, (float *)out, *(const double *)pn,
                        *(const double *)pp, *(const double *)pi};
        ma_run(elu_range, &io, n);
    } else {
        for (npy_intp i = 0; i < n; i++, in += steps[0], pn += steps[1], pp += steps[2],
                      pi += steps[3], out += steps[4])
            *(float *)out = (float)ma_elu((double)*(const float *)in, *(const double *)pn,
                                          *(const double *)pp, *(const double *)pi);
    }
    feclearexcept(FE_ALL_EXCEPT);
}

#if MA_HAVE_HALF
MA_CLONES static void elu_e(char **args, const npy_intp *dims, const npy_intp *steps,
                            void *data) {
    npy_intp n = dims[0];
    char *in = args[0], *pn = args[1], *pp = args[2], *pi = args[3], *out = args[4];
    for (npy_intp i = 0; i < n; i++, in += steps[0], pn += steps[1], pp += steps[2],
                  pi += steps[3], out += steps[4]) {
        ma_half h;
        memcpy(&h, in, sizeof h);
        h = ma_to_half(ma_elu((double)h, *(const double *)pn, *(const double *)pp,
                              *(const double *)pi));
        memcpy(out, &h, sizeof h);
    }
    feclearexcept(FE_ALL_EXCEPT);
}
#endif

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
static inline double ma_relu(double x) { return x < 0 ? 0.0 : x; } /* -0.0, NaN stay */

static inline double ma_leaky(double x, double slope) { return x > 0 ? x : x * slope; }

#define MA_EXACT_LOOPS(SUFFIX, TYPE, TO_TYPE)                                                \
    MA_CLONES static void relu_##SUFFIX(char **args, const npy_intp *dims,                   \
                                        const npy_intp *steps, void *data) {                 \
        npy_intp n = dims[0], is = steps[0], os = steps[1];                                  \
        char *in = args[0], *out = args[1];                                                  \
        if (is == sizeof(TYPE) && os == sizeof(TYPE) && (void *)in != (void *)out) {         \
            const TYPE *restrict xs = (const TYPE *)in;                                      \
            TYPE *restrict ys = (TYPE *)out;                                                 \
            for (npy_intp i = 0; i < n; i++) ys[i] = TO_TYPE(ma_relu((double)xs[i]));        \
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

#define MA_AS_FLOAT(d) ((float)(d))
#define MA_AS_DOUBLE(d) (d)
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
static inline double ma_rest_term(double x, double m) {
    double d = x - m;
    double e = ma_exp(ma_clamp(d, -700.0, 0.0));
    e = d == 0 ? 0.0 : e; /* the maxima are counted instead */
    return d != d ? d : e;
}

/* A row is summed in segments of MA_SEGMENT elements, each in eight lanes (lane k takes the
 * elements i = k mod 8, in order), the segments' sums added in order: the same order for every
 * layout, dtype and thread count, so results do not depend on them. Long rows split their
 * segments over threads; batches of short rows split their rows. */
#define MA_SEGMENT 65536

static inline double ma_lanes(const double *lane) {
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/* The contiguous float32 segment's max and sums, vectorised by hand with GCC's vector types:
 * a floating-point reduction is not vectorised without -ffast-math (which would also reorder
 * it). Other compilers take the generic loops below, which give the same sums. */
#if defined(__GNUC__)
#define MA_VECTOR_ROWS 1
typedef float ma_v16f __attribute__((vector_size(64), aligned(4)));
typedef int32_t ma_v16i __attribute__((vector_size(64)));
typedef double ma_v8d __attribute__((vector_size(64)));
#define MA_BLOCK 512

MA_CLONES static double ma_segment_max_f(const float *v, npy_intp n) {
    ma_v16f part;
    for (int k = 0; k < 16; k++) part[k] = -INFINITY;
    npy_intp i = 0;
    for (; i + 16 <= n; i += 16) {
        ma_v16f t;
        memcpy(&t, v + i, sizeof t);
        ma_v16i above = t > part; /* never for NaN: the sum finds it */
        part = (ma_v16f)(((ma_v16i)t & above) | ((ma_v16i)part & ~above));
    }
    double m = -INFINITY;
    for (int k = 0; k < 16; k++) m = (double)part[k] > m ? (double)part[k] : m;
    for (; i < n; i++) m = (double)v[i] > m ? (double)v[i] : m;
    return m;
}

MA_CLONES static void ma_segment_sums_f(const float *v, npy_intp n, double m, double *rest,
                                        double *count) {
    double terms[MA_BLOCK], maxima[MA_BLOCK];
    ma_v8d r = {0, 0, 0, 0, 0, 0, 0, 0}, c = r;
    for (npy_intp start = 0; start < n; start += MA_BLOCK) {
        npy_intp size = n - start < MA_BLOCK ? n - start : MA_BLOCK;
        const float *block = v + start;
        for (npy_intp j = 0; j < size; j++) {
            terms[j] = ma_rest_term((double)block[j], m);
            maxima[j] = (double)block[j] == m ? 1.0 : 0.0;
        }
        for (npy_intp j = size; j % 8; j++) terms[j] = maxima[j] = 0.0;
        for (npy_intp j = 0; j < size; j += 8) {
            ma_v8d t, k;
            memcpy(&t, terms + j, sizeof t);
            memcpy(&k, maxima + j, sizeof k);
            r += t;
            c += k;
        }
    }
    double lanes[8];
    memcpy(lanes, &r, sizeof lanes);
    *rest = ma_lanes(lanes);
    memcpy(lanes, &c, sizeof lanes);
    *count = ma_lanes(lanes);
}
#else
#define MA_VECTOR_ROWS 0
static double ma_segment_max_f(const float *v, npy_intp n) { return 0.0; }
static void ma_segment_sums_f(const float *v, npy_intp n, double m, double *rest,
                              double *count) {}
#endif

typedef struct {
    double max, rest, count;
} ma_row;

/* A long contiguous float32 row, its segments on threads. */
typedef struct {
    const float *x;
    npy_intp n;
    double m;
    double *maxima, *rests, *counts;
} ma_segments;

static void ma_segments_max(void *context, npy_intp begin, npy_intp end) {
    ma_segments *job = (ma_segments *)context;
    for (npy_intp s = begin; s < end; s++) {
        npy_intp first = s * MA_SEGMENT, size = job->n - first;
        job->maxima[s] = ma_segment_max_f(job->x + first, size < MA_SEGMENT ? size : MA_SEGMENT);
    }
}

static void ma_segments_sums(void *context, npy_intp begin, npy_intp end) {
    ma_segments *job = (ma_segments *)context;
    for (npy_intp s = begin; s < end; s++) {
        npy_intp first = s * MA_SEGMENT, size = job->n - first;
        ma_segment_sums_f(job->x + first, size < MA_SEGMENT ? size : MA_SEGMENT, job->m,
                          &job->rests[s], &job->counts[s]);
    }
}

/* The float32 contiguous row's statistics; segments is n / MA_SEGMENT rounded up. */
static ma_row ma_row_stats_f(const float *x, npy_intp n) {
    npy_intp segments = (n + MA_SEGMENT - 1) / MA_SEGMENT;
    double one[3];
    double *work = segments > 1 ? (double *)malloc(3 * segments * sizeof(double)) : one;
    ma_row row = {-INFINITY, 0.0, 0.0};
    if (work == NULL) { /* out of memory: the same sums, segment by segment, without threads */
        for (npy_intp s = 0; s < segments; s++) {
            npy_intp size = n - s * MA_SEGMENT < MA_SEGMENT ? n - s * MA_SEGMENT : MA_SEGMENT;
            double m = ma_segment_max_f(x + s * MA_SEGMENT, size);
            row.max = m > row.max ? m : row.max;
        }
        for (npy_intp s = 0; s < segments; s++) {
            npy_intp size = n - s * MA_SEGMENT < MA_SEGMENT ? n - s * MA_SEGMENT : MA_SEGMENT;
            double rest, count;
            ma_segment_sums_f(x + s * MA_SEGMENT, size, row.max, &rest, &count);
            row.rest += rest;
            row.count += count;
        }
        return row;
    }
    ma_segments job = {x, n, 0.0, work, work + segments, work + 2 * segments};
    int parallel = n >= MA_PARALLEL_FROM;
    ma_run_chunks(ma_segments_max, &job, segments, 1, parallel);
    for (npy_intp s = 0; s < segments; s++) row.max = work[s] > row.max ? work[s] : row.max;
    job.m = row.max;
    ma_run_chunks(ma_segments_sums, &job, segments, 1, parallel);
    for (npy_intp s = 0; s < segments; s++) {
        row.rest += job.rests[s];
        row.count += job.counts[s];
    }
    if (work != one) free(work);
    return row;
}

/* softmax / log_softmax of a contiguous float32 row from its statistics, on [begin, end). */
typedef struct {
    const float *x;
    float *y;
    double m, scale, log_total;
    int take_log;
} ma_row_output;

MA_CLONES static void ma_row_output_f(void *context, npy_intp begin, npy_intp end) {
    const ma_row_output *o = (const ma_row_output *)context;
    const float *restrict v = o->x;
    float *restrict w = o->y;
    const double m = o->m, scale = o->scale, log_total = o->log_total;
    if (o->take_log) {
        for (npy_intp i = begin; i < end; i++) w[i] = (float)(((double)v[i] - m) - log_total);
    } else {
        for (npy_intp i = begin; i < end; i++) {
            double d = (double)v[i] - m;
            double e = ma_exp(ma_clamp(d, -700.0, 0.0));
            w[i] = (float)((d != d ? d : e) * scale);
        }
    }
}

static inline double ma_log_total(ma_row row) {
    return row.count == 1.0 ? log1p(row.rest) : log(row.count + row.rest);
}

#define MA_ROW_KERNELS(SUFFIX, TYPE, TO_TYPE)                                                \
    static ma_row stats_##SUFFIX(const char *x, npy_intp xs, npy_intp n) {                   \
        ma_row row = {-INFINITY, 0.0, 0.0};                                                  \
        for (npy_intp i = 0; i < n; i++) {                                                   \
            TYPE v;                                                                          \
            memcpy(&v, x + i * xs, sizeof v);                                                \
            row.max = (double)v > row.max ? (double)v : row.max;                             \
        }                                                                                    \
        for (npy_intp first = 0; first < n; first += MA_SEGMENT) {                           \
            double rest[8] = {0, 0, 0, 0, 0, 0, 0, 0}, count[8] = {0, 0, 0, 0, 0, 0, 0, 0};  \
            npy_intp last = n - first < MA_SEGMENT ? n : first + MA_SEGMENT;                 \
            for (npy_intp i = first; i < last; i++) {                                        \
                TYPE v;                                                                      \
                memcpy(&v, x + i * xs, sizeof v);                                            \
                rest[(i - first) % 8] += ma_rest_term((double)v, row.max);                   \
                count[(i - first) % 8] += (double)v == row.max;                              \
            }                                                                                \
            row.rest += ma_lanes(rest);                                                      \
            row.count += ma_lanes(count);                                                    \
        }                                                                                    \
        return row;                                                                          \
    }                                                                                        \
    static void softmax_row_##SUFFIX(const char *x, npy_intp xs, char *y, npy_intp ys,       \
                                     npy_intp n, int take_log, int parallel) {               \
        int fast = MA_VECTOR_ROWS && sizeof(TYPE) == sizeof(float) && xs == sizeof(float);   \
        ma_row row = fast ? ma_row_stats_f((const float *)x, n) : stats_##SUFFIX(x, xs, n);  \
        const double log_total = ma_log_total(row), scale = 1.0 / (row.count + row.rest);    \
        if (fast && ys == sizeof(float) && x != y) {                                         \
            ma_row_output o = {(const float *)x, (float *)y, row.max, scale, log_total,      \
                               take_log};                                                    \
            ma_run_chunks(ma_row_output_f, &o, n, MA_GRAIN, parallel && n >= MA_PARALLEL_FROM); \
            return;                                                                          \
        }                                                                                    \
        for (npy_intp i = 0; i < n; i++) {                                                   \
            TYPE v;                                                                          \
            memcpy(&v, x + i * xs, sizeof v);                                                \
            double d = (double)v - row.max;                                                  \
            double e = ma_exp(ma_clamp(d, -700.0, 0.0));                                     \
            v = take_log ? TO_TYPE(d - log_total) : TO_TYPE((d != d ? d : e) * scale);       \
            memcpy(y + i * ys, &v, sizeof v);                                                \
        }                                                                                    \
    }                                                                                        \
    typedef struct {                                                                         \
        char **args;                                                                         \
        const npy_intp *dims, *steps;                                                        \
        int take_log;                                                                        \
    } rows_##SUFFIX;                                                                         \
    static void rows_range_##SUFFIX(void *context, npy_intp begin, npy_intp end) {           \
        const rows_##SUFFIX *r = (const rows_##SUFFIX *)context;                             \
        for (npy_intp i = begin; i < end; i++)                                               \
            softmax_row_##SUFFIX(r->args[0] + i * r->steps[0], r->steps[2],                  \
                                 r->args[1] + i * r->steps[1], r->steps[3], r->dims[1],      \
                                 r->take_log, 0);                                            \
        feclearexcept(FE_ALL_EXCEPT);                                                        \
    }                                                                                        \
    static void rows_##SUFFIX##_run(char **args, const npy_intp *dims, const npy_intp *steps, \
                                    int take_log) {                                          \
        npy_intp rows = dims[0], n = dims[1];                                                \
        if (n >= MA_PARALLEL_FROM || rows == 1) { /* long rows: threads inside each */       \
            for (npy_intp i = 0; i < rows; i++)                                              \
                softmax_row_##SUFFIX(args[0] + i * steps[0], steps[2], args[1] + i * steps[1], \
                                     steps[3], n, take_log, 1);                              \
        } else { /* short rows: rows on threads */                                           \
            rows_##SUFFIX r = {args, dims, steps, take_log};                                 \
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
    }

MA_ROW_KERNELS(f, float, MA_AS_FLOAT)
#if MA_HAVE_HALF
MA_ROW_KERNELS(e, ma_half, ma_to_half)
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
static PyUFuncGenericFunction softplus_loops[] = {softplus_e, softplus_f};
static char softplus_types[] = {NPY_HALF,  NPY_DOUBLE, NPY_DOUBLE, NPY_HALF,
                                NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
static PyUFuncGenericFunction elu_loops[] = {elu_e, elu_f};
static PyUFuncGenericFunction relu_loops[] = {relu_e, relu_f, relu_d};
static char relu_types[] = {NPY_HALF, NPY_HALF, NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction leaky_relu_loops[] = {leaky_relu_e, leaky_relu_f, leaky_relu_d};
static char leaky_relu_types[] = {NPY_HALF,   NPY_DOUBLE, NPY_HALF,  NPY_FLOAT, NPY_DOUBLE,
                                  NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
#define MA_NEXACT 3
static PyUFuncGenericFunction softmax_loops[] = {softmax_e, softmax_f};
static PyUFuncGenericFunction log_softmax_loops[] = {log_softmax_e, log_softmax_f};
static char softmax_types[] = {NPY_HALF, NPY_HALF, NPY_FLOAT, NPY_FLOAT};
static char elu_types[] = {NPY_HALF,  NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_HALF,
                           NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
#else
#define MA_NTYPES 1
#define MA_UNARY(NAME)                                          \
    static PyUFuncGenericFunction NAME##_loops[] = {NAME##_f}; \
    static char NAME##_types[] = {NPY_FLOAT, NPY_FLOAT};
static PyUFuncGenericFunction softplus_loops[] = {softplus_f};
static char softplus_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
static PyUFuncGenericFunction elu_loops[] = {elu_f};
static PyUFuncGenericFunction relu_loops[] = {relu_f, relu_d};
static char relu_types[] = {NPY_FLOAT, NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE};
static PyUFuncGenericFunction leaky_relu_loops[] = {leaky_relu_f, leaky_relu_d};
static char leaky_relu_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_FLOAT,
                                  NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE};
#define MA_NEXACT 2
static PyUFuncGenericFunction softmax_loops[] = {softmax_f};
static PyUFuncGenericFunction log_softmax_loops[] = {log_softmax_f};
static char softmax_types[] = {NPY_FLOAT, NPY_FLOAT};
static char elu_types[] = {NPY_FLOAT, NPY_DOUBLE, NPY_DOUBLE, NPY_DOUBLE, NPY_FLOAT};
#endif

MA_UNARY(sigmoid)
MA_UNARY(silu)
MA_UNARY(gelu)
MA_UNARY(gelu_tanh)
MA_UNARY(mish)

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
    if (add_ufunc(module, "sigmoid", sigmoid_loops, sigmoid_types, MA_NTYPES, 1,
                  "sigmoid(x)") < 0 ||
        add_ufunc(module, "silu", silu_loops, silu_types, MA_NTYPES, 1, "silu(x)") < 0 ||
        add_ufunc(module, "gelu", gelu_loops, gelu_types, MA_NTYPES, 1, "exact GELU(x)") < 0 ||
        add_ufunc(module, "gelu_tanh", gelu_tanh_loops, gelu_tanh_types, MA_NTYPES, 1,
                  "tanh GELU(x)") < 0 ||
        add_ufunc(module, "mish", mish_loops, mish_types, MA_NTYPES, 1, "mish(x)") < 0 ||
        add_ufunc(module, "softplus", softplus_loops, softplus_types, MA_NTYPES, 3,
                  "softplus(x, beta, threshold)") < 0 ||
        add_ufunc(module, "elu", elu_loops, elu_types, MA_NTYPES, 4,
                  "elu(x, negcoef, poscoef, input_scale)") < 0 ||
        add_ufunc(module, "relu", relu_loops, relu_types, MA_NEXACT, 1, "relu(x)") < 0 ||
        add_ufunc(module, "leaky_relu", leaky_relu_loops, leaky_relu_types, MA_NEXACT, 2,
                  "leaky_relu(x, slope)") < 0 ||
        add_gufunc(module, "softmax", softmax_loops, softmax_types, MA_NTYPES,
                   "softmax(x) along the last axis (axes= for another)") < 0 ||
        add_gufunc(module, "log_softmax", log_softmax_loops, softmax_types, MA_NTYPES,
                   "log_softmax(x) along the last axis (axes= for another)") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "HALF", MA_HAVE_HALF) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
