/* proxies_gradient.c: the proxies of the cross-entropy gradient
 * (proxies_gradient.h) on the CPU executor: the seeded backward pass, the
 * per-layer weight sums and GraSP's Hessian-vector product. */
#include "common/proxies/proxies_gradient.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/proxies/proxies_math.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"
#include "kernels/cpu/net_hvp.h"

/* fisher_layer: NASLib's fisher of one conv/linear layer (needs forward
 * values and the CE gradients). */
static double fisher_layer(const zc_net *net, const zc_layer *L) {
    int v = L->out;
    if (!net->grad_set[v]) return 0;
    const zc_vshape *s = &net->vshape[v];
    int hw = s->h * s->w;
    const zc_param *w = &net->params[L->param[0]];
    double fan_in = (double)(w->numel / w->shape[0]);
    double total = 0;
    for (int k = 0; k < s->c; k++) {
        double acc = 0;
        for (int i = 0; i < s->n; i++) {
            const float *a = net->val[v] + ((size_t)i * s->c + k) * hw;
            const float *g = net->grad[v] + ((size_t)i * s->c + k) * hw;
            double gnk = zc_proxy_dot(a, g, hw);
            acc += gnk * gnk;
        }
        total += fabs(0.5 * acc / s->n);
    }
    return total * fan_in;
}

/* log_snr_abs: log(sum(s)/std(s)), s = |w * g| (unbiased std; the sum when
 * std = 0); 0 when every s is 0. */
static double log_snr_abs(const float *w, const float *g, int64_t n) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = fabs((double)w[i] * g[i]);
        sum += s;
    }
    if (sum == 0) return 0;
    double mean = sum / (double)n;
    for (int64_t i = 0; i < n; i++) {
        double s = fabs((double)w[i] * g[i]) - mean;
        sq += s * s;
    }
    double sd = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
    return log(sd > 0 ? sum / sd : sum);
}

int zc_proxy_cross_entropy_backward(zc_net *net, const int *labels, char *err, size_t errlen) {
    float *dlogits = zc_malloc(sizeof(float) * (size_t)zc_net_value_numel(net, net->output));
    int rc = zc_px_ce_seed(net, labels, dlogits, err, errlen);
    if (rc == 0) zc_net_backward_seeded(net, dlogits);
    free(dlogits);
    return rc;
}

void zc_proxy_gradient_sums_of(const zc_net *net, int with_fisher, const double *lnwot,
                               zc_proxy_gradient_sums *sums) {
    double gn = 0, snip = 0, plain = 0, fisher = 0, tcet = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (!zc_proxy_is_weight_layer(L)) continue;
        const zc_param *p = &net->params[L->param[0]];
        gn += sqrt(zc_proxy_dot(p->grad, p->grad, p->numel));
        for (int64_t i = 0; i < p->numel; i++) {
            double wg = (double)p->data[i] * p->grad[i];
            snip += fabs(wg);
            plain += wg;
        }
        if (with_fisher) fisher += fisher_layer(net, L);
        if (lnwot && lnwot[l] != 0) tcet += lnwot[l] * log_snr_abs(p->data, p->grad, p->numel);
    }
    *sums = (zc_proxy_gradient_sums){
        .grad_norm = gn, .snip = snip, .plain = plain, .fisher = fisher, .tcet_snip = tcet};
}

double zc_proxy_grasp(zc_net *net) {
    /* NASLib's GraSP: H is the Hessian of the loss in the conv/linear
     * weights; the R-operator gives H g exactly, as PyTorch's double
     * backward. The directions are copies of the weight gradients. */
    float **v = zc_calloc((size_t)net->n_params, sizeof(float *));
    float **hv = zc_calloc((size_t)net->n_params, sizeof(float *));
    for (int l = 0; l < net->n_layers; l++) {
        if (!zc_proxy_is_weight_layer(&net->layers[l])) continue;
        int p = net->layers[l].param[0];
        size_t bytes = sizeof(float) * (size_t)net->params[p].numel;
        v[p] = zc_malloc(bytes);
        memcpy(v[p], net->params[p].grad, bytes);
        hv[p] = zc_malloc(bytes);
    }
    zc_net_hvp(net, v, zc_hvp_cross_entropy, NULL, hv);
    double g = 0;
    for (int p = 0; p < net->n_params; p++)
        if (hv[p]) g -= zc_proxy_dot(net->params[p].data, hv[p], net->params[p].numel);
    for (int p = 0; p < net->n_params; p++) {
        free(v[p]);
        free(hv[p]);
    }
    free(v);
    free(hv);
    return g;
}
