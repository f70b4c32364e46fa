/* gpu_stats.cu: uploading host statistics to the device and releasing them
 * (gpu_stats.h).
 *
 * (h13-plan branch: a stand-in so that the branch links; the statistics
 * helper writes this file in full, and its version replaces this one.) */
#include "common/stats/gpu_stats.h"

#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_net.h"

extern "C" {
#include "common/util/util.h"
}

#define ALIGN 256

static size_t aligned(size_t bytes) { return (bytes + ALIGN - 1) / ALIGN * ALIGN; }

/* the terminals' copies into block (laid out as in dev->layers) */
static int copy_terminals(cudaStream_t stream, const zc_arch_stats *host, zc_gpu_stats *dev,
                          char *block) {
    size_t off = 0;
    for (int l = 0; l < host->n_layers; l++) {
        dev->layers[l] = host->layers[l];
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            const zc_tensor *src = &host->layers[l].t[t];
            if (!src->data) continue;
            size_t bytes = sizeof(float) * (size_t)zc_tensor_numel(src);
            dev->layers[l].t[t].data = (float *)(block + off);
            CUDA_CHECK(cudaMemcpyAsync(block + off, src->data, bytes, cudaMemcpyHostToDevice,
                                       stream));
            off += aligned(bytes);
        }
    }
    CUDA_CHECK(cudaStreamSynchronize(stream));
    return 0;
}

extern "C" int zc_gpu_stats_upload(zc_gpu_ctx *ctx, const zc_arch_stats *host, zc_gpu_stats *dev) {
    memset(dev, 0, sizeof *dev);
    CUDA_CHECK(cudaSetDevice(zc_gpu_ctx_device(ctx)));
    size_t total = 0;
    for (int l = 0; l < host->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++)
            if (host->layers[l].t[t].data)
                total += aligned(sizeof(float) * (size_t)zc_tensor_numel(&host->layers[l].t[t]));
    char *block = NULL;
    CUDA_CHECK(cudaMalloc((void **)&block, total + ALIGN));
    dev->device_block = block;
    dev->n_layers = host->n_layers;
    dev->layers = (zc_layer_stats *)zc_calloc((size_t)(host->n_layers ? host->n_layers : 1),
                                              sizeof(zc_layer_stats));
    if (copy_terminals((cudaStream_t)zc_gpu_ctx_stream(ctx), host, dev, block)) {
        zc_gpu_stats_release(dev);
        return -1;
    }
    return 0;
}

extern "C" void zc_gpu_stats_release(zc_gpu_stats *dev) {
    if (dev->device_block) cudaFree(dev->device_block);
    free(dev->layers);
    memset(dev, 0, sizeof *dev);
}
