/* stats_worker.h: a worker rank of the distributed statistics (`zcevo
 * stats` and on-the-fly `zcevo score` under mpirun): computes its rows and
 * sends each record to rank 0 (master/dispatch/stats_dispatch.h receives
 * them). Message layout: common/mpi/mpi_protocol.h (ZC_TAG_RECORD). */
#ifndef ZC_STATS_WORKER_H
#define ZC_STATS_WORKER_H

#include "common/data/task.h"
#include "common/stats/terminals.h"

/* zc_worker_records: compute the statistics of rows[0..n) of task
 * (terminals in mask, `threads` architectures at once) and send each
 * record to rank 0, then a done marker (zc_dispatch_records receives
 * them). A failure is sent to rank 0 as an error text. Returns 0, or -1
 * after such a failure. */
int zc_worker_records(const zc_task *task, zc_terminal_mask mask, const int *rows, int n,
                      int threads);

#endif
