/* test_srnas.c: SR-NAS on the GP engine (docs/sr_nas.md):
 *  - the variation operators (crossover, subtree, hoist and point mutation,
 *    parent tournaments) keep the depth limit, the primitive set and the
 *    terminal kind; hoist gives a subtree substitution of a parent, point
 *    mutation keeps the parent's shape; tournament parents are better than
 *    uniform ones by the closed-form amount;
 *  - whole generations of the SR preset keep every member within limits;
 *  - the config text and the saved state round-trip with the network kind
 *    (codes above the 22 layer terminals) and the SR options, and the
 *    default config text has none of the new keys;
 *  - the scalar evaluator agrees with the float32 tensor primitives on 0-d
 *    values (every primitive defined on scalars) and random programs;
 *  - on a proxies file (argument 1: tests/srnas_fixture.py's task_a.h5), an
 *    SR formula's scores equal the same formula computed by hand, bit for
 *    bit, and the fitness (omit / reject invalid) equals tau by hand.
 * Usage: test_srnas TASK_A.h5 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/evaluator.h"
#include "common/program/primitives.h"
#include "common/program/program.h"
#include "common/program/scalar_eval.h"
#include "common/stats/proxies_h5.h"
#include "common/util/correlation.h"
#include "common/util/rng.h"
#include "common/util/util.h"
#include "master/gp/fitness.h"
#include "master/gp/gp.h"
#include "master/gp/gp_internal.h"
#include "tests/test_util.h"

#define N_NAMES 30 /* codes up to 29: above the 22 layer terminals */

/* the SR-NAS preset's GP settings (cmd_evolve.c) over N_NAMES values */
static zc_gp_config sr_config(void) {
    zc_gp_config c = zc_gp_config_default();
    char err[256], names[1024] = "";
    for (int i = 0; i < N_NAMES; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%sv%d", i ? "," : "", i);
    const char *kv[][2] = {
        {"terminal_kind", "network"}, {"network_terminals", names}, {"population_size", "100"},
        {"mu", "100"}, {"lambda", "100"}, {"selection_pool", "both"}, {"tournament_size", "2"},
        {"parent_tournament", "2"}, {"crossover_prob", "0.7"}, {"mutation_prob", "0.1"},
        {"hoist_prob", "0.05"}, {"point_prob", "0.1"}, {"init_min_depth", "2"},
        {"init_max_depth", "5"}, {"mut_min_depth", "0"}, {"mut_max_depth", "2"},
        {"max_height", "6"}, {"function_set", "sr"}};
    for (size_t i = 0; i < ZC_ARRAY_LEN(kv); i++)
        CHECK_MSG(zc_gp_config_set(&c, kv[i][0], kv[i][1], err, sizeof err) == 0, "%s", err);
    CHECK_MSG(zc_gp_config_check(&c, err, sizeof err) == 0, "%s", err);
    return c;
}

/* every node of p is an SR primitive or a code below N_NAMES */
static int in_sr_set(const zc_program *p) {
    for (int i = 0; i < p->len; i++) {
        int c = p->code[i];
        if (c < ZC_OP_BASE ? c >= N_NAMES : !zc_op_is_sr(c)) return 0;
    }
    return 1;
}

/* a fitness for the tests: rewards programs reading many distinct values */
static double toy_fitness(const zc_program *p) {
    uint64_t h = zc_program_hash(p);
    return 0.1 * __builtin_popcount(zc_program_terminals(p)) - 0.003 * p->len +
           (double)(h % 1000) * 1e-6;
}

static int toy_evaluate(void *ctx, const zc_program *progs, int n, double *fitness) {
    (void)ctx;
    for (int i = 0; i < n; i++) fitness[i] = toy_fitness(&progs[i]);
    return 0;
}

/* whether q is p with one subtree replaced by one of that subtree's own
 * subtrees (gplearn's hoist) */
static int is_hoist_of(const zc_program *q, const zc_program *p) {
    for (int end = 0; end < p->len; end++) {
        int start = zc_program_subtree_start(p, end);
        for (int inner = start; inner <= end; inner++) {
            int istart = zc_program_subtree_start(p, inner);
            int len = start + (inner - istart + 1) + (p->len - 1 - end);
            if (len != q->len) continue;
            if (memcmp(q->code, p->code, (size_t)start) == 0 &&
                memcmp(q->code + start, p->code + istart, (size_t)(inner - istart + 1)) == 0 &&
                memcmp(q->code + start + inner - istart + 1, p->code + end + 1,
                       (size_t)(p->len - 1 - end)) == 0)
                return 1;
        }
    }
    return 0;
}

/* whether q has p's shape (the same arity at every node) */
static int same_shape(const zc_program *q, const zc_program *p) {
    if (q->len != p->len) return 0;
    for (int i = 0; i < p->len; i++)
        if (zc_op_arity(q->code[i]) != zc_op_arity(p->code[i])) return 0;
    return 1;
}

/* one operator alone (prob 1) on an evaluated SR population: limits kept,
 * and the operator's own property */
static void test_operator(const char *which) {
    char err[256];
    zc_gp_config c = sr_config();
    c.crossover_prob = c.mutation_prob = c.hoist_prob = c.point_prob = 0;
    if (strcmp(which, "crossover") == 0) c.crossover_prob = 1;
    if (strcmp(which, "subtree") == 0) c.mutation_prob = 1;
    if (strcmp(which, "hoist") == 0) c.hoist_prob = 1;
    if (strcmp(which, "point") == 0) c.point_prob = 1, c.point_replace_prob = 0.3;
    zc_gp_state s;
    CHECK(zc_gp_init(&s, &c, 7, err, sizeof err) == 0);
    for (int i = 0; i < s.pop_n; i++) s.pop[i].fitness = toy_fitness(&s.pop[i].prog);
    zc_rng rng = zc_rng_stream(11, 3, 0);
    int bad_limit = 0, bad_set = 0, bad_property = 0, changed = 0;
    for (int k = 0; k < 300; k++) {
        zc_program q;
        zc_gp_var_or_one(&c, &s.primitives, &rng, s.pop, s.pop_n, &q);
        bad_limit += zc_program_height(&q) > c.max_height || q.len > c.max_len ||
                     !zc_program_valid_terms(&q, N_NAMES);
        bad_set += !in_sr_set(&q);
        int found = 0, same = 0;
        for (int i = 0; i < s.pop_n && !found; i++) {
            const zc_program *p = &s.pop[i].prog;
            same |= q.len == p->len && memcmp(q.code, p->code, q.len) == 0;
            if (strcmp(which, "hoist") == 0) found = is_hoist_of(&q, p);
            else if (strcmp(which, "point") == 0) found = same_shape(&q, p);
            else found = 1;
        }
        bad_property += !found;
        changed += !same;
    }
    CHECK_MSG(bad_limit == 0, "%s: %d offspring beyond height 6 / length / codes", which,
              bad_limit);
    CHECK_MSG(bad_set == 0, "%s: %d offspring outside the SR set", which, bad_set);
    CHECK_MSG(bad_property == 0, "%s: %d offspring are not what the operator makes", which,
              bad_property);
    CHECK_MSG(changed > 100, "%s: only %d of 300 offspring differ from every parent", which,
              changed);
    zc_gp_free(&s);
}

/* tournament parents: with k = 2 the expected fitness quantile of the
 * parent is 2/3 (uniform: 1/2); reproduction only */
static void test_parent_tournament(void) {
    char err[256];
    for (int k = 0; k <= 2; k += 2) {
        zc_gp_config c = sr_config();
        c.crossover_prob = c.mutation_prob = c.hoist_prob = c.point_prob = 0;
        c.parent_tournament = k;
        zc_gp_state s;
        CHECK(zc_gp_init(&s, &c, 5, err, sizeof err) == 0);
        for (int i = 0; i < s.pop_n; i++) { /* distinct fitness = quantile */
            s.pop[i].fitness = (i + 0.5) / s.pop_n;
            s.pop[i].prog.len = 1;
            s.pop[i].prog.code[0] = (uint8_t)(i % N_NAMES);
            s.pop[i].prog.code[1] = (uint8_t)(i / N_NAMES); /* marker, beyond len */
        }
        zc_rng rng = zc_rng_stream(9, 1, (uint64_t)k);
        double sum = 0;
        int n = 6000;
        for (int d = 0; d < n; d++) {
            zc_program q;
            zc_gp_var_or_one(&c, &s.primitives, &rng, s.pop, s.pop_n, &q);
            sum += (q.code[1] * N_NAMES + q.code[0] + 0.5) / s.pop_n;
        }
        double want = k == 2 ? 2.0 / 3.0 : 0.5; /* E[max of 2 uniforms] = 2/3 */
        CHECK_MSG(fabs(sum / n - want) < 0.015, "parent_tournament=%d: mean quantile %.4f, "
                  "expected %.4f", k, sum / n, want);
        zc_gp_free(&s);
    }
}

/* whole generations of the preset: every member stays within the limits
 * and the set, parents are evaluated before the first offspring */
static void test_generations(void) {
    char err[256];
    zc_gp_config c = sr_config();
    zc_gp_state s;
    CHECK(zc_gp_init(&s, &c, 3, err, sizeof err) == 0);
    zc_fitness_fn fn = {NULL, toy_evaluate, NULL};
    int bad = 0;
    double best0 = NAN;
    for (int g = 0; g < 12; g++) {
        zc_gp_stats st;
        CHECK_MSG(zc_gp_generation(&s, &fn, &st, err, sizeof err) == 0, "%s", err);
        if (g == 0) {
            best0 = st.best;
            CHECK(st.evaluated > c.lambda); /* initial population + offspring */
        }
        for (int i = 0; i < s.pop_n; i++)
            bad += zc_program_height(&s.pop[i].prog) > 6 || !in_sr_set(&s.pop[i].prog) ||
                   !isfinite(s.pop[i].fitness);
    }
    CHECK_MSG(bad == 0, "%d members beyond the limits", bad);
    CHECK(s.hof_n > 0 && s.hof[0].fitness > best0); /* the search improves */
    zc_gp_free(&s);
}

/* config text and saved state with the network kind */
static void test_round_trips(void) {
    char err[256], text[8192], text2[8192];
    zc_gp_config d = zc_gp_config_default();
    zc_gp_config_format(&d, text, sizeof text);
    CHECK(!strstr(text, "function_set") && !strstr(text, "hoist") && !strstr(text, "point") &&
          !strstr(text, "parent_tournament") && !strstr(text, "terminal_kind"));
    zc_gp_config c = sr_config();
    CHECK(zc_gp_config_set(&c, "terminals", "v3,v25,v29", err, sizeof err) == 0);
    CHECK(c.terminals == ((1u << 3) | (1u << 25) | (1u << 29)));
    CHECK(zc_gp_config_set(&c, "terminals", "v30", err, sizeof err) != 0);
    zc_gp_config_format(&c, text, sizeof text);
    zc_gp_config r = zc_gp_config_default();
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        *eq = 0;
        CHECK_MSG(zc_gp_config_set(&r, line, eq + 1, err, sizeof err) == 0, "%s", err);
    }
    zc_gp_config_format(&c, text, sizeof text);
    zc_gp_config_format(&r, text2, sizeof text2);
    CHECK(strcmp(text, text2) == 0 && r.terminals == c.terminals && r.functions == c.functions);
    /* state: programs over codes up to 29 survive save and load */
    zc_gp_state s, t;
    CHECK(zc_gp_init(&s, &c, 13, err, sizeof err) == 0);
    zc_fitness_fn fn = {NULL, toy_evaluate, NULL};
    CHECK(zc_gp_generation(&s, &fn, NULL, err, sizeof err) == 0);
    int high = 0;
    for (int i = 0; i < s.pop_n; i++)
        for (int k = 0; k < s.pop[i].prog.len; k++) high |= s.pop[i].prog.code[k] == 29;
    CHECK(high);
    size_t n = zc_gp_state_bytes(&s);
    unsigned char *buf = malloc(n), *buf2 = malloc(n);
    CHECK(zc_gp_state_save(&s, buf, n) == n);
    CHECK_MSG(zc_gp_state_load(&t, buf, n, err, sizeof err) == 0, "%s", err);
    CHECK(zc_gp_state_bytes(&t) == n && zc_gp_state_save(&t, buf2, n) == n &&
          memcmp(buf, buf2, n) == 0);
    char p1[512], p2[512];
    zc_program_print_names(&s.hof[0].prog, zc_gp_config_term_names(&s.config), p1, sizeof p1);
    zc_program_print_names(&t.hof[0].prog, zc_gp_config_term_names(&t.config), p2, sizeof p2);
    CHECK(strcmp(p1, p2) == 0 && strstr(p1, "<invalid") == NULL);
    zc_program back;
    CHECK(zc_program_parse_names(p1, &c.network_terminals, &back, err, sizeof err) == 0 &&
          zc_program_equal(&back, &s.hof[0].prog));
    free(buf);
    free(buf2);
    zc_gp_free(&s);
    zc_gp_free(&t);
}

/* the scalar semantics against the float32 primitives on 0-d tensors */
static void test_scalar_semantics(void) {
    const double vals[] = {0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-4, -1e-4, 0.001, 0.0011,
                           -0.0011, 20.0, -20.0, 80.0, INFINITY, -INFINITY, NAN};
    int nv = (int)ZC_ARRAY_LEN(vals), checked = 0, bad = 0, undefined = 0;
    zc_prim_work w = {0};
    for (int op = ZC_OP_BASE; op < ZC_OP_END; op++)
        for (int i = 0; i < nv; i++)
            for (int j = 0; j < (zc_op_arity(op) == 2 ? nv : 1); j++) {
                float fa = (float)vals[i], fb = (float)vals[j], fo = 0;
                zc_tensor a = {0, {0}, &fa}, b = {0, {0}, &fb}, o;
                double d;
                int rs = zc_scalar_op(op, vals[i], vals[j], &d);
                int rt = zc_prim_shape(op, &a, &b, &o, NULL, 0);
                if (rt == 0) {
                    o.data = &fo;
                    rt = zc_prim_apply(op, &a, &b, &o, &w, NULL);
                }
                if (rs != 0 || rt != 0) {
                    bad += (rs != 0) != (rt != 0);
                    undefined += rs != 0;
                    continue;
                }
                checked++;
                double f = fo;
                int same = (isnan(f) && isnan(d)) || f == d ||
                           fabs(f - d) <= 1e-6 * fabs(d) + 1e-30 ||
                           (isinf(f) && fabs(d) > 3.4e38 && (f > 0) == (d > 0));
                if (!same) {
                    bad++;
                    fprintf(stderr, "  %s(%g, %g): scalar %.9g, float32 %.9g\n", zc_op_name(op),
                            vals[i], vals[j], d, f);
                }
            }
    zc_prim_work_free(&w);
    CHECK_MSG(bad == 0, "%d of %d cases differ", bad, checked);
    /* undefined on scalars: det, logdet, eig_ratio, cosine, add_noise */
    CHECK(undefined == 4 * nv + nv * nv);
}

/* random programs: scalar evaluation against the tensor evaluator on a
 * layer of 0-d terminals */
static void test_scalar_programs(void) {
    zc_gp_config c = zc_gp_config_default();
    c.functions = zc_gp_functions_eznas() | zc_gp_functions_sr();
    c.max_height = 5;
    zc_rng rng = zc_rng_stream(21, 2, 0);
    zc_arch_stats layer_rec = {0}, value_rec = {0};
    zc_layer_stats layer;
    memset(&layer, 0, sizeof layer);
    float fv[ZC_NUM_TERMINALS];
    double dv[ZC_NUM_TERMINALS];
    for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
        fv[t] = (float)(zc_rng_normal(&rng) * 2.0);
        dv[t] = fv[t];
        layer.t[t] = (zc_tensor){0, {0}, &fv[t]};
    }
    layer_rec.n_layers = 1;
    layer_rec.layers = &layer;
    value_rec.n_values = ZC_NUM_TERMINALS;
    value_rec.values = dv;
    zc_eval_ctx *ctx = zc_eval_ctx_new();
    int compared = 0, bad = 0;
    for (int k = 0; k < 3000; k++) {
        zc_program p;
        zc_gp_gen_half_and_half(&c, &rng, 1, 4, &p);
        double sv, tv;
        int rs = zc_eval_network(ctx, &p, &value_rec, &sv);
        int rt = zc_eval_network(ctx, &p, &layer_rec, &tv);
        if (rs != 0 || rt != 0 || fabs(sv) > 1e30) continue;
        compared++;
        if (fabs(sv - tv) > 1e-4 * fabs(sv) + 1e-5) {
            char text[1024];
            zc_program_print(&p, text, sizeof text);
            if (bad++ < 5) fprintf(stderr, "  %s: scalar %.9g, tensor %.9g\n", text, sv, tv);
        }
    }
    zc_eval_ctx_free(ctx);
    CHECK_MSG(compared > 1000 && bad <= compared / 200, "%d of %d programs differ", bad,
              compared);
}

/* by hand: pdiv(add(synflow, nwot), psqrt(params)) and plog(mul(snip,
 * neg(fisher))) on task_a.h5, bit for bit; fitness with both policies */
static void test_hand_computation(const char *path) {
    char err[1024];
    zc_term_names names;
    zc_task_data d;
    CHECK_MSG(zc_proxies_h5_names(path, &names, err, sizeof err) == 0, "%s", err);
    CHECK_MSG(zc_proxies_h5_load(path, &names, &d, err, sizeof err) == 0, "%s", err);
    if (d.n_archs < 10) return;
    int sf = zc_term_names_lookup(&names, "synflow"), nw = zc_term_names_lookup(&names, "nwot");
    int pa = zc_term_names_lookup(&names, "params"), sn = zc_term_names_lookup(&names, "snip");
    int fi = zc_term_names_lookup(&names, "fisher");
    zc_program p1, p2;
    CHECK(zc_program_parse_names("pdiv(add(synflow, nwot), psqrt(params))", &names, &p1, err,
                                 sizeof err) == 0);
    CHECK(zc_program_parse_names("plog(mul(snip, neg(fisher)))", &names, &p2, err,
                                 sizeof err) == 0);
    zc_eval_ctx *ctx = zc_eval_ctx_new();
    double *score = malloc(sizeof(double) * (size_t)d.n_archs * 2);
    int exact = 0, missing = 0;
    for (int i = 0; i < d.n_archs; i++) {
        const double *v = d.archs[i].values;
        double den = sqrt(fabs(v[pa])), num = v[sf] + v[nw];
        double h1 = fabs(den) > 0.001 ? num / den : 1.0;
        double m = v[sn] * -v[fi];
        double h2 = fabs(m) > 0.001 ? log(fabs(m)) : 0.0;
        if (isnan(v[sf]) || isnan(v[nw]) || isnan(v[pa])) h1 = NAN, missing++;
        zc_eval_network(ctx, &p1, &d.archs[i], &score[i]);
        zc_eval_network(ctx, &p2, &d.archs[i], &score[d.n_archs + i]);
        exact += (score[i] == h1 || (isnan(h1) && isnan(score[i]))) &&
                 score[d.n_archs + i] == h2;
    }
    CHECK_MSG(exact == d.n_archs, "%d of %d architectures match the hand computation", exact,
              d.n_archs);
    CHECK(missing >= 1); /* the file has missing values: the omit rule matters */
    /* fitness: mean over the two "tasks" (the two formulas on one file) */
    int n_archs[2] = {d.n_archs, d.n_archs};
    const double *acc[2] = {d.acc, d.acc};
    zc_fitness_spec spec;
    zc_fitness_spec_init(&spec, 2, n_archs, acc, 0, 1, ZC_AGG_MEAN, 0, ZC_DRAW_MEAN, 1);
    double *x = malloc(sizeof(double) * (size_t)d.n_archs), *y = malloc(sizeof(double) * (size_t)d.n_archs);
    double taus[2];
    for (int f = 0; f < 2; f++) {
        int m = 0;
        for (int i = 0; i < d.n_archs; i++)
            if (isfinite(score[f * d.n_archs + i])) x[m] = score[f * d.n_archs + i], y[m++] = d.acc[i];
        taus[f] = zc_kendall_tau_b(x, y, m);
    }
    /* one program over two tasks: scores[t][p * n + a] with the two formulas as tasks */
    double *const per_task[2] = {score, score + d.n_archs};
    CHECK(isnan(zc_fitness_of(&spec, per_task, 0, 0))); /* reject: formula 1 misses values */
    spec.omit_invalid = 1;
    CHECK(zc_fitness_of(&spec, per_task, 0, 0) == (taus[0] + taus[1]) / 2);
    zc_fitness_spec_free(&spec);
    free(x);
    free(y);
    free(score);
    zc_eval_ctx_free(ctx);
    zc_task_data_free(&d);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_srnas TASK_A.h5\n");
        return 2;
    }
    test_operator("crossover");
    test_operator("subtree");
    test_operator("hoist");
    test_operator("point");
    test_parent_tournament();
    test_generations();
    test_round_trips();
    test_scalar_semantics();
    test_scalar_programs();
    test_hand_computation(argv[1]);
    TEST_EXIT();
}
