/* worker_loop.h: a worker rank (1..N-1) of a distributed `zcevo evolve`:
 * waits for its share of the evolution tasks (ASSIGN), computes or loads
 * those statistics once, then scores every program batch it receives with
 * its threads (worker/local_eval.h) and sends back per-architecture scores,
 * until the master says STOP. Messages: common/mpi_protocol.h. */
#ifndef ZC_WORKER_LOOP_H
#define ZC_WORKER_LOOP_H

#include "master/gp/evolve.h"

/* zc_worker_evolve: serve the master until STOP. SIGTERM, SIGUSR1 and
 * SIGINT are caught and ignored: the master decides when to stop (mpirun
 * and srun deliver a job's signals to every rank). Load and evaluation
 * errors go to the master, which reports them once. Returns 0. */
int zc_worker_evolve(const zc_evolve_opts *o);

/* zc_worker_poll: wait (sleeping, not spinning) for a message from rank 0;
 * returns its tag and fills *len. */
int zc_worker_poll(int *len);


#include "common/data/task.h"

/* zc_worker_records: a worker rank of a distributed `zcevo stats`: compute
 * the statistics of rows[0..n) of task (terminals in mask, `threads`
 * architectures at once) and send each record to rank 0, then a done
 * marker (zc_dispatch_records receives them). A failure is sent to rank 0
 * as an error text. Returns 0, or -1 after such a failure. */
int zc_worker_records(const zc_task *task, zc_terminal_mask mask, const int *rows, int n,
                      int threads);

#endif
