/* stats_job.c: multi-threaded statistics computation (see stats_job.h). */
#include "common/stats/stats_job.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/rng.h"
#include "common/stats/stats_compute.h"
#include "common/stats/task_stats.h"
#include "common/util/util.h"
#ifdef ZCEVO_HAVE_CUDA
#include "common/stats/gpu_stats.h"
#endif

typedef struct {
    const zc_stats_job *job;
    pthread_mutex_t lock;
    int next;          /* next index of job->rows to take                   */
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

static void *worker_main(void *arg) {
    shared_state *s = arg;
    const zc_stats_job *job = s->job;
    void *gpu = NULL;
#ifdef ZCEVO_HAVE_CUDA
    if (job->use_cuda) {
        char err[512];
        gpu = zc_gpu_ctx_new(job->cuda_device, err, sizeof err);
        if (!gpu) {
            pthread_mutex_lock(&s->lock);
            if (!s->failed) snprintf(s->err, sizeof s->err, "%s", err);
            s->failed = 1;
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
    }
#endif
    const float *const inputs[3] = {job->task->inputs[0], job->task->inputs[1],
                                    job->task->inputs[2]};
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (job->stop && *job->stop && !s->failed) {
            s->failed = 1;
            snprintf(s->err, sizeof s->err, "interrupted by a signal");
        }
        int i = s->failed ? job->n_rows : s->next++;
        pthread_mutex_unlock(&s->lock);
        if (i >= job->n_rows) break;
        int row = job->rows[i];
        char err[512];
        zc_net *net = zc_task_build(job->task, row, err, sizeof err);
        zc_arch_stats rec;
        memset(&rec, 0, sizeof rec);
        if (net) {
            zc_task_identity(job->task, row, &rec);
            zc_rng rng = zc_rng_stream(job->task->seed, ZC_STREAM_PARAM_INIT,
                                       (uint64_t)rec.arch_index);
            zc_net_init_params(net, &rng);
            if (compute_record(job, gpu, net, inputs, &rec, err, sizeof err) != 0) {
                zc_net_free(net);
                net = NULL;
            }
        }
        pthread_mutex_lock(&s->lock);
        if (!net) {
            if (!s->failed) snprintf(s->err, sizeof s->err, "%s", err);
            s->failed = 1;
        } else if (!s->failed) {
            s->err[0] = 0;
            if (job->sink(job->sink_ctx, i, &rec, net, s->err, sizeof s->err) != 0) {
                s->failed = 1;
                if (!s->err[0]) snprintf(s->err, sizeof s->err, "stopped by the output sink");
            }
            s->done++;
            if (job->progress) print_progress(s, 0);
        }
        pthread_mutex_unlock(&s->lock);
        zc_arch_stats_free(&rec);
        zc_net_free(net);
    }
#ifdef ZCEVO_HAVE_CUDA
    if (gpu) zc_gpu_ctx_free(gpu);
#endif
    return NULL;
}

int zc_stats_job_run(const zc_stats_job *job, char *err, size_t errlen) {
    shared_state s;
    memset(&s, 0, sizeof s);
    s.job = job;
    s.t0 = s.last_print = zc_now();
    pthread_mutex_init(&s.lock, NULL);
    openblas_set_num_threads(1);
    int n = job->threads < 1 || job->use_cuda ? 1 : job->threads;
    if (n > job->n_rows) n = job->n_rows > 0 ? job->n_rows : 1;
    pthread_t *tid = zc_malloc(sizeof(pthread_t) * (size_t)n);
    for (int t = 0; t < n; t++)
        if (pthread_create(&tid[t], NULL, worker_main, &s) != 0)
            zc_die("cannot start thread %d of %d", t + 1, n);
    for (int t = 0; t < n; t++) pthread_join(tid[t], NULL);
    free(tid);
    pthread_mutex_destroy(&s.lock);
    if (job->progress && !s.failed && job->n_rows > 0) print_progress(&s, 1);
    if (s.failed) {
        snprintf(err, errlen, "%s", s.err);
        return -1;
    }
    return 0;
}
