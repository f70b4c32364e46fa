/* net.h: the network description that search spaces build and the CPU
 * backend runs, forward and backward.
 *
 * A network is a list of layers in execution (topological) order over
 * numbered values (activations). Value 0 is the input. Each layer reads one
 * or more values and writes one new value. Parameters are named like the
 * PyTorch state_dict of the reference implementation of the space, so that a
 * network stored with --store-params can be rebuilt in PyTorch.
 *
 * RCB blocks (ReLU -> Conv(s) -> BN, eznas.md section 1) are declared by the
 * space builder with zc_net_mark_rcb; statistics are read from them.
 *
 * Backward: zc_net_backward seeds d(sum of outputs) = 1 at the output value
 * and propagates gradients to every value and parameter. A value whose
 * gradient no path reaches has grad_set == 0 and reads as zeros.
 */
#ifndef ZC_NET_H
#define ZC_NET_H

#include <stdint.h>

#include "common/rng.h"
#include "kernels/cpu_kernels.h"

#define ZC_NET_MAX_IN 8
#define ZC_NAME_LEN 96

typedef enum {
    ZC_L_CONV,     /* in[0] -> conv (param[0] = weight)                     */
    ZC_L_BN,       /* in[0] -> batch norm, training mode (gamma, beta)       */
    ZC_L_RELU,
    ZC_L_AVGPOOL,
    ZC_L_MAXPOOL,
    ZC_L_GAP,      /* (n,c,h,w) -> (n,c,1,1)                                */
    ZC_L_LINEAR,   /* (n,c,1,1) -> (n,out,1,1) (weight, bias)               */
    ZC_L_ADD,      /* sum of n_in values of equal shape                     */
    ZC_L_ZERO,     /* zeros of the shape of in[0] (a `none` edge)           */
    ZC_L_PAD,      /* zero pad / crop of the spatial dims                   */
    ZC_L_CONCAT    /* channel concatenation                                 */
} zc_layer_kind;

typedef struct {
    int n, c, h, w;
} zc_vshape;

typedef struct {
    zc_layer_kind kind;
    int n_in;
    int in[ZC_NET_MAX_IN];
    int out;
    int param[2];          /* parameter ids, -1 when unused                */
    zc_conv_desc conv;
    zc_pool_desc pool;
    int pad[4];            /* top, bottom, left, right                      */
    float eps;             /* batch norm                                    */
    float *save_mean, *save_invstd; /* batch norm scratch (c floats each)  */
    int *argmax;           /* max pooling scratch                           */
} zc_layer;

typedef struct {
    char name[ZC_NAME_LEN];
    int ndim;
    int shape[4];
    int64_t numel;
    int init;              /* ZC_INIT_* below                               */
    float *data;
    float *grad;
} zc_param;

enum { ZC_INIT_KAIMING_FAN_OUT, ZC_INIT_ONES, ZC_INIT_ZEROS, ZC_INIT_LINEAR };

typedef struct {
    char name[ZC_NAME_LEN]; /* module path of the block                     */
    int relu_layer, conv_first, conv_last, bn_layer;
    int stage, cell;
} zc_rcb;

typedef struct zc_net {
    int batch;
    int n_layers, cap_layers;
    zc_layer *layers;
    int n_values, cap_values;
    zc_vshape *vshape;
    float **val;
    float **grad;
    uint8_t *grad_set;
    int n_params, cap_params;
    zc_param *params;
    int n_rcb, cap_rcb;
    zc_rcb *rcb;
    int output;            /* value id of the logits                        */
    float *workspace;      /* conv im2col workspace                         */
    float *scratch;        /* one value's worth, for accumulating grads     */
    int allocated;
} zc_net;

/* ---- building ------------------------------------------------------------ */

/* zc_net_new: empty network whose value 0 is an input of shape (n,c,h,w). */
zc_net *zc_net_new(int n, int c, int h, int w);
void zc_net_free(zc_net *net);

/* Each builder appends one layer and returns its output value id, or -1 when
 * the shapes do not fit (the caller reports it). `name` is the PyTorch module
 * path; parameters are named "<name>.weight" / "<name>.bias". */
int zc_net_conv(zc_net *net, int in, int k, int kh, int kw, int stride, int pad_h,
                int pad_w, int dilation, int groups, const char *name);
int zc_net_bn(zc_net *net, int in, const char *name);
int zc_net_relu(zc_net *net, int in);
int zc_net_avgpool(zc_net *net, int in, int kernel, int stride, int pad,
                   int count_include_pad);
int zc_net_maxpool(zc_net *net, int in, int kernel, int stride, int pad);
int zc_net_gap(zc_net *net, int in);
int zc_net_linear(zc_net *net, int in, int out_features, const char *name);
int zc_net_add(zc_net *net, int n_in, const int *in);
int zc_net_zero(zc_net *net, int in);
int zc_net_pad(zc_net *net, int in, int top, int bottom, int left, int right);
int zc_net_concat(zc_net *net, int n_in, const int *in);

/* zc_net_last_layer: index of the most recently added layer. */
static inline int zc_net_last_layer(const zc_net *net) { return net->n_layers - 1; }

/* zc_net_mark_rcb: declare an RCB block by its layer indices. */
void zc_net_mark_rcb(zc_net *net, const char *name, int relu_layer, int conv_first,
                     int conv_last, int bn_layer, int stage, int cell);

/* zc_net_set_output: the value whose sum seeds the backward (the logits). */
void zc_net_set_output(zc_net *net, int value);

/* ---- running ------------------------------------------------------------- */

/* zc_net_init_params: allocate parameter storage (building a network only
 * describes it, so that sizes can be estimated cheaply) and draw every
 * parameter in creation order from rng:
 * conv weights Kaiming-normal (fan_out, ReLU gain: std = sqrt(2 / (k*kh*kw))),
 * BN gamma 1 and beta 0, linear weight N(0, 0.01), linear bias 0. */
void zc_net_init_params(zc_net *net, zc_rng *rng);

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

/* zc_net_linear_layer: run a parameter-free linear layer (average pooling,
 * global pooling, addition, padding, concatenation) on the value buffers
 * vals (indexed by value id) into out. Returns 1, or 0 (nothing done) for
 * any other kind. Shared by the forward pass and the R-operator. */
int zc_net_linear_layer(const zc_net *net, const zc_layer *L, float *const *vals, float *out);

/* zc_net_value_numel: elements of value v. */
static inline int64_t zc_net_value_numel(const zc_net *net, int v) {
    const zc_vshape *s = &net->vshape[v];
    return (int64_t)s->n * s->c * s->h * s->w;
}

/* zc_net_param_count: number of scalar parameters. */
int64_t zc_net_param_count(const zc_net *net);

/* zc_net_memory_bytes: bytes zc_net_alloc needs (values + grads + scratch). */
int64_t zc_net_memory_bytes(const zc_net *net);

#endif
