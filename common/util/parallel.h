/* parallel.h: zcevo's one way to use several threads: a parallel for over
 * items with dynamic scheduling, and its degenerate form that runs the same
 * function on T threads. Every pool of threads in zcevo (statistics,
 * proxies, program scoring, quick checks, benchmarks) goes through here.
 *
 * Determinism is the caller's: items may finish in any order, so a result
 * must depend only on its item (write it to the item's own slot), never on
 * the worker that computed it or on the order of completion.
 *
 *   static int score_one(void *ctx, int item, int worker) { ...; return 0; }
 *   if (zc_parallel_for(n, threads, score_one, &job) != 0) ...;
 */
#ifndef ZC_PARALLEL_H
#define ZC_PARALLEL_H

/* A task body: process `item` on thread `worker` (0..threads-1, for
 * per-thread scratch). Return 0 to go on; any other value stops the pool:
 * no further item is started and zc_parallel_for returns that value. */
typedef int (*zc_parallel_fn)(void *ctx, int item, int worker);

/* zc_parallel_for: fn(ctx, i, worker) for every i in [0, n), handed out in
 * increasing order one at a time to min(threads, n) started threads
 * (threads < 1 counts as 1; the calling thread waits for them, even with
 * one: memory then comes from glibc's per-thread arenas, as `zcevo stats`
 * predicts it). Returns 0 when every item returned 0, else the first
 * non-zero value returned (items already started run to their end). Dies
 * with one line if a thread cannot be started. */
int zc_parallel_for(int n, int threads, zc_parallel_fn fn, void *ctx);

/* zc_parallel_run: fn(ctx, worker, worker) once on each of `threads`
 * started threads (< 1 counts as 1; the calling thread waits), for bodies
 * that fetch their own work (e.g. from an MPI master). Returns as
 * zc_parallel_for. */
int zc_parallel_run(int threads, zc_parallel_fn fn, void *ctx);

/* zc_default_threads: number of online cores (at least 1), the default of
 * every --threads option. */
int zc_default_threads(void);

#endif
