/* dispatch.h: the master (rank 0) of a distributed `zcevo evolve`: plans
 * which worker holds which architectures of which task (whole tasks, or a
 * task split by architectures over a group of workers when it exceeds
 * --worker-memory), hands program batches to the workers with dynamic load
 * balancing (several batches in flight per worker, non-blocking probes),
 * gathers per-architecture scores, sends the quick validity check to the
 * workers holding the probe architectures, and detects lost workers. Message layout:
 * common/mpi_protocol.h. */
#ifndef ZC_DISPATCH_H
#define ZC_DISPATCH_H

#include <signal.h>

#include "common/mpi/mpi_protocol.h"
#include "master/gp/evolve.h"

/* zc_dispatch_evolve: run the whole search on rank 0 of world_size ranks
 * (>= 2; ranks 1.. run zc_worker_evolve) and stop the workers. stop is the
 * signal flag. Returns the exit code: 0 done, ZC_EXIT_CHECKPOINTED after a
 * signal, ZC_EXIT_WORKER_LOST (after the checkpoint, the job is aborted
 * with that code since a lost worker cannot finalise). Errors stop every
 * rank with one message (zc_die). */
int zc_dispatch_evolve(const zc_evolve_opts *o, int world_size, volatile sig_atomic_t *stop);

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

/* ---- distributed statistics (zcevo stats, on-the-fly zcevo score) ---------- */

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
