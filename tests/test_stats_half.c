/* test_stats_half.c: the half-precision form of statistics records
 * (common/stats/stats_half.h) against an independent reference: x scaled by
 * the tensor's power of two and rounded to 11 significant bits (normal
 * halfs) or to a multiple of 2^-24 (subnormals), ties to even, in double
 * arithmetic; signs kept; records and their expansion. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats/stats_half.h"
#include "common/util/rng.h"
#include "common/util/util.h"
#include "tests/test_util.h"

/* round_even: v rounded to a multiple of q (a power of two), ties to even */
static double round_even(double v, double q) {
    double r = v / q, f = floor(r), d = r - f;
    double n = d > 0.5 ? f + 1 : d < 0.5 ? f : (fmod(f, 2) == 0 ? f : f + 1);
    return n * q;
}

/* reference: what a value x of a tensor scaled by 2^-e becomes */
static double reference(float x, int e) {
    double s = ldexp((double)x, -e), a = fabs(s);
    if (a == 0) return 0;
    double r;
    if (a >= ldexp(1, -14)) {
        int k;
        frexp(a, &k);                     /* a in [2^(k-1), 2^k) */
        r = round_even(a, ldexp(1, k - 11)); /* 11 significant bits */
    } else {
        r = round_even(a, ldexp(1, -24));
        if (r == 0) r = ldexp(1, -24);    /* a non-zero value keeps its sign */
    }
    return ldexp(copysign(r, s), e);
}

int main(void) {
    zc_rng rng = zc_rng_stream(3, ZC_STREAM_GP, 0);

    /* single values across 60 binades and both signs, several scales */
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        double m = ldexp(1.0 + zc_rng_uniform(&rng), (int)zc_rng_below(&rng, 60) - 45);
        float x = (float)(zc_rng_below(&rng, 2) ? m : -m);
        int e = (int)zc_rng_below(&rng, 40) - 30;
        if (fabs(ldexp((double)x, -e)) >= 32768.0) continue; /* outside the scaled range */
        float got = zc_half_to_float_scaled(zc_float_to_half_scaled(x, e), e);
        double want = reference(x, e);
        if ((double)got != (float)want) {
            if (bad++ < 5)
                fprintf(stderr, "x=%.9g e=%d: got %.9g want %.9g\n", x, e, got, want);
        }
    }
    CHECK_MSG(bad == 0, "%d of 200000 values differ from the reference rounding", bad);
    CHECK(zc_half_to_float_scaled(zc_float_to_half_scaled(0.0f, 5), 5) == 0.0f);
    CHECK(zc_half_to_float_scaled(zc_float_to_half_scaled(1e-30f, 0), 0) > 0);
    CHECK(zc_half_to_float_scaled(zc_float_to_half_scaled(-1e-30f, 0), 0) < 0);

    /* a record: scales per tensor, relative error <= 2^-12 near the max,
     * expansion of only the terminals asked for, identity kept */
    zc_arch_stats a;
    memset(&a, 0, sizeof a);
    a.arch_index = 42;
    a.arch_str = zc_strdup("arch");
    a.n_layers = 2;
    a.layers = zc_calloc(2, sizeof *a.layers);
    for (int l = 0; l < 2; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t += 3) {
            zc_tensor *x = &a.layers[l].t[t];
            x->ndim = 2;
            x->shape[0] = 7 + l;
            x->shape[1] = 33;
            int64_t n = zc_tensor_numel(x);
            x->data = zc_malloc(sizeof(float) * (size_t)n);
            double scale = ldexp(1, t - 11);
            for (int64_t k = 0; k < n; k++) x->data[k] = (float)(scale * zc_rng_normal(&rng));
            x->data[3] = 0;
        }
    zc_arch_stats copy;
    memset(&copy, 0, sizeof copy);
    copy = a;
    copy.arch_str = zc_strdup(a.arch_str);
    copy.layers = zc_malloc(sizeof *copy.layers * 2);
    memcpy(copy.layers, a.layers, sizeof *copy.layers * 2);
    for (int l = 0; l < 2; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++)
            if (a.layers[l].t[t].data) {
                int64_t n = zc_tensor_numel(&a.layers[l].t[t]);
                copy.layers[l].t[t].data = zc_malloc(sizeof(float) * (size_t)n);
                memcpy(copy.layers[l].t[t].data, a.layers[l].t[t].data, sizeof(float) * (size_t)n);
            }
    int64_t float_bytes = zc_arch_stats_bytes(&a);
    zc_half_arch h;
    zc_half_from_arch(&a, &h);
    CHECK(zc_half_bytes(&a, &h) * 2 == float_bytes);
    CHECK(a.layers[0].t[0].data == NULL && a.layers[1].t[3].shape[0] == 8);
    zc_half_scratch scratch = {0};
    zc_terminal_mask need = (1u << 0) | (1u << 6) | (1u << 7);
    const zc_arch_stats *x = zc_half_expand(&a, &h, need, &scratch);
    CHECK(x->arch_index == 42 && x->n_layers == 2 && strcmp(x->arch_str, "arch") == 0);
    zc_half_round_trip(&copy);
    for (int l = 0; l < 2; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            const zc_tensor *got = &x->layers[l].t[t], *want = &copy.layers[l].t[t];
            int asked = (need >> t) & 1u && want->data;
            CHECK_MSG((got->data != NULL) == asked, "layer %d terminal %d held %d", l, t,
                      got->data != NULL);
            if (!asked) continue;
            int64_t n = zc_tensor_numel(want);
            CHECK(memcmp(got->data, want->data, sizeof(float) * (size_t)n) == 0);
            CHECK(got->data[3] == 0);
        }
    zc_half_scratch_free(&scratch);
    zc_half_free(&h);
    zc_arch_stats_free(&a);
    zc_arch_stats_free(&copy);
    TEST_EXIT();
}
