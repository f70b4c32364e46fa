/* gp_generation.c: one generation of the GP engine (zc_gp_generation) as
 * named steps over working sets of individuals (gp.h describes the
 * algorithm): offspring that pass the quick check, the evaluation batch,
 * what the batch taught, tournament selection, duplicate removal, elitism,
 * commit. Everything before the commit works on copies, so a failure leaves
 * the state as it was. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/gp_internal.h"

/* A candidate of a quick-check round still to be decided by validate. */
#define CANDIDATE_TO_CHECK 2

/* Working data of a generation; committed to the state only on success. */
typedef struct {
    zc_gp_state *s;
    const zc_gp_config *cfg;
    const zc_gp_primitives *ps;
    const zc_fitness_fn *fn;
    zc_rng rng;
    zc_gp_cache pending;       /* fitness learnt this generation (NaN = invalid) */
    int use_state_cache;
    int need_initial;          /* generation 0 evaluates the initial population  */
    zc_gp_stats stats;
    /* one quick-check round: candidates (prog, hash) and their verdicts */
    zc_gp_individual *cand;    /* lambda                                          */
    unsigned char *cand_ok;    /* 0, 1 or CANDIDATE_TO_CHECK                      */
    /* programs sent to a callback and its answers (pool capacity) */
    zc_program *batch;
    unsigned char *batch_ok;
    double *batch_fit;
    int n_batch;               /* programs of the evaluation batch                */
    int n_parent_batch;        /* programs evaluated before the offspring (step 0) */
    zc_program *parent_batch;  /* ... and their fitness (old_n capacity)           */
    double *parent_fit;
    /* the old population, then the offspring */
    zc_gp_individual *pool;
    int old_n, pool_n;
    int *chosen;               /* mu tournament winners (pool indices)            */
    int *order;                /* pool indices by fitness                         */
    zc_gp_individual *next;    /* the new population (mu)                         */
    int n_next;
    zc_gp_individual *elite;   /* the elitism best distinct programs              */
    int n_elite;
} generation_work;

/* better(a, b): fitness a ranks strictly above b (NaN ranks last). */
static int fitness_better(double a, double b) {
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return a > b;
}

static int known_fitness(const generation_work *w, uint64_t hash, double *fitness) {
    if (zc_gp_cache_find(&w->pending, hash, fitness)) return 1;
    return w->use_state_cache && zc_gp_cache_find(&w->s->cache, hash, fitness);
}

/* ---- the working sets ------------------------------------------------------------ */

static void work_begin(generation_work *w, zc_gp_state *s, const zc_fitness_fn *fn) {
    const zc_gp_config *cfg = &s->config;
    memset(w, 0, sizeof(*w));
    w->s = s;
    w->cfg = cfg;
    w->ps = &s->primitives;
    w->fn = fn;
    w->rng = s->rng;
    w->use_state_cache = cfg->cache_fitness != 0;
    w->need_initial = s->generation == 0 &&
                      (cfg->evaluate_initial || cfg->selection_pool == ZC_GP_POOL_BOTH);
    w->stats.generation = s->generation + 1;
    int pool_cap = cfg->lambda + s->pop_n;
    w->cand = zc_malloc(sizeof(zc_gp_individual) * (size_t)cfg->lambda);
    w->cand_ok = zc_malloc((size_t)cfg->lambda);
    w->batch = zc_malloc(sizeof(zc_program) * (size_t)pool_cap);
    w->batch_ok = zc_malloc((size_t)pool_cap);
    w->batch_fit = zc_malloc(sizeof(double) * (size_t)pool_cap);
    w->pool = zc_malloc(sizeof(zc_gp_individual) * (size_t)pool_cap);
    w->chosen = zc_malloc(sizeof(int) * (size_t)cfg->mu);
    w->order = zc_malloc(sizeof(int) * (size_t)pool_cap);
    w->next = zc_malloc(sizeof(zc_gp_individual) * (size_t)cfg->mu);
    w->elite = zc_malloc(sizeof(zc_gp_individual) * (size_t)(cfg->elitism + 1));
    w->parent_batch = zc_malloc(sizeof(zc_program) * (size_t)(s->pop_n + 1));
    w->parent_fit = zc_malloc(sizeof(double) * (size_t)(s->pop_n + 1));
    w->old_n = s->pop_n;
    memcpy(w->pool, s->pop, sizeof(zc_gp_individual) * (size_t)s->pop_n);
    w->pool_n = w->old_n;
}

static void work_end(generation_work *w) {
    zc_gp_cache_free(&w->pending);
    free(w->cand);
    free(w->cand_ok);
    free(w->batch);
    free(w->batch_ok);
    free(w->batch_fit);
    free(w->pool);
    free(w->chosen);
    free(w->order);
    free(w->next);
    free(w->elite);
    free(w->parent_batch);
    free(w->parent_fit);
}

/* ---- 1-2. offspring that pass the quick check -------------------------------------- */

/* Draw m candidates (fresh half-and-half or varOr): a candidate of known
 * fitness is valid iff finite; the first of each unknown program goes to
 * batch[] (round_index: hash -> its index), repeats wait for its verdict.
 * Returns the number of programs to check. */
static int draw_candidates(generation_work *w, int fresh, int m, zc_gp_cache *round_index) {
    int n_check = 0;
    for (int i = 0; i < m; i++) {
        zc_gp_individual *c = &w->cand[i];
        if (fresh)
            zc_gp_gen_fresh(w->cfg, w->ps, &w->rng, &c->prog);
        else
            zc_gp_var_or_one(w->cfg, w->ps, &w->rng, w->pool, w->old_n, &c->prog);
        c->hash = zc_program_hash(&c->prog);
        c->fitness = NAN;
        c->evaluated = 0;
        double f;
        if (known_fitness(w, c->hash, &f)) {
            w->cand_ok[i] = isfinite(f) ? 1 : 0;
            continue;
        }
        w->cand_ok[i] = CANDIDATE_TO_CHECK;
        if (zc_gp_cache_find(round_index, c->hash, NULL)) continue;
        zc_gp_cache_put(round_index, c->hash, (double)n_check);
        w->batch[n_check++] = c->prog;
    }
    w->stats.candidates += m;
    return n_check;
}

/* batch_ok[0..n_check) from fitness->validate (all 1 without one). Returns
 * 0, or -1 with err when the callback failed. */
static int validate_candidates(generation_work *w, int n_check, char *err, size_t errlen) {
    if (n_check == 0) return 0;
    if (!w->fn->validate) {
        memset(w->batch_ok, 1, (size_t)n_check);
        return 0;
    }
    memset(w->batch_ok, 0, (size_t)n_check);
    if (w->fn->validate(w->fn->ctx, w->batch, n_check, w->batch_ok) != 0)
        return zc_fail(err, errlen, "gp: the validity check failed (callback error)");
    w->stats.validated += n_check;
    return 0;
}

/* The valid candidates of the round go to out[*accepted...]; invalid
 * unknown programs are remembered as NaN. */
static void accept_candidates(generation_work *w, int m, const zc_gp_cache *round_index,
                              zc_gp_individual *out, int *accepted) {
    for (int i = 0; i < m; i++) {
        const zc_gp_individual *c = &w->cand[i];
        if (w->cand_ok[i] == CANDIDATE_TO_CHECK) {
            double index = 0;
            zc_gp_cache_find(round_index, c->hash, &index);
            w->cand_ok[i] = w->batch_ok[(int)index] ? 1 : 0;
        }
        if (w->cand_ok[i]) {
            out[(*accepted)++] = *c;
            w->stats.valid++;
        } else if (!known_fitness(w, c->hash, NULL)) {
            zc_gp_cache_put(&w->pending, c->hash, NAN);
        }
    }
}

/* `need` offspring that pass the quick check into out, in rounds that redraw
 * the rejected ones; fresh != 0 draws half-and-half programs, else varOr
 * offspring. Returns 0, or -1 with err (callback failure, or still too few
 * after max_redraw_rounds rounds). */
static int fill_valid(generation_work *w, int fresh, int need, zc_gp_individual *out,
                      char *err, size_t errlen) {
    int accepted = 0;
    while (accepted < need) {
        if (w->stats.redraw_rounds >= w->cfg->max_redraw_rounds)
            return zc_fail(err, errlen,
                           "gp: only %d of %d offspring passed the quick check after %d rounds "
                           "(%d candidates)",
                           accepted, need, w->stats.redraw_rounds, w->stats.candidates);
        w->stats.redraw_rounds++;
        int m = need - accepted;
        zc_gp_cache round_index = {0};
        int n_check = draw_candidates(w, fresh, m, &round_index);
        int rc = validate_candidates(w, n_check, err, errlen);
        if (rc == 0) accept_candidates(w, m, &round_index, out, &accepted);
        zc_gp_cache_free(&round_index);
        if (rc != 0) return -1;
    }
    return 0;
}

/* Step 1-2: lambda offspring after the old population in the pool: the
 * varOr ones, then round(fresh_fraction * lambda) fresh ones. */
static int draw_offspring(generation_work *w, char *err, size_t errlen) {
    int lambda = w->cfg->lambda;
    int n_fresh = (int)lround(w->cfg->fresh_fraction * lambda);
    int n_var = lambda - n_fresh;
    zc_gp_individual *offspring = w->pool + w->old_n;
    if (fill_valid(w, 0, n_var, offspring, err, errlen) != 0) return -1;
    if (fill_valid(w, 1, n_fresh, offspring + n_var, err, errlen) != 0) return -1;
    w->pool_n = w->old_n + lambda;
    return 0;
}

/* ---- 0. parents of known fitness ------------------------------------------------------- */

/* Step 0: with parent tournaments, the old members of unknown fitness (the
 * initial population), each distinct program once, in one fitness->evaluate
 * call before any offspring is drawn; their fitness goes to the pending
 * cache and the pool (as evaluated); learn_batch_fitness offers them to the
 * hall of fame. Returns 0, or -1 with err when the callback failed. */
static int evaluate_parents(generation_work *w, char *err, size_t errlen) {
    if (w->cfg->parent_tournament <= 0) return 0;
    zc_gp_cache in_batch = {0};
    int n = 0;
    for (int i = 0; i < w->old_n; i++) {
        const zc_gp_individual *m = &w->pool[i];
        if (m->evaluated || known_fitness(w, m->hash, NULL) ||
            zc_gp_cache_find(&in_batch, m->hash, NULL))
            continue;
        zc_gp_cache_put(&in_batch, m->hash, (double)n);
        w->parent_batch[n++] = m->prog;
    }
    zc_gp_cache_free(&in_batch);
    for (int i = 0; i < n; i++) w->parent_fit[i] = NAN;
    if (n > 0 && w->fn->evaluate(w->fn->ctx, w->parent_batch, n, w->parent_fit) != 0)
        return zc_fail(err, errlen, "gp: fitness evaluation failed (callback error)");
    for (int i = 0; i < n; i++) {
        zc_gp_cache_put(&w->pending, zc_program_hash(&w->parent_batch[i]), w->parent_fit[i]);
        if (!isfinite(w->parent_fit[i])) w->stats.evaluated_invalid++;
    }
    for (int i = 0; i < w->old_n; i++) {
        zc_gp_individual *m = &w->pool[i];
        if (m->evaluated) continue;
        m->fitness = NAN;
        known_fitness(w, m->hash, &m->fitness);
        m->evaluated = 1;
    }
    w->n_parent_batch = n;
    return 0;
}

/* ---- 3. the evaluation batch ---------------------------------------------------------- */

/* Step 3: the pool members of unknown fitness (old ones only when the
 * initial population is evaluated), each distinct program once, in ONE
 * fitness->evaluate call. Returns 0, or -1 with err when it failed. */
static int evaluate_batch(generation_work *w, char *err, size_t errlen) {
    zc_gp_cache in_batch = {0};
    for (int i = 0; i < w->pool_n; i++) {
        const zc_gp_individual *m = &w->pool[i];
        int is_old = i < w->old_n;
        if (is_old && (m->evaluated || !w->need_initial)) continue;
        if (known_fitness(w, m->hash, NULL)) {
            if (!is_old) w->stats.cache_hits++;
            continue;
        }
        if (zc_gp_cache_find(&in_batch, m->hash, NULL)) continue;
        zc_gp_cache_put(&in_batch, m->hash, (double)w->n_batch);
        w->batch[w->n_batch++] = m->prog;
    }
    zc_gp_cache_free(&in_batch);
    if (w->n_batch == 0) return 0;
    for (int i = 0; i < w->n_batch; i++) w->batch_fit[i] = NAN;
    if (w->fn->evaluate(w->fn->ctx, w->batch, w->n_batch, w->batch_fit) != 0)
        return zc_fail(err, errlen, "gp: fitness evaluation failed (callback error)");
    return 0;
}

/* ---- nothing below can fail ------------------------------------------------------------- */

/* What the batch taught: its fitness goes to the pending cache and the hall
 * of fame, and every pool member gets its fitness (evaluated old members
 * keep theirs; unevaluated initial members are NaN unless evaluated now).
 * Without the fitness cache the state's cache is emptied here. */
static void learn_batch_fitness(generation_work *w) {
    w->stats.evaluated = w->n_parent_batch + w->n_batch;
    if (!w->use_state_cache) zc_gp_cache_free(&w->s->cache);
    for (int i = 0; i < w->n_parent_batch; i++)
        zc_gp_hof_offer(w->s, &w->parent_batch[i], zc_program_hash(&w->parent_batch[i]),
                        w->parent_fit[i]);
    for (int i = 0; i < w->n_batch; i++) {
        uint64_t h = zc_program_hash(&w->batch[i]);
        zc_gp_cache_put(&w->pending, h, w->batch_fit[i]);
        if (!isfinite(w->batch_fit[i])) w->stats.evaluated_invalid++;
        zc_gp_hof_offer(w->s, &w->batch[i], h, w->batch_fit[i]);
    }
    for (int i = 0; i < w->pool_n; i++) {
        zc_gp_individual *m = &w->pool[i];
        int is_old = i < w->old_n;
        if (is_old && m->evaluated) continue;
        double f = NAN;
        if (!is_old || w->need_initial) known_fitness(w, m->hash, &f);
        m->fitness = f;
    }
}

/* ---- 4. tournament selection -------------------------------------------------------- */

/* Step 4: chosen[0..mu) = the winners of mu tournaments of tournament_size
 * uniform draws (with replacement) from the offspring, or from the whole
 * pool with selection_pool = both; first best wins ties. */
static void select_by_tournament(generation_work *w) {
    int lo = w->cfg->selection_pool == ZC_GP_POOL_BOTH ? 0 : w->old_n;
    int n = w->pool_n - lo;
    for (int k = 0; k < w->cfg->mu; k++) {
        int best = -1;
        for (int t = 0; t < w->cfg->tournament_size; t++) {
            int c = lo + (int)zc_rng_below(&w->rng, (uint64_t)n);
            if (best < 0 || fitness_better(w->pool[c].fitness, w->pool[best].fitness)) best = c;
        }
        w->chosen[k] = best;
    }
}

/* ---- 5. duplicates and invalid members ---------------------------------------------- */

/* Whether a and b count as the same member under cfg->dedup. */
static int same_member(const zc_gp_config *cfg, const zc_gp_individual *a,
                       const zc_gp_individual *b) {
    if (cfg->dedup == ZC_GP_DEDUP_PROGRAM) return a->hash == b->hash;
    if (cfg->dedup == ZC_GP_DEDUP_FITNESS)
        return a->fitness == b->fitness || (isnan(a->fitness) && isnan(b->fitness));
    return 0;
}

/* Step 5: next = the tournament winners in order, a duplicate of an earlier
 * one removed; then the NaN members, while >= 2 finite ones remain. */
static void remove_duplicates(generation_work *w) {
    w->n_next = 0;
    for (int k = 0; k < w->cfg->mu; k++) {
        const zc_gp_individual *c = &w->pool[w->chosen[k]];
        int dup = 0;
        for (int j = 0; j < w->n_next && !dup; j++) dup = same_member(w->cfg, &w->next[j], c);
        if (dup) {
            w->stats.duplicates_removed++;
            continue;
        }
        w->next[w->n_next++] = *c;
    }
    int n_finite = 0;
    for (int j = 0; j < w->n_next; j++) n_finite += isfinite(w->next[j].fitness) != 0;
    if (n_finite < 2) return;
    int kept = 0;
    for (int j = 0; j < w->n_next; j++)
        if (isfinite(w->next[j].fitness)) w->next[kept++] = w->next[j];
    w->n_next = kept;
}

/* ---- 6. elitism ---------------------------------------------------------------------------- */

/* order[0..n) = the pool's finite members by fitness, best first (stable). */
static int order_by_fitness(generation_work *w) {
    int n = 0;
    for (int i = 0; i < w->pool_n; i++)
        if (isfinite(w->pool[i].fitness)) w->order[n++] = i;
    for (int i = 1; i < n; i++) { /* insertion sort: n is a population */
        int v = w->order[i], j = i;
        while (j > 0 && fitness_better(w->pool[v].fitness, w->pool[w->order[j - 1]].fitness)) {
            w->order[j] = w->order[j - 1];
            j--;
        }
        w->order[j] = v;
    }
    return n;
}

/* elite = the `elitism` best distinct programs of old population + offspring. */
static void pick_elite(generation_work *w) {
    int n_order = order_by_fitness(w);
    w->n_elite = 0;
    for (int k = 0; k < n_order && w->n_elite < w->cfg->elitism; k++) {
        const zc_gp_individual *c = &w->pool[w->order[k]];
        int dup = 0;
        for (int e = 0; e < w->n_elite; e++) dup |= w->elite[e].hash == c->hash;
        if (!dup) w->elite[w->n_elite++] = *c;
    }
}

/* Whether m is an elite (same program, or same fitness with dedup = fitness). */
static int is_elite(const generation_work *w, const zc_gp_individual *m) {
    for (int e = 0; e < w->n_elite; e++)
        if (w->elite[e].hash == m->hash ||
            (w->cfg->dedup == ZC_GP_DEDUP_FITNESS && w->elite[e].fitness == m->fitness))
            return 1;
    return 0;
}

/* Step 6: the elites first, then the other survivors in order, the worst of
 * those (latest on ties) dropped to keep at most mu members. */
static void apply_elitism(generation_work *w) {
    if (w->cfg->elitism <= 0) return;
    pick_elite(w);
    int kept = 0;
    for (int j = 0; j < w->n_next; j++)
        if (!is_elite(w, &w->next[j])) w->next[kept++] = w->next[j];
    while (kept + w->n_elite > w->cfg->mu) {
        int worst = kept - 1;
        for (int j = kept - 2; j >= 0; j--)
            if (fitness_better(w->next[worst].fitness, w->next[j].fitness)) worst = j;
        memmove(&w->next[worst], &w->next[worst + 1],
                sizeof(zc_gp_individual) * (size_t)(kept - worst - 1));
        kept--;
    }
    memmove(&w->next[w->n_elite], &w->next[0], sizeof(zc_gp_individual) * (size_t)kept);
    memcpy(&w->next[0], w->elite, sizeof(zc_gp_individual) * (size_t)w->n_elite);
    w->n_next = kept + w->n_elite;
}

/* ---- commit ------------------------------------------------------------------------------ */

/* The new population, rng, learnt fitness and counters go to the state;
 * the report is completed. */
static void commit(generation_work *w) {
    zc_gp_state *s = w->s;
    for (int slot = 0; slot < w->pending.capacity; slot++)
        if (w->pending.used[slot])
            zc_gp_cache_put(&s->cache, w->pending.keys[slot], w->pending.values[slot]);
    s->rng = w->rng;
    s->pop_n = w->n_next;
    double sum = 0;
    int n_finite = 0;
    w->stats.best = NAN;
    for (int j = 0; j < w->n_next; j++) {
        s->pop[j] = w->next[j];
        s->pop[j].evaluated = 1;
        double f = w->next[j].fitness;
        if (isfinite(f)) {
            sum += f;
            n_finite++;
            if (fitness_better(f, w->stats.best)) w->stats.best = f;
        }
    }
    s->generation++;
    s->evaluations += w->n_parent_batch + w->n_batch;
    s->validations += w->stats.validated;
    w->stats.population = w->n_next;
    w->stats.mean = n_finite ? sum / n_finite : NAN;
    w->stats.best_ever = s->hof_n ? s->hof[0].fitness : NAN;
    w->stats.valid_fraction =
        w->stats.candidates ? (double)w->stats.valid / w->stats.candidates : NAN;
}

int zc_gp_generation(zc_gp_state *s, const zc_fitness_fn *fn, zc_gp_stats *stats_out,
                     char *err, size_t errlen) {
    if (!fn || !fn->evaluate) return zc_fail(err, errlen, "gp: no fitness function");
    generation_work w;
    work_begin(&w, s, fn);
    int status = -1;
    if (evaluate_parents(&w, err, errlen) == 0 && draw_offspring(&w, err, errlen) == 0 &&
        evaluate_batch(&w, err, errlen) == 0) {
        learn_batch_fitness(&w);
        select_by_tournament(&w);
        remove_duplicates(&w);
        apply_elitism(&w);
        commit(&w);
        if (stats_out) *stats_out = w.stats;
        status = 0;
    }
    work_end(&w);
    return status;
}

void zc_gp_stats_write(const zc_gp_stats *st, FILE *f) {
    fprintf(f,
            "gen %d: pop %d best %.6f mean %.6f best_ever %.6f | offspring valid %d/%d (%.2f) "
            "in %d rounds, validated %d, evaluated %d (%d invalid), cache hits %d, "
            "duplicates %d\n",
            st->generation, st->population, st->best, st->mean, st->best_ever, st->valid,
            st->candidates, st->valid_fraction, st->redraw_rounds, st->validated, st->evaluated,
            st->evaluated_invalid, st->cache_hits, st->duplicates_removed);
}
