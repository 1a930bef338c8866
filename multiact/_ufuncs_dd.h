/* multiact._ufuncs: double-word arithmetic, and the float64 activations built on it.
 *
 * A float64 result rounded once from an intermediate with about 2^-58 relative error is
 * within 1 ULP of the exact value (and nearly always the correctly rounded one); computed in
 * plain double, one exp, one division and one product are three roundings, 2 ULP and more
 * (and hundreds of ULPs where a rounded argument feeds exp: 1.702 x, the tanh GELU's cubic).
 * So the float64 loops carry their intermediates as double words, hi + lo with |lo| at most
 * half an ULP of hi (Dekker, Knuth; the error-free products by fma, which every clone of these
 * loops has in hardware but the baseline one), and round once at the end. The float16 and
 * float32 loops of xielu call these too: its negative side cancels without bound near its
 * root. (tanhshrink and squareplus have plain-double versions for them.)
 *
 * Included by _ufuncs.c, after its ma_bits_to_double, ma_clamp, ma_exp and ma_log1p_fraction. */

typedef struct {
    double hi, lo;
} ma_dd;

MA_INLINE ma_dd ma_dd_of(double hi, double lo) {
    ma_dd r = {hi, lo};
    return r;
}

/* a + b exactly, for |a| >= |b| (or a zero). */
MA_INLINE ma_dd ma_fast_two_sum(double a, double b) {
    double s = a + b;
    return ma_dd_of(s, b - (s - a));
}

/* a + b exactly, for any a, b. */
MA_INLINE ma_dd ma_two_sum(double a, double b) {
    double s = a + b, v = s - a;
    return ma_dd_of(s, (a - (s - v)) + (b - v));
}

/* a b exactly (fma gives the product's rounding error). */
MA_INLINE ma_dd ma_two_prod(double a, double b) {
    double p = a * b;
    return ma_dd_of(p, __builtin_fma(a, b, -p));
}

MA_INLINE ma_dd ma_dd_add(ma_dd a, ma_dd b) {
    ma_dd s = ma_two_sum(a.hi, b.hi);
    return ma_fast_two_sum(s.hi, s.lo + (a.lo + b.lo));
}

MA_INLINE ma_dd ma_dd_add_d(ma_dd a, double b) {
    ma_dd s = ma_two_sum(a.hi, b);
    return ma_fast_two_sum(s.hi, s.lo + a.lo);
}

MA_INLINE ma_dd ma_dd_mul(ma_dd a, ma_dd b) {
    ma_dd p = ma_two_prod(a.hi, b.hi);
    return ma_fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

MA_INLINE ma_dd ma_dd_mul_d(ma_dd a, double b) {
    ma_dd p = ma_two_prod(a.hi, b);
    return ma_fast_two_sum(p.hi, p.lo + a.lo * b);
}

/* a / b: the quotient, and the remainder's share of it. */
MA_INLINE ma_dd ma_dd_div(ma_dd a, ma_dd b) {
    double q = a.hi / b.hi;
    double r = __builtin_fma(-q, b.hi, a.hi) + a.lo - q * b.lo;
    return ma_fast_two_sum(q, r / b.hi);
}

/* x times a double word c, rounded once; x c.hi for an infinite x (inf * c.lo could be NaN)
 * and a zero one (-0.0 * c.lo may be +0.0, and -0.0 + +0.0 is +0.0). */
MA_INLINE double ma_times_dd(double x, ma_dd c) {
    double y = __builtin_fma(x, c.hi, x * c.lo);
    return x - x != 0 || x == 0 ? x * c.hi : y;
}

/* 2^k for an integer k in [-1022, 1023], built in the exponent bits (branch-free). */
MA_INLINE double ma_pow2(double k) {
    uint64_t bits = ma_double_to_bits(k + 0x1.8p52); /* k in the low bits */
    return ma_bits_to_double((bits + 1023) << 52);
}

/* y 2^k, k an integer: exact, or rounded once where it is subnormal; 0 from k = -2100 down
 * (the callers' "underflowed" mark). Two factors, as 2^k alone may not be a double. */
MA_INLINE double ma_ldexp(double y, double k) {
    double kc = ma_clamp(k, -2000.0, 2000.0);
    double k1 = trunc(kc * 0.5);
    double scaled = y * ma_pow2(k1) * ma_pow2(kc - k1);
    return k <= -2000.0 ? y * 0.0 : scaled; /* 2^-2000 would not take y = 1e308 to 0 */
}

/* x + xl = k ln2 + r, k an integer (in *k), |r| <= ln2 / 2 carried as a double word: ln2 in
 * two parts, k ln2's high part an exact product and x - it exact (Sterbenz). */
MA_INLINE ma_dd ma_reduce_dd(double x, double xl, double *k) {
    const double shifter = 0x1.8p52;
    double kd = (x * 1.4426950408889634 + shifter) - shifter;
    ma_dd p = ma_two_prod(kd, 0x1.62e42fefa39efp-1);
    *k = kd;
    return ma_two_sum(x - p.hi, xl - p.lo - kd * 0x1.abc9e3b39803fp-56);
}

/* e^(x + xl) as m 2^k: m a double word near 1 (in [0.7, 1.42]) with relative error about
 * 2^-62, k an integer in *k. For -800 <= x <= 710 (callers clamp) and |xl| tiny beside x.
 * From ma_reduce_dd's r, e^r = 1 + r + r^2/2 + r^3/6 + r^4 q(r),
 * r^2/2 and r^3/6 double words and q the Taylor series to r^11/15! (truncation below 2^-64
 * for |r| <= ln2/2): the 2^-62 matters where a result cancels (xielu near its root). */
MA_INLINE ma_dd ma_exp_dd(double x, double xl, double *k) {
    ma_dd r = ma_reduce_dd(x, xl, k);
    double q = 1.0 / 1307674368000.0;
    q = q * r.hi + 1.0 / 87178291200.0;
    q = q * r.hi + 1.0 / 6227020800.0;
    q = q * r.hi + 1.0 / 479001600.0;
    q = q * r.hi + 1.0 / 39916800.0;
    q = q * r.hi + 1.0 / 3628800.0;
    q = q * r.hi + 1.0 / 362880.0;
    q = q * r.hi + 1.0 / 40320.0;
    q = q * r.hi + 1.0 / 5040.0;
    q = q * r.hi + 1.0 / 720.0;
    q = q * r.hi + 1.0 / 120.0;
    q = q * r.hi + 1.0 / 24.0;
    ma_dd square = ma_two_prod(r.hi, r.hi);
    ma_dd cube = ma_dd_mul_d(square, r.hi);
    double sixth = cube.hi * (1.0 / 6.0);
    double sixth_lo = (__builtin_fma(-sixth, 6.0, cube.hi) + cube.lo) * (1.0 / 6.0);
    /* The small terms: r's low part (times 1 + r), square's low part / 2, sixth's, r^4 q. */
    double small = r.lo + r.hi * r.lo + 0.5 * square.lo + sixth_lo + square.hi * square.hi * q;
    ma_dd s = ma_fast_two_sum(1.0, r.hi);
    ma_dd u = ma_two_sum(s.hi, 0.5 * square.hi);
    ma_dd v = ma_two_sum(u.hi, sixth);
    return ma_fast_two_sum(v.hi, s.lo + u.lo + v.lo + small);
}

/* m 2^k as a double word, 0 where 2^k is below the normal range (callers need it only beside
 * 1 or 2, where such a value is nothing). */
MA_INLINE ma_dd ma_scaled(ma_dd m, double k) {
    double scale = k < -1022.0 ? 0.0 : ma_pow2(ma_clamp(k, -1022.0, 1023.0));
    return ma_dd_of(m.hi * scale, m.lo * scale);
}

/* e^x - 1 for -800 <= x <= 0 (callers clamp), as a double word: 2^k m - 1, whose leading part
 * is exact (m's high part is 1 + r.hi rounded: for k = 0, r itself comes back). */
MA_INLINE ma_dd ma_expm1_dd(double x) {
    double k;
    ma_dd m = ma_exp_dd(x, 0.0, &k);
    ma_dd e = ma_scaled(m, k);
    ma_dd d = ma_two_sum(e.hi, -1.0);
    return ma_fast_two_sum(d.hi, d.lo + e.lo);
}

/* sigmoid(t), t = th + tl, as z 2^k (z a double word, *k = 0 from t = 0 up): 1 / (1 + e) above
 * 0 and e / (1 + e) below, e = e^-|t|. Below t = -760 the value is below any subnormal: *k is
 * -2100 there (ma_ldexp gives 0). Callers put NaN back. */
MA_INLINE ma_dd ma_sigmoid_dd(double th, double tl, double *k) {
    int negative = th < 0;
    double u = -fabs(th), ul = negative ? tl : -tl;
    double uc = ma_clamp(u, -800.0, 0.0);
    double ke;
    ma_dd m = ma_exp_dd(uc, u < -800.0 ? 0.0 : ul, &ke);
    ma_dd e = ma_scaled(m, ke);
    ma_dd one_plus = ma_fast_two_sum(1.0, e.hi);
    one_plus.lo += e.lo;
    ma_dd z = ma_dd_div(negative ? m : ma_dd_of(1.0, 0.0), one_plus);
    *k = negative ? (u < -760.0 ? -2100.0 : ke) : 0.0;
    return z;
}

/* v t, v times sigmoid(t) rounded once (t = th + tl). */
MA_INLINE double ma_times_sigmoid_dd(double v, double th, double tl) {
    double k;
    ma_dd z = ma_sigmoid_dd(th, tl, &k);
    return ma_ldexp(ma_times_dd(v, z), k);
}

MA_INLINE double ma_sigmoid_d(double x) {
    double y = ma_times_sigmoid_dd(1.0, x, 0.0);
    return x != x ? x : y;
}

MA_INLINE double ma_silu_d(double x) {
    double y = ma_times_sigmoid_dd(x, x, 0.0);
    y = x == -INFINITY ? NAN : y; /* -inf * 0, as PyTorch */
    return x != x ? x : y;
}

/* glu: a sigmoid(b); NaN for an infinite a where PyTorch's 1 / (1 + e^-b) has e^-b = inf
 * (b below -log(DBL_MAX)), as inf * 0. */
MA_INLINE double ma_glu_d(double a, double b) {
    double y = ma_times_sigmoid_dd(a, b, 0.0);
    y = a - a != 0 && a == a && b < -709.782712893384 ? NAN : y;
    return b != b ? b : y;
}

/* x sigmoid(1.702 x), 1.702 the decimal (a double word), -0.0 at -inf. */
MA_INLINE double ma_quick_gelu_d(double x) {
    double c = ma_clamp(x, -1000.0, 1000.0);
    ma_dd t = ma_two_prod(c, 0x1.b3b645a1cac08p+0);
    double y = ma_times_sigmoid_dd(x, t.hi, t.lo + c * 0x1.89374bc6a7efap-55);
    y = x == -INFINITY ? -0.0 : y;
    return x != x ? x : y;
}

/* The tanh GELU, x sigmoid(2u): 2u = 2 sqrt(2/pi) (c + 0.044715 c^3), c = x clipped to +-100,
 * every constant and product a double word. */
MA_INLINE double ma_gelu_tanh_d(double x) {
    double c = ma_clamp(x, -100.0, 100.0);
    ma_dd cube = ma_dd_mul_d(ma_two_prod(c, c), c);
    ma_dd inner = ma_dd_add_d(ma_dd_mul(cube, ma_dd_of(0x1.6e4e26d4801f7p-5, 0x1.441355475a31ap-59)), c);
    ma_dd t = ma_dd_mul(inner, ma_dd_of(0x1.9884533d43651p+0, -0x1.cbc0d30ebfd15p-54));
    double y = ma_times_sigmoid_dd(x, t.hi, t.lo);
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* mish = x n / (n + 2), n = e (e + 2), e = e^x; x from 40 up (the factor is 1 to 2^-110), and
 * x e^x below -40 (the factor's (2 + e) / (2 + 2e + e^2) is 1 to 2^-60), as m 2^k times x. */
MA_INLINE double ma_mish_d(double x) {
    double k;
    ma_dd m = ma_exp_dd(ma_clamp(x, -800.0, 40.0), 0.0, &k);
    ma_dd e = ma_scaled(m, k);
    ma_dd n = ma_dd_mul(e, ma_dd_add_d(e, 2.0));
    ma_dd q = ma_dd_div(n, ma_dd_add_d(n, 2.0));
    double y = x < -40.0 ? ma_ldexp(ma_times_dd(x, m), x < -800.0 ? -2100.0 : k)
                         : ma_times_dd(x, q);
    y = x > 40.0 ? x : y;
    y = x == -INFINITY ? NAN : y;
    return x != x ? x : y;
}

/* log1p(e) for 0 <= e.hi <= 1: ma_log1p_fraction (relative error 1.3e-15), then one Newton
 * step on e^L = 1 + e with e^L as a double word: L to about 2^-58. */
MA_INLINE ma_dd ma_log1p_dd(ma_dd e) {
    double l0 = ma_log1p_fraction(e.hi);
    double k;
    ma_dd m = ma_exp_dd(l0, 0.0, &k);
    ma_dd v = ma_scaled(m, k); /* in [1, 2]: v.hi - 1 is exact */
    ma_dd excess = ma_two_sum(v.hi - 1.0, -e.hi);   /* e^L0 - (1 + e) */
    double residual = excess.hi + (excess.lo + v.lo - e.lo);
    return ma_fast_two_sum(l0, -residual / (1.0 + e.hi));
}

/* softplus (PyTorch's): x where x beta (rounded, as PyTorch compares it) > threshold, else
 * log1p(e^(x beta)) / beta = (max(t, 0) + log1p(e^-|t|)) / beta, t = x beta exact; e^t / beta
 * in the left tail, where e^t leaves the normal range. */
MA_INLINE double ma_softplus_d(double x, double beta, double threshold) {
    ma_dd t = ma_two_prod(x, beta);
    double u = -fabs(t.hi), ul = t.hi < 0 ? t.lo : -t.lo;
    double k;
    ma_dd m = ma_exp_dd(ma_clamp(u, -800.0, 0.0), u < -800.0 ? 0.0 : ul, &k);
    ma_dd l = ma_log1p_dd(ma_scaled(m, k));
    ma_dd total = t.hi > 0 ? ma_dd_add(t, l) : l;
    double q = total.hi / beta;
    double y = q + (__builtin_fma(-q, beta, total.hi) + total.lo) / beta;
    /* Below t = -700, log1p(e^t) is e^t to 2^-1000, and e^t is m 2^k (subnormal from -708). */
    y = t.hi < -700.0 ? ma_ldexp(m.hi / beta, u < -800.0 ? -2100.0 : k) : y;
    y = t.hi > threshold || t.hi == INFINITY ? x : y; /* x beta = inf: x itself */
    return t.hi != t.hi ? t.hi : y;
}

MA_INLINE double ma_softplus_default_d(double x) { return ma_softplus_d(x, 1.0, 20.0); }

/* selu with its constants' decimal digits (_constants.SELU_*_DIGITS) as double words:
 * scale x above 0, scale alpha expm1(x) at and below it. */
MA_INLINE double ma_selu_d(double x) {
    ma_dd em1 = ma_expm1_dd(ma_clamp(x, -800.0, 0.0));
    double negative = ma_dd_mul(em1, ma_dd_of(0x1.c212cc640f031p+0, 0x1.05161b045a1fep-56)).hi;
    double y = x > 0 ? ma_times_dd(x, ma_dd_of(0x1.0cfabd6a91132p+0, 0x1.6fc7d272f2695p-55))
                     : negative;
    y = x == 0 ? x : y;
    return x != x ? x : y;
}

/* tanhshrink = x - tanh(x), odd, +0.0 at both zeros (PyTorch's x - tanh(x)). |x| < 0.5: the
 * Taylor series |x|^3 (1/3 + t P(t)), t = x^2 (terms to t^18: below 2^-60 at |x| = 0.5), 1/3
 * and |x|^3 double words; above: (|x| - 1) + 2e / (1 + e), e = e^(-2|x|) (|x| - 1 exact; they
 * cancel 14-fold at most, at 0.5). */
/* (x - tanh x - x^3/3) / x^5 for t = x^2 <= 1/4, as a polynomial in t (to t^17). */
MA_INLINE double ma_tanhshrink_tail(double t) {
    double p = 0x1.eb3229047434cp-26;
    p = p * t + -0x1.2efe8db3aff1fp-24;
    p = p * t + 0x1.75cde6563fed9p-23;
    p = p * t + -0x1.cd299de4ae6bbp-22;
    p = p * t + 0x1.1c77df95c1c0dp-20;
    p = p * t + -0x1.5ef2da474e5b7p-19;
    p = p * t + 0x1.b0f72d3ee24e9p-18;
    p = p * t + -0x1.0b132d39a6050p-16;
    p = p * t + 0x1.497d8eea25259p-15;
    p = p * t + -0x1.967e18afcafadp-14;
    p = p * t + 0x1.f57d7734d1664p-13;
    p = p * t + -0x1.3558248036744p-11;
    p = p * t + 0x1.7da36452b75e3p-10;
    p = p * t + -0x1.d6d3d0e157de0p-9;
    p = p * t + 0x1.226e355e6c23dp-7;
    p = p * t + -0x1.664f4882c10fap-6;
    p = p * t + 0x1.ba1ba1ba1ba1cp-5;
    return p * t + -0x1.1111111111111p-3;
}

MA_INLINE double ma_tanhshrink_d(double x) {
    double a = fabs(x);
    double t = a * a;
    double p = ma_tanhshrink_tail(t);
    ma_dd factor = ma_dd_add_d(ma_dd_of(0x1.5555555555555p-2, 0x1.5555555555555p-56), p * t);
    double series = ma_dd_mul(ma_dd_mul_d(ma_two_prod(a, a), a), factor).hi;
    double k;
    ma_dd m = ma_exp_dd(ma_clamp(-2.0 * a, -800.0, 0.0), 0.0, &k);
    ma_dd e = ma_scaled(m, k);
    ma_dd ratio = ma_dd_div(ma_dd_of(2.0 * e.hi, 2.0 * e.lo), ma_dd_add_d(e, 1.0));
    double large = ma_dd_add_d(ratio, a - 1.0).hi;
    double y = a < 0.5 ? series : large;
    y = a == INFINITY ? a : y;
    y = copysign(y, x) + 0.0;
    return x != x ? x : y;
}

/* The same for float16 and float32, in plain double: the series' and the exp form's errors
 * (a few units of 2^-53, times 14 at most where the exp form cancels) are far below a float32
 * rounding's. */
MA_INLINE double ma_tanhshrink(double x) {
    double a = fabs(x);
    double t = a * a;
    double series = a * t * (1.0 / 3.0 + t * ma_tanhshrink_tail(t));
    double e = ma_exp(ma_clamp(-2.0 * a, -700.0, 0.0));
    double large = (a - 1.0) + 2.0 * e / (1.0 + e);
    double y = a < 0.5 ? series : large;
    y = a == INFINITY ? a : y;
    y = copysign(y, x) + 0.0;
    return x != x ? x : y;
}

/* squareplus = (x + h) / 2, h = sqrt(x^2 + b) (b >= 0), from 0 up; b / (2 (h + |x|)) below
 * (no cancellation); h a double word (one correction of sqrt's rounding), x scaled by 2^-600
 * beyond 2^500 so that x^2 cannot overflow. */
MA_INLINE double ma_squareplus_d(double x, double b) {
    double a = fabs(x);
    int huge = a > 0x1p500;
    double sc = huge ? 0x1p-600 : 1.0, inv = huge ? 0x1p600 : 1.0;
    double as = a * sc;
    ma_dd s = ma_dd_add_d(ma_two_prod(as, as), b * sc * sc);
    double r = sqrt(s.hi);
    double correction = (__builtin_fma(-r, r, s.hi) + s.lo) / (2.0 * r);
    ma_dd h = ma_fast_two_sum(r, r > 0 ? correction : 0.0); /* x = b = 0: r = 0 */
    /* Where x^2 underflows (|x| below 1e-154) and b is as small, h is |x| itself. */
    h = as > r ? ma_dd_of(as, 0.0) : h;
    ma_dd sum = ma_dd_add_d(h, as);
    double right = sum.hi * 0.5 * inv;
    double left = ma_dd_div(ma_dd_of(b, 0.0), ma_dd_of(2.0 * sum.hi, 2.0 * sum.lo)).hi * sc;
    left = sum.hi > 0 ? left : 0.0; /* b = 0 at x = 0 */
    double y = x < 0 ? left : right;
    y = x == INFINITY ? x : y;
    y = x == -INFINITY ? 0.0 : y;
    return x != x ? x : y;
}

/* e^x - 1 for -800 <= x <= 0 to about 2^-100 (absolute), for xielu, whose negative side
 * cancels without bound near its root: e^r - 1 = r (1 + r (1/2 + r (1/6 + ... + r (1/7! +
 * r p(r))))), the terms to 1/7! in double words and p (1/8! on, to 1/22!) in double; then
 * (2^k - 1) + 2^k (e^r - 1), 2^k - 1 an exact double word. */
MA_INLINE ma_dd ma_expm1_precise(double x) {
    double kd;
    ma_dd r = ma_reduce_dd(x, -0.0, &kd); /* -0.0 - p.lo is -p.lo, zeros' signs included */
    double t = 8.896791392450574e-22;
    t = t * r.hi + 1.9572941063391263e-20;
    t = t * r.hi + 4.110317623312165e-19;
    t = t * r.hi + 8.22063524662433e-18;
    t = t * r.hi + 1.5619206968586225e-16;
    t = t * r.hi + 2.8114572543455206e-15;
    t = t * r.hi + 4.779477332387385e-14;
    t = t * r.hi + 7.647163731819816e-13;
    t = t * r.hi + 1.1470745597729725e-11;
    t = t * r.hi + 1.6059043836821613e-10;
    t = t * r.hi + 2.08767569878681e-09;
    t = t * r.hi + 2.505210838544172e-08;
    t = t * r.hi + 2.755731922398589e-07;
    t = t * r.hi + 2.7557319223985893e-06;
    t = t * r.hi + 2.48015873015873e-05;
    ma_dd e = ma_dd_of(t, 0.0);
    e = ma_dd_add(ma_dd_mul(e, r), ma_dd_of(0x1.a01a01a01a01ap-13, 0x1.a01a01a01a01ap-73));
    e = ma_dd_add(ma_dd_mul(e, r), ma_dd_of(0x1.6c16c16c16c17p-10, -0x1.f49f49f49f49fp-65));
    e = ma_dd_add(ma_dd_mul(e, r), ma_dd_of(0x1.1111111111111p-7, 0x1.1111111111111p-63));
    e = ma_dd_add(ma_dd_mul(e, r), ma_dd_of(0x1.5555555555555p-5, 0x1.5555555555555p-59));
    e = ma_dd_add(ma_dd_mul(e, r), ma_dd_of(0x1.5555555555555p-3, 0x1.5555555555555p-57));
    e = ma_dd_add_d(ma_dd_mul(e, r), 0.5);
    e = ma_dd_add_d(ma_dd_mul(e, r), 1.0);
    e = ma_dd_mul(e, r); /* e^r - 1 */
    double scale = ma_pow2(ma_clamp(kd, -1022.0, 0.0));
    scale = kd < -1022.0 ? 0.0 : scale;
    ma_dd minus_one = ma_two_sum(-1.0, scale);
    return ma_dd_add(minus_one, ma_dd_of(e.hi * scale, e.lo * scale));
}

/* The same for float16 and float32 in plain double: x^2 is exact there, and cannot overflow;
 * four roundings of 2^-53 are far below a float32 rounding's. */
MA_INLINE double ma_squareplus(double x, double b) {
    double a = fabs(x);
    double h = sqrt(a * a + b);
    double right = 0.5 * (x + h);
    double left = b / (2.0 * (h + a)); /* h + a > 0 where x < 0 */
    double y = x < 0 ? left : right;
    return x != x ? x : y;
}

/* xIELU: x (alpha_p x + beta) above 0; alpha_n expm1(min(x, eps)) + (beta - alpha_n) x at and
 * below (they cancel near a root of the negative side: every part a double word). Where the
 * plain double value overflows, that (the exact value is beyond the max too); at +-inf the
 * limits (_catalog's _xielu_limits). */
MA_INLINE double ma_xielu(double x, double ap, double an, double beta, double eps) {
    ma_dd right = ma_dd_mul_d(ma_dd_add_d(ma_two_prod(ap, x), beta), x);
    double xm = ma_clamp(x < eps ? x : eps, -800.0, 0.0);
    ma_dd slope = ma_two_sum(beta, -an);
    ma_dd left = ma_dd_add(ma_dd_mul_d(ma_expm1_precise(xm), an), ma_dd_mul_d(slope, x));
    double plain = x > 0 ? x * (ap * x + beta) : (beta - an) * x; /* |an expm1| <= |an| */
    double y = x > 0 ? right.hi : left.hi;
    y = fabs(plain) > DBL_MAX ? plain : y;
    /* The limits as products with x = +-inf, where those are not inf * 0 (selections of
     * products, not of constants: GCC then vectorises the loop). */
    double at_inf = ap * x;
    at_inf = at_inf == at_inf ? at_inf : beta * x;
    at_inf = at_inf == at_inf ? at_inf : 0.0;
    double at_minus_inf = (beta - an) * x;
    at_minus_inf = at_minus_inf == at_minus_inf ? at_minus_inf : -an;
    y = x == INFINITY ? at_inf : y;
    y = x == -INFINITY ? at_minus_inf : y;
    return x != x ? x : y;
}

/* log(1 - e^-x) (Maechler's switch at log 2), in double from libm: for float16 and float32
 * only (the float64 kernel is NumPy's). -inf at 0, NaN below. */
MA_INLINE double ma_log1mexp(double x) {
    double y = x < 0.6931471805599453 ? log(-expm1(-x)) : log1p(-exp(-x));
    y = x == 0 ? -INFINITY : y;
    return x < 0 ? NAN : y;
}
