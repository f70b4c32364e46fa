/* search_zcpt.c: the Zero-Cost-PT trial of `zcevo search` (the algorithm
 * is zcpt.h): N discretisations of the supernet, each deciding the 6 edges
 * in the chosen order on a fresh minibatch per edge, then the validation
 * of the cells found over V minibatches, the best validation score
 * winning.
 *
 * What is drawn from what: the supernet's parameters, the edge orders and
 * the per-edge minibatches from the trial seed (independent trials, as the
 * authors' --seed); the V validation minibatches and the stand-alone
 * networks' parameters from the task seed, so that a cell's validation
 * score depends only on the task and the cell and is kept in the run's
 * score cache (shared by every trial). Minibatches are drawn as the task's
 * (common/data/cifar.h: distinct images, NAS-Bench-201 augmentation) from
 * the dataset's training images. Writes zcpt_trial_<t>.csv: every edge
 * decision with the five removal scores. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/data/cifar.h"
#include "common/proxies/proxies.h"
#include "common/util/util.h"
#include "master/search/search_internal.h"
#include "master/search/zcpt.h"

static const char *const k_order_names[] = {"random", "forward", "reverse"};

void zc_search_zcpt_signature(const zc_search_opts *o, const zc_task *task, char *out,
                              size_t outlen) {
    snprintf(out, outlen,
             "zc-pt validation: space=%s dataset=%s batch=%d task_seed=%llu image=%d "
             "proxy=%s validate=%d channels=%d cells=%d",
             task->space, task->dataset, task->batch, (unsigned long long)task->seed,
             task->image_hw, zc_proxy_name(o->pt.proxy), o->pt.validate, o->pt.channels,
             o->pt.cells_per_stage);
}

/* draw_batches: n minibatches of the task's size from images, batch k
 * from the stream (seed, ZC_STREAM_SEARCH, base + k). Errors end the
 * process. */
static float **draw_batches(const zc_cifar *images, const zc_task *task, uint64_t seed,
                            uint64_t base, int n) {
    float **x = zc_malloc(sizeof(float *) * (size_t)(n + 1));
    size_t numel = (size_t)task->batch * 3 * task->image_hw * task->image_hw;
    char err[512];
    for (int k = 0; k < n; k++) {
        x[k] = zc_malloc(sizeof(float) * numel);
        zc_rng rng = zc_rng_stream(seed, ZC_STREAM_SEARCH, base + (uint64_t)k);
        if (zc_cifar_batch(images, task->batch, &rng, 1, x[k], NULL, err, sizeof err) != 0)
            zc_die("%s", err);
    }
    return x;
}

static void free_batches(float **x, int n) {
    for (int k = 0; k < n; k++) free(x[k]);
    free(x);
}

/* edge_order: the order of the edges of one discretisation. */
static void edge_order(zc_search_trial *t, int order[ZC_SUPERNET_EDGES]) {
    for (int e = 0; e < ZC_SUPERNET_EDGES; e++)
        order[e] = t->o->pt.order == ZC_PT_ORDER_REVERSE ? ZC_SUPERNET_EDGES - 1 - e : e;
    if (t->o->pt.order == ZC_PT_ORDER_RANDOM) zc_rng_shuffle_int(&t->rng, order, ZC_SUPERNET_EDGES);
}

/* The progress of a zc-pt trial: supernet steps (5 evaluations each) and
 * validations. */
typedef struct {
    zc_search_trial *t;
    int done, total;
} pt_progress;

static void progress_step(void *ctx) {
    pt_progress *p = ctx;
    p->done++;
    double now = zc_now();
    if (p->t->o->quiet || (now - p->t->last_print < 2.0 && p->done < p->total)) return;
    p->t->last_print = now;
    double el = now - p->t->t0;
    char eta[32], elapsed[32];
    zc_format_duration(p->done ? el * (p->total - p->done) / p->done : 0, eta);
    zc_format_duration(el, elapsed);
    fprintf(stderr, "search: zc-pt trial %d/%d: %d/%d steps (edge decisions of 5 supernet "
            "evaluations, then validations), elapsed %s, ETA %s\n", p->t->trial + 1,
            p->t->o->trials, p->done, p->total, elapsed, eta);
}

/* discretise_all: the N cells of the trial into rows[], every decision
 * logged into log (CSV text). */
static void discretise_all(zc_search_trial *t, const zc_cifar *images, pt_progress *prog,
                           int *rows, FILE *log) {
    const zc_search_opts *o = t->o;
    zc_pt_supernet sn = {{o->pt.channels, o->pt.cells_per_stage, t->task->batch,
                          t->task->image_hw, t->task->num_classes}, t->seed, o->pt.proxy};
    char err[1024];
    for (int it = 0; it < o->pt.iterations; it++) {
        int order[ZC_SUPERNET_EDGES], genes[ZC_SUPERNET_EDGES];
        double scores[ZC_SUPERNET_EDGES][ZC_SUPERNET_OPS];
        edge_order(t, order);
        float **x = draw_batches(images, t->task, t->seed,
                                 (1ull << 32) + (uint64_t)it * ZC_SUPERNET_EDGES,
                                 ZC_SUPERNET_EDGES);
        if (zc_pt_discretise(&sn, order, (const float *const *)x, genes, scores, progress_step,
                             prog, err, sizeof err) != 0)
            zc_die("%s", err);
        free_batches(x, ZC_SUPERNET_EDGES);
        rows[it] = zc_search_row_of_genes(t, genes);
        for (int s = 0; s < ZC_SUPERNET_EDGES; s++) {
            fprintf(log, "%d,%d,%d", it, s, order[s]);
            for (int op = 0; op < ZC_SUPERNET_OPS; op++) fprintf(log, ",%.17g", scores[s][op]);
            fprintf(log, ",%d,%d\n", genes[order[s]], t->task->table.arch_index[rows[it]]);
        }
    }
}

/* validate_all: the validation score of every cell found (from the cache,
 * or computed once and cached) into the history, in the order found. */
static void validate_all(zc_search_trial *t, const zc_cifar *images, pt_progress *prog,
                         const int *rows) {
    const zc_search_opts *o = t->o;
    zc_pt_supernet sn = {{o->pt.channels, o->pt.cells_per_stage, t->task->batch,
                          t->task->image_hw, t->task->num_classes}, t->task->seed, o->pt.proxy};
    float **x = NULL;
    char err[1024];
    for (int it = 0; it < o->pt.iterations; it++) {
        double v;
        if (!zc_search_cache_get(t->cache, rows[it], &v)) {
            if (!x) x = draw_batches(images, t->task, t->task->seed, 2ull << 32, o->pt.validate);
            int genes[ZC_ENC_MAX_GENES];
            if (zc_encoding_from_string(t->enc, t->task->table.arch_str[rows[it]], genes, err,
                                        sizeof err) != 0 ||
                zc_pt_validate(&sn, genes, (const float *const *)x, o->pt.validate, &v, err,
                               sizeof err) != 0)
                zc_die("%s", err);
            zc_search_cache_put(t->cache, rows[it], v);
            t->computed++;
        }
        zc_search_push_step(t, rows[it], v);
        progress_step(prog);
    }
    if (x) free_batches(x, o->pt.validate);
}

void zc_search_zcpt(zc_search_trial *t) {
    const zc_search_opts *o = t->o;
    char err[1024];
    zc_cifar images;
    if (zc_cifar_load(o->data_dir, t->task->dataset, "train", &images, err, sizeof err) != 0)
        zc_die("%s", err);
    openblas_set_num_threads(o->threads);
    pt_progress prog = {t, 0, o->pt.iterations * (ZC_SUPERNET_EDGES + 1)};
    int *rows = zc_malloc(sizeof(int) * (size_t)o->pt.iterations);
    char *text = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&text, &len);
    fprintf(log, "iteration,step,edge,score_none,score_skip_connect,score_nor_conv_1x1,"
            "score_nor_conv_3x3,score_avg_pool_3x3,chosen_op,cell_arch_index\n");
    discretise_all(t, &images, &prog, rows, log);
    fclose(log);
    char name[64];
    snprintf(name, sizeof name, "zcpt_trial_%d.csv", t->trial);
    char *path = zc_path_join(o->run_dir, name);
    zc_write_file_atomic(path, text, len);
    free(path);
    free(text);
    validate_all(t, &images, &prog, rows);
    free(rows);
    zc_cifar_free(&images);
    if (!o->quiet)
        fprintf(stderr, "search: zc-pt trial %d: %d cells (order %s, proxy %s) in %.1f s\n",
                t->trial, o->pt.iterations, k_order_names[o->pt.order],
                zc_proxy_name(o->pt.proxy), zc_now() - t->t0);
}
