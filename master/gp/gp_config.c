/* gp_config.c: the GP engine's options (zc_gp_config): the defaults, the
 * primitive sets by name, the range check, and the key=value text that
 * config files, the command line and saved states use (write, format,
 * set). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/gp_internal.h"

uint64_t zc_gp_functions_eznas(void) {
    uint64_t m = 0;
    for (int op = ZC_OP_BASE; op < ZC_OP_END; op++)
        if (zc_op_is_eznas(op) && !zc_op_is_optional(op)) m |= 1ull << (op - ZC_OP_BASE);
    return m;
}

uint64_t zc_gp_functions_sr(void) {
    uint64_t m = 0;
    for (int op = ZC_OP_BASE; op < ZC_OP_END; op++)
        if (zc_op_is_sr(op)) m |= 1ull << (op - ZC_OP_BASE);
    return m;
}

const zc_term_names *zc_gp_config_term_names(const zc_gp_config *cfg) {
    return cfg->terminal_kind == ZC_GP_TERMS_NETWORK ? &cfg->network_terminals : NULL;
}

int zc_gp_config_n_terms(const zc_gp_config *cfg) {
    return cfg->terminal_kind == ZC_GP_TERMS_NETWORK ? cfg->network_terminals.n
                                                     : ZC_NUM_TERMINALS;
}

/* all_terms: the mask of every terminal code of cfg's kind */
static zc_terminal_mask all_terms(const zc_gp_config *cfg) {
    int n = zc_gp_config_n_terms(cfg);
    return n >= 32 ? 0xffffffffu : (zc_terminal_mask)((1u << n) - 1);
}

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
    c.functions = zc_gp_functions_eznas();
    c.terminal_kind = ZC_GP_TERMS_LAYER;
    c.hoist_prob = 0.0;
    c.point_prob = 0.0;
    c.point_replace_prob = 0.05;
    c.parent_tournament = 0;
    return c;
}

int zc_gp_config_check(const zc_gp_config *c, char *err, size_t errlen) {
#define REQUIRE(cond, ...)                                                       \
    do {                                                                         \
        if (!(cond)) return zc_fail(err, errlen, __VA_ARGS__);                   \
    } while (0)
    REQUIRE(c->population_size >= 1, "gp: population_size=%d must be >= 1", c->population_size);
    REQUIRE(c->mu >= 1, "gp: mu=%d must be >= 1", c->mu);
    REQUIRE(c->lambda >= 1, "gp: lambda=%d must be >= 1", c->lambda);
    REQUIRE(c->crossover_prob >= 0 && c->mutation_prob >= 0 && c->hoist_prob >= 0 &&
                c->point_prob >= 0 &&
                c->crossover_prob + c->mutation_prob + c->hoist_prob + c->point_prob <= 1.0,
            "gp: crossover_prob=%g, mutation_prob=%g, hoist_prob=%g and point_prob=%g must be "
            ">= 0 with sum <= 1",
            c->crossover_prob, c->mutation_prob, c->hoist_prob, c->point_prob);
    REQUIRE(c->point_replace_prob >= 0 && c->point_replace_prob <= 1,
            "gp: point_replace_prob=%g must be in [0, 1]", c->point_replace_prob);
    REQUIRE(c->parent_tournament >= 0, "gp: parent_tournament=%d must be >= 0 (0: uniform)",
            c->parent_tournament);
    REQUIRE(c->functions != 0 && (c->functions >> ZC_NUM_OPS) == 0,
            "gp: function_set must name at least one of the %d primitives", ZC_NUM_OPS);
    REQUIRE(c->terminal_kind == ZC_GP_TERMS_LAYER ||
                (c->terminal_kind == ZC_GP_TERMS_NETWORK && c->network_terminals.n >= 1),
            "gp: terminal_kind=network needs network_terminals (the value names)");
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
    REQUIRE((c->terminals & all_terms(c)) != 0 && (c->terminals & ~all_terms(c)) == 0,
            "gp: terminals mask 0x%x must name at least one of the %d terminals",
            (unsigned)c->terminals, zc_gp_config_n_terms(c));
    REQUIRE(c->dedup >= ZC_GP_DEDUP_NONE && c->dedup <= ZC_GP_DEDUP_FITNESS, "gp: dedup=%d unknown",
            (int)c->dedup);
    REQUIRE(c->selection_pool == ZC_GP_POOL_OFFSPRING || c->selection_pool == ZC_GP_POOL_BOTH,
            "gp: selection_pool=%d unknown", (int)c->selection_pool);
    REQUIRE(c->hall_of_fame_size >= 0, "gp: hall_of_fame_size=%d must be >= 0", c->hall_of_fame_size);
    REQUIRE(c->max_redraw_rounds >= 1, "gp: max_redraw_rounds=%d must be >= 1", c->max_redraw_rounds);
#undef REQUIRE
    return 0;
}

static const char *const dedup_names[] = {"none", "program", "fitness"};
static const char *const pool_names[] = {"offspring", "both"};

/* format_terminals: the terminals option's value into buf ("all" or the
 * names of the codes in the mask) */
static void format_terminals(const zc_gp_config *c, char *buf, size_t size) {
    if ((c->terminals & all_terms(c)) == all_terms(c)) {
        snprintf(buf, size, "all");
        return;
    }
    const zc_term_names *names = zc_gp_config_term_names(c);
    size_t t = 0;
    buf[0] = '\0';
    for (int i = 0; i < zc_gp_config_n_terms(c) && t < size; i++)
        if (c->terminals & (1u << i))
            t += (size_t)snprintf(buf + t, size - t, "%s%s", t ? "," : "",
                                  names ? names->name[i] : zc_terminal_name(i));
}

/* format_functions: "eznas", "sr" or the primitives' names into buf */
static void format_functions(uint64_t functions, char *buf, size_t size) {
    if (functions == zc_gp_functions_eznas()) {
        snprintf(buf, size, "eznas");
        return;
    }
    if (functions == zc_gp_functions_sr()) {
        snprintf(buf, size, "sr");
        return;
    }
    size_t t = 0;
    buf[0] = '\0';
    for (int op = ZC_OP_BASE; op < ZC_OP_END && t < size; op++)
        if (functions >> (op - ZC_OP_BASE) & 1)
            t += (size_t)snprintf(buf + t, size - t, "%s%s", t ? "," : "", zc_op_name(op));
}

/* format_sr_options: the options added for SR-NAS that differ from their
 * defaults, as key=value lines into buf (snprintf semantics) */
static int format_sr_options(const zc_gp_config *c, char *buf, size_t size) {
    zc_gp_config d = zc_gp_config_default();
    char fs[ZC_NUM_OPS * 16];
    int n = 0, k;
#define OUT(...)                                                                \
    do {                                                                        \
        k = snprintf(buf + ZC_MIN((size_t)n, size), (size_t)n < size ? size - (size_t)n : 0, \
                     __VA_ARGS__);                                              \
        if (k < 0) return -1;                                                   \
        n += k;                                                                 \
    } while (0)
    format_functions(c->functions, fs, sizeof fs);
    if (c->functions != d.functions) OUT("function_set=%s\n", fs);
    if (c->hoist_prob != d.hoist_prob) OUT("hoist_prob=%.17g\n", c->hoist_prob);
    if (c->point_prob != d.point_prob) OUT("point_prob=%.17g\n", c->point_prob);
    if (c->point_replace_prob != d.point_replace_prob)
        OUT("point_replace_prob=%.17g\n", c->point_replace_prob);
    if (c->parent_tournament != d.parent_tournament)
        OUT("parent_tournament=%d\n", c->parent_tournament);
#undef OUT
    return n;
}

size_t zc_gp_config_format(const zc_gp_config *c, char *buf, size_t size) {
    char terms[ZC_OP_BASE * (ZC_TERM_NAME_LEN + 1) + 8], kind[ZC_OP_BASE * (ZC_TERM_NAME_LEN + 1) + 64];
    format_terminals(c, terms, sizeof terms);
    kind[0] = '\0';
    if (c->terminal_kind == ZC_GP_TERMS_NETWORK) { /* first: terminals= reads the names */
        char names[ZC_OP_BASE * (ZC_TERM_NAME_LEN + 1) + 8];
        zc_term_names_join(&c->network_terminals, names, sizeof names);
        snprintf(kind, sizeof kind, "terminal_kind=network\nnetwork_terminals=%s\n", names);
    }
    int dedup = c->dedup >= 0 && c->dedup <= 2 ? (int)c->dedup : 1;
    int pool = c->selection_pool == ZC_GP_POOL_BOTH ? 1 : 0;
    int n = snprintf(buf, size,
                     "%spopulation_size=%d\nmu=%d\nlambda=%d\ncrossover_prob=%.17g\n"
                     "mutation_prob=%.17g\ninit_min_depth=%d\ninit_max_depth=%d\n"
                     "mut_min_depth=%d\nmut_max_depth=%d\nmax_height=%d\nmax_len=%d\n"
                     "tournament_size=%d\nelitism=%d\nfresh_fraction=%.17g\ngenerations=%d\n"
                     "use_add_noise=%d\nterminals=%s\ndedup=%s\nselection_pool=%s\n"
                     "evaluate_initial=%d\nhall_of_fame_size=%d\nmax_redraw_rounds=%d\n"
                     "cache_fitness=%d\n",
                     kind, c->population_size, c->mu, c->lambda, c->crossover_prob,
                     c->mutation_prob, c->init_min_depth, c->init_max_depth, c->mut_min_depth,
                     c->mut_max_depth, c->max_height, c->max_len, c->tournament_size, c->elitism,
                     c->fresh_fraction, c->generations, c->use_add_noise, terms,
                     dedup_names[dedup], pool_names[pool], c->evaluate_initial,
                     c->hall_of_fame_size, c->max_redraw_rounds, c->cache_fitness);
    if (n < 0) return 0;
    int m = format_sr_options(c, buf + ZC_MIN((size_t)n, size), (size_t)n < size ? size - (size_t)n : 0);
    return m < 0 ? 0 : (size_t)n + (size_t)m;
}

int zc_gp_config_write(const zc_gp_config *cfg, FILE *f) {
    char buf[8192];
    size_t n = zc_gp_config_format(cfg, buf, sizeof(buf));
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

/* Numeric options: 0 when key is one and value parses (the field is set),
 * -1 with err when value is malformed, 1 when key is not numeric. */
static int set_number(zc_gp_config *c, const char *key, const char *value, char *err,
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
        {"parent_tournament", &c->parent_tournament},
    };
    struct {
        const char *key;
        double *target;
    } doubles[] = {
        {"crossover_prob", &c->crossover_prob},
        {"mutation_prob", &c->mutation_prob},
        {"fresh_fraction", &c->fresh_fraction},
        {"hoist_prob", &c->hoist_prob},
        {"point_prob", &c->point_prob},
        {"point_replace_prob", &c->point_replace_prob},
    };
    for (size_t i = 0; i < ZC_ARRAY_LEN(ints); i++)
        if (strcmp(key, ints[i].key) == 0) {
            if (parse_int(value, ints[i].target) == 0) return 0;
            return zc_fail(err, errlen, "gp: %s='%s' is not an integer", key, value);
        }
    for (size_t i = 0; i < ZC_ARRAY_LEN(doubles); i++)
        if (strcmp(key, doubles[i].key) == 0) {
            if (parse_double(value, doubles[i].target) == 0) return 0;
            return zc_fail(err, errlen, "gp: %s='%s' is not a number", key, value);
        }
    return 1;
}

/* Index of value in names[0..n), or -1. */
static int name_index(const char *value, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (strcmp(value, names[i]) == 0) return i;
    return -1;
}

/* set_terminals: the terminals option: "all" or names of cfg's kind */
static int set_terminals(zc_gp_config *c, const char *value, char *err, size_t errlen) {
    if (c->terminal_kind == ZC_GP_TERMS_LAYER) {
        char bad[64] = "";
        zc_terminal_mask mask;
        if (zc_terminal_parse_list(value, &mask, bad) != 0)
            return zc_fail(err, errlen, "gp: terminals: unknown terminal '%s'", bad);
        c->terminals = mask;
        return 0;
    }
    if (strcmp(value, "all") == 0) {
        c->terminals = all_terms(c);
        return 0;
    }
    zc_term_names list;
    if (zc_term_names_parse(value, &list, err, errlen) != 0) return -1;
    zc_terminal_mask mask = 0;
    for (int i = 0; i < list.n; i++) {
        int code = zc_term_names_lookup(&c->network_terminals, list.name[i]);
        if (code < 0)
            return zc_fail(err, errlen, "gp: terminals: '%s' is not one of the network values",
                           list.name[i]);
        mask |= 1u << code;
    }
    c->terminals = mask;
    return 0;
}

/* set_functions: function_set = eznas | sr | primitive names */
static int set_functions(zc_gp_config *c, const char *value, char *err, size_t errlen) {
    if (strcmp(value, "eznas") == 0) c->functions = zc_gp_functions_eznas();
    else if (strcmp(value, "sr") == 0) c->functions = zc_gp_functions_sr();
    else {
        uint64_t m = 0;
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", value);
        char *save = NULL;
        for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            int op = zc_op_lookup(name);
            if (op < 0)
                return zc_fail(err, errlen, "gp: function_set: unknown primitive '%s'", name);
            m |= 1ull << (op - ZC_OP_BASE);
        }
        c->functions = m;
    }
    return 0;
}

/* Options given by name (terminals, dedup, selection_pool, function_set,
 * terminal_kind, network_terminals): the returns of set_number. */
static int set_named(zc_gp_config *c, const char *key, const char *value, char *err,
                     size_t errlen) {
    if (strcmp(key, "terminals") == 0) return set_terminals(c, value, err, errlen);
    if (strcmp(key, "function_set") == 0) return set_functions(c, value, err, errlen);
    if (strcmp(key, "terminal_kind") == 0) {
        if (strcmp(value, "layer") == 0) c->terminal_kind = ZC_GP_TERMS_LAYER;
        else if (strcmp(value, "network") == 0) c->terminal_kind = ZC_GP_TERMS_NETWORK;
        else return zc_fail(err, errlen, "gp: terminal_kind='%s' must be layer or network", value);
        c->terminals = all_terms(c);
        return 0;
    }
    if (strcmp(key, "network_terminals") == 0) {
        zc_term_names names;
        if (zc_term_names_parse(value, &names, err, errlen) != 0) return -1;
        c->network_terminals = names;
        c->terminals = all_terms(c);
        return 0;
    }
    if (strcmp(key, "dedup") == 0) {
        int i = name_index(value, dedup_names, (int)ZC_ARRAY_LEN(dedup_names));
        if (i < 0)
            return zc_fail(err, errlen, "gp: dedup='%s' must be none, program or fitness", value);
        c->dedup = (zc_gp_dedup)i;
        return 0;
    }
    if (strcmp(key, "selection_pool") == 0) {
        int i = name_index(value, pool_names, (int)ZC_ARRAY_LEN(pool_names));
        if (i < 0)
            return zc_fail(err, errlen, "gp: selection_pool='%s' must be offspring or both", value);
        c->selection_pool = (zc_gp_pool)i;
        return 0;
    }
    return 1;
}

int zc_gp_config_set(zc_gp_config *c, const char *key, const char *value, char *err,
                     size_t errlen) {
    int rc = set_number(c, key, value, err, errlen);
    if (rc == 1) rc = set_named(c, key, value, err, errlen);
    if (rc == 1) rc = zc_fail(err, errlen, "gp: unknown option '%s'", key);
    return rc;
}
