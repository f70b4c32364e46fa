/* dispatch_score.c: the two uses of the evolve master's job rounds:
 * per-architecture scores of programs from every bin (WORK / RESULT), and
 * the quick validity check on the workers of the probe bin (CHECK /
 * CHECKED), each with its own traffic counters (see dispatch_internal.h). */
#include <stdio.h>
#include <string.h>

#include "common/util/util.h"
#include "master/dispatch/dispatch_internal.h"

/* Where a score round writes: scores[t][p * n_archs[t] + a]. */
typedef struct {
    zc_dispatch *d;
    double *const *scores;
} score_sink;

/* accept_scores: a RESULT of bin's shards (in ASSIGN order, for each
 * program, the scores of architectures a0..a1-1) into the score rows. */
static int accept_scores(void *ctx, int rank, int bin, int p0, int np, const zc_msg_result *r,
                         const unsigned char *msg, size_t len, char *err, size_t errlen) {
    score_sink *sink = ctx;
    const zc_dispatch *d = sink->d;
    int64_t want = 0;
    for (int s = 0; s < d->n_shards; s++)
        if (d->shard_bin[s] == bin)
            want += (int64_t)np * (d->shards[s].a1 - d->shards[s].a0);
    if (want != r->n_values || len != sizeof *r + sizeof(double) * (size_t)want) {
        snprintf(err, errlen, "worker rank %d sent %d scores for job %lld, expected %lld", rank,
                 r->n_values, (long long)r->job, (long long)want);
        return -1;
    }
    const double *v = (const double *)(msg + sizeof *r);
    int64_t k = 0;
    for (int s = 0; s < d->n_shards; s++) {
        if (d->shard_bin[s] != bin) continue;
        const zc_shard *sh = &d->shards[s];
        int na = d->store.meta.n_archs[sh->task];
        for (int p = 0; p < np; p++) {
            double *dst = sink->scores[sh->task] + (size_t)(p0 + p) * na + sh->a0;
            memcpy(dst, v + k, sizeof(double) * (size_t)(sh->a1 - sh->a0));
            k += sh->a1 - sh->a0;
        }
    }
    return 0;
}

int zc_dispatch_score(void *ctx, const zc_program *progs, int n, double *const *scores,
                      char *err, size_t errlen) {
    zc_dispatch *d = ctx;
    double t_call = zc_now();
    int bs = d->o->dispatch_batch;
    if (bs <= 0) bs = zc_dispatch_auto_batch(n, d->n_workers / d->n_bins);
    score_sink sink = {d, scores};
    zc_dispatch_round round = {ZC_TAG_WORK, ZC_TAG_RESULT, -1, bs, &d->score, accept_scores,
                               &sink};
    int rc = zc_dispatch_round_run(d, &round, progs, n, err, errlen);
    if (rc == 0) d->programs += n;
    d->score_seconds += zc_now() - t_call;
    return rc;
}

/* accept_verdicts: a CHECKED answer (one byte per program) into ok. */
static int accept_verdicts(void *ctx, int rank, int bin, int p0, int np, const zc_msg_result *r,
                           const unsigned char *msg, size_t len, char *err, size_t errlen) {
    (void)bin;
    unsigned char *ok = ctx;
    if (r->n_values != np || len != sizeof *r + (size_t)np) {
        snprintf(err, errlen, "worker rank %d sent %d verdicts, expected %d", rank, r->n_values,
                 np);
        return -1;
    }
    memcpy(ok + p0, msg + sizeof *r, (size_t)np);
    return 0;
}

int zc_dispatch_validate(void *ctx, const zc_program *progs, int n, unsigned char *ok,
                         char *err, size_t errlen) {
    zc_dispatch *d = ctx;
    if (d->check_bin < 0) return 2;
    int eligible = 0;
    for (int w = 0; w < d->n_workers; w++) eligible += d->worker_bin[w] == d->check_bin;
    zc_dispatch_round round = {ZC_TAG_CHECK, ZC_TAG_CHECKED, d->check_bin,
                               zc_dispatch_auto_batch(n, eligible), &d->check, accept_verdicts,
                               ok};
    int rc = zc_dispatch_round_run(d, &round, progs, n, err, errlen);
    d->checked += n;
    return rc;
}
