/* proxies_compute.c: zc_proxies_compute (proxies.h), the order in which
 * the proxy families run on one network: size, then those of the data
 * minibatch (activation codes, cross-entropy gradient, input Jacobian),
 * synflow, zen and EZNAS-A. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/proxies/modern.h"
#include "common/proxies/proxies.h"
#include "common/proxies/proxies_codes.h"
#include "common/proxies/proxies_program.h"
#include "common/proxies/proxies_gradient.h"
#include "common/proxies/proxies_jacobian.h"
#include "common/proxies/proxies_size.h"
#include "common/proxies/proxies_zen.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

#define WANT(id) (mask & (1u << (id)))

/* The proxies that need the forward pass of the data minibatch. */
static const zc_proxy_mask k_data_proxies =
    (1u << ZC_PX_GRAD_NORM) | (1u << ZC_PX_SNIP) | (1u << ZC_PX_PLAIN) | (1u << ZC_PX_FISHER) |
    (1u << ZC_PX_GRASP) | (1u << ZC_PX_NWOT) | (1u << ZC_PX_JACOV) | (1u << ZC_PX_EPE_NAS) |
    (1u << ZC_PX_TCET_SNIP) | (1u << ZC_PX_TCET_SYNFLOW);

static void size_proxies(const zc_net *net, zc_proxy_mask mask, double *out) {
    if (WANT(ZC_PX_PARAMS)) out[ZC_PX_PARAMS] = zc_proxy_params(net);
    if (WANT(ZC_PX_FLOPS)) out[ZC_PX_FLOPS] = zc_proxy_flops(net);
    if (WANT(ZC_PX_L2_NORM)) out[ZC_PX_L2_NORM] = zc_proxy_l2_norm(net);
}

/* code_proxies: nwot, and T-CET's per-layer code log-determinants into
 * lnwot when a T-CET form is wanted (after the forward pass). */
static void code_proxies(const zc_net *net, zc_proxy_mask mask, double *lnwot, double *out) {
    if (WANT(ZC_PX_NWOT)) out[ZC_PX_NWOT] = zc_proxy_nwot(net);
    if (WANT(ZC_PX_TCET_SNIP) || WANT(ZC_PX_TCET_SYNFLOW))
        zc_proxy_layer_code_logdets(net, lnwot);
}

/* gradient_proxies: the sums of the cross-entropy backward just run, then
 * GraSP. */
static void gradient_proxies(zc_net *net, zc_proxy_mask mask, const double *lnwot,
                             double *out) {
    zc_proxy_gradient_sums s;
    zc_proxy_gradient_sums_of(net, WANT(ZC_PX_FISHER) != 0,
                              WANT(ZC_PX_TCET_SNIP) ? lnwot : NULL, &s);
    if (WANT(ZC_PX_GRAD_NORM)) out[ZC_PX_GRAD_NORM] = s.grad_norm;
    if (WANT(ZC_PX_SNIP)) out[ZC_PX_SNIP] = s.snip;
    if (WANT(ZC_PX_PLAIN)) out[ZC_PX_PLAIN] = s.plain;
    if (WANT(ZC_PX_FISHER)) out[ZC_PX_FISHER] = s.fisher;
    if (WANT(ZC_PX_TCET_SNIP)) out[ZC_PX_TCET_SNIP] = s.tcet_snip;
    if (WANT(ZC_PX_GRASP)) out[ZC_PX_GRASP] = zc_proxy_grasp(net);
}

/* jacobian_proxies: jacov and epe_nas on the input Jacobian (a backward
 * pass of its own, when either is wanted). */
static void jacobian_proxies(zc_net *net, const int *labels, zc_proxy_mask mask, double *out) {
    if (!WANT(ZC_PX_JACOV) && !WANT(ZC_PX_EPE_NAS)) return;
    int n = net->batch;
    int64_t d = zc_net_value_numel(net, 0) / n;
    const float *jac = zc_proxy_input_jacobian(net);
    if (WANT(ZC_PX_JACOV)) out[ZC_PX_JACOV] = zc_proxy_jacov(jac, n, d);
    if (WANT(ZC_PX_EPE_NAS)) {
        int n_classes = (int)(zc_net_value_numel(net, net->output) / n);
        out[ZC_PX_EPE_NAS] = zc_proxy_epe_nas(jac, labels, n, d, n_classes);
    }
}

/* data_proxies: the forward pass of the minibatch, then the code,
 * gradient and Jacobian families. Returns -1 with err on a bad label. */
static int data_proxies(zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                        double *lnwot, double *out, char *err, size_t errlen) {
    zc_net_forward(net, in->x);
    code_proxies(net, mask, lnwot, out);
    if (zc_proxy_cross_entropy_backward(net, in->labels, err, errlen) != 0) return -1;
    gradient_proxies(net, mask, lnwot, out);
    jacobian_proxies(net, in->labels, mask, out);
    return 0;
}

static void synflow_proxies(const zc_net *net, zc_proxy_mask mask, const double *lnwot,
                            double *out) {
    if (!WANT(ZC_PX_SYNFLOW) && !WANT(ZC_PX_TCET_SYNFLOW)) return;
    double t = NAN;
    double s = zc_proxy_synflow(net, WANT(ZC_PX_TCET_SYNFLOW) ? lnwot : NULL, &t);
    if (WANT(ZC_PX_SYNFLOW)) out[ZC_PX_SYNFLOW] = s;
    if (WANT(ZC_PX_TCET_SYNFLOW)) out[ZC_PX_TCET_SYNFLOW] = t;
}

int zc_proxies_compute(zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                       double *out, char *err, size_t errlen) {
    if (net->output < 0) {
        snprintf(err, errlen, "network has no output value");
        return -1;
    }
    zc_net_alloc(net);
    size_proxies(net, mask, out);
    double *lnwot = zc_calloc((size_t)net->n_layers, sizeof(double));
    int rc = (mask & k_data_proxies) ? data_proxies(net, in, mask, lnwot, out, err, errlen) : 0;
    if (rc == 0) {
        synflow_proxies(net, mask, lnwot, out);
        if (WANT(ZC_PX_ZEN))
            out[ZC_PX_ZEN] = zc_proxy_zen(net, in->zen_x1, in->zen_x2, in->zen_rng);
        if (WANT(ZC_PX_EZNAS_A))
            out[ZC_PX_EZNAS_A] =
                in->stats_inputs ? zc_proxy_named_program(net, in->stats_inputs, "eznas-a") : NAN;
        if (WANT(ZC_PX_ZCEVO_A))
            out[ZC_PX_ZCEVO_A] =
                in->stats_inputs ? zc_proxy_named_program(net, in->stats_inputs, "zcevo-a") : NAN;
        if ((mask & ZC_MODERN_PROXIES) &&
            zc_modern_proxies_compute(net, in, mask, out, err, errlen) != 0)
            rc = -1;
    }
    free(lnwot);
    return rc;
}
