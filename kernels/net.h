/* net.h: the network description that executors run: a list of layers in
 * execution (topological) order over numbered values (activations), the
 * parameters (named like the PyTorch state_dict of the space's reference
 * implementation) and the RCB blocks statistics are read from. Plain data:
 * search spaces build it (common/nets/net.h), the CPU executor
 * (kernels/cpu/net_exec.h) and the CUDA executor (kernels/cuda/gpu_net.h)
 * run it. Value 0 is the input.
 *
 * Block outputs: every space builder also declares, in order, the values
 * at the output of its stem and of each cell / block (zc_net_mark_feature):
 * the feature maps block-wise proxies such as AZ-NAS read.
 *
 * Backward: the executors seed d(sum of outputs) = 1 at the output value
 * and propagate gradients to every value and parameter. A value whose
 * gradient no path reaches has grad_set == 0 and reads as zeros.
 */
#ifndef ZC_KERNELS_NET_H
#define ZC_KERNELS_NET_H

#include <stdint.h>

#include "kernels/cpu/cpu_kernels.h"

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
    int n_feat, cap_feat;
    int *feat;             /* block-output value ids, stem first (see above)  */
    int output;            /* value id of the logits                        */
    float *workspace;      /* conv im2col workspace                         */
    float *scratch;        /* one value's worth, for accumulating grads     */
    int allocated;
} zc_net;

/* zc_net_last_layer: index of the most recently added layer. */
static inline int zc_net_last_layer(const zc_net *net) { return net->n_layers - 1; }

/* zc_net_value_numel: elements of value v. */
static inline int64_t zc_net_value_numel(const zc_net *net, int v) {
    const zc_vshape *s = &net->vshape[v];
    return (int64_t)s->n * s->c * s->h * s->w;
}

#endif
