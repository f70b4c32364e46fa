/* net_hvp.h: exact Hessian-vector products of a loss with respect to the
 * parameters of a zc_net, by Pearlmutter's R-operator: a forward pass of
 * directional derivatives R{a} of every value along a parameter direction v,
 * then the directional derivative of the whole backward pass. What
 * PyTorch's double backward computes (GraSP's H g), with no finite
 * differences: every layer kind of net.h, batch norm in training mode with
 * its batch statistics included. */
#ifndef ZC_NET_HVP_H
#define ZC_NET_HVP_H

#include <stdint.h>

#include "kernels/net.h"

/* The loss's second-order part at the output: given R{output} (rout, n
 * floats) write R{dL/doutput} into rdout. */
typedef void (*zc_hvp_loss_fn)(void *ctx, const zc_net *net, const float *rout, float *rdout);

/* zc_net_hvp: hv[p] = (H v)_p = R{dL/dparam_p} for every parameter p with
 * hv[p] != NULL, where v[p] is the direction of parameter p (NULL: 0; only
 * conv and linear weights may have directions). Requires the state of
 * zc_net_forward followed by zc_net_backward_seeded(net, dL/doutput): the
 * values, their gradients and the batch norm statistics of that pass. The
 * network's values and gradients are left unchanged. Returns 0, or -1 when
 * a direction is given for a parameter that is not a conv/linear weight. */
int zc_net_hvp(zc_net *net, float *const *v, zc_hvp_loss_fn loss, void *loss_ctx,
               float *const *hv);

/* zc_hvp_cross_entropy: the loss function for mean cross-entropy over the
 * batch (ctx unused): R{dz} = (p * Rz - p (p . Rz)) / N per sample, with
 * p = softmax(z) of the current output. */
void zc_hvp_cross_entropy(void *ctx, const zc_net *net, const float *rout, float *rdout);

#endif
