/* proxies_zen.c: the Zen-score (proxies_zen.h): two train-mode forward
 * passes on Gaussian inputs under N(0,1) weights, the mean feature change
 * before global pooling and the batch norms' running variances. */
#include "common/proxies/proxies_zen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/proxies/proxies.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

/* zen_bn_update: the running update rv = 0.9 rv + 0.1 var of the unbiased
 * per-channel variances var of value v (rv: one double per channel). */
static void zen_bn_update(const zc_net *net, int v, double *rv) {
    const zc_vshape *s = &net->vshape[v];
    int hw = s->h * s->w;
    double m = (double)s->n * hw;
    for (int c = 0; c < s->c; c++) {
        double sum = 0, sq = 0;
        for (int i = 0; i < s->n; i++) {
            const float *x = net->val[v] + ((size_t)i * s->c + c) * hw;
            for (int j = 0; j < hw; j++) sum += x[j];
        }
        double mean = sum / m;
        for (int i = 0; i < s->n; i++) {
            const float *x = net->val[v] + ((size_t)i * s->c + c) * hw;
            for (int j = 0; j < hw; j++) sq += (x[j] - mean) * (x[j] - mean);
        }
        double var = m > 1 ? sq / (m - 1) : NAN;
        rv[c] = 0.9 * rv[c] + 0.1 * var;
    }
}

/* bn_input_channels: the channels of every batch norm layer's input,
 * together. */
static int64_t bn_input_channels(const zc_net *net) {
    int64_t n = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_BN) n += net->vshape[net->layers[l].in[0]].c;
    return n;
}

/* update_running_vars: zen_bn_update of every batch norm layer, in layer
 * order, into consecutive slices of rv (bn_input_channels doubles). */
static void update_running_vars(const zc_net *net, double *rv) {
    int64_t off = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_BN) {
            zen_bn_update(net, net->layers[l].in[0], rv + off);
            off += net->vshape[net->layers[l].in[0]].c;
        }
}

/* log_bn_scale: sum over batch norm layers of log sqrt(mean_c rv). */
static double log_bn_scale(const zc_net *net, const double *rv) {
    double log_bn = 0;
    int64_t off = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_BN) {
            int c = net->vshape[net->layers[l].in[0]].c;
            double m = 0;
            for (int k = 0; k < c; k++) m += rv[off + k];
            log_bn += log(sqrt(m / c));
            off += c;
        }
    return log_bn;
}

/* mean_abs_difference: mean over n samples of sum_k |f1 - f2| (per floats
 * each). */
static double mean_abs_difference(const float *f1, const float *f2, int n, int64_t per) {
    double nas = 0;
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int64_t k = 0; k < per; k++)
            s += fabs((double)f1[(size_t)i * per + k] - f2[(size_t)i * per + k]);
        nas += s;
    }
    return nas / n;
}

/* zen_score: the Zen-score under the weights net holds (NaN without a
 * global average pooling layer). */
static double zen_score(zc_net *net, const float *x1, const float *x2) {
    int gap = -1;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_GAP) gap = l;
    if (gap < 0) return NAN;
    int fv = net->layers[gap].in[0];
    int64_t nf = zc_net_value_numel(net, fv), nx = zc_net_value_numel(net, 0);
    float *f1 = zc_malloc(sizeof(float) * (size_t)nf);
    float *mix = zc_malloc(sizeof(float) * (size_t)nx);
    for (int64_t i = 0; i < nx; i++) mix[i] = x1[i] + 0.01f * x2[i];
    int64_t nrv = bn_input_channels(net);
    double *rv = zc_malloc(sizeof(double) * (size_t)(nrv + 1));
    for (int64_t i = 0; i < nrv; i++) rv[i] = 1.0; /* running variances start at 1 */
    for (int pass = 0; pass < 2; pass++) {
        zc_net_forward(net, pass == 0 ? x1 : mix);
        if (pass == 0) memcpy(f1, net->val[fv], sizeof(float) * (size_t)nf);
        update_running_vars(net, rv);
    }
    int n = net->vshape[fv].n;
    double nas = mean_abs_difference(f1, net->val[fv], n, nf / n);
    double log_bn = log_bn_scale(net, rv);
    free(f1);
    free(mix);
    free(rv);
    return log(nas) + log_bn;
}

double zc_proxy_zen(zc_net *net, const float *x1, const float *x2, zc_rng *rng) {
    if (!x1 || !x2 || !rng) return NAN;
    float **saved = zc_malloc(sizeof(float *) * (size_t)(net->n_params + 1));
    for (int p = 0; p < net->n_params; p++) {
        saved[p] = zc_malloc(sizeof(float) * (size_t)net->params[p].numel);
        memcpy(saved[p], net->params[p].data, sizeof(float) * net->params[p].numel);
    }
    zc_proxy_zen_init(net, rng);
    double score = zen_score(net, x1, x2);
    for (int p = 0; p < net->n_params; p++) {
        memcpy(net->params[p].data, saved[p], sizeof(float) * net->params[p].numel);
        free(saved[p]);
    }
    free(saved);
    return score;
}
