/* net_exec.c: the CPU executor: storage, forward and backward passes of a
 * network description (see net_exec.h). */
#include "kernels/cpu/net_exec.h"

#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* ---- storage ---------------------------------------------------------------- */



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

void zc_net_backward_from(zc_net *net, int v, const float *dout, int after_layer) {
    ZC_ASSERT(net->allocated && v >= 0 && v < net->n_values);
    memset(net->grad_set, 0, (size_t)net->n_values);
    memcpy(net->grad[v], dout, sizeof(float) * (size_t)zc_net_value_numel(net, v));
    net->grad_set[v] = 1;
    int producer = -1;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].out == v) producer = l;
    for (int l = producer; l > after_layer && l >= 0; l--) {
        zc_layer *L = &net->layers[l];
        if (net->grad_set[L->out]) backward_layer(net, L);
    }
}

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
