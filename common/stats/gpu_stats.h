/* gpu_stats.h: EZNAS statistics on a GPU: the three passes of
 * stats_compute.h run by the CUDA network executor (kernels/cuda/gpu_net.h)
 * with the 22 terminals of every RCB block collected into device memory,
 * exactly as zc_compute_stats does on the CPU (perturb terminals as perturb
 * pass minus data pass); device-resident statistics records (zc_gpu_stats)
 * that the program evaluator reads, kept, uploaded, downloaded and
 * released; and the device memory a statistics run needs.
 *
 * The statistics of a context live in state attached to it
 * (zc_gpu_ctx_attach) and are freed with it. Same thread rules as the
 * context; every function that touches the device makes the context's
 * device current first. Functions returning int return 0, or -1 with a
 * one-line message in zc_gpu_last_error. */
#ifndef ZC_GPU_STATS_H
#define ZC_GPU_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/cuda/gpu_net.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "common/stats/stats.h"

/* Terminals in device memory: the same layout as zc_arch_stats' layers
 * (metadata, shapes), except that every t[id].data is a DEVICE pointer
 * (NULL when the terminal is not held). */
typedef struct {
    int n_layers;
    zc_layer_stats *layers; /* host array, device data pointers              */
    void *device_block;     /* device memory owned by this record (uploads),
                               NULL when owned by a zc_gpu_ctx             */
} zc_gpu_stats;

/* zc_gpu_compute_stats: the three passes (inputs[0..2]: data, noise,
 * perturb; host floats) on the network loaded in ctx, terminals in mask
 * kept in device memory (perturb terminals as perturb minus data). The
 * result stays valid until the next load / compute_stats on ctx; see
 * zc_gpu_stats_view. Does not synchronise. 0 / -1. */
int zc_gpu_compute_stats(zc_gpu_ctx *ctx, const float *const inputs[3], zc_terminal_mask mask);

/* zc_gpu_stats_view: the device-resident terminals of the last
 * zc_gpu_compute_stats (owned by ctx), NULL when there are none (never
 * computed, failed, or a network was loaded since). */
const zc_gpu_stats *zc_gpu_stats_view(const zc_gpu_ctx *ctx);

/* zc_gpu_stats_download: copy the last statistics into out, with the layout
 * and metadata zc_compute_stats gives (previous layers of out freed; the
 * identity fields untouched), through zc_gpu_stats_to_host. Synchronises.
 * 0 / -1. */
int zc_gpu_stats_download(zc_gpu_ctx *ctx, zc_arch_stats *out);

/* zc_gpu_stats_to_host: copy any record made here (compute, keep, upload)
 * into out: one copy of its device block into a page-locked staging buffer
 * of ctx, split into one allocation per terminal on the host; metadata as
 * the record's, previous layers of out freed, identity fields untouched.
 * The record must be on ctx's device. Synchronises ctx's stream first.
 * 0 / -1. */
int zc_gpu_stats_to_host(zc_gpu_ctx *ctx, const zc_gpu_stats *dev, zc_arch_stats *out);

/* zc_gpu_stats_keep: copy the last statistics (device to device) into a
 * record of their own in *dst, which outlives later computations; free with
 * zc_gpu_stats_release. 0 / -1 (*dst zeroed). */
int zc_gpu_stats_keep(zc_gpu_ctx *ctx, zc_gpu_stats *dst);

/* zc_gpu_stats_upload: copy host statistics to ctx's device into *dev (one
 * device block, freed by zc_gpu_stats_release; metadata copied). Synchronises.
 * 0 / -1 (*dev zeroed). */
int zc_gpu_stats_upload(zc_gpu_ctx *ctx, const zc_arch_stats *host, zc_gpu_stats *dev);

/* zc_gpu_stats_release: free what zc_gpu_stats_upload or zc_gpu_stats_keep
 * allocated, and zero *dev. Safe on a zeroed record. */
void zc_gpu_stats_release(zc_gpu_stats *dev);

/* zc_gpu_arena_bytes: device bytes held by ctx: the executor's arena and
 * the statistics arena. */
int64_t zc_gpu_arena_bytes(const zc_gpu_ctx *ctx);

/* zc_gpu_stats_memory_needed: device bytes a context needs to compute the
 * statistics of net with the terminals in mask: the executor
 * (zc_gpu_net_memory_needed: arena with the workspace limit and headroom,
 * handles), the context's statistics arena with its headroom, `kept`
 * records held on the device beside it (zc_gpu_stats_keep / upload), and
 * `eval_buffers` buffers of the program evaluator (each grows to the
 * largest terminal plus a quarter). An upper estimate; needs no GPU; never
 * fails. `zcevo stats` keeps nothing and evaluates nothing: 0, 0. */
int64_t zc_gpu_stats_memory_needed(const zc_net *net, zc_terminal_mask mask, int kept,
                                   int eval_buffers);

#ifdef __cplusplus
}
#endif

#endif
