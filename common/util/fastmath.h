/* fastmath.h: branch-free float exp and log that the compiler can
 * vectorise (libm's expf/logf are scalar calls in a loop), for the program
 * evaluator's pointwise chains. Accuracy: within 2 ulp of libm over the
 * whole float range (tests/test_fastmath.c checks every float exponent);
 * IEEE special values as libm: exp(NaN) = NaN, exp(+inf) = +inf,
 * exp(-inf) = 0, overflow to +inf, underflow to 0 (denormal results
 * included); log(NaN) = NaN, log(+inf) = +inf, log(0) = -inf, log(x < 0) =
 * NaN, denormal inputs exact. */
#ifndef ZC_FASTMATH_H
#define ZC_FASTMATH_H

#include <stdint.h>
#include <string.h>

static inline float zc_bits_to_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t zc_float_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* zc_fast_expf: e^x. Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, a
 * degree-6 polynomial for e^r, and 2^n applied in two halves so that
 * denormal results are right. */
static inline float zc_fast_expf(float x) {
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    float xc = x > 88.7228394f ? 88.7228394f : x;
    xc = xc < -104.0f ? -104.0f : xc;
    xc = x != x ? 0.0f : xc; /* NaN: no (int32_t)NaN below (the result is x) */
    float n = (xc * log2e + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = xc - n * ln2_hi;
    r = r - n * ln2_lo;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float er = (p * r) * r + r + 1.0f;
    int32_t ni = (int32_t)n;
    int32_t n1 = ni / 2, n2 = ni - n1;
    float s1 = zc_bits_to_float((uint32_t)(n1 + 127) << 23);
    float s2 = zc_bits_to_float((uint32_t)(n2 + 127) << 23);
    float y = er * s1 * s2;
    y = x > 88.7228394f ? __builtin_inff() : y;
    y = x < -104.0f ? 0.0f : y;
    return x != x ? x : y;
}

/* zc_fast_logf: ln x. x = m 2^e with m in [sqrt(1/2), sqrt(2)); ln m by
 * the atanh series in s = (m-1)/(m+1) (odd polynomial, degree 9). */
static inline float zc_fast_logf(float x) {
    /* scale denormals into the normal range */
    int denormal = x < 1.17549435e-38f;
    float xs = denormal ? x * 8388608.0f : x; /* 2^23 */
    uint32_t u = zc_float_to_bits(xs);
    int32_t e = (int32_t)((u >> 23) & 0xff) - 127;
    float m = zc_bits_to_float((u & 0x007fffffu) | 0x3f800000u); /* [1, 2) */
    int big = m > 1.41421356f;
    m = big ? m * 0.5f : m;
    e = big ? e + 1 : e;
    e = denormal ? e - 23 : e;
    float s = (m - 1.0f) / (m + 1.0f);
    float s2 = s * s;
    float p = 0.1111111111f;
    p = p * s2 + 0.1428571492f;
    p = p * s2 + 0.2000000030f;
    p = p * s2 + 0.3333333433f;
    float lnm = 2.0f * s + 2.0f * s * s2 * p;
    float y = (float)e * 0.693147180559945f + lnm;
    y = x == 0.0f ? -__builtin_inff() : y;
    y = x < 0.0f ? __builtin_nanf("") : y;
    y = x == __builtin_inff() ? x : y;
    return x != x ? x : y;
}

/* Sums of a float array in double with 8 interleaved partial sums (a fixed
 * order, so results are deterministic; the compiler vectorises it). */
#define ZC_DEFINE_SUM(name, EXPR)                                                \
    static inline double name(const float *x, int64_t n) {                      \
        double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};                              \
        int64_t i = 0;                                                           \
        for (; i + 8 <= n; i += 8)                                               \
            for (int j = 0; j < 8; j++) {                                        \
                double v = (double)x[i + j];                                     \
                part[j] += (EXPR);                                               \
            }                                                                    \
        double tail = 0;                                                         \
        for (; i < n; i++) {                                                     \
            double v = (double)x[i];                                             \
            tail += (EXPR);                                                      \
        }                                                                        \
        return ((part[0] + part[1]) + (part[2] + part[3])) +                     \
               ((part[4] + part[5]) + (part[6] + part[7])) + tail;               \
    }
ZC_DEFINE_SUM(zc_sum_f32, v)
ZC_DEFINE_SUM(zc_sum_abs_f32, __builtin_fabs(v))
ZC_DEFINE_SUM(zc_sum_sq_f32, v * v)
#undef ZC_DEFINE_SUM

#endif
