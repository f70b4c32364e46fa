/* net_exec64.h: a float64 executor of the network description
 * (kernels/net.h) for one sample, beside the float32 executor net_exec.h.
 * Every tensor is held as float64 mantissas (max |m| = 1) times
 * exp(log_s), so a deep network whose values reach 1e300 and beyond
 * neither overflows nor loses precision. It runs the network with batch
 * norm removed (a BN layer passes its input through unchanged, as NASLib's
 * synflow with bn=False); every other layer kind as the float32 executor,
 * on float64 copies of the parameters the caller may change (synflow takes
 * their absolute values). Ungrouped convolutions go through im2col and
 * OpenBLAS's DGEMM; grouped ones (depthwise) through direct loops. */
#ifndef ZC_NET_EXEC64_H
#define ZC_NET_EXEC64_H

#include <stdint.h>

#include "kernels/net.h"

/* One tensor of one sample: m * exp(log_s). */
typedef struct {
    double *m;    /* mantissas, c*h*w of the value's shape                 */
    double log_s; /* logarithm of the scale                                */
    int set;      /* gradients: received a contribution in this backward   */
} zc_scaled;

/* The executor's state: the network, its float64 parameters, values and
 * gradients. */
typedef struct {
    const zc_net *net;
    double **param;  /* net->n_params arrays of params[p].numel doubles    */
    zc_scaled *val;  /* per value, after zc_net64_forward                  */
    zc_scaled *grad; /* per value, after zc_net64_backward (where set)     */
    int **argmax;    /* per layer: max pooling's winners (NULL otherwise)  */
    double *tmp;     /* one value's worth of scratch                       */
} zc_net64;

/* zc_net64_new: an executor of net (which must outlive it) with its
 * parameters converted to float64 and storage for one sample per value.
 * Never fails (allocation failure exits through zc_malloc). */
zc_net64 *zc_net64_new(const zc_net *net);

/* zc_net64_free: release e and everything it holds (NULL is a no-op). */
void zc_net64_free(zc_net64 *e);

/* zc_net64_forward: value 0 = x * exp(log_s) (x: c*h*w doubles of the
 * input's shape, taken as given), then every layer in order; each layer's
 * output is renormalised to max |m| = 1 (an all-zero output gets scale 0). */
void zc_net64_forward(zc_net64 *e, const double *x, double log_s);

/* The gradient of one conv/linear layer's weight during zc_net64_backward:
 * dL/dW = dw * exp(log_s_in + log_s_dout), the scales of the layer's input
 * value and of its output gradient. */
typedef struct {
    int layer;         /* the layer's index                                 */
    const double *w;   /* its float64 weight (numel doubles)                */
    double *dw;        /* mantissas of dL/dW (numel); the callback may      */
    int64_t numel;     /*   overwrite them                                  */
    double log_s_in;
    double log_s_dout;
} zc_net64_weight_grad;

typedef void (*zc_net64_weight_grad_fn)(void *ctx, zc_net64_weight_grad *g);

/* zc_net64_backward: after zc_net64_forward, the gradients of L = the sum
 * of the output value's entries with respect to every value (e->grad; a
 * value no path reaches keeps set == 0), layers in reverse order. For each
 * conv and linear layer whose output gradient was reached, on_weight(ctx,
 * g) receives its weight gradient (in reverse layer order), which lives
 * only for that call. */
void zc_net64_backward(zc_net64 *e, zc_net64_weight_grad_fn on_weight, void *ctx);

#endif
