/* dispatch_start.c: the start of a distributed evolve run: the share plan
 * (zc_dispatch_plan), ASSIGN to every worker, and the wait until every
 * worker holds its statistics (see dispatch_internal.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/dispatch/dispatch.h"
#include "master/dispatch/dispatch_internal.h"

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

/* plan_shares: d's shards and bins for the tasks in meta, and the bin
 * where the quick check runs (the one whose shard starts with both probe
 * architectures; -1: none, rank 0 checks). Returns 0, or -1 with err. */
static int plan_shares(zc_dispatch *d, const zc_evolve_meta *meta, char *err, size_t errlen) {
    int max_shards = 0;
    for (int t = 0; t < meta->n_tasks; t++) max_shards += meta->n_archs[t];
    d->shards = zc_malloc(sizeof *d->shards * (size_t)max_shards);
    d->shard_bin = zc_malloc(sizeof(int) * (size_t)max_shards);
    d->n_bins = zc_dispatch_plan(meta, d->o->worker_memory, d->n_workers, d->shards,
                                 &d->n_shards, d->shard_bin, err, errlen);
    if (d->n_bins < 0) return -1;
    d->check_bin = -1;
    for (int s = 0; s < d->n_shards; s++)
        if (d->shards[s].task == 0 && d->shards[s].a0 == 0 && meta->n_probe == 2 &&
            d->shards[s].a1 >= 2)
            d->check_bin = d->shard_bin[s];
    return 0;
}

/* send_assignments: ASSIGN to every worker: worker w holds bin
 * w % n_bins, the shards of that bin in plan order. */
static void send_assignments(zc_dispatch *d) {
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
        d->score.bytes_sent += (double)len;
        free(buf);
    }
}

/* wait_ready: READY from every worker; warns when one holds more than
 * --worker-memory (by over 5%). Returns 0, 1 when stopped by a signal, or
 * -1 with err naming a worker that failed. */
static int wait_ready(zc_dispatch *d, char *err, size_t errlen) {
    int ready = 0;
    double max_bytes = 0;
    while (ready < d->n_workers) {
        MPI_Status st;
        int len;
        if (!zc_dispatch_recv(&d->rbuf, ZC_TAG_READY, &st, &len)) {
            if (d->stop && *d->stop) return 1;
            zc_sleep_ns(1000000);
            continue;
        }
        d->score.bytes_received += len;
        zc_msg_ready r;
        memcpy(&r, d->rbuf.buf, sizeof r);
        if (r.status != 0) {
            snprintf(err, errlen, "worker rank %d: %s", st.MPI_SOURCE,
                     (char *)d->rbuf.buf + sizeof r);
            return -1;
        }
        if ((double)r.bytes > max_bytes) max_bytes = (double)r.bytes;
        ready++;
    }
    double budget = d->o->worker_memory;
    if (budget > 0 && max_bytes > budget * 1.05) {
        char b1[32], b2[32];
        zc_warn("a worker holds %s of statistics, more than --worker-memory %s (the split "
                "was planned from each task's first architecture)",
                zc_format_bytes(max_bytes, b1), zc_format_bytes(budget, b2));
    }
    return 0;
}

int zc_dispatch_start(void *ctx, zc_evolve_meta *meta, char *err, size_t errlen) {
    zc_dispatch *d = ctx;
    const zc_evolve_opts *o = d->o;
    if (zc_evolve_meta_compute(&o->task_set, o->worker_memory > 0, &d->store, d->stop, err,
                               errlen) != 0)
        return (d->stop && *d->stop) ? 1 : -1;
    *meta = d->store.meta;
    if (plan_shares(d, meta, err, errlen) != 0) return -1;
    double t0 = zc_now();
    send_assignments(d);
    if (!o->quiet) {
        char b1[32];
        fprintf(stderr, "dispatch: %d workers, %d share(s) of the %d task(s) (%d shards%s%s), "
                "waiting for the workers' statistics\n", d->n_workers, d->n_bins,
                meta->n_tasks, d->n_shards, o->worker_memory > 0 ? ", --worker-memory " : "",
                o->worker_memory > 0 ? zc_format_bytes(o->worker_memory, b1) : "");
    }
    int rc = wait_ready(d, err, errlen);
    if (rc != 0) return rc;
    meta->seconds = d->store.meta.seconds + (zc_now() - t0);
    d->busy_mark_time = zc_now();
    d->busy_mark_worker = 0;
    return 0;
}
