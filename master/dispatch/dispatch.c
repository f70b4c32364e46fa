/* dispatch.c: the MPI master of `zcevo evolve` (share plan, program and
 * quick-check batches to the workers, lost-worker detection, shutdown) and
 * rank 0's side of a distributed `zcevo stats` (see dispatch.h and
 * common/mpi_protocol.h). */
#include "master/dispatch/dispatch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mpi/mpi_util.h"
#include "common/util/util.h"

typedef struct {
    const zc_evolve_opts *o;
    volatile sig_atomic_t *stop;
    int n_workers;              /* ranks 1..n_workers                        */
    zc_evolve_meta_store store;
    int n_shards, n_bins;
    zc_shard *shards;
    int *shard_bin;
    int *worker_bin;            /* per worker (rank - 1)                     */
    int check_bin;              /* bin holding the probe architectures (the
                                   quick check runs there), -1: on rank 0   */
    int *inflight;              /* WORK messages owed per worker             */
    double *last_heard;         /* when it last answered (or got work idle)  */
    int64_t next_job;
    unsigned char *rbuf;        /* receive buffer                            */
    size_t rbuf_cap;
    /* counters */
    double worker_seconds;      /* compute time reported by workers          */
    double busy_mark_worker, busy_mark_time;
    long long programs;         /* programs dispatched (per bin counted once) */
    long long messages;
    double bytes_sent, bytes_received;
    double master_seconds;      /* CPU time packing, sending, receiving,
                                   unpacking (idle polls included)           */
    double poll_seconds;        /* CPU time of idle polls                    */
    long long checked;          /* programs quick-checked on workers         */
    long long check_messages;
    double check_bytes, check_worker_seconds;
    double check_cpu;           /* master CPU in dispatch_check (polls too)   */
    double score_seconds;       /* wall time inside score()                  */
} dispatch;

/* cpu_now: this thread's CPU seconds (master costs measured in CPU time:
 * wall time on a shared, oversubscribed machine counts other processes). */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int zc_dispatch_plan(const zc_evolve_meta *meta, double worker_memory, int n_workers,
                     zc_shard *shards, int *n_shards, int *shard_bin, char *err,
                     size_t errlen) {
    int ns = 0, bin = 0;
    double bin_bytes = 0;
    for (int t = 0; t < meta->n_tasks; t++) {
        int n = meta->n_archs[t];
        double per_arch = n > 0 ? (double)meta->bytes[t] / n : 0;
        int k = 1;
        if (worker_memory > 0 && per_arch > 0 && (double)meta->bytes[t] > worker_memory) {
            double fit = floor(worker_memory / per_arch);
            if (fit < 1) {
                char b1[32], b2[32];
                snprintf(err, errlen, "task %s: one architecture holds %s of statistics, more "
                         "than --worker-memory %s; it fits on no worker", meta->name[t],
                         zc_format_bytes(per_arch, b1), zc_format_bytes(worker_memory, b2));
                return -1;
            }
            k = (int)ceil(n / fit);
        }
        for (int i = 0; i < k; i++) {
            zc_shard s = {t, (int)((int64_t)n * i / k), (int)((int64_t)n * (i + 1) / k)};
            double sb = per_arch * (s.a1 - s.a0);
            if (worker_memory > 0 && bin_bytes > 0 && bin_bytes + sb > worker_memory) {
                bin++;
                bin_bytes = 0;
            }
            shards[ns] = s;
            shard_bin[ns++] = bin;
            bin_bytes += sb;
        }
    }
    *n_shards = ns;
    int n_bins = bin + 1;
    if (n_bins > n_workers) {
        char b1[32];
        snprintf(err, errlen, "the tasks need %d workers of --worker-memory %s (one per share); "
                 "only %d worker rank(s) were started", n_bins,
                 zc_format_bytes(worker_memory, b1), n_workers);
        return -1;
    }
    return n_bins;
}

/* ---- start: plan, assign, wait until every worker holds its share -------- */

static int recv_any(dispatch *d, int tag, MPI_Status *st, int *len) {
    int flag = 0;
    MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &flag, st));
    if (!flag) return 0;
    MPI_CHECK(MPI_Get_count(st, MPI_BYTE, len));
    if ((size_t)*len + 1 > d->rbuf_cap) {
        d->rbuf_cap = (size_t)*len + 1;
        d->rbuf = zc_realloc(d->rbuf, d->rbuf_cap);
    }
    MPI_CHECK(MPI_Recv(d->rbuf, *len, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE));
    d->rbuf[*len] = 0;
    d->bytes_received += *len;
    return 1;
}

static int dispatch_start(void *ctx, zc_evolve_meta *meta, char *err, size_t errlen) {
    dispatch *d = ctx;
    const zc_evolve_opts *o = d->o;
    if (zc_evolve_meta_compute(o, o->worker_memory > 0, &d->store, d->stop, err, errlen) != 0)
        return (d->stop && *d->stop) ? 1 : -1;
    *meta = d->store.meta;
    int max_shards = 0;
    for (int t = 0; t < meta->n_tasks; t++) max_shards += meta->n_archs[t];
    d->shards = zc_malloc(sizeof *d->shards * (size_t)max_shards);
    d->shard_bin = zc_malloc(sizeof(int) * (size_t)max_shards);
    d->n_bins = zc_dispatch_plan(meta, o->worker_memory, d->n_workers, d->shards, &d->n_shards,
                                 d->shard_bin, err, errlen);
    if (d->n_bins < 0) return -1;
    d->check_bin = -1;
    for (int s = 0; s < d->n_shards; s++)
        if (d->shards[s].task == 0 && d->shards[s].a0 == 0 && meta->n_probe == 2 &&
            d->shards[s].a1 >= 2)
            d->check_bin = d->shard_bin[s];
    double t0 = zc_now();
    for (int w = 0; w < d->n_workers; w++) {
        int bin = w % d->n_bins;
        d->worker_bin[w] = bin;
        int n = 0;
        for (int s = 0; s < d->n_shards; s++) n += d->shard_bin[s] == bin;
        size_t len = sizeof(zc_msg_assign) + sizeof(zc_shard) * (size_t)n;
        unsigned char *buf = zc_malloc(len);
        zc_msg_assign h = {n, bin};
        memcpy(buf, &h, sizeof h);
        size_t off = sizeof h;
        for (int s = 0; s < d->n_shards; s++)
            if (d->shard_bin[s] == bin) {
                memcpy(buf + off, &d->shards[s], sizeof(zc_shard));
                off += sizeof(zc_shard);
            }
        MPI_CHECK(MPI_Send(buf, (int)len, MPI_BYTE, w + 1, ZC_TAG_ASSIGN, MPI_COMM_WORLD));
        d->bytes_sent += (double)len;
        free(buf);
    }
    if (!o->quiet) {
        char b1[32];
        fprintf(stderr, "dispatch: %d workers, %d share(s) of the %d task(s) (%d shards%s%s), "
                "waiting for the workers' statistics\n", d->n_workers, d->n_bins,
                meta->n_tasks, d->n_shards, o->worker_memory > 0 ? ", --worker-memory " : "",
                o->worker_memory > 0 ? zc_format_bytes(o->worker_memory, b1) : "");
    }
    int ready = 0;
    double max_bytes = 0;
    while (ready < d->n_workers) {
        MPI_Status st;
        int len;
        if (!recv_any(d, ZC_TAG_READY, &st, &len)) {
            if (d->stop && *d->stop) return 1;
            zc_sleep_ns(1000000);
            continue;
        }
        zc_msg_ready r;
        memcpy(&r, d->rbuf, sizeof r);
        if (r.status != 0) {
            snprintf(err, errlen, "worker rank %d: %s", st.MPI_SOURCE,
                     (char *)d->rbuf + sizeof r);
            return -1;
        }
        if ((double)r.bytes > max_bytes) max_bytes = (double)r.bytes;
        ready++;
    }
    if (o->worker_memory > 0 && max_bytes > o->worker_memory * 1.05) {
        char b1[32], b2[32];
        zc_warn("a worker holds %s of statistics, more than --worker-memory %s (the split "
                "was planned from each task's first architecture)",
                zc_format_bytes(max_bytes, b1), zc_format_bytes(o->worker_memory, b2));
    }
    meta->seconds = d->store.meta.seconds + (zc_now() - t0);
    d->busy_mark_time = zc_now();
    d->busy_mark_worker = 0;
    return 0;
}

/* ---- score: batches to workers, scores back ------------------------------- */

typedef struct {
    int p0, np;
    unsigned char *buf;      /* WORK message, shared by the bins' sends     */
    size_t len;
    int *worker;             /* per bin: rank - 1 holding it, -1 pending    */
    int *done;               /* per bin                                     */
} batch;

static int dispatch_score(void *ctx, const zc_program *progs, int n, double *const *scores,
                          char *err, size_t errlen) {
    dispatch *d = ctx;
    double t_call = zc_now();
    double t_active = cpu_now();
    int per_bin_workers = d->n_workers / d->n_bins;
    int bs = d->o->dispatch_batch;
    if (bs <= 0) {
        int target = per_bin_workers * ZC_DISPATCH_INFLIGHT * 2;
        bs = (n + target - 1) / target;
        bs = ZC_MAX(1, ZC_MIN(bs, 256));
    }
    int nb = (n + bs - 1) / bs;
    batch *b = zc_calloc((size_t)nb + 1, sizeof *b);
    int64_t base = d->next_job;
    d->next_job += nb;
    for (int i = 0; i < nb; i++) {
        b[i].p0 = i * bs;
        b[i].np = ZC_MIN(bs, n - b[i].p0);
        size_t payload = 0;
        for (int p = 0; p < b[i].np; p++) payload += 2 + progs[b[i].p0 + p].len;
        b[i].len = sizeof(zc_msg_work) + payload;
        b[i].buf = zc_malloc(b[i].len);
        zc_msg_work h = {base + i, b[i].np, (int32_t)payload};
        memcpy(b[i].buf, &h, sizeof h);
        size_t off = sizeof h;
        for (int p = 0; p < b[i].np; p++) {
            const zc_program *pr = &progs[b[i].p0 + p];
            memcpy(b[i].buf + off, &pr->len, 2);
            memcpy(b[i].buf + off + 2, pr->code, pr->len);
            off += 2 + (size_t)pr->len;
        }
        b[i].worker = zc_malloc(sizeof(int) * (size_t)d->n_bins);
        b[i].done = zc_calloc((size_t)d->n_bins, sizeof(int));
        for (int k = 0; k < d->n_bins; k++) b[i].worker[k] = -1;
    }
    int *next_pending = zc_calloc((size_t)d->n_bins, sizeof(int));
    int jobs_left = nb * d->n_bins;
    MPI_Request *req = zc_malloc(sizeof(MPI_Request) * (size_t)(jobs_left + 1));
    int n_req = 0;
    int rc = 0;
    long wait_ns = 10000; /* idle poll interval: grows to 1 ms while nothing comes */
    d->master_seconds += cpu_now() - t_active;
    while (jobs_left > 0) {
        t_active = cpu_now();
        long long sent_before = d->messages;
        /* hand out work: fill the emptiest workers first */
        for (int level = 0; level < ZC_DISPATCH_INFLIGHT; level++)
            for (int w = 0; w < d->n_workers; w++) {
                int bin = d->worker_bin[w];
                if (d->inflight[w] != level || next_pending[bin] >= nb) continue;
                batch *x = &b[next_pending[bin]++];
                x->worker[bin] = w;
                if (d->inflight[w] == 0) d->last_heard[w] = zc_now();
                d->inflight[w]++;
                MPI_CHECK(MPI_Isend(x->buf, (int)x->len, MPI_BYTE, w + 1, ZC_TAG_WORK,
                                    MPI_COMM_WORLD, &req[n_req++]));
                d->bytes_sent += (double)x->len;
                d->messages++;
            }
        MPI_Status st;
        int len;
        if (recv_any(d, ZC_TAG_RESULT, &st, &len)) {
            int w = st.MPI_SOURCE - 1, bin = d->worker_bin[w];
            zc_msg_result r;
            memcpy(&r, d->rbuf, sizeof r);
            int64_t i = r.job - base;
            d->last_heard[w] = zc_now();
            if (r.status != 0) {
                snprintf(err, errlen, "worker rank %d: %s", st.MPI_SOURCE,
                         (char *)d->rbuf + sizeof r);
                rc = -1;
                break;
            }
            if (i < 0 || i >= nb || b[i].worker[bin] != w || b[i].done[bin]) {
                d->master_seconds += cpu_now() - t_active;
                continue; /* stale (an abandoned call): ignore */
            }
            const double *v = (const double *)(d->rbuf + sizeof r);
            int64_t k = 0, want = 0;
            for (int s = 0; s < d->n_shards; s++)
                if (d->shard_bin[s] == bin)
                    want += (int64_t)b[i].np * (d->shards[s].a1 - d->shards[s].a0);
            if (want != r.n_values || (size_t)len != sizeof r + sizeof(double) * (size_t)want) {
                snprintf(err, errlen, "worker rank %d sent %d scores for job %lld, expected "
                         "%lld", st.MPI_SOURCE, r.n_values, (long long)r.job, (long long)want);
                rc = -1;
                break;
            }
            for (int s = 0; s < d->n_shards; s++) {
                if (d->shard_bin[s] != bin) continue;
                const zc_shard *sh = &d->shards[s];
                int na = d->store.meta.n_archs[sh->task];
                for (int p = 0; p < b[i].np; p++) {
                    double *dst = scores[sh->task] + (size_t)(b[i].p0 + p) * na + sh->a0;
                    memcpy(dst, v + k, sizeof(double) * (size_t)(sh->a1 - sh->a0));
                    k += sh->a1 - sh->a0;
                }
            }
            b[i].done[bin] = 1;
            d->inflight[w]--;
            d->worker_seconds += r.seconds;
            jobs_left--;
            d->master_seconds += cpu_now() - t_active;
            wait_ns = 10000;
            continue;
        }
        /* an idle poll: its CPU time is polling overhead, not per-program cost */
        if (d->messages != sent_before) d->master_seconds += cpu_now() - t_active;
        else d->poll_seconds += cpu_now() - t_active;
        if (d->stop && *d->stop) {
            rc = 1;
            break;
        }
        double now = zc_now();
        for (int w = 0; w < d->n_workers; w++)
            if (d->inflight[w] > 0 && now - d->last_heard[w] > d->o->worker_timeout) {
                snprintf(err, errlen, "worker rank %d sent no result for %.1f s "
                         "(--worker-timeout %g): it died or hangs", w + 1,
                         now - d->last_heard[w], d->o->worker_timeout);
                rc = -1;
                break;
            }
        if (rc) break;
        zc_sleep_ns(wait_ns);
        if (wait_ns < 1000000) wait_ns += wait_ns / 2;
    }
    if (rc == 0) {
        MPI_CHECK(MPI_Waitall(n_req, req, MPI_STATUSES_IGNORE));
        for (int i = 0; i < nb; i++) free(b[i].buf);
        d->programs += n;
    }
    /* on failure the sends may still be pending: their buffers are left
     * allocated (the run ends) */
    for (int i = 0; i < nb; i++) {
        free(b[i].worker);
        free(b[i].done);
    }
    free(b);
    free(req);
    free(next_pending);
    d->score_seconds += zc_now() - t_call;
    return rc;
}

/* dispatch_check: the quick check on the workers of the probe bin, in
 * batches, several in flight per worker, as dispatch_score. */
static int dispatch_check(void *ctx, const zc_program *progs, int n, unsigned char *ok,
                          char *err, size_t errlen) {
    dispatch *d = ctx;
    double t_active = cpu_now();
    double sent0 = d->bytes_sent, recv0 = d->bytes_received, work0 = d->worker_seconds;
    long long msg0 = d->messages;
    int eligible = 0;
    for (int w = 0; w < d->n_workers; w++) eligible += d->worker_bin[w] == d->check_bin;
    int target = eligible * ZC_DISPATCH_INFLIGHT * 2;
    int bs = ZC_MAX(1, ZC_MIN((n + target - 1) / target, 256));
    int nb = (n + bs - 1) / bs;
    int64_t base = d->next_job;
    d->next_job += nb;
    unsigned char **buf = zc_calloc((size_t)nb + 1, sizeof *buf);
    size_t *len = zc_calloc((size_t)nb + 1, sizeof *len);
    int *owner = zc_malloc(sizeof(int) * (size_t)(nb + 1));
    MPI_Request *req = zc_malloc(sizeof(MPI_Request) * (size_t)(nb + 1));
    for (int i = 0; i < nb; i++) {
        int p0 = i * bs, np = ZC_MIN(bs, n - p0);
        size_t payload = 0;
        for (int p = 0; p < np; p++) payload += 2 + progs[p0 + p].len;
        len[i] = sizeof(zc_msg_work) + payload;
        buf[i] = zc_malloc(len[i]);
        zc_msg_work h = {base + i, np, (int32_t)payload};
        memcpy(buf[i], &h, sizeof h);
        size_t off = sizeof h;
        for (int p = 0; p < np; p++) {
            memcpy(buf[i] + off, &progs[p0 + p].len, 2);
            memcpy(buf[i] + off + 2, progs[p0 + p].code, progs[p0 + p].len);
            off += 2 + (size_t)progs[p0 + p].len;
        }
        owner[i] = -1;
    }
    int next = 0, left = nb, rc = 0;
    long wait_ns = 10000;
    while (left > 0) {
        long long sent_before = d->messages;
        for (int level = 0; level < ZC_DISPATCH_INFLIGHT; level++)
            for (int w = 0; w < d->n_workers && next < nb; w++) {
                if (d->worker_bin[w] != d->check_bin || d->inflight[w] != level) continue;
                if (d->inflight[w] == 0) d->last_heard[w] = zc_now();
                d->inflight[w]++;
                owner[next] = w;
                MPI_CHECK(MPI_Isend(buf[next], (int)len[next], MPI_BYTE, w + 1, ZC_TAG_CHECK,
                                    MPI_COMM_WORLD, &req[next]));
                d->bytes_sent += (double)len[next];
                d->messages++;
                next++;
            }
        MPI_Status st;
        int rlen;
        if (recv_any(d, ZC_TAG_CHECKED, &st, &rlen)) {
            int w = st.MPI_SOURCE - 1;
            zc_msg_result r;
            memcpy(&r, d->rbuf, sizeof r);
            int64_t i = r.job - base;
            d->last_heard[w] = zc_now();
            if (r.status != 0) {
                snprintf(err, errlen, "worker rank %d: %s", st.MPI_SOURCE,
                         (char *)d->rbuf + sizeof r);
                rc = -1;
                break;
            }
            if (i < 0 || i >= nb || owner[i] != w) continue; /* stale */
            int p0 = (int)i * bs, np = ZC_MIN(bs, n - p0);
            if (r.n_values != np || (size_t)rlen != sizeof r + (size_t)np) {
                snprintf(err, errlen, "worker rank %d sent %d verdicts, expected %d",
                         st.MPI_SOURCE, r.n_values, np);
                rc = -1;
                break;
            }
            memcpy(ok + p0, d->rbuf + sizeof r, (size_t)np);
            owner[i] = -2;
            d->inflight[w]--;
            d->worker_seconds += r.seconds;
            left--;
            wait_ns = 10000;
            continue;
        }
        if (d->messages == sent_before) {
            if (d->stop && *d->stop) {
                rc = 1;
                break;
            }
            double now = zc_now();
            for (int w = 0; w < d->n_workers && !rc; w++)
                if (d->inflight[w] > 0 && now - d->last_heard[w] > d->o->worker_timeout) {
                    snprintf(err, errlen, "worker rank %d sent no result for %.1f s "
                             "(--worker-timeout %g): it died or hangs", w + 1,
                             now - d->last_heard[w], d->o->worker_timeout);
                    rc = -1;
                }
            if (rc) break;
            zc_sleep_ns(wait_ns);
            if (wait_ns < 1000000) wait_ns += wait_ns / 2;
        }
    }
    if (rc == 0) {
        MPI_CHECK(MPI_Waitall(nb, req, MPI_STATUSES_IGNORE));
        for (int i = 0; i < nb; i++) free(buf[i]);
    }
    free(buf);
    free(len);
    free(owner);
    free(req);
    /* keep the quick check's traffic out of the scoring counters */
    d->checked += n;
    d->check_cpu += cpu_now() - t_active;
    d->check_bytes += (d->bytes_sent - sent0) + (d->bytes_received - recv0);
    d->check_messages += d->messages - msg0;
    d->check_worker_seconds += d->worker_seconds - work0;
    d->bytes_sent = sent0;
    d->bytes_received = recv0;
    d->messages = msg0;
    d->worker_seconds = work0;
    return rc;
}

/* dispatch_validate: on the workers when one bin holds the probes, else on
 * the master's threads (the local path, same verdicts). */
static int dispatch_validate(void *ctx, const zc_program *progs, int n, unsigned char *ok,
                             char *err, size_t errlen);

static int dispatch_validate(void *ctx, const zc_program *progs, int n, unsigned char *ok,
                             char *err, size_t errlen) {
    dispatch *d = ctx;
    if (d->check_bin < 0) return 2;
    return dispatch_check(d, progs, n, ok, err, errlen);
}

static double dispatch_busy(void *ctx) {
    dispatch *d = ctx;
    double now = zc_now();
    double span = (now - d->busy_mark_time) * d->n_workers;
    double work = d->worker_seconds + d->check_worker_seconds;
    double f = span > 0 ? (work - d->busy_mark_worker) / span : 0;
    d->busy_mark_time = now;
    d->busy_mark_worker = work;
    return f;
}

/* stop_workers: STOP to every worker, then drain results until each has
 * acknowledged (a worker blocked sending a large result must be received
 * before it can see the STOP). Returns 0, or -1 when some did not answer
 * within timeout seconds. */
static int stop_workers(dispatch *d, double timeout) {
    char empty = 0;
    for (int w = 0; w < d->n_workers; w++)
        MPI_CHECK(MPI_Send(&empty, 0, MPI_BYTE, w + 1, ZC_TAG_STOP, MPI_COMM_WORLD));
    int acked = 0;
    double t0 = zc_now();
    while (acked < d->n_workers) {
        MPI_Status st;
        int len;
        if (recv_any(d, MPI_ANY_TAG, &st, &len)) {
            if (st.MPI_TAG == ZC_TAG_STOP) acked++;
            continue;
        }
        if (zc_now() - t0 > timeout) return -1;
        zc_sleep_ns(200000);
    }
    return 0;
}

int zc_dispatch_evolve(const zc_evolve_opts *o, int world_size, volatile sig_atomic_t *stop) {
    dispatch d;
    memset(&d, 0, sizeof d);
    d.o = o;
    d.stop = stop;
    d.n_workers = world_size - 1;
    d.worker_bin = zc_calloc((size_t)d.n_workers, sizeof(int));
    d.inflight = zc_calloc((size_t)d.n_workers, sizeof(int));
    d.last_heard = zc_calloc((size_t)d.n_workers, sizeof(double));
    zc_evolve_dist dist = {&d, dispatch_start, {&d, dispatch_score}, dispatch_validate,
                           dispatch_busy};
    int code = zc_evolve_run(o, &dist, stop);
    if (!o->quiet && d.programs > 0) {
        double per = d.programs ? 1.0 / (double)d.programs : 0;
        if (d.check_bin >= 0)
            fprintf(stderr, "dispatch: quick check of %lld programs on the workers in %lld "
                    "messages, %.0f B/program, master %.1f us CPU/program, workers %.2f s\n",
                    d.checked, d.check_messages, d.checked ? d.check_bytes / d.checked : 0,
                    d.checked ? 1e6 * d.check_cpu / d.checked : 0, d.check_worker_seconds);
        else
            fprintf(stderr, "dispatch: quick check on the master (no worker holds both probe "
                    "architectures)\n");
        fprintf(stderr, "dispatch: %lld programs in %lld messages; sent %.0f B/program, "
                "received %.0f B/program; master %.1f us CPU/program (+ %.1f us idle "
                "polling); workers busy %.0f%% of the scoring time\n", d.programs, d.messages,
                d.bytes_sent * per, d.bytes_received * per, d.master_seconds * per * 1e6,
                d.poll_seconds * per * 1e6,
                d.score_seconds > 0 ? 100 * d.worker_seconds / (d.score_seconds * d.n_workers)
                                    : 0);
    }
    if (code == ZC_EXIT_WORKER_LOST) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, ZC_EXIT_WORKER_LOST);
    }
    /* after a signal, do not wait long for workers still loading statistics:
     * the job must end within seconds (the abort keeps the exit code) */
    double drain = code == ZC_EXIT_CHECKPOINTED ? ZC_MIN(o->worker_timeout, 10.0)
                                                : o->worker_timeout;
    if (stop_workers(&d, drain) != 0) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    zc_evolve_meta_free(&d.store);
    free(d.shards);
    free(d.shard_bin);
    free(d.worker_bin);
    free(d.inflight);
    free(d.last_heard);
    free(d.rbuf);
    return code;
}

/* ---- distributed statistics ------------------------------------------------- */

int zc_dispatch_rows_of(const int *rows, int n, int rank, int ranks, int *out) {
    int m = 0;
    for (int i = rank; i < n; i += ranks) out[m++] = rows[i];
    return m;
}

int zc_dispatch_records(int world_size, int expected, int progress,
                        int (*put)(void *ctx, zc_arch_stats *record, char *err, size_t errlen),
                        void *ctx, char *err, size_t errlen) {
    dispatch d;
    memset(&d, 0, sizeof d);
    int done = 0, got = 0, rc = 0;
    double t0 = zc_now(), last = t0;
    while (done < world_size - 1) {
        MPI_Status st;
        int len;
        if (!recv_any(&d, ZC_TAG_RECORD, &st, &len)) {
            zc_sleep_ns(200000);
            continue;
        }
        zc_msg_record h;
        memcpy(&h, d.rbuf, sizeof h);
        if (h.index < 0) {
            done++;
            continue;
        }
        if (rc != 0) continue; /* after a failure: drain until all are done */
        if (h.status != 0) {
            snprintf(err, errlen, "rank %d: %s", st.MPI_SOURCE, (char *)d.rbuf + sizeof h);
            rc = -1;
            continue;
        }
        zc_arch_stats rec;
        if (zc_record_unpack(d.rbuf + sizeof h, (size_t)len - sizeof h, &rec) != 0) {
            snprintf(err, errlen, "rank %d sent a malformed statistics record", st.MPI_SOURCE);
            rc = -1;
            continue;
        }
        if (put(ctx, &rec, err, errlen) != 0) rc = -1;
        zc_arch_stats_free(&rec);
        got++;
        if (progress && zc_now() - last > 2) {
            last = zc_now();
            fprintf(stderr, "stats: %d/%d architectures from %d ranks (%.2f arch/s)\n", got,
                    expected, world_size - 1, got / (last - t0));
        }
    }
    free(d.rbuf);
    return rc;
}
