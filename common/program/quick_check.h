/* quick_check.h: the quick validity check of GP offspring: a program is
 * valid when it evaluates (zc_eval_network succeeds) on each probe
 * architecture (the first two evolution architectures of task 0). The
 * single-process run and the MPI master check on their threads, an MPI
 * worker holding the probes checks the batches it is sent: all through
 * this one test, so the verdicts do not depend on who checks. */
#ifndef ZC_QUICK_CHECK_H
#define ZC_QUICK_CHECK_H

#include "common/program/evaluator.h"
#include "common/program/program.h"
#include "common/stats/stats.h"

/* zc_quick_check: 1 when zc_eval_network(ctx, p, &probe[a]) returns 0 for
 * every a in [0, n_probe) (tried in order, stopping at the first failure),
 * else 0. ctx: an evaluation context of the calling thread. */
int zc_quick_check(zc_eval_ctx *ctx, const zc_program *p, const zc_arch_stats *probe,
                   int n_probe);

/* zc_quick_check_all: ok[i] = zc_quick_check(progs[i]) for i in [0, n),
 * each program checked by one of `threads` threads (zc_parallel_for;
 * thread k uses ctx[k], threads entries), so the verdicts do not depend on
 * the thread count. */
void zc_quick_check_all(zc_eval_ctx *const *ctx, int threads, const zc_program *progs, int n,
                        const zc_arch_stats *probe, int n_probe, unsigned char *ok);

#endif
