/* dispatch_round.c: one job round of the evolve master, the one mechanism
 * behind program scoring and the quick check: programs cut into batches,
 * handed to the workers of each bin concerned (several in flight per
 * worker, emptiest first), answers received with non-blocking probes, and a
 * worker that owes an answer and stays silent for --worker-timeout seconds
 * reported lost (see dispatch_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/dispatch/dispatch_internal.h"

/* One batch of programs: its message (shared by the sends to every bin)
 * and, per bin, the worker holding it and whether it was answered. */
typedef struct {
    int p0, np;
    unsigned char *buf;
    size_t len;
    int *worker;             /* per bin: rank - 1 holding it, -1 pending    */
    int *done;               /* per bin                                     */
} batch;

/* A round in progress. */
typedef struct {
    zc_dispatch *d;
    const zc_dispatch_round *round;
    batch *b;
    int nb;
    int64_t base;            /* job id of batch 0                           */
    int *next_pending;       /* per bin: next batch to hand out (nb: none)  */
    int jobs_left;           /* (batch, bin) answers still owed             */
    MPI_Request *req;
    int n_req;
} round_state;

/* pack_batches: rs's batches of progs[0..n) as messages of send_tag,
 * with job ids from d->next_job on. */
static void pack_batches(round_state *rs, const zc_program *progs, int n) {
    zc_dispatch *d = rs->d;
    int bs = rs->round->batch_size;
    rs->nb = (n + bs - 1) / bs;
    rs->b = zc_calloc((size_t)rs->nb + 1, sizeof *rs->b);
    rs->base = d->next_job;
    d->next_job += rs->nb;
    for (int i = 0; i < rs->nb; i++) {
        batch *x = &rs->b[i];
        x->p0 = i * bs;
        x->np = ZC_MIN(bs, n - x->p0);
        size_t payload = 0;
        for (int p = 0; p < x->np; p++) payload += 2 + progs[x->p0 + p].len;
        x->len = sizeof(zc_msg_work) + payload;
        x->buf = zc_malloc(x->len);
        zc_msg_work h = {rs->base + i, x->np, (int32_t)payload};
        memcpy(x->buf, &h, sizeof h);
        size_t off = sizeof h;
        for (int p = 0; p < x->np; p++) {
            const zc_program *pr = &progs[x->p0 + p];
            memcpy(x->buf + off, &pr->len, 2);
            memcpy(x->buf + off + 2, pr->code, pr->len);
            off += 2 + (size_t)pr->len;
        }
        x->worker = zc_malloc(sizeof(int) * (size_t)d->n_bins);
        x->done = zc_calloc((size_t)d->n_bins, sizeof(int));
        for (int k = 0; k < d->n_bins; k++) x->worker[k] = -1;
    }
}

/* round_begin: rs for progs[0..n): batches packed, every bin concerned
 * owed every batch. */
static void round_begin(round_state *rs, zc_dispatch *d, const zc_dispatch_round *round,
                        const zc_program *progs, int n) {
    memset(rs, 0, sizeof *rs);
    rs->d = d;
    rs->round = round;
    pack_batches(rs, progs, n);
    rs->next_pending = zc_calloc((size_t)d->n_bins, sizeof(int));
    int bins = 0;
    for (int k = 0; k < d->n_bins; k++) {
        if (round->only_bin >= 0 && k != round->only_bin) rs->next_pending[k] = rs->nb;
        else bins++;
    }
    rs->jobs_left = rs->nb * bins;
    rs->req = zc_malloc(sizeof(MPI_Request) * (size_t)(rs->jobs_left + 1));
}

/* hand_out: fill the workers up to ZC_DISPATCH_INFLIGHT outstanding
 * batches, the emptiest first, with their bins' next batches. */
static void hand_out(round_state *rs) {
    zc_dispatch *d = rs->d;
    zc_dispatch_traffic *tr = rs->round->traffic;
    for (int level = 0; level < ZC_DISPATCH_INFLIGHT; level++)
        for (int w = 0; w < d->n_workers; w++) {
            int bin = d->worker_bin[w];
            if (d->inflight[w] != level || rs->next_pending[bin] >= rs->nb) continue;
            batch *x = &rs->b[rs->next_pending[bin]++];
            x->worker[bin] = w;
            if (d->inflight[w] == 0) d->last_heard[w] = zc_now();
            d->inflight[w]++;
            MPI_CHECK(MPI_Isend(x->buf, (int)x->len, MPI_BYTE, w + 1, rs->round->send_tag,
                                MPI_COMM_WORLD, &rs->req[rs->n_req++]));
            tr->bytes_sent += (double)x->len;
            tr->messages++;
        }
}

/* receive_answer: one waiting answer, if any. Returns 0 when none was
 * waiting, 1 for a stale answer (of an abandoned round: ignored), 2 when
 * an answer was accepted, -1 with err when a worker reported an error or
 * its answer was refused. */
static int receive_answer(round_state *rs, char *err, size_t errlen) {
    zc_dispatch *d = rs->d;
    const zc_dispatch_round *round = rs->round;
    MPI_Status st;
    int len;
    if (!zc_dispatch_recv(&d->rbuf, round->answer_tag, &st, &len)) return 0;
    round->traffic->bytes_received += len;
    int w = st.MPI_SOURCE - 1, bin = d->worker_bin[w];
    zc_msg_result r;
    memcpy(&r, d->rbuf.buf, sizeof r);
    int64_t i = r.job - rs->base;
    d->last_heard[w] = zc_now();
    if (r.status != 0) {
        snprintf(err, errlen, "worker rank %d: %s", st.MPI_SOURCE,
                 (char *)d->rbuf.buf + sizeof r);
        return -1;
    }
    if (i < 0 || i >= rs->nb || rs->b[i].worker[bin] != w || rs->b[i].done[bin]) return 1;
    if (round->accept(round->ctx, st.MPI_SOURCE, bin, rs->b[i].p0, rs->b[i].np, &r, d->rbuf.buf,
                      (size_t)len, err, errlen) != 0)
        return -1;
    rs->b[i].done[bin] = 1;
    d->inflight[w]--;
    round->traffic->worker_seconds += r.seconds;
    rs->jobs_left--;
    return 2;
}

/* lost_worker: -1 with err naming the first worker that owes an answer
 * and has been silent for more than --worker-timeout seconds, else 0. */
static int lost_worker(const zc_dispatch *d, char *err, size_t errlen) {
    double now = zc_now();
    for (int w = 0; w < d->n_workers; w++)
        if (d->inflight[w] > 0 && now - d->last_heard[w] > d->o->worker_timeout) {
            snprintf(err, errlen, "worker rank %d sent no result for %.1f s "
                     "(--worker-timeout %g): it died or hangs", w + 1,
                     now - d->last_heard[w], d->o->worker_timeout);
            return -1;
        }
    return 0;
}

/* round_end: wait for the sends and free the messages (after success
 * only), free the bookkeeping. */
static void round_end(round_state *rs, int rc) {
    if (rc == 0) {
        MPI_CHECK(MPI_Waitall(rs->n_req, rs->req, MPI_STATUSES_IGNORE));
        for (int i = 0; i < rs->nb; i++) free(rs->b[i].buf);
    }
    for (int i = 0; i < rs->nb; i++) {
        free(rs->b[i].worker);
        free(rs->b[i].done);
    }
    free(rs->b);
    free(rs->req);
    free(rs->next_pending);
}

int zc_dispatch_auto_batch(int n, int workers) {
    int target = workers * ZC_DISPATCH_INFLIGHT * 2;
    int bs = (n + target - 1) / target;
    return ZC_MAX(1, ZC_MIN(bs, 256));
}

int zc_dispatch_round_run(zc_dispatch *d, const zc_dispatch_round *round, const zc_program *progs,
                          int n, char *err, size_t errlen) {
    zc_dispatch_traffic *tr = round->traffic;
    double t_active = zc_dispatch_cpu_now();
    round_state rs;
    round_begin(&rs, d, round, progs, n);
    tr->active_cpu += zc_dispatch_cpu_now() - t_active;
    int rc = 0;
    long wait_ns = 10000; /* idle poll interval: grows to 1 ms while nothing comes */
    while (rs.jobs_left > 0) {
        t_active = zc_dispatch_cpu_now();
        long long sent_before = tr->messages;
        hand_out(&rs);
        int got = receive_answer(&rs, err, errlen);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got > 0) {
            tr->active_cpu += zc_dispatch_cpu_now() - t_active;
            if (got == 2) wait_ns = 10000;
            continue;
        }
        /* an idle poll: its CPU time is polling overhead, not per-program cost */
        if (tr->messages != sent_before) tr->active_cpu += zc_dispatch_cpu_now() - t_active;
        else tr->poll_cpu += zc_dispatch_cpu_now() - t_active;
        if (d->stop && *d->stop) {
            rc = 1;
            break;
        }
        if (lost_worker(d, err, errlen) != 0) {
            rc = -1;
            break;
        }
        zc_sleep_ns(wait_ns);
        if (wait_ns < 1000000) wait_ns += wait_ns / 2;
    }
    round_end(&rs, rc);
    return rc;
}
