/* fitness.c: fitness from scores (see fitness.h). */
#include "master/gp/fitness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/correlation.h"
#include "common/util/rng.h"
#include "common/util/util.h"

void zc_fitness_spec_init(zc_fitness_spec *f, int n_tasks, const int *n_archs,
                          const double *const *acc, int subset_size, int draws,
                          zc_aggregate aggregate, int abs_tau, uint64_t seed) {
    memset(f, 0, sizeof *f);
    f->n_tasks = n_tasks;
    f->subset_size = subset_size;
    f->draws = subset_size > 0 && draws > 0 ? draws : 1;
    f->aggregate = aggregate;
    f->abs_tau = abs_tau;
    f->n_archs = zc_malloc(sizeof(int) * (size_t)n_tasks);
    f->acc = zc_malloc(sizeof(double *) * (size_t)n_tasks);
    f->subsets = zc_malloc(sizeof(int *) * (size_t)n_tasks);
    f->subset_len = zc_malloc(sizeof(int) * (size_t)n_tasks);
    for (int t = 0; t < n_tasks; t++) {
        int n = n_archs[t];
        f->n_archs[t] = n;
        f->acc[t] = zc_malloc(sizeof(double) * (size_t)n);
        memcpy(f->acc[t], acc[t], sizeof(double) * (size_t)n);
        int len = subset_size > 0 && subset_size < n ? subset_size : n;
        f->subset_len[t] = len;
        f->subsets[t] = zc_malloc(sizeof(int) * (size_t)len * f->draws);
        zc_rng rng = zc_rng_stream(seed, ZC_STREAM_SUBSET, (uint64_t)t);
        int *perm = zc_malloc(sizeof(int) * (size_t)n);
        for (int d = 0; d < f->draws; d++) {
            for (int i = 0; i < n; i++) perm[i] = i;
            if (len < n)
                for (int i = 0; i < len; i++) {
                    int j = i + (int)zc_rng_below(&rng, (uint64_t)(n - i));
                    int tmp = perm[i];
                    perm[i] = perm[j];
                    perm[j] = tmp;
                }
            memcpy(f->subsets[t] + (size_t)d * len, perm, sizeof(int) * (size_t)len);
        }
        free(perm);
    }
}

void zc_fitness_spec_free(zc_fitness_spec *f) {
    for (int t = 0; t < f->n_tasks; t++) {
        free(f->acc[t]);
        free(f->subsets[t]);
    }
    free(f->n_archs);
    free(f->acc);
    free(f->subsets);
    free(f->subset_len);
    memset(f, 0, sizeof *f);
}

double zc_fitness_of(const zc_fitness_spec *f, double *const *scores, int p) {
    double agg = f->aggregate == ZC_AGG_MIN ? INFINITY : 0.0;
    for (int t = 0; t < f->n_tasks; t++) {
        int n = f->n_archs[t], len = f->subset_len[t];
        const double *s = scores[t] + (size_t)p * n;
        double x[len], y[len];
        double sum = 0;
        for (int d = 0; d < f->draws; d++) {
            const int *idx = f->subsets[t] + (size_t)d * len;
            int m = 0;
            for (int i = 0; i < len; i++) {
                x[m] = s[idx[i]];
                y[m] = f->acc[t][idx[i]];
                if (isfinite(x[m])) m++;
                else if (!f->omit_invalid) return NAN;
            }
            double tau = zc_kendall_tau_b(x, y, m);
            if (isnan(tau)) return NAN;
            sum += f->abs_tau ? fabs(tau) : tau;
        }
        double v = sum / f->draws;
        if (f->aggregate == ZC_AGG_MIN) agg = v < agg ? v : agg;
        else agg += v / f->n_tasks;
    }
    return agg;
}
