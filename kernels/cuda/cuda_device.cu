/* cuda_device.cu: device discovery for the CUDA backend, and the
 * thread's CUDA error that the checker family records (cuda_check.h). */
#include <cuda_runtime.h>
#include <stdarg.h>
#include <stdio.h>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"

/* ---- the checker family's error record (cuda_check.h) ------------------- */

static thread_local char t_error[640];

extern "C" int zc_cuda_fail(const char *library, const char *call, const char *file, int line,
                            const char *reason) {
    snprintf(t_error, sizeof t_error, "%s: %s failed at %s:%d: %s", library, call, file, line,
             reason ? reason : "?");
    return -1;
}

extern "C" int zc_cuda_set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t_error, sizeof t_error, fmt, ap);
    va_end(ap);
    if (!t_error[0]) snprintf(t_error, sizeof t_error, "cuda: unknown error");
    return -1;
}

extern "C" int zc_cuda_malloc(void **p, size_t bytes, const char *what) {
    *p = NULL;
    cudaError_t e = cudaMalloc(p, bytes);
    if (e == cudaSuccess) return 0;
    *p = NULL;
    (void)cudaGetLastError(); /* a failed allocation must not fail the next launch check */
    size_t free_b = 0, total_b = 0;
    int device = -1;
    if (e != cudaErrorMemoryAllocation || cudaGetDevice(&device) != cudaSuccess ||
        cudaMemGetInfo(&free_b, &total_b) != cudaSuccess)
        return zc_cuda_fail("cuda", "cudaMalloc", __FILE__, __LINE__, cudaGetErrorString(e));
    return zc_cuda_set_error("cuda: device %d: %s needs %.1f MiB, %.1f MiB free of %.1f MiB",
                             device, what, bytes / 1048576.0, free_b / 1048576.0,
                             total_b / 1048576.0);
}

extern "C" int zc_cuda_free(void *p) {
    if (p) CUDA_CHECK(cudaFree(p));
    return 0;
}

extern "C" const char *zc_cuda_last_error(void) { return t_error; }
extern "C" int zc_cuda_failed(void) { return t_error[0] != 0; }
extern "C" void zc_cuda_clear_error(void) { t_error[0] = 0; }

/* ---- devices ---------------------------------------------------------------- */

static int count_devices(int *n) {
    CUDA_CHECK(cudaGetDeviceCount(n));
    return 0;
}

extern "C" int zc_cuda_device_count(void) {
    int n = 0;
    if (count_devices(&n) != 0) {
        (void)cudaGetLastError(); /* no GPU or no driver: none, and no sticky error */
        return 0;
    }
    return n;
}

extern "C" int zc_cuda_describe(int device, char *buf, int buflen) {
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    snprintf(buf, (size_t)buflen, "%s, %.1f GiB, %d SMs, compute %d.%d", prop.name,
             prop.totalGlobalMem / 1073741824.0, prop.multiProcessorCount, prop.major,
             prop.minor);
    return 0;
}
