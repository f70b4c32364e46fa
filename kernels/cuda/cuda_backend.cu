/* cuda_backend.cu: device choice, the memory check and the bandwidth probe
 * of the CUDA backend (see cuda_backend.h). */
#include "kernels/cuda/cuda_backend.h"

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/cuda_check.h"

/* query_memory: free and total bytes and the properties of device */
static int query_memory(int device, size_t *free_b, size_t *total_b, cudaDeviceProp *prop) {
    CUDA_CHECK(cudaSetDevice(device));
    CUDA_CHECK(cudaMemGetInfo(free_b, total_b));
    CUDA_CHECK(cudaGetDeviceProperties(prop, device));
    return 0;
}

extern "C" int zc_cuda_check_memory(int device, int64_t bytes_needed, char *err, size_t errlen) {
    size_t free_b = 0, total_b = 0;
    cudaDeviceProp prop;
    if (query_memory(device, &free_b, &total_b, &prop) != 0) {
        snprintf(err, errlen, "cuda device %d: cannot query memory (%s)", device,
                 zc_cuda_last_error());
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

enum { BANDWIDTH_REPS = 20 };

/* a bandwidth probe: two device buffers and two events */
typedef struct {
    void *src, *dst;
    cudaEvent_t e0, e1;
} copy_probe;

static int probe_open(copy_probe *p, int device, size_t bytes) {
    CUDA_CHECK(cudaSetDevice(device));
    if (zc_cuda_malloc(&p->src, bytes, "the bandwidth probe") ||
        zc_cuda_malloc(&p->dst, bytes, "the bandwidth probe"))
        return -1;
    CUDA_CHECK(cudaMemset(p->src, 1, bytes));
    CUDA_CHECK(cudaEventCreate(&p->e0));
    CUDA_CHECK(cudaEventCreate(&p->e1));
    return 0;
}

/* probe_time: ms[r] of BANDWIDTH_REPS timed copies after a warm-up */
static int probe_time(copy_probe *p, size_t bytes, float *ms) {
    CUDA_CHECK(cudaMemcpy(p->dst, p->src, bytes, cudaMemcpyDeviceToDevice)); /* warm-up */
    for (int r = 0; r < BANDWIDTH_REPS; r++) {
        CUDA_CHECK(cudaEventRecord(p->e0, 0));
        CUDA_CHECK(cudaMemcpyAsync(p->dst, p->src, bytes, cudaMemcpyDeviceToDevice, 0));
        CUDA_CHECK(cudaEventRecord(p->e1, 0));
        CUDA_CHECK(cudaEventSynchronize(p->e1));
        CUDA_CHECK(cudaEventElapsedTime(&ms[r], p->e0, p->e1));
    }
    return 0;
}

static int destroy_event(cudaEvent_t e) {
    if (e) CUDA_CHECK(cudaEventDestroy(e));
    return 0;
}

/* probe_close: release what probe_open made (each failure recorded) */
static void probe_close(copy_probe *p) {
    (void)destroy_event(p->e0);
    (void)destroy_event(p->e1);
    (void)zc_cuda_free(p->src);
    (void)zc_cuda_free(p->dst);
}

extern "C" double zc_cuda_copy_bandwidth(int device, int64_t bytes) {
    copy_probe p;
    memset(&p, 0, sizeof p);
    float ms[BANDWIDTH_REPS];
    int rc = probe_open(&p, device, (size_t)bytes);
    if (rc == 0) rc = probe_time(&p, (size_t)bytes, ms);
    probe_close(&p);
    if (rc != 0) return -1;
    qsort(ms, BANDWIDTH_REPS, sizeof(float), cmp_float);
    if (ms[BANDWIDTH_REPS / 2] <= 0) return -1;
    return 2.0 * (double)bytes / (ms[BANDWIDTH_REPS / 2] * 1e-3);
}
