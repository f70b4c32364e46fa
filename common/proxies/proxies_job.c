/* proxies_job.c: the proxies of a list of architectures in this process,
 * one architecture per thread of common/util/parallel.h (see
 * proxies_job.h). The MPI sides are worker/proxies_worker.c and
 * master/dispatch/proxies_dispatch.c. */
#include "common/proxies/proxies_job.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/parallel.h"
#include "common/util/rng.h"
#include "common/util/util.h"

void zc_proxies_job_zen_inputs(const zc_task *t, float **x1, float **x2) {
    size_t nx = (size_t)t->batch * 3 * t->image_hw * t->image_hw;
    *x1 = zc_malloc(sizeof(float) * nx);
    *x2 = zc_malloc(sizeof(float) * nx);
    zc_rng zr = zc_rng_stream(t->seed, ZC_STREAM_NOISE, 20);
    zc_rng_fill_normal(&zr, *x1, (long)nx, 0.0, 1.0);
    zc_rng_fill_normal(&zr, *x2, (long)nx, 0.0, 1.0);
}

int zc_proxies_arch(const zc_proxies_job *job, int pos, double *out, char *err, size_t errlen) {
    const zc_task *t = job->task;
    int row = job->rows[pos];
    for (int p = 0; p < ZC_PX_COUNT; p++) out[p] = NAN;
    zc_net *net = zc_task_build(t, row, err, errlen);
    if (!net) return -1;
    uint64_t idx = (uint64_t)t->table.arch_index[row];
    zc_rng rng = zc_rng_stream(t->seed, ZC_STREAM_PARAM_INIT, idx);
    zc_net_init_params(net, &rng);
    if (job->torch_init) zc_proxy_torch_init(net, &rng);
    zc_rng zen_rng = zc_rng_stream(t->seed, ZC_STREAM_PARAM_INIT, idx | (1ull << 40));
    /* AZ-NAS, SWAP and MeCo_opt draw from their own substream; AZ-NAS's
     * Gaussian input is the task's noise input (task.h) */
    zc_rng modern_rng = zc_rng_stream(t->seed, ZC_STREAM_PARAM_INIT, idx | (2ull << 40));
    const float *const stats_inputs[3] = {t->inputs[0], t->inputs[1], t->inputs[2]};
    zc_proxy_inputs in = {.x = t->inputs[0], .labels = t->labels, .zen_x1 = job->zen_x1,
                          .zen_x2 = job->zen_x2, .zen_rng = &zen_rng,
                          .stats_inputs = stats_inputs, .x2 = t->input2,
                          .labels2 = t->labels2, .gauss_x = t->inputs[1],
                          .modern_rng = &modern_rng};
    int rc = zc_proxies_compute(net, &in, job->mask, out, err, errlen);
    zc_net_free(net);
    return rc;
}

/* ---- this process's threads over todo[] ------------------------------------ */

typedef struct {
    const zc_proxies_job *job;
    const int *todo;
    int n_todo;
    double *values;
    zc_proxies_done_fn on_done;
    void *ctx;
    int progress;
    pthread_mutex_t lock; /* serialises recording, done() and the progress  */
    int failed;
    char err[1024];
    int done;
    double t0, last_print;
} local_run;

static int has_failed(local_run *r) {
    pthread_mutex_lock(&r->lock);
    int failed = r->failed;
    pthread_mutex_unlock(&r->lock);
    return failed;
}

/* record: pos's values into the table, to done() and the progress line,
 * unless the run failed meanwhile; under the lock. Returns r->failed. */
static int record(local_run *r, int pos, const double *out) {
    pthread_mutex_lock(&r->lock);
    if (!r->failed) {
        memcpy(r->values + (size_t)pos * ZC_PX_COUNT, out, sizeof(double) * ZC_PX_COUNT);
        if (r->on_done) r->on_done(r->ctx, pos, out);
        r->done++;
        double now = zc_now();
        if (r->progress && (now - r->last_print > 2.0 || r->done == r->n_todo)) {
            r->last_print = now;
            zc_print_progress("proxies", r->done, r->n_todo, r->t0, "");
        }
    }
    int failed = r->failed;
    pthread_mutex_unlock(&r->lock);
    return failed;
}

/* compute_todo: a parallel-for body: the proxies of position todo[k].
 * Returns 0, or 1 once the run failed (its first failure kept in r). */
static int compute_todo(void *ctx, int k, int worker) {
    (void)worker;
    local_run *r = ctx;
    if (has_failed(r)) return 1;
    int pos = r->todo[k];
    double out[ZC_PX_COUNT];
    char err[1024];
    if (zc_proxies_arch(r->job, pos, out, err, sizeof err) != 0) {
        pthread_mutex_lock(&r->lock);
        if (!r->failed) snprintf(r->err, sizeof r->err, "%s", err);
        r->failed = 1;
        pthread_mutex_unlock(&r->lock);
        return 1;
    }
    return record(r, pos, out);
}

int zc_proxies_run_local(const zc_proxies_job *job, const int *todo, int n_todo, int threads,
                         int progress, double *values, zc_proxies_done_fn done, void *ctx,
                         char *err, size_t errlen) {
    if (n_todo == 0) return 0;
    local_run r;
    memset(&r, 0, sizeof r);
    r.job = job;
    r.todo = todo;
    r.n_todo = n_todo;
    r.values = values;
    r.on_done = done;
    r.ctx = ctx;
    r.progress = progress;
    r.t0 = r.last_print = zc_now();
    pthread_mutex_init(&r.lock, NULL);
    openblas_set_num_threads(1);
    zc_parallel_for(n_todo, threads, compute_todo, &r);
    pthread_mutex_destroy(&r.lock);
    if (r.failed) snprintf(err, errlen, "%s", r.err);
    return r.failed ? -1 : 0;
}
