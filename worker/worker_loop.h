/* worker_loop.h: a worker rank (1..N-1) of a distributed `zcevo evolve`:
 * waits for its share of the evolution task set (ASSIGN), computes or
 * loads those statistics once, then scores every program batch it receives
 * with its threads (common/program/local_eval.h) and sends back
 * per-architecture scores, and quick-checks the batches it is sent when it
 * holds the probe architectures, until the master says STOP. Messages:
 * common/mpi/mpi_protocol.h. */
#ifndef ZC_WORKER_LOOP_H
#define ZC_WORKER_LOOP_H

#include "common/stats/task_set.h"

/* zc_worker_evolve: serve the master until STOP, with the task set every
 * rank parsed from the same command line (its shares are loaded with
 * zc_task_set_load_shard). SIGTERM, SIGUSR1 and SIGINT are caught and
 * ignored: the master decides when to stop (mpirun and srun deliver a
 * job's signals to every rank). Load and evaluation errors go to the
 * master, which reports them once. Returns 0. */
int zc_worker_evolve(const zc_task_set *set);

#endif
