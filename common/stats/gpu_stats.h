/* gpu_stats.h: statistics of one architecture in device memory (the
 * terminals a zc_gpu_ctx computed, or host statistics uploaded), for the
 * GPU program evaluator (common/program/gpu_eval.h). CUDA builds only.
 *
 * (h13-plan branch: only the type and the upload / release the evaluator
 * needs; the statistics helper's gpu_stats.h holds the rest.) */
#ifndef ZC_GPU_STATS_H
#define ZC_GPU_STATS_H

#ifdef __cplusplus
extern "C" {
#endif

#include "common/stats/stats.h"

typedef struct zc_gpu_ctx zc_gpu_ctx;

/* Terminals in device memory: the same layout as zc_arch_stats' layers
 * (metadata, shapes), except that every t[id].data is a DEVICE pointer
 * (NULL when the terminal is not held). */
typedef struct {
    int n_layers;
    zc_layer_stats *layers; /* host array, device data pointers              */
    void *device_block;     /* device memory owned by this record (uploads),
                               NULL when owned by a zc_gpu_ctx             */
} zc_gpu_stats;

/* zc_gpu_stats_upload: copy host statistics to ctx's device into *dev (one
 * device block, freed by zc_gpu_stats_release). Synchronises. 0, or -1 with
 * the reason in zc_cuda_last_error (cuda_check.h). */
int zc_gpu_stats_upload(zc_gpu_ctx *ctx, const zc_arch_stats *host, zc_gpu_stats *dev);

/* zc_gpu_stats_release: free what zc_gpu_stats_upload (or zc_gpu_stats_keep)
 * allocated; *dev is zeroed. */
void zc_gpu_stats_release(zc_gpu_stats *dev);

#ifdef __cplusplus
}
#endif

#endif
