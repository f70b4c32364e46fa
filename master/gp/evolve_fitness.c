/* evolve_fitness.c: the GP engine's fitness callbacks over a score backend:
 * per-architecture scores to fitness (master/gp/fitness.h), and the quick
 * validity check, on the workers when the distributed backend can, else on
 * this process's threads (common/program/quick_check.h). Network-level
 * values (SR-NAS) have no quick check: a formula evaluates in nanoseconds
 * per architecture, and one missing value on a probe architecture must not
 * reject it (invalid architectures may be omitted from the fitness). See
 * evolve_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "common/program/quick_check.h"
#include "common/util/parallel.h"
#include "common/util/util.h"
#include "master/gp/evolve_internal.h"

void zc_evolve_fitness_init(zc_evolve_fitness *f, const zc_evolve_opts *o,
                            const zc_evolve_meta *meta, const zc_score_backend *backend,
                            const zc_evolve_dist *dist) {
    memset(f, 0, sizeof *f);
    f->backend = backend;
    f->dist = dist;
    f->n_tasks = meta->n_tasks;
    const double *accs[ZC_TASK_SET_MAX];
    for (int t = 0; t < meta->n_tasks; t++) {
        f->n_archs[t] = meta->n_archs[t];
        accs[t] = meta->acc[t];
    }
    zc_fitness_spec_init(&f->spec, f->n_tasks, f->n_archs, accs, o->subset_size, o->draws,
                         o->aggregate, o->abs_tau, o->draw_mode, o->task_set.seed);
    f->spec.omit_invalid = o->omit_invalid;
    f->quick_check = o->gp.terminal_kind == ZC_GP_TERMS_LAYER;
    f->probe = meta->probe;
    f->n_probe = meta->n_probe;
    f->n_threads = ZC_MAX(1, ZC_MIN(o->task_set.threads, 256));
    f->probe_ctx = zc_malloc(sizeof(zc_eval_ctx *) * (size_t)f->n_threads);
    for (int k = 0; k < f->n_threads; k++) f->probe_ctx[k] = zc_eval_ctx_new();
}

void zc_evolve_fitness_free(zc_evolve_fitness *f) {
    for (int k = 0; k < f->n_threads; k++) zc_eval_ctx_free(f->probe_ctx[k]);
    free(f->probe_ctx);
    zc_fitness_spec_free(&f->spec);
    memset(f, 0, sizeof *f);
}

/* The fitness of a batch of scored programs, one program per item. */
typedef struct {
    const zc_fitness_spec *spec;
    const zc_program *progs;   /* their hashes pick the draw (draw mode pick) */
    double *const *scores;
    double *fitness;
} fitness_job;

static int fitness_item(void *ctx, int p, int worker) {
    (void)worker;
    fitness_job *j = ctx;
    j->fitness[p] = zc_fitness_of(j->spec, j->scores, p, zc_program_hash(&j->progs[p]));
    return 0;
}

/* fitness_evaluate: zc_fitness_fn.evaluate: the backend's scores of progs
 * on every task, then each program's fitness (programs on the threads:
 * each value is computed by one thread, so the thread count does not
 * matter). */
static int fitness_evaluate(void *vctx, const zc_program *progs, int n, double *fitness) {
    zc_evolve_fitness *c = vctx;
    double **scores = zc_malloc(sizeof(double *) * (size_t)c->n_tasks);
    for (int t = 0; t < c->n_tasks; t++)
        scores[t] = zc_malloc(sizeof(double) * (size_t)n * c->n_archs[t] + 1);
    double t0 = zc_now();
    int rc = c->backend->score(c->backend->ctx, progs, n, scores, c->err, sizeof c->err);
    c->eval_seconds += zc_now() - t0;
    c->backend_status = rc;
    if (rc == 0) {
        double t1 = zc_now();
        fitness_job job = {&c->spec, progs, scores, fitness};
        zc_parallel_for(n, ZC_MIN(c->n_threads, n / 8 + 1), fitness_item, &job);
        c->tau_seconds += zc_now() - t1;
    }
    for (int t = 0; t < c->n_tasks; t++) free(scores[t]);
    free(scores);
    return rc;
}

/* fitness_validate: zc_fitness_fn.validate: the quick check on the workers
 * when the distributed backend can, else on this process's threads (at
 * least two programs per thread). */
static int fitness_validate(void *vctx, const zc_program *progs, int n, unsigned char *ok) {
    zc_evolve_fitness *c = vctx;
    if (c->dist && c->dist->validate) {
        int rc = c->dist->validate(c->dist->ctx, progs, n, ok, c->err, sizeof c->err);
        if (rc != 2) {
            if (rc != 0) c->backend_status = rc;
            return rc;
        }
    }
    int threads = ZC_MAX(1, ZC_MIN(c->n_threads, n / 2));
    zc_quick_check_all(c->probe_ctx, threads, progs, n, c->probe, c->n_probe, ok);
    return 0;
}

zc_fitness_fn zc_evolve_fitness_fn(zc_evolve_fitness *f) {
    zc_fitness_fn fn = {f, fitness_evaluate, f->quick_check ? fitness_validate : NULL};
    return fn;
}
