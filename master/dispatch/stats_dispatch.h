/* stats_dispatch.h: rank 0's side of the distributed statistics (`zcevo
 * stats` and on-the-fly `zcevo score` under mpirun): which rows each rank
 * computes, and the records the worker ranks send (worker/stats_worker.h).
 * Message layout: common/mpi/mpi_protocol.h (ZC_TAG_RECORD). */
#ifndef ZC_STATS_DISPATCH_H
#define ZC_STATS_DISPATCH_H

#include <stddef.h>

#include "common/stats/stats.h"

/* zc_dispatch_records: rank 0 of a distributed `zcevo stats`: receive the
 * statistics records the worker ranks compute (zc_worker_records) until
 * every worker is done, handing each to put(ctx, record) (which may take
 * its contents; the rest is freed). expected: records in all (for the
 * progress line). Returns 0, or -1 with err naming the rank that failed
 * (or put's message). */
int zc_dispatch_records(int world_size, int expected, int progress,
                        int (*put)(void *ctx, zc_arch_stats *record, char *err, size_t errlen),
                        void *ctx, char *err, size_t errlen);

/* zc_dispatch_rows_of: the rows of rows[0..n) that rank `rank` of `ranks`
 * computes (every ranks-th from position rank); returns their count and
 * writes them to out (n ints). */
int zc_dispatch_rows_of(const int *rows, int n, int rank, int ranks, int *out);

#endif
