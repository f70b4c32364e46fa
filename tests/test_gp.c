/* test_gp.c: the GP engine (master/gp.h) with a synthetic fitness:
 * determinism (same seed, shuffled callback order, resume from a saved
 * state), population invariants (validity, height/length limits, no
 * duplicate programs, quick check respected), elitism, the fitness cache,
 * the invalid-offspring redraw, failure atomicity, config text round trip
 * and the half-and-half depth distribution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/program.h"
#include "common/util/rng.h"
#include "common/util/util.h"
#include "master/gp/gp.h"
#include "tests/test_util.h"

/* ---- synthetic fitness ---------------------------------------------------------- */

/* Fitness: rewards many distinct terminals, penalises length; NaN for
 * programs whose hash is 0 mod 7 (invalid on full evaluation). The quick
 * check rejects programs containing `reciprocal`. */
static double synthetic_fitness(const zc_program *p) {
    uint64_t h = zc_program_hash(p);
    if (h % 7 == 0) return NAN;
    int terms = __builtin_popcount(zc_program_terminals(p));
    return 0.1 * terms - 0.004 * p->len + (double)(h % 1000) * 1e-6;
}

static int contains_op(const zc_program *p, int op) {
    for (int i = 0; i < p->len; i++)
        if (p->code[i] == op) return 1;
    return 0;
}

typedef struct {
    int evaluate_calls, evaluated_programs, validate_calls, validated_programs;
    int shuffle;          /* compute results in a shuffled order              */
    zc_rng order_rng;     /* the callback's own randomness (not the engine's) */
    int fail_evaluate, fail_validate, reject_all;
    uint64_t seen[20000]; /* hashes evaluated, to detect re-evaluation        */
    int n_seen, reevaluated;
} counter_ctx;

static int count_evaluate(void *vctx, const zc_program *progs, int n, double *fitness) {
    counter_ctx *c = vctx;
    c->evaluate_calls++;
    if (c->fail_evaluate) return -1;
    int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) order[i] = i;
    if (c->shuffle) zc_rng_shuffle_int(&c->order_rng, order, n);
    for (int k = 0; k < n; k++) {
        int i = order[k];
        fitness[i] = synthetic_fitness(&progs[i]);
        uint64_t h = zc_program_hash(&progs[i]);
        for (int j = 0; j < c->n_seen; j++)
            if (c->seen[j] == h) c->reevaluated++;
        if (c->n_seen < (int)ZC_ARRAY_LEN(c->seen)) c->seen[c->n_seen++] = h;
    }
    c->evaluated_programs += n;
    free(order);
    return 0;
}

static int count_validate(void *vctx, const zc_program *progs, int n, unsigned char *ok) {
    counter_ctx *c = vctx;
    c->validate_calls++;
    c->validated_programs += n;
    if (c->fail_validate) return -1;
    for (int i = n - 1; i >= 0; i--) /* fill in reverse: order must not matter */
        ok[i] = !c->reject_all && !contains_op(&progs[i], ZC_OP_RECIPROCAL);
    return 0;
}

static zc_fitness_fn make_fn(counter_ctx *c) {
    zc_fitness_fn fn = {c, count_evaluate, count_validate};
    return fn;
}

static counter_ctx *new_ctx(int shuffle, uint64_t order_seed) {
    counter_ctx *c = calloc(1, sizeof(counter_ctx));
    c->shuffle = shuffle;
    c->order_rng = zc_rng_stream(order_seed, 1000, 0);
    return c;
}

/* ---- helpers --------------------------------------------------------------------- */

static int programs_same(const zc_program *a, const zc_program *b) {
    return a->len == b->len && memcmp(a->code, b->code, a->len) == 0;
}

static int fitness_same(double a, double b) {
    return (isnan(a) && isnan(b)) || a == b;
}

static int states_same(const zc_gp_state *a, const zc_gp_state *b) {
    if (a->pop_n != b->pop_n || a->hof_n != b->hof_n || a->generation != b->generation) return 0;
    if (memcmp(a->rng.s, b->rng.s, sizeof(a->rng.s)) != 0) return 0;
    for (int i = 0; i < a->pop_n; i++)
        if (!programs_same(&a->pop[i].prog, &b->pop[i].prog) || !fitness_same(a->pop[i].fitness, b->pop[i].fitness))
            return 0;
    for (int i = 0; i < a->hof_n; i++)
        if (!programs_same(&a->hof[i].prog, &b->hof[i].prog) || a->hof[i].fitness != b->hof[i].fitness) return 0;
    return 1;
}

static int stats_same(const zc_gp_stats *a, const zc_gp_stats *b) {
    return a->generation == b->generation && a->population == b->population &&
           fitness_same(a->best, b->best) && fitness_same(a->mean, b->mean) &&
           a->candidates == b->candidates && a->valid == b->valid &&
           a->evaluated == b->evaluated && a->cache_hits == b->cache_hits &&
           a->duplicates_removed == b->duplicates_removed;
}

static unsigned char *save_state(const zc_gp_state *s, size_t *n) {
    *n = zc_gp_state_bytes(s);
    unsigned char *buf = malloc(*n);
    size_t written = zc_gp_state_save(s, buf, *n);
    CHECK(written == *n);
    return buf;
}

/* Invariants every population must satisfy after a generation. */
static void check_population(const zc_gp_state *s, const char *what) {
    const zc_gp_config *cfg = &s->config;
    CHECK_MSG(s->pop_n >= 1 && s->pop_n <= cfg->mu, "%s: population size %d", what, s->pop_n);
    int finite = 0;
    for (int i = 0; i < s->pop_n; i++) {
        const zc_program *p = &s->pop[i].prog;
        CHECK_MSG(zc_program_valid(p), "%s: member %d invalid", what, i);
        CHECK_MSG(zc_program_height(p) <= cfg->max_height, "%s: member %d height %d", what, i,
                  zc_program_height(p));
        CHECK_MSG(p->len <= cfg->max_len, "%s: member %d length %d", what, i, p->len);
        CHECK_MSG(!contains_op(p, ZC_OP_RECIPROCAL), "%s: member %d failed the quick check", what, i);
        CHECK_MSG(fitness_same(s->pop[i].fitness, synthetic_fitness(p)), "%s: member %d fitness", what, i);
        finite += isfinite(s->pop[i].fitness) != 0;
        for (int j = 0; j < i; j++) {
            if (cfg->dedup == ZC_GP_DEDUP_PROGRAM)
                CHECK_MSG(zc_program_hash(&s->pop[j].prog) != zc_program_hash(p), "%s: members %d, %d duplicate",
                          what, j, i);
            if (cfg->dedup == ZC_GP_DEDUP_FITNESS)
                CHECK_MSG(!fitness_same(s->pop[j].fitness, s->pop[i].fitness),
                          "%s: members %d, %d same fitness", what, j, i);
        }
    }
    if (finite >= 2)
        for (int i = 0; i < s->pop_n; i++) CHECK(isfinite(s->pop[i].fitness));
    for (int i = 1; i < s->hof_n; i++) CHECK(s->hof[i - 1].fitness >= s->hof[i].fitness);
}

/* ---- tests ------------------------------------------------------------------------- */

static void run_generations(zc_gp_state *s, counter_ctx *ctx, int gens, zc_gp_stats *stats) {
    zc_fitness_fn fn = make_fn(ctx);
    char err[256];
    for (int g = 0; g < gens; g++) {
        int rc = zc_gp_generation(s, &fn, &stats[g], err, sizeof(err));
        CHECK_MSG(rc == 0, "generation %d failed: %s", g, err);
        if (rc) return;
    }
}

static void test_determinism_and_invariants(void) {
    zc_gp_config cfg = zc_gp_config_default();
    char err[256];
    enum { GENS = 6 };
    zc_gp_state a, b, c, d;
    zc_gp_stats sa[GENS], sb[GENS], sc[GENS], sd[GENS];
    counter_ctx *ca = new_ctx(0, 1), *cb = new_ctx(0, 1), *cc = new_ctx(1, 77), *cd = new_ctx(0, 1);
    CHECK(zc_gp_init(&a, &cfg, 42, err, sizeof(err)) == 0);
    CHECK(zc_gp_init(&b, &cfg, 42, err, sizeof(err)) == 0);
    CHECK(zc_gp_init(&c, &cfg, 42, err, sizeof(err)) == 0);
    CHECK(zc_gp_init(&d, &cfg, 43, err, sizeof(err)) == 0);
    CHECK(a.pop_n == 50);
    CHECK(states_same(&a, &b));
    CHECK(!states_same(&a, &d));

    zc_fitness_fn fn = make_fn(ca);
    double prev_best = -INFINITY;
    long long evaluated_total = 0;
    int cache_hits = 0, redraws = 0;
    for (int g = 0; g < GENS; g++) {
        CHECK(zc_gp_generation(&a, &fn, &sa[g], err, sizeof(err)) == 0);
        char what[32];
        snprintf(what, sizeof(what), "generation %d", g + 1);
        check_population(&a, what);
        /* elitism: the best never gets worse */
        CHECK_MSG(sa[g].best >= prev_best, "gen %d best %.9g < previous %.9g", g + 1, sa[g].best, prev_best);
        prev_best = sa[g].best;
        CHECK(sa[g].valid == cfg.lambda);
        CHECK(sa[g].candidates >= cfg.lambda);
        CHECK(sa[g].generation == g + 1);
        CHECK(sa[g].best_ever >= sa[g].best);
        CHECK(sa[g].best_ever == a.hof[0].fitness);
        evaluated_total += sa[g].evaluated;
        cache_hits += sa[g].cache_hits;
        redraws += sa[g].candidates > sa[g].valid;
        /* one evaluate call per generation (or none if all cached) */
        CHECK(ca->evaluate_calls <= g + 1);
    }
    /* the cache: no program evaluated twice, counts agree */
    CHECK_MSG(ca->reevaluated == 0, "%d programs evaluated twice", ca->reevaluated);
    CHECK(ca->evaluated_programs == evaluated_total);
    CHECK(a.evaluations == evaluated_total);
    CHECK(evaluated_total < (long long)GENS * cfg.lambda); /* reproduction hits the cache */
    CHECK(cache_hits > 0);
    CHECK_MSG(redraws > 0, "the quick check never rejected an offspring");
    CHECK(a.validations == ca->validated_programs);
    CHECK(a.hof_n == cfg.hall_of_fame_size);

    run_generations(&b, cb, GENS, sb);
    run_generations(&c, cc, GENS, sc);
    run_generations(&d, cd, GENS, sd);
    CHECK(states_same(&a, &b));
    CHECK_MSG(states_same(&a, &c), "shuffled fitness order changed the result");
    CHECK(!states_same(&a, &d));
    int same_stats = 1, shuffled_stats = 1;
    for (int g = 0; g < GENS; g++) {
        same_stats &= stats_same(&sa[g], &sb[g]);
        shuffled_stats &= stats_same(&sa[g], &sc[g]);
    }
    CHECK(same_stats);
    CHECK(shuffled_stats);
    /* logs identical */
    char la[8192] = "", lb[8192] = "";
    FILE *fa = fmemopen(la, sizeof(la), "w"), *fb = fmemopen(lb, sizeof(lb), "w");
    for (int g = 0; g < GENS; g++) {
        zc_gp_stats_write(&sa[g], fa);
        zc_gp_stats_write(&sc[g], fb);
    }
    fclose(fa);
    fclose(fb);
    CHECK(strlen(la) > 100 && strcmp(la, lb) == 0);

    zc_gp_free(&a);
    zc_gp_free(&b);
    zc_gp_free(&c);
    zc_gp_free(&d);
    free(ca);
    free(cb);
    free(cc);
    free(cd);
}

/* Save after 2 generations, load, continue both: identical. save(load(x)) == x. */
static void test_checkpoint(void) {
    zc_gp_config cfg = zc_gp_config_default();
    cfg.fresh_fraction = 0.5;
    char err[256];
    zc_gp_state a, b;
    zc_gp_stats st[4];
    counter_ctx *ca = new_ctx(0, 1), *cb = new_ctx(0, 1);
    CHECK(zc_gp_init(&a, &cfg, 7, err, sizeof(err)) == 0);
    run_generations(&a, ca, 2, st);
    size_t n;
    unsigned char *blob = save_state(&a, &n);
    CHECK(zc_gp_state_load(&b, blob, n, err, sizeof(err)) == 0);
    CHECK(states_same(&a, &b));
    CHECK(b.cache.count == a.cache.count);
    size_t n2;
    unsigned char *blob2 = save_state(&b, &n2);
    CHECK(n2 == n && memcmp(blob, blob2, n) == 0);
    /* truncated and corrupted buffers are refused */
    zc_gp_state bad;
    CHECK(zc_gp_state_load(&bad, blob, n - 3, err, sizeof(err)) == -1);
    CHECK(strstr(err, "truncated") != NULL);
    blob2[0] = 'X';
    CHECK(zc_gp_state_load(&bad, blob2, n, err, sizeof(err)) == -1);
    CHECK(strstr(err, "magic") != NULL);

    run_generations(&a, ca, 3, st);
    run_generations(&b, cb, 3, st);
    CHECK(states_same(&a, &b));
    check_population(&b, "resumed");
    free(blob);
    free(blob2);
    zc_gp_free(&a);
    zc_gp_free(&b);
    free(ca);
    free(cb);
}

/* A failing callback or an impossible quick check leaves the state as it was. */
static void test_failure_atomic(void) {
    zc_gp_config cfg = zc_gp_config_default();
    cfg.max_redraw_rounds = 5;
    char err[256];
    zc_gp_state s;
    zc_gp_stats st[2];
    counter_ctx *c = new_ctx(0, 1);
    CHECK(zc_gp_init(&s, &cfg, 3, err, sizeof(err)) == 0);
    run_generations(&s, c, 1, st);
    size_t n0;
    unsigned char *before = save_state(&s, &n0);
    zc_fitness_fn fn = make_fn(c);

    c->fail_evaluate = 1;
    CHECK(zc_gp_generation(&s, &fn, &st[1], err, sizeof(err)) == -1);
    CHECK(strstr(err, "evaluation failed") != NULL);
    c->fail_evaluate = 0;
    c->fail_validate = 1;
    CHECK(zc_gp_generation(&s, &fn, &st[1], err, sizeof(err)) == -1);
    c->fail_validate = 0;
    c->reject_all = 1;
    int calls = c->validate_calls;
    CHECK(zc_gp_generation(&s, &fn, &st[1], err, sizeof(err)) == -1);
    CHECK(strstr(err, "quick check") != NULL);
    /* cached offspring need no check, so at most 5 rounds of calls */
    CHECK(c->validate_calls - calls >= 1 && c->validate_calls - calls <= 5);
    c->reject_all = 0;
    size_t n1;
    unsigned char *after = save_state(&s, &n1);
    CHECK(n0 == n1 && memcmp(before, after, n0) == 0);
    /* and it still works afterwards */
    CHECK(zc_gp_generation(&s, &fn, &st[1], err, sizeof(err)) == 0);
    free(before);
    free(after);
    zc_gp_free(&s);
    free(c);
}

/* Option variants: fitness dedup, mu+lambda pool, no elitism, evaluate_initial,
 * no validity callback, restricted terminals, cache off. */
static void test_options(void) {
    char err[256];
    zc_gp_stats st[5];
    {
        zc_gp_config cfg = zc_gp_config_default();
        cfg.dedup = ZC_GP_DEDUP_FITNESS;
        cfg.selection_pool = ZC_GP_POOL_BOTH;
        cfg.elitism = 3;
        zc_gp_state s;
        counter_ctx *c = new_ctx(0, 1);
        CHECK(zc_gp_init(&s, &cfg, 11, err, sizeof(err)) == 0);
        zc_fitness_fn fn = make_fn(c);
        CHECK(zc_gp_generation(&s, &fn, &st[0], err, sizeof(err)) == 0);
        /* pool = both: the initial population was evaluated in the same batch */
        CHECK(c->evaluate_calls == 1);
        CHECK(st[0].evaluated > cfg.lambda / 2);
        for (int g = 1; g < 4; g++) {
            CHECK(zc_gp_generation(&s, &fn, &st[g], err, sizeof(err)) == 0);
            check_population(&s, "dedup=fitness pool=both");
        }
        /* elitism 3: the 3 best distinct programs ever evaluated are members
         * (pool = both keeps parents competing; the hall of fame leaders
         * must have survived) */
        for (int k = 0; k < 3; k++) {
            int found = 0;
            for (int i = 0; i < s.pop_n; i++) found |= programs_same(&s.pop[i].prog, &s.hof[k].prog) ||
                                                     zc_program_hash(&s.pop[i].prog) == zc_program_hash(&s.hof[k].prog);
            CHECK_MSG(found, "hall of fame #%d not in the population", k);
        }
        CHECK(c->reevaluated == 0);
        zc_gp_free(&s);
        free(c);
    }
    {
        zc_gp_config cfg = zc_gp_config_default();
        cfg.elitism = 0;
        cfg.terminals = (1u << ZC_TERMINAL_WT) | (1u << ZC_TERMINAL_ID(ZC_T_ACT, ZC_PASS_DATA));
        cfg.mu = 10;
        cfg.lambda = 20;
        cfg.population_size = 8;
        zc_gp_state s;
        counter_ctx *c = new_ctx(0, 1);
        CHECK(zc_gp_init(&s, &cfg, 5, err, sizeof(err)) == 0);
        zc_fitness_fn fn = {c, count_evaluate, NULL}; /* NULL: accept every program */
        for (int g = 0; g < 4; g++) {
            CHECK(zc_gp_generation(&s, &fn, &st[g], err, sizeof(err)) == 0);
            CHECK(st[g].candidates == cfg.lambda && st[g].validated == 0);
            CHECK(s.pop_n <= 10);
            for (int i = 0; i < s.pop_n; i++)
                CHECK((zc_program_terminals(&s.pop[i].prog) & ~cfg.terminals) == 0);
        }
        CHECK(c->validate_calls == 0);
        zc_gp_free(&s);
        free(c);
    }
    {
        /* cache off: reproduced programs are evaluated again each generation */
        zc_gp_config cfg = zc_gp_config_default();
        cfg.cache_fitness = 0;
        cfg.crossover_prob = 0;
        cfg.mutation_prob = 0; /* reproduction only */
        zc_gp_state s;
        counter_ctx *c = new_ctx(0, 1);
        CHECK(zc_gp_init(&s, &cfg, 5, err, sizeof(err)) == 0);
        run_generations(&s, c, 3, st);
        CHECK(c->reevaluated > 0);
        CHECK(st[1].cache_hits == 0 && st[1].evaluated > 0);
        zc_gp_free(&s);
        free(c);
        /* and with the cache on, reproduction only evaluates nothing new */
        cfg.cache_fitness = 1;
        c = new_ctx(0, 1);
        CHECK(zc_gp_init(&s, &cfg, 5, err, sizeof(err)) == 0);
        run_generations(&s, c, 3, st);
        CHECK(st[1].evaluated == 0 && st[2].evaluated == 0);
        CHECK(c->evaluate_calls == 1);
        zc_gp_free(&s);
        free(c);
    }
}

/* genHalfAndHalf: heights within [min, max], every height reached, grow and
 * full both present; add_noise only when enabled. */
static void test_half_and_half(void) {
    zc_gp_config cfg = zc_gp_config_default();
    zc_rng rng = zc_rng_stream(1, 2, 3);
    int count[12] = {0}, noise = 0, full_binary_depth6 = 0, failures = 0;
    enum { N = 6000 };
    for (int i = 0; i < N; i++) {
        zc_program p;
        if (zc_gp_gen_half_and_half(&cfg, &rng, 2, 6, &p) != 0) {
            failures++;
            continue;
        }
        CHECK(zc_program_valid(&p));
        int h = zc_program_height(&p);
        if (h >= 0 && h < 12) count[h]++;
        noise += contains_op(&p, ZC_OP_ADD_NOISE);
        full_binary_depth6 += p.len == 127;
    }
    CHECK(failures == 0);
    CHECK(count[0] == 0 && count[1] == 0);
    for (int h = 7; h < 12; h++) CHECK(count[h] == 0);
    for (int h = 2; h <= 6; h++)
        CHECK_MSG(count[h] > N / 20, "height %d drawn %d times of %d", h, count[h], N);
    /* full trees give each height 1/10 of draws at least */
    for (int h = 2; h <= 6; h++) CHECK(count[h] >= N / 10 - N / 50);
    CHECK(noise == 0);
    /* mutation subtrees: 0..5, lone terminals happen */
    int mut_count[8] = {0};
    for (int i = 0; i < N; i++) {
        zc_program p;
        CHECK(zc_gp_gen_half_and_half(&cfg, &rng, 0, 5, &p) == 0);
        int h = zc_program_height(&p);
        if (h >= 0 && h < 8) mut_count[h]++;
    }
    CHECK(mut_count[0] > N / 20 && mut_count[6] == 0 && mut_count[7] == 0);
    for (int h = 0; h <= 5; h++) CHECK(mut_count[h] > 0);
    cfg.use_add_noise = 1;
    noise = 0;
    for (int i = 0; i < 2000; i++) {
        zc_program p;
        CHECK(zc_gp_gen_half_and_half(&cfg, &rng, 2, 6, &p) == 0);
        noise += contains_op(&p, ZC_OP_ADD_NOISE);
    }
    CHECK(noise > 0);
    (void)full_binary_depth6;
}

static void test_config_text(void) {
    zc_gp_config cfg = zc_gp_config_default();
    char err[256];
    CHECK(zc_gp_config_check(&cfg, err, sizeof(err)) == 0);
    cfg.mu = 17;
    cfg.fresh_fraction = 0.5;
    cfg.crossover_prob = 0.1 + 0.2; /* not exactly 0.3: %.17g must round-trip */
    cfg.dedup = ZC_GP_DEDUP_FITNESS;
    cfg.selection_pool = ZC_GP_POOL_BOTH;
    cfg.terminals = (1u << 0) | (1u << 21);
    cfg.use_add_noise = 1;
    char text[4096] = "";
    FILE *f = fmemopen(text, sizeof(text), "w");
    CHECK(zc_gp_config_write(&cfg, f) == 0);
    fclose(f);
    CHECK(strstr(text, "mu=17\n") != NULL);
    CHECK(strstr(text, "dedup=fitness\n") != NULL);
    zc_gp_config back = zc_gp_config_default();
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        CHECK(eq != NULL);
        if (!eq) continue;
        *eq = 0;
        CHECK_MSG(zc_gp_config_set(&back, line, eq + 1, err, sizeof(err)) == 0, "%s", err);
        lines++;
    }
    CHECK(lines == 23);
    CHECK(memcmp(&back, &cfg, sizeof(cfg)) == 0);
    /* errors name the key and value */
    CHECK(zc_gp_config_set(&back, "mu", "many", err, sizeof(err)) == -1 && strstr(err, "mu='many'"));
    CHECK(zc_gp_config_set(&back, "colour", "red", err, sizeof(err)) == -1 && strstr(err, "colour"));
    CHECK(zc_gp_config_set(&back, "dedup", "twice", err, sizeof(err)) == -1 && strstr(err, "twice"));
    CHECK(zc_gp_config_set(&back, "terminals", "wt,bogus", err, sizeof(err)) == -1 && strstr(err, "bogus"));
    zc_gp_config badcfg = zc_gp_config_default();
    badcfg.crossover_prob = 0.7;
    CHECK(zc_gp_config_check(&badcfg, err, sizeof(err)) == -1 && strstr(err, "crossover_prob"));
    badcfg = zc_gp_config_default();
    badcfg.elitism = 30;
    CHECK(zc_gp_config_check(&badcfg, err, sizeof(err)) == -1 && strstr(err, "elitism=30"));
    badcfg = zc_gp_config_default();
    badcfg.init_max_depth = 11;
    zc_gp_state s;
    CHECK(zc_gp_init(&s, &badcfg, 1, err, sizeof(err)) == -1 && strstr(err, "init depth"));
}

int main(void) {
    test_half_and_half();
    test_config_text();
    test_determinism_and_invariants();
    test_checkpoint();
    test_failure_atomic();
    test_options();
    TEST_EXIT();
}
