/* net_exec.h: the CPU executor of a network description (kernels/net.h):
 * value and gradient storage, the forward pass and the backward pass, on
 * the CPU kernels of cpu_kernels.h. */
#ifndef ZC_NET_EXEC_H
#define ZC_NET_EXEC_H

#include <stdint.h>

#include "kernels/net.h"

/* zc_net_alloc: allocate values, gradients and scratch (idempotent). */
void zc_net_alloc(zc_net *net);

/* zc_net_forward: copy x (batch*c*h*w floats) into value 0 and run every
 * layer. Allocates on first use. */
void zc_net_forward(zc_net *net, const float *x);

/* zc_net_backward: gradients of sum(output) w.r.t. every value (net->grad,
 * valid where grad_set) and parameter (param.grad, always written). */
void zc_net_backward(zc_net *net);

/* zc_net_backward_seeded: as zc_net_backward but with d(loss)/d(output) =
 * dout (numel of the output value floats), e.g. a cross-entropy gradient. */
void zc_net_backward_seeded(zc_net *net, const float *dout);

/* zc_net_backward_from: the gradient of <dout, value v> (dout: numel of v
 * floats) with respect to every value computed after layer `after_layer`
 * (-1: all), into net->grad (valid where grad_set), after a forward. Runs
 * only the layers (after_layer, producer of v], so it is the vector-Jacobian
 * product of the part of the network between them, e.g. one block:
 * after_layer = the producer of the block's input u gives dout^T dv/du in
 * grad[u] (zeros when grad_set[u] is 0). Parameter gradients are scratch. */
void zc_net_backward_from(zc_net *net, int v, const float *dout, int after_layer);

/* zc_net_linear_layer: run a parameter-free linear layer (average pooling,
 * global pooling, addition, padding, concatenation) on the value buffers
 * vals (indexed by value id) into out. Returns 1, or 0 (nothing done) for
 * any other kind. Shared by the forward pass and the R-operator. */
int zc_net_linear_layer(const zc_net *net, const zc_layer *L, float *const *vals, float *out);

/* zc_net_memory_bytes: bytes zc_net_alloc needs (values + grads + scratch). */
int64_t zc_net_memory_bytes(const zc_net *net);

#endif
