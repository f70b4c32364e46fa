/* gpu_net.h: the CUDA network executor (C interface). Runs a zc_net (net.h)
 * forward and backward on one GPU with cuDNN (convolution, batch norm,
 * pooling), cuBLAS (linear) and small hand-written kernels (ReLU, add,
 * zero, pad, concat, global average pooling, gradient accumulation), and
 * collects the 22 terminals of every RCB block into device memory exactly
 * as zc_compute_stats does on the CPU (stats_compute.h).
 *
 * One context = one device, one CUDA stream, one cuDNN and one cuBLAS
 * handle, a device arena that grows to the largest network seen and is
 * reused, and a cache of convolution algorithms per shape. A context is
 * used by one thread at a time; several contexts may share a device.
 *
 * Numerics: convolutions run in plain float32 (CUDNN_FMA_MATH, no TF32)
 * unless the environment sets ZCEVO_CUDA_TF32=1; only deterministic cuDNN
 * algorithms are chosen, so results do not change from run to run.
 *
 * Every function returns 0 on success, or -1 with a one-line message in the
 * context (zc_gpu_last_error) when a CUDA / cuDNN / cuBLAS call fails. */
#ifndef ZC_GPU_NET_H
#define ZC_GPU_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "kernels/net.h"
#include "common/stats/stats.h"

typedef struct zc_gpu_ctx zc_gpu_ctx;

/* zc_gpu_stats: terminals in device memory (common/stats/gpu_stats.h) */
#include "common/stats/gpu_stats.h"

/* zc_gpu_ctx_new: a context on CUDA device `device`. Returns NULL with a
 * one-line reason in err (no GPU, no driver, handle creation failed). */
zc_gpu_ctx *zc_gpu_ctx_new(int device, char *err, size_t errlen);

/* zc_gpu_ctx_free: release handles, stream, arenas and caches; NULL ok. */
void zc_gpu_ctx_free(zc_gpu_ctx *ctx);

/* zc_gpu_last_error: why the last failing call failed ("" if none). */
const char *zc_gpu_last_error(const zc_gpu_ctx *ctx);

/* zc_gpu_net_load: make net the context's current network: build the
 * per-layer descriptors, choose convolution algorithms (cached per shape),
 * lay out values, gradients, parameters and workspace in the arena, and
 * upload the parameters (net->params[i].data must be drawn, see
 * zc_net_init_params). net must stay alive and unchanged while loaded.
 * Returns 0 / -1. */
int zc_gpu_net_load(zc_gpu_ctx *ctx, const zc_net *net);

/* zc_gpu_net_forward: copy x (batch*c*h*w host floats) into value 0 and run
 * every layer. 0 / -1. */
int zc_gpu_net_forward(zc_gpu_ctx *ctx, const float *x);

/* zc_gpu_net_backward: gradients of sum(output) w.r.t. every value and
 * parameter, as zc_net_backward. 0 / -1. */
int zc_gpu_net_backward(zc_gpu_ctx *ctx);

/* zc_gpu_net_download: copy value v (grad 0) or its gradient (grad 1; zeros
 * where no gradient reached it) into host (numel floats). Synchronises. */
int zc_gpu_net_download(zc_gpu_ctx *ctx, int v, int grad, float *host);

/* zc_gpu_net_download_param: parameter p's data (grad 0) or gradient
 * (grad 1) into host (numel floats). Synchronises. */
int zc_gpu_net_download_param(zc_gpu_ctx *ctx, int p, int grad, float *host);

/* zc_gpu_compute_stats: the three passes (inputs[0..2]: data, noise,
 * perturb; host floats) on the loaded network, terminals in mask kept in
 * device memory (perturb terminals as perturb minus data). The result stays
 * valid until the next load / compute_stats on ctx; see zc_gpu_stats_view.
 * Does not synchronise. 0 / -1. */
int zc_gpu_compute_stats(zc_gpu_ctx *ctx, const float *const inputs[3], zc_terminal_mask mask);

/* zc_gpu_stats_view: the device-resident terminals of the last
 * zc_gpu_compute_stats (owned by ctx). */
const zc_gpu_stats *zc_gpu_stats_view(const zc_gpu_ctx *ctx);

/* zc_gpu_stats_download: copy the last statistics into out, with the layout
 * and metadata zc_compute_stats gives (previous layers of out freed; the
 * identity fields untouched). Synchronises. 0 / -1. */
int zc_gpu_stats_download(zc_gpu_ctx *ctx, zc_arch_stats *out);

/* zc_gpu_stats_keep: copy the last statistics (device to device) into a
 * record of their own in *dst, which outlives later computations; free with
 * zc_gpu_stats_release (gpu_stats.h). 0 / -1. */
int zc_gpu_stats_keep(zc_gpu_ctx *ctx, zc_gpu_stats *dst);

/* zc_gpu_synchronize: wait for the context's stream. 0 / -1. */
int zc_gpu_synchronize(zc_gpu_ctx *ctx);

/* zc_gpu_arena_bytes: device bytes held by the context's arenas. */
int64_t zc_gpu_arena_bytes(const zc_gpu_ctx *ctx);

/* Internal handles for gpu_eval.cu (same device and stream). */
void *zc_gpu_ctx_stream(zc_gpu_ctx *ctx);
void *zc_gpu_ctx_cublas(zc_gpu_ctx *ctx);
int zc_gpu_ctx_device(const zc_gpu_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif
