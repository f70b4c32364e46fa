/* cuda_check.h: the one checker family of zcevo's CUDA code, one macro per
 * library status: CUDA_CHECK (cudaError_t), CUDNN_CHECK (cudnnStatus_t),
 * CUBLAS_CHECK (cublasStatus_t). On failure each records
 *   "<library>: <call> failed at <file>:<line>: <reason>"
 * as the calling thread's CUDA error and makes the enclosing function
 * return -1; device code paths never abort the process. Callers turn the -1
 * into their own error (zc_gpu_last_error, zc_gpu_eval_last_error and the
 * commands read zc_cuda_last_error). Every kernel launch is followed by
 * CUDA_CHECK(cudaGetLastError()). Device allocations go through
 * zc_cuda_malloc / zc_cuda_free, which say what did not fit. */
#ifndef ZC_CUDA_CHECK_H
#define ZC_CUDA_CHECK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* zc_cuda_fail: record a failure as above for this thread; returns -1. */
int zc_cuda_fail(const char *library, const char *call, const char *file, int line,
                 const char *reason);

/* zc_cuda_set_error: record a one-line message (printf format) as this
 * thread's CUDA error, for failures that are not a library status (an
 * arena that does not fit, an unsupported layer); returns -1. */
int zc_cuda_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* zc_cuda_last_error: this thread's last recorded CUDA error ("" if none
 * since zc_cuda_clear_error). */
const char *zc_cuda_last_error(void);

/* zc_cuda_failed: 1 when an error was recorded since zc_cuda_clear_error. */
int zc_cuda_failed(void);

/* zc_cuda_clear_error: forget this thread's CUDA error (at the start of
 * every public entry point). */
void zc_cuda_clear_error(void);

/* zc_cuda_malloc: cudaMalloc of bytes into *p on the current device. On
 * failure *p is NULL, the runtime's error is cleared and this thread's CUDA
 * error says what did not fit: "cuda: device 0: <what> needs 512.0 MiB,
 * 100.0 MiB free of 80.0 GiB" (out of memory) or the library reason;
 * returns -1. */
int zc_cuda_malloc(void **p, size_t bytes, const char *what);

/* zc_cuda_free: cudaFree(p) through the checker (NULL ok); 0 / -1. */
int zc_cuda_free(void *p);

#ifdef __cplusplus
}
#endif

#define CUDA_CHECK(call)                                                         \
    do {                                                                         \
        cudaError_t zc_cuda_e_ = (call);                                         \
        if (zc_cuda_e_ != cudaSuccess)                                           \
            return zc_cuda_fail("cuda", #call, __FILE__, __LINE__,               \
                                cudaGetErrorString(zc_cuda_e_));                 \
    } while (0)

#define CUDNN_CHECK(call)                                                        \
    do {                                                                         \
        cudnnStatus_t zc_cudnn_s_ = (call);                                      \
        if (zc_cudnn_s_ != CUDNN_STATUS_SUCCESS)                                 \
            return zc_cuda_fail("cudnn", #call, __FILE__, __LINE__,              \
                                cudnnGetErrorString(zc_cudnn_s_));               \
    } while (0)

#define CUBLAS_CHECK(call)                                                       \
    do {                                                                         \
        cublasStatus_t zc_cublas_s_ = (call);                                    \
        if (zc_cublas_s_ != CUBLAS_STATUS_SUCCESS)                               \
            return zc_cuda_fail("cublas", #call, __FILE__, __LINE__,             \
                                cublasGetStatusString(zc_cublas_s_));            \
    } while (0)

#endif
