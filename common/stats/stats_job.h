/* stats_job.h: compute the statistics of a list of architectures of one
 * task on the CPU, several architectures at once (one per thread of
 * common/util/parallel.h; BLAS stays single-threaded), or on one GPU,
 * handing each finished record to a sink. Used by `zcevo stats` (sink:
 * HDF5 writer), on-the-fly `zcevo score` and `zcevo evolve` (sink: keep in
 * memory). */
#ifndef ZC_STATS_JOB_H
#define ZC_STATS_JOB_H

#include <signal.h>
#include <stddef.h>

#include "common/nets/net.h"
#include "common/data/task.h"
#include "common/stats/stats.h"

typedef struct {
    const zc_task *task;
    zc_terminal_mask mask;  /* terminals to compute                         */
    int n_rows;
    const int *rows;        /* table rows to compute                        */
    int threads;            /* >= 1                                          */
    int progress;           /* print a progress line every ~2 s on stderr    */
    const char *label;      /* progress prefix, e.g. "stats"                 */
    /* sink(ctx, i, record, net, err, errlen): called once per rows[i],
     * serialised (never two at once), in completion order. It may take the
     * record's contents (zeroing the record); whatever it leaves is freed.
     * net holds the parameters as drawn (for --store-params). A non-zero
     * return stops the job, with the sink's message in err. */
    int (*sink)(void *ctx, int i, zc_arch_stats *record, const zc_net *net, char *err,
                size_t errlen);
    void *sink_ctx;
    /* stop (may be NULL): when it becomes non-zero (a signal handler sets
     * it), threads take no further architecture and the run fails with
     * "interrupted". */
    volatile sig_atomic_t *stop;
    /* use_cuda: 0 (default) computes on the CPU with `threads` threads; 1
     * computes on GPU cuda_device (common/stats/device.h) with one thread. */
    int use_cuda;
    int cuda_device;
} zc_stats_job;

/* zc_stats_job_run: compute every row; a row's record depends only on the
 * task and the row, never on the thread count. Returns 0; or -1 with err
 * (the first failure; no row is started after it) when a network cannot be
 * built, the GPU fails, the sink failed or stop was raised. */
int zc_stats_job_run(const zc_stats_job *job, char *err, size_t errlen);

#endif
