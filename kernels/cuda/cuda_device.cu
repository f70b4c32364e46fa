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

extern "C" const char *zc_cuda_last_error(void) { return t_error; }
extern "C" int zc_cuda_failed(void) { return t_error[0] != 0; }
extern "C" void zc_cuda_clear_error(void) { t_error[0] = 0; }

/* ---- devices ---------------------------------------------------------------- */

extern "C" int zc_cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky "no driver" error */
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
