/* device.h: where a process computes statistics: the CPU, or the CUDA
 * device its local rank maps to (one GPU per rank: OMPI_COMM_WORLD_LOCAL_RANK,
 * else SLURM_LOCALID, else 0, modulo the number of devices). */
#ifndef ZC_DEVICE_H
#define ZC_DEVICE_H

#include <stddef.h>

#include "common/nets/net.h"
#include "common/stats/terminals.h"

/* zc_device_resolve: the --device value ("cpu", "cuda", "auto"; NULL =
 * auto) into *cuda_device (-1 = CPU). "auto" picks CUDA when this build has
 * it and a GPU is present. Returns 0, or -1 with err ("--device cuda: this
 * zcevo was built without CUDA ...", no device, unknown value). */
int zc_device_resolve(const char *flag, int *cuda_device, char *err, size_t errlen);

/* zc_device_check_memory: on a CUDA device, check that the statistics of
 * net (terminals in mask) fit in its free memory; 0 on the CPU. Returns 0,
 * or -1 with a message naming the need, the free memory and what to do. */
int zc_device_check_memory(int cuda_device, const zc_net *net, zc_terminal_mask mask,
                           char *err, size_t errlen);

/* zc_device_name: "cpu" or a one-line description of the CUDA device. */
const char *zc_device_name(int cuda_device, char *buf, size_t buflen);

#endif
