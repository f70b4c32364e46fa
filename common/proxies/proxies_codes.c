/* proxies_codes.c: nwot and T-CET's per-layer code log-determinants
 * (proxies_codes.h): kernels of the binary codes (x > 0) of the batch's
 * samples, counted with popcounts. */
#include "common/proxies/proxies_codes.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/proxies/proxies.h"
#include "common/proxies/proxies_math.h"
#include "common/util/util.h"

/* add_code_kernel: K[i][j] += number of positions where the signs (x > 0)
 * of samples i and j agree, for value v of net (batch n x d per sample). */
static void add_code_kernel(const zc_net *net, int v, double *K) {
    int n = net->vshape[v].n;
    int64_t d = zc_net_value_numel(net, v) / n;
    int64_t words = (d + 63) / 64;
    uint64_t *bits = zc_calloc((size_t)(n * words), sizeof(uint64_t));
    const float *x = net->val[v];
    for (int i = 0; i < n; i++)
        for (int64_t k = 0; k < d; k++)
            if (x[(size_t)i * d + k] > 0) bits[i * words + k / 64] |= 1ull << (k % 64);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            int64_t diff = 0;
            for (int64_t w = 0; w < words; w++)
                diff += __builtin_popcountll(bits[i * words + w] ^ bits[j * words + w]);
            double agree = (double)(d - diff);
            K[(size_t)i * n + j] += agree;
            if (j != i) K[(size_t)j * n + i] += agree;
        }
    free(bits);
}

double zc_proxy_nwot(const zc_net *net) {
    int n = net->batch;
    double *K = zc_calloc((size_t)n * n, sizeof(double));
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_RELU) add_code_kernel(net, net->layers[l].in[0], K);
    double nwot = zc_slogdet(K, n);
    free(K);
    return nwot;
}

void zc_proxy_layer_code_logdets(const zc_net *net, double *lnwot) {
    int n = net->batch;
    double *K = zc_malloc(sizeof(double) * (size_t)n * n);
    for (int l = 0; l < net->n_layers; l++) {
        if (!zc_proxy_is_weight_layer(&net->layers[l])) continue;
        memset(K, 0, sizeof(double) * (size_t)n * n);
        add_code_kernel(net, net->layers[l].out, K);
        double ld = zc_slogdet(K, n);
        lnwot[l] = isfinite(ld) ? ld : 0;
    }
    free(K);
}
