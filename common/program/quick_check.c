/* quick_check.c: the quick validity check of programs on the probe
 * architectures (see quick_check.h). */
#include "common/program/quick_check.h"

#include "common/util/parallel.h"

int zc_quick_check(zc_eval_ctx *ctx, const zc_program *p, const zc_arch_stats *probe,
                   int n_probe) {
    for (int a = 0; a < n_probe; a++) {
        double score;
        if (zc_eval_network(ctx, p, &probe[a], &score) != 0) return 0;
    }
    return 1;
}

typedef struct {
    zc_eval_ctx *const *ctx;
    const zc_program *progs;
    const zc_arch_stats *probe;
    int n_probe;
    unsigned char *ok;
} check_job;

static int check_one(void *vjob, int item, int worker) {
    check_job *j = vjob;
    j->ok[item] = (unsigned char)zc_quick_check(j->ctx[worker], &j->progs[item], j->probe,
                                                j->n_probe);
    return 0;
}

void zc_quick_check_all(zc_eval_ctx *const *ctx, int threads, const zc_program *progs, int n,
                        const zc_arch_stats *probe, int n_probe, unsigned char *ok) {
    check_job job = {ctx, progs, probe, n_probe, ok};
    zc_parallel_for(n, threads, check_one, &job);
}
