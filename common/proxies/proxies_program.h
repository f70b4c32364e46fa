/* proxies_program.h: a named program (EZNAS-A, zcevo-a, ...) as a proxy
 * column of zcevo proxies (internal to common/proxies; the columns are in
 * proxies.h). */
#ifndef ZC_PROXIES_PROGRAM_H
#define ZC_PROXIES_PROGRAM_H

#include "kernels/net.h"

/* zc_proxy_named_program: the score of the named program `name`
 * (named_programs.h) on the EZNAS statistics of net computed from the three
 * statistics inputs (task.h), only the terminals the program reads; NaN
 * when there is no such program or it is invalid on the network. */
double zc_proxy_named_program(zc_net *net, const float *const *inputs, const char *name);

#endif
