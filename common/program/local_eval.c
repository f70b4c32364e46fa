/* local_eval.c: threaded program scoring over in-memory tasks (see
 * local_eval.h): one item per (task, architecture), on the threads of
 * common/util/parallel.h. */
#include "common/program/local_eval.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/parallel.h"
#include "common/util/util.h"

struct zc_local_eval {
    zc_task_data *tasks;
    int n_tasks;
    int threads;
    volatile sig_atomic_t *stop;
    zc_eval_ctx **ctx;      /* one per thread                                */
    zc_half_scratch *scratch; /* one per thread: half data expanded          */
    zc_terminal_mask need;  /* terminals the call's programs read            */
    int total_archs;
    int *item_task, *item_arch; /* flat (task, arch) work items              */
    /* per call */
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
    e->scratch = zc_calloc((size_t)e->threads, sizeof *e->scratch);
    for (int t = 0; t < n_tasks; t++) e->total_archs += tasks[t].n_archs;
    e->item_task = zc_malloc(sizeof(int) * (size_t)(e->total_archs + 1));
    e->item_arch = zc_malloc(sizeof(int) * (size_t)(e->total_archs + 1));
    int k = 0;
    for (int t = 0; t < n_tasks; t++)
        for (int a = 0; a < tasks[t].n_archs; a++) {
            e->item_task[k] = t;
            e->item_arch[k++] = a;
        }
    return e;
}

void zc_local_eval_free(zc_local_eval *e) {
    if (!e) return;
    for (int i = 0; i < e->threads; i++) {
        zc_eval_ctx_free(e->ctx[i]);
        zc_half_scratch_free(&e->scratch[i]);
    }
    free(e->ctx);
    free(e->scratch);
    free(e->item_task);
    free(e->item_arch);
    free(e->tmp);
    free(e);
}

static int stopped(const zc_local_eval *e) { return e->stop && *e->stop; }

/* score_arch: every program of the call on work item k (one architecture of
 * one task) with thread `worker`'s context and scratch; 1 when stopped. */
static int score_arch(void *ctx, int k, int worker) {
    zc_local_eval *e = ctx;
    if (stopped(e)) return 1;
    double *tmp = e->tmp + (size_t)worker * e->n_progs;
    int t = e->item_task[k], a = e->item_arch[k];
    const zc_task_data *d = &e->tasks[t];
    const zc_arch_stats *rec = zc_task_data_arch(d, a, e->need, &e->scratch[worker]);
    zc_eval_programs(e->ctx[worker], e->progs, e->n_progs, rec, tmp);
    for (int p = 0; p < e->n_progs; p++) e->scores[t][(size_t)p * d->n_archs + a] = tmp[p];
    return 0;
}

int zc_local_eval_score(void *ctx, const zc_program *progs, int n, double *const *scores,
                        char *err, size_t errlen) {
    (void)err, (void)errlen;
    zc_local_eval *e = ctx;
    if (n <= 0) return 0;
    openblas_set_num_threads(1);
    e->progs = progs;
    e->n_progs = n;
    e->need = 0;
    for (int p = 0; p < n; p++) e->need |= zc_program_terminals(&progs[p]);
    e->scores = scores;
    if (e->tmp_cap < n * e->threads) {
        free(e->tmp);
        e->tmp_cap = n * e->threads;
        e->tmp = zc_malloc(sizeof(double) * (size_t)e->tmp_cap);
    }
    zc_parallel_for(e->total_archs, e->threads, score_arch, e);
    return stopped(e) ? 1 : 0;
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
