/* search_worker.c: a worker rank's threads of a distributed `zcevo search`
 * (see search_worker.h), on common/util/parallel.h. One thread at a time
 * talks to rank 0; rank 0 always answers at once (a row, stop, or wait),
 * so no thread holds the line while others have values to hand in. */
#include "worker/search_worker.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
#include "common/util/parallel.h"
#include "common/util/util.h"

typedef struct {
    const zc_proxy_scorer *scorer;
    pthread_mutex_t lock; /* one thread at a time talks to rank 0          */
    int failed;
    char err[1024];
} worker_run;

/* send_ask: one ZC_TAG_SR_ASK message (header, then an error text). */
static void send_ask(int row, int status, double value, const char *text) {
    unsigned char buf[sizeof(zc_msg_search) + 1024];
    zc_msg_search h = {row, status, value};
    size_t bytes = text ? strlen(text) + 1 : 0;
    if (bytes > sizeof buf - sizeof h) bytes = sizeof buf - sizeof h;
    memcpy(buf, &h, sizeof h);
    if (bytes) memcpy(buf + sizeof h, text, bytes);
    MPI_CHECK(MPI_Send(buf, (int)(sizeof h + bytes), MPI_BYTE, 0, ZC_TAG_SR_ASK,
                       MPI_COMM_WORLD));
}

/* recv_give: rank 0's answer (polling, not spinning). */
static int recv_give(void) {
    int flag = 0;
    MPI_Status st;
    for (;;) {
        MPI_CHECK(MPI_Iprobe(0, ZC_TAG_SR_GIVE, MPI_COMM_WORLD, &flag, &st));
        if (flag) break;
        zc_sleep_ns(100000);
    }
    int32_t row;
    MPI_CHECK(MPI_Recv(&row, 1, MPI_INT32_T, 0, ZC_TAG_SR_GIVE, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE));
    return row;
}

/* exchange: hand in (row, value) (row -1: nothing) and get rank 0's next
 * answer (ZC_SR_STOP also once this rank failed). */
static int exchange(worker_run *w, int row, double value) {
    pthread_mutex_lock(&w->lock);
    int next = ZC_SR_STOP;
    if (!w->failed) {
        send_ask(row, 0, value, NULL);
        next = recv_give();
    }
    pthread_mutex_unlock(&w->lock);
    return next;
}

/* store_value: zc_proxy_scored_fn into a double. */
static void store_value(void *ctx, int row, double value) {
    (void)row;
    *(double *)ctx = value;
}

/* ask_loop: a parallel-run body: score the rows rank 0 gives until it
 * says stop or the rank fails (returns 1, the failure kept in w). */
static int ask_loop(void *ctx, int worker, int unused) {
    (void)worker, (void)unused;
    worker_run *w = ctx;
    int row = exchange(w, -1, 0);
    while (row != ZC_SR_STOP) {
        if (row == ZC_SR_WAIT) {
            zc_sleep_ns(2000000);
            row = exchange(w, -1, 0);
            continue;
        }
        double value = 0;
        char err[1024];
        if (zc_proxy_scorer_run(w->scorer, &row, 1, 1, store_value, &value, err,
                                sizeof err) != 0) {
            pthread_mutex_lock(&w->lock);
            if (!w->failed) snprintf(w->err, sizeof w->err, "%s", err);
            w->failed = 1;
            pthread_mutex_unlock(&w->lock);
            return 1;
        }
        row = exchange(w, row, value);
    }
    return 0;
}

int zc_search_run_worker(const zc_proxy_scorer *scorer, int threads) {
    worker_run w;
    memset(&w, 0, sizeof w);
    w.scorer = scorer;
    pthread_mutex_init(&w.lock, NULL);
    zc_parallel_run(threads, ask_loop, &w);
    pthread_mutex_destroy(&w.lock);
    if (w.failed) send_ask(-1, 1, 0, w.err);
    send_ask(-1, 2, 0, NULL);
    return w.failed ? -1 : 0;
}
