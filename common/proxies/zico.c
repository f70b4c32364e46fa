/* zico.c: ZiCo (Li et al., ICLR 2023; code SLDGroup/ZiCo
 * ZeroShotProxy/compute_zico.py, as AZ-NAS's NB201 copy): with g_b the
 * gradient of the mean cross-entropy of minibatch b with respect to a conv
 * or linear weight tensor (b = 1, 2, training-mode BN),
 *
 *   zico = sum_layers log( sum_{theta: std(g) > 0} mean_b |g_b| / std_b g_b )
 *
 * std the population standard deviation over the minibatches (numpy's
 * default); a layer whose sum is 0 (no theta with std > 0) adds nothing. */
#include "common/proxies/modern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/proxies/proxies_math.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

int zc_zico_grads(zc_net *net, const float *x, const int *labels, float **grads, char *err,
                  size_t errlen) {
    zc_net_forward(net, x);
    float *dl = zc_malloc(sizeof(float) * (size_t)zc_net_value_numel(net, net->output));
    int rc = zc_px_ce_seed(net, labels, dl, err, errlen);
    if (rc == 0) {
        zc_net_backward_seeded(net, dl);
        for (int l = 0; l < net->n_layers; l++) {
            const zc_layer *L = &net->layers[l];
            if (L->kind != ZC_L_CONV && L->kind != ZC_L_LINEAR) continue;
            const zc_param *w = &net->params[L->param[0]];
            grads[l] = zc_malloc(sizeof(float) * (size_t)w->numel);
            memcpy(grads[l], w->grad, sizeof(float) * (size_t)w->numel);
        }
    }
    free(dl);
    return rc;
}

double zc_zico_score(const zc_net *net, float **const g[2]) {
    double score = 0;
    for (int l = 0; l < net->n_layers; l++) {
        if (!g[0][l]) continue;
        int64_t n = net->params[net->layers[l].param[0]].numel;
        double sum = 0;
        for (int64_t i = 0; i < n; i++) {
            double a = g[0][l][i], c = g[1][l][i];
            double std = 0.5 * fabs(a - c), mean_abs = 0.5 * (fabs(a) + fabs(c));
            if (std > 0) sum += mean_abs / std;
        }
        if (sum != 0) score += log(sum);
    }
    return score;
}

int zc_zico(zc_net *net, const float *const x[2], const int *const labels[2], double *out,
            char *err, size_t errlen) {
    float **g[2];
    int rc = 0;
    for (int b = 0; b < 2; b++) g[b] = zc_calloc((size_t)net->n_layers, sizeof(float *));
    for (int b = 0; b < 2 && rc == 0; b++) rc = zc_zico_grads(net, x[b], labels[b], g[b], err, errlen);
    *out = rc == 0 ? zc_zico_score(net, g) : NAN;
    for (int b = 0; b < 2; b++) {
        for (int l = 0; l < net->n_layers; l++) free(g[b][l]);
        free(g[b]);
    }
    return rc;
}
