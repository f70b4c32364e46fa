/* net.c: building, initialising and running networks on the CPU backend
 * (see net.h). */
#include "common/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

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

void zc_net_set_output(zc_net *net, int value) { net->output = value; }

/* ---- initialisation and memory ------------------------------------------- */

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

static size_t workspace_floats(const zc_net *net) {
    size_t ws = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_CONV) {
            size_t f = zc_conv_workspace_floats(&net->layers[l].conv);
            if (f > ws) ws = f;
        }
    return ws;
}

static int64_t max_value_numel(const zc_net *net) {
    int64_t m = 0;
    for (int v = 0; v < net->n_values; v++) m = ZC_MAX(m, zc_net_value_numel(net, v));
    return m;
}

int64_t zc_net_memory_bytes(const zc_net *net) {
    int64_t f = 0;
    for (int v = 0; v < net->n_values; v++) f += 2 * zc_net_value_numel(net, v);
    f += (int64_t)workspace_floats(net) + max_value_numel(net);
    for (int p = 0; p < net->n_params; p++) f += 2 * net->params[p].numel;
    return f * (int64_t)sizeof(float);
}

int64_t zc_net_param_count(const zc_net *net) {
    int64_t n = 0;
    for (int p = 0; p < net->n_params; p++) n += net->params[p].numel;
    return n;
}

void zc_net_alloc(zc_net *net) {
    if (net->allocated) return;
    net->val = zc_calloc(net->n_values, sizeof(float *));
    net->grad = zc_calloc(net->n_values, sizeof(float *));
    net->grad_set = zc_calloc(net->n_values, 1);
    for (int v = 0; v < net->n_values; v++) {
        size_t n = (size_t)zc_net_value_numel(net, v);
        net->val[v] = zc_malloc(sizeof(float) * n);
        net->grad[v] = zc_malloc(sizeof(float) * n);
    }
    net->workspace = zc_malloc(sizeof(float) * (workspace_floats(net) + 1));
    net->scratch = zc_malloc(sizeof(float) * (size_t)max_value_numel(net));
    net->allocated = 1;
}

/* ---- forward ------------------------------------------------------------- */

int zc_net_linear_layer(const zc_net *net, const zc_layer *L, float *const *vals, float *y) {
    const float *x = vals[L->in[0]];
    zc_vshape s = net->vshape[L->in[0]];
    long count = (long)zc_net_value_numel(net, L->out);
    switch (L->kind) {
    case ZC_L_AVGPOOL:
        zc_avgpool_forward(&L->pool, x, y);
        return 1;
    case ZC_L_GAP:
        zc_gap_forward(s.n, s.c, s.h * s.w, x, y);
        return 1;
    case ZC_L_ADD:
        if (L->n_in == 1) memcpy(y, x, sizeof(float) * count);
        else {
            zc_add(count, x, vals[L->in[1]], y);
            for (int i = 2; i < L->n_in; i++) zc_accumulate(count, vals[L->in[i]], y);
        }
        return 1;
    case ZC_L_PAD:
        zc_pad2d_forward(s.n, s.c, s.h, s.w, L->pad[0], L->pad[1], L->pad[2], L->pad[3], x, y);
        return 1;
    case ZC_L_CONCAT: {
        int cs[ZC_NET_MAX_IN];
        const float *xs[ZC_NET_MAX_IN];
        for (int i = 0; i < L->n_in; i++) {
            cs[i] = net->vshape[L->in[i]].c;
            xs[i] = vals[L->in[i]];
        }
        zc_concat_forward(s.n, s.h * s.w, L->n_in, cs, xs, y);
        return 1;
    }
    default:
        return 0;
    }
}

static void forward_layer(zc_net *net, zc_layer *L) {
    float *y = net->val[L->out];
    if (zc_net_linear_layer(net, L, net->val, y)) return;
    const float *x = net->val[L->in[0]];
    zc_vshape s = net->vshape[L->in[0]];
    long count = (long)zc_net_value_numel(net, L->out);
    switch (L->kind) {
    case ZC_L_CONV:
        zc_conv2d_forward(&L->conv, x, net->params[L->param[0]].data, y, net->workspace);
        break;
    case ZC_L_BN:
        zc_bn_train_forward(s.n, s.c, s.h * s.w, x, net->params[L->param[0]].data,
                            net->params[L->param[1]].data, L->eps, y, L->save_mean,
                            L->save_invstd);
        break;
    case ZC_L_RELU:
        zc_relu_forward(count, x, y);
        break;
    case ZC_L_MAXPOOL:
        zc_maxpool_forward(&L->pool, x, y, L->argmax);
        break;
    case ZC_L_LINEAR: {
        zc_vshape o = net->vshape[L->out];
        zc_linear_forward(s.n, s.c, o.c, x, net->params[L->param[0]].data,
                          net->params[L->param[1]].data, y);
        break;
    }
    case ZC_L_ZERO:
        /* x * 0 as in PyTorch: NaN/inf inputs give NaN, as the reference's
         * Zero module (x.mul(0.)) does. */
        for (long i = 0; i < count; i++) y[i] = x[i] * 0.0f;
        break;
    default: /* parameter-free linear layers: zc_net_linear_layer */
        break;
    }
}

void zc_net_forward(zc_net *net, const float *x) {
    zc_net_alloc(net);
    ZC_ASSERT(net->n_params == 0 || net->params[0].data);
    memcpy(net->val[0], x, sizeof(float) * (size_t)zc_net_value_numel(net, 0));
    for (int l = 0; l < net->n_layers; l++) forward_layer(net, &net->layers[l]);
}

/* ---- backward ------------------------------------------------------------ */

/* grad_target: where to write a contribution to value v's gradient. The
 * first contribution goes straight into grad[v]; later ones into scratch,
 * to be added by grad_commit. */
static float *grad_target(zc_net *net, int v) {
    return net->grad_set[v] ? net->scratch : net->grad[v];
}

static void grad_commit(zc_net *net, int v) {
    if (net->grad_set[v])
        zc_accumulate((long)zc_net_value_numel(net, v), net->scratch, net->grad[v]);
    else net->grad_set[v] = 1;
}

static void backward_layer(zc_net *net, zc_layer *L) {
    const float *dy = net->grad[L->out];
    int in = L->in[0];
    const float *x = net->val[in];
    zc_vshape s = net->vshape[in];
    long count = (long)zc_net_value_numel(net, L->out);
    float *dx;
    switch (L->kind) {
    case ZC_L_CONV: {
        zc_param *w = &net->params[L->param[0]];
        zc_conv2d_backward_filter(&L->conv, x, dy, w->grad, net->workspace);
        dx = grad_target(net, in);
        zc_conv2d_backward_data(&L->conv, dy, w->data, dx, net->workspace);
        grad_commit(net, in);
        break;
    }
    case ZC_L_BN: {
        zc_param *g = &net->params[L->param[0]], *b = &net->params[L->param[1]];
        dx = grad_target(net, in);
        zc_bn_train_backward(s.n, s.c, s.h * s.w, x, dy, g->data, L->save_mean,
                             L->save_invstd, dx, g->grad, b->grad);
        grad_commit(net, in);
        break;
    }
    case ZC_L_RELU:
        dx = grad_target(net, in);
        zc_relu_backward(count, x, dy, dx);
        grad_commit(net, in);
        break;
    case ZC_L_AVGPOOL:
        dx = grad_target(net, in);
        zc_avgpool_backward(&L->pool, dy, dx);
        grad_commit(net, in);
        break;
    case ZC_L_MAXPOOL:
        dx = grad_target(net, in);
        zc_maxpool_backward(&L->pool, dy, L->argmax, dx);
        grad_commit(net, in);
        break;
    case ZC_L_GAP:
        dx = grad_target(net, in);
        zc_gap_backward(s.n, s.c, s.h * s.w, dy, dx);
        grad_commit(net, in);
        break;
    case ZC_L_LINEAR: {
        zc_param *w = &net->params[L->param[0]], *b = &net->params[L->param[1]];
        zc_vshape o = net->vshape[L->out];
        dx = grad_target(net, in);
        zc_linear_backward(s.n, s.c, o.c, x, w->data, dy, dx, w->grad, b->grad);
        grad_commit(net, in);
        break;
    }
    case ZC_L_ADD:
        for (int i = 0; i < L->n_in; i++) {
            int v = L->in[i];
            if (net->grad_set[v]) zc_accumulate(count, dy, net->grad[v]);
            else {
                memcpy(net->grad[v], dy, sizeof(float) * count);
                net->grad_set[v] = 1;
            }
        }
        break;
    case ZC_L_ZERO:
        /* d(x*0)/dx = 0: no contribution (a gradient nobody else sets reads
         * as zeros). */
        break;
    case ZC_L_PAD:
        dx = grad_target(net, in);
        zc_pad2d_backward(s.n, s.c, s.h, s.w, L->pad[0], L->pad[1], L->pad[2], L->pad[3],
                          dy, dx);
        grad_commit(net, in);
        break;
    case ZC_L_CONCAT: {
        /* Each input gets its slice; inputs never repeat in one concat. */
        int cs[ZC_NET_MAX_IN];
        float *dxs[ZC_NET_MAX_IN];
        float *tmp[ZC_NET_MAX_IN] = {0};
        for (int i = 0; i < L->n_in; i++) {
            int v = L->in[i];
            cs[i] = net->vshape[v].c;
            if (net->grad_set[v]) {
                tmp[i] = zc_malloc(sizeof(float) * (size_t)zc_net_value_numel(net, v));
                dxs[i] = tmp[i];
            } else dxs[i] = net->grad[v];
        }
        zc_concat_backward(s.n, s.h * s.w, L->n_in, cs, dy, dxs);
        for (int i = 0; i < L->n_in; i++) {
            int v = L->in[i];
            if (tmp[i]) {
                zc_accumulate((long)zc_net_value_numel(net, v), tmp[i], net->grad[v]);
                free(tmp[i]);
            } else net->grad_set[v] = 1;
        }
        break;
    }
    }
}

void zc_net_backward(zc_net *net) { zc_net_backward_seeded(net, NULL); }

void zc_net_backward_seeded(zc_net *net, const float *dout) {
    ZC_ASSERT(net->allocated && net->output >= 0);
    memset(net->grad_set, 0, (size_t)net->n_values);
    for (int p = 0; p < net->n_params; p++)
        memset(net->params[p].grad, 0, sizeof(float) * net->params[p].numel);
    long nout = (long)zc_net_value_numel(net, net->output);
    for (long i = 0; i < nout; i++) net->grad[net->output][i] = dout ? dout[i] : 1.0f;
    net->grad_set[net->output] = 1;
    for (int l = net->n_layers - 1; l >= 0; l--) {
        zc_layer *L = &net->layers[l];
        if (!net->grad_set[L->out]) continue; /* no path to the output */
        backward_layer(net, L);
    }
}
