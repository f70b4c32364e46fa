/* evaluator.c: stack interpreter for postfix proxy programs over RCB layer
 * statistics, with a reusable buffer pool and fused pointwise chains (see
 * evaluator.h). */
#include "common/program/evaluator.h"

#include "common/util/fastmath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/primitives.h"
#include "common/util/util.h"

#define POOL_MAX (ZC_PROG_MAX_LEN + 8)
#define CHAIN_BLOCK 1024

typedef struct {
    zc_tensor t;
    int buf; /* pool index, or -1 when borrowed (terminal data)             */
} stack_entry;

enum { STEP_UNARY, STEP_SCALAR_RIGHT, STEP_SCALAR_LEFT };
enum { REDUCE_NONE, REDUCE_SUM, REDUCE_ABS_SUM, REDUCE_SQ_SUM };

typedef struct {
    int op, kind;
    float s;
} chain_step;

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
    /* zc_eval_programs scratch */
    double *sums;
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

static int is_shape_preserving_unary(int op) {
    return (op >= ZC_OP_LOG && op <= ZC_OP_NEG_MASK) || op == ZC_OP_ADD_NOISE;
}

static int same_shape(const zc_tensor *a, const zc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* a 1-element value whose broadcast against base leaves base's shape */
static int is_scalar_for(const zc_tensor *s, const zc_tensor *base) {
    return s->ndim <= base->ndim && zc_tensor_numel(s) == 1;
}

/* apply the chain to n elements of in; write to out (may be NULL when only
 * reducing; may equal in) and/or accumulate the reduction; returns the
 * reduction accumulator */
static double run_chain(const chain_step *st, int ns, const float *in, float *out, int64_t n,
                        int reduce) {
    float tmp[CHAIN_BLOCK];
    double acc = 0;
    for (int64_t off = 0; off < n; off += CHAIN_BLOCK) {
        int64_t m = n - off < CHAIN_BLOCK ? n - off : CHAIN_BLOCK;
        float *dst = out ? out + off : tmp;
        const float *src = in + off;
        for (int k = 0; k < ns; k++) {
            if (st[k].kind == STEP_UNARY) zc_prim_unary_block(st[k].op, src, dst, m);
            else zc_prim_scalar_block(st[k].op, src, st[k].s, st[k].kind == STEP_SCALAR_LEFT, dst, m);
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

static float double_to_float(double v) {
    if (v > 3.4028234663852886e38) return INFINITY;
    if (v < -3.4028234663852886e38) return -INFINITY;
    return (float)v;
}

static int fail(zc_eval_ctx *ctx, int node, int code, const char *why) {
    snprintf(ctx->err, sizeof ctx->err, "node %d (%s): %s", node, zc_op_name(code), why);
    return -1;
}

/* Run p on layer. On success the output is stack[0] (returned in *out) and,
 * when root_mean is set and the root was a fused chain, *root_value holds
 * the final mean directly and *have_value is 1. Returns 0 / -1. Buffers
 * stay acquired until the next run (released at the start). */
static int run_program(zc_eval_ctx *ctx, const zc_program *p, const zc_layer_stats *layer,
                       int root_mean, zc_tensor *out, double *root_value, int *have_value) {
    stack_entry stack[ZC_PROG_MAX_LEN + 1];
    int sp = 0;
    char why[160];
    *have_value = 0;
    for (int i = 0; i < ctx->pool_n; i++) ctx->pool_used[i] = 0;
    ctx->err[0] = 0;
    ctx->counters.programs_layers++;
    if (!zc_program_valid(p)) {
        snprintf(ctx->err, sizeof ctx->err, "malformed program");
        return -1;
    }
    int len = p->len;
    int i = 0;
    while (i < len) {
        int c = p->code[i];
        if (c < ZC_NUM_TERMINALS) {
            const zc_tensor *t = &layer->t[c];
            if (!t->data) return fail(ctx, i, c, "terminal not held for this layer");
            stack[sp].t = *t;
            stack[sp].buf = -1;
            sp++;
            ctx->counters.nodes++;
            ctx->counters.terminal_bytes += (uint64_t)zc_tensor_numel(t) * sizeof(float);
            i++;
            continue;
        }
        int arity = zc_op_arity(c);

        /* ---- fused chain of pointwise operations ---- */
        if (ctx->fusion && zc_op_is_elementwise(c)) {
            chain_step steps[ZC_PROG_MAX_LEN];
            int ns = 0, ok = 1;
            if (arity == 1) {
                steps[ns++] = (chain_step){c, STEP_UNARY, 0.0f};
            } else {
                stack_entry *below = &stack[sp - 2], *top = &stack[sp - 1];
                if (is_scalar_for(&top->t, &below->t)) {
                    steps[ns++] = (chain_step){c, STEP_SCALAR_RIGHT, top->t.data[0]};
                    pool_release(ctx, top->buf);
                    sp--;
                } else if (is_scalar_for(&below->t, &top->t)) {
                    steps[ns++] = (chain_step){c, STEP_SCALAR_LEFT, below->t.data[0]};
                    pool_release(ctx, below->buf);
                    *below = *top;
                    sp--;
                } else ok = 0;
            }
            if (ok) {
                int j = i + 1;
                stack_entry *base = &stack[sp - 1];
                while (j < len) {
                    int cj = p->code[j];
                    if (!zc_op_is_elementwise(cj)) break;
                    if (zc_op_arity(cj) == 1) {
                        steps[ns++] = (chain_step){cj, STEP_UNARY, 0.0f};
                    } else {
                        if (sp < 2) break;
                        stack_entry *below = &stack[sp - 2];
                        if (!is_scalar_for(&below->t, &base->t)) break;
                        steps[ns++] = (chain_step){cj, STEP_SCALAR_LEFT, below->t.data[0]};
                        pool_release(ctx, below->buf);
                        *below = *base;
                        sp--;
                        base = &stack[sp - 1];
                    }
                    j++;
                }
                int64_t n = zc_tensor_numel(&base->t);
                ctx->counters.nodes += (uint64_t)(j - i);
                ctx->counters.elements += (uint64_t)n * (uint64_t)ns;
                int next = j < len ? p->code[j] : -1;
                if (j == len && root_mean) {
                    double s = run_chain(steps, ns, base->t.data, NULL, n, REDUCE_SUM);
                    *root_value = s / (double)n;
                    *have_value = 1;
                    *out = base->t;
                    return 0;
                }
                if (next == ZC_OP_MEAN || next == ZC_OP_MEAN_ABS || next == ZC_OP_FROBENIUS) {
                    int mode = next == ZC_OP_MEAN       ? REDUCE_SUM
                               : next == ZC_OP_MEAN_ABS ? REDUCE_ABS_SUM
                                                        : REDUCE_SQ_SUM;
                    double s = run_chain(steps, ns, base->t.data, NULL, n, mode);
                    float r = next == ZC_OP_FROBENIUS ? double_to_float(sqrt(s))
                                                      : double_to_float(s / (double)n);
                    pool_release(ctx, base->buf);
                    int b = pool_acquire(ctx, 1);
                    ctx->pool[b][0] = r;
                    base->t.ndim = 0;
                    base->t.data = ctx->pool[b];
                    base->buf = b;
                    ctx->counters.nodes++;
                    ctx->counters.elements += 1;
                    i = j + 1;
                    continue;
                }
                int b = base->buf >= 0 ? base->buf : pool_acquire(ctx, (size_t)n);
                run_chain(steps, ns, base->t.data, ctx->pool[b], n, REDUCE_NONE);
                base->t.data = ctx->pool[b];
                base->buf = b;
                i = j;
                continue;
            }
        }

        /* ---- one node, generic path ---- */
        stack_entry *ea = &stack[sp - arity];
        stack_entry *eb = arity == 2 ? &stack[sp - 1] : NULL;
        zc_tensor res;
        if (zc_prim_shape(c, &ea->t, eb ? &eb->t : NULL, &res, why, sizeof why))
            return fail(ctx, i, c, why);
        int64_t n = zc_tensor_numel(&res);
        int b;
        if (arity == 1 && is_shape_preserving_unary(c) && ea->buf >= 0) b = ea->buf;
        else if (arity == 2 && zc_op_is_elementwise(c) && ea->buf >= 0 && same_shape(&ea->t, &res))
            b = ea->buf;
        else if (arity == 2 && zc_op_is_elementwise(c) && eb->buf >= 0 && same_shape(&eb->t, &res))
            b = eb->buf;
        else b = pool_acquire(ctx, (size_t)n);
        res.data = ctx->pool[b];
        if (zc_prim_apply(c, &ea->t, eb ? &eb->t : NULL, &res, &ctx->work, ctx->rng))
            return fail(ctx, i, c, "add_noise needs a random generator");
        if (ea->buf != b) pool_release(ctx, ea->buf);
        if (eb && eb->buf != b) pool_release(ctx, eb->buf);
        sp -= arity;
        stack[sp].t = res;
        stack[sp].buf = b;
        sp++;
        ctx->counters.nodes++;
        ctx->counters.elements += (uint64_t)n;
        i++;
    }
    *out = stack[0].t;
    return 0;
}

int zc_eval_layer(zc_eval_ctx *ctx, const zc_program *p, const zc_layer_stats *layer,
                  double *value) {
    zc_tensor out;
    double v = NAN;
    int have = 0;
    *value = NAN;
    if (run_program(ctx, p, layer, 1, &out, &v, &have)) return -1;
    if (!have) {
        int64_t n = zc_tensor_numel(&out);
        double s = 0;
        for (int64_t k = 0; k < n; k++) s += out.data[k];
        v = s / (double)n;
    }
    if (!isfinite(v)) {
        snprintf(ctx->err, sizeof ctx->err, "layer value is %s", v != v ? "NaN" : "infinite");
        return -1;
    }
    *value = v;
    return 0;
}

int zc_eval_layer_tensor(zc_eval_ctx *ctx, const zc_program *p, const zc_layer_stats *layer,
                         zc_tensor *out) {
    double v;
    int have;
    return run_program(ctx, p, layer, 0, out, &v, &have);
}

int zc_eval_network(zc_eval_ctx *ctx, const zc_program *p, const zc_arch_stats *a,
                    double *score) {
    *score = NAN;
    if (a->n_layers < 1) {
        snprintf(ctx->err, sizeof ctx->err, "architecture has no layers");
        return -1;
    }
    double sum = 0;
    for (int l = 0; l < a->n_layers; l++) {
        double v;
        if (zc_eval_layer(ctx, p, &a->layers[l], &v)) return -1;
        sum += v;
    }
    *score = sum / a->n_layers;
    return 0;
}

void zc_eval_programs(zc_eval_ctx *ctx, const zc_program *progs, int n, const zc_arch_stats *a,
                      double *scores) {
    if (n > ctx->prog_cap) {
        ctx->prog_cap = n;
        ctx->sums = zc_realloc(ctx->sums, (size_t)n * sizeof(double));
        ctx->alive = zc_realloc(ctx->alive, (size_t)n);
    }
    for (int k = 0; k < n; k++) {
        ctx->sums[k] = 0;
        ctx->alive[k] = a->n_layers > 0 && zc_program_valid(&progs[k]);
    }
    for (int l = 0; l < a->n_layers; l++)
        for (int k = 0; k < n; k++) {
            if (!ctx->alive[k]) continue;
            double v;
            if (zc_eval_layer(ctx, &progs[k], &a->layers[l], &v)) ctx->alive[k] = 0;
            else ctx->sums[k] += v;
        }
    for (int k = 0; k < n; k++) scores[k] = ctx->alive[k] ? ctx->sums[k] / a->n_layers : NAN;
}
