/* stats_job.c: multi-threaded statistics computation (see stats_job.h):
 * on the CPU one item per row on the threads of common/util/parallel.h; on
 * a GPU the rows in order on one thread holding the GPU context. Finished
 * records go to the sink one at a time, under the job's lock. */
#include "common/stats/stats_job.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/parallel.h"
#include "common/util/rng.h"
#include "common/stats/stats_compute.h"
#include "common/stats/task_stats.h"
#include "common/util/util.h"
#ifdef ZCEVO_HAVE_CUDA
#include "common/stats/gpu_stats.h"
#endif

typedef struct {
    const zc_stats_job *job;
    void *gpu;         /* use_cuda: the GPU context of the job's one thread  */
    pthread_mutex_t lock; /* serialises the sink, the progress and failures */
    int done;
    int failed;
    char err[512];
    double t0, last_print;
} shared_state;

static void print_progress(shared_state *s, int final) {
    double now = zc_now();
    if (!final && now - s->last_print < 2.0) return;
    s->last_print = now;
    zc_print_progress(s->job->label ? s->job->label : "stats", s->done, s->job->n_rows, s->t0,
                      "");
}

/* fail_with: record the job's first failure (the caller holds the lock). */
static void fail_with(shared_state *s, const char *msg) {
    if (!s->failed) snprintf(s->err, sizeof s->err, "%s", msg);
    s->failed = 1;
}

/* may_go_on: 1 while the job may take another row; a raised stop flag
 * fails the job with "interrupted by a signal" (unless it failed already). */
static int may_go_on(shared_state *s) {
    pthread_mutex_lock(&s->lock);
    if (s->job->stop && *s->job->stop) fail_with(s, "interrupted by a signal");
    int go = !s->failed;
    pthread_mutex_unlock(&s->lock);
    return go;
}

/* compute_record: the three passes of net into rec on the job's device.
 * Returns 0, or -1 with err. */
static int compute_record(const zc_stats_job *job, void *gpu, zc_net *net,
                          const float *const inputs[3], zc_arch_stats *rec, char *err,
                          size_t errlen) {
#ifdef ZCEVO_HAVE_CUDA
    if (gpu) {
        if (zc_gpu_net_load(gpu, net) != 0 ||
            zc_gpu_compute_stats(gpu, inputs, job->mask) != 0 ||
            zc_gpu_stats_download(gpu, rec) != 0)
            return zc_fail(err, errlen, "cuda: %s", zc_gpu_last_error(gpu));
        return 0;
    }
#else
    (void)gpu, (void)err, (void)errlen;
#endif
    zc_compute_stats(net, inputs, job->mask, rec);
    return 0;
}

/* build_and_compute: row's network, its parameters drawn from the task
 * seed and the architecture, and its statistics into rec. Returns the
 * network, or NULL with err (not built, or the computation failed). */
static zc_net *build_and_compute(shared_state *s, int row, zc_arch_stats *rec, char *err,
                                 size_t errlen) {
    const zc_stats_job *job = s->job;
    const float *const inputs[3] = {job->task->inputs[0], job->task->inputs[1],
                                    job->task->inputs[2]};
    zc_net *net = zc_task_build(job->task, row, err, errlen);
    if (!net) return NULL;
    zc_task_identity(job->task, row, rec);
    zc_rng rng = zc_rng_stream(job->task->seed, ZC_STREAM_PARAM_INIT, (uint64_t)rec->arch_index);
    zc_net_init_params(net, &rng);
    if (compute_record(job, s->gpu, net, inputs, rec, err, errlen) != 0) {
        zc_net_free(net);
        return NULL;
    }
    return net;
}

/* hand_to_sink: rows[i]'s record (net NULL: its failure err) to the sink,
 * one call at a time with the progress line; nothing once the job failed.
 * Returns 0, or 1 when the job failed. */
static int hand_to_sink(shared_state *s, int i, zc_arch_stats *rec, const zc_net *net,
                        const char *err) {
    const zc_stats_job *job = s->job;
    pthread_mutex_lock(&s->lock);
    if (!net) {
        fail_with(s, err);
    } else if (!s->failed) {
        s->err[0] = 0;
        if (job->sink(job->sink_ctx, i, rec, net, s->err, sizeof s->err) != 0) {
            s->failed = 1;
            if (!s->err[0]) snprintf(s->err, sizeof s->err, "stopped by the output sink");
        }
        s->done++;
        if (job->progress) print_progress(s, 0);
    }
    int failed = s->failed;
    pthread_mutex_unlock(&s->lock);
    return failed;
}

/* compute_row: a parallel-for body: the record of rows[i] to the sink. */
static int compute_row(void *ctx, int i, int worker) {
    (void)worker;
    shared_state *s = ctx;
    if (!may_go_on(s)) return 1;
    char err[512];
    zc_arch_stats rec;
    memset(&rec, 0, sizeof rec);
    zc_net *net = build_and_compute(s, s->job->rows[i], &rec, err, sizeof err);
    int failed = hand_to_sink(s, i, &rec, net, err);
    zc_arch_stats_free(&rec);
    zc_net_free(net);
    return failed;
}

/* open_device: the GPU context of the job's one thread when use_cuda, on
 * that thread. Returns 0, or -1 with the failure recorded in s. */
static int open_device(shared_state *s) {
#ifdef ZCEVO_HAVE_CUDA
    if (s->job->use_cuda) {
        char err[512];
        s->gpu = zc_gpu_ctx_new(s->job->cuda_device, err, sizeof err);
        if (!s->gpu) {
            pthread_mutex_lock(&s->lock);
            fail_with(s, err);
            pthread_mutex_unlock(&s->lock);
            return -1;
        }
    }
#else
    (void)s;
#endif
    return 0;
}

static void close_device(shared_state *s) {
#ifdef ZCEVO_HAVE_CUDA
    if (s->gpu) zc_gpu_ctx_free(s->gpu);
#endif
    s->gpu = NULL;
}

/* device_rows: a parallel-run body for use_cuda: the job's one thread
 * opens its GPU context, computes the rows in order, closes it. */
static int device_rows(void *ctx, int worker, int unused) {
    (void)unused;
    shared_state *s = ctx;
    if (open_device(s) != 0) return 1;
    int rc = 0;
    for (int i = 0; i < s->job->n_rows && rc == 0; i++) rc = compute_row(s, i, worker);
    close_device(s);
    return rc;
}

int zc_stats_job_run(const zc_stats_job *job, char *err, size_t errlen) {
    shared_state s;
    memset(&s, 0, sizeof s);
    s.job = job;
    s.t0 = s.last_print = zc_now();
    pthread_mutex_init(&s.lock, NULL);
    openblas_set_num_threads(1);
    if (job->use_cuda) zc_parallel_run(1, device_rows, &s);
    else zc_parallel_for(job->n_rows, job->threads, compute_row, &s);
    may_go_on(&s); /* a stop raised while the last rows ran fails the job */
    pthread_mutex_destroy(&s.lock);
    if (job->progress && !s.failed && job->n_rows > 0) print_progress(&s, 1);
    if (s.failed) {
        snprintf(err, errlen, "%s", s.err);
        return -1;
    }
    return 0;
}
