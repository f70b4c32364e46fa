/* gpu_eval.cu: program evaluation on device-resident statistics (see
 * gpu_eval.h). A host-side stack interpreter, the same walk as
 * common/evaluator.c (shape checks by zc_prim_shape, identical fusion
 * rules), launching device kernels; 0-d operands of fused chains are read
 * by the kernels through device pointers, so nothing synchronises until
 * the per-(program, layer) values are copied back once per call. */
#include "kernels/cuda/gpu_eval.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "common/program/primitives.h"
#include "common/util/util.h"
}

#define GE_THREADS 256
#define GE_MAX_BLOCKS 1024
#define GE_MAX_STEPS 48
#define GE_POOL_MAX (ZC_PROG_MAX_LEN + 8)

enum { STEP_UNARY, STEP_SCALAR_RIGHT, STEP_SCALAR_LEFT };
enum { R_SUM, R_ABS_SUM, R_SQ_SUM, R_CENTERED_SQ, R_HAMMING };
enum { FIN_MEAN_F, FIN_SQRT_F, FIN_SUM_F, FIN_MEAN_D, FIN_SUM_D };

typedef struct {
    int ns;
    unsigned char op[GE_MAX_STEPS];
    unsigned char kind[GE_MAX_STEPS];
    const float *s[GE_MAX_STEPS]; /* device pointer to the 0-d operand */
} ge_chain;

/* ---- device code ---------------------------------------------------------- */

__device__ __forceinline__ float ge_unary(int op, float x) {
    switch (op) {
    case ZC_OP_LOG: return x <= 0.0f ? 0.0f : logf(x);
    case ZC_OP_ABSLOG: return x == 0.0f ? 0.0f : fabsf(logf(fabsf(x)));
    case ZC_OP_ABS: return fabsf(x);
    case ZC_OP_SQUARE: return x * x;
    case ZC_OP_EXP: return expf(x);
    case ZC_OP_RELU: return x < 0.0f ? 0.0f : x;
    case ZC_OP_SIGN: return (float)((x > 0.0f) - (x < 0.0f));
    case ZC_OP_HEAVISIDE:
    case ZC_OP_POS_MASK: return x > 0.0f ? 1.0f : 0.0f;
    case ZC_OP_NEG_MASK: return x < 0.0f ? 1.0f : 0.0f;
    case ZC_OP_RECIPROCAL: return 1.0f / x;
    case ZC_OP_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case ZC_OP_ONES_LIKE: return 1.0f;
    case ZC_OP_ZEROS_LIKE: return 0.0f;
    default: return __int_as_float(0x7fc00000); /* unreachable: host checks */
    }
}

__device__ __forceinline__ float ge_binary(int op, float x, float y) {
    switch (op) {
    case ZC_OP_ADD: return x + y;
    case ZC_OP_SUB: return x - y;
    case ZC_OP_MUL: return x * y;
    case ZC_OP_LT: return x < y ? 1.0f : 0.0f;
    case ZC_OP_GT: return x > y ? 1.0f : 0.0f;
    case ZC_OP_EQ: return x == y ? 1.0f : 0.0f;
    default: return __int_as_float(0x7fc00000);
    }
}

__device__ __forceinline__ float ge_apply(const ge_chain &c, float v) {
    for (int k = 0; k < c.ns; k++) {
        int op = c.op[k];
        if (c.kind[k] == STEP_UNARY) v = ge_unary(op, v);
        else if (c.kind[k] == STEP_SCALAR_RIGHT) v = ge_binary(op, v, *c.s[k]);
        else v = ge_binary(op, *c.s[k], v);
    }
    return v;
}

__device__ __forceinline__ float ge_to_float(double v) {
    if (v > 3.4028234663852886e38) return __int_as_float(0x7f800000);
    if (v < -3.4028234663852886e38) return __int_as_float(0xff800000);
    return (float)v;
}

__global__ void k_chain_map(const float *__restrict__ in, float *out, int64_t n, ge_chain c) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x)
        out[i] = ge_apply(c, in[i]);
}

/* block sum of doubles into partials[blockIdx.x] (fixed order) */
__device__ void ge_block_sum(double v, double *partials) {
    __shared__ double sh[GE_THREADS / 32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < GE_THREADS / 32 ? sh[threadIdx.x] : 0.0;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
        if (threadIdx.x == 0) partials[blockIdx.x] = v;
    }
}

__global__ void k_chain_reduce(const float *__restrict__ a, const float *__restrict__ b, int64_t n,
                               ge_chain c, int mode, const double *center, double *partials) {
    double acc = 0.0;
    double mean = mode == R_CENTERED_SQ ? center[0] : 0.0;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        float v = ge_apply(c, a[i]);
        switch (mode) {
        case R_SUM: acc += (double)v; break;
        case R_ABS_SUM: acc += (double)fabsf(v); break;
        case R_SQ_SUM: acc += (double)v * (double)v; break;
        case R_CENTERED_SQ: {
            double d = (double)v - mean;
            acc += d * d;
            break;
        }
        default: acc += (double)((v > 0.0f) != (b[i] > 0.0f)); break;
        }
    }
    ge_block_sum(acc, partials);
}

/* one block: sum partials in a fixed order and finish */
__global__ void k_finish(const double *partials, int nb, int fin, double n, float *out_f,
                         double *out_d) {
    __shared__ double sh[GE_THREADS];
    double v = 0.0;
    for (int i = threadIdx.x; i < nb; i += GE_THREADS) v += partials[i];
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = GE_THREADS / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x) return;
    double t = sh[0];
    switch (fin) {
    case FIN_MEAN_F: out_f[0] = ge_to_float(t / n); break;
    case FIN_SQRT_F: out_f[0] = ge_to_float(sqrt(t)); break;
    case FIN_SUM_F: out_f[0] = (float)t; break;
    case FIN_MEAN_D: out_d[0] = t / n; break;
    default: out_d[0] = t; break;
    }
}

/* normalize: stats[0] = sum, stats[1] = centred sum of squares */
__global__ void k_mean_of(double *stats, double n) { stats[2] = stats[0] / n; }

__global__ void k_normalize_map(const float *in, float *out, int64_t n, const double *stats) {
    double mean = stats[2];
    double var = n > 1 ? stats[1] / (double)(n - 1) : __longlong_as_double(0x7ff8000000000000LL);
    float meanf = ge_to_float(mean), stdf = ge_to_float(sqrt(var));
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        float v = (in[i] - meanf) / stdf;
        out[i] = v != v ? 0.0f : v;
    }
}

typedef struct {
    int64_t os[4], sa[4], sb[4];
} ge_bcast;

__global__ void k_binary_bcast(int op, const float *a, const float *b, float *out, int64_t n,
                               ge_bcast g) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = i;
        int64_t i3 = r % g.os[3]; r /= g.os[3];
        int64_t i2 = r % g.os[2]; r /= g.os[2];
        int64_t i1 = r % g.os[1]; int64_t i0 = r / g.os[1];
        float x = a[i0 * g.sa[0] + i1 * g.sa[1] + i2 * g.sa[2] + i3 * g.sa[3]];
        float y = b[i0 * g.sb[0] + i1 * g.sb[1] + i2 * g.sb[2] + i3 * g.sb[3]];
        out[i] = ge_binary(op, x, y);
    }
}

__global__ void k_set(float *out, float v) { out[0] = v; }

/* det / logdet: one matrix per thread, LU with partial pivoting in double in
 * global scratch (as primitives.c's lu_logabs) */
__global__ void k_det(const float *a, int64_t batch, int n, double *scratch, float *out, int logdet) {
    int64_t bi = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (bi >= batch) return;
    const float *src = a + bi * n * n;
    double *m = scratch + bi * n * n;
    int finite = 1;
    for (int i = 0; i < n * n; i++) {
        m[i] = src[i];
        if (!isfinite(src[i])) finite = 0;
    }
    int sign = 1;
    double la = 0.0;
    for (int k = 0; k < n && sign != 0; k++) {
        int p = k;
        double best = fabs(m[k * n + k]);
        for (int i = k + 1; i < n; i++) {
            double v = fabs(m[i * n + k]);
            if (v > best) { best = v; p = i; }
        }
        if (p != k) {
            for (int j = 0; j < n; j++) {
                double t = m[k * n + j];
                m[k * n + j] = m[p * n + j];
                m[p * n + j] = t;
            }
            sign = -sign;
        }
        double piv = m[k * n + k];
        if (piv == 0.0) { la = -INFINITY; sign = 0; break; }
        if (piv < 0) sign = -sign;
        la += log(fabs(piv));
        for (int i = k + 1; i < n; i++) {
            double f = m[i * n + k] / piv;
            if (f == 0.0) continue;
            for (int j = k + 1; j < n; j++) m[i * n + j] -= f * m[k * n + j];
        }
    }
    float r;
    const float qnan = __int_as_float(0x7fc00000);
    if (!logdet) {
        if (!finite || la != la) r = qnan;
        else if (sign == 0) r = 0.0f;
        else r = ge_to_float(sign * exp(la));
    } else {
        if (la != la || !finite) r = 0.0f;
        else if (sign == 0) r = -INFINITY;
        else if (sign < 0) r = 0.0f;
        else r = ge_to_float(la);
    }
    out[bi] = r;
}

/* ---- host side -------------------------------------------------------------- */

typedef struct {
    zc_tensor t; /* data: device pointer */
    int buf;     /* pool index, -1 when borrowed */
} dentry;

struct zc_gpu_eval {
    zc_gpu_ctx *ctx;
    cudaStream_t stream;
    cublasHandle_t blas;
    int fusion;
    float *pool[GE_POOL_MAX];
    size_t pool_cap[GE_POOL_MAX];
    unsigned char pool_used[GE_POOL_MAX];
    int pool_n;
    double *partials; /* GE_MAX_BLOCKS + 8 doubles */
    double *results;  /* per (program, layer) */
    size_t results_cap;
    double *host_results;
    zc_eval_ctx *cpu;
    zc_eval_counters counters;
    int cuda_failed;
    char err[256];
};

static int efail(zc_gpu_eval *ev, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->err, sizeof ev->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* a CUDA failure (not a program's invalidity): remembered in cuda_failed */
#define E_CUDA(call)                                                             \
    do {                                                                         \
        cudaError_t e_ = (call);                                                 \
        if (e_ != cudaSuccess) {                                                 \
            ev->cuda_failed = 1;                                                 \
            return efail(ev, "cuda: %s (line %d): %s", #call, __LINE__,          \
                         cudaGetErrorString(e_));                                \
        }                                                                        \
    } while (0)

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
            c == ZC_OP_ADD_NOISE)
            return 0;
    }
    return 1;
}

static unsigned ge_blocks(int64_t n) {
    int64_t b = (n + GE_THREADS * 4 - 1) / (GE_THREADS * 4);
    if (b < 1) b = 1;
    return (unsigned)(b > GE_MAX_BLOCKS ? GE_MAX_BLOCKS : b);
}

/* pool: a free device buffer of >= n floats (best fit, else grow) */
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
            if (ev->pool_n >= GE_POOL_MAX) return efail(ev, "internal: buffer pool exhausted");
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
            ev->cuda_failed = 1;
            return efail(ev, "cuda: out of device memory for a %.1f MiB program buffer",
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

static int same_shape(const zc_tensor *a, const zc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static int is_scalar_for(const zc_tensor *s, const zc_tensor *base) {
    return s->ndim <= base->ndim && zc_tensor_numel(s) == 1;
}

static int is_shape_preserving_unary(int op) {
    return (op >= ZC_OP_LOG && op <= ZC_OP_NEG_MASK) || op == ZC_OP_ADD_NOISE;
}

/* reduce(chain(a)) -> out_f[0] or out_d[0] according to fin */
static int launch_reduce(zc_gpu_eval *ev, const float *a, const float *b, int64_t n,
                         const ge_chain *c, int mode, const double *center, int fin, float *out_f,
                         double *out_d) {
    unsigned nb = ge_blocks(n);
    k_chain_reduce<<<nb, GE_THREADS, 0, ev->stream>>>(a, b, n, *c, mode, center, ev->partials);
    E_CUDA(cudaGetLastError());
    k_finish<<<1, GE_THREADS, 0, ev->stream>>>(ev->partials, (int)nb, fin, (double)n, out_f, out_d);
    E_CUDA(cudaGetLastError());
    return 0;
}

static void pad4(const zc_tensor *t, int64_t sh[4]) {
    for (int i = 0; i < 4; i++) {
        int ti = t->ndim - 4 + i;
        sh[i] = ti >= 0 ? t->shape[ti] : 1;
    }
}

static void bstrides(const zc_tensor *t, int64_t st[4]) {
    int64_t s = 1;
    for (int i = 3; i >= 0; i--) {
        int ti = t->ndim - 4 + i;
        int64_t d = ti >= 0 ? t->shape[ti] : 1;
        st[i] = d == 1 ? 0 : s;
        s *= d;
    }
}

static int launch_binary(zc_gpu_eval *ev, int op, const zc_tensor *a, const zc_tensor *b,
                         zc_tensor *out) {
    ge_bcast g;
    pad4(out, g.os);
    bstrides(a, g.sa);
    bstrides(b, g.sb);
    int64_t n = zc_tensor_numel(out);
    k_binary_bcast<<<ge_blocks(n) * 4 > GE_MAX_BLOCKS * 4 ? GE_MAX_BLOCKS * 4 : ge_blocks(n) * 4,
                     GE_THREADS, 0, ev->stream>>>(op, a->data, b->data, out->data, n, g);
    E_CUDA(cudaGetLastError());
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
        cublasStatus_t s = cublasSgemmStridedBatched(
            ev->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)nn, (int)m, (int)k, &one, pb, (int)nn,
            (long long)b_bs[1], pa, (int)k, (long long)a_bs[1], &zero, o, (int)nn,
            (long long)(m * nn), (int)batch[1]);
        if (s != CUBLAS_STATUS_SUCCESS) {
            ev->cuda_failed = 1;
            return efail(ev, "cublas: cublasSgemmStridedBatched: status %d", (int)s);
        }
        o += batch[1] * m * nn;
    }
    return 0;
}

static int node_fail(zc_gpu_eval *ev, int node, int code, const char *why) {
    return efail(ev, "node %d (%s): %s", node, zc_op_name(code), why);
}

/* Run p on one layer. Root value (mean) written to *slot (device double)
 * when slot is given; otherwise *out receives the output tensor (device).
 * Returns 0, or -1 (invalid program on this layer, or a CUDA failure). */
static int run_program(zc_gpu_eval *ev, const zc_program *p, const zc_layer_stats *layer,
                       double *slot, zc_tensor *out) {
    dentry stack[ZC_PROG_MAX_LEN + 1];
    int sp = 0;
    char why[160];
    for (int i = 0; i < ev->pool_n; i++) ev->pool_used[i] = 0;
    ev->counters.programs_layers++;
    if (!zc_program_valid(p)) return efail(ev, "malformed program");
    int len = p->len, i = 0;
    while (i < len) {
        int c = p->code[i];
        if (c < ZC_NUM_TERMINALS) {
            const zc_tensor *t = &layer->t[c];
            if (!t->data) return node_fail(ev, i, c, "terminal not held for this layer");
            stack[sp].t = *t;
            stack[sp].buf = -1;
            sp++;
            ev->counters.nodes++;
            ev->counters.terminal_bytes += (uint64_t)zc_tensor_numel(t) * sizeof(float);
            i++;
            continue;
        }
        int arity = zc_op_arity(c);

        /* ---- fused chain (same rules as evaluator.c) ---- */
        if (ev->fusion && zc_op_is_elementwise(c)) {
            ge_chain ch;
            memset(&ch, 0, sizeof ch);
            int deferred[ZC_PROG_MAX_LEN], nd = 0; /* scalar buffers read by the chain */
            int ok = 1;
            if (arity == 1) {
                ch.op[ch.ns] = (unsigned char)c;
                ch.kind[ch.ns++] = STEP_UNARY;
            } else {
                dentry *below = &stack[sp - 2], *top = &stack[sp - 1];
                if (is_scalar_for(&top->t, &below->t)) {
                    ch.op[ch.ns] = (unsigned char)c;
                    ch.kind[ch.ns] = STEP_SCALAR_RIGHT;
                    ch.s[ch.ns++] = top->t.data;
                    deferred[nd++] = top->buf;
                    sp--;
                } else if (is_scalar_for(&below->t, &top->t)) {
                    ch.op[ch.ns] = (unsigned char)c;
                    ch.kind[ch.ns] = STEP_SCALAR_LEFT;
                    ch.s[ch.ns++] = below->t.data;
                    deferred[nd++] = below->buf;
                    *below = *top;
                    sp--;
                } else ok = 0;
            }
            if (ok) {
                int j = i + 1;
                dentry *base = &stack[sp - 1];
                while (j < len && ch.ns < GE_MAX_STEPS) {
                    int cj = p->code[j];
                    if (!zc_op_is_elementwise(cj)) break;
                    if (zc_op_arity(cj) == 1) {
                        ch.op[ch.ns] = (unsigned char)cj;
                        ch.kind[ch.ns++] = STEP_UNARY;
                    } else {
                        if (sp < 2) break;
                        dentry *below = &stack[sp - 2];
                        if (!is_scalar_for(&below->t, &base->t)) break;
                        ch.op[ch.ns] = (unsigned char)cj;
                        ch.kind[ch.ns] = STEP_SCALAR_LEFT;
                        ch.s[ch.ns++] = below->t.data;
                        deferred[nd++] = below->buf;
                        *below = *base;
                        sp--;
                        base = &stack[sp - 1];
                    }
                    j++;
                }
                int64_t n = zc_tensor_numel(&base->t);
                ev->counters.nodes += (uint64_t)(j - i);
                ev->counters.elements += (uint64_t)n * (uint64_t)ch.ns;
                int next = j < len ? p->code[j] : -1;
                if (j == len && slot) {
                    if (launch_reduce(ev, base->t.data, NULL, n, &ch, R_SUM, NULL, FIN_MEAN_D, NULL,
                                      slot))
                        return -1;
                    return 0;
                }
                if (next == ZC_OP_MEAN || next == ZC_OP_MEAN_ABS || next == ZC_OP_FROBENIUS) {
                    int mode = next == ZC_OP_MEAN ? R_SUM : next == ZC_OP_MEAN_ABS ? R_ABS_SUM : R_SQ_SUM;
                    int fin = next == ZC_OP_FROBENIUS ? FIN_SQRT_F : FIN_MEAN_F;
                    int b = pool_acquire(ev, 1);
                    if (b < 0) return -1;
                    if (launch_reduce(ev, base->t.data, NULL, n, &ch, mode, NULL, fin, ev->pool[b], NULL))
                        return -1;
                    pool_release(ev, base->buf);
                    for (int k = 0; k < nd; k++) pool_release(ev, deferred[k]);
                    base->t.ndim = 0;
                    base->t.data = ev->pool[b];
                    base->buf = b;
                    ev->counters.nodes++;
                    ev->counters.elements += 1;
                    i = j + 1;
                    continue;
                }
                int b = base->buf >= 0 ? base->buf : pool_acquire(ev, (size_t)n);
                if (b < 0) return -1;
                k_chain_map<<<ge_blocks(n) * 4 > GE_MAX_BLOCKS * 4 ? GE_MAX_BLOCKS * 4 : ge_blocks(n) * 4,
                              GE_THREADS, 0, ev->stream>>>(base->t.data, ev->pool[b], n, ch);
                E_CUDA(cudaGetLastError());
                for (int k = 0; k < nd; k++) pool_release(ev, deferred[k]);
                base->t.data = ev->pool[b];
                base->buf = b;
                i = j;
                continue;
            }
        }

        /* ---- one node ---- */
        dentry *ea = &stack[sp - arity];
        dentry *eb = arity == 2 ? &stack[sp - 1] : NULL;
        zc_tensor res;
        if (zc_prim_shape(c, &ea->t, eb ? &eb->t : NULL, &res, why, sizeof why))
            return node_fail(ev, i, c, why);
        int64_t n = zc_tensor_numel(&res);
        int b;
        if (arity == 1 && is_shape_preserving_unary(c) && ea->buf >= 0) b = ea->buf;
        else if (arity == 2 && zc_op_is_elementwise(c) && ea->buf >= 0 && same_shape(&ea->t, &res))
            b = ea->buf;
        else if (arity == 2 && zc_op_is_elementwise(c) && eb->buf >= 0 && same_shape(&eb->t, &res))
            b = eb->buf;
        else b = pool_acquire(ev, (size_t)n);
        if (b < 0) return -1;
        res.data = ev->pool[b];
        int64_t na = zc_tensor_numel(&ea->t);
        ge_chain none;
        memset(&none, 0, sizeof none);
        int rc = 0;
        switch (c) {
        case ZC_OP_ADD: case ZC_OP_SUB: case ZC_OP_MUL: case ZC_OP_LT: case ZC_OP_GT: case ZC_OP_EQ:
            rc = launch_binary(ev, c, &ea->t, &eb->t, &res);
            break;
        case ZC_OP_MATMUL:
            if (ea->t.ndim == 0 || eb->t.ndim == 0) rc = launch_binary(ev, ZC_OP_MUL, &ea->t, &eb->t, &res);
            else rc = launch_matmul(ev, &ea->t, &eb->t, &res);
            break;
        case ZC_OP_HAMMING:
            rc = launch_reduce(ev, ea->t.data, eb->t.data, na, &none, R_HAMMING, NULL, FIN_SUM_F,
                               res.data, NULL);
            break;
        case ZC_OP_FROBENIUS:
        case ZC_OP_MEAN:
        case ZC_OP_MEAN_ABS:
            rc = launch_reduce(ev, ea->t.data, NULL, na, &none,
                               c == ZC_OP_MEAN ? R_SUM : c == ZC_OP_MEAN_ABS ? R_ABS_SUM : R_SQ_SUM,
                               NULL, c == ZC_OP_FROBENIUS ? FIN_SQRT_F : FIN_MEAN_F, res.data, NULL);
            break;
        case ZC_OP_NUMEL:
            k_set<<<1, 1, 0, ev->stream>>>(res.data, (float)na);
            E_CUDA(cudaGetLastError());
            break;
        case ZC_OP_NORMALIZE: {
            double *st = ev->partials + GE_MAX_BLOCKS;
            rc = launch_reduce(ev, ea->t.data, NULL, na, &none, R_SUM, NULL, FIN_SUM_D, NULL, st);
            if (!rc) {
                k_mean_of<<<1, 1, 0, ev->stream>>>(st, (double)na);
                E_CUDA(cudaGetLastError());
                rc = launch_reduce(ev, ea->t.data, NULL, na, &none, R_CENTERED_SQ, st + 2,
                                   FIN_SUM_D, NULL, st + 1);
            }
            if (!rc) {
                k_normalize_map<<<ge_blocks(na) * 4, GE_THREADS, 0, ev->stream>>>(ea->t.data, res.data,
                                                                                  na, st);
                E_CUDA(cudaGetLastError());
            }
            break;
        }
        case ZC_OP_DET:
        case ZC_OP_LOGDET: {
            int64_t dim = ea->t.shape[ea->t.ndim - 1];
            int64_t batch = na / (dim * dim);
            int sbuf = pool_acquire(ev, (size_t)(2 * na + 2));
            if (sbuf < 0) return -1;
            k_det<<<(unsigned)((batch + 127) / 128), 128, 0, ev->stream>>>(
                ea->t.data, batch, (int)dim, (double *)ev->pool[sbuf], res.data, c == ZC_OP_LOGDET);
            E_CUDA(cudaGetLastError());
            pool_release(ev, sbuf); /* stream order: later writers run after k_det */
            break;
        }
        default:
            if (zc_op_is_elementwise(c) && arity == 1) {
                ge_chain one;
                memset(&one, 0, sizeof one);
                one.ns = 1;
                one.op[0] = (unsigned char)c;
                one.kind[0] = STEP_UNARY;
                k_chain_map<<<ge_blocks(na) * 4, GE_THREADS, 0, ev->stream>>>(ea->t.data, res.data,
                                                                              na, one);
                E_CUDA(cudaGetLastError());
            } else {
                return node_fail(ev, i, c, "no GPU path (internal: should have fallen back)");
            }
        }
        if (rc) return -1;
        if (ea->buf != b) pool_release(ev, ea->buf);
        if (eb && eb->buf != b) pool_release(ev, eb->buf);
        sp -= arity;
        stack[sp].t = res;
        stack[sp].buf = b;
        sp++;
        ev->counters.nodes++;
        ev->counters.elements += (uint64_t)n;
        i++;
    }
    if (slot) {
        ge_chain none;
        memset(&none, 0, sizeof none);
        return launch_reduce(ev, stack[0].t.data, NULL, zc_tensor_numel(&stack[0].t), &none, R_SUM,
                             NULL, FIN_MEAN_D, NULL, slot);
    }
    *out = stack[0].t;
    return 0;
}

static int ensure_buffers(zc_gpu_eval *ev, size_t n_results) {
    if (!ev->partials) E_CUDA(cudaMalloc((void **)&ev->partials, sizeof(double) * (GE_MAX_BLOCKS + 8)));
    if (n_results > ev->results_cap) {
        E_CUDA(cudaStreamSynchronize(ev->stream));
        if (ev->results) cudaFree(ev->results);
        ev->results = NULL;
        ev->results_cap = 0;
        E_CUDA(cudaMalloc((void **)&ev->results, sizeof(double) * n_results));
        ev->results_cap = n_results;
        ev->host_results = (double *)zc_realloc(ev->host_results, sizeof(double) * n_results);
    }
    return 0;
}

/* host copy of device statistics for the CPU fallback */
static int download_stats(zc_gpu_eval *ev, const zc_gpu_stats *dev, zc_arch_stats *host) {
    memset(host, 0, sizeof *host);
    host->n_layers = dev->n_layers;
    host->layers = (zc_layer_stats *)zc_calloc((size_t)(dev->n_layers ? dev->n_layers : 1),
                                               sizeof(zc_layer_stats));
    E_CUDA(cudaStreamSynchronize(ev->stream));
    for (int l = 0; l < dev->n_layers; l++) {
        host->layers[l] = dev->layers[l];
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            const zc_tensor *src = &dev->layers[l].t[t];
            host->layers[l].t[t].data = NULL;
            if (!src->data) continue;
            size_t bytes = sizeof(float) * (size_t)zc_tensor_numel(src);
            host->layers[l].t[t].data = (float *)zc_malloc(bytes);
            E_CUDA(cudaMemcpy(host->layers[l].t[t].data, src->data, bytes, cudaMemcpyDeviceToHost));
        }
    }
    return 0;
}

extern "C" int zc_gpu_eval_programs(zc_gpu_eval *ev, const zc_program *progs, int n,
                                    const zc_gpu_stats *dev, const zc_arch_stats *host,
                                    double *scores, int *n_gpu, int *n_cpu) {
    int ng = 0, nc = 0;
    ev->err[0] = 0;
    ev->cuda_failed = 0;
    for (int k = 0; k < n; k++) scores[k] = NAN;
    int nl = dev->n_layers;
    if (n <= 0) return 0;
    if (cudaSetDevice(zc_gpu_ctx_device(ev->ctx)) != cudaSuccess) return efail(ev, "cudaSetDevice");
    if (ensure_buffers(ev, (size_t)n * (size_t)(nl > 0 ? nl : 1))) return -1;
    unsigned char *alive = (unsigned char *)zc_calloc((size_t)n, 1);
    unsigned char *on_gpu = (unsigned char *)zc_calloc((size_t)n, 1);
    for (int k = 0; k < n; k++) {
        on_gpu[k] = zc_gpu_program_supported(&progs[k]);
        alive[k] = nl > 0 && zc_program_valid(&progs[k]);
        if (on_gpu[k]) ng++;
        else nc++;
    }
    int rc = 0;
    /* layer-major, as zc_eval_programs */
    for (int l = 0; l < nl && !rc; l++)
        for (int k = 0; k < n; k++) {
            if (!alive[k] || !on_gpu[k]) continue;
            if (run_program(ev, &progs[k], &dev->layers[l], ev->results + (size_t)k * nl + l, NULL)) {
                if (ev->cuda_failed) {
                    rc = -1;
                    break;
                }
                alive[k] = 0; /* invalid on this layer: invalid on the network */
            }
        }
    if (!rc && ng > 0) {
        cudaError_t e = cudaMemcpyAsync(ev->host_results, ev->results, sizeof(double) * (size_t)n * nl,
                                        cudaMemcpyDeviceToHost, ev->stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(ev->stream);
        if (e != cudaSuccess) rc = efail(ev, "cuda: reading program results: %s", cudaGetErrorString(e));
    }
    if (!rc)
        for (int k = 0; k < n; k++) {
            if (!on_gpu[k] || !alive[k]) continue;
            double sum = 0;
            int ok = 1;
            for (int l = 0; l < nl; l++) {
                double v = ev->host_results[(size_t)k * nl + l];
                if (!isfinite(v)) {
                    ok = 0;
                    break;
                }
                sum += v;
            }
            scores[k] = ok ? sum / nl : NAN;
        }
    if (!rc && nc > 0) {
        zc_arch_stats local;
        const zc_arch_stats *h = host;
        if (!h) {
            if (download_stats(ev, dev, &local)) rc = -1;
            h = &local;
        }
        if (!rc) {
            zc_program *cpu_progs = (zc_program *)zc_malloc(sizeof(zc_program) * (size_t)nc);
            double *cpu_scores = (double *)zc_malloc(sizeof(double) * (size_t)nc);
            int m = 0;
            for (int k = 0; k < n; k++)
                if (!on_gpu[k]) cpu_progs[m++] = progs[k];
            zc_eval_programs(ev->cpu, cpu_progs, nc, h, cpu_scores);
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
    }
    free(alive);
    free(on_gpu);
    if (n_gpu) *n_gpu = ng;
    if (n_cpu) *n_cpu = nc;
    if (rc)
        for (int k = 0; k < n; k++) scores[k] = NAN;
    return rc;
}

extern "C" int zc_gpu_eval_layer_tensor(zc_gpu_eval *ev, const zc_program *p,
                                        const zc_layer_stats *dev_layer, zc_tensor *out) {
    ev->err[0] = 0;
    ev->cuda_failed = 0;
    if (!zc_gpu_program_supported(p)) return efail(ev, "program has no GPU path");
    if (ensure_buffers(ev, 1)) return -1;
    zc_tensor t;
    if (run_program(ev, p, dev_layer, NULL, &t)) return -1;
    size_t bytes = sizeof(float) * (size_t)zc_tensor_numel(&t);
    *out = t;
    out->data = (float *)zc_malloc(bytes ? bytes : 1);
    E_CUDA(cudaStreamSynchronize(ev->stream));
    E_CUDA(cudaMemcpy(out->data, t.data, bytes, cudaMemcpyDeviceToHost));
    return 0;
}
