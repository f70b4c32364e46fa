/* proxies_init.c: the weight initialisations the proxies' references use
 * (proxies.h): zen's N(0,1) weights and PyTorch's default initialisation. */
#include <math.h>
#include <string.h>

#include "common/proxies/proxies.h"

/* bn_identity_init: batch norm weight 1 and bias 0 of layer L. */
static void bn_identity_init(zc_net *net, const zc_layer *L) {
    zc_param *g = &net->params[L->param[0]], *b = &net->params[L->param[1]];
    for (int64_t i = 0; i < g->numel; i++) g->data[i] = 1.0f;
    memset(b->data, 0, sizeof(float) * b->numel);
}

void zc_proxy_zen_init(zc_net *net, zc_rng *rng) {
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR) {
            zc_param *w = &net->params[L->param[0]];
            zc_rng_fill_normal(rng, w->data, (long)w->numel, 0.0, 1.0);
            if (L->param[1] >= 0)
                memset(net->params[L->param[1]].data, 0,
                       sizeof(float) * net->params[L->param[1]].numel);
        } else if (L->kind == ZC_L_BN) bn_identity_init(net, L);
    }
}

void zc_proxy_torch_init(zc_net *net, zc_rng *rng) {
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR) {
            zc_param *w = &net->params[L->param[0]];
            double bound = 1.0 / sqrt((double)(w->numel / w->shape[0]));
            for (int64_t i = 0; i < w->numel; i++)
                w->data[i] = (float)((2 * zc_rng_uniform(rng) - 1) * bound);
            if (L->param[1] >= 0) {
                zc_param *b = &net->params[L->param[1]];
                for (int64_t i = 0; i < b->numel; i++)
                    b->data[i] = (float)((2 * zc_rng_uniform(rng) - 1) * bound);
            }
        } else if (L->kind == ZC_L_BN) bn_identity_init(net, L);
    }
}
