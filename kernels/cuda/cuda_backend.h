/* cuda_backend.h: the C interface of zcevo's CUDA backend (compiled only
 * when CMake finds nvcc and cuDNN; ZCEVO_HAVE_CUDA is then defined). */
#ifndef ZC_CUDA_BACKEND_H
#define ZC_CUDA_BACKEND_H

#ifdef __cplusplus
extern "C" {
#endif

/* zc_cuda_device_count: number of usable CUDA devices; 0 when there is no
 * GPU or no driver (never fails). */
int zc_cuda_device_count(void);

/* zc_cuda_describe: one line naming device `device` (name, memory, SMs)
 * into buf. Returns 0, or -1 (no such device). */
int zc_cuda_describe(int device, char *buf, int buflen);

#ifdef __cplusplus
}
#endif

#endif
