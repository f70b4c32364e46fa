/* search.h: the options and the run driver of `zcevo search`: finding an
 * architecture of a design space with a proxy as the only guide (random
 * search, aging evolution, Zero-Cost-PT's operation scoring), over one or
 * several trials, in a run folder that a killed run resumes from.
 *
 * The driver asks a score backend for the proxy values of architectures it
 * has not scored yet (this process's threads: search_local.h; the worker
 * ranks: master/dispatch/search_dispatch.h) and keeps every value in a
 * score cache (search_cache.h). Accuracies are read from the benchmark
 * table only once a trial has chosen its architecture. The parts:
 * search_run.c (trials, folder, outputs), search_algorithms.c (random and
 * evolution), search_zcpt.c (Zero-Cost-PT), search_cache.c, search_text.c
 * (run-folder files), search_local.c (the local backend). */
#ifndef ZC_SEARCH_H
#define ZC_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/data/task.h"
#include "common/proxies/proxy_spec.h"

typedef enum { ZC_SEARCH_RANDOM, ZC_SEARCH_EVOLUTION, ZC_SEARCH_ZCPT } zc_search_algorithm;

/* zc_search_algorithm_name: "random", "evolution", "zc-pt". */
const char *zc_search_algorithm_name(zc_search_algorithm a);

/* Zero-Cost-PT's settings (Xiang et al. 2023; docs/search.md). */
typedef enum { ZC_PT_ORDER_RANDOM, ZC_PT_ORDER_FORWARD, ZC_PT_ORDER_REVERSE } zc_pt_order;

typedef struct {
    int proxy;         /* ZC_PX_NWOT (the authors' default) or ZC_PX_JACOV   */
    int iterations;    /* N: discretisations, each a cell                    */
    int validate;      /* V: minibatches of the stand-alone validation       */
    zc_pt_order order; /* the order edges are decided in                     */
    int cells_per_stage; /* the supernet's N (5 in NAS-Bench-201)            */
    int channels;      /* the supernet's C (16)                              */
} zc_pt_options;

typedef struct {
    zc_search_algorithm algorithm;
    int budget;        /* architectures scored per trial (random, evolution) */
    int population;    /* evolution: P                                       */
    int sample_size;   /* evolution: S (tournament size)                     */
    int children;      /* evolution: G children per generation               */
    uint64_t seed;     /* trial t uses seed + t                              */
    int trials;
    int top_k;         /* proxy values shown of the best k                   */
    int minimize;      /* 1: lower proxy values are better                   */
    int torch_init;    /* hand-crafted proxies: PyTorch's default init       */
    zc_pt_options pt;
    const char *data_dir;   /* zc-pt draws its minibatches from the images   */
    const char *run_dir;
    const char *cache_path; /* NULL: <run_dir>/scores.csv                    */
    int threads;       /* zc-pt: BLAS threads                                */
    int quiet;
} zc_search_opts;

/* zc_search_done_fn: one architecture (table row) scored. */
typedef void (*zc_search_done_fn)(void *ctx, int row, double value);

/* A score backend: the proxy values of table rows rows[0..n) (distinct, not
 * yet cached), each passed to done(done_ctx, row, value) as it finishes
 * (serialised). Returns 0, or -1 with err. */
typedef struct {
    int (*score)(void *self, const int *rows, int n, zc_search_done_fn done, void *done_ctx,
                 char *err, size_t errlen);
    void *self;
    char where[64]; /* "2 threads", "4 worker ranks": for the log */
} zc_search_backend;

/* zc_search_run: every trial of o on task with proxy spec (random and
 * evolution score through backend; zc-pt computes here), in o->run_dir
 * (created; a folder of another configuration is refused; trials finished
 * there are read back, not run again). Prints each trial's result and the
 * summary on stdout, progress on stderr. Returns 0; any error ends the
 * process with one line (zc_die). */
int zc_search_run(const zc_search_opts *o, const zc_task *task, const zc_proxy_spec *spec,
                  const zc_search_backend *backend);

#endif
