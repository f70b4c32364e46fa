/* search_worker.h: a worker rank (>= 1) of a distributed `zcevo search`:
 * its threads ask rank 0 (master/dispatch/search_dispatch.h) for one table
 * row at a time, score it with the run's proxy
 * (common/proxies/proxy_spec.h) and hand the value in with the next
 * request, round after round (one per generation), until rank 0 says
 * stop. Messages: ZC_TAG_SR_ASK / ZC_TAG_SR_GIVE of
 * common/mpi/mpi_protocol.h. */
#ifndef ZC_SEARCH_WORKER_H
#define ZC_SEARCH_WORKER_H

#include "common/proxies/proxy_spec.h"

/* zc_search_run_worker: an MPI worker rank: `threads` threads (< 1 counts
 * as 1) score the rows rank 0 gives with scorer until it answers stop;
 * then the rank reports that it is finished. A failure is sent to rank 0
 * as its error text (rank 0 stops the run). Needs MPI initialised with at
 * least MPI_THREAD_SERIALIZED. Returns 0, or -1 after a failure. */
int zc_search_run_worker(const zc_proxy_scorer *scorer, int threads);

#endif
