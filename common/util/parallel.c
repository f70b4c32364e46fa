/* parallel.c: the parallel for of zcevo (see parallel.h), on pthreads. */
#include "common/util/parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util/util.h"

typedef struct {
    zc_parallel_fn fn;
    void *ctx;
    int n;                 /* items; < 0: run mode (one call per worker)     */
    int next;              /* next item to hand out                          */
    int status;            /* first non-zero return                          */
    pthread_mutex_t lock;
} pool;

typedef struct {
    pool *p;
    int worker;
} worker_arg;

/* take: the next item, or -1 when none is left or the pool stopped. */
static int take(pool *p) {
    pthread_mutex_lock(&p->lock);
    int item = (p->status == 0 && p->next < p->n) ? p->next++ : -1;
    pthread_mutex_unlock(&p->lock);
    return item;
}

static void stop_with(pool *p, int status) {
    pthread_mutex_lock(&p->lock);
    if (p->status == 0) p->status = status;
    pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *varg) {
    worker_arg *a = varg;
    pool *p = a->p;
    if (p->n < 0) {
        int rc = p->fn(p->ctx, a->worker, a->worker);
        if (rc) stop_with(p, rc);
        return NULL;
    }
    for (int item; (item = take(p)) >= 0;) {
        int rc = p->fn(p->ctx, item, a->worker);
        if (rc) stop_with(p, rc);
    }
    return NULL;
}

/* run: start `threads` threads, wait for them. The calling thread only
 * waits: work always runs on started threads, whose memory comes from
 * glibc's per-thread arenas (the peak memory `zcevo stats` predicts). */
static int run(pool *p, int threads) {
    pthread_mutex_init(&p->lock, NULL);
    pthread_t *tid = zc_malloc(sizeof(pthread_t) * (size_t)threads);
    worker_arg *args = zc_malloc(sizeof(worker_arg) * (size_t)threads);
    for (int w = 0; w < threads; w++) {
        args[w] = (worker_arg){p, w};
        if (pthread_create(&tid[w], NULL, worker_main, &args[w]) != 0)
            zc_die("cannot start thread %d of %d", w + 1, threads);
    }
    for (int w = 0; w < threads; w++) pthread_join(tid[w], NULL);
    free(tid);
    free(args);
    pthread_mutex_destroy(&p->lock);
    return p->status;
}

int zc_parallel_for(int n, int threads, zc_parallel_fn fn, void *ctx) {
    if (n <= 0) return 0;
    if (threads < 1) threads = 1;
    if (threads > n) threads = n;
    pool p = {fn, ctx, n, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    return run(&p, threads);
}

int zc_parallel_run(int threads, zc_parallel_fn fn, void *ctx) {
    if (threads < 1) threads = 1;
    pool p = {fn, ctx, -1, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    return run(&p, threads);
}

int zc_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
