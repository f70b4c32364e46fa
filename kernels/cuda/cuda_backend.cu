/* cuda_backend.cu: device choice, the memory check and the bandwidth probe
 * of the CUDA backend (see cuda_backend.h). */
#include "kernels/cuda/cuda_backend.h"

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" int zc_cuda_check_memory(int device, int64_t bytes_needed, char *err, size_t errlen) {
    size_t free_b = 0, total_b = 0;
    cudaDeviceProp prop;
    if (cudaSetDevice(device) != cudaSuccess || cudaMemGetInfo(&free_b, &total_b) != cudaSuccess ||
        cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        cudaGetLastError();
        snprintf(err, errlen, "cuda device %d: cannot query memory", device);
        return -1;
    }
    if ((int64_t)free_b >= bytes_needed) return 0;
    snprintf(err, errlen,
             "cuda device %d (%s): task needs %.2f GiB, %.2f GiB free of %.2f GiB; use a smaller "
             "--batch or --device cpu",
             device, prop.name, bytes_needed / 1073741824.0, free_b / 1073741824.0,
             total_b / 1073741824.0);
    return -1;
}

extern "C" int zc_cuda_select_device(const char *flag, int local_rank, int *use_cuda, int *device,
                                     char *err, size_t errlen) {
    *use_cuda = 0;
    *device = -1;
    if (flag && strcmp(flag, "cpu") == 0) return 0;
    if (flag && strcmp(flag, "cuda") != 0 && strcmp(flag, "auto") != 0) {
        snprintf(err, errlen, "unknown --device '%s' (expected cpu, cuda or auto)", flag);
        return -1;
    }
    int count = zc_cuda_device_count();
    if (count == 0) {
        if (flag && strcmp(flag, "cuda") == 0) {
            snprintf(err, errlen, "--device cuda: no CUDA device available");
            return -1;
        }
        return 0;
    }
    *use_cuda = 1;
    *device = (local_rank < 0 ? 0 : local_rank) % count;
    return 0;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

extern "C" double zc_cuda_copy_bandwidth(int device, int64_t bytes) {
    enum { REPS = 20 };
    void *src = NULL, *dst = NULL;
    cudaEvent_t e0, e1;
    float ms[REPS];
    if (cudaSetDevice(device) != cudaSuccess || cudaMalloc(&src, (size_t)bytes) != cudaSuccess ||
        cudaMalloc(&dst, (size_t)bytes) != cudaSuccess) {
        cudaGetLastError();
        if (src) cudaFree(src);
        return -1;
    }
    cudaMemset(src, 1, (size_t)bytes);
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    cudaMemcpy(dst, src, (size_t)bytes, cudaMemcpyDeviceToDevice); /* warm-up */
    for (int r = 0; r < REPS; r++) {
        cudaEventRecord(e0, 0);
        cudaMemcpyAsync(dst, src, (size_t)bytes, cudaMemcpyDeviceToDevice, 0);
        cudaEventRecord(e1, 0);
        cudaEventSynchronize(e1);
        cudaEventElapsedTime(&ms[r], e0, e1);
    }
    qsort(ms, REPS, sizeof(float), cmp_float);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cudaFree(src);
    cudaFree(dst);
    if (cudaGetLastError() != cudaSuccess || ms[REPS / 2] <= 0) return -1;
    return 2.0 * (double)bytes / (ms[REPS / 2] * 1e-3);
}
