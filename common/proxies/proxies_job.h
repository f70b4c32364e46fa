/* proxies_job.h: compute the hand-crafted proxies (common/proxies/proxies.h)
 * of a list of architectures of one task, one architecture per thread
 * (BLAS single-threaded), handed out one at a time (dynamic load
 * balancing: networks differ in cost by 10x and more). This file holds
 * what any process computes: zen's inputs, one architecture's proxies, and
 * the run over this process's threads. Across MPI ranks, rank 0 hands out
 * the positions (master/dispatch/proxies_dispatch.h) to the worker ranks'
 * threads (worker/proxies_worker.h). The values of an architecture depend
 * only on the task, its seed and the architecture, never on which thread
 * or rank computed it. */
#ifndef ZC_PROXIES_JOB_H
#define ZC_PROXIES_JOB_H

#include <stddef.h>

#include "common/proxies/proxies.h"
#include "common/data/task.h"

typedef struct {
    const zc_task *task;
    const int *rows;            /* table rows, indexed by position          */
    int n_rows;
    zc_proxy_mask mask;
    int torch_init;             /* 1: PyTorch's default init on top         */
    const float *zen_x1, *zen_x2; /* zen's two Gaussian inputs (batch x 3 x hw x hw) */
} zc_proxies_job;

/* zc_proxies_job_zen_inputs: zen's two standard-normal input batches of the
 * task (seeded by the task seed alone, shared by every architecture and
 * rank); malloc'd, free both. */
void zc_proxies_job_zen_inputs(const zc_task *t, float **x1, float **x2);

/* zc_proxies_arch: the proxies of rows[pos] into out[ZC_PX_COUNT] (NaN
 * where not in the mask or invalid). Returns 0, or -1 with one line in err
 * (the network cannot be built, the labels do not fit its outputs). */
int zc_proxies_arch(const zc_proxies_job *job, int pos, double *out, char *err, size_t errlen);

/* zc_proxies_done_fn: called (serialised, in completion order) with each
 * finished position and its ZC_PX_COUNT values, e.g. to journal them (by
 * zc_proxies_run_local and zc_proxies_dispatch). */
typedef void (*zc_proxies_done_fn)(void *ctx, int pos, const double *values);

/* zc_proxies_run_local: compute positions todo[0..n_todo) with `threads`
 * threads into values (n_rows x ZC_PX_COUNT, row-major by position),
 * calling done(ctx, ...) (may be NULL) for each and printing a progress
 * line every ~2 s on stderr when progress. Returns 0, or -1 with err (the
 * first failure; the other threads stop taking work, and positions that
 * finish after it are neither stored nor passed to done). */
int zc_proxies_run_local(const zc_proxies_job *job, const int *todo, int n_todo, int threads,
                         int progress, double *values, zc_proxies_done_fn done, void *ctx,
                         char *err, size_t errlen);

#endif
