/* local_eval.c: threaded program scoring over in-memory tasks (see
 * local_eval.h). */
#include "common/program/local_eval.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

struct zc_local_eval {
    zc_task_data *tasks;
    int n_tasks;
    int threads;
    volatile sig_atomic_t *stop;
    zc_eval_ctx **ctx;      /* one per thread                                */
    int total_archs;
    int *item_task, *item_arch; /* flat (task, arch) work items              */
    /* per call */
    pthread_mutex_t lock;
    int next;
    const zc_program *progs;
    int n_progs;
    double *const *scores;
    double *tmp;            /* per thread: n_progs scores                    */
    int tmp_cap;
};

zc_local_eval *zc_local_eval_new(zc_task_data *tasks, int n_tasks, int threads,
                                 volatile sig_atomic_t *stop) {
    zc_local_eval *e = zc_calloc(1, sizeof *e);
    e->tasks = tasks;
    e->n_tasks = n_tasks;
    e->threads = threads < 1 ? 1 : threads;
    e->stop = stop;
    e->ctx = zc_malloc(sizeof(zc_eval_ctx *) * (size_t)e->threads);
    for (int i = 0; i < e->threads; i++) e->ctx[i] = zc_eval_ctx_new();
    for (int t = 0; t < n_tasks; t++) e->total_archs += tasks[t].n_archs;
    e->item_task = zc_malloc(sizeof(int) * (size_t)(e->total_archs + 1));
    e->item_arch = zc_malloc(sizeof(int) * (size_t)(e->total_archs + 1));
    int k = 0;
    for (int t = 0; t < n_tasks; t++)
        for (int a = 0; a < tasks[t].n_archs; a++) {
            e->item_task[k] = t;
            e->item_arch[k++] = a;
        }
    pthread_mutex_init(&e->lock, NULL);
    return e;
}

void zc_local_eval_free(zc_local_eval *e) {
    if (!e) return;
    for (int i = 0; i < e->threads; i++) zc_eval_ctx_free(e->ctx[i]);
    free(e->ctx);
    free(e->item_task);
    free(e->item_arch);
    free(e->tmp);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

typedef struct {
    zc_local_eval *e;
    int id;
} thread_arg;

static void *score_thread(void *arg) {
    thread_arg *ta = arg;
    zc_local_eval *e = ta->e;
    double *tmp = e->tmp + (size_t)ta->id * e->n_progs;
    for (;;) {
        if (e->stop && *e->stop) break;
        pthread_mutex_lock(&e->lock);
        int k = e->next++;
        pthread_mutex_unlock(&e->lock);
        if (k >= e->total_archs) break;
        int t = e->item_task[k], a = e->item_arch[k];
        const zc_task_data *d = &e->tasks[t];
        zc_eval_programs(e->ctx[ta->id], e->progs, e->n_progs, &d->archs[a], tmp);
        for (int p = 0; p < e->n_progs; p++)
            e->scores[t][(size_t)p * d->n_archs + a] = tmp[p];
    }
    return NULL;
}

int zc_local_eval_score(void *ctx, const zc_program *progs, int n, double *const *scores,
                        char *err, size_t errlen) {
    (void)err, (void)errlen;
    zc_local_eval *e = ctx;
    if (n <= 0) return 0;
    openblas_set_num_threads(1);
    e->progs = progs;
    e->n_progs = n;
    e->scores = scores;
    e->next = 0;
    if (e->tmp_cap < n * e->threads) {
        free(e->tmp);
        e->tmp_cap = n * e->threads;
        e->tmp = zc_malloc(sizeof(double) * (size_t)e->tmp_cap);
    }
    int nt = e->threads < e->total_archs ? e->threads : (e->total_archs ? e->total_archs : 1);
    pthread_t tid[nt];
    thread_arg args[nt];
    for (int i = 0; i < nt; i++) {
        args[i] = (thread_arg){e, i};
        if (nt == 1) score_thread(&args[i]);
        else if (pthread_create(&tid[i], NULL, score_thread, &args[i]) != 0)
            zc_die("cannot start evaluation thread %d", i);
    }
    if (nt > 1)
        for (int i = 0; i < nt; i++) pthread_join(tid[i], NULL);
    return (e->stop && *e->stop) ? 1 : 0;
}

zc_eval_counters zc_local_eval_counters(zc_local_eval *e) {
    zc_eval_counters sum = {0};
    for (int i = 0; i < e->threads; i++) {
        zc_eval_counters c = zc_eval_counters_get(e->ctx[i]);
        sum.programs_layers += c.programs_layers;
        sum.nodes += c.nodes;
        sum.elements += c.elements;
        sum.terminal_bytes += c.terminal_bytes;
        zc_eval_counters_reset(e->ctx[i]);
    }
    return sum;
}
