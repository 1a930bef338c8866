/* multiact._ufuncs: the normal distribution's Phi in double words, for the float64 loops of
 * the exact GELU, x Phi(x), and laplace, Phi((x - mu) / sigma).
 *
 * Both round once from Phi(-a) = e^(-a^2/2) R(a), a >= 0, computed as a double word with
 * relative error about 2^-60: then the float64 result is within 1 ULP of the exact value, and
 * correctly rounded unless it lies within about 2^-60 (relative) of a rounding tie. The
 * right side, Phi(a) = 1 - Phi(-a), is then no worse (Phi(-a) <= 1/2: 1 - it does not cancel).
 * Working in a rather than in erfc's x / sqrt(2) keeps the GELU's argument exact: a^2 / 2 is
 * an exact double word, so e^(-a^2/2) (ma_exp_dd, 2^-62) carries no rounding of its argument,
 * which at a = 38 would be multiplied by a^2 = 1444 (hundreds of ULPs).
 *
 * R(a) = e^(a^2/2) Phi(-a), the Mills ratio over sqrt(2 pi), is entire and smooth (1/2 at 0,
 * about 1 / (a sqrt(2 pi)) for large a): on [0, 6), a polynomial of degree 14 in a - c per
 * half-unit piece; from 6 on, R(a) = h(s) / a with s = 1/a^2 (h(s) = (1 - s + 3s^2 - ...) /
 * sqrt(2 pi), the asymptotic series, which diverges but is smooth on s >= 0), a polynomial of
 * degree 14 in s - c on three pieces. The coefficients are Chebyshev interpolants fitted in
 * mpmath at 60 digits (/work/scratch/erf_gen.py), relative error at most 2^-62 with the
 * coefficients as stored: those of degree 0, 1, 2 as double words, the others as doubles (a
 * term of degree 3 or more is below 2^-7 of the sum, so its own rounding and Horner's in
 * double contribute 2^-60 at most). The last three Horner steps run in double words, with the
 * variable a double word (laplace's a, and s, are), as its low part times the linear term is
 * 2^-55 relative. One table for every piece, indexed per element, so that the loops stay
 * branch-free (GCC gathers the coefficients).
 *
 * Included by _ufuncs.c, after _ufuncs_dd.h. */

/* Per piece: the coefficients of degree 0 to 14 (high parts), then the low parts of those of
 * degree 0, 1 and 2. */
static const double ma_phi_coef[15][18] = {
    /* a in [0, 0.5) */
    {0x1.a7f808169e570p-2, -0x1.2e8651379bcf4p-2, 0x1.5c5673c8b7633p-3,
     -0x1.594f58fe06832p-4, 0x1.312c88a8f6926p-5, -0x1.eb760ca7dcdb0p-7,
     0x1.6df18a7df8754p-8, -0x1.fd64685bc5ddbp-10, 0x1.4e1b43f36b5a4p-11,
     -0x1.9fab990547c66p-13, 0x1.ed00e8eb7a09ap-15, -0x1.17de560e207c9p-16,
     0x1.315155d93c7dcp-18, -0x1.45bbd48b62b69p-20, 0x1.4a8d4282ab07fp-22,
     0x1.321648ec65d38p-56, -0x1.ec7bcb19f8bdbp-56, 0x1.74d96ac2d2fd4p-58},
    /* a in [0.5, 1) */
    {0x1.3370237bca626p-2, -0x1.63e07140d7368p-3, 0x1.5bf7f206f35bep-4,
     -0x1.2c849dfda5453p-5, 0x1.d68c6d8faac38p-7, -0x1.53aa0f1deffb0p-8,
     0x1.c990dfdb42abdp-10, -0x1.22234f02b6509p-11, 0x1.5cc3a236ae5fcp-13,
     -0x1.8f8bcf061c0f7p-15, 0x1.b628b407a965bp-17, -0x1.cda002b053d10p-19,
     0x1.d4c3fc9da5605p-21, -0x1.d1f5f046898c0p-23, 0x1.ba866be2b0597p-25,
     0x1.5b5ccb581f89cp-59, -0x1.46dad530cd19ep-60, 0x1.cfe6acecea20ep-61},
    /* a in [1, 1.5) */
    {0x1.d898de09c6f19p-3, -0x1.c49321dc9c383p-4, 0x1.7b79d1bfca9d0p-5,
     -0x1.1f33fe5ba772ap-6, 0x1.8ff2a58d03ea8p-8, -0x1.038d10ff572bfp-9,
     0x1.3cf8a3e73d453p-11, -0x1.6ed9fae9a3dffp-13, 0x1.94a90af99154bp-15,
     -0x1.ab5e83e3f8776p-17, 0x1.b1c5a2de77735p-19, -0x1.a86f29bf6fef9p-21,
     0x1.917bf00643a0fp-23, -0x1.7429864bd1458p-25, 0x1.4af573d9d130ep-27,
     0x1.d6ac48da9b5e4p-57, 0x1.c72bd2827c00ap-58, -0x1.18d062cdbff18p-59},
    /* a in [1.5, 2) */
    {0x1.7b5abd2fd03adp-3, -0x1.3253b6cdb4c64p-4, 0x1.bd45f4ef48357p-6,
     -0x1.2962f462b87d0p-7, 0x1.721ebe31cd900p-9, -0x1.b17803c2fbb25p-11,
     0x1.e145f6cbff269p-13, -0x1.fd83365ddcaedp-15, 0x1.025c8f01a7d30p-16,
     -0x1.f7e785f0fd6ebp-19, 0x1.da0624a5e8ecfp-21, -0x1.af47f32775659p-23,
     0x1.7c6ccfafb47bap-25, -0x1.493b43a451457p-27, 0x1.1260f5e7ef630p-29,
     0x1.800e52e98304cp-58, -0x1.87ee05f6e332bp-61, -0x1.aaeb5f088abd5p-60},
    /* a in [2, 2.5) */
    {0x1.3aadddf19e980p-3, -0x1.b405cc6b87d06p-5, 0x1.15aa6bd488cb1p-6,
     -0x1.49badda1251fdp-8, 0x1.70c53ca78fa4ap-10, -0x1.87595809412d9p-12,
     0x1.8c5d485b9d974p-14, -0x1.80e690c346e5dp-16, 0x1.67b72dda51130p-18,
     -0x1.448d63548a0e5p-20, 0x1.1b72a5cee822bp-22, -0x1.e04fddf23bc00p-25,
     0x1.8b9a355e4f962p-27, -0x1.401380ffb4330p-29, 0x1.f47d02025fd56p-32,
     -0x1.a4235d20a0b3bp-58, -0x1.04a3bc9388a4ap-59, 0x1.b598ee7a5030cp-62},
    /* a in [2.5, 3) */
    {0x1.0bb968cded93fp-3, -0x1.432b1910e5ccfp-5, 0x1.6c5e3c927cb84p-7,
     -0x1.838c5241004c5p-9, 0x1.87b71017320f1p-11, -0x1.7a617d69c616dp-13,
     0x1.5ee01a5145283p-15, -0x1.397eac289ba2fp-17, 0x1.0eb207ea10af5p-19,
     -0x1.c4f2c40e27b76p-22, 0x1.6ffb77939efabp-24, -0x1.22d80a948a43cp-26,
     0x1.c00c1fee712d7p-29, -0x1.536ea7cc56e78p-31, 0x1.f28851f180f2fp-34,
     0x1.188df3f4c6335p-63, -0x1.71c3a137e1834p-59, -0x1.ce91f1be3dfbep-61},
    /* a in [3, 3.5) */
    {0x1.d0b31c082543cp-4, -0x1.ef2cc76a51e03p-6, 0x1.f2f5d00e15ec7p-8,
     -0x1.dec5a1fa0055ep-10, 0x1.b7d4f1cbd69aap-12, -0x1.8481f80e0655fp-14,
     0x1.4b1e40abd94f6p-16, -0x1.111575bc2e406p-18, 0x1.b4f3440b177c3p-21,
     -0x1.53d079fbb6b56p-23, 0x1.015c9c9815121p-25, -0x1.7c3bc1059ce57p-28,
     0x1.125d6581990abp-30, -0x1.85e705cd010f6p-33, 0x1.0d52888fe6945p-35,
     -0x1.fa9e33c6acfbdp-58, -0x1.fbf98c113cd70p-61, -0x1.1f4c5106429e0p-64},
    /* a in [3.5, 4) */
    {0x1.99c2b6db3b3a0p-4, -0x1.85dc7cfbbdeadp-6, 0x1.62200d79c96f0p-8,
     -0x1.34a2573305b92p-10, 0x1.031f6ee7d045cp-12, -0x1.a48594a476360p-15,
     0x1.4aaf068e84a65p-17, -0x1.f92b66d600ffdp-20, 0x1.778ab968628e4p-22,
     -0x1.102d1073065f3p-24, 0x1.8134bb5879a41p-27, -0x1.0a7fe7f0d95b9p-29,
     0x1.68f362fcd4ea0p-32, -0x1.e1f8b94897033p-35, 0x1.399e7accee659p-37,
     -0x1.f9a402f2d631ap-59, 0x1.ebbebce6d6a44p-60, 0x1.0312f0631a955p-63},
    /* a in [4, 4.5) */
    {0x1.6e0409710781ap-4, -0x1.3a009352b6b4dp-6, 0x1.031b67492b0c1p-8,
     -0x1.9ccf90dfb5004p-11, 0x1.3e691292971f7p-13, -0x1.dccc54194f94fp-16,
     0x1.5b42ca1b6f358p-18, -0x1.ecf3f3ee5a426p-21, 0x1.5584c212f67ccp-23,
     -0x1.ce8a4dbfa2ef6p-26, 0x1.328a8399e584fp-28, -0x1.8e13737a9dd08p-31,
     0x1.fafbbf1465b39p-34, -0x1.3ea1c28a8a3e1p-36, 0x1.87415233c230cp-39,
     0x1.8b681fc4edeaep-60, -0x1.66f0c7780919ap-61, -0x1.bd5c290dbe363p-63},
    /* a in [4.5, 5) */
    {0x1.4a7249909b035p-4, -0x1.01c9be18b5115p-6, 0x1.852b7d343febep-9,
     -0x1.1cff2811f68ddp-11, 0x1.95e3ecf7591b8p-14, -0x1.19987bfa3dbd9p-16,
     0x1.7d4f33f6543dcp-19, -0x1.f89f9c9211b56p-22, 0x1.46c1bbfe36f66p-24,
     -0x1.9e93bdecef84bp-27, 0x1.01ecd7e30292bp-29, -0x1.3b066dba3963dp-32,
     0x1.7a01f896eb974p-35, -0x1.c01fd8b389299p-38, 0x1.0406dded1e612p-40,
     0x1.df2f08f62e185p-59, -0x1.7bb402a56c186p-60, -0x1.34e33b6ba72a6p-63},
    /* a in [5, 5.5) */
    {0x1.2d01fec27390ap-4, -0x1.ae369bc176e78p-7, 0x1.2ae288b7d88aep-9,
     -0x1.948dae01c7629p-12, 0x1.0b2c74356d91ap-14, -0x1.58e2231763afep-17,
     0x1.b3ab3740d6f1ep-20, -0x1.0d9a685f3d6d4p-22, 0x1.4742390f36dc8p-25,
     -0x1.85f886cc73310p-28, 0x1.c89404ec2c0bdp-31, -0x1.06cf21bbe3735p-33,
     0x1.29b3447626488p-36, -0x1.4d7b7d4290062p-39, 0x1.6e614c0f82aa8p-42,
     -0x1.015ceffeeecfdp-58, -0x1.824a079639482p-62, -0x1.d367a1fc15461p-71},
    /* a in [5.5, 6) */
    {0x1.1445a52cb7b7cp-4, -0x1.6c06b99f699dfp-7, 0x1.d419f84479c65p-10,
     -0x1.262b4c976ba47p-12, 0x1.69ddd156784f7p-15, -0x1.b43181a9dbc50p-18,
     0x1.01e140c20c8b8p-20, -0x1.2b63397b04173p-23, 0x1.558f7b8cf2d29p-26,
     -0x1.7f399331c460bp-29, 0x1.a7270c0ddfe9bp-32, -0x1.cc1f49c24c3fep-35,
     0x1.ecff403e79f99p-38, -0x1.0568aa12bb0f8p-40, 0x1.1058a352d5e55p-43,
     -0x1.debe16e94854fp-58, -0x1.1c1b7c4013cf6p-62, -0x1.35fd819325aebp-65},
    /* s = 1/a^2, a in [6, 9) */
    {0x1.90c5621e86344p-2, -0x1.6d9b104f56aacp-2, 0x1.d462dea0d251cp-1,
     -0x1.d6c5fd9c5bc4ep+1, 0x1.394739692d9bcp+4, -0x1.fd07c326a97a7p+6,
     0x1.e193ebf1f59bep+9, -0x1.014327743513bp+13, 0x1.2fd83a780ae6dp+16,
     -0x1.868abcaa7e6e3p+19, 0x1.0de9fac9fc83bp+23, -0x1.8d3d73b25cebap+26,
     0x1.354c9b652ec83p+30, -0x1.08c3db5cc7285p+34, 0x1.c6e9c912d2b03p+37,
     0x1.f450a8606d3adp-57, -0x1.96701ba90b44fp-56, -0x1.95f773f681c20p-56},
    /* s = 1/a^2, a in [9, 14) */
    {0x1.950ae04516fcdp-2, -0x1.846dd4afc14eap-2, 0x1.0ea150bbf45f3p+0,
     -0x1.30da03e8d83e8p+2, 0x1.d2f5bdc1d34adp+4, -0x1.bf22cdc4f6bf3p+7,
     0x1.fd688d53a9b67p+10, -0x1.4e2912620ae33p+14, 0x1.ed5a0dc3108e9p+17,
     -0x1.92e397e291e8ap+21, 0x1.67379b749b1a2p+25, -0x1.5a059fafd7164p+29,
     0x1.6524d0189269bp+33, -0x1.8f6216778ff09p+37, 0x1.d0d5a50a51c2bp+41,
     -0x1.99503b3285eb9p-57, -0x1.cf36109055459p-56, 0x1.64749a3781be9p-57},
    /* s = 1/a^2, a in [14, 40] */
    {0x1.975b64cc451d9p-2, -0x1.91a51b80358c1p-2, 0x1.25bbc02f2754dp+0,
     -0x1.62238a8774d7cp+2, 0x1.27af04fa6b4e4p+5, -0x1.3a1340147ab84p+8,
     0x1.9385df964b3a1p+11, -0x1.2f3a616a14e06p+15, 0x1.0446006607850p+19,
     -0x1.f55d1f93e0e8fp+22, 0x1.0b36746fa2e71p+27, -0x1.37c5a10b4c39bp+31,
     0x1.8aa163bfcb8acp+35, -0x1.0fe587b68d249p+40, 0x1.8d146109bf8c2p+44,
     -0x1.8eda080824ff5p-56, -0x1.d4c7fee7b362ep-56, 0x1.ac5fe2d703fcap-54},
};

/* The pieces' centers: c of a - c, then of s - c. */
static const double ma_phi_center[15] = {
    0x1.0000000000000p-2, 0x1.8000000000000p-1, 0x1.4000000000000p+0,
    0x1.c000000000000p+0, 0x1.2000000000000p+1, 0x1.6000000000000p+1,
    0x1.a000000000000p+1, 0x1.e000000000000p+1, 0x1.1000000000000p+2,
    0x1.3000000000000p+2, 0x1.5000000000000p+2, 0x1.7000000000000p+2,
    0x1.48b0fcd6e9e06p-6, 0x1.1ddd0a837363fp-7, 0x1.7753cd024c7c9p-9};

/* Phi(-a) for a = ah + al >= 0 (a double word; al = 0 for an exact a) as P 2^k, P a double
 * word (about 0.02 to 0.7) and k an integer in *k. a is clamped to 40 (Phi(-40) is below
 * every subnormal: callers mark that as underflowed). */
MA_INLINE ma_dd ma_phi_left_dd(double ah, double al, double *k) {
    double a = ma_clamp(ah, 0.0, 40.0);
    double l = ah <= 40.0 ? al : 0.0;
    int near = a < 6.0;
    int i = near ? (int)(2.0 * a) : (a < 9.0 ? 12 : (a < 14.0 ? 13 : 14));
    const double *c = ma_phi_coef[i];
    /* 1/a and s = 1/a^2 as double words; a at least 6 in the lanes that do not use them. */
    ma_dd inv = ma_dd_div(ma_dd_of(1.0, 0.0), ma_dd_of(near ? 6.0 : a, near ? 0.0 : l));
    ma_dd s = ma_dd_mul(inv, inv);
    ma_dd v = ma_dd_add_d(near ? ma_two_sum(a, l) : s, -ma_phi_center[i]);
    double p = c[14];
    p = p * v.hi + c[13];
    p = p * v.hi + c[12];
    p = p * v.hi + c[11];
    p = p * v.hi + c[10];
    p = p * v.hi + c[9];
    p = p * v.hi + c[8];
    p = p * v.hi + c[7];
    p = p * v.hi + c[6];
    p = p * v.hi + c[5];
    p = p * v.hi + c[4];
    p = p * v.hi + c[3];
    ma_dd q = ma_dd_add(ma_dd_mul_d(v, p), ma_dd_of(c[2], c[17]));
    q = ma_dd_add(ma_dd_mul(q, v), ma_dd_of(c[1], c[16]));
    q = ma_dd_add(ma_dd_mul(q, v), ma_dd_of(c[0], c[15]));
    ma_dd r = near ? q : ma_dd_mul(q, inv);
    ma_dd square = ma_dd_mul(ma_dd_of(a, l), ma_dd_of(a, l)); /* exact for l = 0 */
    ma_dd m = ma_exp_dd(-0.5 * square.hi, -0.5 * square.lo, k);
    return ma_dd_mul(m, r);
}

/* The exact GELU x Phi(x): x P 2^k from the left (k = -2100 below -40: underflowed, -0.0),
 * x (1 - P 2^k) from the right. PyTorch's special values: NaN at -inf (-inf * 0), inf at
 * inf; +0.0 at both zeros, as backends/numpy.py's kernel (and the float32 loop) give. */
MA_INLINE double ma_gelu_d(double x) {
    double a = fabs(x), k;
    ma_dd p = ma_phi_left_dd(a, 0.0, &k);
    ma_dd e = ma_scaled(p, k);
    ma_dd d = ma_fast_two_sum(1.0, -e.hi);
    ma_dd right = ma_fast_two_sum(d.hi, d.lo - e.lo);
    int positive = x > 0;
    double scale = positive ? 0.0 : (a > 40.0 ? -2100.0 : k);
    double y = ma_ldexp(ma_times_dd(x, positive ? right : p), scale);
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
