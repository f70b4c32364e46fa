/* test_program.c: proxy programs and the evaluator.
 * - parse/print round trip over thousands of random programs, canonical
 *   forms of commuted programs, hash without collisions over 1e5 programs,
 *   parse errors naming the position, named programs, structure queries;
 * - evaluator: EZNAS-A on hand-made layers against closed-form values,
 *   fused == unfused on random programs, terminals never modified, missing
 *   terminals and non-finite values invalid, layer-major batch == per
 *   program, no pool growth in steady state, counters. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/evaluator.h"
#include "common/program/named_programs.h"
#include "common/program/program.h"
#include "common/util/rng.h"
#include "tests/test_util.h"

/* ---- random programs (the test's own generator) -------------------------- */

static void gen_node(zc_rng *r, int depth, int max_depth, int full, zc_program *p) {
    int leaf = depth >= max_depth || (!full && depth > 0 && zc_rng_below(r, 3) == 0);
    if (leaf) {
        p->code[p->len++] = (uint8_t)zc_rng_below(r, ZC_NUM_TERMINALS);
        return;
    }
    int op = ZC_OP_BASE + (int)zc_rng_below(r, ZC_NUM_OPS);
    for (int a = 0; a < zc_op_arity(op); a++) gen_node(r, depth + 1, max_depth, full, p);
    p->code[p->len++] = (uint8_t)op;
}

/* height <= 6 keeps a binary tree within 127 nodes */
static zc_program random_program(zc_rng *r, int max_depth) {
    zc_program p;
    memset(&p, 0, sizeof p);
    int d = 1 + (int)zc_rng_below(r, (uint64_t)max_depth);
    gen_node(r, 0, d, (int)zc_rng_below(r, 2), &p);
    return p;
}

/* swap the arguments of commutative nodes at random (a commuted copy) */
static int commute_subtree(const zc_program *p, int end, zc_rng *r, uint8_t *out) {
    int code = p->code[end], arity = zc_op_arity(code);
    if (arity == 0) {
        out[0] = (uint8_t)code;
        return 1;
    }
    if (arity == 1) {
        int n = commute_subtree(p, end - 1, r, out);
        out[n] = (uint8_t)code;
        return n + 1;
    }
    int rs = zc_program_subtree_start(p, end - 1);
    uint8_t l[ZC_PROG_MAX_LEN], rt[ZC_PROG_MAX_LEN];
    int nl = commute_subtree(p, rs - 1, r, l), nr = commute_subtree(p, end - 1, r, rt);
    if (zc_op_is_commutative(code) && zc_rng_below(r, 2)) {
        memcpy(out, rt, (size_t)nr);
        memcpy(out + nr, l, (size_t)nl);
    } else {
        memcpy(out, l, (size_t)nl);
        memcpy(out + nl, rt, (size_t)nr);
    }
    out[nl + nr] = (uint8_t)code;
    return nl + nr + 1;
}

static void test_round_trip(void) {
    zc_rng r;
    zc_rng_seed(&r, 11);
    char text[8192], text2[8192], err[160];
    int ok_rt = 1, ok_print = 1, ok_valid = 1;
    for (int t = 0; t < 5000; t++) {
        zc_program p = random_program(&r, 6), q;
        if (!zc_program_valid(&p)) ok_valid = 0;
        size_t n = zc_program_print(&p, text, sizeof text);
        if (n >= sizeof text) ok_print = 0;
        if (zc_program_parse(text, &q, err, sizeof err) != 0) {
            fprintf(stderr, "parse failed: %s on %s\n", err, text);
            ok_rt = 0;
            continue;
        }
        if (q.len != p.len || memcmp(q.code, p.code, p.len) != 0) ok_rt = 0;
        zc_program_print(&q, text2, sizeof text2);
        if (strcmp(text, text2) != 0) ok_rt = 0;
    }
    CHECK(ok_valid);
    CHECK(ok_print);
    CHECK(ok_rt);
    /* whitespace is ignored, printing normalises it */
    zc_program p;
    CHECK(zc_program_parse("  add ( wt ,\n mean(  act_data ) ) ", &p, err, sizeof err) == 0);
    zc_program_print(&p, text, sizeof text);
    CHECK(strcmp(text, "add(wt, mean(act_data))") == 0);
    /* truncated printing reports the full length */
    char small[8];
    size_t need = zc_program_print(&p, small, sizeof small);
    CHECK(need == strlen("add(wt, mean(act_data))") && strlen(small) == 7);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    uint64_t h;
    zc_program c;
} hashed;

static int cmp_hashed(const void *a, const void *b) {
    const hashed *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    if (x->c.len != y->c.len) return x->c.len - y->c.len;
    return memcmp(x->c.code, y->c.code, x->c.len);
}

static void test_canonical_and_hash(void) {
    zc_rng r;
    zc_rng_seed(&r, 12);
    int ok_comm = 1, n_changed = 0;
    for (int t = 0; t < 5000; t++) {
        zc_program p = random_program(&r, 6), q = p;
        q.len = (uint16_t)commute_subtree(&p, p.len - 1, &r, q.code);
        if (memcmp(p.code, q.code, p.len) != 0) n_changed++;
        zc_program cp, cq;
        zc_program_canonical(&p, &cp);
        zc_program_canonical(&q, &cq);
        if (!(cp.len == cq.len && memcmp(cp.code, cq.code, cp.len) == 0)) ok_comm = 0;
        if (zc_program_hash(&p) != zc_program_hash(&q) || !zc_program_equal(&p, &q)) ok_comm = 0;
        if (!zc_program_valid(&cp) || zc_program_height(&cp) != zc_program_height(&p)) ok_comm = 0;
    }
    CHECK(ok_comm);
    CHECK(n_changed > 1000); /* the test really commuted programs */
    /* non-commutative operations keep their order */
    zc_program a, b;
    char err[160];
    zc_program_parse("sub(wt, act_data)", &a, err, sizeof err);
    zc_program_parse("sub(act_data, wt)", &b, err, sizeof err);
    CHECK(!zc_program_equal(&a, &b) && zc_program_hash(&a) != zc_program_hash(&b));
    zc_program_parse("add(wt, act_data)", &a, err, sizeof err);
    zc_program_parse("add(act_data, wt)", &b, err, sizeof err);
    CHECK(zc_program_equal(&a, &b) && zc_program_hash(&a) == zc_program_hash(&b));
    zc_program_parse("cosine(hamming(wt, act_data), mean(preact_data))", &a, err, sizeof err);
    zc_program_parse("cosine(mean(preact_data), hamming(act_data, wt))", &b, err, sizeof err);
    CHECK(zc_program_equal(&a, &b));

    /* 1e5 random programs: distinct canonical forms have distinct hashes */
    int n = 100000;
    hashed *hs = malloc((size_t)n * sizeof *hs);
    for (int t = 0; t < n; t++) {
        zc_program p = random_program(&r, 6);
        zc_program_canonical(&p, &hs[t].c);
        hs[t].h = zc_program_hash(&p);
    }
    qsort(hs, (size_t)n, sizeof *hs, cmp_hashed);
    int distinct = 1, collisions = 0;
    for (int t = 1; t < n; t++) {
        int same_prog = hs[t].c.len == hs[t - 1].c.len &&
                        memcmp(hs[t].c.code, hs[t - 1].c.code, hs[t].c.len) == 0;
        if (!same_prog) distinct++;
        if (!same_prog && hs[t].h == hs[t - 1].h) collisions++;
    }
    CHECK_MSG(collisions == 0, "%d hash collisions among %d distinct programs", collisions,
              distinct);
    CHECK(distinct > 50000);
    free(hs);
    (void)cmp_u64;
}

static void expect_parse_error(const char *text, const char *fragment) {
    zc_program p;
    char err[160];
    int rc = zc_program_parse(text, &p, err, sizeof err);
    CHECK_MSG(rc == -1, "'%s' parsed", text);
    CHECK_MSG(strstr(err, fragment) != NULL, "'%s': error '%s' lacks '%s'", text, err, fragment);
}

static void test_parse_errors(void) {
    expect_parse_error("", "position 0: expected a primitive");
    expect_parse_error("sign(", "position 5: expected a primitive");
    expect_parse_error("foo(wt)", "position 0: unknown primitive 'foo'");
    expect_parse_error("sign(wt, wt)", "position 7: 'sign' takes 1 argument");
    expect_parse_error("add(wt)", "position 6: 'add' takes 2 arguments, found 1");
    expect_parse_error("add(wt wt)", "position 7: expected ','");
    expect_parse_error("wt)", "position 2: unexpected ')'");
    expect_parse_error("sign", "position 4: expected '(' after primitive 'sign'");
    expect_parse_error("sign(wtt)", "position 5: unknown terminal 'wtt'");
    expect_parse_error("wt(act_data)", "position 0: 'wt' is a terminal");
    expect_parse_error("sign(wt", "position 7: expected ')'");
    expect_parse_error("sign(wt) x", "position 9: unexpected 'x'");
    expect_parse_error("sign(#)", "position 5: expected a primitive or terminal name, found '#'");
    /* too long: 128 nested signs + a terminal = 129 nodes */
    char buf[2048] = "";
    for (int i = 0; i < 128; i++) strcat(buf, "sign(");
    strcat(buf, "wt");
    for (int i = 0; i < 128; i++) strcat(buf, ")");
    expect_parse_error(buf, "longer than 128 nodes");
    /* exactly 128 nodes is fine */
    zc_program p;
    char err[160];
    CHECK(zc_program_parse(buf + 5, &p, err, sizeof err) == -1); /* unbalanced */
    char ok[2048] = "";
    for (int i = 0; i < 127; i++) strcat(ok, "sign(");
    strcat(ok, "wt");
    for (int i = 0; i < 127; i++) strcat(ok, ")");
    CHECK(zc_program_parse(ok, &p, err, sizeof err) == 0 && p.len == 128);
    CHECK(zc_program_height(&p) == 127);
}

static void test_structure_and_named(void) {
    zc_program p;
    char err[160], text[256];
    const char *a = zc_program_named("eznas-a");
    const char *awt = zc_program_named("eznas-a-wt");
    CHECK(a && awt && zc_program_named("nope") == NULL);
    CHECK(strcmp(a, "frobenius(sigmoid(logdet(sign(inpact_grad_data))))") == 0);
    CHECK(zc_program_parse(a, &p, err, sizeof err) == 0);
    CHECK(p.len == 5 && p.code[0] == ZC_TERMINAL_ID(ZC_T_INPACT_GRAD, ZC_PASS_DATA));
    CHECK(p.code[1] == ZC_OP_SIGN && p.code[2] == ZC_OP_LOGDET && p.code[3] == ZC_OP_SIGMOID &&
          p.code[4] == ZC_OP_FROBENIUS);
    zc_program_print(&p, text, sizeof text);
    CHECK(strcmp(text, a) == 0);
    CHECK(zc_program_height(&p) == 4);
    CHECK(zc_program_terminals(&p) == (1u << ZC_TERMINAL_ID(ZC_T_INPACT_GRAD, ZC_PASS_DATA)));
    CHECK(zc_program_parse(awt, &p, err, sizeof err) == 0);
    CHECK(p.code[0] == ZC_TERMINAL_ID(ZC_T_WT_GRAD, ZC_PASS_NOISE));

    CHECK(zc_program_parse("add(mul(wt, act_data), sign(preact_noise))", &p, err, sizeof err) == 0);
    /* postfix: wt act_data mul preact_noise sign add */
    CHECK(p.len == 6 && zc_program_subtree_start(&p, 5) == 0 &&
          zc_program_subtree_start(&p, 4) == 3 && zc_program_subtree_start(&p, 2) == 0 &&
          zc_program_subtree_start(&p, 1) == 1);
    CHECK(zc_program_height(&p) == 2);
    zc_program bad = p;
    bad.len = 5; /* two roots */
    CHECK(!zc_program_valid(&bad));
    bad = p;
    bad.code[0] = 25; /* neither terminal nor op */
    CHECK(!zc_program_valid(&bad));
    bad = p;
    bad.code[2] = ZC_OP_SIGN; /* arity mismatch: leaves two roots */
    CHECK(!zc_program_valid(&bad));
    bad.len = 0;
    CHECK(!zc_program_valid(&bad));
    /* op table */
    CHECK(ZC_NUM_OPS == 38);
    int n_comm = 0, n_opt = 0, n_sr = 0, n_eznas = 0;
    for (int op = ZC_OP_BASE; op < ZC_OP_END; op++) {
        CHECK(zc_op_lookup(zc_op_name(op)) == op);
        n_comm += zc_op_is_commutative(op);
        n_opt += zc_op_is_optional(op);
        n_sr += zc_op_is_sr(op);
        n_eznas += zc_op_is_eznas(op);
    }
    CHECK(n_comm == 5 && n_opt == 1 && zc_op_is_optional(ZC_OP_ADD_NOISE));
    /* the SR-NAS set: add, sub, mul, neg, pdiv, plog, psqrt; EZNAS's 34 */
    CHECK(n_sr == 7 && n_eznas == 34 && zc_op_is_sr(ZC_OP_PDIV) && !zc_op_is_eznas(ZC_OP_PDIV));
    CHECK(zc_op_arity(ZC_OP_PDIV) == 2 && zc_op_arity(ZC_OP_NEG) == 1 &&
          zc_op_is_elementwise(ZC_OP_PLOG) && !zc_op_is_commutative(ZC_OP_PDIV));
    CHECK(zc_op_arity(ZC_OP_MATMUL) == 2 && zc_op_arity(ZC_OP_NUMEL) == 1 && zc_op_arity(3) == 0);
    CHECK(zc_op_lookup("wt") == -1 && strcmp(zc_op_name(ZC_TERMINAL_WT), "wt") == 0);
}

/* ---- evaluator ------------------------------------------------------------ */

static void set_tensor(zc_tensor *t, int ndim, const int64_t *shape, zc_rng *r, double scale) {
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    int64_t n = zc_tensor_numel(t);
    t->data = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        double v = zc_rng_normal(r) * scale;
        if (zc_rng_below(r, 10) == 0) v = 0; /* exact zeros, as ReLU statistics have */
        t->data[i] = (float)v;
    }
}

/* a synthetic layer: B x C x H x W activations, B x D x H x W outputs, D x C
 * x k x k weights */
static void make_layer(zc_layer_stats *L, zc_rng *r, int64_t B, int64_t C, int64_t D, int64_t H,
                       int64_t k) {
    memset(L, 0, sizeof *L);
    int64_t in[4] = {B, C, H, H}, out[4] = {B, D, H, H}, w[4] = {D, C, k, k};
    for (int pass = 0; pass < ZC_NUM_PASSES; pass++) {
        double s = pass == ZC_PASS_PERTURB ? 0.05 : 1.0;
        set_tensor(&L->t[ZC_TERMINAL_ID(ZC_T_INPACT, pass)], 4, in, r, s);
        set_tensor(&L->t[ZC_TERMINAL_ID(ZC_T_PREACT, pass)], 4, in, r, s);
        set_tensor(&L->t[ZC_TERMINAL_ID(ZC_T_ACT, pass)], 4, out, r, s);
        set_tensor(&L->t[ZC_TERMINAL_ID(ZC_T_INPACT_GRAD, pass)], 4, in, r, 1e-3 * s);
        set_tensor(&L->t[ZC_TERMINAL_ID(ZC_T_PREACT_GRAD, pass)], 4, in, r, 1e-3 * s);
        set_tensor(&L->t[ZC_TERMINAL_ID(ZC_T_ACT_GRAD, pass)], 4, out, r, 1e-3 * s);
        set_tensor(&L->t[ZC_TERMINAL_ID(ZC_T_WT_GRAD, pass)], 4, w, r, 1e-2 * s);
    }
    set_tensor(&L->t[ZC_TERMINAL_WT], 4, w, r, 0.3);
}

static double layer_checksum(const zc_layer_stats *L) {
    double s = 0;
    for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
        int64_t n = zc_tensor_numel(&L->t[t]);
        for (int64_t i = 0; i < n; i++) s += L->t[t].data[i] * (double)((i % 13) + 1) * (t + 1);
    }
    return s;
}

static void test_eznas_a_closed_form(zc_eval_ctx *ctx) {
    /* inpact_grad_data of shape (1, 3, 2, 2): sign gives
     * [[1,1],[1,1]] (det 0: logdet -inf, sigmoid 0),
     * [[1,-1],[1,1]] (det 2: sigmoid(ln 2) = 2/3),
     * [[-1,1],[1,1]] (det -2: logdet NaN -> 0, sigmoid 1/2);
     * frobenius = sqrt(4/9 + 1/4) = sqrt(25/36) = 5/6 */
    static float g[12] = {1, 2, 3, 4, 2, -1, 1, 3, -0.5f, 1, 2, 7};
    zc_layer_stats L;
    memset(&L, 0, sizeof L);
    zc_tensor *t = &L.t[ZC_TERMINAL_ID(ZC_T_INPACT_GRAD, ZC_PASS_DATA)];
    t->ndim = 4;
    t->shape[0] = 1, t->shape[1] = 3, t->shape[2] = 2, t->shape[3] = 2;
    t->data = g;
    zc_program p;
    char err[160];
    zc_program_parse(zc_program_named("eznas-a"), &p, err, sizeof err);
    double v;
    for (int fused = 0; fused < 2; fused++) {
        zc_eval_ctx_set_fusion(ctx, fused);
        CHECK(zc_eval_layer(ctx, &p, &L, &v) == 0);
        CHECK_CLOSE(v, 5.0 / 6.0, 1e-6, 1e-6);
    }
    zc_program_parse("sigmoid(logdet(sign(inpact_grad_data)))", &p, err, sizeof err);
    zc_tensor out;
    CHECK(zc_eval_layer_tensor(ctx, &p, &L, &out) == 0);
    CHECK(out.ndim == 2 && out.shape[0] == 1 && out.shape[1] == 3);
    CHECK(out.data[0] == 0.0f);
    CHECK_CLOSE(out.data[1], 2.0 / 3.0, 1e-6, 1e-6);
    CHECK_CLOSE(out.data[2], 0.5, 1e-7, 0);
    CHECK(zc_eval_layer(ctx, &p, &L, &v) == 0);
    CHECK_CLOSE(v, (2.0 / 3.0 + 0.5) / 3.0, 1e-6, 1e-6);
    /* logdet alone: -inf in the mean makes the layer invalid */
    zc_program_parse("logdet(sign(inpact_grad_data))", &p, err, sizeof err);
    CHECK(zc_eval_layer(ctx, &p, &L, &v) == -1 && isnan(v));
    CHECK(strstr(zc_eval_last_error(ctx), "infinite") != NULL);
    /* the wt_grad_noise variant: terminal not held -> invalid, not a crash */
    zc_program_parse(zc_program_named("eznas-a-wt"), &p, err, sizeof err);
    CHECK(zc_eval_layer(ctx, &p, &L, &v) == -1);
    CHECK(strstr(zc_eval_last_error(ctx), "not held") != NULL);
    CHECK(g[0] == 1 && g[5] == -1 && g[8] == -0.5f); /* untouched */
}

static void test_fused_vs_unfused(void) {
    zc_rng r;
    zc_rng_seed(&r, 21);
    zc_arch_stats arch;
    memset(&arch, 0, sizeof arch);
    arch.n_layers = 3;
    arch.layers = calloc(3, sizeof(zc_layer_stats));
    make_layer(&arch.layers[0], &r, 2, 4, 5, 6, 3);
    make_layer(&arch.layers[1], &r, 2, 3, 3, 4, 1);
    make_layer(&arch.layers[2], &r, 1, 6, 4, 5, 3);
    double sums[3];
    for (int l = 0; l < 3; l++) sums[l] = layer_checksum(&arch.layers[l]);

    zc_eval_ctx *fused = zc_eval_ctx_new(), *plain = zc_eval_ctx_new();
    zc_eval_ctx_set_fusion(plain, 0);
    zc_rng noise_f, noise_p;
    zc_eval_ctx_set_rng(fused, &noise_f);
    zc_eval_ctx_set_rng(plain, &noise_p);
    int n = 3000, n_valid = 0, agree_valid = 1, agree_value = 1;
    zc_program *progs = malloc((size_t)n * sizeof *progs);
    double *batch = malloc((size_t)n * sizeof(double));
    double *single = malloc((size_t)n * sizeof(double));
    for (int k = 0; k < n; k++) {
        progs[k] = random_program(&r, 5);
        if (k % 3 == 0) { /* bias towards valid programs: root a reduction of a chain */
            zc_program *p = &progs[k];
            if (p->len + 2 <= ZC_PROG_MAX_LEN) {
                p->code[p->len++] = ZC_OP_SIGMOID;
                p->code[p->len++] = (uint8_t)(k % 2 ? ZC_OP_FROBENIUS : ZC_OP_MEAN_ABS);
            }
        }
    }
    for (int k = 0; k < n; k++) {
        zc_rng_seed(&noise_f, (uint64_t)k);
        zc_rng_seed(&noise_p, (uint64_t)k);
        double vf, vp;
        int rf = zc_eval_network(fused, &progs[k], &arch, &vf);
        int rp = zc_eval_network(plain, &progs[k], &arch, &vp);
        single[k] = vf;
        if (rf != rp) {
            agree_valid = 0;
            char text[4096];
            zc_program_print(&progs[k], text, sizeof text);
            fprintf(stderr, "validity differs (fused %d, plain %d): %s\n", rf, rp, text);
            continue;
        }
        if (rf == 0) {
            n_valid++;
            if (!(fabs(vf - vp) <= 1e-9 + 1e-5 * fabs(vp))) {
                agree_value = 0;
                char text[4096];
                zc_program_print(&progs[k], text, sizeof text);
                fprintf(stderr, "fused %.9g plain %.9g: %s\n", vf, vp, text);
            }
        }
    }
    CHECK(agree_valid);
    CHECK(agree_value);
    CHECK_MSG(n_valid > 500, "only %d valid random programs", n_valid);
    printf("fused vs unfused: %d of %d random programs valid on all layers\n", n_valid, n);
    /* terminals untouched by thousands of programs */
    for (int l = 0; l < 3; l++) CHECK(layer_checksum(&arch.layers[l]) == sums[l]);

    /* layer-major batch gives the same scores (programs without add_noise,
     * whose draws depend on evaluation order) */
    int m = 0;
    for (int k = 0; k < n; k++) {
        int noisy = 0;
        for (int i = 0; i < progs[k].len; i++) noisy |= progs[k].code[i] == ZC_OP_ADD_NOISE;
        if (!noisy) {
            progs[m] = progs[k];
            single[m] = single[k];
            m++;
        }
    }
    zc_rng_seed(&noise_f, 0);
    zc_eval_programs(fused, progs, m, &arch, batch);
    int same = 1;
    for (int k = 0; k < m; k++)
        if (!(batch[k] == single[k] || (isnan(batch[k]) && isnan(single[k])))) same = 0;
    CHECK(same);
    /* steady state: a second pass does not grow the pool */
    size_t pool = zc_eval_pool_bytes(fused);
    zc_eval_programs(fused, progs, m, &arch, batch);
    CHECK(zc_eval_pool_bytes(fused) == pool && pool > 0);

    /* counters */
    zc_program p;
    char err[160];
    zc_program_parse("mean(wt)", &p, err, sizeof err);
    zc_eval_counters_reset(fused);
    double v;
    CHECK(zc_eval_layer(fused, &p, &arch.layers[0], &v) == 0);
    zc_eval_counters c = zc_eval_counters_get(fused);
    CHECK(c.nodes == 2 && c.programs_layers == 1 && c.terminal_bytes == 5 * 4 * 9 * 4);
    zc_program_parse("frobenius(sigmoid(square(act_data)))", &p, err, sizeof err);
    zc_eval_counters_reset(fused);
    CHECK(zc_eval_layer(fused, &p, &arch.layers[0], &v) == 0);
    c = zc_eval_counters_get(fused);
    CHECK(c.nodes == 4 && c.elements == 2 * 360 + 1);
    /* the fused chain + reduction never materialises the 360-element tensor */
    {
        zc_eval_ctx *f2 = zc_eval_ctx_new(), *p2 = zc_eval_ctx_new();
        zc_eval_ctx_set_fusion(p2, 0);
        double v1, v2;
        CHECK(zc_eval_layer(f2, &p, &arch.layers[0], &v1) == 0);
        CHECK(zc_eval_layer(p2, &p, &arch.layers[0], &v2) == 0);
        CHECK(zc_eval_pool_bytes(f2) < 360 * sizeof(float));
        CHECK(zc_eval_pool_bytes(p2) >= 360 * sizeof(float));
        CHECK_CLOSE(v1, v2, 0, 1e-6);
        zc_eval_ctx_free(f2);
        zc_eval_ctx_free(p2);
    }

    /* invalid cases */
    zc_program_parse("mean(reciprocal(zeros_like(wt)))", &p, err, sizeof err);
    CHECK(zc_eval_layer(fused, &p, &arch.layers[0], &v) == -1);
    zc_program_parse("matmul(wt, act_data)", &p, err, sizeof err);
    CHECK(zc_eval_layer(fused, &p, &arch.layers[0], &v) == -1);
    CHECK(strstr(zc_eval_last_error(fused), "matmul") != NULL);
    zc_program_parse("add_noise(wt)", &p, err, sizeof err);
    zc_eval_ctx_set_rng(fused, NULL);
    CHECK(zc_eval_layer(fused, &p, &arch.layers[0], &v) == -1);
    /* a scalar on either side of a fused binary op */
    zc_program_parse("mean(sub(mean(wt), sigmoid(wt)))", &p, err, sizeof err);
    double vf, vp;
    CHECK(zc_eval_layer(fused, &p, &arch.layers[0], &vf) == 0);
    CHECK(zc_eval_layer(plain, &p, &arch.layers[0], &vp) == 0);
    CHECK_CLOSE(vf, vp, 1e-9, 1e-6);
    /* closed form: mean(mean(wt) - sigmoid(wt)) = mean(wt) - mean(sigmoid(wt)) */
    zc_program q;
    double m1, m2;
    zc_program_parse("mean(wt)", &q, err, sizeof err);
    zc_eval_layer(plain, &q, &arch.layers[0], &m1);
    zc_program_parse("sigmoid(wt)", &q, err, sizeof err);
    zc_eval_layer(plain, &q, &arch.layers[0], &m2);
    CHECK_CLOSE(vf, m1 - m2, 1e-6, 1e-5);
    zc_program_parse("gt(sign(wt), numel(act_data))", &p, err, sizeof err);
    CHECK(zc_eval_layer(fused, &p, &arch.layers[0], &vf) == 0 && vf == 0.0);
    /* an empty architecture is invalid */
    zc_arch_stats empty;
    memset(&empty, 0, sizeof empty);
    CHECK(zc_eval_network(fused, &p, &empty, &v) == -1);

    zc_eval_ctx_free(fused);
    zc_eval_ctx_free(plain);
    zc_arch_stats_free(&arch);
    free(progs);
    free(batch);
    free(single);
}

int main(void) {
    test_round_trip();
    test_canonical_and_hash();
    test_parse_errors();
    test_structure_and_named();
    zc_eval_ctx *ctx = zc_eval_ctx_new();
    test_eznas_a_closed_form(ctx);
    zc_eval_ctx_free(ctx);
    test_fused_vs_unfused();
    TEST_EXIT();
}
