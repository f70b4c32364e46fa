/* gpu_net.h: the CUDA network executor (C interface). Runs a zc_net
 * (kernels/net.h) forward and backward on one GPU with cuDNN (convolution,
 * batch norm, pooling), cuBLAS (linear) and small hand-written kernels
 * (ReLU, add, zero, pad, concat, global average pooling, gradient
 * accumulation), with the semantics of the CPU executor
 * (kernels/cpu/net_exec.h), and hands the device pointers of the values,
 * gradients and parameters to the layers above (the GPU statistics of
 * common/stats/gpu_stats.h collect terminals from them).
 *
 * One context = one device, one CUDA stream, one cuDNN and one cuBLAS
 * handle, a device arena that grows to the largest network seen and is
 * reused, and a cache of convolution algorithms per shape. A context is
 * used by one thread at a time; several contexts may share a device. Every
 * public function makes the context's device current first.
 *
 * Numerics: convolutions run in plain float32 (CUDNN_FMA_MATH) unless the
 * environment sets ZCEVO_CUDA_TF32=1, which lets cuDNN use TF32 tensor
 * cores for convolutions only; the cuBLAS handle (linear layers, and the
 * program evaluator's matmuls) always runs in default float32 math. Only
 * deterministic cuDNN algorithms are chosen, so results do not change from
 * run to run.
 *
 * Every function returning int returns 0 on success, or -1 with a one-line
 * message (zc_gpu_last_error, the thread's CUDA error of cuda_check.h) when
 * a CUDA / cuDNN / cuBLAS call fails. */
#ifndef ZC_GPU_NET_H
#define ZC_GPU_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "kernels/net.h"

/* Device buffers of a context are 256-byte aligned (cuDNN / cuBLAS
 * vectorised paths); layers above lay out their own blocks the same way. */
#define ZC_GPU_ALIGN 256

typedef struct zc_gpu_ctx zc_gpu_ctx;

/* zc_gpu_ctx_new: a context on CUDA device `device`. Returns NULL with a
 * one-line reason in err (no GPU, no driver, handle creation failed). */
zc_gpu_ctx *zc_gpu_ctx_new(int device, char *err, size_t errlen);

/* zc_gpu_ctx_free: release the attached state (zc_gpu_ctx_attach), the
 * handles, stream, arena and caches; NULL ok. */
void zc_gpu_ctx_free(zc_gpu_ctx *ctx);

/* zc_gpu_last_error: why the last failing call of this thread failed (""
 * if none). */
const char *zc_gpu_last_error(const zc_gpu_ctx *ctx);

/* zc_gpu_net_load: make net the context's current network: build the
 * per-layer descriptors, choose convolution algorithms (cached per shape),
 * lay out values, gradients, parameters and workspace in the arena, and
 * upload the parameters (net->params[i].data must be drawn, see
 * zc_net_init_params). net must stay alive and unchanged while loaded.
 * Every call, even a failing one, changes zc_gpu_net_generation. 0 / -1
 * (then no network is loaded). */
int zc_gpu_net_load(zc_gpu_ctx *ctx, const zc_net *net);

/* zc_gpu_net_loaded: the loaded network, NULL when none. */
const zc_net *zc_gpu_net_loaded(const zc_gpu_ctx *ctx);

/* zc_gpu_net_generation: a number that changes with every zc_gpu_net_load
 * call, so that a layer above can tell whether results it computed belong
 * to the network loaded now. */
uint64_t zc_gpu_net_generation(const zc_gpu_ctx *ctx);

/* zc_gpu_net_forward: copy x (batch*c*h*w host floats) into value 0 and run
 * every layer. Does not synchronise. 0 / -1. */
int zc_gpu_net_forward(zc_gpu_ctx *ctx, const float *x);

/* zc_gpu_net_backward: gradients of sum(output) w.r.t. every value and
 * parameter, as zc_net_backward. Does not synchronise. 0 / -1. */
int zc_gpu_net_backward(zc_gpu_ctx *ctx);

/* zc_gpu_net_download: copy value v (grad 0) or its gradient (grad 1; zeros
 * where no gradient reached it) into host (numel floats). Synchronises.
 * 0 / -1 (no network, no such value, a CUDA failure). */
int zc_gpu_net_download(zc_gpu_ctx *ctx, int v, int grad, float *host);

/* zc_gpu_net_download_param: parameter p's data (grad 0) or gradient
 * (grad 1) into host (numel floats). Synchronises. 0 / -1. */
int zc_gpu_net_download_param(zc_gpu_ctx *ctx, int p, int grad, float *host);

/* Device pointers into the loaded network's arena, valid until the next
 * load and read on the context's stream (the network must be loaded and
 * the index in range; not checked):
 *   zc_gpu_net_value       value v (after the last forward),
 *   zc_gpu_net_grad        its gradient after the last backward, or NULL
 *                          when no gradient reached v (it reads as zeros),
 *   zc_gpu_net_param       parameter p's data,
 *   zc_gpu_net_param_grad  parameter p's gradient (zeros when unreached). */
float *zc_gpu_net_value(zc_gpu_ctx *ctx, int v);
float *zc_gpu_net_grad(zc_gpu_ctx *ctx, int v);
float *zc_gpu_net_param(zc_gpu_ctx *ctx, int p);
float *zc_gpu_net_param_grad(zc_gpu_ctx *ctx, int p);

/* zc_gpu_synchronize: wait for the context's stream. 0 / -1. */
int zc_gpu_synchronize(zc_gpu_ctx *ctx);

/* zc_gpu_net_arena_bytes: device bytes held by the executor's arena. */
int64_t zc_gpu_net_arena_bytes(const zc_gpu_ctx *ctx);

/* zc_gpu_net_memory_needed: device bytes a context needs to run net: the
 * arena as zc_gpu_net_load lays it out (parameters and their gradients,
 * every value and its gradient, batch-norm statistics, and the largest
 * convolution workspace an accepted algorithm may use: the chosen one is
 * known only on the device, never above that limit) with zc_gpu_grow's
 * headroom, plus a fixed allowance for the CUDA context and the cuDNN /
 * cuBLAS handles. An upper estimate; needs no GPU; never fails. */
int64_t zc_gpu_net_memory_needed(const zc_net *net);

/* zc_gpu_grow: make *buf, a device allocation of *cap bytes owned by the
 * caller (NULL / 0 at first), hold at least bytes, with the arena's growth
 * headroom (zc_gpu_grown_size); contents are not kept. Waits for ctx's
 * stream before freeing the old block. 0 / -1 (out of device memory, with
 * the need and the free memory in the message; *buf NULL, *cap 0). */
int zc_gpu_grow(zc_gpu_ctx *ctx, void **buf, size_t *cap, size_t bytes);

/* zc_gpu_grown_size: the bytes zc_gpu_grow allocates for a need of bytes. */
size_t zc_gpu_grown_size(size_t bytes);

/* zc_gpu_align: bytes rounded up to ZC_GPU_ALIGN. */
static inline size_t zc_gpu_align(size_t bytes) {
    return (bytes + ZC_GPU_ALIGN - 1) / ZC_GPU_ALIGN * ZC_GPU_ALIGN;
}

/* zc_gpu_ctx_attach: attach one state of a layer above to ctx (the GPU
 * statistics keep theirs here); zc_gpu_ctx_free calls release(state) with
 * the device current and the stream idle, before destroying the stream.
 * Replaces (without releasing) any previous attachment. */
void zc_gpu_ctx_attach(zc_gpu_ctx *ctx, void *state, void (*release)(void *state));

/* zc_gpu_ctx_attached: the attached state, NULL when none. */
void *zc_gpu_ctx_attached(const zc_gpu_ctx *ctx);

/* The context's CUDA stream (cudaStream_t), cuBLAS handle (cublasHandle_t,
 * default math, on that stream) and device, for code above that enqueues
 * its own work on the same stream. */
void *zc_gpu_ctx_stream(zc_gpu_ctx *ctx);
void *zc_gpu_ctx_cublas(zc_gpu_ctx *ctx);
int zc_gpu_ctx_device(const zc_gpu_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif
