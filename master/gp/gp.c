/* gp.c: the genetic programming engine (see gp.h for the generation
 * algorithm, the determinism rules and the contracts). */
#include "master/gp/gp.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* ---- small helpers ----------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* better(a, b): fitness a ranks strictly above b (NaN ranks last). */
static int fitness_better(double a, double b) {
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return a > b;
}

/* ---- the primitive set --------------------------------------------------------- */

typedef struct {
    int ops[ZC_NUM_OPS];
    int n_ops;
    int terms[ZC_NUM_TERMINALS];
    int n_terms;
    double terminal_ratio; /* DEAP pset.terminalRatio */
} primitive_set;

static void primitive_set_build(const zc_gp_config *cfg, primitive_set *ps) {
    ps->n_ops = 0;
    for (int code = ZC_OP_BASE; code < ZC_OP_END; code++) {
        if (code == ZC_OP_ADD_NOISE && !cfg->use_add_noise) continue;
        ps->ops[ps->n_ops++] = code;
    }
    ps->n_terms = 0;
    for (int t = 0; t < ZC_NUM_TERMINALS; t++)
        if (cfg->terminals & (1u << t)) ps->terms[ps->n_terms++] = t;
    ps->terminal_ratio = (double)ps->n_terms / (double)(ps->n_terms + ps->n_ops);
}

/* DEAP generate(): node decision first, then the arguments left to right, so
 * random draws happen in prefix order; nodes are emitted in postfix. */
static int gen_node(const primitive_set *ps, zc_rng *rng, int grow, int min_depth,
                    int height, int depth, uint8_t *buf, int *len, int cap) {
    int terminal;
    if (depth == height)
        terminal = 1;
    else if (grow && depth >= min_depth)
        terminal = zc_rng_uniform(rng) < ps->terminal_ratio;
    else
        terminal = 0;
    if (terminal) {
        int code = ps->terms[zc_rng_below(rng, (uint64_t)ps->n_terms)];
        if (*len >= cap) return -1;
        buf[(*len)++] = (uint8_t)code;
        return 0;
    }
    int op = ps->ops[zc_rng_below(rng, (uint64_t)ps->n_ops)];
    int arity = zc_op_arity(op);
    for (int a = 0; a < arity; a++)
        if (gen_node(ps, rng, grow, min_depth, height, depth + 1, buf, len, cap)) return -1;
    if (*len >= cap) return -1;
    buf[(*len)++] = (uint8_t)op;
    return 0;
}

static int gen_half_and_half(const primitive_set *ps, zc_rng *rng, int min_depth,
                             int max_depth, int cap, zc_program *out) {
    int grow = zc_rng_below(rng, 2) == 0;
    int height = min_depth + (int)zc_rng_below(rng, (uint64_t)(max_depth - min_depth + 1));
    int len = 0;
    memset(out, 0, sizeof(*out));
    if (gen_node(ps, rng, grow, min_depth, height, 0, out->code, &len, cap)) return -1;
    out->len = (uint16_t)len;
    return 0;
}

int zc_gp_gen_half_and_half(const zc_gp_config *cfg, zc_rng *rng, int min_depth,
                            int max_depth, zc_program *out) {
    primitive_set ps;
    primitive_set_build(cfg, &ps);
    int cap = ZC_MIN(cfg->max_len, ZC_PROG_MAX_LEN);
    return gen_half_and_half(&ps, rng, min_depth, max_depth, cap, out);
}

/* A fresh program within the limits (redrawn until it fits). */
static void gen_fresh(const zc_gp_config *cfg, const primitive_set *ps, zc_rng *rng,
                      zc_program *out) {
    int cap = ZC_MIN(cfg->max_len, ZC_PROG_MAX_LEN);
    for (;;) {
        if (gen_half_and_half(ps, rng, cfg->init_min_depth, cfg->init_max_depth, cap, out) == 0 &&
            zc_program_height(out) <= cfg->max_height)
            return;
    }
}

/* ---- variation ------------------------------------------------------------------- */

/* Splice: out = host with its subtree [start, end] replaced by donor code
 * [dstart, dend]. Returns -1 if the result exceeds max_len. */
static int splice(const zc_program *host, int start, int end, const uint8_t *donor,
                  int dstart, int dend, int max_len, zc_program *out) {
    int head = start, mid = dend - dstart + 1, tail = host->len - 1 - end;
    if (head + mid + tail > max_len) return -1;
    zc_program result;
    memset(&result, 0, sizeof(result));
    memcpy(result.code, host->code, (size_t)head);
    memcpy(result.code + head, donor + dstart, (size_t)mid);
    memcpy(result.code + head + mid, host->code + end + 1, (size_t)tail);
    result.len = (uint16_t)(head + mid + tail);
    *out = result;
    return 0;
}

static int within_limits(const zc_gp_config *cfg, const zc_program *p) {
    return p->len <= cfg->max_len && zc_program_height(p) <= cfg->max_height;
}

/* cxOnePoint + staticLimit, first child. */
static void crossover(const zc_gp_config *cfg, zc_rng *rng, const zc_program *a,
                      const zc_program *b, zc_program *out) {
    if (a->len < 2 || b->len < 2) { /* DEAP: no crossover on a single node */
        *out = *a;
        return;
    }
    int end_a = (int)zc_rng_below(rng, (uint64_t)(a->len - 1)); /* non-root */
    int end_b = (int)zc_rng_below(rng, (uint64_t)(b->len - 1));
    int start_a = zc_program_subtree_start(a, end_a);
    int start_b = zc_program_subtree_start(b, end_b);
    int max_len = ZC_MIN(cfg->max_len, ZC_PROG_MAX_LEN);
    if (splice(a, start_a, end_a, b->code, start_b, end_b, max_len, out) != 0 ||
        !within_limits(cfg, out)) {
        *out = zc_rng_below(rng, 2) == 0 ? *a : *b; /* staticLimit */
    }
}

/* mutUniform + staticLimit. */
static void mutate(const zc_gp_config *cfg, const primitive_set *ps, zc_rng *rng,
                   const zc_program *a, zc_program *out) {
    int end = (int)zc_rng_below(rng, (uint64_t)a->len);
    int start = zc_program_subtree_start(a, end);
    zc_program sub;
    int max_len = ZC_MIN(cfg->max_len, ZC_PROG_MAX_LEN);
    int ok = gen_half_and_half(ps, rng, cfg->mut_min_depth, cfg->mut_max_depth,
                               ZC_PROG_MAX_LEN, &sub) == 0 &&
             splice(a, start, end, sub.code, 0, sub.len - 1, max_len, out) == 0 &&
             within_limits(cfg, out);
    if (!ok) *out = *a; /* staticLimit: the (only) parent */
}

/* One varOr offspring from pop[0..n). With fewer than two members a
 * crossover draw becomes a mutation. */
static void var_or_one(const zc_gp_config *cfg, const primitive_set *ps, zc_rng *rng,
                       const zc_gp_individual *pop, int n, zc_program *out) {
    double choice = zc_rng_uniform(rng);
    if (choice < cfg->crossover_prob && n >= 2) {
        int i = (int)zc_rng_below(rng, (uint64_t)n);
        int j = (int)zc_rng_below(rng, (uint64_t)(n - 1));
        if (j >= i) j++;
        crossover(cfg, rng, &pop[i].prog, &pop[j].prog, out);
    } else if (choice < cfg->crossover_prob + cfg->mutation_prob) {
        mutate(cfg, ps, rng, &pop[zc_rng_below(rng, (uint64_t)n)].prog, out);
    } else {
        *out = pop[zc_rng_below(rng, (uint64_t)n)].prog;
    }
}

/* ---- the fitness cache -------------------------------------------------------- */

static uint64_t cache_slot_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key;
}

static int cache_find(const zc_gp_cache *c, uint64_t key, double *value) {
    if (c->capacity == 0) return 0;
    uint64_t mask = (uint64_t)c->capacity - 1;
    for (uint64_t s = cache_slot_hash(key) & mask;; s = (s + 1) & mask) {
        if (!c->used[s]) return 0;
        if (c->keys[s] == key) {
            if (value) *value = c->values[s];
            return 1;
        }
    }
}

static void cache_put(zc_gp_cache *c, uint64_t key, double value);

static void cache_grow(zc_gp_cache *c) {
    zc_gp_cache bigger = {0};
    bigger.capacity = c->capacity ? 2 * c->capacity : 64;
    bigger.keys = zc_calloc((size_t)bigger.capacity, sizeof(uint64_t));
    bigger.values = zc_calloc((size_t)bigger.capacity, sizeof(double));
    bigger.used = zc_calloc((size_t)bigger.capacity, 1);
    for (int s = 0; s < c->capacity; s++)
        if (c->used[s]) cache_put(&bigger, c->keys[s], c->values[s]);
    free(c->keys);
    free(c->values);
    free(c->used);
    *c = bigger;
}

/* Insert or overwrite. */
static void cache_put(zc_gp_cache *c, uint64_t key, double value) {
    if (2 * (c->count + 1) > c->capacity) cache_grow(c);
    uint64_t mask = (uint64_t)c->capacity - 1;
    for (uint64_t s = cache_slot_hash(key) & mask;; s = (s + 1) & mask) {
        if (!c->used[s]) {
            c->used[s] = 1;
            c->keys[s] = key;
            c->values[s] = value;
            c->count++;
            return;
        }
        if (c->keys[s] == key) {
            c->values[s] = value;
            return;
        }
    }
}

static void cache_free(zc_gp_cache *c) {
    free(c->keys);
    free(c->values);
    free(c->used);
    memset(c, 0, sizeof(*c));
}

int zc_gp_cache_lookup(const zc_gp_state *state, const zc_program *p, double *fitness) {
    return cache_find(&state->cache, zc_program_hash(p), fitness);
}

void zc_gp_cache_clear(zc_gp_state *state) { cache_free(&state->cache); }

/* ---- configuration --------------------------------------------------------------- */

zc_gp_config zc_gp_config_default(void) {
    zc_gp_config c;
    memset(&c, 0, sizeof(c));
    c.population_size = 50;
    c.mu = 25;
    c.lambda = 50;
    c.crossover_prob = 0.4;
    c.mutation_prob = 0.4;
    c.init_min_depth = 2;
    c.init_max_depth = 6;
    c.mut_min_depth = 0;
    c.mut_max_depth = 5;
    c.max_height = 10;
    c.max_len = ZC_PROG_MAX_LEN;
    c.tournament_size = 4;
    c.elitism = 1;
    c.fresh_fraction = 0.0;
    c.generations = 15;
    c.use_add_noise = 0;
    c.terminals = ZC_ALL_TERMINALS;
    c.dedup = ZC_GP_DEDUP_PROGRAM;
    c.selection_pool = ZC_GP_POOL_OFFSPRING;
    c.evaluate_initial = 0;
    c.hall_of_fame_size = 10;
    c.max_redraw_rounds = 1000;
    c.cache_fitness = 1;
    return c;
}

int zc_gp_config_check(const zc_gp_config *c, char *err, size_t errlen) {
#define REQUIRE(cond, ...)                                                       \
    do {                                                                         \
        if (!(cond)) {                                                           \
            set_err(err, errlen, __VA_ARGS__);                                   \
            return -1;                                                           \
        }                                                                        \
    } while (0)
    REQUIRE(c->population_size >= 1, "gp: population_size=%d must be >= 1", c->population_size);
    REQUIRE(c->mu >= 1, "gp: mu=%d must be >= 1", c->mu);
    REQUIRE(c->lambda >= 1, "gp: lambda=%d must be >= 1", c->lambda);
    REQUIRE(c->crossover_prob >= 0 && c->mutation_prob >= 0 &&
                c->crossover_prob + c->mutation_prob <= 1.0,
            "gp: crossover_prob=%g and mutation_prob=%g must be >= 0 with sum <= 1",
            c->crossover_prob, c->mutation_prob);
    REQUIRE(c->max_len >= 1 && c->max_len <= ZC_PROG_MAX_LEN, "gp: max_len=%d must be in 1..%d",
            c->max_len, ZC_PROG_MAX_LEN);
    REQUIRE(c->max_height >= 0, "gp: max_height=%d must be >= 0", c->max_height);
    REQUIRE(c->init_min_depth >= 0 && c->init_min_depth <= c->init_max_depth &&
                c->init_max_depth <= c->max_height,
            "gp: init depth %d..%d must satisfy 0 <= min <= max <= max_height=%d",
            c->init_min_depth, c->init_max_depth, c->max_height);
    /* a full binary tree of depth d has 2^(d+1)-1 nodes: must fit */
    REQUIRE(c->init_min_depth < 31 && (1L << (c->init_min_depth + 1)) - 1 <= c->max_len,
            "gp: init_min_depth=%d cannot fit in max_len=%d nodes", c->init_min_depth, c->max_len);
    REQUIRE(c->mut_min_depth >= 0 && c->mut_min_depth <= c->mut_max_depth && c->mut_max_depth <= 5,
            "gp: mutation depth %d..%d must satisfy 0 <= min <= max <= 5", c->mut_min_depth,
            c->mut_max_depth);
    REQUIRE(c->tournament_size >= 1, "gp: tournament_size=%d must be >= 1", c->tournament_size);
    REQUIRE(c->elitism >= 0 && c->elitism <= c->mu, "gp: elitism=%d must be in 0..mu=%d",
            c->elitism, c->mu);
    REQUIRE(c->fresh_fraction >= 0 && c->fresh_fraction <= 1, "gp: fresh_fraction=%g must be in [0, 1]",
            c->fresh_fraction);
    REQUIRE(c->generations >= 0, "gp: generations=%d must be >= 0", c->generations);
    REQUIRE((c->terminals & ZC_ALL_TERMINALS) != 0 && (c->terminals & ~ZC_ALL_TERMINALS) == 0,
            "gp: terminals mask 0x%x must name at least one of the %d terminals",
            (unsigned)c->terminals, ZC_NUM_TERMINALS);
    REQUIRE(c->dedup >= ZC_GP_DEDUP_NONE && c->dedup <= ZC_GP_DEDUP_FITNESS, "gp: dedup=%d unknown",
            (int)c->dedup);
    REQUIRE(c->selection_pool == ZC_GP_POOL_OFFSPRING || c->selection_pool == ZC_GP_POOL_BOTH,
            "gp: selection_pool=%d unknown", (int)c->selection_pool);
    REQUIRE(c->hall_of_fame_size >= 0, "gp: hall_of_fame_size=%d must be >= 0", c->hall_of_fame_size);
    REQUIRE(c->max_redraw_rounds >= 1, "gp: max_redraw_rounds=%d must be >= 1", c->max_redraw_rounds);
#undef REQUIRE
    return 0;
}

static const char *dedup_names[] = {"none", "program", "fitness"};
static const char *pool_names[] = {"offspring", "both"};

/* Format the config as key=value lines into buf (snprintf semantics:
 * returns the full length needed). */
static size_t config_format(const zc_gp_config *c, char *buf, size_t size) {
    char terms[ZC_NUM_TERMINALS * 24 + 8];
    size_t t = 0;
    if ((c->terminals & ZC_ALL_TERMINALS) == ZC_ALL_TERMINALS) {
        strcpy(terms, "all");
    } else {
        terms[0] = '\0';
        for (int i = 0; i < ZC_NUM_TERMINALS; i++)
            if (c->terminals & (1u << i))
                t += (size_t)snprintf(terms + t, sizeof(terms) - t, "%s%s", t ? "," : "",
                                      zc_terminal_name(i));
    }
    int dedup = c->dedup >= 0 && c->dedup <= 2 ? (int)c->dedup : 1;
    int pool = c->selection_pool == ZC_GP_POOL_BOTH ? 1 : 0;
    int n = snprintf(buf, size,
                     "population_size=%d\nmu=%d\nlambda=%d\ncrossover_prob=%.17g\n"
                     "mutation_prob=%.17g\ninit_min_depth=%d\ninit_max_depth=%d\n"
                     "mut_min_depth=%d\nmut_max_depth=%d\nmax_height=%d\nmax_len=%d\n"
                     "tournament_size=%d\nelitism=%d\nfresh_fraction=%.17g\ngenerations=%d\n"
                     "use_add_noise=%d\nterminals=%s\ndedup=%s\nselection_pool=%s\n"
                     "evaluate_initial=%d\nhall_of_fame_size=%d\nmax_redraw_rounds=%d\n"
                     "cache_fitness=%d\n",
                     c->population_size, c->mu, c->lambda, c->crossover_prob, c->mutation_prob,
                     c->init_min_depth, c->init_max_depth, c->mut_min_depth, c->mut_max_depth,
                     c->max_height, c->max_len, c->tournament_size, c->elitism,
                     c->fresh_fraction, c->generations, c->use_add_noise, terms,
                     dedup_names[dedup], pool_names[pool], c->evaluate_initial,
                     c->hall_of_fame_size, c->max_redraw_rounds, c->cache_fitness);
    return n < 0 ? 0 : (size_t)n;
}

int zc_gp_config_write(const zc_gp_config *cfg, FILE *f) {
    char buf[4096];
    size_t n = config_format(cfg, buf, sizeof(buf));
    if (n >= sizeof(buf)) return -1;
    return fwrite(buf, 1, n, f) == n ? 0 : -1;
}

static int parse_int(const char *value, int *out) {
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < -2147483647L || v > 2147483647L) return -1;
    *out = (int)v;
    return 0;
}

static int parse_double(const char *value, double *out) {
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end != '\0' || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int zc_gp_config_set(zc_gp_config *c, const char *key, const char *value, char *err,
                     size_t errlen) {
    struct {
        const char *key;
        int *target;
    } ints[] = {
        {"population_size", &c->population_size}, {"mu", &c->mu}, {"lambda", &c->lambda},
        {"init_min_depth", &c->init_min_depth}, {"init_max_depth", &c->init_max_depth},
        {"mut_min_depth", &c->mut_min_depth}, {"mut_max_depth", &c->mut_max_depth},
        {"max_height", &c->max_height}, {"max_len", &c->max_len},
        {"tournament_size", &c->tournament_size}, {"elitism", &c->elitism},
        {"generations", &c->generations}, {"use_add_noise", &c->use_add_noise},
        {"evaluate_initial", &c->evaluate_initial}, {"hall_of_fame_size", &c->hall_of_fame_size},
        {"max_redraw_rounds", &c->max_redraw_rounds}, {"cache_fitness", &c->cache_fitness},
    };
    struct {
        const char *key;
        double *target;
    } doubles[] = {
        {"crossover_prob", &c->crossover_prob},
        {"mutation_prob", &c->mutation_prob},
        {"fresh_fraction", &c->fresh_fraction},
    };
    for (size_t i = 0; i < ZC_ARRAY_LEN(ints); i++)
        if (strcmp(key, ints[i].key) == 0) {
            if (parse_int(value, ints[i].target) == 0) return 0;
            set_err(err, errlen, "gp: %s='%s' is not an integer", key, value);
            return -1;
        }
    for (size_t i = 0; i < ZC_ARRAY_LEN(doubles); i++)
        if (strcmp(key, doubles[i].key) == 0) {
            if (parse_double(value, doubles[i].target) == 0) return 0;
            set_err(err, errlen, "gp: %s='%s' is not a number", key, value);
            return -1;
        }
    if (strcmp(key, "terminals") == 0) {
        char bad[64] = "";
        zc_terminal_mask mask;
        if (zc_terminal_parse_list(value, &mask, bad) != 0) {
            set_err(err, errlen, "gp: terminals: unknown terminal '%s'", bad);
            return -1;
        }
        c->terminals = mask;
        return 0;
    }
    if (strcmp(key, "dedup") == 0) {
        for (int i = 0; i < 3; i++)
            if (strcmp(value, dedup_names[i]) == 0) {
                c->dedup = (zc_gp_dedup)i;
                return 0;
            }
        set_err(err, errlen, "gp: dedup='%s' must be none, program or fitness", value);
        return -1;
    }
    if (strcmp(key, "selection_pool") == 0) {
        for (int i = 0; i < 2; i++)
            if (strcmp(value, pool_names[i]) == 0) {
                c->selection_pool = (zc_gp_pool)i;
                return 0;
            }
        set_err(err, errlen, "gp: selection_pool='%s' must be offspring or both", value);
        return -1;
    }
    set_err(err, errlen, "gp: unknown option '%s'", key);
    return -1;
}

/* ---- state ---------------------------------------------------------------------- */

static void state_alloc(zc_gp_state *s) {
    s->pop_capacity = ZC_MAX(s->config.population_size, s->config.mu);
    s->pop = zc_calloc((size_t)s->pop_capacity, sizeof(zc_gp_individual));
    int hof_cap = ZC_MAX(s->config.hall_of_fame_size, 1);
    s->hof = zc_calloc((size_t)hof_cap, sizeof(zc_gp_hof_entry));
}

int zc_gp_init(zc_gp_state *s, const zc_gp_config *config, uint64_t seed, char *err,
               size_t errlen) {
    memset(s, 0, sizeof(*s));
    if (zc_gp_config_check(config, err, errlen) != 0) return -1;
    s->config = *config;
    s->rng = zc_rng_stream(seed, ZC_STREAM_GP, 0);
    state_alloc(s);
    primitive_set ps;
    primitive_set_build(&s->config, &ps);
    for (int i = 0; i < s->config.population_size; i++) {
        gen_fresh(&s->config, &ps, &s->rng, &s->pop[i].prog);
        s->pop[i].fitness = NAN;
        s->pop[i].evaluated = 0;
        s->pop[i].hash = zc_program_hash(&s->pop[i].prog);
    }
    s->pop_n = s->config.population_size;
    return 0;
}

void zc_gp_free(zc_gp_state *s) {
    free(s->pop);
    free(s->hof);
    cache_free(&s->cache);
    memset(s, 0, sizeof(*s));
}

/* Hall of fame insert: best first, ties older first, distinct programs. */
static void hof_offer(zc_gp_state *s, const zc_program *p, uint64_t hash, double fitness) {
    int k = s->config.hall_of_fame_size;
    if (k <= 0 || !isfinite(fitness)) return;
    for (int i = 0; i < s->hof_n; i++)
        if (zc_program_hash(&s->hof[i].prog) == hash) {
            if (!(fitness > s->hof[i].fitness)) return;
            /* re-evaluated better (cache cleared): remove the old entry */
            memmove(&s->hof[i], &s->hof[i + 1], sizeof(zc_gp_hof_entry) * (size_t)(s->hof_n - i - 1));
            s->hof_n--;
            break;
        }
    int pos = s->hof_n;
    while (pos > 0 && fitness > s->hof[pos - 1].fitness) pos--;
    if (pos >= k) return;
    int n_move = ZC_MIN(s->hof_n, k - 1) - pos;
    if (n_move > 0) memmove(&s->hof[pos + 1], &s->hof[pos], sizeof(zc_gp_hof_entry) * (size_t)n_move);
    s->hof[pos].prog = *p;
    s->hof[pos].fitness = fitness;
    s->hof[pos].seq = s->hof_sequence++;
    if (s->hof_n < k) s->hof_n++;
}

/* ---- one generation -------------------------------------------------------------- */

/* Working data of a generation; committed to the state only on success. */
typedef struct {
    zc_gp_state *s;
    const zc_fitness_fn *fn;
    primitive_set ps;
    zc_rng rng;
    zc_gp_cache pending; /* fitness learnt this generation (NaN = invalid)  */
    int use_state_cache;
    zc_gp_stats stats;
    /* scratch for one quick-check round */
    zc_program *cand;
    uint64_t *cand_hash;
    unsigned char *cand_ok;
    zc_program *check;
    unsigned char *check_ok;
} generation_work;

static int known_fitness(const generation_work *w, uint64_t hash, double *fitness) {
    if (cache_find(&w->pending, hash, fitness)) return 1;
    return w->use_state_cache && cache_find(&w->s->cache, hash, fitness);
}

/* Produce `need` offspring that pass the quick check into out; fresh != 0
 * draws half-and-half programs, else varOr offspring. */
static int fill_valid(generation_work *w, int fresh, int need, zc_program *out, char *err,
                      size_t errlen) {
    const zc_gp_config *cfg = &w->s->config;
    int accepted = 0;
    while (accepted < need) {
        if (w->stats.redraw_rounds >= cfg->max_redraw_rounds) {
            set_err(err, errlen,
                    "gp: only %d of %d offspring passed the quick check after %d rounds "
                    "(%d candidates)",
                    accepted, need, w->stats.redraw_rounds, w->stats.candidates);
            return -1;
        }
        w->stats.redraw_rounds++;
        int m = need - accepted, n_check = 0;
        zc_gp_cache round_index = {0}; /* hash -> index in check[] */
        for (int i = 0; i < m; i++) {
            if (fresh)
                gen_fresh(cfg, &w->ps, &w->rng, &w->cand[i]);
            else
                var_or_one(cfg, &w->ps, &w->rng, w->s->pop, w->s->pop_n, &w->cand[i]);
            w->cand_hash[i] = zc_program_hash(&w->cand[i]);
            double f;
            if (known_fitness(w, w->cand_hash[i], &f)) {
                w->cand_ok[i] = isfinite(f) ? 1 : 0;
            } else if (!cache_find(&round_index, w->cand_hash[i], NULL)) {
                cache_put(&round_index, w->cand_hash[i], (double)n_check);
                w->check[n_check++] = w->cand[i];
                w->cand_ok[i] = 2; /* to be checked */
            } else {
                w->cand_ok[i] = 2;
            }
        }
        w->stats.candidates += m;
        if (n_check > 0) {
            if (w->fn->validate) {
                memset(w->check_ok, 0, (size_t)n_check);
                if (w->fn->validate(w->fn->ctx, w->check, n_check, w->check_ok) != 0) {
                    cache_free(&round_index);
                    set_err(err, errlen, "gp: the validity check failed (callback error)");
                    return -1;
                }
                w->stats.validated += n_check;
            } else {
                memset(w->check_ok, 1, (size_t)n_check);
            }
        }
        for (int i = 0; i < m; i++) {
            if (w->cand_ok[i] == 2) {
                double index = 0;
                cache_find(&round_index, w->cand_hash[i], &index);
                w->cand_ok[i] = w->check_ok[(int)index] ? 1 : 0;
            }
            if (w->cand_ok[i]) {
                out[accepted++] = w->cand[i];
                w->stats.valid++;
            } else if (!known_fitness(w, w->cand_hash[i], NULL)) {
                cache_put(&w->pending, w->cand_hash[i], NAN);
            }
        }
        cache_free(&round_index);
    }
    return 0;
}

/* Indices idx[0..n) sorted by fitness descending (NaN last), stable. */
static void sort_by_fitness_desc(const double *fit, int *idx, int n) {
    for (int i = 1; i < n; i++) { /* insertion sort: n is a population */
        int v = idx[i], j = i;
        while (j > 0 && fitness_better(fit[v], fit[idx[j - 1]])) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

int zc_gp_generation(zc_gp_state *s, const zc_fitness_fn *fn, zc_gp_stats *stats_out,
                     char *err, size_t errlen) {
    const zc_gp_config *cfg = &s->config;
    if (!fn || !fn->evaluate) {
        set_err(err, errlen, "gp: no fitness function");
        return -1;
    }
    generation_work w;
    memset(&w, 0, sizeof(w));
    w.s = s;
    w.fn = fn;
    w.rng = s->rng;
    w.use_state_cache = cfg->cache_fitness != 0;
    primitive_set_build(cfg, &w.ps);
    w.stats.generation = s->generation + 1;

    int lambda = cfg->lambda;
    int n_fresh = (int)lround(cfg->fresh_fraction * lambda);
    int n_var = lambda - n_fresh;
    int need_initial = s->generation == 0 &&
                       (cfg->evaluate_initial || cfg->selection_pool == ZC_GP_POOL_BOTH);
    int pool_cap = lambda + s->pop_n;

    w.cand = zc_malloc(sizeof(zc_program) * (size_t)lambda);
    w.cand_hash = zc_malloc(sizeof(uint64_t) * (size_t)lambda);
    w.cand_ok = zc_malloc((size_t)lambda);
    w.check = zc_malloc(sizeof(zc_program) * (size_t)pool_cap);
    w.check_ok = zc_malloc((size_t)pool_cap);
    zc_program *off = zc_malloc(sizeof(zc_program) * (size_t)lambda);
    zc_program *pool = zc_malloc(sizeof(zc_program) * (size_t)pool_cap);
    double *pool_fit = zc_malloc(sizeof(double) * (size_t)pool_cap);
    uint64_t *pool_hash = zc_malloc(sizeof(uint64_t) * (size_t)pool_cap);
    double *batch_fit = zc_malloc(sizeof(double) * (size_t)pool_cap);
    int *order = zc_malloc(sizeof(int) * (size_t)(pool_cap + cfg->mu + 1));
    zc_program *next = zc_malloc(sizeof(zc_program) * (size_t)(cfg->mu + 1));
    double *next_fit = zc_malloc(sizeof(double) * (size_t)(cfg->mu + 1));
    uint64_t *next_hash = zc_malloc(sizeof(uint64_t) * (size_t)(cfg->mu + 1));
    zc_program *elite = zc_malloc(sizeof(zc_program) * (size_t)(cfg->elitism + 1));
    double *elite_fit = zc_malloc(sizeof(double) * (size_t)(cfg->elitism + 1));
    uint64_t *elite_hash = zc_malloc(sizeof(uint64_t) * (size_t)(cfg->elitism + 1));
    int status = -1;

    /* 1-2. offspring that pass the quick check */
    if (fill_valid(&w, 0, n_var, off, err, errlen) != 0) goto done;
    if (fill_valid(&w, 1, n_fresh, off + n_var, err, errlen) != 0) goto done;

    /* 3. one evaluation batch: [old population if needed] + offspring,
     * unknown programs only, each distinct program once */
    int old_n = s->pop_n;
    int pool_n = 0;
    for (int i = 0; i < old_n; i++) {
        pool[pool_n] = s->pop[i].prog;
        pool_hash[pool_n] = s->pop[i].hash;
        pool_fit[pool_n++] = s->pop[i].fitness;
    }
    for (int i = 0; i < lambda; i++) {
        pool[pool_n] = off[i];
        pool_hash[pool_n++] = zc_program_hash(&off[i]);
    }
    int n_batch = 0;
    zc_gp_cache batch_index = {0};
    for (int i = 0; i < pool_n; i++) {
        int is_old = i < old_n;
        if (is_old && (s->pop[i].evaluated || !need_initial)) continue;
        double f;
        if (known_fitness(&w, pool_hash[i], &f)) {
            if (!is_old) w.stats.cache_hits++;
            continue;
        }
        if (cache_find(&batch_index, pool_hash[i], NULL)) continue;
        cache_put(&batch_index, pool_hash[i], (double)n_batch);
        w.check[n_batch++] = pool[i];
    }
    cache_free(&batch_index);
    if (n_batch > 0) {
        for (int i = 0; i < n_batch; i++) batch_fit[i] = NAN;
        if (fn->evaluate(fn->ctx, w.check, n_batch, batch_fit) != 0) {
            set_err(err, errlen, "gp: fitness evaluation failed (callback error)");
            goto done;
        }
    }
    /* ---- nothing below can fail: commit ---- */
    w.stats.evaluated = n_batch;
    if (!w.use_state_cache) cache_free(&s->cache);
    for (int i = 0; i < n_batch; i++) {
        uint64_t h = zc_program_hash(&w.check[i]);
        cache_put(&w.pending, h, batch_fit[i]);
        if (!isfinite(batch_fit[i])) w.stats.evaluated_invalid++;
        hof_offer(s, &w.check[i], h, batch_fit[i]);
    }
    /* fitness of everything in the pool: evaluated old members keep theirs,
     * unevaluated initial members are NaN unless they were in the batch */
    for (int i = 0; i < pool_n; i++) {
        int is_old = i < old_n;
        if (is_old && s->pop[i].evaluated) continue; /* pool_fit already set */
        double f = NAN;
        if (!is_old || need_initial) known_fitness(&w, pool_hash[i], &f);
        pool_fit[i] = f;
    }

    /* 4. tournament selection */
    int sel_lo = cfg->selection_pool == ZC_GP_POOL_BOTH ? 0 : old_n;
    int sel_n = pool_n - sel_lo;
    int n_next = 0;
    int *chosen = order; /* reuse: mu indices */
    for (int k = 0; k < cfg->mu; k++) {
        int best = -1;
        for (int t = 0; t < cfg->tournament_size; t++) {
            int c = sel_lo + (int)zc_rng_below(&w.rng, (uint64_t)sel_n);
            if (best < 0 || fitness_better(pool_fit[c], pool_fit[best])) best = c;
        }
        chosen[k] = best;
    }
    /* 5. duplicates, then NaN members */
    for (int k = 0; k < cfg->mu; k++) {
        int c = chosen[k], dup = 0;
        for (int j = 0; j < n_next && !dup; j++) {
            if (cfg->dedup == ZC_GP_DEDUP_PROGRAM)
                dup = next_hash[j] == pool_hash[c];
            else if (cfg->dedup == ZC_GP_DEDUP_FITNESS)
                dup = next_fit[j] == pool_fit[c] || (isnan(next_fit[j]) && isnan(pool_fit[c]));
        }
        if (dup) {
            w.stats.duplicates_removed++;
            continue;
        }
        next[n_next] = pool[c];
        next_fit[n_next] = pool_fit[c];
        next_hash[n_next++] = pool_hash[c];
    }
    int n_finite = 0;
    for (int j = 0; j < n_next; j++) n_finite += isfinite(next_fit[j]) != 0;
    if (n_finite >= 2) {
        int kept = 0;
        for (int j = 0; j < n_next; j++)
            if (isfinite(next_fit[j])) {
                next[kept] = next[j];
                next_fit[kept] = next_fit[j];
                next_hash[kept++] = next_hash[j];
            }
        n_next = kept;
    }

    /* 6. elitism: best distinct programs of old population + offspring */
    if (cfg->elitism > 0) {
        int n_order = 0;
        for (int i = 0; i < pool_n; i++)
            if (isfinite(pool_fit[i])) order[n_order++] = i;
        sort_by_fitness_desc(pool_fit, order, n_order);
        int n_elite = 0;
        for (int k = 0; k < n_order && n_elite < cfg->elitism; k++) {
            int c = order[k], dup = 0;
            for (int e = 0; e < n_elite; e++) dup |= elite_hash[e] == pool_hash[c];
            if (dup) continue;
            elite[n_elite] = pool[c];
            elite_fit[n_elite] = pool_fit[c];
            elite_hash[n_elite++] = pool_hash[c];
        }
        /* survivors that are not elites, in order */
        int kept = 0;
        for (int j = 0; j < n_next; j++) {
            int is_elite = 0;
            for (int e = 0; e < n_elite; e++)
                is_elite |= elite_hash[e] == next_hash[j] ||
                            (cfg->dedup == ZC_GP_DEDUP_FITNESS && elite_fit[e] == next_fit[j]);
            if (is_elite) continue;
            next[kept] = next[j];
            next_fit[kept] = next_fit[j];
            next_hash[kept++] = next_hash[j];
        }
        /* drop the worst non-elites (latest on ties) to fit mu */
        while (kept + n_elite > cfg->mu) {
            int worst = kept - 1;
            for (int j = kept - 2; j >= 0; j--)
                if (fitness_better(next_fit[worst], next_fit[j])) worst = j;
            memmove(&next[worst], &next[worst + 1], sizeof(zc_program) * (size_t)(kept - worst - 1));
            memmove(&next_fit[worst], &next_fit[worst + 1], sizeof(double) * (size_t)(kept - worst - 1));
            memmove(&next_hash[worst], &next_hash[worst + 1], sizeof(uint64_t) * (size_t)(kept - worst - 1));
            kept--;
        }
        memmove(&next[n_elite], &next[0], sizeof(zc_program) * (size_t)kept);
        memmove(&next_fit[n_elite], &next_fit[0], sizeof(double) * (size_t)kept);
        memmove(&next_hash[n_elite], &next_hash[0], sizeof(uint64_t) * (size_t)kept);
        for (int e = 0; e < n_elite; e++) {
            next[e] = elite[e];
            next_fit[e] = elite_fit[e];
            next_hash[e] = elite_hash[e];
        }
        n_next = kept + n_elite;
    }

    /* commit */
    for (int slot = 0; slot < w.pending.capacity; slot++)
        if (w.pending.used[slot]) cache_put(&s->cache, w.pending.keys[slot], w.pending.values[slot]);
    s->rng = w.rng;
    s->pop_n = n_next;
    double sum = 0;
    int n_fin = 0;
    w.stats.best = NAN;
    for (int j = 0; j < n_next; j++) {
        s->pop[j].prog = next[j];
        s->pop[j].fitness = next_fit[j];
        s->pop[j].hash = next_hash[j];
        s->pop[j].evaluated = 1;
        if (isfinite(next_fit[j])) {
            sum += next_fit[j];
            n_fin++;
            if (fitness_better(next_fit[j], w.stats.best)) w.stats.best = next_fit[j];
        }
    }
    s->generation++;
    s->evaluations += n_batch;
    s->validations += w.stats.validated;
    w.stats.population = n_next;
    w.stats.mean = n_fin ? sum / n_fin : NAN;
    w.stats.best_ever = s->hof_n ? s->hof[0].fitness : NAN;
    w.stats.valid_fraction = w.stats.candidates ? (double)w.stats.valid / w.stats.candidates : NAN;
    if (stats_out) *stats_out = w.stats;
    status = 0;

done:
    cache_free(&w.pending);
    free(w.cand);
    free(w.cand_hash);
    free(w.cand_ok);
    free(w.check);
    free(w.check_ok);
    free(off);
    free(pool);
    free(pool_fit);
    free(pool_hash);
    free(batch_fit);
    free(order);
    free(next);
    free(next_fit);
    free(next_hash);
    free(elite);
    free(elite_fit);
    free(elite_hash);
    return status;
}

int zc_gp_run(zc_gp_state *s, const zc_fitness_fn *fn,
              void (*report)(void *report_ctx, const zc_gp_stats *stats), void *report_ctx,
              char *err, size_t errlen) {
    while (s->generation < s->config.generations) {
        zc_gp_stats st;
        if (zc_gp_generation(s, fn, &st, err, errlen) != 0) return -1;
        if (report) report(report_ctx, &st);
    }
    return 0;
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

/* ---- checkpoints ------------------------------------------------------------- */

static const char state_magic[8] = {'Z', 'C', 'G', 'P', 'S', 'T', '0', '1'};

/* Writer: counts when buf is NULL. */
typedef struct {
    unsigned char *buf;
    size_t size, pos;
} writer;

static void put(writer *wr, const void *data, size_t n) {
    if (wr->buf && wr->pos + n <= wr->size) memcpy(wr->buf + wr->pos, data, n);
    wr->pos += n;
}

static void put_program(writer *wr, const zc_program *p) {
    put(wr, &p->len, sizeof(p->len));
    put(wr, p->code, p->len);
}

typedef struct {
    uint64_t key;
    double value;
} cache_entry;

static int compare_cache_entry(const void *a, const void *b) {
    uint64_t ka = ((const cache_entry *)a)->key, kb = ((const cache_entry *)b)->key;
    return (ka > kb) - (ka < kb);
}

static void state_write(const zc_gp_state *s, writer *wr) {
    char cfg_text[4096];
    size_t cfg_len = config_format(&s->config, cfg_text, sizeof(cfg_text));
    uint32_t cfg_len32 = (uint32_t)ZC_MIN(cfg_len, sizeof(cfg_text) - 1);
    put(wr, state_magic, sizeof(state_magic));
    put(wr, &cfg_len32, sizeof(cfg_len32));
    put(wr, cfg_text, cfg_len32);
    put(wr, s->rng.s, sizeof(s->rng.s));
    int32_t generation = s->generation, pop_n = s->pop_n, hof_n = s->hof_n,
            cache_n = s->cache.count;
    int64_t counters[3] = {s->evaluations, s->validations, s->hof_sequence};
    put(wr, &generation, sizeof(generation));
    put(wr, counters, sizeof(counters));
    put(wr, &pop_n, sizeof(pop_n));
    for (int i = 0; i < s->pop_n; i++) {
        put_program(wr, &s->pop[i].prog);
        put(wr, &s->pop[i].fitness, sizeof(double));
        put(wr, &s->pop[i].evaluated, 1);
    }
    put(wr, &hof_n, sizeof(hof_n));
    for (int i = 0; i < s->hof_n; i++) {
        int64_t seq = s->hof[i].seq;
        put_program(wr, &s->hof[i].prog);
        put(wr, &s->hof[i].fitness, sizeof(double));
        put(wr, &seq, sizeof(seq));
    }
    /* cache entries sorted by key: the bytes do not depend on the table's
     * slot layout, so save(load(save(x))) == save(x) */
    put(wr, &cache_n, sizeof(cache_n));
    cache_entry *entries = zc_malloc(sizeof(cache_entry) * (size_t)(cache_n + 1));
    int n = 0;
    for (int slot = 0; slot < s->cache.capacity; slot++)
        if (s->cache.used[slot]) {
            entries[n].key = s->cache.keys[slot];
            entries[n++].value = s->cache.values[slot];
        }
    qsort(entries, (size_t)n, sizeof(cache_entry), compare_cache_entry);
    for (int i = 0; i < n; i++) {
        put(wr, &entries[i].key, sizeof(uint64_t));
        put(wr, &entries[i].value, sizeof(double));
    }
    free(entries);
}

size_t zc_gp_state_bytes(const zc_gp_state *s) {
    writer wr = {NULL, 0, 0};
    state_write(s, &wr);
    return wr.pos;
}

size_t zc_gp_state_save(const zc_gp_state *s, void *buf, size_t size) {
    size_t need = zc_gp_state_bytes(s);
    if (size < need) return 0;
    writer wr = {buf, size, 0};
    state_write(s, &wr);
    return wr.pos;
}

typedef struct {
    const unsigned char *buf;
    size_t size, pos;
    int failed;
} reader;

static void get(reader *rd, void *out, size_t n) {
    if (rd->failed || rd->pos + n > rd->size) {
        rd->failed = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, rd->buf + rd->pos, n);
    rd->pos += n;
}

static int get_program(reader *rd, zc_program *p) {
    uint16_t len;
    get(rd, &len, sizeof(len));
    if (rd->failed || len < 1 || len > ZC_PROG_MAX_LEN) return -1;
    memset(p, 0, sizeof(*p));
    p->len = len;
    get(rd, p->code, len);
    return rd->failed || !zc_program_valid(p) ? -1 : 0;
}

int zc_gp_state_load(zc_gp_state *s, const void *buf, size_t size, char *err, size_t errlen) {
    memset(s, 0, sizeof(*s));
    reader rd = {buf, size, 0, 0};
    char magic[8];
    get(&rd, magic, sizeof(magic));
    if (rd.failed || memcmp(magic, state_magic, sizeof(magic)) != 0) {
        set_err(err, errlen, "gp state: not a zcevo GP state (bad magic)");
        return -1;
    }
    uint32_t cfg_len;
    get(&rd, &cfg_len, sizeof(cfg_len));
    if (rd.failed || cfg_len >= 4096) {
        set_err(err, errlen, "gp state: truncated or bad config block");
        return -1;
    }
    char cfg_text[4096];
    get(&rd, cfg_text, cfg_len);
    cfg_text[rd.failed ? 0 : cfg_len] = '\0';
    zc_gp_config cfg = zc_gp_config_default();
    char *save = NULL;
    for (char *line = strtok_r(cfg_text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) {
            set_err(err, errlen, "gp state: bad config line '%s'", line);
            return -1;
        }
        *eq = '\0';
        if (zc_gp_config_set(&cfg, line, eq + 1, err, errlen) != 0) return -1;
    }
    if (zc_gp_config_check(&cfg, err, errlen) != 0) return -1;
    s->config = cfg;
    state_alloc(s);
    get(&rd, s->rng.s, sizeof(s->rng.s));
    int32_t generation, pop_n, hof_n, cache_n;
    int64_t counters[3];
    get(&rd, &generation, sizeof(generation));
    get(&rd, counters, sizeof(counters));
    get(&rd, &pop_n, sizeof(pop_n));
    if (rd.failed || pop_n < 1 || pop_n > s->pop_capacity) goto bad;
    s->generation = generation;
    s->evaluations = counters[0];
    s->validations = counters[1];
    s->hof_sequence = counters[2];
    s->pop_n = pop_n;
    for (int i = 0; i < pop_n; i++) {
        if (get_program(&rd, &s->pop[i].prog) != 0) goto bad;
        get(&rd, &s->pop[i].fitness, sizeof(double));
        get(&rd, &s->pop[i].evaluated, 1);
        s->pop[i].hash = zc_program_hash(&s->pop[i].prog);
    }
    get(&rd, &hof_n, sizeof(hof_n));
    if (rd.failed || hof_n < 0 || hof_n > s->config.hall_of_fame_size) goto bad;
    s->hof_n = hof_n;
    for (int i = 0; i < hof_n; i++) {
        int64_t seq;
        if (get_program(&rd, &s->hof[i].prog) != 0) goto bad;
        get(&rd, &s->hof[i].fitness, sizeof(double));
        get(&rd, &seq, sizeof(seq));
        s->hof[i].seq = seq;
    }
    get(&rd, &cache_n, sizeof(cache_n));
    if (rd.failed || cache_n < 0) goto bad;
    for (int i = 0; i < cache_n; i++) {
        uint64_t key;
        double value;
        get(&rd, &key, sizeof(key));
        get(&rd, &value, sizeof(value));
        if (rd.failed) goto bad;
        cache_put(&s->cache, key, value);
    }
    if (rd.failed || rd.pos != size) goto bad;
    return 0;
bad:
    set_err(err, errlen, "gp state: truncated or inconsistent at byte %zu of %zu", rd.pos, size);
    zc_gp_free(s);
    return -1;
}
