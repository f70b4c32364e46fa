/* proxies_gradient.h: the proxies of the cross-entropy gradient (internal
 * to common/proxies; definitions in proxies.h): grad_norm, snip, plain,
 * fisher, T-CET(snip) and GraSP. */
#ifndef ZC_PROXIES_GRADIENT_H
#define ZC_PROXIES_GRADIENT_H

#include <stddef.h>

#include "kernels/net.h"

/* zc_proxy_cross_entropy_backward: after a forward pass, the backward pass
 * of the mean cross-entropy of the output on labels (batch entries in
 * [0, classes)). Returns 0, or -1 with one line in err when a label is out
 * of range (the net's gradients are then unchanged). */
int zc_proxy_cross_entropy_backward(zc_net *net, const int *labels, char *err, size_t errlen);

/* The sums over conv/linear weights of one cross-entropy backward. */
typedef struct {
    double grad_norm; /* sum_l ||dL/dW_l||_2                               */
    double snip;      /* sum |W * dL/dW|                                   */
    double plain;     /* sum W * dL/dW                                     */
    double fisher;    /* NASLib's fisher (0 unless asked for)              */
    double tcet_snip; /* sum_l lnwot_l log SNR_l (0 unless asked for)      */
} zc_proxy_gradient_sums;

/* zc_proxy_gradient_sums_of: the sums above after
 * zc_proxy_cross_entropy_backward; fisher only when with_fisher, tcet_snip
 * only with lnwot (per layer, as zc_proxy_layer_code_logdets). */
void zc_proxy_gradient_sums_of(const zc_net *net, int with_fisher, const double *lnwot,
                               zc_proxy_gradient_sums *sums);

/* zc_proxy_grasp: -sum W . (H g) over conv/linear weights, g = dL/dW of
 * the cross-entropy backward just run, H g by the R-operator
 * (kernels/cpu/net_hvp.h). The net's values and gradients are unchanged. */
double zc_proxy_grasp(zc_net *net);

#endif
