/* test_correlation.c: Kendall tau-b and Spearman rho against scipy values
 * (fixture file written by tests/gen_correlation_fixtures.py, path in
 * argv[1]), against an O(n^2) direct tau-b, and invariants. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/correlation.h"
#include "common/util/rng.h"
#include "tests/test_util.h"

/* Direct O(n^2) tau-b from the definition: concordant minus discordant
 * over sqrt((n0 - n1)(n0 - n2)). */
static double tau_b_direct(const double *x, const double *y, int n) {
    long long concordant = 0, discordant = 0, tie_x = 0, tie_y = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            int sx = (x[j] > x[i]) - (x[j] < x[i]);
            int sy = (y[j] > y[i]) - (y[j] < y[i]);
            if (sx == 0) tie_x++;
            if (sy == 0) tie_y++;
            if (sx * sy > 0) concordant++;
            if (sx * sy < 0) discordant++;
        }
    long long n0 = (long long)n * (n - 1) / 2;
    if (tie_x == n0 || tie_y == n0) return NAN;
    return (double)(concordant - discordant) / sqrt((double)(n0 - tie_x)) /
           sqrt((double)(n0 - tie_y));
}

/* Read "<tag> v v v ..." with n values into out. */
static int read_values(FILE *f, const char *tag, double *out, int n) {
    char word[64];
    if (fscanf(f, "%63s", word) != 1 || strcmp(word, tag) != 0) return -1;
    for (int i = 0; i < n; i++) {
        if (fscanf(f, "%63s", word) != 1) return -1;
        out[i] = strtod(word, NULL);
    }
    return 0;
}

static int same_or_both_nan(double a, double b, double tol) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return fabs(a - b) <= tol;
}

static void test_fixtures(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open fixture file %s", path);
    if (!f) return;
    char name[128];
    int n, cases = 0;
    while (fscanf(f, " case %127s %d", name, &n) == 2) {
        double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
        double ref_tau = NAN, ref_rho = NAN;
        CHECK(read_values(f, "x", x, n) == 0);
        CHECK(read_values(f, "y", y, n) == 0);
        CHECK(read_values(f, "tau", &ref_tau, 1) == 0);
        CHECK(read_values(f, "rho", &ref_rho, 1) == 0);
        double tau = zc_kendall_tau_b(x, y, n);
        double rho = zc_spearman_rho(x, y, n);
        /* tau: same integers, same floating point expression as scipy:
         * bit-identical; rho: summation order differs from numpy */
        CHECK_MSG(same_or_both_nan(tau, ref_tau, 0), "%s: tau %.17g scipy %.17g", name, tau, ref_tau);
        CHECK_MSG(same_or_both_nan(rho, ref_rho, 1e-12), "%s: rho %.17g scipy %.17g", name, rho, ref_rho);
        if (n <= 2000) {
            double direct = tau_b_direct(x, y, n);
            int has_nan = 0;
            for (int i = 0; i < n; i++) has_nan |= isnan(x[i]) || isnan(y[i]);
            if (!has_nan && n >= 2)
                CHECK_MSG(same_or_both_nan(tau, direct, 1e-13), "%s: tau %.17g direct %.17g", name, tau, direct);
        }
        cases++;
        free(x);
        free(y);
    }
    fclose(f);
    CHECK_MSG(cases >= 20, "only %d fixture cases read from %s", cases, path);
}

/* Random inputs with heavy ties against the direct O(n^2) oracle. */
static void test_direct_oracle(void) {
    zc_rng rng = zc_rng_stream(7, 99, 0);
    for (int trial = 0; trial < 200; trial++) {
        int n = 2 + (int)zc_rng_below(&rng, 300);
        int levels_x = 1 + (int)zc_rng_below(&rng, 8), levels_y = 1 + (int)zc_rng_below(&rng, 8);
        double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
        for (int i = 0; i < n; i++) {
            x[i] = (double)zc_rng_below(&rng, (uint64_t)levels_x);
            y[i] = trial % 2 ? x[i] + (double)zc_rng_below(&rng, (uint64_t)levels_y)
                             : (double)zc_rng_below(&rng, (uint64_t)levels_y);
        }
        double fast = zc_kendall_tau_b(x, y, n), direct = tau_b_direct(x, y, n);
        CHECK_MSG(same_or_both_nan(fast, direct, 1e-13), "trial %d n %d: %.17g vs %.17g", trial, n, fast, direct);
        free(x);
        free(y);
    }
}

static void test_invariants(void) {
    zc_rng rng = zc_rng_stream(11, 99, 1);
    int n = 5000;
    double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
    double *neg = malloc(sizeof(double) * (size_t)n), *mono = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) {
        x[i] = floor(zc_rng_normal(&rng) * 10.0); /* ties */
        y[i] = zc_rng_normal(&rng) + 0.3 * x[i];
        neg[i] = -x[i];
        mono[i] = exp(x[i] / 10.0); /* strictly increasing transform */
    }
    CHECK_CLOSE(zc_kendall_tau_b(x, x, n), 1.0, 1e-15, 0);
    CHECK_CLOSE(zc_kendall_tau_b(x, neg, n), -1.0, 1e-15, 0);
    CHECK_CLOSE(zc_spearman_rho(x, x, n), 1.0, 1e-14, 0);
    CHECK_CLOSE(zc_spearman_rho(x, neg, n), -1.0, 1e-14, 0);
    CHECK_CLOSE(zc_kendall_tau_b(x, y, n), zc_kendall_tau_b(y, x, n), 1e-15, 0);
    CHECK_CLOSE(zc_spearman_rho(x, y, n), zc_spearman_rho(y, x, n), 1e-14, 0);
    CHECK_CLOSE(zc_kendall_tau_b(mono, y, n), zc_kendall_tau_b(x, y, n), 0, 0);
    CHECK_CLOSE(zc_kendall_tau_b(neg, y, n), -zc_kendall_tau_b(x, y, n), 1e-15, 0);
    double tau = zc_kendall_tau_b(x, y, n);
    CHECK(tau > 0.1 && tau < 1.0);
    /* degenerate inputs */
    CHECK(isnan(zc_kendall_tau_b(x, y, 1)));
    CHECK(isnan(zc_kendall_tau_b(x, y, 0)));
    CHECK(isnan(zc_spearman_rho(x, y, 1)));
    double constant[4] = {2, 2, 2, 2}, ramp[4] = {1, 2, 3, 4};
    CHECK(isnan(zc_kendall_tau_b(constant, ramp, 4)));
    CHECK(isnan(zc_spearman_rho(ramp, constant, 4)));
    double with_nan[4] = {1, NAN, 3, 4};
    CHECK(isnan(zc_kendall_tau_b(with_nan, ramp, 4)));
    CHECK(isnan(zc_spearman_rho(ramp, with_nan, 4)));
    /* average ranks */
    double v[7] = {3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 1.0}, ranks[7];
    double expect[7] = {4.0, 2.0, 5.0, 2.0, 6.0, 7.0, 2.0};
    zc_rank_average(v, 7, ranks);
    for (int i = 0; i < 7; i++) CHECK_CLOSE(ranks[i], expect[i], 0, 0);
    double vn[4] = {NAN, 2.0, NAN, -1.0}, rn[4];
    zc_rank_average(vn, 4, rn);
    CHECK_CLOSE(rn[1], 2.0, 0, 0);
    CHECK_CLOSE(rn[3], 1.0, 0, 0);
    CHECK_CLOSE(rn[0], 3.5, 0, 0);
    CHECK_CLOSE(rn[2], 3.5, 0, 0);
    /* Pearson closed form: y = 2x + 1 -> 1; a 3-point case by hand:
     * x = (1,2,3), y = (1,3,2): r = 0.5 */
    double px[3] = {1, 2, 3}, py[3] = {1, 3, 2}, lin[3] = {3, 5, 7};
    CHECK_CLOSE(zc_pearson_r(px, lin, 3), 1.0, 1e-15, 0);
    CHECK_CLOSE(zc_pearson_r(px, py, 3), 0.5, 1e-15, 0);
    free(x);
    free(y);
    free(neg);
    free(mono);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_correlation FIXTURE_FILE\n");
        return 2;
    }
    test_fixtures(argv[1]);
    test_direct_oracle();
    test_invariants();
    TEST_EXIT();
}
