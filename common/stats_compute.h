/* stats_compute.h: the three forward/backward passes of EZNAS over one
 * network and the collection of the 22 terminals of each RCB block
 * (eznas.md section 2). */
#ifndef ZC_STATS_COMPUTE_H
#define ZC_STATS_COMPUTE_H

#include "common/net.h"
#include "common/stats.h"

/* zc_compute_stats: run the passes data, noise, perturb (inputs[0..2], each
 * batch*3*H*W floats) on net (parameters already drawn) and fill out->layers
 * (out->n_layers = number of RCB blocks) with the terminals in mask, at their
 * natural shapes. The *_perturb terminals hold perturb-pass minus data-pass.
 * out's identity fields (arch_index, arch_str, accuracies) are not touched.
 * Any previous layers of out are freed first. */
void zc_compute_stats(zc_net *net, const float *const inputs[3], zc_terminal_mask mask,
                      zc_arch_stats *out);

/* zc_stats_bytes_for_net: bytes the terminals in mask take for net (exact). */
int64_t zc_stats_bytes_for_net(const zc_net *net, zc_terminal_mask mask);

#endif
