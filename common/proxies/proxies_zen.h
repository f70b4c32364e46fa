/* proxies_zen.h: the Zen-score (internal to common/proxies; definition in
 * proxies.h). */
#ifndef ZC_PROXIES_ZEN_H
#define ZC_PROXIES_ZEN_H

#include "common/util/rng.h"
#include "kernels/net.h"

/* zc_proxy_zen: the Zen-score of net on the batch-shaped N(0,1) inputs x1
 * and x2 with weights drawn from rng (zc_proxy_zen_init); net's parameters
 * are restored afterwards. NaN when an input or rng is NULL, or when the
 * network has no global average pooling. */
double zc_proxy_zen(zc_net *net, const float *x1, const float *x2, zc_rng *rng);

#endif
