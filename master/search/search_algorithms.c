/* search_algorithms.c: random search and aging evolution with a proxy as
 * the only fitness (see search.h), and the scoring of architectures through
 * the score cache they share.
 *
 * Random: `budget` distinct architectures drawn uniformly from the table
 * (for an encoded space the table is the whole space), all scored; the
 * best by the proxy is found.
 * Aging (regularised) evolution (Real et al. 2019): a population of P
 * random architectures; then generations of G children, each the mutation
 * (one gene of the space's encoding, space_encoding.h) of the best of S
 * members drawn without replacement; the G children are scored together
 * (threads or worker ranks), join the population in order and the G
 * oldest members leave. `budget` architectures are scored in all (the
 * initial population included; a child equal to an architecture scored
 * before counts, its value comes from the cache). The best architecture
 * of the whole history is found. G fixes the algorithm, not the number of
 * ranks: results are the same for any number of ranks and threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/search/search_internal.h"

const char *zc_search_algorithm_name(zc_search_algorithm a) {
    static const char *const names[] = {"random", "evolution", "zc-pt"};
    return names[a];
}

int zc_search_better(double a, int row_a, double b, int row_b, int minimize) {
    if (isnan(a) || isnan(b)) return isnan(b) && (!isnan(a) || row_a < row_b);
    if (a != b) return minimize ? a < b : a > b;
    return row_a < row_b;
}

/* ---- scoring through the cache ------------------------------------------ */

typedef struct {
    zc_search_trial *t;
    int done;     /* steps of this call finished (cached or computed) */
    int base;     /* steps before this call                          */
} score_call;

static void print_progress(zc_search_trial *t, int steps, int final) {
    double now = zc_now();
    if (t->o->quiet || (!final && now - t->last_print < 2.0)) return;
    t->last_print = now;
    char suffix[96];
    snprintf(suffix, sizeof suffix, " (trial %d/%d, %d computed)", t->trial + 1, t->o->trials,
             t->computed);
    zc_print_progress("search", steps, t->expected, t->t0, suffix);
}

static void on_scored(void *ctx, int row, double value) {
    score_call *c = ctx;
    zc_search_cache_put(c->t->cache, row, value);
    c->t->computed++;
    c->done++;
    print_progress(c->t, c->base + c->done, 0);
}

void zc_search_push_step(zc_search_trial *t, int row, double value) {
    if (t->n_steps == t->cap_steps) {
        t->cap_steps = t->cap_steps ? 2 * t->cap_steps : 256;
        t->step_row = zc_realloc(t->step_row, sizeof(int) * (size_t)t->cap_steps);
        t->step_value = zc_realloc(t->step_value, sizeof(double) * (size_t)t->cap_steps);
    }
    t->step_row[t->n_steps] = row;
    t->step_value[t->n_steps++] = value;
}

void zc_search_score(zc_search_trial *t, const int *rows, int n, double *values) {
    int *todo = zc_malloc(sizeof(int) * (size_t)(n + 1));
    unsigned char *listed = zc_calloc((size_t)t->task->table.n_rows, 1);
    int n_todo = 0;
    score_call call = {t, 0, t->n_steps};
    for (int i = 0; i < n; i++) {
        double v;
        if (!listed[rows[i]] && !zc_search_cache_get(t->cache, rows[i], &v))
            todo[n_todo++] = rows[i];
        else call.done++; /* cached, or listed already: no computation */
        listed[rows[i]] = 1;
    }
    char err[1024];
    if (n_todo && t->backend->score(t->backend->self, todo, n_todo, on_scored, &call, err,
                                    sizeof err) != 0)
        zc_die("%s", err);
    for (int i = 0; i < n; i++) {
        if (!zc_search_cache_get(t->cache, rows[i], &values[i]))
            zc_die("internal error: architecture %d was not scored", rows[i]);
        zc_search_push_step(t, rows[i], values[i]);
    }
    print_progress(t, t->n_steps, 0);
    free(listed);
    free(todo);
}

int zc_search_row_of_genes(const zc_search_trial *t, const int *genes) {
    char arch[ZC_ENC_MAX_STRING];
    zc_encoding_to_string(t->enc, genes, arch, sizeof arch);
    int row = zc_bench_table_find(&t->task->table, arch);
    if (row < 0)
        zc_die("architecture '%s' of the %s encoding is not in '%s'", arch, t->task->space,
               t->task->table.path);
    return row;
}

/* ---- random search ------------------------------------------------------- */

void zc_search_random(zc_search_trial *t) {
    int total = t->task->table.n_rows;
    int n = ZC_MIN(t->o->budget, total);
    int *rows = zc_malloc(sizeof(int) * (size_t)total);
    for (int i = 0; i < total; i++) rows[i] = i;
    for (int i = 0; i < n; i++) { /* partial Fisher-Yates: the first n of a shuffle */
        int j = i + (int)zc_rng_below(&t->rng, (uint64_t)(total - i));
        int tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
    }
    double *values = zc_malloc(sizeof(double) * (size_t)(n + 1));
    zc_search_score(t, rows, n, values);
    free(values);
    free(rows);
}

/* ---- aging evolution ----------------------------------------------------- */

typedef struct {
    int genes[ZC_ENC_MAX_GENES];
    int row;
    double value;
} member;

/* tournament: the best of S members drawn without replacement from the
 * population ring pop[0..P). */
static const member *tournament(zc_search_trial *t, const member *pop, int P, int *scratch) {
    int S = ZC_MIN(t->o->sample_size, P);
    for (int i = 0; i < P; i++) scratch[i] = i;
    const member *best = NULL;
    for (int i = 0; i < S; i++) {
        int j = i + (int)zc_rng_below(&t->rng, (uint64_t)(P - i));
        int tmp = scratch[i];
        scratch[i] = scratch[j];
        scratch[j] = tmp;
        const member *m = &pop[scratch[i]];
        if (!best || zc_search_better(m->value, m->row, best->value, best->row, t->o->minimize))
            best = m;
    }
    return best;
}

/* score_members: rows of m[0..n) from their genes, scored together. */
static void score_members(zc_search_trial *t, member *m, int n) {
    int *rows = zc_malloc(sizeof(int) * (size_t)(n + 1));
    double *values = zc_malloc(sizeof(double) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) rows[i] = m[i].row = zc_search_row_of_genes(t, m[i].genes);
    zc_search_score(t, rows, n, values);
    for (int i = 0; i < n; i++) m[i].value = values[i];
    free(values);
    free(rows);
}

void zc_search_evolution(zc_search_trial *t) {
    const zc_search_opts *o = t->o;
    int P = ZC_MIN(o->population, o->budget);
    int nG = ZC_MAX(o->children, 1);
    member *pop = zc_malloc(sizeof(member) * (size_t)P); /* a ring: oldest at `oldest` */
    member *kids = zc_malloc(sizeof(member) * (size_t)nG);
    int *scratch = zc_malloc(sizeof(int) * (size_t)P);
    for (int i = 0; i < P; i++) zc_encoding_random(t->enc, &t->rng, pop[i].genes);
    score_members(t, pop, P);
    int scored = P, oldest = 0;
    while (scored < o->budget) {
        int G = ZC_MIN(nG, o->budget - scored);
        for (int k = 0; k < G; k++) {
            const member *parent = tournament(t, pop, P, scratch);
            zc_encoding_mutate(t->enc, parent->genes, &t->rng, kids[k].genes);
        }
        score_members(t, kids, G);
        for (int k = 0; k < G; k++) { /* the child replaces the oldest member */
            pop[oldest] = kids[k];
            oldest = (oldest + 1) % P;
        }
        scored += G;
    }
    free(scratch);
    free(kids);
    free(pop);
}
