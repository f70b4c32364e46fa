/* gp_tree.c: the trees of the GP engine: the primitive set, DEAP
 * genHalfAndHalf, and the varOr operators (cxOnePoint, mutUniform,
 * reproduction) with the staticLimit rule (see gp.h). Every random draw
 * comes from the rng passed in, in DEAP's order. */
#include <string.h>

#include "common/util/util.h"
#include "master/gp/gp_internal.h"

/* ---- the primitive set ------------------------------------------------------- */

zc_gp_primitives zc_gp_primitives_from_config(const zc_gp_config *cfg) {
    zc_gp_primitives ps;
    memset(&ps, 0, sizeof(ps));
    for (int code = ZC_OP_BASE; code < ZC_OP_END; code++) {
        if (code == ZC_OP_ADD_NOISE && !cfg->use_add_noise) continue;
        ps.ops[ps.n_ops++] = code;
    }
    for (int t = 0; t < ZC_NUM_TERMINALS; t++)
        if (cfg->terminals & (1u << t)) ps.terms[ps.n_terms++] = t;
    ps.terminal_ratio = (double)ps.n_terms / (double)(ps.n_terms + ps.n_ops);
    return ps;
}

/* ---- generation ----------------------------------------------------------------- */

/* DEAP generate(): node decision first, then the arguments left to right, so
 * random draws happen in prefix order; nodes are emitted in postfix into
 * buf (cap nodes). Returns -1 when the tree does not fit. */
static int gen_node(const zc_gp_primitives *ps, zc_rng *rng, int grow, int min_depth,
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

/* genHalfAndHalf with at most cap nodes: 0, or -1 when the tree does not fit. */
static int gen_half_and_half(const zc_gp_primitives *ps, zc_rng *rng, int min_depth,
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
    zc_gp_primitives ps = zc_gp_primitives_from_config(cfg);
    int cap = ZC_MIN(cfg->max_len, ZC_PROG_MAX_LEN);
    return gen_half_and_half(&ps, rng, min_depth, max_depth, cap, out);
}

void zc_gp_gen_fresh(const zc_gp_config *cfg, const zc_gp_primitives *ps, zc_rng *rng,
                     zc_program *out) {
    int cap = ZC_MIN(cfg->max_len, ZC_PROG_MAX_LEN);
    for (;;) {
        if (gen_half_and_half(ps, rng, cfg->init_min_depth, cfg->init_max_depth, cap, out) == 0 &&
            zc_program_height(out) <= cfg->max_height)
            return;
    }
}

/* ---- variation ---------------------------------------------------------------------- */

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
static void mutate(const zc_gp_config *cfg, const zc_gp_primitives *ps, zc_rng *rng,
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

void zc_gp_var_or_one(const zc_gp_config *cfg, const zc_gp_primitives *ps, zc_rng *rng,
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
