/* proxies_worker.h: a worker rank (>= 1) of a distributed `zcevo proxies`:
 * its threads ask rank 0 (master/dispatch/proxies_dispatch.h) for one
 * position at a time and compute its proxies (common/proxies/proxies_job.h).
 * Messages: ZC_TAG_PX_ASK / ZC_TAG_PX_GIVE of common/mpi/mpi_protocol.h. */
#ifndef ZC_PROXIES_WORKER_H
#define ZC_PROXIES_WORKER_H

#include "common/proxies/proxies_job.h"

/* zc_proxies_run_worker: an MPI worker rank (>= 1): `threads` threads (< 1
 * counts as 1) ask rank 0 for positions one at a time, send back each
 * architecture's values with the next request, and stop when rank 0
 * answers -1; then the rank reports that it is finished. A failure is sent
 * to rank 0 as its error text (rank 0 stops the job). Needs MPI initialised
 * with at least MPI_THREAD_SERIALIZED (one thread talks to rank 0 at a
 * time). Returns 0, or -1 after a failure. */
int zc_proxies_run_worker(const zc_proxies_job *job, int threads);

#endif
