/* proxies_size.c: params, flops and l2_norm (proxies_size.h), read off the
 * network description and its parameters. */
#include "common/proxies/proxies_size.h"

#include <math.h>

#include "common/nets/net.h"
#include "common/proxies/proxies_math.h"

double zc_proxy_params(const zc_net *net) { return (double)zc_net_param_count(net) / 1e6; }

double zc_proxy_flops(const zc_net *net) {
    double macs = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (L->kind == ZC_L_CONV)
            macs += (double)L->conv.k * (L->conv.c / L->conv.groups) * L->conv.r * L->conv.s *
                    L->conv.p * L->conv.q;
        else if (L->kind == ZC_L_LINEAR)
            macs += (double)net->params[L->param[0]].numel;
    }
    return macs / 1e6;
}

double zc_proxy_l2_norm(const zc_net *net) {
    double s = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (!zc_proxy_is_weight_layer(L)) continue;
        const zc_param *p = &net->params[L->param[0]];
        s += sqrt(zc_proxy_dot(p->data, p->data, p->numel));
    }
    return s;
}
