/* proxies_eznas.h: the EZNAS-A program as a proxy (internal to
 * common/proxies; definition in proxies.h). */
#ifndef ZC_PROXIES_EZNAS_H
#define ZC_PROXIES_EZNAS_H

#include "kernels/net.h"

/* zc_proxy_eznas_a: the score of the program "eznas-a" (program.h) on the
 * EZNAS statistics of net computed from the three statistics inputs
 * (task.h); NaN when the program cannot be parsed or evaluated. */
double zc_proxy_eznas_a(zc_net *net, const float *const *inputs);

#endif
