/* proxies_jacobian.h: the proxies of the input Jacobian (internal to
 * common/proxies; definitions in proxies.h): jacov and epe_nas. */
#ifndef ZC_PROXIES_JACOBIAN_H
#define ZC_PROXIES_JACOBIAN_H

#include <stdint.h>

#include "kernels/net.h"

/* zc_proxy_input_jacobian: after a forward pass, the backward pass of the
 * sum of the logits; returns its gradient with respect to the input (n rows
 * of d floats: net->grad[0], zeros when no path reaches the input). */
const float *zc_proxy_input_jacobian(zc_net *net);

/* zc_proxy_jacov: -sum_i log(v_i + 1e-5) + 1 / (v_i + 1e-5) over the
 * eigenvalues v of the correlation matrix of the n Jacobian rows (d
 * floats each). */
double zc_proxy_jacov(const float *jac, int n, int64_t d);

/* zc_proxy_epe_nas: NASLib's eval_score_perclass on the n Jacobian rows
 * (d floats each) grouped by their labels; n_classes, the network's
 * outputs, chooses the form (see proxies.h). */
double zc_proxy_epe_nas(const float *jac, const int *labels, int n, int64_t d, int n_classes);

#endif
