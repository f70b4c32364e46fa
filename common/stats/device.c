/* device.c: CPU / CUDA device choice (see device.h). */
#include "common/stats/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#ifdef ZCEVO_HAVE_CUDA
#include "common/stats/gpu_stats.h"
#include "kernels/cuda/cuda_backend.h"
#endif

static int local_rank(void) {
    const char *v = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    if (!v) v = getenv("SLURM_LOCALID");
    return v ? atoi(v) : 0;
}

int zc_device_resolve(const char *flag, int *cuda_device, char *err, size_t errlen) {
    *cuda_device = -1;
    const char *f = flag ? flag : "auto";
    if (strcmp(f, "cpu") == 0) return 0;
    if (strcmp(f, "cuda") != 0 && strcmp(f, "auto") != 0)
        return zc_fail(err, errlen, "unknown --device '%s' (cpu, cuda or auto)", f);
#ifdef ZCEVO_HAVE_CUDA
    int use_cuda = 0, device = 0;
    if (zc_cuda_select_device(f, local_rank(), &use_cuda, &device, err, errlen) != 0) return -1;
    if (use_cuda) *cuda_device = device;
    return 0;
#else
    (void)local_rank;
    if (strcmp(f, "cuda") == 0)
        return zc_fail(err, errlen, "--device cuda: this zcevo was built without CUDA "
                       "(no nvcc/cuDNN found, or -DZCEVO_CUDA=OFF)");
    return 0;
#endif
}

int zc_device_check_memory(int cuda_device, const zc_net *net, zc_terminal_mask mask,
                           char *err, size_t errlen) {
    if (cuda_device < 0) return 0;
#ifdef ZCEVO_HAVE_CUDA
    /* a statistics run: nothing kept on the device, no program evaluator */
    return zc_cuda_check_memory(cuda_device, zc_gpu_stats_memory_needed(net, mask, 0, 0), err,
                                errlen);
#else
    (void)net, (void)mask, (void)err, (void)errlen;
    return 0;
#endif
}

const char *zc_device_name(int cuda_device, char *buf, size_t buflen) {
    snprintf(buf, buflen, "cpu");
#ifdef ZCEVO_HAVE_CUDA
    if (cuda_device >= 0) {
        char desc[256];
        if (zc_cuda_describe(cuda_device, desc, sizeof desc) == 0)
            snprintf(buf, buflen, "cuda:%d (%s)", cuda_device, desc);
        else snprintf(buf, buflen, "cuda:%d", cuda_device);
    }
#else
    (void)cuda_device;
#endif
    return buf;
}
