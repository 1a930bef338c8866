/* multiact._ufuncs: the normal distribution's Phi in double words, for the float64 loops of
 * the exact GELU, x Phi(x), and of laplace, Phi((x - mu) / sigma).
 *
 * Both round once from Phi(-a) = e^(-a^2/2) R(a), a >= 0, computed as a double word with
 * relative error about 2^-61: so the float64 result is within 1 ULP of the exact value, and
 * the correctly rounded one unless it lies within about 2^-61 (relative) of a rounding tie.
 * The right side, Phi(a) = 1 - Phi(-a), is no worse (Phi(-a) <= 1/2: no cancellation).
 * Working in a rather than in erfc's x / sqrt(2) keeps the GELU's argument exact: a^2 / 2 is
 * an exact double word, so e^(-a^2/2) (ma_exp_dd, 2^-62) carries no rounding of its argument,
 * which at a = 38 would be multiplied by a^2 = 1444 (hundreds of ULPs).
 *
 * R(a) = e^(a^2/2) Phi(-a) (the Mills ratio over sqrt(2 pi): 1/2 at 0, about 1 / (a sqrt(2
 * pi)) for large a) is smooth on [0, inf) and its tail is algebraic, so one polynomial in
 * t = (a - 4) / (a + 4) (Schonfelder's variable, mapping [0, 40] onto [-1, 9/11]) covers it:
 * g(t) = R(a) (a + 4), of degree 27, relative error 2^-65.2 on [0, 40] with the coefficients
 * as stored (Chebyshev interpolation at 28 points in mpmath, 60 digits). Its monomial
 * coefficients are all below 0.81 and the terms from t^8 on are below 2^-12 of the sum, so
 * those run in plain double (their rounding: 2^-64) and the last eight Horner steps in double
 * words, t a double word too (its low part matters at the linear term). R = g(t) (1 - t) / 8,
 * as 1 / (a + 4) = (1 - t) / 8: one division in all. No table, no branch: the loops vectorise
 * (a table indexed per element would need gathers, which GCC's generic tuning does not emit).
 *
 * Included by _ufuncs.c, after _ufuncs_dd.h. */

/* Phi(-a) for a = ah + al >= 0 (a double word; al = 0 for an exact a) as P 2^k, P a double
 * word (about 0.02 to 0.71) and k an integer in *k. a is clamped to 40 (Phi(-40) is below
 * every subnormal: callers mark that as underflowed). */
MA_INLINE ma_dd ma_phi_left_dd(double ah, double al, double *k) {
    double a = ma_clamp(ah, 0.0, 40.0);
    double l = ah <= 40.0 ? al : 0.0;
    ma_dd t = ma_dd_div(ma_dd_add_d(ma_two_sum(a, -4.0), l), ma_dd_add_d(ma_two_sum(a, 4.0), l));
    double p = -0x1.22b22359dffcap-36;
    p = p * t.hi + 0x1.1b9637a349481p-37;
    p = p * t.hi + 0x1.54d490c350156p-32;
    p = p * t.hi + 0x1.ad19b1799f438p-32;
    p = p * t.hi + -0x1.b27ee8854a14fp-30;
    p = p * t.hi + -0x1.183ada92d55cap-28;
    p = p * t.hi + 0x1.89aab1e1dfdcbp-29;
    p = p * t.hi + 0x1.7e2e6bc72ffaap-26;
    p = p * t.hi + 0x1.bb18e45346da3p-27;
    p = p * t.hi + -0x1.79a680b02e1b9p-24;
    p = p * t.hi + -0x1.4d19dde781cf7p-23;
    p = p * t.hi + 0x1.257be67a1a9f8p-22;
    p = p * t.hi + 0x1.12499120b4995p-20;
    p = p * t.hi + -0x1.526401693a202p-21;
    p = p * t.hi + -0x1.8d4dfc6bf6999p-18;
    p = p * t.hi + 0x1.80d7c60d44351p-21;
    p = p * t.hi + 0x1.26d0b6fbe5216p-15;
    p = p * t.hi + -0x1.002034499719ep-19;
    p = p * t.hi + -0x1.e4a426d3500e2p-13;
    p = p * t.hi + 0x1.17a4af27be500p-13;
    ma_dd q = ma_dd_add(ma_dd_mul_d(t, p), ma_dd_of(0x1.ab825fc5dc650p-10, 0x1.7dba10b6bf627p-64));
    q = ma_dd_add(ma_dd_mul(q, t), ma_dd_of(-0x1.c81719d6785b3p-9, 0x1.e258775b5ee19p-63));
    q = ma_dd_add(ma_dd_mul(q, t), ma_dd_of(-0x1.ee2761049162ap-8, -0x1.bd8a37196f6d6p-62));
    q = ma_dd_add(ma_dd_mul(q, t), ma_dd_of(0x1.eec4cc3e4deb8p-5, 0x1.7b54d0731a138p-65));
    q = ma_dd_add(ma_dd_mul(q, t), ma_dd_of(-0x1.7dff2bff6835dp-3, -0x1.12721578c7b05p-58));
    q = ma_dd_add(ma_dd_mul(q, t), ma_dd_of(0x1.8c6dbf2cfc2aep-2, 0x1.906b54b080b92p-60));
    q = ma_dd_add(ma_dd_mul(q, t), ma_dd_of(-0x1.373e3a893c28ap-1, -0x1.cc8da4ca7d10dp-56));
    q = ma_dd_add(ma_dd_mul(q, t), ma_dd_of(0x1.82b4bb8c94dcep-1, -0x1.993a2f98dd29ep-56));
    ma_dd w = ma_dd_add_d(ma_dd_of(1.0, -t.lo), -t.hi); /* 1 - t = 8 / (a + 4) */
    ma_dd r = ma_dd_mul(q, w);
    ma_dd square = ma_dd_mul(ma_dd_of(a, l), ma_dd_of(a, l)); /* exact for l = 0 */
    ma_dd m = ma_exp_dd(-0.5 * square.hi, -0.5 * square.lo, k);
    return ma_dd_mul(m, ma_dd_of(0.125 * r.hi, 0.125 * r.lo));
}

/* The exact GELU x Phi(x): x P 2^k from the left (-0.0 below -40, where it underflows),
 * x (1 - P 2^k) from the right. PyTorch's special values: NaN at -inf (-inf * 0), inf at
 * inf; +0.0 at both zeros, as backends/numpy.py's kernel (and the float32 loop) give. */
MA_INLINE double ma_gelu_d(double x) {
    double a = fabs(x), k;
    ma_dd p = ma_phi_left_dd(a, 0.0, &k);
    ma_dd e = ma_scaled(p, k);
    ma_dd d = ma_fast_two_sum(1.0, -e.hi);
    ma_dd right = ma_fast_two_sum(d.hi, d.lo - e.lo);
    int positive = x > 0;
    double y = ma_ldexp(ma_times_dd(x, positive ? right : p), positive ? 0.0 : k);
    y = x < -40.0 ? -0.0 : y; /* a was clamped: below, x Phi(x) > -1.5e-348 */
    y = x == -INFINITY ? NAN : y;
    y = x == 0 ? 0.0 : y;
    return x != x ? x : y;
}

/* laplace = Phi(z), z = (x - mu) / sigma (sigma > 0) as a double word (x - mu exact, then the
 * quotient and its remainder's share): P 2^k at and below 0, 1 - P 2^k above. Beyond
 * |z| = 39 the value rounds to 0 or 1 (Phi(-39) < 2^-1100); there, and where x or mu is
 * infinite, z's double word is not formed (its low part would be NaN). */
MA_INLINE double ma_laplace_d(double x, double mu, double sigma) {
    double plain = (x - mu) / sigma;
    ma_dd z = ma_dd_div(ma_two_sum(x, -mu), ma_dd_of(sigma, 0.0));
    int far = fabs(plain) > 39.0;
    double zh = far ? plain : z.hi, zl = far ? 0.0 : z.lo;
    double k;
    ma_dd p = ma_phi_left_dd(fabs(zh), zh < 0 ? -zl : zl, &k);
    ma_dd e = ma_scaled(p, k);
    ma_dd d = ma_fast_two_sum(1.0, -e.hi);
    double right = d.hi + (d.lo - e.lo);
    double left = ma_ldexp(p.hi, far ? -2100.0 : k);
    double y = zh > 0 ? right : left;
    return plain != plain ? plain : y;
}
