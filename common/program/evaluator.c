/* evaluator.c: the CPU executor of program plans (plan.h) over RCB layer
 * statistics, with a reusable buffer pool and fused pointwise chains (see
 * evaluator.h). */
#include "common/program/evaluator.h"

#include "common/util/fastmath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/plan.h"
#include "common/program/primitives.h"
#include "common/program/scalar_eval.h"
#include "common/util/util.h"

#define POOL_MAX (ZC_PROG_MAX_LEN + 8)
#define CHAIN_BLOCK 1024

enum { REDUCE_NONE, REDUCE_SUM, REDUCE_ABS_SUM, REDUCE_SQ_SUM };

struct zc_eval_ctx {
    float *pool[POOL_MAX];
    size_t pool_cap[POOL_MAX]; /* floats                                     */
    unsigned char pool_used[POOL_MAX];
    int pool_n;
    zc_prim_work work;
    zc_rng *rng;
    int fusion;
    zc_eval_counters counters;
    char err[192];
    zc_plan_batch single; /* zc_eval_layer*, zc_eval_network: the program's */
    zc_plan_batch batch;  /* zc_eval_programs: the batch's plans            */
    double *sums;        /* zc_eval_programs scratch                        */
    unsigned char *alive;
    int prog_cap;
};

zc_eval_ctx *zc_eval_ctx_new(void) {
    zc_eval_ctx *c = zc_calloc(1, sizeof *c);
    c->fusion = 1;
    return c;
}

void zc_eval_ctx_free(zc_eval_ctx *ctx) {
    if (!ctx) return;
    for (int i = 0; i < ctx->pool_n; i++) free(ctx->pool[i]);
    zc_prim_work_free(&ctx->work);
    zc_plan_batch_free(&ctx->single);
    zc_plan_batch_free(&ctx->batch);
    free(ctx->sums);
    free(ctx->alive);
    free(ctx);
}

void zc_eval_ctx_set_rng(zc_eval_ctx *ctx, zc_rng *rng) { ctx->rng = rng; }
void zc_eval_ctx_set_fusion(zc_eval_ctx *ctx, int on) { ctx->fusion = on != 0; }
zc_eval_counters zc_eval_counters_get(const zc_eval_ctx *ctx) { return ctx->counters; }
void zc_eval_counters_reset(zc_eval_ctx *ctx) { memset(&ctx->counters, 0, sizeof ctx->counters); }
const char *zc_eval_last_error(const zc_eval_ctx *ctx) { return ctx->err; }

size_t zc_eval_pool_bytes(const zc_eval_ctx *ctx) {
    size_t b = 0;
    for (int i = 0; i < ctx->pool_n; i++) b += ctx->pool_cap[i] * sizeof(float);
    return b;
}

/* ---- buffer pool ------------------------------------------------------------ */

/* a free buffer of at least n floats: best fit, else grow the largest free
 * one, else a new slot */
static int pool_acquire(zc_eval_ctx *ctx, size_t n) {
    int best = -1, largest = -1;
    for (int i = 0; i < ctx->pool_n; i++) {
        if (ctx->pool_used[i]) continue;
        if (ctx->pool_cap[i] >= n && (best < 0 || ctx->pool_cap[i] < ctx->pool_cap[best]))
            best = i;
        if (largest < 0 || ctx->pool_cap[i] > ctx->pool_cap[largest]) largest = i;
    }
    if (best < 0) {
        if (largest >= 0) best = largest;
        else {
            ZC_ASSERT(ctx->pool_n < POOL_MAX);
            best = ctx->pool_n++;
            ctx->pool[best] = NULL;
            ctx->pool_cap[best] = 0;
        }
        size_t cap = n + n / 4 + 16;
        free(ctx->pool[best]);
        ctx->pool[best] = zc_malloc(cap * sizeof(float));
        ctx->pool_cap[best] = cap;
    }
    ctx->pool_used[best] = 1;
    return best;
}

static void pool_release(zc_eval_ctx *ctx, int buf) {
    if (buf >= 0) ctx->pool_used[buf] = 0;
}

/* ---- steps ------------------------------------------------------------------- */

static int fail(zc_eval_ctx *ctx, int node, int code, const char *why) {
    snprintf(ctx->err, sizeof ctx->err, "node %d (%s): %s", node, zc_op_name(code), why);
    return -1;
}

static float double_to_float(double v) {
    if (v > 3.4028234663852886e38) return INFINITY;
    if (v < -3.4028234663852886e38) return -INFINITY;
    return (float)v;
}

static int run_terminal(zc_eval_ctx *ctx, const zc_plan_step *st, const zc_layer_stats *layer,
                        zc_plan_value *slot) {
    const zc_tensor *t = &layer->t[st->code];
    if (!t->data) return fail(ctx, st->node, st->code, "terminal not held for this layer");
    slot[st->slot] = (zc_plan_value){*t, -1};
    ctx->counters.nodes++;
    ctx->counters.terminal_bytes += (uint64_t)zc_tensor_numel(t) * sizeof(float);
    return 0;
}

/* a NODE step, or a LINK run on its own: shape check, buffer (in place when
 * the plan allows it), zc_prim_apply */
static int run_node(zc_eval_ctx *ctx, const zc_plan_step *st, zc_plan_value *slot) {
    zc_plan_value *a = &slot[st->slot], *b = st->arity == 2 ? &slot[st->slot + 1] : NULL;
    zc_tensor res;
    char why[160];
    if (zc_prim_shape(st->code, &a->t, b ? &b->t : NULL, &res, why, sizeof why))
        return fail(ctx, st->node, st->code, why);
    int64_t n = zc_tensor_numel(&res);
    int buf = zc_plan_result_buffer(st, a, b, &res);
    if (buf < 0) buf = pool_acquire(ctx, (size_t)n);
    res.data = ctx->pool[buf];
    if (zc_prim_apply(st->code, &a->t, b ? &b->t : NULL, &res, &ctx->work, ctx->rng))
        return fail(ctx, st->node, st->code, "add_noise needs a random generator");
    if (a->buf != buf) pool_release(ctx, a->buf);
    if (b && b->buf != buf) pool_release(ctx, b->buf);
    *a = (zc_plan_value){res, buf};
    ctx->counters.nodes++;
    ctx->counters.elements += (uint64_t)n;
    return 0;
}

/* one step of a fused stretch, with its scalar operand's value */
typedef struct {
    int op, kind;
    float s;
} fused_step;

/* apply the steps to n elements of in; write to out (may be NULL when only
 * reducing; may equal in) and/or accumulate the reduction; returns the
 * reduction accumulator */
static double map_fused(const fused_step *st, int ns, const float *in, float *out, int64_t n,
                        int reduce) {
    float tmp[CHAIN_BLOCK];
    double acc = 0;
    for (int64_t off = 0; off < n; off += CHAIN_BLOCK) {
        int64_t m = n - off < CHAIN_BLOCK ? n - off : CHAIN_BLOCK;
        float *dst = out ? out + off : tmp;
        const float *src = in + off;
        for (int k = 0; k < ns; k++) {
            if (st[k].kind == ZC_PLAN_UNARY) zc_prim_unary_block(st[k].op, src, dst, m);
            else
                zc_prim_scalar_block(st[k].op, src, st[k].s, st[k].kind == ZC_PLAN_SCALAR_LEFT,
                                     dst, m);
            src = dst;
        }
        switch (reduce) {
        case REDUCE_SUM: acc += zc_sum_f32(dst, m); break;
        case REDUCE_ABS_SUM: acc += zc_sum_abs_f32(dst, m); break;
        case REDUCE_SQ_SUM: acc += zc_sum_sq_f32(dst, m); break;
        default: break;
        }
    }
    return acc;
}

/* the steps of stretch s, reading (and releasing) its scalar operands */
static int fused_steps(zc_eval_ctx *ctx, const zc_plan_step *chain, const zc_plan_stretch *s,
                       zc_plan_value *slot, fused_step *st) {
    int ns = 0;
    for (const zc_plan_step *l = chain + 1 + s->first; l <= chain + s->next; l++, ns++) {
        int scalar_slot;
        st[ns].op = l->code;
        st[ns].kind = zc_plan_fused_kind(s, chain, l, &scalar_slot);
        if (st[ns].kind == ZC_PLAN_UNARY) continue;
        st[ns].s = slot[scalar_slot].t.data[0];
        pool_release(ctx, slot[scalar_slot].buf);
    }
    return ns;
}

/* how a chain step returned */
enum { CHAIN_DONE, CHAIN_FUSED_REDUCTION, CHAIN_ROOT_VALUE };

/* What a run of a plan gives: with want_value, the root's mean when a
 * fused chain computed it (have_value); otherwise the output tensor. */
typedef struct {
    int want_value, have_value;
    double value;
    zc_tensor out;
} run_result;

/* one fused stretch: map it into a buffer, or reduce it on the fly when it
 * ends the chain's run and the run feeds the root (with want_value) or a
 * mean / mean_abs / frobenius */
static int run_stretch(zc_eval_ctx *ctx, const zc_plan_step *chain, const zc_plan_stretch *s,
                       zc_plan_value *slot, run_result *r) {
    fused_step st[ZC_PROG_MAX_LEN];
    int ns = fused_steps(ctx, chain, s, slot, st);
    zc_plan_value *in = &slot[s->input];
    int64_t n = zc_tensor_numel(&in->t);
    ctx->counters.nodes += (uint64_t)ns;
    ctx->counters.elements += (uint64_t)n * (uint64_t)ns;
    int end = s->ends_run ? chain->end : ZC_PLAN_END_NONE;
    if (end == ZC_PLAN_END_ROOT && r->want_value) {
        r->value = map_fused(st, ns, in->t.data, NULL, n, REDUCE_SUM) / (double)n;
        r->have_value = 1;
        r->out = in->t;
        return CHAIN_ROOT_VALUE;
    }
    if (end == ZC_PLAN_END_MEAN || end == ZC_PLAN_END_MEAN_ABS || end == ZC_PLAN_END_FROBENIUS) {
        int mode = end == ZC_PLAN_END_MEAN       ? REDUCE_SUM
                   : end == ZC_PLAN_END_MEAN_ABS ? REDUCE_ABS_SUM
                                                 : REDUCE_SQ_SUM;
        double sum = map_fused(st, ns, in->t.data, NULL, n, mode);
        pool_release(ctx, in->buf);
        int b = pool_acquire(ctx, 1);
        ctx->pool[b][0] = end == ZC_PLAN_END_FROBENIUS ? double_to_float(sqrt(sum))
                                                       : double_to_float(sum / (double)n);
        slot[s->out] = (zc_plan_value){{0, {0}, ctx->pool[b]}, b};
        ctx->counters.nodes++;
        ctx->counters.elements += 1;
        return CHAIN_FUSED_REDUCTION;
    }
    int b = in->buf >= 0 ? in->buf : pool_acquire(ctx, (size_t)n);
    map_fused(st, ns, in->t.data, ctx->pool[b], n, REDUCE_NONE);
    zc_tensor t = in->t;
    t.data = ctx->pool[b];
    slot[s->out] = (zc_plan_value){t, b};
    return CHAIN_DONE;
}

/* a CHAIN step: its run as stretches (a link with no one-element operand
 * that would start one runs as a node) */
static int run_chain(zc_eval_ctx *ctx, const zc_plan_step *chain, zc_plan_value *slot,
                     run_result *r) {
    zc_plan_stretch s;
    for (int k = 0; k < chain->n_links; k = s.next) {
        zc_plan_resolve_stretch(chain, k, slot, ZC_PROG_MAX_LEN, &s);
        if (s.input < 0) {
            if (run_node(ctx, chain + 1 + k, slot)) return -1;
            continue;
        }
        int rc = run_stretch(ctx, chain, &s, slot, r);
        if (rc != CHAIN_DONE) return rc;
    }
    return CHAIN_DONE;
}

/* Run a plan on one layer into *r. Returns 0 / -1 (message in ctx->err).
 * Buffers stay acquired until the next run (released at its start). */
static int run_plan(zc_eval_ctx *ctx, const zc_plan_step *step, int n_steps,
                    const zc_layer_stats *layer, run_result *r) {
    zc_plan_value slot[ZC_PROG_MAX_LEN + 1];
    for (int i = 0; i < ctx->pool_n; i++) ctx->pool_used[i] = 0;
    r->have_value = 0;
    for (int s = 0; s < n_steps;) {
        const zc_plan_step *st = &step[s];
        int rc;
        switch (st->kind) {
        case ZC_PLAN_TERMINAL: rc = run_terminal(ctx, st, layer, slot); break;
        case ZC_PLAN_NODE: rc = run_node(ctx, st, slot); break;
        default: rc = run_chain(ctx, st, slot, r); break;
        }
        if (rc < 0) return -1;
        if (rc == CHAIN_ROOT_VALUE) return 0;
        s += st->kind == ZC_PLAN_CHAIN ? 1 + st->n_links + (rc == CHAIN_FUSED_REDUCTION) : 1;
    }
    r->out = slot[0].t;
    return 0;
}

/* ---- entry points -------------------------------------------------------------- */

/* the start of one (program, layer) evaluation */
static void begin_run(zc_eval_ctx *ctx) {
    ctx->err[0] = 0;
    ctx->counters.programs_layers++;
}

/* the steps of p's plan (compiled unless ctx holds them already), or NULL
 * when p is malformed (counted as a run, with a message) */
static const zc_plan_step *plan_of(zc_eval_ctx *ctx, const zc_program *p, int *n_steps) {
    zc_plan_batch_compile(&ctx->single, p, 1, ctx->fusion);
    const zc_plan_step *step = zc_plan_batch_steps(&ctx->single, 0, n_steps);
    if (!step) {
        begin_run(ctx);
        snprintf(ctx->err, sizeof ctx->err, "malformed program");
    }
    return step;
}

/* zc_eval_layer on a compiled plan */
static int eval_plan_layer(zc_eval_ctx *ctx, const zc_plan_step *step, int n_steps,
                           const zc_layer_stats *layer, double *value) {
    run_result r = {.want_value = 1};
    *value = NAN;
    begin_run(ctx);
    if (run_plan(ctx, step, n_steps, layer, &r)) return -1;
    if (!r.have_value) {
        int64_t n = zc_tensor_numel(&r.out);
        double s = 0;
        for (int64_t k = 0; k < n; k++) s += r.out.data[k];
        r.value = s / (double)n;
    }
    if (!isfinite(r.value)) {
        snprintf(ctx->err, sizeof ctx->err, "layer value is %s",
                 r.value != r.value ? "NaN" : "infinite");
        return -1;
    }
    *value = r.value;
    return 0;
}

int zc_eval_layer(zc_eval_ctx *ctx, const zc_program *p, const zc_layer_stats *layer,
                  double *value) {
    int n_steps;
    const zc_plan_step *step = plan_of(ctx, p, &n_steps);
    *value = NAN;
    return step ? eval_plan_layer(ctx, step, n_steps, layer, value) : -1;
}

int zc_eval_layer_tensor(zc_eval_ctx *ctx, const zc_program *p, const zc_layer_stats *layer,
                         zc_tensor *out) {
    run_result r = {.want_value = 0};
    int n_steps;
    const zc_plan_step *step = plan_of(ctx, p, &n_steps);
    if (!step) return -1;
    begin_run(ctx);
    if (run_plan(ctx, step, n_steps, layer, &r)) return -1;
    *out = r.out;
    return 0;
}

/* a record of network-level values: the scalar evaluator (scalar_eval.h) */
static int eval_values(zc_eval_ctx *ctx, const zc_program *p, const zc_arch_stats *a,
                       double *score) {
    begin_run(ctx);
    ctx->counters.nodes += p->len;
    ctx->counters.elements += p->len;
    return zc_scalar_eval(p, a->values, a->n_values, score, ctx->err, sizeof ctx->err);
}

int zc_eval_network(zc_eval_ctx *ctx, const zc_program *p, const zc_arch_stats *a,
                    double *score) {
    *score = NAN;
    if (a->n_values > 0) return eval_values(ctx, p, a, score);
    if (a->n_layers < 1) {
        snprintf(ctx->err, sizeof ctx->err, "architecture has no layers");
        return -1;
    }
    int n_steps;
    const zc_plan_step *step = plan_of(ctx, p, &n_steps);
    if (!step) return -1;
    double sum = 0;
    for (int l = 0; l < a->n_layers; l++) {
        double v;
        if (eval_plan_layer(ctx, step, n_steps, &a->layers[l], &v)) return -1;
        sum += v;
    }
    *score = sum / a->n_layers;
    return 0;
}

void zc_eval_programs(zc_eval_ctx *ctx, const zc_program *progs, int n, const zc_arch_stats *a,
                      double *scores) {
    if (a->n_values > 0) {
        for (int k = 0; k < n; k++) eval_values(ctx, &progs[k], a, &scores[k]);
        return;
    }
    if (n > ctx->prog_cap) {
        ctx->prog_cap = n;
        ctx->sums = zc_realloc(ctx->sums, (size_t)n * sizeof(double));
        ctx->alive = zc_realloc(ctx->alive, (size_t)n);
    }
    zc_plan_batch_compile(&ctx->batch, progs, n, ctx->fusion);
    for (int k = 0; k < n; k++) {
        int n_steps;
        ctx->sums[k] = 0;
        ctx->alive[k] = a->n_layers > 0 && zc_plan_batch_steps(&ctx->batch, k, &n_steps) != NULL;
    }
    for (int l = 0; l < a->n_layers; l++)
        for (int k = 0; k < n; k++) {
            if (!ctx->alive[k]) continue;
            int n_steps;
            const zc_plan_step *step = zc_plan_batch_steps(&ctx->batch, k, &n_steps);
            double v;
            if (eval_plan_layer(ctx, step, n_steps, &a->layers[l], &v)) ctx->alive[k] = 0;
            else ctx->sums[k] += v;
        }
    for (int k = 0; k < n; k++) scores[k] = ctx->alive[k] ? ctx->sums[k] / a->n_layers : NAN;
}
