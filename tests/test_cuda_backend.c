/* test_cuda_backend.c: the parts of the CUDA backend that need no GPU
 * (this test runs everywhere the backend is built): device choice for
 * --device cpu|cuda|auto with the local-rank mapping, the memory estimate
 * against the exact sizes it must cover, and, where a GPU is present, the
 * memory check and the estimate against what a context really allocates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nets/net.h"
#include "common/nets/space.h"
#include "common/stats/gpu_stats.h"
#include "common/stats/stats_compute.h"
#include "kernels/cuda/cuda_backend.h"
#include "tests/test_util.h"
#include "kernels/cpu/net_exec.h"

int main(void) {
    char err[256];
    int use = -1, dev = -2;
    int count = zc_cuda_device_count();
    printf("CUDA devices: %d\n", count);

    CHECK(zc_cuda_select_device("cpu", 3, &use, &dev, err, sizeof err) == 0 && use == 0);
    CHECK(zc_cuda_select_device("gpu0", 0, &use, &dev, err, sizeof err) == -1);
    CHECK(strstr(err, "gpu0") != NULL);
    int rc = zc_cuda_select_device("auto", 5, &use, &dev, err, sizeof err);
    CHECK(rc == 0);
    if (count == 0) {
        CHECK(use == 0);
        CHECK(zc_cuda_select_device("cuda", 0, &use, &dev, err, sizeof err) == -1);
        CHECK(strstr(err, "no CUDA device") != NULL);
    } else {
        CHECK(use == 1 && dev == 5 % count);
        CHECK(zc_cuda_select_device(NULL, 1, &use, &dev, err, sizeof err) == 0 && use == 1 &&
              dev == 1 % count);
    }

    /* the estimate covers values, gradients, parameters and terminals */
    zc_net *net = zc_space_build(
        "nb201", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        16, 10, 32, err, sizeof err);
    CHECK_MSG(net != NULL, "%s", err);
    if (!net) TEST_EXIT();
    int64_t est = zc_gpu_stats_memory_needed(net, ZC_ALL_TERMINALS, 0, 0);
    int64_t est_none = zc_gpu_stats_memory_needed(net, 0, 0, 0);
    int64_t stats = zc_stats_bytes_for_net(net, ZC_ALL_TERMINALS);
    int64_t cpu = zc_net_memory_bytes(net);
    printf("NB201 batch 16: estimate %.1f MiB (terminals %.1f MiB, CPU net %.1f MiB)\n",
           est / 1048576.0, stats / 1048576.0, cpu / 1048576.0);
    CHECK(est - est_none >= stats);
    CHECK(est_none >= cpu - (int64_t)zc_conv_workspace_floats(&net->layers[0].conv) * 4);
    /* a larger batch needs more */
    zc_net *big = zc_space_build(
        "nb201", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        64, 10, 32, err, sizeof err);
    CHECK(big && zc_gpu_stats_memory_needed(big, ZC_ALL_TERMINALS, 0, 0) > est);

    if (count > 0) {
        CHECK(zc_cuda_check_memory(0, est, err, sizeof err) == 0);
        CHECK(zc_cuda_check_memory(0, (int64_t)1 << 50, err, sizeof err) == -1);
        CHECK(strstr(err, "needs") != NULL && strstr(err, "--device cpu") != NULL);
        printf("refusal message: %s\n", err);
        /* the estimate is an upper bound of what a context allocates */
        zc_rng r = zc_rng_stream(1, ZC_STREAM_PARAM_INIT, 0);
        zc_net_init_params(net, &r);
        zc_gpu_ctx *g = zc_gpu_ctx_new(0, err, sizeof err);
        CHECK_MSG(g != NULL, "%s", err);
        if (g) {
            int64_t nin = zc_net_value_numel(net, 0);
            float *x = calloc((size_t)nin, sizeof(float));
            for (int64_t i = 0; i < nin; i++) x[i] = (float)((i * 7919) % 17) / 17.0f - 0.5f;
            const float *const in[3] = {x, x, x};
            CHECK(zc_gpu_net_load(g, net) == 0);
            CHECK(zc_gpu_compute_stats(g, in, ZC_ALL_TERMINALS) == 0);
            CHECK(zc_gpu_synchronize(g) == 0);
            printf("context arenas %.1f MiB <= estimate %.1f MiB\n",
                   zc_gpu_arena_bytes(g) / 1048576.0, est / 1048576.0);
            CHECK(zc_gpu_arena_bytes(g) <= est);
            free(x);
            zc_gpu_ctx_free(g);
        }
    }
    zc_net_free(big);
    zc_net_free(net);
    TEST_EXIT();
}
