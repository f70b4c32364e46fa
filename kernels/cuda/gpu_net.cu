/* gpu_net.cu: the CUDA network executor (see gpu_net.h). Mirrors the CPU
 * executor kernels/cpu/net_exec.c (forward, backward, gradient accumulation
 * rules) layer by layer. */
#include "kernels/cuda/gpu_net.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "common/util/util.h"
}

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_kernels.cuh"

/* ---- context ------------------------------------------------------------- */

#define WORKSPACE_LIMIT ((size_t)512 << 20)

typedef struct {
    int v[15]; /* n c h w k r s stride_h stride_w pad_h pad_w dil_h dil_w groups tf32 */
} conv_key;

/* the three directions of a convolution */
enum { CONV_FWD, CONV_BWD_DATA, CONV_BWD_FILTER, CONV_DIRECTIONS };

typedef struct {
    conv_key key;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    cudnnMathType_t math[CONV_DIRECTIONS]; /* set on the descriptor before each call */
    size_t ws_bytes;                       /* the largest of the three           */
} conv_algos;

typedef struct {
    cudnnTensorDescriptor_t xd, yd, bnd;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnPoolingDescriptor_t pd;
    int algo; /* index into the algorithm cache, -1 when not a conv */
    float *bn_mean, *bn_invstd;
} gpu_layer;

struct zc_gpu_ctx {
    int device;
    cudaStream_t stream;
    cudnnHandle_t dnn;
    cublasHandle_t blas;
    int tf32;
    /* convolution algorithm cache, kept across networks */
    conv_algos *algos;
    int n_algos, cap_algos;
    /* the loaded network */
    const zc_net *net;
    gpu_layer *layers;
    int n_layers, cap_layers;
    float **val, **grad, **pdata, **pgrad;
    unsigned char *grad_set;
    int cap_values, cap_params;
    float *pgrad_base;
    size_t pgrad_bytes;
    void *ws;
    size_t ws_bytes;
    void *arena;
    size_t arena_cap;
    uint64_t generation; /* zc_gpu_net_load calls so far */
    /* the state a layer above attached (zc_gpu_ctx_attach) */
    void *attached;
    void (*release_attached)(void *);
};

extern "C" const char *zc_gpu_last_error(const zc_gpu_ctx *ctx) {
    (void)ctx;
    return zc_cuda_last_error();
}
extern "C" void *zc_gpu_ctx_stream(zc_gpu_ctx *ctx) { return (void *)ctx->stream; }
extern "C" void *zc_gpu_ctx_cublas(zc_gpu_ctx *ctx) { return (void *)ctx->blas; }
extern "C" int zc_gpu_ctx_device(const zc_gpu_ctx *ctx) { return ctx->device; }

extern "C" int64_t zc_gpu_net_arena_bytes(const zc_gpu_ctx *ctx) {
    return (int64_t)ctx->arena_cap;
}

extern "C" void zc_gpu_ctx_attach(zc_gpu_ctx *ctx, void *state, void (*release)(void *)) {
    ctx->attached = state;
    ctx->release_attached = release;
}

extern "C" void *zc_gpu_ctx_attached(const zc_gpu_ctx *ctx) { return ctx->attached; }

extern "C" const zc_net *zc_gpu_net_loaded(const zc_gpu_ctx *ctx) { return ctx->net; }

extern "C" uint64_t zc_gpu_net_generation(const zc_gpu_ctx *ctx) { return ctx->generation; }

extern "C" float *zc_gpu_net_value(zc_gpu_ctx *ctx, int v) { return ctx->val[v]; }

extern "C" float *zc_gpu_net_grad(zc_gpu_ctx *ctx, int v) {
    return ctx->grad_set[v] ? ctx->grad[v] : NULL;
}

extern "C" float *zc_gpu_net_param(zc_gpu_ctx *ctx, int p) { return ctx->pdata[p]; }

extern "C" float *zc_gpu_net_param_grad(zc_gpu_ctx *ctx, int p) { return ctx->pgrad[p]; }

/* open_handles: device, stream and handles of a new context */
static int open_handles(zc_gpu_ctx *ctx) {
    CUDA_CHECK(cudaSetDevice(ctx->device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
    CUDNN_CHECK(cudnnCreate(&ctx->dnn));
    CUBLAS_CHECK(cublasCreate(&ctx->blas));
    CUDNN_CHECK(cudnnSetStream(ctx->dnn, ctx->stream));
    CUBLAS_CHECK(cublasSetStream(ctx->blas, ctx->stream));
    /* float32 always: TF32 (ZCEVO_CUDA_TF32=1) is for convolutions only, so
     * linear layers and the program evaluator's matmuls match the CPU */
    CUBLAS_CHECK(cublasSetMathMode(ctx->blas, CUBLAS_DEFAULT_MATH));
    return 0;
}

extern "C" zc_gpu_ctx *zc_gpu_ctx_new(int device, char *err, size_t errlen) {
    int count = zc_cuda_device_count();
    if (count == 0) {
        snprintf(err, errlen, "no CUDA device available");
        return NULL;
    }
    if (device < 0 || device >= count) {
        snprintf(err, errlen, "CUDA device %d does not exist (%d present)", device, count);
        return NULL;
    }
    zc_gpu_ctx *ctx = (zc_gpu_ctx *)zc_calloc(1, sizeof *ctx);
    ctx->device = device;
    const char *tf = getenv("ZCEVO_CUDA_TF32");
    ctx->tf32 = tf && tf[0] == '1';
    zc_cuda_clear_error();
    if (open_handles(ctx) != 0) {
        snprintf(err, errlen, "CUDA device %d: %s", device, zc_cuda_last_error());
        zc_gpu_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

/* destroy_layer: the cuDNN descriptors of one layer (NULL ones skipped) */
static int destroy_layer(gpu_layer *g) {
    if (g->xd) CUDNN_CHECK(cudnnDestroyTensorDescriptor(g->xd));
    if (g->yd) CUDNN_CHECK(cudnnDestroyTensorDescriptor(g->yd));
    if (g->bnd) CUDNN_CHECK(cudnnDestroyTensorDescriptor(g->bnd));
    if (g->wd) CUDNN_CHECK(cudnnDestroyFilterDescriptor(g->wd));
    if (g->cd) CUDNN_CHECK(cudnnDestroyConvolutionDescriptor(g->cd));
    if (g->pd) CUDNN_CHECK(cudnnDestroyPoolingDescriptor(g->pd));
    return 0;
}

static void destroy_layer_descriptors(zc_gpu_ctx *ctx) {
    for (int l = 0; l < ctx->n_layers; l++) {
        (void)destroy_layer(&ctx->layers[l]); /* a failure is recorded; go on */
        memset(&ctx->layers[l], 0, sizeof ctx->layers[l]);
    }
    ctx->n_layers = 0;
}

/* quiesce: make the context's device current and wait for its stream */
static int quiesce(zc_gpu_ctx *ctx) {
    CUDA_CHECK(cudaSetDevice(ctx->device));
    if (ctx->stream) CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    return 0;
}

/* close_handles: the handles and the stream (NULL ones skipped) */
static int close_handles(zc_gpu_ctx *ctx) {
    if (ctx->blas) CUBLAS_CHECK(cublasDestroy(ctx->blas));
    if (ctx->dnn) CUDNN_CHECK(cudnnDestroy(ctx->dnn));
    if (ctx->stream) CUDA_CHECK(cudaStreamDestroy(ctx->stream));
    return 0;
}

extern "C" void zc_gpu_ctx_free(zc_gpu_ctx *ctx) {
    if (!ctx) return;
    /* teardown goes on past failures; each one is recorded */
    (void)quiesce(ctx);
    if (ctx->release_attached) ctx->release_attached(ctx->attached);
    destroy_layer_descriptors(ctx);
    free(ctx->layers);
    free(ctx->algos);
    free(ctx->val);
    free(ctx->grad);
    free(ctx->pdata);
    free(ctx->pgrad);
    free(ctx->grad_set);
    (void)zc_cuda_free(ctx->arena);
    (void)close_handles(ctx);
    free(ctx);
}

extern "C" int zc_gpu_synchronize(zc_gpu_ctx *ctx) {
    zc_cuda_clear_error();
    return quiesce(ctx);
}

/* ---- loading --------------------------------------------------------------- */

static int set_4d(cudnnTensorDescriptor_t *d, int n, int c, int h, int w) {
    if (!*d) CUDNN_CHECK(cudnnCreateTensorDescriptor(d));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(*d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
    return 0;
}

/* ---- convolution algorithms ------------------------------------------------ */

enum { MAX_CANDIDATES = 32 };

/* base_math: the convolution descriptor's math type while cuDNN ranks
 * candidates (float32: FMA only; ZCEVO_CUDA_TF32=1: default, TF32 allowed) */
static cudnnMathType_t base_math(const zc_gpu_ctx *ctx) {
    return ctx->tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}

/* candidate_math: whether a candidate of math type m may run, and the math
 * type it runs with (*use). Float32 runs everything as FMA (default math
 * would let cuDNN use TF32 on Ampere and later) and refuses tensor-op
 * entries; TF32 runs an entry with its own math type, except the
 * down-conversion to half precision, which is never accepted. */
static int candidate_math(const zc_gpu_ctx *ctx, cudnnMathType_t m, cudnnMathType_t *use) {
    if (m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return 0;
    if (!ctx->tf32) {
        *use = CUDNN_FMA_MATH;
        return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH;
    }
    *use = m;
    return 1;
}

/* pick_candidate: the first of cuDNN's ranked candidates perf[0..got) that
 * succeeded, is deterministic, has an accepted math type, and whose
 * workspace, queried with that math type applied to the descriptor cd,
 * can be had (workspace(algo, &bytes) == SUCCESS) within WORKSPACE_LIMIT.
 * A candidate whose math type or workspace query fails is skipped (these
 * statuses mean "not this one", not an error). Sets *algo, *math, *bytes;
 * returns 0, or 1 when none qualifies (no error recorded). */
template <typename Perf, typename Algo, typename Workspace>
static int pick_candidate(const zc_gpu_ctx *ctx, cudnnConvolutionDescriptor_t cd,
                          const Perf *perf, int got, Workspace workspace, Algo *algo,
                          cudnnMathType_t *math, size_t *bytes) {
    for (int i = 0; i < got; i++) {
        const Perf *p = &perf[i];
        cudnnMathType_t use;
        if (p->status != CUDNN_STATUS_SUCCESS || p->determinism != CUDNN_DETERMINISTIC ||
            !candidate_math(ctx, p->mathType, &use))
            continue;
        size_t need = 0;
        if (cudnnSetConvolutionMathType(cd, use) != CUDNN_STATUS_SUCCESS ||
            workspace(p->algo, &need) != CUDNN_STATUS_SUCCESS || need > WORKSPACE_LIMIT)
            continue;
        *algo = p->algo;
        *math = use;
        *bytes = need;
        return 0;
    }
    return 1;
}

/* no_algorithm: the message when no candidate of one direction qualifies */
static int no_algorithm(const zc_gpu_ctx *ctx, int l, const char *direction,
                        const zc_conv_desc *d) {
    return zc_cuda_set_error(
        "cudnn: layer %d: no deterministic %s convolution algorithm for input (%d,%d,%d,%d), "
        "filter (%d,%d,%d,%d), stride %dx%d, padding %dx%d, dilation %dx%d, groups %d within "
        "the %zu MiB workspace limit in %s math",
        l, direction, d->n, d->c, d->h, d->w, d->k, d->c / d->groups, d->r, d->s, d->stride_h,
        d->stride_w, d->pad_h, d->pad_w, d->dil_h, d->dil_w, d->groups, WORKSPACE_LIMIT >> 20,
        ctx->tf32 ? "TF32" : "float32");
}

static int choose_forward(zc_gpu_ctx *ctx, gpu_layer *g, conv_algos *a, size_t *bytes) {
    cudnnConvolutionFwdAlgoPerf_t perf[MAX_CANDIDATES];
    int got = 0;
    CUDNN_CHECK(cudnnSetConvolutionMathType(g->cd, base_math(ctx)));
    CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(ctx->dnn, g->xd, g->wd, g->cd, g->yd,
                                                       MAX_CANDIDATES, &got, perf));
    auto workspace = [&](cudnnConvolutionFwdAlgo_t algo, size_t *need) {
        return cudnnGetConvolutionForwardWorkspaceSize(ctx->dnn, g->xd, g->wd, g->cd, g->yd, algo,
                                                       need);
    };
    return pick_candidate(ctx, g->cd, perf, got, workspace, &a->fwd, &a->math[CONV_FWD], bytes);
}

static int choose_backward_data(zc_gpu_ctx *ctx, gpu_layer *g, conv_algos *a, size_t *bytes) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[MAX_CANDIDATES];
    int got = 0;
    CUDNN_CHECK(cudnnSetConvolutionMathType(g->cd, base_math(ctx)));
    CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx->dnn, g->wd, g->yd, g->cd, g->xd,
                                                            MAX_CANDIDATES, &got, perf));
    auto workspace = [&](cudnnConvolutionBwdDataAlgo_t algo, size_t *need) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(ctx->dnn, g->wd, g->yd, g->cd, g->xd,
                                                            algo, need);
    };
    return pick_candidate(ctx, g->cd, perf, got, workspace, &a->bwd_data,
                          &a->math[CONV_BWD_DATA], bytes);
}

static int choose_backward_filter(zc_gpu_ctx *ctx, gpu_layer *g, conv_algos *a, size_t *bytes) {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[MAX_CANDIDATES];
    int got = 0;
    CUDNN_CHECK(cudnnSetConvolutionMathType(g->cd, base_math(ctx)));
    CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(ctx->dnn, g->xd, g->yd, g->cd, g->wd,
                                                              MAX_CANDIDATES, &got, perf));
    auto workspace = [&](cudnnConvolutionBwdFilterAlgo_t algo, size_t *need) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(ctx->dnn, g->xd, g->yd, g->cd, g->wd,
                                                              algo, need);
    };
    return pick_candidate(ctx, g->cd, perf, got, workspace, &a->bwd_filter,
                          &a->math[CONV_BWD_FILTER], bytes);
}

/* choose_conv_algos: the algorithms of conv layer l (descriptors built in
 * g), from the cache or chosen now (deterministic, within the workspace
 * limit, in every direction); returns the cache index, or -1 with a
 * message naming the direction and the shape. */
static int choose_conv_algos(zc_gpu_ctx *ctx, int l, const zc_conv_desc *d, gpu_layer *g) {
    conv_key key;
    int kv[15] = {d->n, d->c, d->h, d->w, d->k, d->r, d->s, d->stride_h, d->stride_w,
                  d->pad_h, d->pad_w, d->dil_h, d->dil_w, d->groups, ctx->tf32};
    memcpy(key.v, kv, sizeof kv);
    for (int i = 0; i < ctx->n_algos; i++)
        if (memcmp(&ctx->algos[i].key, &key, sizeof key) == 0) return i;
    conv_algos a;
    memset(&a, 0, sizeof a);
    a.key = key;
    static const char *const direction[CONV_DIRECTIONS] = {"forward", "backward-data",
                                                           "backward-filter"};
    for (int dir = 0; dir < CONV_DIRECTIONS; dir++) {
        size_t bytes = 0;
        /* each: 0, -1 (the ranking failed, recorded), 1 (no candidate qualifies) */
        int rc = dir == CONV_FWD        ? choose_forward(ctx, g, &a, &bytes)
                 : dir == CONV_BWD_DATA ? choose_backward_data(ctx, g, &a, &bytes)
                                        : choose_backward_filter(ctx, g, &a, &bytes);
        if (rc < 0) return -1;
        if (rc > 0) return no_algorithm(ctx, l, direction[dir], d);
        if (bytes > a.ws_bytes) a.ws_bytes = bytes;
    }
    if (ctx->n_algos == ctx->cap_algos) {
        ctx->cap_algos = ctx->cap_algos ? 2 * ctx->cap_algos : 64;
        ctx->algos = (conv_algos *)zc_realloc(ctx->algos, sizeof *ctx->algos * ctx->cap_algos);
    }
    ctx->algos[ctx->n_algos] = a;
    return ctx->n_algos++;
}

static int build_layer(zc_gpu_ctx *ctx, const zc_net *net, int l) {
    const zc_layer *L = &net->layers[l];
    gpu_layer *g = &ctx->layers[l];
    memset(g, 0, sizeof *g);
    g->algo = -1;
    zc_vshape s = net->vshape[L->in[0]], o = net->vshape[L->out];
    switch (L->kind) {
    case ZC_L_CONV: {
        const zc_conv_desc *d = &L->conv;
        if (set_4d(&g->xd, s.n, s.c, s.h, s.w) || set_4d(&g->yd, o.n, o.c, o.h, o.w))
            return -1;
        CUDNN_CHECK(cudnnCreateFilterDescriptor(&g->wd));
        CUDNN_CHECK(cudnnSetFilter4dDescriptor(g->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d->k,
                                           d->c / d->groups, d->r, d->s));
        CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&g->cd));
        CUDNN_CHECK(cudnnSetConvolution2dDescriptor(g->cd, d->pad_h, d->pad_w, d->stride_h,
                                                d->stride_w, d->dil_h, d->dil_w,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
        CUDNN_CHECK(cudnnSetConvolutionGroupCount(g->cd, d->groups));
        CUDNN_CHECK(cudnnSetConvolutionMathType(g->cd, base_math(ctx)));
        int n, c, h, w;
        CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(g->cd, g->xd, g->wd, &n, &c, &h, &w));
        if (n != o.n || c != o.c || h != o.h || w != o.w)
            return zc_cuda_set_error("cudnn: layer %d: conv output (%d,%d,%d,%d) differs from (%d,%d,%d,%d)",
                         l, n, c, h, w, o.n, o.c, o.h, o.w);
        g->algo = choose_conv_algos(ctx, l, d, g);
        if (g->algo < 0) return -1;
        break;
    }
    case ZC_L_BN:
        if (set_4d(&g->xd, s.n, s.c, s.h, s.w)) return -1;
        CUDNN_CHECK(cudnnCreateTensorDescriptor(&g->bnd));
        CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(g->bnd, g->xd, CUDNN_BATCHNORM_SPATIAL));
        break;
    case ZC_L_AVGPOOL:
    case ZC_L_MAXPOOL: {
        const zc_pool_desc *d = &L->pool;
        if (set_4d(&g->xd, s.n, s.c, s.h, s.w) || set_4d(&g->yd, o.n, o.c, o.h, o.w))
            return -1;
        cudnnPoolingMode_t mode = L->kind == ZC_L_MAXPOOL ? CUDNN_POOLING_MAX_DETERMINISTIC
                                  : d->count_include_pad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                         : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
        CUDNN_CHECK(cudnnCreatePoolingDescriptor(&g->pd));
        CUDNN_CHECK(cudnnSetPooling2dDescriptor(g->pd, mode, CUDNN_PROPAGATE_NAN, d->kh, d->kw,
                                            d->pad_h, d->pad_w, d->stride_h, d->stride_w));
        break;
    }
    default:
        break;
    }
    return 0;
}

extern "C" size_t zc_gpu_grown_size(size_t bytes) { return bytes + bytes / 8; }

extern "C" int zc_gpu_grow(zc_gpu_ctx *ctx, void **buf, size_t *cap, size_t bytes) {
    if (bytes <= *cap) return 0;
    if (quiesce(ctx)) return -1;
    if (zc_cuda_free(*buf)) return -1;
    *buf = NULL;
    *cap = 0;
    size_t want = zc_gpu_grown_size(bytes);
    if (zc_cuda_malloc(buf, want, "the arena")) return -1;
    *cap = want;
    return 0;
}

static void ensure_host_arrays(zc_gpu_ctx *ctx, const zc_net *net) {
    if (net->n_values > ctx->cap_values) {
        ctx->cap_values = net->n_values;
        ctx->val = (float **)zc_realloc(ctx->val, sizeof(float *) * ctx->cap_values);
        ctx->grad = (float **)zc_realloc(ctx->grad, sizeof(float *) * ctx->cap_values);
        ctx->grad_set = (unsigned char *)zc_realloc(ctx->grad_set, (size_t)ctx->cap_values);
    }
    if (net->n_params > ctx->cap_params) {
        ctx->cap_params = net->n_params;
        ctx->pdata = (float **)zc_realloc(ctx->pdata, sizeof(float *) * ctx->cap_params);
        ctx->pgrad = (float **)zc_realloc(ctx->pgrad, sizeof(float *) * ctx->cap_params);
    }
    if (net->n_layers > ctx->cap_layers) {
        ctx->cap_layers = net->n_layers;
        ctx->layers = (gpu_layer *)zc_realloc(ctx->layers, sizeof(gpu_layer) * ctx->cap_layers);
    }
}

static size_t param_bytes(const zc_net *net, int p) {
    return sizeof(float) * (size_t)net->params[p].numel;
}

/* place_arena: the arena layout of net, in this order: parameter data |
 * parameter gradients (one range, cleared by one memset) | every value and
 * its gradient | batch-norm mean and inverse std per BN layer | a
 * workspace of ws bytes. Every buffer starts at a ZC_GPU_ALIGN offset
 * (cuDNN's filter gradients, BN dScale/dBias and cuBLAS want aligned
 * pointers). With ctx, its pointers are set into ctx->arena; without,
 * nothing is written. Returns the bytes the arena needs. */
static size_t place_arena(const zc_net *net, size_t ws, zc_gpu_ctx *ctx) {
    char *base = ctx ? (char *)ctx->arena : NULL;
    size_t off = 0;
    for (int p = 0; p < net->n_params; p++) {
        if (ctx) ctx->pdata[p] = (float *)(base + off);
        off = zc_gpu_align(off + param_bytes(net, p));
    }
    size_t pgrad_start = off;
    for (int p = 0; p < net->n_params; p++) {
        if (ctx) ctx->pgrad[p] = (float *)(base + off);
        off = zc_gpu_align(off + param_bytes(net, p));
    }
    if (ctx) {
        ctx->pgrad_base = (float *)(base + pgrad_start);
        ctx->pgrad_bytes = off - pgrad_start;
    }
    for (int v = 0; v < net->n_values; v++) {
        size_t bytes = sizeof(float) * (size_t)zc_net_value_numel(net, v);
        if (ctx) ctx->val[v] = (float *)(base + off);
        off = zc_gpu_align(off + bytes);
        if (ctx) ctx->grad[v] = (float *)(base + off);
        off = zc_gpu_align(off + bytes);
    }
    for (int l = 0; l < net->n_layers; l++) {
        if (net->layers[l].kind != ZC_L_BN) continue;
        size_t bytes = sizeof(float) * (size_t)net->vshape[net->layers[l].in[0]].c;
        if (ctx) ctx->layers[l].bn_mean = (float *)(base + off);
        off = zc_gpu_align(off + bytes);
        if (ctx) ctx->layers[l].bn_invstd = (float *)(base + off);
        off = zc_gpu_align(off + bytes);
    }
    if (ctx) {
        ctx->ws = base + off;
        ctx->ws_bytes = ws;
    }
    return zc_gpu_align(off + ws + 1);
}

/* build_layers: descriptors and convolution algorithms of every layer;
 * *ws = the largest workspace the chosen algorithms need */
static int build_layers(zc_gpu_ctx *ctx, const zc_net *net, size_t *ws) {
    ctx->n_layers = net->n_layers;
    memset(ctx->layers, 0, sizeof(gpu_layer) * (size_t)net->n_layers);
    *ws = 0;
    for (int l = 0; l < net->n_layers; l++) {
        if (build_layer(ctx, net, l)) return -1;
        int a = ctx->layers[l].algo;
        if (a >= 0 && ctx->algos[a].ws_bytes > *ws) *ws = ctx->algos[a].ws_bytes;
    }
    return 0;
}

/* upload_params: the drawn parameters of net into the arena */
static int upload_params(zc_gpu_ctx *ctx, const zc_net *net) {
    for (int p = 0; p < net->n_params; p++) {
        if (!net->params[p].data)
            return zc_cuda_set_error("parameter %s not drawn (call zc_net_init_params)",
                                     net->params[p].name);
        CUDA_CHECK(cudaMemcpyAsync(ctx->pdata[p], net->params[p].data, param_bytes(net, p),
                                   cudaMemcpyHostToDevice, ctx->stream));
    }
    return 0;
}

/* handles, CUDA context and cuBLAS / cuDNN internal buffers */
#define HANDLES_ALLOWANCE ((int64_t)768 << 20)

extern "C" int64_t zc_gpu_net_memory_needed(const zc_net *net) {
    /* the arena as zc_gpu_net_load lays it out, with the largest workspace
     * an accepted algorithm may have, and zc_gpu_grow's headroom */
    size_t arena = zc_gpu_grown_size(place_arena(net, WORKSPACE_LIMIT, NULL));
    return (int64_t)arena + HANDLES_ALLOWANCE;
}

extern "C" int zc_gpu_net_load(zc_gpu_ctx *ctx, const zc_net *net) {
    zc_cuda_clear_error();
    CUDA_CHECK(cudaSetDevice(ctx->device));
    destroy_layer_descriptors(ctx);
    ctx->generation++;
    ctx->net = NULL;
    ensure_host_arrays(ctx, net);
    size_t ws = 0;
    if (build_layers(ctx, net, &ws)) return -1;
    size_t bytes = place_arena(net, ws, NULL);
    if (zc_gpu_grow(ctx, &ctx->arena, &ctx->arena_cap, bytes)) return -1;
    place_arena(net, ws, ctx);
    memset(ctx->grad_set, 0, (size_t)net->n_values);
    if (upload_params(ctx, net)) return -1;
    ctx->net = net;
    return 0;
}

/* ---- forward --------------------------------------------------------------- */

static const float k_one = 1.0f, k_zero = 0.0f;

/* forward_linear: y (n,out) = x (n,in) W^T + b */
static int forward_linear(zc_gpu_ctx *ctx, const zc_layer *L) {
    const zc_net *net = ctx->net;
    zc_vshape s = net->vshape[L->in[0]];
    int out_f = net->vshape[L->out].c, in_f = s.c;
    float *y = ctx->val[L->out];
    if (zc_gk_bias_fill(ctx->stream, y, ctx->pdata[L->param[1]], s.n, out_f)) return -1;
    /* row-major y (n,out) = x (n,in) W^T: column-major Y' = W'^T X' */
    CUBLAS_CHECK(cublasSgemm(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, out_f, s.n, in_f, &k_one,
                             ctx->pdata[L->param[0]], in_f, ctx->val[L->in[0]], in_f, &k_one, y,
                             out_f));
    return 0;
}

/* forward_concat: the inputs side by side along the channels */
static int forward_concat(zc_gpu_ctx *ctx, const zc_layer *L) {
    const zc_net *net = ctx->net;
    zc_vshape s = net->vshape[L->in[0]];
    int64_t hw = (int64_t)s.h * s.w, ctot = net->vshape[L->out].c, coff = 0;
    float *y = ctx->val[L->out];
    for (int i = 0; i < L->n_in; i++) {
        int ci = net->vshape[L->in[i]].c;
        if (zc_gk_slice_copy(ctx->stream, y + coff * hw, ctot * hw, ctx->val[L->in[i]], ci * hw,
                             ci * hw, s.n, 0))
            return -1;
        coff += ci;
    }
    return 0;
}

static int forward_layer(zc_gpu_ctx *ctx, int l) {
    const zc_net *net = ctx->net;
    const zc_layer *L = &net->layers[l];
    gpu_layer *g = &ctx->layers[l];
    float *y = ctx->val[L->out];
    const float *x = ctx->val[L->in[0]];
    zc_vshape s = net->vshape[L->in[0]];
    int64_t count = zc_net_value_numel(net, L->out);
    cudaStream_t st = ctx->stream;
    switch (L->kind) {
    case ZC_L_CONV: {
        const conv_algos *a = &ctx->algos[g->algo];
        CUDNN_CHECK(cudnnSetConvolutionMathType(g->cd, a->math[CONV_FWD]));
        CUDNN_CHECK(cudnnConvolutionForward(ctx->dnn, &k_one, g->xd, x, g->wd,
                                            ctx->pdata[L->param[0]], g->cd, a->fwd, ctx->ws,
                                            ctx->ws_bytes, &k_zero, g->yd, y));
        return 0;
    }
    case ZC_L_BN:
        CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
            ctx->dnn, CUDNN_BATCHNORM_SPATIAL, &k_one, &k_zero, g->xd, x, g->xd, y, g->bnd,
            ctx->pdata[L->param[0]], ctx->pdata[L->param[1]], 1.0, NULL, NULL, (double)L->eps,
            g->bn_mean, g->bn_invstd));
        return 0;
    case ZC_L_RELU:
        return zc_gk_relu_forward(st, x, y, count);
    case ZC_L_AVGPOOL:
    case ZC_L_MAXPOOL:
        CUDNN_CHECK(cudnnPoolingForward(ctx->dnn, g->pd, &k_one, g->xd, x, &k_zero, g->yd, y));
        return 0;
    case ZC_L_GAP:
        return zc_gk_gap_forward(st, x, y, (int64_t)s.n * s.c, s.h * s.w);
    case ZC_L_LINEAR:
        return forward_linear(ctx, L);
    case ZC_L_ADD: {
        zc_gk_ptrs in;
        for (int i = 0; i < L->n_in; i++) in.p[i] = ctx->val[L->in[i]];
        in.n = L->n_in;
        return zc_gk_add_n(st, in, y, count);
    }
    case ZC_L_ZERO:
        return zc_gk_mul_zero(st, x, y, count);
    case ZC_L_PAD:
        return zc_gk_pad_forward(st, x, y, (int64_t)s.n * s.c, s.h, s.w, L->pad[0], L->pad[1],
                                 L->pad[2], L->pad[3]);
    case ZC_L_CONCAT:
        return forward_concat(ctx, L);
    }
    return 0;
}

extern "C" int zc_gpu_net_forward(zc_gpu_ctx *ctx, const float *x) {
    const zc_net *net = ctx->net;
    if (!net) return zc_cuda_set_error("no network loaded");
    CUDA_CHECK(cudaSetDevice(ctx->device));
    CUDA_CHECK(cudaMemcpyAsync(ctx->val[0], x, sizeof(float) * (size_t)zc_net_value_numel(net, 0),
                               cudaMemcpyHostToDevice, ctx->stream));
    for (int l = 0; l < net->n_layers; l++)
        if (forward_layer(ctx, l)) return -1;
    return 0;
}

/* ---- backward -------------------------------------------------------------- */

/* Gradients accumulate in place: the first contribution to a value
 * overwrites (beta 0), later ones add (beta 1), as the CPU executor's
 * grad_commit. */

/* backward_add: dy flows unchanged to every input */
static int backward_add(zc_gpu_ctx *ctx, const zc_layer *L) {
    const float *dy = ctx->grad[L->out];
    int64_t count = zc_net_value_numel(ctx->net, L->out);
    for (int i = 0; i < L->n_in; i++) {
        int v = L->in[i];
        if (ctx->grad_set[v]) {
            if (zc_gk_accumulate(ctx->stream, ctx->grad[v], dy, count)) return -1;
        } else {
            CUDA_CHECK(cudaMemcpyAsync(ctx->grad[v], dy, sizeof(float) * (size_t)count,
                                       cudaMemcpyDeviceToDevice, ctx->stream));
            ctx->grad_set[v] = 1;
        }
    }
    return 0;
}

/* backward_concat: each input gets its channel slice of dy */
static int backward_concat(zc_gpu_ctx *ctx, const zc_layer *L) {
    const zc_net *net = ctx->net;
    zc_vshape s = net->vshape[L->in[0]];
    const float *dy = ctx->grad[L->out];
    int64_t hw = (int64_t)s.h * s.w, ctot = net->vshape[L->out].c, coff = 0;
    for (int i = 0; i < L->n_in; i++) {
        int v = L->in[i], ci = net->vshape[v].c;
        if (zc_gk_slice_copy(ctx->stream, ctx->grad[v], ci * hw, dy + coff * hw, ctot * hw,
                             ci * hw, s.n, ctx->grad_set[v]))
            return -1;
        ctx->grad_set[v] = 1;
        coff += ci;
    }
    return 0;
}

/* backward_linear: dx, dW and db of y = x W^T + b */
static int backward_linear(zc_gpu_ctx *ctx, const zc_layer *L, const float *beta) {
    const zc_net *net = ctx->net;
    zc_vshape s = net->vshape[L->in[0]];
    int out_f = net->vshape[L->out].c, in_f = s.c;
    const float *dy = ctx->grad[L->out], *x = ctx->val[L->in[0]];
    const float *w = ctx->pdata[L->param[0]];
    /* dx (n,in) = dy (n,out) W: column-major dX' = W' dY' */
    CUBLAS_CHECK(cublasSgemm(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, in_f, s.n, out_f, &k_one, w,
                             in_f, dy, out_f, beta, ctx->grad[L->in[0]], in_f));
    /* dW (out,in) = dy^T x: column-major dW' = X' dY'^T */
    CUBLAS_CHECK(cublasSgemm(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_T, in_f, out_f, s.n, &k_one, x,
                             in_f, dy, out_f, &k_zero, ctx->pgrad[L->param[0]], in_f));
    return zc_gk_column_sum(ctx->stream, dy, ctx->pgrad[L->param[1]], s.n, out_f);
}

/* backward_single: the gradient of a one-input layer into its input (and
 * its parameters) */
static int backward_single(zc_gpu_ctx *ctx, int l) {
    const zc_net *net = ctx->net;
    const zc_layer *L = &net->layers[l];
    gpu_layer *g = &ctx->layers[l];
    const float *dy = ctx->grad[L->out];
    int in = L->in[0];
    const float *x = ctx->val[in];
    float *dx = ctx->grad[in];
    zc_vshape s = net->vshape[in];
    int64_t count = zc_net_value_numel(net, L->out);
    int acc = ctx->grad_set[in];
    const float beta = acc ? 1.0f : 0.0f;
    cudaStream_t st = ctx->stream;
    switch (L->kind) {
    case ZC_L_CONV: {
        const conv_algos *a = &ctx->algos[g->algo];
        CUDNN_CHECK(cudnnSetConvolutionMathType(g->cd, a->math[CONV_BWD_FILTER]));
        CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx->dnn, &k_one, g->xd, x, g->yd, dy, g->cd,
                                                   a->bwd_filter, ctx->ws, ctx->ws_bytes, &k_zero,
                                                   g->wd, ctx->pgrad[L->param[0]]));
        CUDNN_CHECK(cudnnSetConvolutionMathType(g->cd, a->math[CONV_BWD_DATA]));
        CUDNN_CHECK(cudnnConvolutionBackwardData(ctx->dnn, &k_one, g->wd, ctx->pdata[L->param[0]],
                                                 g->yd, dy, g->cd, a->bwd_data, ctx->ws,
                                                 ctx->ws_bytes, &beta, g->xd, dx));
        return 0;
    }
    case ZC_L_BN:
        CUDNN_CHECK(cudnnBatchNormalizationBackward(
            ctx->dnn, CUDNN_BATCHNORM_SPATIAL, &k_one, &beta, &k_one, &k_zero, g->xd, x, g->xd, dy,
            g->xd, dx, g->bnd, ctx->pdata[L->param[0]], ctx->pgrad[L->param[0]],
            ctx->pgrad[L->param[1]], (double)L->eps, g->bn_mean, g->bn_invstd));
        return 0;
    case ZC_L_RELU:
        return zc_gk_relu_backward(st, x, dy, dx, count, acc);
    case ZC_L_AVGPOOL:
    case ZC_L_MAXPOOL:
        CUDNN_CHECK(cudnnPoolingBackward(ctx->dnn, g->pd, &k_one, g->yd, ctx->val[L->out], g->yd,
                                         dy, g->xd, x, &beta, g->xd, dx));
        return 0;
    case ZC_L_GAP:
        return zc_gk_gap_backward(st, dy, dx, (int64_t)s.n * s.c, s.h * s.w, acc);
    case ZC_L_LINEAR:
        return backward_linear(ctx, L, &beta);
    case ZC_L_PAD:
        return zc_gk_pad_backward(st, dy, dx, (int64_t)s.n * s.c, s.h, s.w, L->pad[0], L->pad[1],
                                  L->pad[2], L->pad[3], acc);
    default:
        return 0; /* the multi-input kinds and zero are handled by backward_layer */
    }
}

static int backward_layer(zc_gpu_ctx *ctx, int l) {
    const zc_layer *L = &ctx->net->layers[l];
    switch (L->kind) {
    case ZC_L_ADD:
        return backward_add(ctx, L);
    case ZC_L_CONCAT:
        return backward_concat(ctx, L);
    case ZC_L_ZERO:
        return 0; /* no contribution, as the CPU executor */
    default:
        if (backward_single(ctx, l)) return -1;
        ctx->grad_set[L->in[0]] = 1;
        return 0;
    }
}

extern "C" int zc_gpu_net_backward(zc_gpu_ctx *ctx) {
    const zc_net *net = ctx->net;
    if (!net) return zc_cuda_set_error("no network loaded");
    if (net->output < 0) return zc_cuda_set_error("network has no output");
    CUDA_CHECK(cudaSetDevice(ctx->device));
    memset(ctx->grad_set, 0, (size_t)net->n_values);
    if (ctx->pgrad_bytes)
        CUDA_CHECK(cudaMemsetAsync(ctx->pgrad_base, 0, ctx->pgrad_bytes, ctx->stream));
    if (zc_gk_fill(ctx->stream, ctx->grad[net->output], 1.0f,
                   zc_net_value_numel(net, net->output)))
        return -1;
    ctx->grad_set[net->output] = 1;
    for (int l = net->n_layers - 1; l >= 0; l--) {
        if (!ctx->grad_set[net->layers[l].out]) continue;
        if (backward_layer(ctx, l)) return -1;
    }
    return 0;
}

extern "C" int zc_gpu_net_download(zc_gpu_ctx *ctx, int v, int grad, float *host) {
    zc_cuda_clear_error();
    const zc_net *net = ctx->net;
    if (!net || v < 0 || v >= net->n_values) return zc_cuda_set_error("no such value %d", v);
    size_t bytes = sizeof(float) * (size_t)zc_net_value_numel(net, v);
    if (quiesce(ctx)) return -1;
    if (grad && !ctx->grad_set[v]) memset(host, 0, bytes);
    else CUDA_CHECK(cudaMemcpy(host, grad ? ctx->grad[v] : ctx->val[v], bytes, cudaMemcpyDeviceToHost));
    return 0;
}

extern "C" int zc_gpu_net_download_param(zc_gpu_ctx *ctx, int p, int grad, float *host) {
    zc_cuda_clear_error();
    const zc_net *net = ctx->net;
    if (!net || p < 0 || p >= net->n_params) return zc_cuda_set_error("no such parameter %d", p);
    if (quiesce(ctx)) return -1;
    CUDA_CHECK(cudaMemcpy(host, grad ? ctx->pgrad[p] : ctx->pdata[p],
                      sizeof(float) * (size_t)net->params[p].numel, cudaMemcpyDeviceToHost));
    return 0;
}
