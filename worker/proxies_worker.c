/* proxies_worker.c: a worker rank's threads of a distributed `zcevo
 * proxies` (see proxies_worker.h), on common/util/parallel.h. */
#include "worker/proxies_worker.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
#include "common/util/parallel.h"
#include "common/util/util.h"

typedef struct {
    const zc_proxies_job *job;
    pthread_mutex_t lock; /* one thread at a time talks to rank 0          */
    int failed;
    char err[1024];
} worker_run;

/* send_ask: one ZC_TAG_PX_ASK message (header, then values or text). */
static void send_ask(int position, int status, const void *payload, size_t bytes) {
    unsigned char buf[sizeof(zc_msg_px) + sizeof(double) * ZC_PX_COUNT + 1024];
    zc_msg_px h = {position, status};
    if (bytes > sizeof buf - sizeof h) bytes = sizeof buf - sizeof h;
    memcpy(buf, &h, sizeof h);
    if (bytes) memcpy(buf + sizeof h, payload, bytes);
    MPI_CHECK(MPI_Send(buf, (int)(sizeof h + bytes), MPI_BYTE, 0, ZC_TAG_PX_ASK, MPI_COMM_WORLD));
}

/* recv_give: wait (polling, not spinning) for rank 0's next position. */
static int recv_give(void) {
    int flag = 0;
    MPI_Status st;
    for (;;) {
        MPI_CHECK(MPI_Iprobe(0, ZC_TAG_PX_GIVE, MPI_COMM_WORLD, &flag, &st));
        if (flag) break;
        zc_sleep_ns(100000);
    }
    int32_t pos;
    MPI_CHECK(MPI_Recv(&pos, 1, MPI_INT32_T, 0, ZC_TAG_PX_GIVE, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    return pos;
}

/* exchange: hand in the finished position (-1: none) with its values and
 * get the next one from rank 0 (-1: stop; also once the rank failed). */
static int exchange(worker_run *w, int done_pos, const double *done_values) {
    pthread_mutex_lock(&w->lock);
    int pos = -1;
    if (!w->failed) {
        send_ask(done_pos, 0, done_pos >= 0 ? done_values : NULL,
                 done_pos >= 0 ? sizeof(double) * ZC_PX_COUNT : 0);
        pos = recv_give();
    }
    pthread_mutex_unlock(&w->lock);
    return pos;
}

/* ask_loop: a parallel-run body: compute the positions rank 0 gives until
 * it says stop or the rank fails (returns 1, the failure kept in w). */
static int ask_loop(void *ctx, int worker, int unused) {
    (void)worker, (void)unused;
    worker_run *w = ctx;
    double out[ZC_PX_COUNT];
    for (int pos = exchange(w, -1, NULL); pos >= 0; pos = exchange(w, pos, out)) {
        char err[1024];
        if (zc_proxies_arch(w->job, pos, out, err, sizeof err) != 0) {
            pthread_mutex_lock(&w->lock);
            if (!w->failed) snprintf(w->err, sizeof w->err, "%s", err);
            w->failed = 1;
            pthread_mutex_unlock(&w->lock);
            return 1;
        }
    }
    return 0;
}

int zc_proxies_run_worker(const zc_proxies_job *job, int threads) {
    worker_run w;
    memset(&w, 0, sizeof w);
    w.job = job;
    pthread_mutex_init(&w.lock, NULL);
    openblas_set_num_threads(1);
    zc_parallel_run(threads, ask_loop, &w);
    pthread_mutex_destroy(&w.lock);
    if (w.failed) send_ask(-1, 1, w.err, strlen(w.err) + 1);
    send_ask(-1, 2, NULL, 0);
    return w.failed ? -1 : 0;
}
