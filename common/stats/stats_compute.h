/* stats_compute.h: the three forward/backward passes of EZNAS over one
 * network and the collection of the 22 terminals of each RCB block
 * (eznas.md section 2). */
#ifndef ZC_STATS_COMPUTE_H
#define ZC_STATS_COMPUTE_H

#include "common/nets/net.h"
#include "common/stats/stats.h"

/* zc_compute_stats: run the passes data, noise, perturb (inputs[0..2], each
 * batch*3*H*W floats) that the terminals in mask read (a pass no terminal
 * reads is skipped; the perturb terminals read the data pass too) on net
 * (parameters already drawn) and fill out->layers
 * (out->n_layers = number of RCB blocks) with the terminals in mask, at their
 * natural shapes. The *_perturb terminals hold perturb-pass minus data-pass.
 * out's identity fields (arch_index, arch_str, accuracies) are not touched.
 * Any previous layers of out are freed first. */
void zc_compute_stats(zc_net *net, const float *const inputs[3], zc_terminal_mask mask,
                      zc_arch_stats *out);

/* The value ids of an RCB block's tensors and its weight parameter (the
 * first conv's). */
typedef struct {
    int inpact, preact, act;
    int weight_param;
} zc_rcb_values;

/* zc_rcb_block_values: the ids of block r of net. */
zc_rcb_values zc_rcb_block_values(const zc_net *net, const zc_rcb *r);

/* zc_terminal_shape: set t's ndim and shape to those of terminal id of
 * block r (activations (B,C,H,W); wt and wt_grad_* the weight's shape). */
void zc_terminal_shape(const zc_net *net, const zc_rcb *r, int id, zc_tensor *t);

/* zc_layer_stats_describe: fill ls's metadata (name, channels, kernel,
 * stride, dilation, groups, stage, cell) from block r and the shapes of
 * the terminals in mask (data pointers untouched). */
void zc_layer_stats_describe(const zc_net *net, const zc_rcb *r, zc_terminal_mask mask,
                             zc_layer_stats *ls);

/* zc_stats_bytes_for_net: bytes the terminals in mask take for net (exact). */
int64_t zc_stats_bytes_for_net(const zc_net *net, zc_terminal_mask mask);

#endif
