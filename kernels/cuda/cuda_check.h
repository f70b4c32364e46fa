/* cuda_check.h: checker macros for CUDA runtime, cuBLAS and cuDNN statuses.
 * Each names the file, line and call, and makes the enclosing function
 * return -1 after printing one line (callers turn that into an error
 * message); device code paths never abort the process. */
#ifndef ZC_CUDA_CHECK_H
#define ZC_CUDA_CHECK_H

#include <stdio.h>

#define CUDA_CHECK(call)                                                         \
    do {                                                                         \
        cudaError_t _e = (call);                                                 \
        if (_e != cudaSuccess) {                                                 \
            fprintf(stderr, "zcevo: cuda: %s failed at %s:%d: %s\n", #call,      \
                    __FILE__, __LINE__, cudaGetErrorString(_e));                 \
            return -1;                                                           \
        }                                                                        \
    } while (0)

#define CUBLAS_CHECK(call)                                                       \
    do {                                                                         \
        cublasStatus_t _s = (call);                                              \
        if (_s != CUBLAS_STATUS_SUCCESS) {                                       \
            fprintf(stderr, "zcevo: cublas: %s failed at %s:%d: status %d\n",    \
                    #call, __FILE__, __LINE__, (int)_s);                         \
            return -1;                                                           \
        }                                                                        \
    } while (0)

#define CUDNN_CHECK(call)                                                        \
    do {                                                                         \
        cudnnStatus_t _s = (call);                                               \
        if (_s != CUDNN_STATUS_SUCCESS) {                                        \
            fprintf(stderr, "zcevo: cudnn: %s failed at %s:%d: %s\n", #call,     \
                    __FILE__, __LINE__, cudnnGetErrorString(_s));                \
            return -1;                                                           \
        }                                                                        \
    } while (0)

#endif
