/* cuda_backend.h: the C interface of zcevo's CUDA backend for device
 * choice: how many devices, which one a rank uses, whether a need fits in
 * its free memory, and a copy-bandwidth probe (compiled only when CMake
 * finds nvcc and cuDNN; ZCEVO_HAVE_CUDA is then defined). The memory a
 * statistics run needs is estimated by zc_gpu_stats_memory_needed
 * (common/stats/gpu_stats.h). */
#ifndef ZC_CUDA_BACKEND_H
#define ZC_CUDA_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* zc_cuda_device_count: number of usable CUDA devices; 0 when there is no
 * GPU or no driver (never fails). */
int zc_cuda_device_count(void);

/* zc_cuda_describe: one line naming device `device` (name, memory, SMs)
 * into buf. Returns 0, or -1 (no such device). */
int zc_cuda_describe(int device, char *buf, int buflen);

/* zc_cuda_check_memory: 0 when device has at least bytes_needed free
 * (cudaMemGetInfo); otherwise -1 with one line in err such as
 * "cuda device 0 (NVIDIA H100): task needs 3.2 GiB, 1.1 GiB free of 79.1 GiB;
 * use a smaller --batch or --device cpu". */
int zc_cuda_check_memory(int device, int64_t bytes_needed, char *err, size_t errlen);

/* zc_cuda_select_device: resolve a --device value ("cpu", "cuda", "auto" or
 * NULL = auto) for a worker of local rank local_rank. *use_cuda = 1 and
 * *device = local_rank % device_count when CUDA is chosen and present;
 * "auto" without a GPU gives *use_cuda = 0. Returns 0, or -1 with a message
 * ("--device cuda: no CUDA device available", "unknown --device 'x'"). */
int zc_cuda_select_device(const char *flag, int local_rank, int *use_cuda, int *device, char *err,
                          size_t errlen);

/* zc_cuda_copy_bandwidth: measured device-to-device copy bandwidth of
 * device in bytes/s (bytes read + bytes written), median of 20 copies of
 * `bytes` after a warm-up; -1 on failure. For benchmarks. */
double zc_cuda_copy_bandwidth(int device, int64_t bytes);

#ifdef __cplusplus
}
#endif

#endif
