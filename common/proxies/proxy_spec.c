/* proxy_spec.c: a proxy of any kind and the scoring of table rows with it
 * (see proxy_spec.h): hand-crafted proxies through proxies_job.h,
 * programs through stats_job.h and the CPU evaluator. */
#include "common/proxies/proxy_spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/evaluator.h"
#include "common/program/named_programs.h"
#include "common/proxies/proxies_job.h"
#include "common/stats/stats_job.h"
#include "common/util/util.h"

int zc_proxy_spec_parse(const char *text, zc_proxy_spec *spec, char *err, size_t errlen) {
    memset(spec, 0, sizeof *spec);
    snprintf(spec->name, sizeof spec->name, "%s", text);
    int id = zc_proxy_lookup(text);
    if (id >= 0) {
        spec->kind = ZC_PROXY_HANDCRAFTED;
        spec->id = id;
        snprintf(spec->text, sizeof spec->text, "%s", text);
        return 0;
    }
    const char *named = zc_program_named(text);
    char why[256];
    if (zc_program_parse(named ? named : text, &spec->program, why, sizeof why) != 0)
        return zc_fail(err, errlen,
                       "proxy '%s' is neither a hand-crafted proxy (see zcevo proxies --help), "
                       "a named program nor a program: %s", text, why);
    spec->kind = ZC_PROXY_PROGRAM;
    spec->terminals = zc_program_terminals(&spec->program);
    zc_program_print(&spec->program, spec->text, sizeof spec->text);
    return 0;
}

int zc_proxy_spec_default_batch(const zc_proxy_spec *spec) {
    return spec->kind == ZC_PROXY_PROGRAM ? 16 : 64;
}

struct zc_proxy_scorer {
    const zc_task *task;
    const zc_proxy_spec *spec;
    int torch_init;
    float *zen_x1, *zen_x2; /* hand-crafted: zen's inputs (NULL otherwise) */
};

zc_proxy_scorer *zc_proxy_scorer_new(const zc_task *task, const zc_proxy_spec *spec,
                                     int torch_init) {
    zc_proxy_scorer *s = zc_calloc(1, sizeof *s);
    s->task = task;
    s->spec = spec;
    s->torch_init = torch_init;
    if (spec->kind == ZC_PROXY_HANDCRAFTED && spec->id == ZC_PX_ZEN)
        zc_proxies_job_zen_inputs(task, &s->zen_x1, &s->zen_x2);
    return s;
}

void zc_proxy_scorer_free(zc_proxy_scorer *s) {
    if (!s) return;
    free(s->zen_x1);
    free(s->zen_x2);
    free(s);
}

/* ---- hand-crafted proxies: zc_proxies_run_local over the rows ---------------- */

typedef struct {
    const int *rows;
    int id;
    zc_proxy_scored_fn done;
    void *ctx;
} handcrafted_run;

static void handcrafted_done(void *ctx, int pos, const double *values) {
    handcrafted_run *h = ctx;
    h->done(h->ctx, h->rows[pos], values[h->id]);
}

static int run_handcrafted(const zc_proxy_scorer *s, const int *rows, int n, int threads,
                           zc_proxy_scored_fn done, void *ctx, char *err, size_t errlen) {
    zc_proxies_job job = {.task = s->task, .rows = rows, .n_rows = n,
                          .mask = 1u << s->spec->id, .torch_init = s->torch_init,
                          .zen_x1 = s->zen_x1, .zen_x2 = s->zen_x2};
    int *todo = zc_malloc(sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) todo[i] = i;
    double *values = zc_malloc(sizeof(double) * (size_t)(n + 1) * ZC_PX_COUNT);
    handcrafted_run h = {rows, s->spec->id, done, ctx};
    int rc = zc_proxies_run_local(&job, todo, n, threads, 0, values, handcrafted_done, &h, err,
                                  errlen);
    free(values);
    free(todo);
    return rc;
}

/* ---- programs: statistics of the rows, evaluated as each finishes ---------- */

typedef struct {
    const zc_program *program;
    const int *rows;
    zc_eval_ctx *eval;
    zc_proxy_scored_fn done;
    void *ctx;
} program_run;

/* program_sink: a stats_job sink (serialised): the program on the record. */
static int program_sink(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                        size_t errlen) {
    (void)net, (void)err, (void)errlen;
    program_run *p = ctx;
    double value = NAN;
    zc_eval_network(p->eval, p->program, rec, &value); /* NaN when invalid */
    p->done(p->ctx, p->rows[i], value);
    return 0;
}

static int run_program(const zc_proxy_scorer *s, const int *rows, int n, int threads,
                       zc_proxy_scored_fn done, void *ctx, char *err, size_t errlen) {
    program_run p = {&s->spec->program, rows, zc_eval_ctx_new(), done, ctx};
    zc_stats_job job = {.task = s->task, .mask = s->spec->terminals, .n_rows = n,
                        .rows = rows, .threads = threads, .sink = program_sink,
                        .sink_ctx = &p};
    int rc = zc_stats_job_run(&job, err, errlen);
    zc_eval_ctx_free(p.eval);
    return rc;
}

int zc_proxy_scorer_run(const zc_proxy_scorer *s, const int *rows, int n, int threads,
                        zc_proxy_scored_fn done, void *ctx, char *err, size_t errlen) {
    if (n <= 0) return 0;
    return s->spec->kind == ZC_PROXY_HANDCRAFTED
               ? run_handcrafted(s, rows, n, threads, done, ctx, err, errlen)
               : run_program(s, rows, n, threads, done, ctx, err, errlen);
}
