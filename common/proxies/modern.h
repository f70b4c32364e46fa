/* modern.h: the zero-cost proxies of 2023-2024 on the CPU executor, private
 * to common/proxies (proxies.h lists their ids and names; docs/proxies.md
 * has the definitions, the authors' code they follow and where they differ):
 *
 *   AZ-NAS (Lee and Ham, CVPR 2024)  az_nas.c   four components per network,
 *                                              aggregated by ranks over a set
 *   ZiCo (Li et al., ICLR 2023)      zico.c     two minibatches
 *   MeCo (Jiang et al., NeurIPS 2023) meco.c    one image, every layer
 *   SWAP (Peng et al., ICLR 2024)    swap.c     16 images, 32 weight draws
 *
 * Shared helpers (modern_util.c): symmetric eigenvalues (LAPACK), saving and
 * restoring parameters, independent generators (the cross-entropy gradient
 * is proxies_math.h's zc_px_ce_seed).
 * All of them run on the CPU path only (there is no CUDA code for them).
 */
#ifndef ZC_PROXIES_MODERN_H
#define ZC_PROXIES_MODERN_H

#include <stddef.h>
#include <stdint.h>

#include "common/proxies/proxies.h"

/* ---- the hook called by zc_proxies_compute -------------------------------- */

/* zc_modern_proxies_compute: out[id] for every id of ZC_MODERN_PROXIES in
 * mask, on net (parameters drawn; restored afterwards). az_nas itself is
 * set-dependent and left NaN (zc_az_nas_aggregate fills it). Returns 0, or
 * -1 with one line in err (labels outside the network's outputs, a network
 * that cannot be rebuilt at a smaller batch). */
int zc_modern_proxies_compute(zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                              double *out, char *err, size_t errlen);

/* ---- AZ-NAS (az_nas.c) ----------------------------------------------------- */

typedef struct {
    double expressivity, progressivity, trainability;
} zc_az_components;

/* zc_az_init: the AZ-NAS authors' initialisation (init_model
 * 'kaiming_norm_fanin'): conv and linear weights N(0, 2 / fan_in), linear
 * biases 0, BN weight 1 and bias 0, drawn from rng in layer order. */
void zc_az_init(zc_net *net, zc_rng *rng);

/* zc_az_signs: the Rademacher (+-1) vectors of the trainability score, one
 * per block b = 1 .. n_feat-1, shaped like block output feat[b], drawn
 * from rng in that order. Returns n_feat-1 malloc'd tensors (NULL when the
 * network declares fewer than 2 block outputs); free with zc_az_signs_free. */
float **zc_az_signs(const zc_net *net, zc_rng *rng);
void zc_az_signs_free(const zc_net *net, float **signs);

/* zc_az_components_of: expressivity, progressivity and trainability of net
 * on input x (batch-shaped) with the given signs (zc_az_signs), computed on
 * the parameters net has (the caller initialises). A NaN component becomes
 * -inf, as the authors' code returns it; fewer than 2 block outputs give
 * -inf progressivity and trainability. */
void zc_az_components_of(zc_net *net, const float *x, float *const *signs,
                         zc_az_components *out);

/* zc_az_feature_entropy: the expressivity score of one feature value v of
 * net (after a forward): entropy -sum p log(p + 1e-8) of the eigenvalues of
 * the channel covariance over the n*h*w positions, normalised to sum 1. */
double zc_az_feature_entropy(const zc_net *net, int v);

/* ---- ZiCo (zico.c) ---------------------------------------------------------- */

/* zc_zico: ZiCo of net on the two minibatches (x[b], labels[b]), b = 0, 1,
 * on the parameters net has, into *out. Returns 0, or -1 with err (a label
 * outside the outputs). */
int zc_zico(zc_net *net, const float *const x[2], const int *const labels[2], double *out,
            char *err, size_t errlen);

/* zc_zico_grads: grads[l] = a malloc'd copy of the conv / linear weight
 * gradient of layer l (untouched for other layers; grads holds n_layers)
 * of the mean cross-entropy of minibatch (x, labels). Returns 0, or -1
 * with err. zc_zico_score: ZiCo from two such gradient sets. */
int zc_zico_grads(zc_net *net, const float *x, const int *labels, float **grads, char *err,
                  size_t errlen);
double zc_zico_score(const zc_net *net, float **const g[2]);

/* ---- MeCo (meco.c) ---------------------------------------------------------- */

/* zc_meco: MeCo of net1, a batch-1 network (zc_net_rebatch), on the one
 * image x: sum over the layers of the smallest eigenvalue of the channel
 * correlation matrix of the layer's output. With rng non-NULL: MeCo_opt
 * (8 channels sampled per layer, times channels / 8). */
double zc_meco(zc_net *net1, const float *x, zc_rng *rng);

/* zc_meco_sample_channels: MeCo_opt's channels of one layer with c
 * channels: chan[0..*m) = 8 distinct channels drawn from rng (partial
 * Fisher-Yates over 0..c-1), or all c (no draw) when c <= 8. chan holds c. */
void zc_meco_sample_channels(zc_rng *rng, int c, int *chan, int *m);

/* ---- SWAP (swap.c) ------------------------------------------------------------ */

/* zc_swap: the SWAP-Score of net_s (a network of the sampled images'
 * batch, at most 64) on x, averaged over `repeats` draws of N(0,1) conv and
 * linear weights (zc_proxy_zen_init from rng); parameters restored after. */
double zc_swap(zc_net *net_s, const float *x, int repeats, zc_rng *rng);

/* zc_swap_regularised: swap * exp(-(P - mu)^2 / sigma), P = parameters in
 * millions (SWAP's regularisation; mu, sigma in docs/proxies.md). */
double zc_swap_regularised(double swap, int64_t params);

/* SWAP's sample and repeat counts (the authors' correlation.py defaults). */
enum { ZC_SWAP_SAMPLES = 16, ZC_SWAP_REPEATS = 32 };

/* ---- shared helpers (modern_util.c) --------------------------------------------- */

/* zc_px_eigvalsh: eigenvalues (ascending) of the symmetric n x n matrix a
 * (row-major, overwritten) into w, by LAPACK dsyevd; falls back to
 * zc_sym_eigenvalues (sorted) when LAPACK reports a failure. */
void zc_px_eigvalsh(double *a, int n, double *w);

/* zc_px_save_params / zc_px_restore_params: copy every parameter's data
 * out and back (restore frees the copy). */
float **zc_px_save_params(const zc_net *net);
void zc_px_restore_params(zc_net *net, float **saved);

/* zc_px_derive_rng: an independent generator for purpose k from a base one
 * (the base is not advanced). */
zc_rng zc_px_derive_rng(const zc_rng *base, uint64_t k);

/* zc_px_layer_producing: index of the layer whose output is value v, or -1
 * (v = 0, the input). */
int zc_px_layer_producing(const zc_net *net, int v);

#endif
