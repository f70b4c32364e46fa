/* dispatch.c: the evolve master as a distributed score backend: its
 * creation, the backend it offers the run driver, the busy figure, and the
 * end of the run (figures, STOP to the workers). The parts: dispatch_start.c
 * (shares), dispatch_round.c (batches to workers and back),
 * dispatch_score.c (scores and quick checks). See dispatch.h and
 * common/mpi/mpi_protocol.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/dispatch/dispatch.h"
#include "master/dispatch/dispatch_internal.h"

zc_dispatch *zc_dispatch_new(const zc_evolve_opts *o, int world_size,
                             volatile sig_atomic_t *stop) {
    zc_dispatch *d = zc_calloc(1, sizeof *d);
    d->o = o;
    d->stop = stop;
    d->n_workers = world_size - 1;
    d->worker_bin = zc_calloc((size_t)d->n_workers, sizeof(int));
    d->inflight = zc_calloc((size_t)d->n_workers, sizeof(int));
    d->last_heard = zc_calloc((size_t)d->n_workers, sizeof(double));
    return d;
}

/* dispatch_busy: zc_evolve_dist.busy: worker compute time (scores and
 * checks) over worker wall time since the last call. */
static double dispatch_busy(void *ctx) {
    zc_dispatch *d = ctx;
    double now = zc_now();
    double span = (now - d->busy_mark_time) * d->n_workers;
    double work = d->score.worker_seconds + d->check.worker_seconds;
    double f = span > 0 ? (work - d->busy_mark_worker) / span : 0;
    d->busy_mark_time = now;
    d->busy_mark_worker = work;
    return f;
}

zc_evolve_dist zc_dispatch_dist(zc_dispatch *d) {
    zc_evolve_dist dist = {d, zc_dispatch_start, {d, zc_dispatch_score}, zc_dispatch_validate,
                           dispatch_busy};
    return dist;
}

/* report: the dispatch figures of the run on stderr: the quick checks,
 * then messages, bytes and CPU per program and the workers' busy share. */
static void report(const zc_dispatch *d) {
    const zc_dispatch_traffic *c = &d->check, *s = &d->score;
    double per = d->programs ? 1.0 / (double)d->programs : 0;
    if (d->check_bin >= 0)
        fprintf(stderr, "dispatch: quick check of %lld programs on the workers in %lld "
                "messages, %.0f B/program, master %.1f us CPU/program, workers %.2f s\n",
                d->checked, c->messages,
                d->checked ? (c->bytes_sent + c->bytes_received) / d->checked : 0,
                d->checked ? 1e6 * (c->active_cpu + c->poll_cpu) / d->checked : 0,
                c->worker_seconds);
    else
        fprintf(stderr, "dispatch: quick check on the master (no worker holds both probe "
                "architectures)\n");
    fprintf(stderr, "dispatch: %lld programs in %lld messages; sent %.0f B/program, "
            "received %.0f B/program; master %.1f us CPU/program (+ %.1f us idle "
            "polling); workers busy %.0f%% of the scoring time\n", d->programs, s->messages,
            s->bytes_sent * per, s->bytes_received * per, s->active_cpu * per * 1e6,
            s->poll_cpu * per * 1e6,
            d->score_seconds > 0 ? 100 * s->worker_seconds / (d->score_seconds * d->n_workers)
                                 : 0);
}

/* stop_workers: STOP to every worker, then drain results until each has
 * acknowledged (a worker blocked sending a large result must be received
 * before it can see the STOP). Returns 0, or -1 when some did not answer
 * within timeout seconds. */
static int stop_workers(zc_dispatch *d, double timeout) {
    char empty = 0;
    for (int w = 0; w < d->n_workers; w++)
        MPI_CHECK(MPI_Send(&empty, 0, MPI_BYTE, w + 1, ZC_TAG_STOP, MPI_COMM_WORLD));
    int acked = 0;
    double t0 = zc_now();
    while (acked < d->n_workers) {
        MPI_Status st;
        int len;
        if (zc_dispatch_recv(&d->rbuf, MPI_ANY_TAG, &st, &len)) {
            if (st.MPI_TAG == ZC_TAG_STOP) acked++;
            continue;
        }
        if (zc_now() - t0 > timeout) return -1;
        zc_sleep_ns(200000);
    }
    return 0;
}

/* abort_job: end every rank with exit code `code` (what is printed so far
 * is flushed first). */
static void abort_job(int code) {
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
}

int zc_dispatch_end(zc_dispatch *d, int code) {
    const zc_evolve_opts *o = d->o;
    if (!o->quiet && d->programs > 0) report(d);
    if (code == ZC_EXIT_WORKER_LOST) abort_job(ZC_EXIT_WORKER_LOST);
    /* after a signal, do not wait long for workers still loading statistics:
     * the job must end within seconds (the abort keeps the exit code) */
    double drain = code == ZC_EXIT_CHECKPOINTED ? ZC_MIN(o->worker_timeout, 10.0)
                                                : o->worker_timeout;
    if (stop_workers(d, drain) != 0) abort_job(code);
    zc_evolve_meta_free(&d->store);
    free(d->shards);
    free(d->shard_bin);
    free(d->worker_bin);
    free(d->inflight);
    free(d->last_heard);
    zc_recv_buf_free(&d->rbuf);
    free(d);
    return code;
}
