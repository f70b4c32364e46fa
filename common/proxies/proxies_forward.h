/* proxies_forward.h: the proxies that read only a network's function,
 * computed from one forward pass (nwot) or one forward pass and the input
 * Jacobian (jacov), with the definitions of proxies.h but without the
 * passes of the other families. For callers that score many variants of
 * one network (Zero-Cost-PT's supernet with each operation removed). */
#ifndef ZC_PROXIES_FORWARD_H
#define ZC_PROXIES_FORWARD_H

#include "kernels/net.h"

/* zc_proxy_forward_supports: 1 for ZC_PX_NWOT and ZC_PX_JACOV. */
int zc_proxy_forward_supports(int id);

/* zc_proxy_forward: proxy id (ZC_PX_NWOT or ZC_PX_JACOV) of net, whose
 * parameters are set, on the minibatch x (batch x value-0 shape floats).
 * NaN for another id; -inf / NaN where the proxy is (as proxies.h). */
double zc_proxy_forward(zc_net *net, const float *x, int id);

#endif
