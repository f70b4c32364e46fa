/* fitness.c: fitness from scores (see fitness.h). */
#include "master/gp/fitness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/correlation.h"
#include "common/util/rng.h"
#include "common/util/util.h"

/* draw_subsets: the task's D subsets of len of n architectures into out
 * (draws x len): independent draws, or disjoint blocks of one shuffle. */
static void draw_subsets(zc_rng *rng, int n, int len, int draws, int disjoint, int *out) {
    int *perm = zc_malloc(sizeof(int) * (size_t)n);
    for (int d = 0; d < draws; d++) {
        if (!disjoint || d == 0) {
            for (int i = 0; i < n; i++) perm[i] = i;
            int shuffle = disjoint ? ZC_MIN(n, len * draws) : len;
            if (len < n)
                for (int i = 0; i < shuffle && i < n - 1; i++) {
                    int j = i + (int)zc_rng_below(rng, (uint64_t)(n - i));
                    int tmp = perm[i];
                    perm[i] = perm[j];
                    perm[j] = tmp;
                }
        }
        memcpy(out + (size_t)d * len, perm + (disjoint ? (size_t)d * len : 0),
               sizeof(int) * (size_t)len);
    }
    free(perm);
}

void zc_fitness_spec_init(zc_fitness_spec *f, int n_tasks, const int *n_archs,
                          const double *const *acc, int subset_size, int draws,
                          zc_aggregate aggregate, int abs_tau, zc_draw_mode draw_mode,
                          uint64_t seed) {
    memset(f, 0, sizeof *f);
    f->n_tasks = n_tasks;
    f->subset_size = subset_size;
    f->draws = subset_size > 0 && draws > 0 ? draws : 1;
    f->aggregate = aggregate;
    f->abs_tau = abs_tau;
    f->draw_mode = draw_mode;
    f->seed = seed;
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
        int disjoint = draw_mode == ZC_DRAW_PICK && (int64_t)len * f->draws <= n;
        draw_subsets(&rng, n, len, f->draws, disjoint, f->subsets[t]);
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

/* draw_tau: tau (or |tau|) of program scores s on draw d of task t; NaN
 * when a score is not finite (with omit_invalid: when fewer than two are)
 * or the scores are all tied. */
static double draw_tau(const zc_fitness_spec *f, int t, const double *s, int d) {
    int len = f->subset_len[t];
    const int *idx = f->subsets[t] + (size_t)d * len;
    double x[len], y[len];
    int m = 0;
    for (int i = 0; i < len; i++) {
        x[m] = s[idx[i]];
        y[m] = f->acc[t][idx[i]];
        if (isfinite(x[m])) m++;
        else if (!f->omit_invalid) return NAN;
    }
    double tau = m >= 2 ? zc_kendall_tau_b(x, y, m) : NAN;
    return f->abs_tau ? fabs(tau) : tau;
}

/* picked_draw: the draw program_hash is scored on for task t (pick mode). */
static int picked_draw(const zc_fitness_spec *f, int t, uint64_t program_hash) {
    uint64_t key[3] = {f->seed, program_hash, (uint64_t)t};
    return (int)(zc_hash64(key, sizeof key, 0x7069636b64726177ULL) % (uint64_t)f->draws);
}

double zc_fitness_of(const zc_fitness_spec *f, double *const *scores, int p,
                     uint64_t program_hash) {
    double agg = f->aggregate == ZC_AGG_MIN ? INFINITY : 0.0;
    for (int t = 0; t < f->n_tasks; t++) {
        const double *s = scores[t] + (size_t)p * f->n_archs[t];
        double v;
        if (f->draw_mode == ZC_DRAW_PICK) {
            v = draw_tau(f, t, s, picked_draw(f, t, program_hash));
        } else {
            double sum = 0;
            for (int d = 0; d < f->draws && !isnan(sum); d++) sum += draw_tau(f, t, s, d);
            v = sum / f->draws;
        }
        if (isnan(v)) return NAN;
        if (f->aggregate == ZC_AGG_MIN) agg = v < agg ? v : agg;
        else agg += v / f->n_tasks;
    }
    return agg;
}
