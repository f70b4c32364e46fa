/* test_util.h: assertions for zcevo's C tests. Each failed check prints the
 * expression, file and line and counts a failure; TEST_EXIT() returns a
 * non-zero status from main when any check failed and prints the summary
 * line "N passed, M failed". */
#ifndef ZC_TEST_UTIL_H
#define ZC_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int g_test_pass = 0, g_test_fail = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) g_test_pass++;                                                 \
        else {                                                                   \
            g_test_fail++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                        \
    } while (0)

#define CHECK_MSG(cond, ...)                                                     \
    do {                                                                         \
        if (cond) g_test_pass++;                                                 \
        else {                                                                   \
            g_test_fail++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                        \
            fprintf(stderr, "\n");                                               \
        }                                                                        \
    } while (0)

/* CHECK_CLOSE: |a - b| <= atol + rtol * |b| (NaN never passes). */
#define CHECK_CLOSE(a, b, atol, rtol)                                            \
    do {                                                                         \
        double _a = (a), _b = (b);                                               \
        int _ok = fabs(_a - _b) <= (atol) + (rtol) * fabs(_b);                   \
        if (_ok) g_test_pass++;                                                  \
        else {                                                                   \
            g_test_fail++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s = %.9g vs %s = %.9g\n", __FILE__,    \
                    __LINE__, #a, _a, #b, _b);                                   \
        }                                                                        \
    } while (0)

/* rel_error: ||a - b|| / max(||b||, tiny), over n floats, in double. */
static inline double rel_error(const float *a, const float *b, long n) {
    double num = 0, den = 0;
    for (long i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * (double)b[i];
        if (a[i] != a[i]) return INFINITY;
    }
    return sqrt(num) / (den > 1e-300 ? sqrt(den) : 1e-150);
}

#define TEST_EXIT()                                                              \
    do {                                                                         \
        printf("%d passed, %d failed\n", g_test_pass, g_test_fail);              \
        return g_test_fail ? 1 : (g_test_pass ? 0 : 1);                          \
    } while (0)

#endif
