/* dispatch.h: the master (rank 0) of a distributed `zcevo evolve`, as a
 * distributed score backend (zc_evolve_dist) that the command hands the run
 * driver: it plans which worker holds which architectures of which task
 * (whole tasks, or a task split by architectures over a group of workers
 * when it exceeds --worker-memory), hands program batches to the workers
 * with dynamic load balancing (several batches in flight per worker,
 * non-blocking probes), gathers per-architecture scores, sends the quick
 * validity check to the workers holding the probe architectures, detects
 * lost workers, and stops the workers at the end. Message layout:
 * common/mpi/mpi_protocol.h. */
#ifndef ZC_DISPATCH_H
#define ZC_DISPATCH_H

#include <signal.h>
#include <stddef.h>

#include "common/mpi/mpi_protocol.h"
#include "master/gp/evolve.h"

typedef struct zc_dispatch zc_dispatch;

/* zc_dispatch_new: the master of world_size ranks (>= 2; ranks 1.. run
 * zc_worker_evolve) for the run options o (borrowed until
 * zc_dispatch_end); stop is the signal flag. Sends nothing: the workers
 * get their shares when the driver starts the backend. */
zc_dispatch *zc_dispatch_new(const zc_evolve_opts *o, int world_size,
                             volatile sig_atomic_t *stop);

/* zc_dispatch_dist: d as the run driver's distributed score backend
 * (zc_evolve_run). */
zc_evolve_dist zc_dispatch_dist(zc_dispatch *d);

/* zc_dispatch_end: after the driver returned exit code `code`: the
 * dispatch figures on stderr (unless quiet, when programs were scored),
 * then STOP to every worker. ZC_EXIT_WORKER_LOST, or workers that do not
 * acknowledge the STOP in time (--worker-timeout; at most 10 s after a
 * signal), abort the job with the exit code (a lost worker cannot
 * finalise). Frees d. Returns code. */
int zc_dispatch_end(zc_dispatch *d, int code);

/* zc_dispatch_plan: split tasks into shards and pack them into bins of at
 * most worker_memory bytes (0: one bin holding every task whole); worker w
 * (1..n_workers) holds bin (w - 1) % n_bins. shards (n_archs entries per
 * task at most in all) and shard_bin are filled; returns the number of
 * bins, or -1 with err when a single architecture exceeds the budget or
 * there are fewer workers than bins. */
int zc_dispatch_plan(const zc_evolve_meta *meta, double worker_memory, int n_workers,
                     zc_shard *shards, int *n_shards, int *shard_bin, char *err,
                     size_t errlen);

#endif
