/* proxies_codes.h: the proxies of binary activation codes (internal to
 * common/proxies; definitions in proxies.h): nwot and the per-layer code
 * log-determinants T-CET weighs its layers with. */
#ifndef ZC_PROXIES_CODES_H
#define ZC_PROXIES_CODES_H

#include "kernels/net.h"

/* zc_proxy_nwot: log|det K| of the code kernel K of every ReLU input of
 * net, after a forward pass (-inf when K is singular). */
double zc_proxy_nwot(const zc_net *net);

/* zc_proxy_layer_code_logdets: lnwot[l] = log|det K_l| of the codes of
 * each conv/linear layer l's output after a forward pass, 0 when K_l is
 * singular; the other layers' entries are left untouched. */
void zc_proxy_layer_code_logdets(const zc_net *net, double *lnwot);

#endif
