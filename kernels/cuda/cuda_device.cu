/* cuda_device.cu: device discovery for the CUDA backend. */
#include <cuda_runtime.h>
#include <stdio.h>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"

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
