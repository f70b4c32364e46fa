/* proxies_size.h: the data-independent proxies of a network's size
 * (internal to common/proxies; definitions in proxies.h): params, flops
 * and l2_norm. */
#ifndef ZC_PROXIES_SIZE_H
#define ZC_PROXIES_SIZE_H

#include "kernels/net.h"

/* zc_proxy_params: the network's parameters, in millions. */
double zc_proxy_params(const zc_net *net);

/* zc_proxy_flops: multiply-adds of the conv and linear layers of one
 * sample, in millions. */
double zc_proxy_flops(const zc_net *net);

/* zc_proxy_l2_norm: sum over conv/linear layers of ||W||_2. */
double zc_proxy_l2_norm(const zc_net *net);

#endif
