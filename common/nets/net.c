/* net.c: building networks and drawing their parameters (see net.h). */
#include "common/nets/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* ---- building ------------------------------------------------------------ */

static int add_value(zc_net *net, int n, int c, int h, int w) {
    if (net->n_values == net->cap_values) {
        net->cap_values = net->cap_values ? 2 * net->cap_values : 64;
        net->vshape = zc_realloc(net->vshape, sizeof *net->vshape * net->cap_values);
    }
    net->vshape[net->n_values] = (zc_vshape){n, c, h, w};
    return net->n_values++;
}

static zc_layer *add_layer(zc_net *net, zc_layer_kind kind, int n_in, const int *in) {
    ZC_ASSERT(!net->allocated);
    ZC_ASSERT(n_in >= 0 && n_in <= ZC_NET_MAX_IN);
    if (net->n_layers == net->cap_layers) {
        net->cap_layers = net->cap_layers ? 2 * net->cap_layers : 64;
        net->layers = zc_realloc(net->layers, sizeof *net->layers * net->cap_layers);
    }
    zc_layer *L = &net->layers[net->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    L->n_in = n_in;
    for (int i = 0; i < n_in; i++) {
        ZC_ASSERT(in[i] >= 0 && in[i] < net->n_values);
        L->in[i] = in[i];
    }
    L->param[0] = L->param[1] = -1;
    return L;
}

static int add_param(zc_net *net, const char *module, const char *suffix, int ndim,
                     const int *shape, int init) {
    if (net->n_params == net->cap_params) {
        net->cap_params = net->cap_params ? 2 * net->cap_params : 64;
        net->params = zc_realloc(net->params, sizeof *net->params * net->cap_params);
    }
    zc_param *p = &net->params[net->n_params];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s.%s", module, suffix);
    p->ndim = ndim;
    p->numel = 1;
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        p->numel *= shape[i];
    }
    p->init = init;
    return net->n_params++; /* data and grad are allocated by init_params */
}

zc_net *zc_net_new(int n, int c, int h, int w) {
    zc_net *net = zc_calloc(1, sizeof *net);
    net->batch = n;
    add_value(net, n, c, h, w);
    net->output = -1;
    return net;
}

void zc_net_free(zc_net *net) {
    if (!net) return;
    for (int l = 0; l < net->n_layers; l++) {
        free(net->layers[l].save_mean);
        free(net->layers[l].save_invstd);
        free(net->layers[l].argmax);
    }
    if (net->allocated) {
        for (int v = 0; v < net->n_values; v++) {
            free(net->val[v]);
            free(net->grad[v]);
        }
    }
    for (int p = 0; p < net->n_params; p++) {
        free(net->params[p].data);
        free(net->params[p].grad);
    }
    free(net->val);
    free(net->grad);
    free(net->grad_set);
    free(net->vshape);
    free(net->layers);
    free(net->params);
    free(net->rcb);
    free(net->feat);
    free(net->workspace);
    free(net->scratch);
    free(net);
}

int zc_net_conv(zc_net *net, int in, int k, int kh, int kw, int stride, int pad_h,
                int pad_w, int dilation, int groups, const char *name) {
    zc_vshape s = net->vshape[in];
    zc_conv_desc d;
    if (zc_conv_desc_make(&d, s.n, s.c, s.h, s.w, k, kh, kw, stride, stride, pad_h,
                          pad_w, dilation, dilation, groups) != 0)
        return -1;
    zc_layer *L = add_layer(net, ZC_L_CONV, 1, &in);
    L->conv = d;
    int shape[4] = {k, s.c / groups, kh, kw};
    L->param[0] = add_param(net, name, "weight", 4, shape, ZC_INIT_KAIMING_FAN_OUT);
    L->out = add_value(net, s.n, k, d.p, d.q);
    return L->out;
}

int zc_net_bn(zc_net *net, int in, const char *name) {
    zc_vshape s = net->vshape[in];
    zc_layer *L = add_layer(net, ZC_L_BN, 1, &in);
    L->eps = 1e-5f;
    int shape[1] = {s.c};
    L->param[0] = add_param(net, name, "weight", 1, shape, ZC_INIT_ONES);
    L->param[1] = add_param(net, name, "bias", 1, shape, ZC_INIT_ZEROS);
    L->save_mean = zc_malloc(sizeof(float) * s.c);
    L->save_invstd = zc_malloc(sizeof(float) * s.c);
    L->out = add_value(net, s.n, s.c, s.h, s.w);
    return L->out;
}

static int add_same_shape(zc_net *net, zc_layer_kind kind, int in) {
    zc_vshape s = net->vshape[in];
    zc_layer *L = add_layer(net, kind, 1, &in);
    L->out = add_value(net, s.n, s.c, s.h, s.w);
    return L->out;
}

int zc_net_relu(zc_net *net, int in) { return add_same_shape(net, ZC_L_RELU, in); }
int zc_net_zero(zc_net *net, int in) { return add_same_shape(net, ZC_L_ZERO, in); }

static int add_pool(zc_net *net, zc_layer_kind kind, int in, int kernel, int stride,
                    int pad, int count_include_pad) {
    zc_vshape s = net->vshape[in];
    zc_pool_desc d;
    if (zc_pool_desc_make(&d, s.n, s.c, s.h, s.w, kernel, kernel, stride, stride, pad,
                          pad, count_include_pad) != 0)
        return -1;
    zc_layer *L = add_layer(net, kind, 1, &in);
    L->pool = d;
    if (kind == ZC_L_MAXPOOL)
        L->argmax = zc_malloc(sizeof(int) * (size_t)s.n * s.c * d.p * d.q);
    L->out = add_value(net, s.n, s.c, d.p, d.q);
    return L->out;
}

int zc_net_avgpool(zc_net *net, int in, int kernel, int stride, int pad,
                   int count_include_pad) {
    return add_pool(net, ZC_L_AVGPOOL, in, kernel, stride, pad, count_include_pad);
}

int zc_net_maxpool(zc_net *net, int in, int kernel, int stride, int pad) {
    return add_pool(net, ZC_L_MAXPOOL, in, kernel, stride, pad, 0);
}

int zc_net_gap(zc_net *net, int in) {
    zc_vshape s = net->vshape[in];
    zc_layer *L = add_layer(net, ZC_L_GAP, 1, &in);
    L->out = add_value(net, s.n, s.c, 1, 1);
    return L->out;
}

int zc_net_linear(zc_net *net, int in, int out_features, const char *name) {
    zc_vshape s = net->vshape[in];
    if (s.h != 1 || s.w != 1) return -1;
    zc_layer *L = add_layer(net, ZC_L_LINEAR, 1, &in);
    int wshape[2] = {out_features, s.c}, bshape[1] = {out_features};
    L->param[0] = add_param(net, name, "weight", 2, wshape, ZC_INIT_LINEAR);
    L->param[1] = add_param(net, name, "bias", 1, bshape, ZC_INIT_ZEROS);
    L->out = add_value(net, s.n, out_features, 1, 1);
    return L->out;
}

int zc_net_add(zc_net *net, int n_in, const int *in) {
    ZC_ASSERT(n_in >= 1);
    zc_vshape s = net->vshape[in[0]];
    for (int i = 1; i < n_in; i++) {
        zc_vshape t = net->vshape[in[i]];
        if (t.n != s.n || t.c != s.c || t.h != s.h || t.w != s.w) return -1;
    }
    zc_layer *L = add_layer(net, ZC_L_ADD, n_in, in);
    L->out = add_value(net, s.n, s.c, s.h, s.w);
    return L->out;
}

int zc_net_pad(zc_net *net, int in, int top, int bottom, int left, int right) {
    zc_vshape s = net->vshape[in];
    int h = s.h + top + bottom, w = s.w + left + right;
    if (h <= 0 || w <= 0) return -1;
    zc_layer *L = add_layer(net, ZC_L_PAD, 1, &in);
    L->pad[0] = top;
    L->pad[1] = bottom;
    L->pad[2] = left;
    L->pad[3] = right;
    L->out = add_value(net, s.n, s.c, h, w);
    return L->out;
}

int zc_net_concat(zc_net *net, int n_in, const int *in) {
    ZC_ASSERT(n_in >= 1);
    zc_vshape s = net->vshape[in[0]];
    int c = 0;
    for (int i = 0; i < n_in; i++) {
        zc_vshape t = net->vshape[in[i]];
        if (t.n != s.n || t.h != s.h || t.w != s.w) return -1;
        c += t.c;
    }
    zc_layer *L = add_layer(net, ZC_L_CONCAT, n_in, in);
    L->out = add_value(net, s.n, c, s.h, s.w);
    return L->out;
}

void zc_net_mark_rcb(zc_net *net, const char *name, int relu_layer, int conv_first,
                     int conv_last, int bn_layer, int stage, int cell) {
    ZC_ASSERT(net->layers[relu_layer].kind == ZC_L_RELU);
    ZC_ASSERT(net->layers[conv_first].kind == ZC_L_CONV);
    ZC_ASSERT(net->layers[conv_last].kind == ZC_L_CONV);
    ZC_ASSERT(net->layers[bn_layer].kind == ZC_L_BN);
    if (net->n_rcb == net->cap_rcb) {
        net->cap_rcb = net->cap_rcb ? 2 * net->cap_rcb : 32;
        net->rcb = zc_realloc(net->rcb, sizeof *net->rcb * net->cap_rcb);
    }
    zc_rcb *r = &net->rcb[net->n_rcb++];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->relu_layer = relu_layer;
    r->conv_first = conv_first;
    r->conv_last = conv_last;
    r->bn_layer = bn_layer;
    r->stage = stage;
    r->cell = cell;
}

void zc_net_mark_feature(zc_net *net, int value) {
    ZC_ASSERT(value >= 0 && value < net->n_values);
    if (net->n_feat > 0 && net->feat[net->n_feat - 1] == value) return; /* identity block */
    if (net->n_feat == net->cap_feat) {
        net->cap_feat = net->cap_feat ? 2 * net->cap_feat : 32;
        net->feat = zc_realloc(net->feat, sizeof *net->feat * net->cap_feat);
    }
    net->feat[net->n_feat++] = value;
}

void zc_net_set_output(zc_net *net, int value) { net->output = value; }

/* ---- parameters ------------------------------------------------------------ */



void zc_net_init_params(zc_net *net, zc_rng *rng) {
    for (int i = 0; i < net->n_params; i++) {
        zc_param *p = &net->params[i];
        if (!p->data) {
            p->data = zc_malloc(sizeof(float) * p->numel);
            p->grad = zc_calloc((size_t)p->numel, sizeof(float));
        }
        switch (p->init) {
        case ZC_INIT_KAIMING_FAN_OUT: {
            double fan_out = (double)p->shape[0] * p->shape[2] * p->shape[3];
            zc_rng_fill_normal(rng, p->data, p->numel, 0.0, sqrt(2.0 / fan_out));
            break;
        }
        case ZC_INIT_ONES:
            for (int64_t j = 0; j < p->numel; j++) p->data[j] = 1.0f;
            break;
        case ZC_INIT_ZEROS:
            memset(p->data, 0, sizeof(float) * p->numel);
            break;
        case ZC_INIT_LINEAR:
            zc_rng_fill_normal(rng, p->data, p->numel, 0.0, 0.01);
            break;
        }
    }
}



int64_t zc_net_param_count(const zc_net *net) {
    int64_t n = 0;
    for (int p = 0; p < net->n_params; p++) n += net->params[p].numel;
    return n;
}
