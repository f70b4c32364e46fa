/* test_fastmath.c: zc_fast_expf / zc_fast_logf against libm (computed in
 * double and rounded) over every float exponent and the special values. */
#include <math.h>
#include <stdint.h>

#include "common/util/fastmath.h"
#include "common/util/rng.h"
#include "tests/test_util.h"

/* ulp distance of a float result from the double reference */
static double ulps(float got, double ref) {
    if (isnan(ref)) return isnan(got) ? 0 : INFINITY;
    if (isinf(ref) || isinf(got)) return (float)ref == got ? 0 : INFINITY;
    float r = (float)ref;
    if (r == got) return 0;
    double ulp = fabs((double)nextafterf(r, INFINITY) - (double)r);
    if (ulp == 0) ulp = 1.4e-45;
    return fabs((double)got - ref) / ulp;
}

int main(void) {
    zc_rng rng;
    zc_rng_seed(&rng, 5);
    double worst_exp = 0, worst_log = 0;
    /* exp over [-110, 95]: dense random sample */
    for (int i = 0; i < 2000000; i++) {
        float x = (float)(-110.0 + 205.0 * zc_rng_uniform(&rng));
        double u = ulps(zc_fast_expf(x), exp((double)x));
        if (u > worst_exp) worst_exp = u;
    }
    /* log over every exponent, denormals included */
    for (int e = -149; e < 128; e++)
        for (int k = 0; k < 4000; k++) {
            float x = (float)ldexp(1.0 + zc_rng_uniform(&rng), e);
            if (x == 0 || isinf(x)) continue;
            double u = ulps(zc_fast_logf(x), log((double)x));
            if (u > worst_log) worst_log = u;
        }
    printf("worst error: exp %.2f ulp, log %.2f ulp\n", worst_exp, worst_log);
    CHECK(worst_exp <= 2.0);
    CHECK(worst_log <= 2.0);
    /* special values */
    CHECK(isnan(zc_fast_expf(NAN)));
    CHECK(zc_fast_expf(INFINITY) == INFINITY);
    CHECK(zc_fast_expf(-INFINITY) == 0.0f);
    CHECK(zc_fast_expf(89.0f) == INFINITY);
    CHECK(zc_fast_expf(-200.0f) == 0.0f);
    CHECK(zc_fast_expf(0.0f) == 1.0f);
    CHECK(zc_fast_expf(-100.0f) > 0.0f); /* denormal result */
    CHECK(isnan(zc_fast_logf(NAN)));
    CHECK(isnan(zc_fast_logf(-1.0f)));
    CHECK(zc_fast_logf(0.0f) == -INFINITY);
    CHECK(zc_fast_logf(INFINITY) == INFINITY);
    CHECK(zc_fast_logf(1.0f) == 0.0f);
    CHECK_CLOSE(zc_fast_logf(1.4e-45f), log((double)1.4e-45f), 0, 1e-6);
    TEST_EXIT();
}
