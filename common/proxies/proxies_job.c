/* proxies_job.c: the proxies of a list of architectures, one per thread,
 * positions drawn from a local counter or from rank 0 over MPI (see
 * proxies_job.h and the ZC_TAG_PX_* messages of common/mpi_protocol.h). */
#include "common/proxies/proxies_job.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpi/mpi_protocol.h"
#include "common/mpi/mpi_util.h"
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

/* ---- the thread pool over a source of positions ---------------------------- */

typedef struct pool pool;
/* next(p, done_pos, done_values): hand in the finished position (-1: none)
 * and get the next one (-1: stop). Called under p->lock. */
typedef int (*next_fn)(pool *p, int done_pos, const double *done_values);

struct pool {
    const zc_proxies_job *job;
    next_fn next;
    pthread_mutex_t lock;
    int failed;
    char err[1024];
    /* local source */
    const int *todo;
    int n_todo;
    double *values;
    zc_proxies_done_fn on_done;
    void *ctx;
    int next_pos, done, progress;
    double t0, last_print;
};

static void *pool_thread(void *arg) {
    pool *p = arg;
    double out[ZC_PX_COUNT];
    int done_pos = -1;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int pos = p->failed ? -1 : p->next(p, done_pos, out);
        pthread_mutex_unlock(&p->lock);
        if (pos < 0) break;
        char err[1024];
        if (zc_proxies_arch(p->job, pos, out, err, sizeof err) != 0) {
            pthread_mutex_lock(&p->lock);
            if (!p->failed) snprintf(p->err, sizeof p->err, "%s", err);
            p->failed = 1;
            pthread_mutex_unlock(&p->lock);
            break;
        }
        done_pos = pos;
    }
    return NULL;
}

static void pool_run(pool *p, int threads) {
    pthread_mutex_init(&p->lock, NULL);
    openblas_set_num_threads(1);
    int nt = ZC_MAX(1, threads);
    pthread_t *tid = zc_malloc(sizeof(pthread_t) * (size_t)nt);
    for (int i = 0; i < nt; i++)
        if (pthread_create(&tid[i], NULL, pool_thread, p) != 0) zc_die("cannot start thread %d", i);
    for (int i = 0; i < nt; i++) pthread_join(tid[i], NULL);
    free(tid);
    pthread_mutex_destroy(&p->lock);
}

static int local_next(pool *p, int done_pos, const double *done_values) {
    if (done_pos >= 0) {
        memcpy(p->values + (size_t)done_pos * ZC_PX_COUNT, done_values,
               sizeof(double) * ZC_PX_COUNT);
        if (p->on_done) p->on_done(p->ctx, done_pos, done_values);
        p->done++;
        double now = zc_now();
        if (p->progress && (now - p->last_print > 2.0 || p->done == p->n_todo)) {
            p->last_print = now;
            zc_print_progress("proxies", p->done, p->n_todo, p->t0, "");
        }
    }
    return p->next_pos < p->n_todo ? p->todo[p->next_pos++] : -1;
}

int zc_proxies_run_local(const zc_proxies_job *job, const int *todo, int n_todo, int threads,
                         int progress, double *values, zc_proxies_done_fn done, void *ctx,
                         char *err, size_t errlen) {
    pool p;
    memset(&p, 0, sizeof p);
    p.job = job;
    p.next = local_next;
    p.todo = todo;
    p.n_todo = n_todo;
    p.values = values;
    p.on_done = done;
    p.ctx = ctx;
    p.progress = progress;
    p.t0 = p.last_print = zc_now();
    if (n_todo == 0) return 0;
    pool_run(&p, ZC_MIN(threads, n_todo));
    if (p.failed) snprintf(err, errlen, "%s", p.err);
    return p.failed ? -1 : 0;
}

/* ---- MPI: worker threads ask rank 0 ---------------------------------------- */

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

static int mpi_next(pool *p, int done_pos, const double *done_values) {
    (void)p;
    send_ask(done_pos, 0, done_pos >= 0 ? done_values : NULL,
             done_pos >= 0 ? sizeof(double) * ZC_PX_COUNT : 0);
    return recv_give();
}

int zc_proxies_run_worker(const zc_proxies_job *job, int threads) {
    pool p;
    memset(&p, 0, sizeof p);
    p.job = job;
    p.next = mpi_next;
    pool_run(&p, threads);
    if (p.failed) send_ask(-1, 1, p.err, strlen(p.err) + 1);
    send_ask(-1, 2, NULL, 0);
    return p.failed ? -1 : 0;
}

/* ---- MPI: rank 0 -------------------------------------------------------------- */

int zc_proxies_dispatch(int n_rows, const int *todo, int n_todo, int world_size, int progress,
                        double *values, zc_proxies_done_fn done, void *ctx, char *err,
                        size_t errlen) {
    unsigned char buf[sizeof(zc_msg_px) + sizeof(double) * ZC_PX_COUNT + 1024 + 1];
    int next_pos = 0, received = 0, finished = 0;
    double t0 = zc_now(), last = t0;
    while (finished < world_size - 1) {
        int flag = 0, len = 0;
        MPI_Status st;
        MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, ZC_TAG_PX_ASK, MPI_COMM_WORLD, &flag, &st));
        if (!flag) {
            zc_sleep_ns(1000000);
            continue;
        }
        MPI_CHECK(MPI_Get_count(&st, MPI_BYTE, &len));
        if (len < (int)sizeof(zc_msg_px) || len > (int)sizeof buf - 1) {
            snprintf(err, errlen, "rank %d sent a malformed proxies message (%d bytes)",
                     st.MPI_SOURCE, len);
            return -1;
        }
        MPI_CHECK(MPI_Recv(buf, len, MPI_BYTE, st.MPI_SOURCE, ZC_TAG_PX_ASK, MPI_COMM_WORLD,
                           MPI_STATUS_IGNORE));
        buf[len] = 0;
        zc_msg_px h;
        memcpy(&h, buf, sizeof h);
        if (h.status == 1) {
            snprintf(err, errlen, "rank %d: %s", st.MPI_SOURCE, (const char *)buf + sizeof h);
            return -1;
        }
        if (h.status == 2) {
            finished++;
            continue;
        }
        if (h.position >= 0) {
            if (h.position >= n_rows ||
                len != (int)(sizeof h + sizeof(double) * ZC_PX_COUNT)) {
                snprintf(err, errlen, "rank %d sent values of an unknown position %d",
                         st.MPI_SOURCE, h.position);
                return -1;
            }
            double *v = values + (size_t)h.position * ZC_PX_COUNT;
            memcpy(v, buf + sizeof h, sizeof(double) * ZC_PX_COUNT);
            if (done) done(ctx, h.position, v);
            received++;
            double now = zc_now();
            if (progress && (now - last > 2.0 || received == n_todo)) {
                last = now;
                char who[48];
                snprintf(who, sizeof who, " (%d worker ranks)", world_size - 1);
                zc_print_progress("proxies", received, n_todo, t0, who);
            }
        }
        int32_t give = next_pos < n_todo ? todo[next_pos++] : -1;
        MPI_CHECK(MPI_Send(&give, 1, MPI_INT32_T, st.MPI_SOURCE, ZC_TAG_PX_GIVE, MPI_COMM_WORLD));
    }
    if (received != n_todo) {
        snprintf(err, errlen, "workers returned %d of %d architectures", received, n_todo);
        return -1;
    }
    return 0;
}
