/* gpu_eval.cu: the GPU executor of program plans (plan.h) on
 * device-resident statistics (see gpu_eval.h). The steps of a plan become
 * launches of the kernels of kernels/cuda/gpu_eval_kernels.cuh; shapes are
 * checked on the host by zc_prim_shape, and buffer reuse and fused
 * stretches follow the plan's rules, as in the CPU executor (evaluator.c).
 * One-element operands of fused stretches are read by the kernels through
 * device pointers, so nothing synchronises until the per-(program, layer)
 * values are copied back once per call. */
#include "common/program/gpu_eval.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_eval_kernels.cuh"
#include "kernels/cuda/gpu_net.h"

extern "C" {
#include "common/program/plan.h"
#include "common/program/primitives.h"
#include "common/util/util.h"
}

#define POOL_MAX (ZC_PROG_MAX_LEN + 8)

struct zc_gpu_eval {
    zc_gpu_ctx *ctx;
    cudaStream_t stream;
    cublasHandle_t blas;
    int fusion;
    float *pool[POOL_MAX]; /* device buffers                                */
    size_t pool_cap[POOL_MAX];
    unsigned char pool_used[POOL_MAX];
    int pool_n;
    double *partials; /* ZC_GEK_PARTIALS doubles of reduction scratch        */
    double *results;  /* per (program, layer), device                        */
    size_t results_cap;
    double *host_results;
    zc_plan_batch batch;  /* zc_gpu_eval_programs: the batch's plans          */
    zc_plan_batch single; /* zc_gpu_eval_layer_tensor: the program's plan     */
    zc_eval_ctx *cpu;     /* the CPU fallback                                 */
    zc_eval_counters counters;
    char err[640];
};

/* an invalid program (not a CUDA failure): the reason in ev->err */
static int efail(zc_gpu_eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int efail(zc_gpu_eval *ev, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->err, sizeof ev->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int node_fail(zc_gpu_eval *ev, const zc_plan_step *st, const char *why) {
    return efail(ev, "node %d (%s): %s", st->node, zc_op_name(st->code), why);
}

extern "C" zc_gpu_eval *zc_gpu_eval_new(zc_gpu_ctx *ctx) {
    zc_gpu_eval *ev = (zc_gpu_eval *)zc_calloc(1, sizeof *ev);
    ev->ctx = ctx;
    ev->stream = (cudaStream_t)zc_gpu_ctx_stream(ctx);
    ev->blas = (cublasHandle_t)zc_gpu_ctx_cublas(ctx);
    ev->fusion = 1;
    ev->cpu = zc_eval_ctx_new();
    return ev;
}

extern "C" void zc_gpu_eval_free(zc_gpu_eval *ev) {
    if (!ev) return;
    cudaStreamSynchronize(ev->stream);
    for (int i = 0; i < ev->pool_n; i++) cudaFree(ev->pool[i]);
    if (ev->partials) cudaFree(ev->partials);
    if (ev->results) cudaFree(ev->results);
    free(ev->host_results);
    zc_plan_batch_free(&ev->batch);
    zc_plan_batch_free(&ev->single);
    zc_eval_ctx_free(ev->cpu);
    free(ev);
}

extern "C" void zc_gpu_eval_set_fusion(zc_gpu_eval *ev, int on) { ev->fusion = on != 0; }
extern "C" const char *zc_gpu_eval_last_error(const zc_gpu_eval *ev) { return ev->err; }
extern "C" zc_eval_counters zc_gpu_eval_counters_get(const zc_gpu_eval *ev) { return ev->counters; }
extern "C" void zc_gpu_eval_counters_reset(zc_gpu_eval *ev) {
    memset(&ev->counters, 0, sizeof ev->counters);
}

extern "C" int zc_gpu_program_supported(const zc_program *p) {
    for (int i = 0; i < p->len; i++) {
        int c = p->code[i];
        if (c == ZC_OP_KL_DIV || c == ZC_OP_COSINE || c == ZC_OP_SOFTMAX || c == ZC_OP_EIG_RATIO ||
            c == ZC_OP_ADD_NOISE || (zc_op_is_sr(c) && !zc_op_is_eznas(c))) /* neg, pdiv, plog, psqrt */
            return 0;
    }
    return 1;
}

/* ---- device buffers -------------------------------------------------------------- */

/* pool: a free device buffer of >= n floats (best fit, else grow the
 * largest free one, else a new slot); -1 on failure */
static int pool_acquire(zc_gpu_eval *ev, size_t n) {
    int best = -1, largest = -1;
    for (int i = 0; i < ev->pool_n; i++) {
        if (ev->pool_used[i]) continue;
        if (ev->pool_cap[i] >= n && (best < 0 || ev->pool_cap[i] < ev->pool_cap[best])) best = i;
        if (largest < 0 || ev->pool_cap[i] > ev->pool_cap[largest]) largest = i;
    }
    if (best < 0) {
        if (largest >= 0) best = largest;
        else {
            if (ev->pool_n >= POOL_MAX) return efail(ev, "internal: buffer pool exhausted");
            best = ev->pool_n++;
            ev->pool[best] = NULL;
            ev->pool_cap[best] = 0;
        }
        size_t cap = n + n / 4 + 64;
        cudaStreamSynchronize(ev->stream);
        if (ev->pool[best]) cudaFree(ev->pool[best]);
        ev->pool[best] = NULL;
        ev->pool_cap[best] = 0;
        if (cudaMalloc((void **)&ev->pool[best], cap * sizeof(float)) != cudaSuccess) {
            cudaGetLastError();
            return zc_cuda_set_error("cuda: out of device memory for a %.1f MiB program buffer",
                                     cap * 4.0 / 1048576.0);
        }
        ev->pool_cap[best] = cap;
    }
    ev->pool_used[best] = 1;
    return best;
}

static void pool_release(zc_gpu_eval *ev, int buf) {
    if (buf >= 0) ev->pool_used[buf] = 0;
}

/* reduction scratch, and room for n_results (program, layer) values */
static int ensure_buffers(zc_gpu_eval *ev, size_t n_results) {
    if (!ev->partials)
        CUDA_CHECK(cudaMalloc((void **)&ev->partials, sizeof(double) * ZC_GEK_PARTIALS));
    if (n_results > ev->results_cap) {
        CUDA_CHECK(cudaStreamSynchronize(ev->stream));
        if (ev->results) cudaFree(ev->results);
        ev->results = NULL;
        ev->results_cap = 0;
        CUDA_CHECK(cudaMalloc((void **)&ev->results, sizeof(double) * n_results));
        ev->results_cap = n_results;
        ev->host_results = (double *)zc_realloc(ev->host_results, sizeof(double) * n_results);
    }
    return 0;
}

/* ---- launches of one operation ----------------------------------------------------- */

/* the kernels' ZC_GEK_F_* function of a pointwise opcode */
static int kernel_fn(int op) {
    switch (op) {
    case ZC_OP_LOG: return ZC_GEK_F_LOG;
    case ZC_OP_ABSLOG: return ZC_GEK_F_ABSLOG;
    case ZC_OP_ABS: return ZC_GEK_F_ABS;
    case ZC_OP_SQUARE: return ZC_GEK_F_SQUARE;
    case ZC_OP_EXP: return ZC_GEK_F_EXP;
    case ZC_OP_RELU: return ZC_GEK_F_RELU;
    case ZC_OP_SIGN: return ZC_GEK_F_SIGN;
    case ZC_OP_HEAVISIDE: case ZC_OP_POS_MASK: return ZC_GEK_F_POSITIVE;
    case ZC_OP_NEG_MASK: return ZC_GEK_F_NEGATIVE;
    case ZC_OP_RECIPROCAL: return ZC_GEK_F_RECIPROCAL;
    case ZC_OP_SIGMOID: return ZC_GEK_F_SIGMOID;
    case ZC_OP_ONES_LIKE: return ZC_GEK_F_ONE;
    case ZC_OP_ZEROS_LIKE: return ZC_GEK_F_ZERO;
    case ZC_OP_ADD: return ZC_GEK_F_ADD;
    case ZC_OP_SUB: return ZC_GEK_F_SUB;
    case ZC_OP_MUL: return ZC_GEK_F_MUL;
    case ZC_OP_LT: return ZC_GEK_F_LT;
    case ZC_OP_GT: return ZC_GEK_F_GT;
    default: return ZC_GEK_F_EQ;
    }
}

/* reduce(chain(a)) with the evaluator's scratch */
static int reduce(zc_gpu_eval *ev, const float *a, const float *b, int64_t n,
                  const zc_gek_chain *chain, int mode, int fin, float *out_f, double *out_d) {
    CUDA_CHECK(zc_gek_reduce(ev->stream, a, b, n, chain, mode, fin, ev->partials, out_f, out_d));
    return 0;
}

/* padded 4-d shape and broadcast element strides (0 on broadcast dims) */
static void pad4(const zc_tensor *t, int64_t sh[4], int64_t st[4]) {
    int64_t s = 1;
    for (int i = 3; i >= 0; i--) {
        int ti = t->ndim - 4 + i;
        sh[i] = ti >= 0 ? t->shape[ti] : 1;
        st[i] = sh[i] == 1 ? 0 : s;
        s *= sh[i];
    }
}

static int launch_binary(zc_gpu_eval *ev, int op, const zc_tensor *a, const zc_tensor *b,
                         zc_tensor *out) {
    int64_t os[4], unused[4], sa[4], sb[4];
    pad4(out, os, unused);
    pad4(a, unused, sa);
    pad4(b, unused, sb);
    CUDA_CHECK(zc_gek_binary_broadcast(ev->stream, kernel_fn(op), a->data, b->data, out->data,
                                       zc_tensor_numel(out), os, sa, sb));
    return 0;
}

/* matmul as primitives.c (geometry re-derived): cuBLAS strided batched */
static int launch_matmul(zc_gpu_eval *ev, const zc_tensor *a, const zc_tensor *b,
                         zc_tensor *out) {
    int64_t m = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
    int64_t k = a->shape[a->ndim - 1];
    int64_t nn = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    zc_tensor ba, bb, bo;
    memset(&ba, 0, sizeof ba);
    memset(&bb, 0, sizeof bb);
    ba.ndim = a->ndim > 2 ? a->ndim - 2 : 0;
    bb.ndim = b->ndim > 2 ? b->ndim - 2 : 0;
    for (int i = 0; i < ba.ndim; i++) ba.shape[i] = a->shape[i];
    for (int i = 0; i < bb.ndim; i++) bb.shape[i] = b->shape[i];
    if (zc_prim_broadcast_shape(&ba, &bb, &bo)) return efail(ev, "matmul: batch dims");
    int64_t batch[2], a_bs[2], b_bs[2];
    for (int i = 0; i < 2; i++) {
        int oi = bo.ndim - 2 + i;
        batch[i] = oi >= 0 ? bo.shape[oi] : 1;
    }
    int64_t sa = m * k, sb = k * nn;
    for (int i = 1; i >= 0; i--) {
        int ia = ba.ndim - 2 + i, ib = bb.ndim - 2 + i;
        int64_t da = ia >= 0 ? ba.shape[ia] : 1, db = ib >= 0 ? bb.shape[ib] : 1;
        a_bs[i] = da == 1 ? 0 : sa;
        b_bs[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
    }
    const float one = 1.0f, zero = 0.0f;
    float *o = out->data;
    for (int64_t i0 = 0; i0 < batch[0]; i0++) {
        const float *pa = a->data + i0 * a_bs[0], *pb = b->data + i0 * b_bs[0];
        /* row-major C (m,n) = A B  <=>  column-major C' (n,m) = B' A' */
        CUBLAS_CHECK(cublasSgemmStridedBatched(
            ev->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)nn, (int)m, (int)k, &one, pb, (int)nn,
            (long long)b_bs[1], pa, (int)k, (long long)a_bs[1], &zero, o, (int)nn,
            (long long)(m * nn), (int)batch[1]));
        o += batch[1] * m * nn;
    }
    return 0;
}

static int launch_det(zc_gpu_eval *ev, int op, const zc_tensor *a, zc_tensor *out) {
    int64_t na = zc_tensor_numel(a);
    int64_t dim = a->shape[a->ndim - 1];
    int scratch = pool_acquire(ev, (size_t)(2 * na + 2));
    if (scratch < 0) return -1;
    CUDA_CHECK(zc_gek_det(ev->stream, a->data, na / (dim * dim), (int)dim,
                          (double *)ev->pool[scratch], out->data, op == ZC_OP_LOGDET));
    pool_release(ev, scratch); /* stream order: later writers run after the kernel */
    return 0;
}

/* the launches computing NODE step st's result res from a and b */
static int launch_op(zc_gpu_eval *ev, const zc_plan_step *st, const zc_tensor *a,
                     const zc_tensor *b, zc_tensor *res) {
    int64_t na = zc_tensor_numel(a);
    zc_gek_chain chain;
    memset(&chain, 0, sizeof chain);
    switch (st->code) {
    case ZC_OP_ADD: case ZC_OP_SUB: case ZC_OP_MUL: case ZC_OP_LT: case ZC_OP_GT: case ZC_OP_EQ:
        return launch_binary(ev, st->code, a, b, res);
    case ZC_OP_MATMUL:
        if (a->ndim == 0 || b->ndim == 0) return launch_binary(ev, ZC_OP_MUL, a, b, res);
        return launch_matmul(ev, a, b, res);
    case ZC_OP_HAMMING:
        return reduce(ev, a->data, b->data, na, &chain, ZC_GEK_HAMMING, ZC_GEK_SUM_F, res->data,
                      NULL);
    case ZC_OP_FROBENIUS:
        return reduce(ev, a->data, NULL, na, &chain, ZC_GEK_SQ_SUM, ZC_GEK_SQRT_F, res->data, NULL);
    case ZC_OP_MEAN:
        return reduce(ev, a->data, NULL, na, &chain, ZC_GEK_SUM, ZC_GEK_MEAN_F, res->data, NULL);
    case ZC_OP_MEAN_ABS:
        return reduce(ev, a->data, NULL, na, &chain, ZC_GEK_ABS_SUM, ZC_GEK_MEAN_F, res->data,
                      NULL);
    case ZC_OP_NUMEL: CUDA_CHECK(zc_gek_set(ev->stream, res->data, (float)na)); return 0;
    case ZC_OP_NORMALIZE:
        CUDA_CHECK(zc_gek_normalize(ev->stream, a->data, res->data, na, ev->partials));
        return 0;
    case ZC_OP_DET: case ZC_OP_LOGDET: return launch_det(ev, st->code, a, res);
    default:
        if (!zc_op_is_elementwise(st->code) || st->arity != 1)
            return node_fail(ev, st, "no GPU path (internal: should have fallen back)");
        chain.n = 1;
        chain.fn[0] = (unsigned char)kernel_fn(st->code);
        chain.kind[0] = ZC_GEK_UNARY;
        CUDA_CHECK(zc_gek_chain_map(ev->stream, a->data, res->data, na, &chain));
        return 0;
    }
}

/* ---- steps ----------------------------------------------------------------------------- */

static int run_terminal(zc_gpu_eval *ev, const zc_plan_step *st, const zc_layer_stats *layer,
                        zc_plan_value *slot) {
    const zc_tensor *t = &layer->t[st->code];
    if (!t->data) return node_fail(ev, st, "terminal not held for this layer");
    slot[st->slot].t = *t;
    slot[st->slot].buf = -1;
    ev->counters.nodes++;
    ev->counters.terminal_bytes += (uint64_t)zc_tensor_numel(t) * sizeof(float);
    return 0;
}

/* a NODE step, or a LINK run on its own */
static int run_node(zc_gpu_eval *ev, const zc_plan_step *st, zc_plan_value *slot) {
    zc_plan_value *a = &slot[st->slot], *b = st->arity == 2 ? &slot[st->slot + 1] : NULL;
    zc_tensor res;
    char why[160];
    if (zc_prim_shape(st->code, &a->t, b ? &b->t : NULL, &res, why, sizeof why))
        return node_fail(ev, st, why);
    int64_t n = zc_tensor_numel(&res);
    int buf = zc_plan_result_buffer(st, a, b, &res);
    if (buf < 0) buf = pool_acquire(ev, (size_t)n);
    if (buf < 0) return -1;
    res.data = ev->pool[buf];
    if (launch_op(ev, st, &a->t, b ? &b->t : NULL, &res)) return -1;
    if (a->buf != buf) pool_release(ev, a->buf);
    if (b && b->buf != buf) pool_release(ev, b->buf);
    a->t = res;
    a->buf = buf;
    ev->counters.nodes++;
    ev->counters.elements += (uint64_t)n;
    return 0;
}

/* how a chain step returned */
enum { CHAIN_DONE, CHAIN_FUSED_REDUCTION, CHAIN_ROOT_VALUE };

/* the kernel chain of stretch s; the pool buffers of its one-element
 * operands into scalar_buf (released once the chain is enqueued: the
 * kernel reads them) */
static int kernel_chain(const zc_plan_step *chain, const zc_plan_stretch *s,
                        const zc_plan_value *slot, zc_gek_chain *c, int *scalar_buf) {
    int n_scalar = 0;
    memset(c, 0, sizeof *c);
    for (const zc_plan_step *l = chain + 1 + s->first; l <= chain + s->next; l++, c->n++) {
        int scalar_slot, kind = zc_plan_fused_kind(s, chain, l, &scalar_slot);
        c->fn[c->n] = (unsigned char)kernel_fn(l->code);
        c->kind[c->n] = kind == ZC_PLAN_UNARY          ? ZC_GEK_UNARY
                        : kind == ZC_PLAN_SCALAR_RIGHT ? ZC_GEK_SCALAR_RIGHT
                                                       : ZC_GEK_SCALAR_LEFT;
        if (kind == ZC_PLAN_UNARY) continue;
        c->scalar[c->n] = slot[scalar_slot].t.data;
        scalar_buf[n_scalar++] = slot[scalar_slot].buf;
    }
    return n_scalar;
}

/* the end of a fused stretch: mapped into a buffer, or reduced on the fly
 * when it ends the chain's run and the run feeds the root (result given)
 * or a mean / mean_abs / frobenius; returns CHAIN_* or -1 */
static int finish_stretch(zc_gpu_eval *ev, int end, const zc_gek_chain *c, zc_plan_value *in,
                          double *result, int *out_buf) {
    int64_t n = zc_tensor_numel(&in->t);
    if (end == ZC_PLAN_END_ROOT && result) {
        if (reduce(ev, in->t.data, NULL, n, c, ZC_GEK_SUM, ZC_GEK_MEAN_D, NULL, result)) return -1;
        return CHAIN_ROOT_VALUE;
    }
    if (end == ZC_PLAN_END_MEAN || end == ZC_PLAN_END_MEAN_ABS || end == ZC_PLAN_END_FROBENIUS) {
        int mode = end == ZC_PLAN_END_MEAN       ? ZC_GEK_SUM
                   : end == ZC_PLAN_END_MEAN_ABS ? ZC_GEK_ABS_SUM
                                                 : ZC_GEK_SQ_SUM;
        int b = pool_acquire(ev, 1);
        if (b < 0) return -1;
        if (reduce(ev, in->t.data, NULL, n, c, mode,
                   end == ZC_PLAN_END_FROBENIUS ? ZC_GEK_SQRT_F : ZC_GEK_MEAN_F, ev->pool[b], NULL))
            return -1;
        pool_release(ev, in->buf);
        in->t.ndim = 0;
        *out_buf = b;
        ev->counters.nodes++;
        ev->counters.elements += 1;
        return CHAIN_FUSED_REDUCTION;
    }
    int b = in->buf >= 0 ? in->buf : pool_acquire(ev, (size_t)n);
    if (b < 0) return -1;
    CUDA_CHECK(zc_gek_chain_map(ev->stream, in->t.data, ev->pool[b], n, c));
    *out_buf = b;
    return CHAIN_DONE;
}

/* one fused stretch (see finish_stretch) */
static int run_stretch(zc_gpu_eval *ev, const zc_plan_step *chain, const zc_plan_stretch *s,
                       zc_plan_value *slot, double *result) {
    zc_gek_chain c;
    int scalar_buf[ZC_GEK_MAX_STEPS], b = -1;
    int n_scalar = kernel_chain(chain, s, slot, &c, scalar_buf);
    zc_plan_value *in = &slot[s->input];
    ev->counters.nodes += (uint64_t)c.n;
    ev->counters.elements += (uint64_t)zc_tensor_numel(&in->t) * (uint64_t)c.n;
    int end = s->ends_run ? chain->end : (int)ZC_PLAN_END_NONE;
    int rc = finish_stretch(ev, end, &c, in, result, &b);
    if (rc != CHAIN_DONE && rc != CHAIN_FUSED_REDUCTION) return rc;
    for (int k = 0; k < n_scalar; k++) pool_release(ev, scalar_buf[k]);
    slot[s->out].t = in->t;
    slot[s->out].t.data = ev->pool[b];
    slot[s->out].buf = b;
    return rc;
}

/* a CHAIN step: its run as stretches of at most ZC_GEK_MAX_STEPS links (a
 * link with no one-element operand that would start one runs as a node) */
static int run_chain(zc_gpu_eval *ev, const zc_plan_step *chain, zc_plan_value *slot,
                     double *result) {
    zc_plan_stretch s;
    for (int k = 0; k < chain->n_links; k = s.next) {
        zc_plan_resolve_stretch(chain, k, slot, ZC_GEK_MAX_STEPS, &s);
        if (s.input < 0) {
            if (run_node(ev, chain + 1 + k, slot)) return -1;
            continue;
        }
        int rc = run_stretch(ev, chain, &s, slot, result);
        if (rc != CHAIN_DONE) return rc;
    }
    return CHAIN_DONE;
}

/* Run a plan on one layer: its root's mean into *result (a device double)
 * when result is given, else its output tensor (device data) into *out.
 * Returns 0, or -1 (an invalid program, or a CUDA failure: zc_cuda_failed). */
static int run_plan(zc_gpu_eval *ev, const zc_plan_step *step, int n_steps,
                    const zc_layer_stats *layer, double *result, zc_tensor *out) {
    zc_plan_value slot[ZC_PROG_MAX_LEN + 1];
    for (int i = 0; i < ev->pool_n; i++) ev->pool_used[i] = 0;
    ev->counters.programs_layers++;
    for (int s = 0; s < n_steps;) {
        const zc_plan_step *st = &step[s];
        int rc;
        switch (st->kind) {
        case ZC_PLAN_TERMINAL: rc = run_terminal(ev, st, layer, slot); break;
        case ZC_PLAN_NODE: rc = run_node(ev, st, slot); break;
        default: rc = run_chain(ev, st, slot, result); break;
        }
        if (rc < 0) return -1;
        if (rc == CHAIN_ROOT_VALUE) return 0;
        s += st->kind == ZC_PLAN_CHAIN ? 1 + st->n_links + (rc == CHAIN_FUSED_REDUCTION) : 1;
    }
    if (result) {
        zc_gek_chain none;
        memset(&none, 0, sizeof none);
        return reduce(ev, slot[0].t.data, NULL, zc_tensor_numel(&slot[0].t), &none, ZC_GEK_SUM,
                      ZC_GEK_MEAN_D, NULL, result);
    }
    *out = slot[0].t;
    return 0;
}

/* ---- whole programs ------------------------------------------------------------------- */

/* host copy of device statistics for the CPU fallback */
static int download_stats(zc_gpu_eval *ev, const zc_gpu_stats *dev, zc_arch_stats *host) {
    memset(host, 0, sizeof *host);
    host->n_layers = dev->n_layers;
    host->layers = (zc_layer_stats *)zc_calloc((size_t)(dev->n_layers ? dev->n_layers : 1),
                                               sizeof(zc_layer_stats));
    CUDA_CHECK(cudaStreamSynchronize(ev->stream));
    for (int l = 0; l < dev->n_layers; l++) {
        host->layers[l] = dev->layers[l];
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            const zc_tensor *src = &dev->layers[l].t[t];
            host->layers[l].t[t].data = NULL;
            if (!src->data) continue;
            size_t bytes = sizeof(float) * (size_t)zc_tensor_numel(src);
            host->layers[l].t[t].data = (float *)zc_malloc(bytes);
            CUDA_CHECK(cudaMemcpy(host->layers[l].t[t].data, src->data, bytes,
                                  cudaMemcpyDeviceToHost));
        }
    }
    return 0;
}

/* scores of the programs alive[k] marks from their layer values on the
 * device (NaN when a layer value is not finite) */
static int read_scores(zc_gpu_eval *ev, int n, int nl, const unsigned char *alive,
                       double *scores) {
    CUDA_CHECK(cudaMemcpyAsync(ev->host_results, ev->results, sizeof(double) * (size_t)n * nl,
                               cudaMemcpyDeviceToHost, ev->stream));
    CUDA_CHECK(cudaStreamSynchronize(ev->stream));
    for (int k = 0; k < n; k++) {
        if (!alive[k]) continue;
        double sum = 0;
        int ok = 1;
        for (int l = 0; l < nl && ok; l++) {
            double v = ev->host_results[(size_t)k * nl + l];
            ok = isfinite(v);
            sum += v;
        }
        scores[k] = ok ? sum / nl : NAN;
    }
    return 0;
}

/* scores of the programs on_gpu[k] marks: every plan on every layer
 * (layer-major, as zc_eval_programs), the layer values read back once */
static int score_on_gpu(zc_gpu_eval *ev, const zc_program *progs, int n, const zc_gpu_stats *dev,
                        const unsigned char *on_gpu, double *scores) {
    int nl = dev->n_layers, n_steps, rc = 0;
    zc_plan_batch_compile(&ev->batch, progs, n, ev->fusion);
    unsigned char *alive = (unsigned char *)zc_calloc((size_t)n, 1);
    for (int k = 0; k < n; k++)
        alive[k] = on_gpu[k] && nl > 0 && zc_plan_batch_steps(&ev->batch, k, &n_steps) != NULL;
    for (int l = 0; l < nl && !rc; l++)
        for (int k = 0; k < n; k++) {
            if (!alive[k]) continue;
            const zc_plan_step *step = zc_plan_batch_steps(&ev->batch, k, &n_steps);
            if (run_plan(ev, step, n_steps, &dev->layers[l], ev->results + (size_t)k * nl + l,
                         NULL) == 0)
                continue;
            if (zc_cuda_failed()) {
                rc = -1;
                break;
            }
            alive[k] = 0; /* invalid on this layer: invalid on the network */
        }
    if (!rc) rc = read_scores(ev, n, nl, alive, scores);
    free(alive);
    return rc;
}

/* scores of the n_cpu programs on_gpu[k] does not mark, by the CPU
 * evaluator on host (or a download of dev) */
static int score_on_cpu(zc_gpu_eval *ev, const zc_program *progs, int n, const zc_gpu_stats *dev,
                        const zc_arch_stats *host, const unsigned char *on_gpu, int n_cpu,
                        double *scores) {
    zc_arch_stats local;
    const zc_arch_stats *h = host ? host : &local;
    int rc = host ? 0 : download_stats(ev, dev, &local);
    if (!rc) {
        zc_program *cpu_progs = (zc_program *)zc_malloc(sizeof(zc_program) * (size_t)n_cpu);
        double *cpu_scores = (double *)zc_malloc(sizeof(double) * (size_t)n_cpu);
        int m = 0;
        for (int k = 0; k < n; k++)
            if (!on_gpu[k]) cpu_progs[m++] = progs[k];
        zc_eval_programs(ev->cpu, cpu_progs, n_cpu, h, cpu_scores);
        m = 0;
        for (int k = 0; k < n; k++)
            if (!on_gpu[k]) scores[k] = cpu_scores[m++];
        free(cpu_progs);
        free(cpu_scores);
    }
    if (!host) {
        local.arch_str = NULL;
        zc_arch_stats_free(&local);
    }
    return rc;
}

/* zc_gpu_eval_programs without the error bookkeeping */
static int eval_programs(zc_gpu_eval *ev, const zc_program *progs, int n, const zc_gpu_stats *dev,
                         const zc_arch_stats *host, double *scores, int *n_gpu, int *n_cpu) {
    int nl = dev->n_layers, ng = 0;
    CUDA_CHECK(cudaSetDevice(zc_gpu_ctx_device(ev->ctx)));
    if (ensure_buffers(ev, (size_t)n * (size_t)(nl > 0 ? nl : 1))) return -1;
    unsigned char *on_gpu = (unsigned char *)zc_calloc((size_t)n, 1);
    for (int k = 0; k < n; k++) {
        on_gpu[k] = (unsigned char)zc_gpu_program_supported(&progs[k]);
        ng += on_gpu[k];
    }
    int rc = ng > 0 ? score_on_gpu(ev, progs, n, dev, on_gpu, scores) : 0;
    if (!rc && ng < n) rc = score_on_cpu(ev, progs, n, dev, host, on_gpu, n - ng, scores);
    free(on_gpu);
    if (n_gpu) *n_gpu = ng;
    if (n_cpu) *n_cpu = n - ng;
    return rc;
}

/* the end of a public entry point: a CUDA failure's message as ev's */
static int finish_call(zc_gpu_eval *ev, int rc) {
    if (rc && zc_cuda_failed()) snprintf(ev->err, sizeof ev->err, "%s", zc_cuda_last_error());
    return rc;
}

extern "C" int zc_gpu_eval_programs(zc_gpu_eval *ev, const zc_program *progs, int n,
                                    const zc_gpu_stats *dev, const zc_arch_stats *host,
                                    double *scores, int *n_gpu, int *n_cpu) {
    ev->err[0] = 0;
    zc_cuda_clear_error();
    for (int k = 0; k < n; k++) scores[k] = NAN;
    if (n <= 0) return 0;
    int rc = eval_programs(ev, progs, n, dev, host, scores, n_gpu, n_cpu);
    if (rc)
        for (int k = 0; k < n; k++) scores[k] = NAN;
    return finish_call(ev, rc);
}

/* bytes of device memory src into host memory dst, after the stream's work */
static int download(zc_gpu_eval *ev, void *dst, const void *src, size_t bytes) {
    CUDA_CHECK(cudaStreamSynchronize(ev->stream));
    CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
    return 0;
}

/* zc_gpu_eval_layer_tensor without the error bookkeeping */
static int layer_tensor(zc_gpu_eval *ev, const zc_program *p, const zc_layer_stats *dev_layer,
                        zc_tensor *out) {
    if (!zc_gpu_program_supported(p)) return efail(ev, "program has no GPU path");
    CUDA_CHECK(cudaSetDevice(zc_gpu_ctx_device(ev->ctx)));
    if (ensure_buffers(ev, 1)) return -1;
    int n_steps;
    zc_plan_batch_compile(&ev->single, p, 1, ev->fusion);
    const zc_plan_step *step = zc_plan_batch_steps(&ev->single, 0, &n_steps);
    if (!step) {
        ev->counters.programs_layers++;
        return efail(ev, "malformed program");
    }
    zc_tensor t;
    if (run_plan(ev, step, n_steps, dev_layer, NULL, &t)) return -1;
    size_t bytes = sizeof(float) * (size_t)zc_tensor_numel(&t);
    float *data = (float *)zc_malloc(bytes ? bytes : 1);
    if (download(ev, data, t.data, bytes)) {
        free(data);
        return -1;
    }
    *out = t;
    out->data = data;
    return 0;
}

extern "C" int zc_gpu_eval_layer_tensor(zc_gpu_eval *ev, const zc_program *p,
                                        const zc_layer_stats *dev_layer, zc_tensor *out) {
    ev->err[0] = 0;
    zc_cuda_clear_error();
    return finish_call(ev, layer_tensor(ev, p, dev_layer, out));
}
