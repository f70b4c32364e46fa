/* local_eval.h: program scoring on this process's threads over tasks held
 * in memory (the single-process evolve, `zcevo score`, and each MPI worker's
 * engine). Work is split by architecture: a thread evaluates every program
 * of the batch on one architecture at a time (layer-major), so the
 * architecture's statistics stay in cache. Deterministic: each score is
 * computed by one thread in a fixed order, whatever the thread count. */
#ifndef ZC_LOCAL_EVAL_H
#define ZC_LOCAL_EVAL_H

#include <signal.h>
#include <stddef.h>

#include "common/program/evaluator.h"
#include "common/stats/task_data.h"

typedef struct zc_local_eval zc_local_eval;

/* zc_local_eval_new: a scorer over tasks[0..n_tasks) (not owned) with
 * `threads` threads (< 1 counts as 1; common/util/parallel.h). stop (may be
 * NULL) is polled between architectures: when non-zero, scoring stops and
 * returns 1. Never fails (dies when out of memory). */
zc_local_eval *zc_local_eval_new(zc_task_data *tasks, int n_tasks, int threads,
                                 volatile sig_atomic_t *stop);

/* zc_local_eval_free: release e and its per-thread contexts (NULL: no-op). */
void zc_local_eval_free(zc_local_eval *e);

/* zc_local_eval_score: scores[t][p * n_archs[t] + a] for every program, task
 * and architecture (a zc_score_backend.score; e is a zc_local_eval, err is
 * unused). Not reentrant: one call at a time per scorer. Returns 0, or 1
 * when stopped (then some scores are not written). */
int zc_local_eval_score(void *e, const zc_program *progs, int n, double *const *scores,
                        char *err, size_t errlen);

/* zc_local_eval_counters: the summed work counters of all threads since the
 * last call (then reset). */
zc_eval_counters zc_local_eval_counters(zc_local_eval *e);

#endif
