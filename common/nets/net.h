/* net.h: building networks: the builders search spaces call to append
 * layers to a network description (kernels/net.h), the declaration of RCB
 * blocks (ReLU -> Conv(s) -> BN, eznas.md section 1), and drawing the
 * initial parameters. Running a network is the executors' job
 * (kernels/cpu/net_exec.h on the CPU, kernels/cuda/gpu_net.h on a GPU).
 */
#ifndef ZC_NET_H
#define ZC_NET_H

#include <stdint.h>

#include "common/util/rng.h"
#include "kernels/net.h"

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

/* zc_net_mark_rcb: declare an RCB block by its layer indices. */
void zc_net_mark_rcb(zc_net *net, const char *name, int relu_layer, int conv_first,
                     int conv_last, int bn_layer, int stage, int cell);

/* zc_net_mark_feature: append value to the network's block outputs (the
 * stem's output first, then each cell / block output in order; a block
 * that returns its input unchanged is not declared again). */
void zc_net_mark_feature(zc_net *net, int value);

/* zc_net_set_output: the value whose sum seeds the backward (the logits). */
void zc_net_set_output(zc_net *net, int value);

/* ---- parameters ------------------------------------------------------------ */

/* zc_net_init_params: allocate parameter storage (building a network only
 * describes it, so that sizes can be estimated cheaply) and draw every
 * parameter in creation order from rng:
 * conv weights Kaiming-normal (fan_out, ReLU gain: std = sqrt(2 / (k*kh*kw))),
 * BN gamma 1 and beta 0, linear weight N(0, 0.01), linear bias 0. */
void zc_net_init_params(zc_net *net, zc_rng *rng);

/* zc_net_param_count: number of scalar parameters. */
int64_t zc_net_param_count(const zc_net *net);

#endif
