/* test_fitness.c: GP fitness from per-architecture scores (master/gp/fitness.h)
 * against direct computations: tau averaged over fixed draws, one draw picked
 * per program in draw mode pick (deterministic, every draw reachable,
 * disjoint draws covering the task), |tau| vs signed tau, min vs mean over
 * tasks, invalid programs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/correlation.h"
#include "common/util/rng.h"
#include "master/gp/fitness.h"
#include "tests/test_util.h"

#define N_ARCHS 80
#define N_PROGS 3

/* tau of scores s against accuracies acc on the architectures idx[0..len) */
static double subset_tau(const double *s, const double *acc, const int *idx, int len) {
    double x[N_ARCHS], y[N_ARCHS];
    for (int i = 0; i < len; i++) {
        x[i] = s[idx[i]];
        y[i] = acc[idx[i]];
    }
    return zc_kendall_tau_b(x, y, len);
}

int main(void) {
    /* two tasks of 80 architectures; program 0 follows the accuracy with
     * noise, program 1 ranks in reverse, program 2 is random */
    double acc0[N_ARCHS], acc1[N_ARCHS];
    double *scores[2];
    scores[0] = malloc(sizeof(double) * N_ARCHS * N_PROGS);
    scores[1] = malloc(sizeof(double) * N_ARCHS * N_PROGS);
    zc_rng rng = zc_rng_stream(7, ZC_STREAM_GP, 0);
    for (int a = 0; a < N_ARCHS; a++) {
        acc0[a] = zc_rng_uniform(&rng) * 100;
        acc1[a] = zc_rng_uniform(&rng) * 100;
        for (int t = 0; t < 2; t++) {
            double acc = t ? acc1[a] : acc0[a];
            scores[t][0 * N_ARCHS + a] = acc + 30 * zc_rng_normal(&rng);
            scores[t][1 * N_ARCHS + a] = -acc + 10 * zc_rng_normal(&rng);
            scores[t][2 * N_ARCHS + a] = zc_rng_normal(&rng);
        }
    }
    const int n_archs[2] = {N_ARCHS, N_ARCHS};
    const double *accs[2] = {acc0, acc1};

    /* mean mode: tau averaged over 3 independent draws of 20, min over tasks */
    zc_fitness_spec f;
    zc_fitness_spec_init(&f, 2, n_archs, accs, 20, 3, ZC_AGG_MIN, 1, ZC_DRAW_MEAN, 11);
    for (int p = 0; p < N_PROGS; p++) {
        double want = INFINITY;
        for (int t = 0; t < 2; t++) {
            double sum = 0;
            for (int d = 0; d < 3; d++)
                sum += fabs(subset_tau(scores[t] + p * N_ARCHS, accs[t], f.subsets[t] + d * 20, 20));
            want = fmin(want, sum / 3);
        }
        CHECK_CLOSE(zc_fitness_of(&f, scores, p, 0), want, 1e-15, 0);
        /* the hash plays no role in mean mode */
        CHECK(zc_fitness_of(&f, scores, p, 0) == zc_fitness_of(&f, scores, p, 12345));
    }
    zc_fitness_spec_free(&f);

    /* pick mode with 4 x 20 = 80: the draws partition each task, and a
     * program's fitness is the min over tasks of |tau| on ONE draw per task */
    zc_fitness_spec_init(&f, 2, n_archs, accs, 20, 4, ZC_AGG_MIN, 1, ZC_DRAW_PICK, 11);
    for (int t = 0; t < 2; t++) {
        int seen[N_ARCHS] = {0};
        for (int i = 0; i < 80; i++) seen[f.subsets[t][i]]++;
        int all_once = 1;
        for (int a = 0; a < N_ARCHS; a++) all_once &= seen[a] == 1;
        CHECK_MSG(all_once, "task %d: the 4 draws of 20 are not a partition of the 80", t);
    }
    for (uint64_t h = 1; h <= 400; h++) {
        double fit = zc_fitness_of(&f, scores, 0, h * 0x9e3779b97f4a7c15ULL);
        /* fitness equals min over tasks of the picked draw: find the pair */
        int found = 0;
        for (int d0 = 0; d0 < 4 && !found; d0++)
            for (int d1 = 0; d1 < 4 && !found; d1++) {
                double t0 = fabs(subset_tau(scores[0], acc0, f.subsets[0] + d0 * 20, 20));
                double t1 = fabs(subset_tau(scores[1], acc1, f.subsets[1] + d1 * 20, 20));
                if (fmin(t0, t1) == fit) found = 1;
            }
        CHECK_MSG(found, "hash %llu: fitness %g is no min over one draw per task",
                  (unsigned long long)h, fit);
        /* deterministic */
        CHECK(zc_fitness_of(&f, scores, 0, h * 0x9e3779b97f4a7c15ULL) == fit);
    }
    zc_fitness_spec_free(&f);

    /* one task: the fitness is exactly one draw's |tau|, and every draw is
     * picked for some programs (about a quarter each) */
    zc_fitness_spec_init(&f, 1, n_archs, accs, 20, 4, ZC_AGG_MIN, 1, ZC_DRAW_PICK, 11);
    int reached[4] = {0};
    for (uint64_t h = 1; h <= 400; h++) {
        double fit = zc_fitness_of(&f, scores, 0, h * 0x9e3779b97f4a7c15ULL);
        int which = -1, n_equal = 0;
        for (int d = 0; d < 4; d++)
            if (fabs(subset_tau(scores[0], acc0, f.subsets[0] + d * 20, 20)) == fit) {
                which = d;
                n_equal++;
            }
        CHECK_MSG(n_equal == 1, "hash %llu: fitness %g matches %d draws",
                  (unsigned long long)h, fit, n_equal);
        if (which >= 0) reached[which]++;
    }
    for (int d = 0; d < 4; d++)
        CHECK_MSG(reached[d] > 60, "draw %d picked %d times of 400", d, reached[d]);
    zc_fitness_spec_free(&f);

    /* signed tau keeps the reverse ranking negative; mean over tasks */
    zc_fitness_spec_init(&f, 2, n_archs, accs, 0, 1, ZC_AGG_MEAN, 0, ZC_DRAW_MEAN, 11);
    int all[N_ARCHS];
    for (int a = 0; a < N_ARCHS; a++) all[a] = a;
    double want = (subset_tau(scores[0] + N_ARCHS, acc0, all, N_ARCHS) +
                   subset_tau(scores[1] + N_ARCHS, acc1, all, N_ARCHS)) / 2;
    CHECK(want < -0.3);
    CHECK_CLOSE(zc_fitness_of(&f, scores, 1, 0), want, 1e-15, 0);
    /* an invalid score anywhere in the task makes the program invalid */
    scores[1][2 * N_ARCHS + 17] = NAN;
    CHECK(isnan(zc_fitness_of(&f, scores, 2, 0)));
    zc_fitness_spec_free(&f);

    free(scores[0]);
    free(scores[1]);
    TEST_EXIT();
}
