/* gp_tree.c: the trees of the GP engine: the primitive set, DEAP
 * genHalfAndHalf, and the varOr operators (cxOnePoint, mutUniform, gplearn's
 * hoist and point mutation, reproduction) with the staticLimit rule and the
 * parent draws (uniform or tournament; see gp.h). Every random draw comes
 * from the rng passed in, in DEAP's order. */
#include <math.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/gp_internal.h"

/* ---- the primitive set ------------------------------------------------------- */

zc_gp_primitives zc_gp_primitives_from_config(const zc_gp_config *cfg) {
    zc_gp_primitives ps;
    memset(&ps, 0, sizeof(ps));
    for (int code = ZC_OP_BASE; code < ZC_OP_END; code++) {
        int in_set = (cfg->functions >> (code - ZC_OP_BASE)) & 1;
        if (code == ZC_OP_ADD_NOISE) in_set |= cfg->use_add_noise != 0;
        if (in_set) ps.ops[ps.n_ops++] = code;
    }
    int n_terms = zc_gp_config_n_terms(cfg);
    for (int t = 0; t < n_terms; t++)
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

/* gplearn's hoist mutation: a uniform node's subtree replaced by the
 * subtree of a uniform node inside it (never higher than a). */
static void hoist(zc_rng *rng, const zc_program *a, zc_program *out) {
    int end = (int)zc_rng_below(rng, (uint64_t)a->len);
    int start = zc_program_subtree_start(a, end);
    int inner_end = start + (int)zc_rng_below(rng, (uint64_t)(end - start + 1));
    int inner_start = zc_program_subtree_start(a, inner_end);
    splice(a, start, end, a->code, inner_start, inner_end, ZC_PROG_MAX_LEN, out);
}

/* a uniform pick among ps's operations of the given arity, or -1 */
static int random_op_of_arity(const zc_gp_primitives *ps, zc_rng *rng, int arity) {
    int n = 0;
    for (int i = 0; i < ps->n_ops; i++) n += zc_op_arity(ps->ops[i]) == arity;
    if (n == 0) return -1;
    int k = (int)zc_rng_below(rng, (uint64_t)n);
    for (int i = 0; i < ps->n_ops; i++)
        if (zc_op_arity(ps->ops[i]) == arity && k-- == 0) return ps->ops[i];
    return -1;
}

/* gplearn's point mutation: each node, with probability point_replace_prob,
 * replaced by a uniform pick of the same arity (a terminal by a terminal);
 * the shape of the tree is kept. */
static void point(const zc_gp_config *cfg, const zc_gp_primitives *ps, zc_rng *rng,
                  const zc_program *a, zc_program *out) {
    *out = *a;
    for (int i = 0; i < out->len; i++) {
        if (!(zc_rng_uniform(rng) < cfg->point_replace_prob)) continue;
        int arity = zc_op_arity(out->code[i]);
        int code = arity ? random_op_of_arity(ps, rng, arity)
                         : ps->terms[zc_rng_below(rng, (uint64_t)ps->n_terms)];
        if (code >= 0) out->code[i] = (uint8_t)code;
    }
}

/* a member index: uniform (parent_tournament 0), else the best of
 * parent_tournament uniform draws (NaN fitness worst, first best on ties);
 * `skip` >= 0 is left out (the other parent of a crossover) */
static int draw_parent(const zc_gp_config *cfg, zc_rng *rng, const zc_gp_individual *pop, int n,
                       int skip) {
    int m = skip >= 0 ? n - 1 : n, best = -1;
    int draws = cfg->parent_tournament > 0 ? cfg->parent_tournament : 1;
    for (int d = 0; d < draws; d++) {
        int i = (int)zc_rng_below(rng, (uint64_t)m);
        if (skip >= 0 && i >= skip) i++;
        double fi = pop[i].fitness;
        if (best < 0 || (!isnan(fi) && (isnan(pop[best].fitness) || fi > pop[best].fitness)))
            best = i;
    }
    return best;
}

void zc_gp_var_or_one(const zc_gp_config *cfg, const zc_gp_primitives *ps, zc_rng *rng,
                      const zc_gp_individual *pop, int n, zc_program *out) {
    double choice = zc_rng_uniform(rng);
    double p_mut = cfg->crossover_prob + cfg->mutation_prob;
    double p_hoist = p_mut + cfg->hoist_prob, p_point = p_hoist + cfg->point_prob;
    if (choice < cfg->crossover_prob && n >= 2) {
        int i = draw_parent(cfg, rng, pop, n, -1);
        int j = draw_parent(cfg, rng, pop, n, i);
        crossover(cfg, rng, &pop[i].prog, &pop[j].prog, out);
    } else if (choice < p_mut) {
        mutate(cfg, ps, rng, &pop[draw_parent(cfg, rng, pop, n, -1)].prog, out);
    } else if (choice < p_hoist) {
        hoist(rng, &pop[draw_parent(cfg, rng, pop, n, -1)].prog, out);
    } else if (choice < p_point) {
        point(cfg, ps, rng, &pop[draw_parent(cfg, rng, pop, n, -1)].prog, out);
    } else {
        *out = pop[draw_parent(cfg, rng, pop, n, -1)].prog;
    }
}
